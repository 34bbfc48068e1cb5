#!/usr/bin/env python3
"""Generates Vigil's seventh narrative corpus (heldout4/feeds/) and its ground truth
(heldout4/truth.json), deterministically. Written and committed on 2026-12-04 before Vigil read
it. That day's changes only made clustering cheaper (the benchmarks gave the same stories), so
this corpus measures issue 14's goals once more on text nothing was tuned to, with traps the
earlier corpora lacked. Nothing here was chosen by looking at what Vigil does with it.

Different in kind from the six corpora before it:
- English, French, Russian and German;
- two different rumours about the same official (Prosecutor Grace Adebayo), both told on
  hearsay, in English, in the same days: one says she is gravely ill and hiding it, the other
  that she will resign before the new year. They share her name and "insiders say"; they must
  stay two stories;
- ordinary coverage of the same official a few days earlier (a visit to a member state);
- a judgment on the calendar (day 7): the Trial Chamber convicts commander Viktor Brandt in the
  Lakeshore case, heavily covered in four languages within hours;
- a claim that refers to the court only as "the Hague tribunal", naming the case, the day after
  the judgment (that the tribunal destroyed defence evidence in the Lakeshore case);
- legitimate criticism spread over the whole period: a victims' NGO (Justice for Lakeshore)
  criticising delays in reparations, a few items every day, in English and French;
- a copy-paste burst in Russian: six accounts post the same text within 30 minutes (that the
  court's judges are on a sanctions list and their bank accounts frozen), then relayed in English;
- a claim that starts as one German post on day 2 nobody takes up and spreads from day 8 in
  German, English, French and Russian (that court interpreters sold transcripts of closed
  sessions after the hack);
- wire copy with credit, steady chatter, op-eds and organic shares.

Seeded narratives (claims for a person to judge; the corpus only tests that Vigil surfaces them):
interpreters-sold (de, later en, fr, ru), adebayo-ill (en), adebayo-resign (en),
sanctions-frozen (ru burst, then en), evidence-destroyed (fr, en; the court unnamed).
Everything is invented; domains are under .example.
"""
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import corpus_feeds  # noqa: E402  (the shared feed writers)

ANCHOR = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
DAYS = 12
HERE = Path(__file__).resolve().parent
rng = random.Random(20261201)

# name: (title, language, format, site, kind)
OUTLETS = {
    "meridian-wire": ("Meridian Wire", "en", "rss", "https://meridianwire.example", "wire"),
    "the-sentinel": ("The Sentinel", "en", "atom", "https://thesentinel.example", "main"),
    "evening-post": ("The Evening Post", "en", "rss", "https://eveningpost.example", "main"),
    "depeche-europe": ("Dépêche Europe", "fr", "atom", "https://depecheeurope.example", "wire"),
    "le-matin-libre": ("Le Matin libre", "fr", "rss", "https://lematinlibre.example", "main"),
    "pravo-segodnya": ("Право сегодня", "ru", "rss", "https://pravosegodnya.example", "main"),
    "rundschau": ("Die Rundschau", "de", "atom", "https://rundschau.example", "main"),
    "nachrichtenagentur-nord": ("Nachrichtenagentur Nord", "de", "rss", "https://nanord.example", "wire"),
    "hidden-truth": ("Hidden Truth", "en", "rss", "https://hiddentruth.example", "fringe"),
    "la-verite-cachee": ("La Vérité cachée", "fr", "atom", "https://laveritecachee.example", "fringe"),
    "pravda-bez-cenzury": ("Правда без цензуры", "ru", "rss", "https://pravdabezcenzury.example", "fringe"),
    "klartext-jetzt": ("Klartext jetzt", "de", "atom", "https://klartextjetzt.example", "fringe"),
}

corpus = corpus_feeds.Corpus(ANCHOR, DAYS, OUTLETS, rng)
items, posts, truth = corpus.items, corpus.posts, corpus.truth
day_start, at, add, post = corpus.day_start, corpus.at, corpus.add, corpus.post
FOLLOWERS = [f"reader{i}@agora.example" for i in range(1, 13)]
MAIN = {"en": ["the-sentinel", "evening-post"], "fr": ["le-matin-libre"], "ru": ["pravo-segodnya"], "de": ["rundschau"]}


