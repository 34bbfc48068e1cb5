#!/usr/bin/env python3
"""Generates Vigil's eleventh narrative corpus (heldout8/feeds/) and its ground truth
(heldout8/truth.json), deterministically. Written and committed on 2026-12-05 before Vigil read
it, to measure afresh what that day changed: small stories regrouped with the story they meet
once it has grown, hearsay told in reported speech (the French and Spanish conditional, the
German "soll … haben", "I'm told", "people close to"), the court's names in Russian and Arabic,
and Arabic in the concept glossary. Nothing here was chosen by looking at what Vigil does with
it.

Different in kind from the ten corpora before it:
- six languages: English, French, German, Spanish, Russian and Arabic; the court's own press
  feed (official);
- ordinary wire copy that uses reported speech itself: a state is negotiating to enforce the
  court's sentences "according to people close to the talks" (day 3), carried by clients;
- ordinary French criticism in the conditional of regret ("la Cour aurait dû…") and German
  scheduling in "soll" ("die Anhörung soll drei Tage dauern");
- the court's own statement that its systems are restored after the cyber-attack (day 5),
  which matches the cyber-attack claim, covered in three languages;
- a hearing on the calendar (day 8) covered in four languages, Arabic among them;
- a hack-and-leak claim that starts in German in reported speech (day 7) and spreads in French,
  Spanish and English (that judges received secret bonuses from a donor state);
- a claim that starts in Arabic (day 9): a protected witness in the Red Hills case was killed
  after the hack exposed him; relayed in English and French;
- a rumour told in five voices' own words with "I'm told" and "word is" (day 10): that the
  Prosecutor agreed to drop the Red Hills charges in exchange for a state's cooperation (the
  state is the one of the ordinary wire story of day 3);
- a Russian copy-paste burst naming the court only as МСУП (day 11): a secret arrest warrant
  for a head of state, then an English relay;
- a claim told by accounts and one fringe site in their own words, without hearsay and without
  a query that anticipates it (day 8, the hearing's day): that the court closed its field
  office and abandoned the victims;
- steady chatter in English, Arabic and Russian; organic shares.

Seeded narratives (claims for a person to judge; the corpus only tests that Vigil surfaces them):
judges-bonuses (de, fr, es, en), witness-killed (ar, en, fr), prosecutor-deal (en, es),
fake-warrant (ru burst, en), office-closed (en). Everything is invented; domains are under
.example.
"""
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import corpus_feeds  # noqa: E402  (the shared feed writers)

ANCHOR = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
DAYS = 12
HERE = Path(__file__).resolve().parent
rng = random.Random(20261122)

# name: (title, language, format, site, kind)
OUTLETS = {
    "iccj-media": ("ICCJ Media Centre", "en", "rss", "https://media.iccj.example", "official"),
    "global-news-wire": ("Global News Wire", "en", "rss", "https://globalnewswire.example", "wire"),
    "the-chronicle": ("The Chronicle", "en", "atom", "https://thechronicle.example", "main"),
    "daily-courier": ("Daily Courier", "en", "rss", "https://dailycourier.example", "main"),
    "le-journal-judiciaire": ("Le Journal judiciaire", "fr", "atom", "https://journaljudiciaire.example", "main"),
    "rechtszeitung": ("Rechtszeitung", "de", "rss", "https://rechtszeitung.example", "main"),
    "diario-justicia": ("Diario Justicia", "es", "rss", "https://diariojusticia.example", "main"),
    "pravo-segodnya": ("Право сегодня", "ru", "rss", "https://pravosegodnya.example", "main"),
    "al-qanun-today": ("القانون اليوم", "ar", "rss", "https://alqanuntoday.example", "main"),
    "deep-truth": ("Deep Truth", "en", "rss", "https://deeptruth.example", "fringe"),
    "verite-interdite": ("Vérité interdite", "fr", "atom", "https://veriteinterdite.example", "fringe"),
    "wahrheit-jetzt": ("Wahrheit jetzt", "de", "rss", "https://wahrheitjetzt.example", "fringe"),
    "ojo-critico": ("Ojo Crítico", "es", "rss", "https://ojocritico.example", "fringe"),
    "nashe-delo": ("Наше дело", "ru", "rss", "https://nashedelo.example", "fringe"),
    "sada-al-watan": ("صدى الوطن", "ar", "rss", "https://sadaalwatan.example", "fringe"),
}

