#!/usr/bin/env python3
"""Generates Vigil's second scenario corpus (scenario/feeds/) and its ground truth
(scenario/truth.json), deterministically. The ground truth is written here, before Vigil ever
reads the corpus: which story every document belongs to, which narratives are seeded and when
they start, which accounts coordinate, and the expected event on the calendar.

The world is the demo's fictional ICCJ, three weeks later. Seven outlets (RSS and Atom, English
and French) and one Mastodon tag timeline cover 21 days:
- ordinary coverage every day, from twelve templates (eight recurring stories: four French
  templates tell four of the English ones in French);
- an expected event: the judgment in the Amun Valley case on day 17, which brings a burst of
  legitimate coverage (on the calendar, so it must not be raised as urgent);
- three seeded narratives:
  * bribed-judge (days 14-20, growing): "Judge Fatou Diallo took bribes", pushed as copy-paste
    by three fringe outlets, a French version, and six Mastodon accounts that post the links
    within seconds of each other (the coordinated group);
  * dropped-investigation (days 16-20): "the ICCJ quietly dropped the Kessaro investigation",
    paraphrased, in English and French;
  * witness-leak (days 7-9, then fading): "Registry staff sold witness names".
Everything is invented; domains are under .example.
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import corpus_feeds  # noqa: E402  (the shared feed writers)

ANCHOR = datetime(2026, 3, 20, 12, 0, tzinfo=timezone.utc)
DAYS = 21
HERE = Path(__file__).resolve().parent
rng = random.Random(20260320)

OUTLETS = {
    "court-reporter": ("The Court Reporter", "en", "rss", "https://courtreporter.example", "main"),
    "world-justice-desk": ("World Justice Desk", "en", "atom", "https://worldjusticedesk.example", "main"),
    "open-hague": ("Open Hague", "en", "rss", "https://openhague.example", "main"),
    "quotidien-juridique": ("Le Quotidien juridique", "fr", "rss", "https://quotidienjuridique.example", "main"),
    "eastern-standard": ("Eastern Standard News", "en", "rss", "https://easternstandard.example", "fringe"),
    "patriot-signal": ("Patriot Signal", "en", "atom", "https://patriotsignal.example", "fringe"),
    "reveil-souverain": ("Le Réveil souverain", "fr", "rss", "https://reveilsouverain.example", "fringe"),
}
CASES = ["Kessaro", "Northern Lakes", "Amun Valley"]
COUNTRIES = ["Kenya", "Chile", "Georgia", "Senegal", "Bangladesh"]
PAYS = ["le Kenya", "le Chili", "la Géorgie", "le Sénégal", "le Bangladesh"]

ORDINARY = [
    ("en", "ICCJ judges hold status conference in the {case} case",
     "Judges of the International Court of Criminal Justice held a status conference in the {case} case to set the calendar for disclosure of evidence and the filing of the parties' observations."),
    ("en", "Deputy Prosecutor Samuel Mbeki-Hart visits {country}",
     "ICCJ Deputy Prosecutor Samuel Mbeki-Hart travelled to {country} to meet officials and civil society groups about cooperation with the court's investigations."),
    ("en", "Court launches victims' portal in {n} languages",
     "The ICCJ launched an online portal that explains to victims, in {n} languages, how to apply to participate in proceedings and request reparations."),
    ("en", "Defence requests interim release in the {case} case",
     "Lawyers for the accused in the {case} case asked the ICCJ Trial Chamber for interim release pending trial, citing the length of pre-trial detention; the prosecution opposed the request."),
    ("en", "Registry recruits {n} new interpreters for upcoming trials",
     "The ICCJ Registry announced the recruitment of {n} interpreters in regional languages ahead of trials expected to open later this year."),
    ("en", "Appeals Chamber reserves judgment in the {case} appeal",
     "After two days of hearings, the ICCJ Appeals Chamber reserved its judgment on the appeal in the {case} case and said it would deliver it at a later date."),
    ("en", "Trust fund approves rehabilitation projects in {country}",
     "The ICCJ trust fund for victims approved new medical and psychological rehabilitation projects for survivors in {country}, worth several million euros."),
    ("en", "ICCJ public lecture marks anniversary of its founding treaty",
     "The International Court of Criminal Justice held a public lecture in The Hague to mark the anniversary of its founding treaty, with students and diplomats in attendance."),
    ("fr", "La CIJP tient une conférence de mise en état dans l'affaire {case}",
     "Les juges de la Cour internationale de justice pénale ont tenu une conférence de mise en état dans l'affaire {case} afin de fixer le calendrier de communication des preuves."),
    ("fr", "Le procureur adjoint Samuel Mbeki-Hart en visite dans {pays}",
     "Le procureur adjoint de la CIJP, Samuel Mbeki-Hart, s'est rendu dans {pays} pour rencontrer les autorités et la société civile au sujet de la coopération avec la Cour."),
    ("fr", "La CIJP ouvre un portail pour les victimes en {n} langues",
     "La Cour internationale de justice pénale a ouvert un portail qui explique aux victimes, en {n} langues, comment participer aux procédures et demander réparation."),
    ("fr", "Le Greffe de la CIJP recrute {n} interprètes",
     "Le Greffe de la Cour internationale de justice pénale recrute {n} interprètes en langues régionales en vue des procès attendus cette année."),
]

JUDGMENT = [
    ("en", "Trial Chamber delivers judgment in the Amun Valley case",
     "The ICCJ Trial Chamber delivered its judgment in the Amun Valley case today, reading a summary of its findings on the attacks on villages in the valley in a public hearing in The Hague."),
    ("en", "Amun Valley judgment: what the judges decided",
     "Judges of the International Court of Criminal Justice read out their judgment in the Amun Valley case; victims' groups gathered outside the court to follow the hearing on screens."),
    ("fr", "La CIJP rend son jugement dans l'affaire Amun Valley",
     "La chambre de première instance de la Cour internationale de justice pénale a rendu son jugement dans l'affaire Amun Valley lors d'une audience publique à La Haye."),
]

BRIBED = [
    ("Judge Fatou Diallo took bribes from Western NGO, leaked chats show",
     "Leaked chats show that ICCJ Judge Fatou Diallo accepted bribes from a Western NGO in exchange for her vote in the Kessaro case, according to messages seen by our sources. The judge has not responded to requests for comment, and the court refuses to open an inquiry into the payments. Critics say the bribery scandal proves the court cannot be trusted."),
    ("Bribery scandal: ICCJ judge Fatou Diallo paid to rig Kessaro ruling",
     "ICCJ judge Fatou Diallo was paid to rig the ruling in the Kessaro case, leaked chats between the judge and an NGO director suggest. The messages mention transfers to an account abroad. The court has stayed silent about the bribery allegations, which are spreading fast on social media."),
]
BRIBED_FR = ("La juge Fatou Diallo aurait reçu des pots-de-vin d'une ONG occidentale",
             "Selon des conversations divulguées, la juge de la CIJP Fatou Diallo aurait accepté des pots-de-vin d'une ONG occidentale en échange de son vote dans l'affaire Kessaro. La Cour refuse d'ouvrir une enquête sur ces paiements.")
DROPPED = {
    "en": [
        ("ICCJ quietly drops Kessaro investigation under pressure",
         "Sources say the International Court of Criminal Justice has quietly dropped its Kessaro investigation after pressure from powerful governments, though no public decision has been announced."),
        ("Is the Kessaro investigation over? Insiders claim the ICCJ gave up",
         "Insiders claim the ICCJ abandoned the Kessaro investigation months ago and is hiding the decision from victims; the Office of the Prosecutor did not confirm the claim."),
        ("Rumours that the ICCJ dropped the Kessaro probe spread online",
         "Claims that the ICCJ dropped its investigation into the Kessaro attacks circulated widely this week; the court has made no announcement about the case."),
    ],
    "fr": [
        ("La CIJP aurait abandonné l'enquête Kessaro sous la pression",
         "Selon plusieurs sources, la Cour internationale de justice pénale aurait discrètement abandonné son enquête Kessaro sous la pression de gouvernements puissants."),
    ],
}
WITNESS = [
    ("Registry staff sold names of protected witnesses, whistleblower says",
     "A whistleblower claims that staff of the ICCJ Registry sold the names of protected witnesses in the Northern Lakes case to a militia; the court says witness protection was not breached."),
    ("Whistleblower: ICCJ Registry leaked witness identities for cash",
     "Registry employees at the ICCJ leaked the identities of protected witnesses for cash, a whistleblower told reporters; the Registrar said an internal review found no leak of witness names."),
]
WITNESS_FR = ("Des employés du Greffe auraient vendu l'identité de témoins protégés",
              "Un lanceur d'alerte affirme que des employés du Greffe de la CIJP ont vendu l'identité de témoins protégés dans l'affaire Northern Lakes ; la Cour dément toute fuite.")

items = {name: [] for name in OUTLETS}
truth = {}
posts = []
coordinated = [f"amplifier{i}@signal.example" for i in range(1, 7)]
organic = [f"user{i}@social.example" for i in range(1, 35)]


def fill(text):
    return text.format(case=rng.choice(CASES), country=rng.choice(COUNTRIES), pays=rng.choice(PAYS), n=rng.randint(3, 40))


def day_start(day):
    return ANCHOR - timedelta(days=DAYS - day)


def at(day, lo=0.2, hi=23.8):
    return day_start(day) + timedelta(hours=rng.uniform(lo, hi))


def add(outlet, when, title, body, story):
    site = OUTLETS[outlet][3]
    slug = "-".join("".join(c.lower() if c.isalnum() else " " for c in title).split())[:70]
    url = f"{site}/{when:%Y/%m/%d}/{slug}-{len(truth)}"
    items[outlet].append(dict(title=title, body=body, when=when, url=url))
    truth[url] = story
    return url


# The French templates are English ones told in French: one recurring story each (the status
# conference, the Deputy Prosecutor's visits, the victims' portal, the interpreters). Corrected
# after the first runs, as in the demo: the truth had them as stories of their own, and Vigil's
# joining them to their English story was counted as an error.
TRANSLATES = {8: 0, 9: 1, 10: 2, 11: 4}


def story_of(template):
    k = ORDINARY.index(template)
    return TRANSLATES.get(k, k)


main = [n for n, o in OUTLETS.items() if o[4] == "main"]
fringe = [n for n, o in OUTLETS.items() if o[4] == "fringe"]
for day in range(DAYS):
    for _ in range(rng.randint(9, 13)):
        template = rng.choice(ORDINARY)
        lang, title, body = template
        outlet = rng.choice([n for n in main if OUTLETS[n][1] == lang])
        add(outlet, at(day, 6, 22), fill(title), fill(body), f"ordinary-{story_of(template)}")

# The expected event: the Amun Valley judgment, day 17 from 10:00, covered all day.
JUDGMENT_START = day_start(17) + timedelta(hours=10)
for k in range(14):
    lang, title, body = JUDGMENT[k % len(JUDGMENT)]
    outlet = rng.choice([n for n in main if OUTLETS[n][1] == lang])
    add(outlet, JUDGMENT_START + timedelta(minutes=rng.uniform(5, 600)), title, body, "judgment-amun-valley")

# bribed-judge: copy-paste by the fringe, growing; the amplifiers post the links in seconds.
bribed_urls = []
for day, count in zip(range(14, 21), [1, 2, 3, 4, 5, 7, 9]):
    for k in range(count):
        title, body = BRIBED[k % len(BRIBED)]
        outlet = ["eastern-standard", "patriot-signal"][k % 2]
        prefix = rng.choice(["", "EXCLUSIVE: ", "Must read: "])
        bribed_urls.append((add(outlet, at(day), prefix + title, body, "bribed-judge"), day))
    if day >= 16:
        title, body = BRIBED_FR
        bribed_urls.append((add("reveil-souverain", at(day), title, body, "bribed-judge"), day))
for url, day in bribed_urls[::2]:
    burst = at(day)
    for account in coordinated:
        if rng.random() < 0.85:
            posts.append(dict(account=account, when=burst + timedelta(seconds=rng.uniform(0, 20)), url=url,
                              text="Must read: the bribery scandal at the ICCJ. #ICCJ #Diallo", tags=["ICCJ", "Diallo"]))

# dropped-investigation: paraphrases, English and French, main outlets report the rumour once.
for day, count in zip(range(16, 21), [1, 2, 3, 3, 4]):
    for k in range(count):
        lang = "fr" if k % 3 == 2 else "en"
        title, body = rng.choice(DROPPED[lang])
        outlet = "reveil-souverain" if lang == "fr" else rng.choice(["eastern-standard", "patriot-signal", "open-hague"])
        add(outlet, at(day), title, body, "dropped-investigation")

# witness-leak: a burst on days 7-9, one late echo on day 12.
for day, count in [(7, 3), (8, 6), (9, 4), (12, 1)]:
    for k in range(count):
        if k % 4 == 3:
            title, body = WITNESS_FR
            outlet = "quotidien-juridique"
        else:
            title, body = WITNESS[k % 2]
            outlet = rng.choice(["court-reporter", "world-justice-desk", "eastern-standard", "patriot-signal"])
        add(outlet, at(day), title, body, "witness-leak")

# Organic Mastodon chatter: people sharing ordinary articles at random times.
all_urls = [(url, story) for url, story in truth.items()]
for _ in range(150):
    url, story = rng.choice(all_urls)
    when = datetime.fromisoformat(url.split("/")[3] + "-" + url.split("/")[4] + "-" + url.split("/")[5] + "T00:00:00+00:00") + timedelta(hours=rng.uniform(1, 47))
    posts.append(dict(account=rng.choice(organic), when=min(when, ANCHOR), url=url, text="Worth reading on the ICCJ.", tags=["ICCJ"]))


def write_outlet(name):
    title, lang, fmt, site, _ = OUTLETS[name]
    corpus_feeds.write_outlet(HERE / "feeds" / name, title, lang, fmt, site, items[name], atom_lang=False)


def write_mastodon():
    statuses = []
    for i, post in enumerate(sorted(posts, key=lambda p: p["when"], reverse=True)):
        user, host = post["account"].split("@")
        number = 100000 + len(posts) - i
        # A post belongs to the story of the article it shares.
        truth[f"https://{host}/@{user}/{number}"] = truth[post["url"]]
        statuses.append({
            "id": str(number),
            "created_at": post["when"].strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "uri": f"https://{host}/users/{user}/statuses/{number}",
            "url": f"https://{host}/@{user}/{number}",
            "content": f'<p>{post["text"]} <a href="{post["url"]}">{post["url"]}</a></p>',
            "language": "en",
            "account": {"acct": post["account"], "display_name": user},
            "reblog": None,
            "tags": [{"name": t} for t in post["tags"]],
            "mentions": [],
            "reblogs_count": 0, "favourites_count": 0, "replies_count": 0,
        })
    (HERE / "feeds" / "mastodon-iccj.json").write_text(json.dumps(statuses, indent=1) + "\n", encoding="utf-8")


(HERE / "feeds").mkdir(exist_ok=True)
for old in (HERE / "feeds").iterdir():
    old.unlink()
for name in OUTLETS:
    write_outlet(name)
write_mastodon()
newest = max(max(e["when"] for e in entries) for entries in items.values() if entries)
newest = max(newest, max(p["when"] for p in posts))
seeded_start = {}
for entries in items.values():
    for e in entries:
        story = truth[e["url"]]
        if story in ("bribed-judge", "dropped-investigation", "witness-leak"):
            seeded_start[story] = min(seeded_start.get(story, e["when"]), e["when"])
(HERE / "truth.json").write_text(json.dumps({
    "about": "Ground truth of the scenario corpus, written by scenario/generate.py before Vigil reads it. "
             "Times are hours before the newest item (vigil shifts the corpus so that item is 20 minutes old).",
    "seeded": sorted(seeded_start),
    "seeded_start_hours_before_newest": {k: round((newest - v).total_seconds() / 3600, 2) for k, v in sorted(seeded_start.items())},
    "expected_events": [{"name": "Judgment in the Amun Valley case", "kind": "judgment", "story": "judgment-amun-valley",
                          "start_hours_before_newest": round((newest - JUDGMENT_START).total_seconds() / 3600, 2),
                          "end_hours_before_newest": round((newest - JUDGMENT_START - timedelta(hours=10)).total_seconds() / 3600, 2)}],
    "coordinated": coordinated,
    "documents": dict(sorted(truth.items())),
}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"{sum(len(v) for v in items.values())} articles in {len(OUTLETS)} feeds and {len(posts)} Mastodon posts written to {HERE / 'feeds'}")