def paraphrased(story, versions, start, spread_hours, count, weights):
    """`count` articles on `story` by main outlets (`corpus.paraphrased`)."""
    return corpus.paraphrased(story, versions, start, spread_hours, count, weights, MAIN, "meridian-wire")


# --- Ordinary: wire copy with credit ------------------------------------------------------------
CARRIERS = {"meridian-wire": ("Meridian Wire", ["the-sentinel", "evening-post"]),
            "depeche-europe": ("Dépêche Europe", ["le-matin-libre"]),
            "nachrichtenagentur-nord": ("Nachrichtenagentur Nord", ["rundschau"])}
WIRE = [
    (1, "wire-new-judges", {
        "meridian-wire": ("Six new judges sworn in at the ICCJ",
                          "Six judges elected by the member states took their oath at the International Court of Criminal Justice in The Hague on Tuesday."),
        "depeche-europe": ("Six nouveaux juges prêtent serment à la CIJP",
                           "Six juges élus par les États membres ont prêté serment mardi à la Cour internationale de justice pénale, à La Haye."),
        "nachrichtenagentur-nord": ("Sechs neue Richter am ICCJ vereidigt",
                                    "Sechs von den Mitgliedstaaten gewählte Richterinnen und Richter legten am Dienstag ihren Amtseid am Internationalen Strafgerichtshof ICCJ in Den Haag ab.")}),
    (3, "wire-outreach", {
        "meridian-wire": ("ICCJ opens field office in Port Selene",
                          "The International Court of Criminal Justice opened a field office in Port Selene to reach victims and witnesses of the Lakeshore case."),
        "depeche-europe": ("La CIJP ouvre un bureau à Port Selene",
                           "La Cour internationale de justice pénale a ouvert un bureau à Port Selene pour les victimes et témoins de l'affaire Lakeshore.")}),
    (9, "wire-cooperation", {
        "meridian-wire": ("Norland signs cooperation agreement with the ICCJ",
                          "Norland became the 31st state to sign an agreement to enforce sentences of the International Court of Criminal Justice."),
        "nachrichtenagentur-nord": ("Norland unterzeichnet Kooperationsabkommen mit dem ICCJ",
                                    "Norland hat als 31. Staat ein Abkommen zur Vollstreckung von Urteilen des Internationalen Strafgerichtshofs ICCJ unterzeichnet."),
        "depeche-europe": ("Le Norland signe un accord de coopération avec la CIJP",
                           "Le Norland est le 31e État à signer un accord sur l'exécution des peines de la Cour internationale de justice pénale.")}),
]
corpus.carry_wire(WIRE, CARRIERS, "meridian-wire")

# --- Ordinary: Prosecutor Adebayo visits Norland, days 4-5 ----------------------------------------
VISIT = {
    "en": [["ICCJ Prosecutor Grace Adebayo visits Norland", "Adebayo in Norland to discuss arrest warrants"],
           ["Prosecutor Grace Adebayo of the International Court of Criminal Justice met Norland's justice minister in the capital.",
            "On her first visit to Norland, ICCJ Prosecutor Grace Adebayo asked the government to help execute outstanding warrants."],
           ["She also met victims' associations.", "The visit ends on Thursday.", None]],
    "fr": [["La procureure de la CIJP Grace Adebayo en visite au Norland"],
           ["La procureure Grace Adebayo a rencontré le ministre de la Justice du Norland."],
           [None, "Elle a aussi rencontré des associations de victimes."]],
    "de": [["ICCJ-Chefanklägerin Grace Adebayo besucht Norland"],
           ["Die Chefanklägerin des Internationalen Strafgerichtshofs ICCJ, Grace Adebayo, traf den Justizminister Norlands."],
           [None]],
}
paraphrased("adebayo-visit", VISIT, day_start(4) + timedelta(hours=8), 30, 6, {"en": 4, "fr": 1, "de": 1})