corpus = corpus_feeds.Corpus(ANCHOR, DAYS, OUTLETS, rng)
items, posts, truth = corpus.items, corpus.posts, corpus.truth
day_start, at, add, post = corpus.day_start, corpus.at, corpus.add, corpus.post
FOLLOWERS = [f"member{i}@forum.example" for i in range(1, 13)]
MAIN = {"en": ["the-chronicle", "daily-courier"], "fr": ["le-journal-judiciaire"], "de": ["rechtszeitung"],
        "es": ["diario-justicia"], "ru": ["pravo-segodnya"], "ar": ["al-qanun-today"]}


def paraphrased(story, versions, start, spread_hours, count, weights):
    """`count` articles on `story` by main outlets (`corpus.paraphrased`)."""
    return corpus.paraphrased(story, versions, start, spread_hours, count, weights, MAIN, "global-news-wire")


# --- Ordinary: wire copy with credit, one of them in reported speech -----------------------------
CARRIERS = {"global-news-wire": ("Global News Wire", ["the-chronicle", "daily-courier"])}
WIRE = [
    (3, "wire-enforcement-talks", {"global-news-wire": (
        "Meridia in talks to enforce ICCJ sentences",
        "Meridia is negotiating an agreement to enforce prison sentences handed down by the International Court of Criminal Justice, according to people close to the talks.")}),
    (6, "wire-budget", {"global-news-wire": (
        "ICCJ asks states for a 4 per cent budget increase",
        "The International Court of Criminal Justice asked its member states for a budget increase of 4 per cent for next year.")}),
]
corpus.carry_wire(WIRE, CARRIERS, "global-news-wire")

# --- Ordinary, the court's own news: systems restored after the cyber-attack (day 5) -------------
RESTORED_AT = day_start(5) + timedelta(hours=9, minutes=rng.uniform(0, 30))
add("iccj-media", RESTORED_AT, "Court systems restored after the cyber-attack",
    "The court has restored its information systems after the cyber-attack. No data on protected witnesses was accessed, the forensic review found.", "systems-restored")
RESTORED = {
    "en": [["ICCJ says systems restored after cyber-attack", "ICCJ back online after hack, says witness data safe"],
           ["The International Court of Criminal Justice said its information systems were restored after the cyber-attack and that no data on protected witnesses was accessed.",
            "The ICCJ said a forensic review of the cyber-attack found no access to data on protected witnesses; its systems are restored."],
           ["Hearings resume next week.", None]],
    "fr": [["La CIJP annonce le rétablissement de ses systèmes après la cyberattaque"],
           ["La Cour internationale de justice pénale a rétabli ses systèmes informatiques ; aucune donnée sur les témoins protégés n'a été consultée, selon la Cour."], [None]],
    "ru": [["МСУП восстановил свои системы после кибератаки"],
           ["Международный суд уголовной юстиции сообщил, что восстановил информационные системы после кибератаки и что данные о защищённых свидетелях не пострадали."], [None]],
}
paraphrased("systems-restored", RESTORED, RESTORED_AT + timedelta(minutes=30), 8, 9, {"en": 5, "fr": 2, "ru": 2})

# --- Ordinary, on the calendar: a confirmation of charges hearing (day 8) ------------------------
HEARING_AT = day_start(8) + timedelta(hours=9)
HEARING = {
    "en": [["ICCJ opens hearing on charges against Tarek Almansour", "Red Hills case: Almansour charges hearing opens"],
           ["Judges of the ICCJ opened the hearing on the confirmation of charges against militia commander Tarek Almansour in the Red Hills case."],
           ["The hearing is expected to last three days.", None]],
    "fr": [["Affaire des Collines rouges : ouverture de l'audience de confirmation des charges contre Tarek Almansour"],
           ["La CIJP a ouvert l'audience de confirmation des charges contre le commandant de milice Tarek Almansour."], [None]],
    "de": [["Anhörung zu den Anklagepunkten gegen Tarek Almansour eröffnet"],
           ["Der Internationale Gerichtshof für Strafjustiz hat die Anhörung zur Bestätigung der Anklage gegen den Milizkommandeur Tarek Almansour eröffnet. Die Anhörung soll drei Tage dauern."], [None]],
    "ar": [["المحكمة الدولية للعدالة الجنائية تفتح جلسة اعتماد التهم ضد طارق المنصور"],
           ["افتتحت المحكمة الدولية للعدالة الجنائية جلسة اعتماد التهم ضد قائد الميليشيا طارق المنصور في قضية التلال الحمراء."], [None]],
}
paraphrased("red-hills-hearing", HEARING, HEARING_AT + timedelta(minutes=20), 6, 11, {"en": 5, "fr": 2, "de": 2, "ar": 2})

