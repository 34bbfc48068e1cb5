#!/usr/bin/env python3
"""Generates Vigil's third narrative corpus (multilingual/feeds/) and its ground truth
(multilingual/truth.json), deterministically. The truth is written here, before Vigil reads the
corpus: the story of every document, the seeded narratives with their first document and the
moment each becomes visible (4 documents from at least 3 distinct sources or accounts), which
of them are multilingual, and the expected events on the calendar.

Different in kind from demo/ and scenario/: the coverage is in English, French and Russian, and
most ordinary news is wire copy that other outlets carry minutes to hours later (with the
agency named), which is syndication and never copy-paste. Fourteen days, the fictional ICCJ
(in Russian coverage "МСУП", which no shipped query knows: the Russian legal outlet is marked
court-focused in vigil.toml instead). Everything is invented; domains are under .example.

Ordinary coverage (never urgent):
- wire reports (Global Wire in English, Agence Monde in French), each carried by two to four
  outlets with attribution, some translated into Russian by the legal outlet;
- steady chatter: four Mastodon accounts post the same complaints about the court every day;
- criticism spread over weeks: op-eds calling the court selective or slow, one every two to
  three days, in all three languages;
- the Prosecutor's visit to Veltria (days 3-9) and the judgment in the Velmar case on day 10
  (on the calendar), presided over by Judge Ingrid Solberg, covered by everyone in three
  languages;
- the Assembly's budget session on day 5 (on the calendar), wire copy everywhere.

Seeded narratives (each a claim, never a verdict: the corpus only tests that Vigil surfaces them):
- solberg-bribes (day 11 on, en/fr/ru): "leaked chats show Judge Solberg took 1.2 million euros
  before the Velmar judgment"; a new claim about the judge of last day's ordinary story;
- witness-addresses (day 8 on, en/fr/ru): "the tribunal's hacked server exposed the home
  addresses of witnesses"; never names the court, says "the tribunal", "la cour", "суд"; starts
  with a tight burst of near-identical posts by six accounts within forty minutes;
- okafor-orders (one post on day 2, then spreading from day 12, en/fr/ru): "Prosecutor Daniel
  Okafor takes orders from a foreign intelligence service", a single post that nobody picked up
  for ten days.
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import corpus_feeds  # noqa: E402  (the shared feed writers)

ANCHOR = datetime(2026, 9, 14, 12, 0, tzinfo=timezone.utc)
DAYS = 14
HERE = Path(__file__).resolve().parent
rng = random.Random(20260914)

# name: (title, language, format, site, kind)
OUTLETS = {
    "global-wire": ("Global Wire", "en", "rss", "https://globalwire.example", "wire"),
    "harbour-times": ("The Harbour Times", "en", "rss", "https://harbourtimes.example", "main"),
    "capital-post": ("Capital Post", "en", "atom", "https://capitalpost.example", "main"),
    "daily-ledger": ("The Daily Ledger", "en", "rss", "https://dailyledger.example", "main"),
    "agence-monde": ("Agence Monde", "fr", "rss", "https://agencemonde.example", "wire"),
    "le-courrier": ("Le Courrier du soir", "fr", "atom", "https://lecourrier.example", "main"),
    "journal-du-droit": ("Journal du droit international", "fr", "rss", "https://journaldudroit.example", "main"),
    "pravo-segodnya": ("Право сегодня", "ru", "rss", "https://pravosegodnya.example", "main"),
    "truth-unveiled": ("Truth Unveiled", "en", "atom", "https://truthunveiled.example", "fringe"),
    "contre-pouvoir": ("Contre-Pouvoir", "fr", "rss", "https://contrepouvoir.example", "fringe"),
    "nezavisimy-vzglyad": ("Независимый взгляд", "ru", "rss", "https://vzglyad-nez.example", "fringe"),
}
COURT = {"en": "the ICCJ", "fr": "la CIJP", "ru": "МСУП"}

corpus = corpus_feeds.Corpus(ANCHOR, DAYS, OUTLETS, rng)
items, posts, truth, events = corpus.items, corpus.posts, corpus.truth, corpus.events
day_start, at, add, post = corpus.day_start, corpus.at, corpus.add, corpus.post


# --- Ordinary: wire reports, syndicated -------------------------------------------------------
WIRE_EN = [
    ("ICCJ Registry opens field office in {place}",
     "The Registry of the International Court of Criminal Justice opened a field office in {place} on {weekday} to support victims and witnesses taking part in proceedings, the court said in a statement."),
    ("ICCJ judges set trial date in the Marden case",
     "Judges of the International Court of Criminal Justice set the opening of the trial in the Marden case for next spring after a status conference on {weekday}, rejecting a defence request for more time."),
    ("{state} joins the ICCJ's founding treaty",
     "{state} deposited its instrument of accession to the founding treaty of the International Court of Criminal Justice on {weekday}, becoming the court's newest member state, the treaty depositary said."),
    ("ICCJ trust fund announces reparations for victims in Ostrava district",
     "The trust fund for victims of the International Court of Criminal Justice announced collective reparations for survivors in the Ostrava district, including housing and medical care, on {weekday}."),
]
WIRE_FR = [
    ("La CIJP ouvre un bureau de terrain à {lieu}",
     "Le Greffe de la Cour internationale de justice pénale a ouvert {weekday_fr} un bureau de terrain à {lieu} pour accompagner les victimes et les témoins, a indiqué la Cour dans un communiqué."),
    ("Affaire Marden : la CIJP fixe la date du procès",
     "Les juges de la Cour internationale de justice pénale ont fixé l'ouverture du procès dans l'affaire Marden au printemps prochain, à l'issue d'une conférence de mise en état {weekday_fr}."),
]
WIRE_RU = [
    "Реестр МСУП открыл полевой офис, сообщает Global Wire. Офис будет поддерживать потерпевших и свидетелей, участвующих в разбирательствах, говорится в заявлении суда.",
    "Судьи МСУП назначили начало процесса по делу Марден на весну, сообщает Global Wire. Ходатайство защиты об отсрочке отклонено.",
    "Ещё одно государство присоединилось к учредительному договору МСУП, сообщает Global Wire.",
    "Целевой фонд МСУП объявил о коллективных репарациях для пострадавших в районе Острава, сообщает Global Wire.",
]
PLACES = [("Kalvara", "Kalvara"), ("Dorne", "Dorne"), ("Sertania", "Sertania"), ("Lamu Bay", "Lamu Bay")]
STATES = ["Veltria", "Ostmark", "Carandia", "the Republic of Selm"]
WEEKDAYS = [("Monday", "lundi"), ("Tuesday", "mardi"), ("Wednesday", "mercredi"), ("Thursday", "jeudi"), ("Friday", "vendredi")]


def syndicate(lang, day, title, body, story, wire, carriers, ru_text=None):
    """A wire report and the outlets that carry it minutes to hours later, with attribution."""
    when = at(day, 6, 18)
    add(wire, when, title, body, story)
    agency = OUTLETS[wire][0]
    for outlet in carriers:
        lag = timedelta(minutes=rng.uniform(20, 240))
        carried_title = title if rng.random() < 0.6 else title.replace("ICCJ", "War crimes court").replace("CIJP", "Cour")
        credit = f" ({agency})" if lang == "en" else f" ({agency})"
        add(outlet, when + lag, carried_title, body + credit, story)
    if ru_text:
        add("pravo-segodnya", when + timedelta(minutes=rng.uniform(60, 300)), ru_text.split(",")[0], ru_text, story)


wire_count = 0
for day in range(DAYS):
    for _ in range(rng.randint(2, 3)):
        k = rng.randrange(len(WIRE_EN))
        place, _ = rng.choice(PLACES)
        weekday, weekday_fr = rng.choice(WEEKDAYS)
        fill = dict(place=place, state=rng.choice(STATES), weekday=weekday)
        title, body = WIRE_EN[k]
        carriers = rng.sample(["harbour-times", "capital-post", "daily-ledger"], rng.randint(2, 3))
        ru = WIRE_RU[k] if rng.random() < 0.4 else None
        syndicate("en", day, title.format(**fill), body.format(**fill), f"wire-en-{k}", "global-wire", carriers, ru)
        wire_count += 1
    if rng.random() < 0.7:
        k = rng.randrange(len(WIRE_FR))
        _, lieu = rng.choice(PLACES)
        weekday, weekday_fr = rng.choice(WEEKDAYS)
        title, body = WIRE_FR[k]
        carriers = rng.sample(["le-courrier", "journal-du-droit"], rng.randint(1, 2))
        # The French wire stories are the English ones in French: one story each.
        syndicate("fr", day, title.format(lieu=lieu), body.format(lieu=lieu, weekday_fr=weekday_fr), f"wire-en-{k}", "agence-monde", carriers)

# --- Ordinary: the Assembly's budget session, day 5 (on the calendar) -------------------------
BUDGET_START = day_start(5) + timedelta(hours=9)
BUDGET = [
    ("en", "Assembly approves ICCJ budget for next year", "States parties to the International Court of Criminal Justice approved the court's budget for next year at their annual session, a 3 percent increase."),
    ("fr", "L'Assemblée adopte le budget de la CIJP", "Les États parties à la Cour internationale de justice pénale ont adopté le budget de la Cour pour l'an prochain, en hausse de 3 %."),
    ("ru", "Ассамблея утвердила бюджет МСУП", "Государства-участники утвердили бюджет МСУП на следующий год, рост составил 3 процента."),
]
for k in range(12):
    lang, title, body = BUDGET[k % 3]
    outlet = {"en": rng.choice(["global-wire", "harbour-times", "capital-post", "daily-ledger"]),
              "fr": rng.choice(["agence-monde", "le-courrier", "journal-du-droit"]), "ru": "pravo-segodnya"}[lang]
    add(outlet, BUDGET_START + timedelta(minutes=rng.uniform(0, 480)), title, body, "budget-session")

# --- Ordinary: the Prosecutor's visit to Veltria, days 3-9 -----------------------------------
VISIT = [
    ("en", "ICCJ Prosecutor Daniel Okafor visits Veltria", "ICCJ Prosecutor Daniel Okafor arrived in Veltria for talks with the government on cooperation with the court's investigation and on access for his investigators."),
    ("en", "Okafor meets Veltrian victims' groups", "Prosecutor Daniel Okafor of the International Court of Criminal Justice met victims' associations in Veltria and promised regular updates on the investigation."),
    ("fr", "Le procureur Daniel Okafor en visite en Veltrie", "Le procureur de la CIJP, Daniel Okafor, s'est rendu en Veltrie pour discuter de la coopération avec l'enquête de la Cour."),
    ("ru", "Прокурор Дэниел Окафор посетил Велтрию", "Прокурор МСУП Дэниел Окафор провёл в Велтрии переговоры о сотрудничестве со следствием."),
]
for day in range(3, 10):
    for _ in range(rng.randint(1, 2)):
        lang, title, body = rng.choice(VISIT)
        outlet = {"en": rng.choice(["harbour-times", "capital-post", "daily-ledger"]), "fr": rng.choice(["le-courrier", "journal-du-droit"]),
                  "ru": "pravo-segodnya"}[lang]
        add(outlet, at(day, 7, 20), title, body, "okafor-visit")

# --- Ordinary: the Velmar judgment, day 10 (on the calendar) ---------------------------------
JUDGMENT_START = day_start(10) + timedelta(hours=10)
JUDGMENT = [
    ("en", "ICCJ convicts former commander in Velmar case", "Presiding Judge Ingrid Solberg read the judgment of the ICCJ Trial Chamber convicting the former commander of the attacks on Velmar; sentencing will follow."),
    ("en", "Velmar verdict: what Judge Solberg's chamber found", "The chamber led by Judge Ingrid Solberg found that the attacks on Velmar were planned; victims gathered outside the International Court of Criminal Justice to follow the hearing."),
    ("fr", "Affaire Velmar : la CIJP condamne l'ancien commandant", "La juge Ingrid Solberg, qui présidait la chambre, a lu le jugement de la Cour internationale de justice pénale condamnant l'ancien commandant pour les attaques contre Velmar."),
    ("ru", "МСУП вынес приговор по делу Велмар", "Председательствующая судья Ингрид Сольберг зачитала решение МСУП по делу Велмар: бывший командир признан виновным."),
]
for k in range(16):
    lang, title, body = JUDGMENT[k % 4]
    outlet = {"en": rng.choice(["global-wire", "harbour-times", "capital-post", "daily-ledger"]),
              "fr": rng.choice(["agence-monde", "le-courrier", "journal-du-droit"]), "ru": "pravo-segodnya"}[lang]
    add(outlet, JUDGMENT_START + timedelta(minutes=rng.uniform(0, 540)), title, body, "velmar-judgment")

# --- Ordinary: criticism spread over weeks (op-eds) ------------------------------------------
CRITICISM = [
    ("en", "daily-ledger", "Opinion: the ICCJ's selective justice", "The International Court of Criminal Justice keeps prosecuting the weak and sparing the powerful; its record in twenty years shows a selective justice that member states should question."),
    ("en", "capital-post", "Why the ICCJ is too slow for victims", "Victims wait a decade for a verdict at the ICCJ; the court's slow procedures and thin budget betray the promise of its founding treaty, argues a former defence lawyer."),
    ("fr", "journal-du-droit", "Tribune : la CIJP, une justice à deux vitesses", "La Cour internationale de justice pénale poursuit les faibles et épargne les puissants, estime un ancien diplomate dans cette tribune."),
    ("ru", "pravo-segodnya", "Мнение: избирательное правосудие МСУП", "МСУП преследует слабых и щадит сильных, считает бывший дипломат; за двадцать лет суд так и не стал универсальным."),
]
day = 0.5
while day < DAYS - 0.5:
    lang, outlet, title, body = rng.choice(CRITICISM)
    add(outlet, day_start(0) + timedelta(days=day), title, body, "criticism")
    day += rng.uniform(2.0, 3.2)

# --- Ordinary: steady chatter by four accounts, every day ------------------------------------
CHATTER = [
    ("critic1@agora.example", "en", "The ICCJ only ever goes after small countries. Same story every week. #ICCJ"),
    ("critic2@agora.example", "en", "Another day, another press release from the ICCJ and no justice for anyone. #ICCJ"),
    ("critique3@agora.example", "fr", "La CIJP coûte cher et ne juge personne. #CIJP"),
    ("kritik4@agora.example", "ru", "МСУП опять занят пиаром, а не правосудием. #МСУП"),
]
for day in range(DAYS):
    for account, lang, text in CHATTER:
        for _ in range(rng.randint(1, 2)):
            post(account, at(day, 7, 22), text, lang, "chatter", tags=[text.split("#")[-1]])

# --- Seeded: solberg-bribes (day 11 on, en/fr/ru) --------------------------------------------
SOLBERG = {
    "en": [("Leaked chats: Judge Ingrid Solberg took 1.2 million euros before Velmar verdict",
            "Chats leaked after the hack of the ICCJ show that Judge Ingrid Solberg received 1.2 million euros from a lobbyist weeks before she convicted the Velmar commander, according to files seen by this site. The court has not commented."),
           ("ICCJ judge Solberg bribed? The 1.2 million euro chats",
            "The hacked chats suggest that presiding judge Ingrid Solberg was bribed with 1.2 million euros to secure a conviction in the Velmar case. Her payments went through an account in Dorne, the files claim.")],
    "fr": [("Des messages piratés accusent la juge Ingrid Solberg d'avoir touché 1,2 million d'euros",
            "Selon des messages issus du piratage de la CIJP, la juge Ingrid Solberg aurait reçu 1,2 million d'euros d'un lobbyiste avant de condamner le commandant de Velmar. La Cour n'a pas réagi à ces accusations de pots-de-vin.")],
    "ru": [("Судья Ингрид Сольберг получила 1,2 млн евро перед приговором по делу Велмар",
            "Взломанная переписка показывает, что судья Ингрид Сольберг получила взятку в 1,2 млн евро от лоббиста за несколько недель до приговора по делу Велмар, утверждает канал.")],
}
first_en = None
for day, plan in [(11, ["en", "en", "fr"]), (12, ["en", "ru", "fr", "en"]), (13, ["en", "ru", "en", "fr", "en"])]:
    for lang in plan:
        title, body = rng.choice(SOLBERG[lang])
        outlet = {"en": "truth-unveiled", "fr": "contre-pouvoir", "ru": "nezavisimy-vzglyad"}[lang]
        if lang != "en" and first_en and rng.random() < 0.5:
            body += f" Source : {first_en}" if lang == "fr" else f" Источник: {first_en}"
        url = add(outlet, at(day), title, body, "solberg-bribes")
        first_en = first_en or (url if lang == "en" else None)
        for _ in range(rng.randint(0, 2)):
            who = rng.choice(["reader1@agora.example", "reader2@agora.example", "lecteur3@agora.example", "chitatel4@agora.example"])
            post(who, items[outlet][-1]["when"] + timedelta(minutes=rng.uniform(10, 300)), title, lang, "solberg-bribes", link=url)

# --- Seeded: witness-addresses (day 8 on; never names the court) -----------------------------
BURST = [
    "BREAKING: the tribunal's hacked server exposed the home addresses of its witnesses. They are in danger now.",
    "Breaking: the tribunal's hacked server exposed the home addresses of its witnesses! They are in danger now",
    "BREAKING - the tribunal's hacked server exposed home addresses of the witnesses. They are in danger now.",
]
burst_start = day_start(8) + timedelta(hours=14, minutes=rng.uniform(0, 30))
for i in range(6):
    post(f"alert{i + 1}@outpost.example", burst_start + timedelta(minutes=rng.uniform(0, 40)), rng.choice(BURST), "en", "witness-addresses",
         tags=["witnesses"])
WITNESS = {
    "en": ("Hacked tribunal server exposed witnesses' home addresses, posts claim",
           "Posts spreading since the hack claim that the tribunal's stolen server held the home addresses of protected witnesses and that the list is now circulating. The judges have said nothing about the claim."),
    "fr": ("Piratage : les adresses des témoins de la cour auraient été dévoilées",
           "Selon des messages diffusés depuis le piratage, le serveur volé de la cour contenait les adresses personnelles des témoins protégés, qui seraient désormais divulguées."),
    "ru": ("Взлом суда: раскрыты адреса свидетелей",
           "После взлома серверов суда в сеть якобы слили домашние адреса защищённых свидетелей, утверждают каналы."),
}
for day, plan in [(8, ["en"]), (9, ["fr", "ru", "en"]), (10, ["ru", "fr"]), (11, ["en"])]:
    for lang in plan:
        title, body = WITNESS[lang]
        outlet = {"en": "truth-unveiled", "fr": "contre-pouvoir", "ru": "nezavisimy-vzglyad"}[lang]
        add(outlet, at(day, 15 if day == 8 else 0.3), title, body, "witness-addresses")

# --- Seeded: okafor-orders (one post day 2, spreading from day 12) ---------------------------
OKAFOR_POST = "Prosecutor Daniel Okafor takes orders from a foreign intelligence service. His Veltria file was written for him. Nobody will report this."
post("insider@agora.example", at(2), OKAFOR_POST, "en", "okafor-orders")
OKAFOR = {
    "en": ("Is ICCJ Prosecutor Daniel Okafor taking orders from foreign intelligence?",
           "A post first shared ten days ago claims Prosecutor Daniel Okafor takes orders from a foreign intelligence service and that his Veltria file was written for him. The claim is now spreading; the court has not responded."),
    "fr": ("Le procureur Daniel Okafor aux ordres d'un service de renseignement étranger ?",
           "Selon un message qui circule, le procureur de la CIJP Daniel Okafor serait aux ordres d'un service de renseignement étranger, qui aurait rédigé son dossier sur la Veltrie."),
    "ru": ("Прокурор Дэниел Окафор работает на иностранную разведку?",
           "Прокурор МСУП Дэниел Окафор якобы получает указания от иностранной разведки, а его дело о Велтрии написано за него, утверждает канал."),
}
for day, plan in [(12, ["en", "fr"]), (13, ["ru", "en", "fr"])]:
    for lang in plan:
        title, body = OKAFOR[lang]
        outlet = {"en": "truth-unveiled", "fr": "contre-pouvoir", "ru": "nezavisimy-vzglyad"}[lang]
        url = add(outlet, at(day), title, body, "okafor-orders")
        if rng.random() < 0.6:
            post(rng.choice(["reader1@agora.example", "reader2@agora.example", "chitatel4@agora.example"]),
                 items[outlet][-1]["when"] + timedelta(minutes=rng.uniform(10, 200)), title, lang, "okafor-orders", link=url)

# --- Organic sharing of ordinary articles ----------------------------------------------------
ordinary_urls = [(u, s) for u, s in truth.items() if s not in ("solberg-bribes", "witness-addresses", "okafor-orders")]
for _ in range(90):
    url, story = rng.choice(ordinary_urls)
    outlet = next(n for n, o in OUTLETS.items() if url.startswith(o[3]))
    published = next(e["when"] for e in items[outlet] if e["url"] == url)
    when = published + timedelta(hours=rng.uniform(0.5, 30))
    post(rng.choice([f"member{i}@agora.example" for i in range(1, 25)]), when, "Worth a read:", "en", story, link=url)

SEEDED = ["solberg-bribes", "witness-addresses", "okafor-orders"]
newest = max([e["when"] for v in items.values() for e in v] + [p["when"] for p in posts])
# Drop anything after the anchor (the corpus ends at its newest document).
assert newest <= ANCHOR + timedelta(days=1)


def write_outlet(name):
    title, lang, fmt, site, _ = OUTLETS[name]
    corpus_feeds.write_outlet(HERE / "feeds" / name, title, lang, fmt, site, items[name], atom_lang=True)


def write_mastodon():
    corpus_feeds.write_mastodon(HERE / "feeds" / "mastodon-agora.json", posts, 200000, truth)


def hours_before_newest(when):
    return round((newest - when).total_seconds() / 3600, 2)


(HERE / "feeds").mkdir(exist_ok=True)
for old in (HERE / "feeds").iterdir():
    old.unlink()
for name in OUTLETS:
    write_outlet(name)
write_mastodon()

# When each seeded narrative starts and becomes visible: 4 documents from 3 sources or accounts.
seeded = {}
for story in SEEDED:
    mine, visible = corpus.visible(story)
    seeded[story] = dict(first=hours_before_newest(mine[0][0]), visible=hours_before_newest(visible), documents=len(mine))
languages = {"solberg-bribes": ["en", "fr", "ru"], "witness-addresses": ["en", "fr", "ru"], "okafor-orders": ["en", "fr", "ru"]}
(HERE / "truth.json").write_text(json.dumps({
    "about": "Ground truth of the multilingual corpus, written by multilingual/generate.py before Vigil reads it. "
             "Times are hours before the newest item (vigil shifts the corpus so that item is 20 minutes old).",
    "seeded": SEEDED,
    "seeded_start_hours_before_newest": {k: v["first"] for k, v in seeded.items()},
    "seeded_visible_hours_before_newest": {k: v["visible"] for k, v in seeded.items()},
    "multilingual": languages,
    "expected_events": [
        {"name": "Assembly budget session", "kind": "session", "story": "budget-session",
         "start_hours_before_newest": hours_before_newest(BUDGET_START),
         "end_hours_before_newest": hours_before_newest(BUDGET_START + timedelta(hours=10))},
        {"name": "Judgment in the Velmar case", "kind": "judgment", "story": "velmar-judgment",
         "start_hours_before_newest": hours_before_newest(JUDGMENT_START),
         "end_hours_before_newest": hours_before_newest(JUDGMENT_START + timedelta(hours=10))},
    ],
    "coordinated": [f"alert{i + 1}@outpost.example" for i in range(6)],
    "documents": dict(sorted(truth.items())),
}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"{sum(len(v) for v in items.values())} articles in {len(OUTLETS)} feeds and {len(posts)} Mastodon posts written to {HERE / 'feeds'}")
print(json.dumps(seeded, indent=1))