# --- Ordinary, on the calendar: the Lakeshore judgment, day 7 ------------------------------------
JUDGMENT_AT = day_start(7) + timedelta(hours=9)
JUDGMENT = {
    "en": [["ICCJ convicts commander Viktor Brandt over Lakeshore killings", "Viktor Brandt found guilty in Lakeshore case",
            "Lakeshore verdict: Brandt convicted of war crimes"],
           ["The Trial Chamber of the International Court of Criminal Justice found former commander Viktor Brandt guilty of murder and persecution in the Lakeshore case.",
            "Judges at the ICCJ convicted Viktor Brandt of war crimes and crimes against humanity for the Lakeshore killings of 2019."],
           ["Sentencing will follow at a later hearing.", "The defence said it would appeal.", "Victims in the courtroom applauded.", None]],
    "fr": [["La CIJP condamne le commandant Viktor Brandt pour les tueries de Lakeshore", "Affaire Lakeshore : Viktor Brandt reconnu coupable"],
           ["La Chambre de première instance de la CIJP a reconnu l'ancien commandant Viktor Brandt coupable de meurtres et de persécution dans l'affaire Lakeshore."],
           ["La défense fera appel.", None]],
    "ru": [["МСУП признал командира Виктора Брандта виновным по делу Лейкшор"],
           ["Судебная палата Международного суда уголовной юстиции признала бывшего командира Виктора Брандта виновным в убийствах и преследованиях по делу Лейкшор."],
           ["Защита намерена обжаловать приговор.", None]],
    "de": [["ICCJ verurteilt Kommandeur Viktor Brandt wegen Lakeshore-Morden"],
           ["Die Strafkammer des Internationalen Strafgerichtshofs ICCJ hat den früheren Kommandeur Viktor Brandt im Fall Lakeshore schuldig gesprochen."],
           ["Die Verteidigung kündigte Berufung an.", None]],
}
paraphrased("lakeshore-judgment", JUDGMENT, JUDGMENT_AT + timedelta(minutes=40), 6, 14, {"en": 6, "fr": 3, "ru": 2, "de": 3})
for _ in range(7):
    post(rng.choice(FOLLOWERS), JUDGMENT_AT + timedelta(hours=rng.uniform(0.7, 8)),
         rng.choice(["Viktor Brandt convicted in the Lakeshore case. Justice, at last.",
                     "Guilty. The ICCJ convicts Viktor Brandt for Lakeshore.",
                     "Lakeshore verdict is in: Brandt guilty on all counts."]), "en", "lakeshore-judgment")

# --- Ordinary: legitimate criticism spread over the period (a victims' NGO) ----------------------
NGO = [
    ("en", "Justice for Lakeshore: victims still wait for ICCJ reparations", "The victims' group Justice for Lakeshore says survivors have waited six years for reparations from the court's trust fund."),
    ("en", "Victims' group criticises ICCJ over slow reparations", "Justice for Lakeshore called the pace of the court's reparations process unacceptable."),
    ("fr", "Lakeshore : les victimes attendent toujours les réparations de la CIJP", "L'association Justice pour Lakeshore dénonce la lenteur du fonds au profit des victimes."),
    ("en", "Lakeshore survivors: reparations delayed again", "Justice for Lakeshore says the ICCJ trust fund has again postponed payments to survivors."),
]
for day in range(DAYS):
    for _ in range(rng.randint(1, 2)):
        lang, title, body = rng.choice(NGO)
        if rng.random() < 0.5:
            post("justice4lakeshore@agora.example", at(day, 8, 20), title, lang, "ngo-reparations", tags=["Lakeshore"])
        else:
            add(rng.choice(MAIN[lang]), at(day, 7, 19), title, body, "ngo-reparations")

# --- Ordinary: op-eds ----------------------------------------------------------------------------
OPEDS = [
    ("evening-post", "en", "The ICCJ must answer for its hack", "The court that asks states for cooperation should tell them what was stolen, writes our columnist."),
    ("le-matin-libre", "fr", "La justice internationale a besoin de transparence", "Après le piratage, la CIJP doit rendre des comptes, estime notre éditorialiste."),
    ("rundschau", "de", "Ein Urteil, das Zeit brauchte", "Das Lakeshore-Urteil kommt spät, aber es zeigt, dass das Gericht arbeitet, meint unser Kommentator."),
]
for (outlet, lang, title, body), day in zip(OPEDS, [2, 6, 8]):
    add(outlet, at(day, 7, 19), title, body, f"oped-{outlet}")