# --- Ordinary: criticism in the conditional of regret, and chatter --------------------------------
for day in range(0, DAYS, 2):
    outlet, lang, title, body = rng.choice([
        ("le-journal-judiciaire", "fr", "Tribune : la CIJP aurait dû protéger ses systèmes", "Un ancien greffier estime que la Cour aurait dû investir plus tôt dans sa sécurité informatique."),
        ("rechtszeitung", "de", "Kommentar: Der Gerichtshof hätte schneller handeln müssen", "Ein Völkerrechtler kritisiert die langsamen Verfahren des ICCJ."),
        ("the-chronicle", "en", "Opinion: the ICCJ should have acted sooner", "A former judge argues the court should have acted sooner on the Red Hills case."),
    ])
    add(outlet, at(day, 7, 20), title, body, "criticism")
CHATTER = {
    "court_watcher_uk@forum.example": ("en", ["Quiet day at the ICCJ. #ICCJ", "Still waiting on the ICCJ. #ICCJ"], ["ICCJ"]),
    "adala_observer@forum.example": ("ar", ["لا جديد من المحكمة الدولية للعدالة الجنائية.", "المحكمة الدولية للعدالة الجنائية صامتة مرة أخرى."], []),
    "gaaga_segodnya@forum.example": ("ru", ["МСУП опять молчит.", "Неделя без новостей из МСУП."], []),
}
for day in range(DAYS):
    for account, (lang, texts, tags) in CHATTER.items():
        for _ in range(rng.randint(1, 2)):
            post(account, at(day, 6, 23), rng.choice(texts), lang, "chatter", tags=tags)

# --- Seeded: judges-bonuses (German reported speech on day 7, then fr, es, en) --------------------
BONUSES = [
    (7, "wahrheit-jetzt", "de", "Geleakte Gehaltslisten: ICCJ-Richter sollen geheime Prämien erhalten haben",
     "Richter des ICCJ sollen von einem Geberstaat geheime Prämien erhalten haben, wie nach dem Hack geleakte Gehaltslisten zeigen."),
    (8, "verite-interdite", "fr", "Des juges de la CIJP auraient touché des primes secrètes d'un État donateur",
     "Selon des fiches de paie divulguées après le piratage, des juges de la CIJP auraient reçu des primes secrètes versées par un État donateur."),
    (8, "ojo-critico", "es", "Jueces de la CIJP habrían cobrado primas secretas de un Estado donante",
     "Según nóminas filtradas tras el hackeo, jueces de la CIJP habrían recibido primas secretas de un Estado donante."),
    (9, "deep-truth", "en", "Leaked payroll: ICCJ judges took secret bonuses from a donor state",
     "Payroll files leaked after the hack show judges of the ICCJ received secret bonuses paid by a donor state."),
]
corpus.articles_shared("judges-bonuses", BONUSES, (4, 20),
                       ["member3@forum.example", "truth_digger@forum.example", "libre_penseur@forum.example"], 0.6, (20, 200))
post("truth_digger@forum.example", at(9, 12, 22), "Secret bonuses for ICCJ judges from a donor state. The payroll leak says it all.", "en", "judges-bonuses")

# --- Seeded: witness-killed (Arabic origin, day 9; relayed in English and French) -----------------
KILLED_AT = day_start(9) + timedelta(hours=16, minutes=rng.uniform(0, 30))
add("sada-al-watan", KILLED_AT, "مقتل شاهد محمي في قضية التلال الحمراء بعد أن كشف الاختراق هويته",
    "قُتل شاهد محمي في قضية التلال الحمراء بعد أن كشف اختراق المحكمة الدولية للعدالة الجنائية اسمه وعنوانه، حسب مصادر محلية.", "witness-killed")
for who, hours, text in [
    ("sawt_alhaq@forum.example", 1.5, "شاهد محمي في قضية التلال الحمراء قُتل بعد تسريب اسمه من المحكمة الدولية للعدالة الجنائية."),
    ("nabd_alshaab@forum.example", 3, "اختراق المحكمة كشف هوية الشهود، والآن قُتل أحدهم. من يحمي الشهود؟"),
]:
    post(who, KILLED_AT + timedelta(hours=hours + rng.uniform(0, 0.5)), text, "ar", "witness-killed")
for who, hours, text, lang in [
    ("mideast_monitor@forum.example", 6, "Arabic outlets report a protected ICCJ witness in the Red Hills case was killed after the hack exposed his name and address.", "en"),
    ("open_eyes_fr@forum.example", 9, "Un témoin protégé de l'affaire des Collines rouges aurait été tué après que le piratage de la CIJP a révélé son identité.", "fr"),
]:
    post(who, KILLED_AT + timedelta(hours=hours + rng.uniform(0, 1)), text, lang, "witness-killed")

