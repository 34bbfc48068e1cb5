"""Feed writers shared by the corpus generators (demo/, scenario/, multilingual/, heldout/): an outlet's
entries as RSS 2.0 or Atom (dates in each format's own style), a Mastodon timeline, and the
corpus builder (`Corpus`) that records each document's true story as it is written."""
import xml.etree.ElementTree as ET


def rfc3339(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_outlet(path, title, lang, fmt, site, entries, atom_lang=False):
    """Writes `entries` (dicts of title, body, when, url), newest first, to `path` (+ suffix);
    `atom_lang` marks an Atom feed's language with xml:lang."""
    entries = sorted(entries, key=lambda e: e["when"], reverse=True)
    if fmt == "rss":
        rss = ET.Element("rss", version="2.0")
        channel = ET.SubElement(rss, "channel")
        for tag, text in [("title", title), ("link", site + "/"), ("language", lang), ("description", title)]:
            ET.SubElement(channel, tag).text = text
        for e in entries:
            item = ET.SubElement(channel, "item")
            ET.SubElement(item, "title").text = e["title"]
            ET.SubElement(item, "link").text = e["url"]
            ET.SubElement(item, "guid").text = e["url"]
            ET.SubElement(item, "pubDate").text = e["when"].strftime("%a, %d %b %Y %H:%M:%S +0000")
            ET.SubElement(item, "description").text = e["body"]
        tree, suffix = rss, "rss"
    else:
        atom = ET.Element("feed", xmlns="http://www.w3.org/2005/Atom")
        if atom_lang:
            atom.set("xml:lang", lang)
        ET.SubElement(atom, "title").text = title
        ET.SubElement(atom, "id").text = site + "/"
        ET.SubElement(atom, "updated").text = rfc3339(entries[0]["when"])
        for e in entries:
            entry = ET.SubElement(atom, "entry")
            ET.SubElement(entry, "title").text = e["title"]
            ET.SubElement(entry, "id").text = e["url"]
            ET.SubElement(entry, "link", href=e["url"])
            ET.SubElement(entry, "published").text = rfc3339(e["when"])
            ET.SubElement(entry, "updated").text = rfc3339(e["when"])
            ET.SubElement(entry, "content", type="text").text = e["body"]
        tree, suffix = atom, "atom"
    ET.indent(tree)
    path.with_name(f"{path.name}.{suffix}").write_bytes(
        b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(tree, encoding="utf-8") + b"\n")


def write_mastodon(path, posts, first_number, truth):
    """Writes `posts` (dicts of account, when, text, lang, story, link, tags) as a Mastodon
    timeline (newest first) to `path`, numbering statuses from `first_number`, and records
    each status's address in `truth` under its story."""
    import json

    statuses = []
    ordered = sorted(posts, key=lambda p: p["when"], reverse=True)
    for i, p in enumerate(ordered):
        user, host = p["account"].split("@")
        number = first_number + len(posts) - i
        truth[f"https://{host}/@{user}/{number}"] = p["story"]
        content = f'<p>{p["text"]}'
        if p["link"]:
            content += f' <a href="{p["link"]}">{p["link"]}</a>'
        content += "</p>"
        statuses.append({
            "id": str(number),
            "created_at": p["when"].strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "uri": f"https://{host}/users/{user}/statuses/{number}",
            "url": f"https://{host}/@{user}/{number}",
            "content": content,
            "language": p["lang"],
            "account": {"acct": p["account"], "display_name": user},
            "reblog": None,
            "tags": [{"name": t} for t in p["tags"]],
            "mentions": [],
            "reblogs_count": 0, "favourites_count": 0, "replies_count": 0,
        })
    path.write_text(json.dumps(statuses, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def slugify(title):
    """An address's last part from a title: ASCII letters and digits, hyphenated."""
    return "-".join("".join(c.lower() if c.isascii() and c.isalnum() else " " for c in title).split())[:60] or "article"


# How a post introduces an article it shares, by language.
READ_THIS = {"en": "Read this:", "fr": "À lire :", "ru": "Читайте:", "es": "Lean esto:", "de": "Lesen:", "ar": "اقرأ:"}


class Corpus:
    """What a generator writes: each outlet's articles, the posts, the true story of every
    address, and every document as (time, story, source or account) for visibility. `outlets`
    maps a name to (title, language, format, site, kind); times count back from `anchor`."""

    def __init__(self, anchor, days, outlets, rng):
        self.anchor, self.days, self.outlets, self.rng = anchor, days, outlets, rng
        self.items = {name: [] for name in outlets}
        self.posts = []
        self.truth = {}
        self.events = []

    def day_start(self, day):
        from datetime import timedelta

        return self.anchor - timedelta(days=self.days - day)

    def at(self, day, lo=0.3, hi=23.5):
        from datetime import timedelta

        return self.day_start(day) + timedelta(hours=self.rng.uniform(lo, hi))

    def add(self, outlet, when, title, body, story):
        site = self.outlets[outlet][3]
        url = f"{site}/{when:%Y/%m/%d}/{slugify(title)}-{len(self.truth)}"
        self.items[outlet].append(dict(title=title, body=body, when=when, url=url))
        self.truth[url] = story
        self.events.append((when, story, outlet))
        return url

    def post(self, account, when, text, lang, story, link=None, tags=()):
        self.posts.append(dict(account=account, when=when, text=text, lang=lang, story=story, link=link, tags=list(tags)))
        self.events.append((when, story, account))

    def compose(self, slots):
        """One outlet's own article: a title and one sentence from each slot (None: skip it), so
        two outlets rarely write the same text."""
        title = self.rng.choice(slots[0])
        return title, " ".join(s for s in (self.rng.choice(slot) for slot in slots[1:]) if s)

    def paraphrased(self, story, versions, start, spread_hours, count, weights, main, wire):
        """`count` articles on `story`, each composed by one of `main[lang]` (or, in English, the
        wire `wire`) in a language drawn by weight, within `spread_hours` of `start`."""
        from datetime import timedelta

        langs = list(weights)
        urls = []
        for _ in range(count):
            lang = self.rng.choices(langs, [weights[lang] for lang in langs])[0]
            title, body = self.compose(versions[lang])
            outlet = self.rng.choice(main[lang] + ([wire] if lang == "en" else []))
            urls.append(self.add(outlet, start + timedelta(hours=self.rng.uniform(0, spread_hours)), title, body, story))
        return urls

    def carry_wire(self, wire, carriers, lead):
        """Wire copy: each (day, story, {agency: (title, body)}) sent by its agencies (`lead`
        first, the others within hours) and carried word for word with credit by some of each
        agency's clients (`carriers`: agency -> (credit, clients))."""
        from datetime import timedelta

        for day, story, reports in wire:
            first = self.at(day, 6, 13)
            for agency, (title, body) in reports.items():
                credit, clients = carriers[agency]
                when = first + timedelta(minutes=0 if agency == lead else self.rng.uniform(30, 200))
                self.add(agency, when, title, body, story)
                for outlet in self.rng.sample(clients, self.rng.randint(1, len(clients))):
                    self.add(outlet, when + timedelta(minutes=self.rng.uniform(15, 300)), title, f"{body} ({credit})", story)

    def organic_shares(self, count, seeded, followers):
        """`count` posts by `followers` sharing an ordinary article (not of the `seeded` stories)
        within 18 hours of its publication."""
        from datetime import timedelta

        ordinary = [(u, s) for u, s in self.truth.items() if s not in seeded]
        for _ in range(count):
            url, story = self.rng.choice(ordinary)
            outlet = next(n for n, o in self.outlets.items() if url.startswith(o[3]))
            published = next(e["when"] for e in self.items[outlet] if e["url"] == url)
            self.post(self.rng.choice(followers), published + timedelta(hours=self.rng.uniform(0.2, 18)),
                      self.rng.choice(["Worth a read:", "Read:", "From today's news:"]), "en", story, link=url)

    def told_in_own_words(self, story, tellings, voices, start, first_hour, spacing, lang="en"):
        """A claim told by several voices in their own words: each (outlet or None, title,
        body) in order, `first_hour` after `start` and then every `spacing` (lo, hi) hours; an
        outlet's article, or else a post by the next of `voices`."""
        from datetime import timedelta

        voices = iter(voices)
        for k, (outlet, title, body) in enumerate(tellings):
            when = start + timedelta(hours=first_hour + k * self.rng.uniform(*spacing))
            if outlet:
                self.add(outlet, when, title, body, story)
            else:
                self.post(next(voices), when, title, lang, story)

    def articles_shared(self, story, articles, hours, sharers, chance, delay_minutes):
        """Articles on `story`, each (day, outlet, lang, title, body) at a random time of its day
        between `hours` (lo, hi); with `chance`, each shared `delay_minutes` (lo, hi) later by one
        of `sharers`, its title introduced in its language ("Read this:")."""
        from datetime import timedelta

        for day, outlet, lang, title, body in articles:
            url = self.add(outlet, self.at(day, *hours), title, body, story)
            if self.rng.random() < chance:
                self.post(self.rng.choice(sharers),
                          self.items[outlet][-1]["when"] + timedelta(minutes=self.rng.uniform(*delay_minutes)),
                          READ_THIS[lang] + " " + title, lang, story, link=url)

    def visible(self, story):
        """A story's documents in time order as (time, voice), and when it became visible: its
        fourth document with three distinct sources or accounts among them (None if never)."""
        mine = sorted((w, who) for w, s, who in self.events if s == story)
        for k in range(len(mine)):
            if k + 1 >= 4 and len({who for _, who in mine[: k + 1]}) >= 3:
                return mine, mine[k][0]
        return mine, None

    def newest(self):
        """The time of the newest document."""
        return max([e["when"] for v in self.items.values() for e in v] + [p["when"] for p in self.posts])

    def hours_before_newest(self, when):
        return round((self.newest() - when).total_seconds() / 3600, 2)

    def write(self, here, mastodon, first_number, seeded, about, fields):
        """Writes the outlets' feeds and the Mastodon timeline (`mastodon`, statuses numbered
        from `first_number`) to here/feeds/ (emptied first), then here/truth.json: `about`, the
        `seeded` stories with their first document and when each became visible, `fields` in
        their order, and every document's story. Prints and returns the seeded summary."""
        import json

        (here / "feeds").mkdir(exist_ok=True)
        for old in (here / "feeds").iterdir():
            old.unlink()
        for name, (title, lang, fmt, site, _) in self.outlets.items():
            write_outlet(here / "feeds" / name, title, lang, fmt, site, self.items[name], atom_lang=True)
        write_mastodon(here / "feeds" / mastodon, self.posts, first_number, self.truth)
        summary = {}
        for story in seeded:
            mine, visible = self.visible(story)
            summary[story] = dict(first=self.hours_before_newest(mine[0][0]), visible=self.hours_before_newest(visible),
                                  documents=len(mine))
        (here / "truth.json").write_text(json.dumps({
            "about": about,
            "seeded": seeded,
            "seeded_start_hours_before_newest": {k: v["first"] for k, v in summary.items()},
            "seeded_visible_hours_before_newest": {k: v["visible"] for k, v in summary.items()},
            **fields,
            "documents": dict(sorted(self.truth.items())),
        }, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{sum(len(v) for v in self.items.values())} articles in {len(self.outlets)} feeds and {len(self.posts)} "
              f"Mastodon posts written to {here / 'feeds'}")
        print(json.dumps(summary, indent=1))
        return summary