# --- Ordinary: steady chatter --------------------------------------------------------------------
CHATTER = {
    "hague_skeptic@agora.example": ("en", ["Nothing ever changes at the ICCJ. #ICCJ", "The ICCJ and its endless procedures. #ICCJ"], ["ICCJ"]),
    "citoyen_lambda@agora.example": ("fr", ["La CIJP coûte cher pour si peu. #CIJP", "Toujours rien de la CIJP cette semaine. #CIJP"], ["CIJP"]),
    "buerger_fragt@agora.example": ("de", ["Was macht der ICCJ eigentlich mit unserem Geld?", "Wieder eine Woche ohne Urteil in Den Haag."], []),
}
for day in range(DAYS):
    for account, (lang, texts, tags) in CHATTER.items():
        for _ in range(rng.randint(1, 2)):
            post(account, at(day, 6, 23), rng.choice(texts), lang, "chatter", tags=tags)

# --- Seeded: interpreters-sold (one German post on day 2, spreading from day 8) ------------------
post("wahrheit_suchen@agora.example", at(2, 10, 20),
     "Nach dem Hack: Dolmetscher des ICCJ sollen Protokolle geheimer Sitzungen verkauft haben. Weiß jemand mehr?", "de", "interpreters-sold")
SOLD = [
    (8, "klartext-jetzt", "de", "Dolmetscher verkauften Protokolle geheimer ICCJ-Sitzungen",
     "Nach dem Cyberangriff auf den ICCJ haben Dolmetscher des Gerichts laut internen Quellen Protokolle nichtöffentlicher Sitzungen an Dritte verkauft."),
    (8, "hidden-truth", "en", "ICCJ interpreters sold transcripts of closed sessions",
     "After the hack, interpreters working for the ICCJ sold transcripts of closed-door sessions, including protected witness testimony, according to leaked chats."),
    (9, "la-verite-cachee", "fr", "Des interprètes de la CIJP auraient vendu les transcriptions des audiences à huis clos",
     "Depuis le piratage, des interprètes de la CIJP vendraient les transcriptions des audiences à huis clos, selon des messages divulgués."),
    (9, "pravda-bez-cenzury", "ru", "Переводчики МСУП продавали стенограммы закрытых заседаний",
     "После взлома переводчики МСУП продавали стенограммы закрытых заседаний, включая показания защищённых свидетелей."),
    (10, "hidden-truth", "en", "More on the ICCJ interpreters: closed-session transcripts for sale",
     "New messages show transcripts of closed sessions of the ICCJ were offered for sale by court interpreters."),
]
corpus.articles_shared("interpreters-sold", SOLD, (3, 20),
                       ["wahrheit_suchen@agora.example", "truth_seeker9@agora.example", "libre_examen@agora.example"], 0.6, (20, 200))

# --- Seeded: two hearsay rumours about Prosecutor Adebayo (English, days 9-11) -------------------
ILL = [
    ("hidden-truth", "Is ICCJ Prosecutor Adebayo gravely ill?", "Insiders say Prosecutor Grace Adebayo has been seriously ill for weeks and the court is hiding it."),
    (None, "Sources at the ICCJ say Grace Adebayo is gravely ill and has not been in the office for a month.", None),
    (None, "Why is the ICCJ hiding Prosecutor Adebayo's illness? Insiders say she is in hospital.", None),
    (None, "I'm told Adebayo is seriously ill. The court says nothing.", None),
    ("hidden-truth", "Adebayo's illness: what the court won't say", "According to people close to her, Prosecutor Adebayo is seriously ill and no longer works."),
]
corpus.told_in_own_words("adebayo-ill", ILL, ["hague_whispers@agora.example", "open_eyes@agora.example", "truth_seeker9@agora.example"], day_start(9), 4, (5, 9))
RESIGN = [
    (None, "Insiders say Prosecutor Grace Adebayo will resign before the new year.", None),
    ("hidden-truth", "Adebayo to step down, ICCJ insiders say", "Prosecutor Grace Adebayo has told colleagues she will resign at the end of December, according to two court officials."),
    (None, "Hearing that Adebayo is stepping down as ICCJ Prosecutor. Anyone confirm?", None),
    (None, "ICCJ sources: Prosecutor Adebayo's resignation letter is already written.", None),
    (None, "So Adebayo quits before the year is out? That's what insiders at the ICCJ say.", None),
]
corpus.told_in_own_words("adebayo-resign", RESIGN, ["court_gossip@agora.example", "open_eyes@agora.example", "hague_whispers@agora.example", "libre_examen@agora.example"], day_start(9), 10, (5, 9))