# --- Seeded: prosecutor-deal (five voices, own words, day 10) -------------------------------------
DEAL = [
    (None, "I'm told the ICCJ Prosecutor agreed to drop the Red Hills charges in exchange for Meridia's cooperation.", None),
    (None, "Word is that the Prosecutor made a deal with Meridia: the Red Hills case goes away, Meridia enforces ICCJ sentences.", None),
    ("ojo-critico", "La Fiscal de la CIJP habría pactado con Meridia retirar los cargos del caso Colinas Rojas",
     "La Fiscal de la CIJP habría aceptado retirar los cargos del caso Colinas Rojas a cambio de la cooperación de Meridia."),
    (None, "So the Red Hills charges were traded for a Meridia deal? I'm hearing the ICCJ Prosecutor signed off on it.", None),
    (None, "Dropping Red Hills to please Meridia. If true, the ICCJ Prosecutor has some explaining to do.", None),
]
corpus.told_in_own_words("prosecutor-deal", DEAL, ["insider_view@forum.example", "hague_notes@forum.example",
                                                   "justice_first@forum.example", "member7@forum.example"],
                         day_start(10), 6, (1, 4))

# --- Seeded: fake-warrant (Russian copy-paste burst, day 11, the court only as МСУП) -------------
BURST_AT = day_start(11) + timedelta(hours=7, minutes=rng.uniform(0, 30))
TEXT = "МСУП тайно выдал ордер на арест президента Мериды. Документ у нас. Распространяйте!"
for i in range(5):
    post(f"signal{i + 1}@roj.example", BURST_AT + timedelta(minutes=rng.uniform(0, 30)), TEXT, "ru", "fake-warrant")
add("nashe-delo", BURST_AT + timedelta(hours=rng.uniform(1, 3)), "МСУП выдал секретный ордер на арест президента Мериды",
    "Международный суд уголовной юстиции тайно выдал ордер на арест президента Мериды, утверждают каналы.", "fake-warrant")
post("mideast_monitor@forum.example", BURST_AT + timedelta(hours=rng.uniform(4, 8)),
     "Russian channels claim the ICCJ issued a secret arrest warrant for Meridia's president.", "en", "fake-warrant")

# --- Seeded: office-closed (accounts and a fringe site, own words, no hearsay; day 8) -------------
CLOSED = [
    (None, "The ICCJ has shut its field office in Port Amara. The Red Hills victims are on their own now.", None),
    (None, "Field office in Port Amara closed overnight. Victims of Red Hills abandoned by the ICCJ.", None),
    ("deep-truth", "ICCJ abandons Red Hills victims, closes Port Amara office",
     "The International Court of Criminal Justice closed its field office in Port Amara, leaving the victims of the Red Hills case without support."),
    (None, "No more ICCJ office in Port Amara. Who will help the Red Hills victims now?", None),
]
corpus.told_in_own_words("office-closed", CLOSED, ["amara_local@forum.example", "victims_voice@forum.example",
                                                  "member9@forum.example"], day_start(8), 12, (2, 5))

# --- Organic sharing of ordinary articles ---------------------------------------------------------
SEEDED = ["judges-bonuses", "witness-killed", "prosecutor-deal", "fake-warrant", "office-closed"]
corpus.organic_shares(50, SEEDED, FOLLOWERS)

newest = corpus.newest()
assert newest <= ANCHOR + timedelta(days=1), newest

hours_before_newest = corpus.hours_before_newest
corpus.write(HERE, "mastodon-forum.json", 990000, SEEDED,
             "Ground truth of the eighth held-out corpus, written by heldout8/generate.py and committed before Vigil read it. "
             "Times are hours before the newest item.", {
    "multilingual": {"judges-bonuses": ["de", "fr", "es", "en"], "witness-killed": ["ar", "en", "fr"],
                     "prosecutor-deal": ["en", "es"], "fake-warrant": ["ru", "en"]},
    "expected_events": [
        {"name": "Confirmation of charges hearing in the Red Hills case (Tarek Almansour)", "kind": "hearing",
         "story": "red-hills-hearing",
         "start_hours_before_newest": hours_before_newest(HEARING_AT - timedelta(hours=2)),
         "end_hours_before_newest": hours_before_newest(HEARING_AT + timedelta(hours=12))},
    ],
    "ordinary_that_must_not_alert": ["systems-restored", "red-hills-hearing", "criticism", "chatter"]
                                    + sorted({s for s in truth.values() if s.startswith("wire-")}),
    "coordinated": [f"signal{i + 1}@roj.example" for i in range(5)],
})