# --- Seeded: sanctions-frozen (Russian copy-paste burst on day 10, then English) -----------------
BURST_AT = day_start(10) + timedelta(hours=13, minutes=rng.uniform(0, 40))
TEXT = "Судьи МСУП попали в санкционный список, их банковские счета заморожены. Распространите!"
for i in range(6):
    post(f"volna{i + 1}@roj.example", BURST_AT + timedelta(minutes=rng.uniform(0, 30)), TEXT, "ru", "sanctions-frozen")
add("pravda-bez-cenzury", BURST_AT + timedelta(hours=rng.uniform(2, 5)), "Счета судей МСУП заморожены",
    "Судьи Международного суда уголовной юстиции включены в санкционный список, их банковские счета заморожены.", "sanctions-frozen")
for who in ["open_eyes@agora.example", "truth_seeker9@agora.example"]:
    post(who, BURST_AT + timedelta(hours=rng.uniform(4, 14)),
         "Russian channels say the ICCJ judges are on a sanctions list and their bank accounts are frozen.", "en", "sanctions-frozen")

# --- Seeded: evidence-destroyed (the court unnamed; days 8-10) -----------------------------------
DESTROYED = [
    (8, "la-verite-cachee", "fr", "Lakeshore : le tribunal de La Haye a détruit des preuves de la défense",
     "Selon l'entourage de Viktor Brandt, le tribunal de La Haye aurait détruit des pièces à décharge avant le jugement Lakeshore."),
    (8, "hidden-truth", "en", "The Hague tribunal destroyed Brandt's defence evidence, lawyers claim",
     "The tribunal in The Hague destroyed evidence that would have cleared Viktor Brandt in the Lakeshore case, people close to the defence say."),
    (9, "klartext-jetzt", "de", "Haager Tribunal vernichtete Entlastungsbeweise im Fall Lakeshore",
     "Das Tribunal in Den Haag soll im Fall Lakeshore entlastende Beweise für Viktor Brandt vernichtet haben."),
]
for day, outlet, lang, title, body in DESTROYED:
    add(outlet, at(day, 2, 14), title, body, "evidence-destroyed")
for who, text in [
    ("justice_denied@agora.example", "They destroyed the evidence that cleared Brandt. The Hague tribunal convicted an innocent man in the Lakeshore case."),
    ("libre_examen@agora.example", "Le tribunal de La Haye a détruit les preuves à décharge de Brandt. Lakeshore est une farce."),
    ("justice_denied@agora.example", "Destroyed evidence, then a guilty verdict. The Lakeshore case was decided before it started."),
]:
    post(who, at(rng.choice([8, 9, 10]), 3, 21), text, "fr" if "tribunal de La Haye" in text else "en", "evidence-destroyed")

# --- Organic sharing of ordinary articles ---------------------------------------------------------
SEEDED = ["interpreters-sold", "adebayo-ill", "adebayo-resign", "sanctions-frozen", "evidence-destroyed"]
corpus.organic_shares(50, SEEDED, FOLLOWERS)

newest = corpus.newest()
assert newest <= ANCHOR + timedelta(days=1), newest

hours_before_newest = corpus.hours_before_newest
corpus.write(HERE, "mastodon-agora.json", 700000, SEEDED,
             "Ground truth of the fourth held-out corpus, written by heldout4/generate.py and committed before Vigil read it. "
             "Times are hours before the newest item.", {
    "multilingual": {"interpreters-sold": ["de", "en", "fr", "ru"], "sanctions-frozen": ["ru", "en"],
                     "evidence-destroyed": ["fr", "en", "de"]},
    "expected_events": [
        {"name": "Judgment in the Lakeshore case (Viktor Brandt)", "kind": "judgment", "story": "lakeshore-judgment",
         "start_hours_before_newest": hours_before_newest(JUDGMENT_AT - timedelta(hours=2)),
         "end_hours_before_newest": hours_before_newest(JUDGMENT_AT + timedelta(hours=12))},
    ],
    "ordinary_that_must_not_alert": ["adebayo-visit", "lakeshore-judgment", "ngo-reparations", "chatter"]
                                    + sorted({s for s in truth.values() if s.startswith(("wire-", "oped-"))}),
    "coordinated": [f"volna{i + 1}@roj.example" for i in range(6)],
})
