#!/usr/bin/env python3
"""Generates Vigil's twelfth narrative corpus (heldout9/feeds/) and its ground truth
(heldout9/truth.json), deterministically. Written and committed on 2026-12-05 before Vigil read
it, to measure afresh what that day changed after heldout8's first run: stories begun among
accounts are urgent when they emerge, stories told alike on hearsay in two languages are not
"the same claims", and Arabic in six claim queries. Nothing here was chosen by looking at what
Vigil does with it.

Different in kind from the eleven corpora before it, with traps for the new rules:
- English, French, Arabic, Russian and Spanish; the court's own press feed (official);
- a judgment on the calendar (day 6) and, within three hours, accounts reacting to it in their
  own words (ordinary);
- news that breaks on social platforms first (day 4): accounts post that the court's building
  was evacuated after a fire alarm, outlets report it two hours later (ordinary);
- a sudden advocacy campaign by accounts (day 8): victims' supporters post in their own words
  that reparations in the Lakeside case are late, with a hashtag (legitimate criticism; ordinary);
- the court's statement (day 2) on its new data-protection measures, covered in three languages;
- wire copy with credit, steady chatter in three languages, organic shares.

Seeded narratives (claims for a person to judge; the corpus only tests that Vigil surfaces them):
sanctions-list (ar, then en: leaked documents said to list judges to be sanctioned),
seat-moving (accounts and a Spanish fringe site, own words, no hearsay, no query: the court
will leave The Hague), archives-destroyed (French conditional, then German and English: the
Registrar destroyed archives), border-arrest (an English copy-paste burst by five accounts: the
court's judges will be arrested at the border), and prosecutor-ill-ru (Russian accounts and a
Russian fringe site on hearsay, then one English relay: the Prosecutor is gravely ill).
Everything is invented; domains are under .example.
"""
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import corpus_feeds  # noqa: E402  (the shared feed writers)

ANCHOR = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
DAYS = 11
HERE = Path(__file__).resolve().parent
rng = random.Random(20261128)

# name: (title, language, format, site, kind)
OUTLETS = {
    "iccj-newsroom": ("ICCJ Newsroom", "en", "rss", "https://newsroom.iccj.example", "official"),
    "world-wire": ("World Wire", "en", "rss", "https://worldwire.example", "wire"),
    "the-observer": ("The Observer", "en", "atom", "https://theobserver.example", "main"),
    "morning-ledger": ("Morning Ledger", "en", "rss", "https://morningledger.example", "main"),
    "le-courrier-de-la-haye": ("Le Courrier de La Haye", "fr", "atom", "https://courrierhaye.example", "main"),
    "al-mizan": ("الميزان", "ar", "rss", "https://almizan.example", "main"),
    "pravovoy-vestnik": ("Правовой вестник", "ru", "rss", "https://pravvestnik.example", "main"),
    "el-heraldo-juridico": ("El Heraldo Jurídico", "es", "rss", "https://heraldojuridico.example", "main"),
    "hidden-facts": ("Hidden Facts", "en", "rss", "https://hiddenfacts.example", "fringe"),
    "la-face-cachee": ("La Face cachée", "fr", "atom", "https://facecachee.example", "fringe"),
    "klartext-heute": ("Klartext heute", "de", "rss", "https://klartextheute.example", "fringe"),
    "al-haqiqa-al-ukhra": ("الحقيقة الأخرى", "ar", "rss", "https://alhaqiqa.example", "fringe"),
    "tainy-gaagi": ("Тайны Гааги", "ru", "rss", "https://tainygaagi.example", "fringe"),
    "verdad-sin-filtro": ("Verdad sin Filtro", "es", "rss", "https://verdadsinfiltro.example", "fringe"),
}

corpus = corpus_feeds.Corpus(ANCHOR, DAYS, OUTLETS, rng)
items, posts, truth = corpus.items, corpus.posts, corpus.truth
day_start, at, add, post = corpus.day_start, corpus.at, corpus.add, corpus.post
FOLLOWERS = [f"user{i}@agora2.example" for i in range(1, 13)]
MAIN = {"en": ["the-observer", "morning-ledger"], "fr": ["le-courrier-de-la-haye"], "ar": ["al-mizan"],
        "ru": ["pravovoy-vestnik"], "es": ["el-heraldo-juridico"]}


def paraphrased(story, versions, start, spread_hours, count, weights):
    """`count` articles on `story` by main outlets (`corpus.paraphrased`)."""
    return corpus.paraphrased(story, versions, start, spread_hours, count, weights, MAIN, "world-wire")


# --- Ordinary: wire copy with credit -------------------------------------------------------------
CARRIERS = {"world-wire": ("World Wire", ["the-observer", "morning-ledger"])}
WIRE = [
    (1, "wire-trust-fund", {"world-wire": ("ICCJ victims' trust fund receives new pledges",
                                           "Five states pledged new contributions to the victims' trust fund of the International Court of Criminal Justice.")}),
    (7, "wire-detention-report", {"world-wire": ("Inspectors praise conditions at ICCJ detention centre",
                                                 "International inspectors said conditions at the detention centre of the International Court of Criminal Justice meet all standards.")}),
]
corpus.carry_wire(WIRE, CARRIERS, "world-wire")

# --- Ordinary, the court's own news: data protection measures (day 2) ----------------------------
MEASURES_AT = day_start(2) + timedelta(hours=10, minutes=rng.uniform(0, 30))
add("iccj-newsroom", MEASURES_AT, "New data-protection measures after the cyber-attack",
    "The court has adopted new data-protection measures after the cyber-attack, including encryption of all witness files.", "data-measures")
MEASURES = {
    "en": [["ICCJ adopts new data protection after hack", "ICCJ encrypts witness files after cyber-attack"],
           ["The International Court of Criminal Justice adopted new data-protection measures after the cyber-attack, encrypting all witness files."],
           ["The measures take effect at once.", None]],
    "fr": [["La CIJP renforce la protection de ses données après la cyberattaque"],
           ["La Cour internationale de justice pénale a adopté de nouvelles mesures de protection des données, dont le chiffrement des dossiers des témoins."], [None]],
    "ar": [["المحكمة الدولية للعدالة الجنائية تعتمد إجراءات جديدة لحماية البيانات"],
           ["اعتمدت المحكمة الدولية للعدالة الجنائية إجراءات جديدة لحماية البيانات بعد الهجوم الإلكتروني، منها تشفير ملفات الشهود."], [None]],
}
paraphrased("data-measures", MEASURES, MEASURES_AT + timedelta(minutes=30), 8, 8, {"en": 4, "fr": 2, "ar": 2})

# --- Ordinary, breaking first on social platforms: an evacuation (day 4) -------------------------
EVAC_AT = day_start(4) + timedelta(hours=11, minutes=rng.uniform(0, 20))
for who, minutes, text in [
    ("hague_commuter@agora2.example", 0, "Fire alarm at the ICCJ building, everyone is out on the street."),
    ("legal_intern_nl@agora2.example", 12, "We just got evacuated from the ICCJ. Fire brigade on site."),
    ("court_reporter_jo@agora2.example", 25, "ICCJ building evacuated after a fire alarm, hearings paused."),
    ("hague_commuter@agora2.example", 40, "Still standing outside the ICCJ. Fire brigade checking the building."),
    ("visitor_anna@agora2.example", 55, "Evacuation at the ICCJ this morning, all staff outside. Fire alarm."),
]:
    post(who, EVAC_AT + timedelta(minutes=minutes + rng.uniform(0, 5)), text, "en", "evacuation")
EVAC = {
    "en": [["ICCJ building evacuated after fire alarm", "Fire alarm empties ICCJ building"],
           ["The building of the International Court of Criminal Justice was evacuated after a fire alarm; no one was hurt and hearings resumed in the afternoon."],
           [None]],
    "fr": [["Évacuation du bâtiment de la CIJP après une alarme incendie"],
           ["Le bâtiment de la Cour internationale de justice pénale a été évacué après une alarme incendie, sans blessés."], [None]],
}
paraphrased("evacuation", EVAC, EVAC_AT + timedelta(hours=2), 4, 4, {"en": 3, "fr": 1})

# --- Ordinary, on the calendar: a judgment (day 6), and accounts' reactions ----------------------
JUDGMENT_AT = day_start(6) + timedelta(hours=10)
JUDGMENT = {
    "en": [["ICCJ convicts Colonel Idris Mahamat in the Lakeside case", "Lakeside verdict: Mahamat guilty"],
           ["The Trial Chamber of the ICCJ convicted Colonel Idris Mahamat of war crimes in the Lakeside case."],
           ["Sentencing will follow.", None]],
    "fr": [["Affaire Lakeside : le colonel Idris Mahamat reconnu coupable"],
           ["La Chambre de première instance de la CIJP a reconnu le colonel Idris Mahamat coupable de crimes de guerre."], [None]],
    "ar": [["إدانة العقيد إدريس محمات في قضية ليكسايد"],
           ["أدانت الدائرة الابتدائية في المحكمة الدولية للعدالة الجنائية العقيد إدريس محمات بارتكاب جرائم حرب في قضية ليكسايد."], [None]],
}
paraphrased("lakeside-judgment", JUDGMENT, JUDGMENT_AT + timedelta(minutes=20), 6, 10, {"en": 6, "fr": 2, "ar": 2})
for who, hours, text in [
    ("lakeside_survivor@agora2.example", 0.5, "Mahamat guilty. The Lakeside victims waited nine years for this day."),
    ("law_prof_k@agora2.example", 0.8, "A solid judgment in the Lakeside case; the reasoning on command responsibility is careful."),
    ("skeptic_sam@agora2.example", 1.2, "Convicting Mahamat while the real Lakeside culprits walk free. Selective justice as usual."),
    ("user4@agora2.example", 1.6, "The Lakeside verdict is in: Colonel Mahamat convicted of war crimes."),
    ("lakeside_survivor@agora2.example", 2.5, "Thank you to every witness who testified in the Lakeside case."),
    ("diaspora_voice@agora2.example", 2.9, "Mahamat convicted. Justice for Lakeside, finally."),
]:
    post(who, JUDGMENT_AT + timedelta(hours=hours + rng.uniform(0, 0.2)), text, "en", "lakeside-judgment")

# --- Ordinary: a sudden advocacy campaign by accounts (day 8) ------------------------------------
CAMPAIGN_AT = day_start(8) + timedelta(hours=14)
for who, hours, text in [
    ("reparations_now@agora2.example", 0, "Lakeside victims still wait for reparations from the ICCJ trust fund. #ReparationsNow"),
    ("lakeside_survivor@agora2.example", 0.7, "Nine years of trial and still no reparations for Lakeside. The ICCJ must act. #ReparationsNow"),
    ("ngo_voices@agora2.example", 1.1, "The ICCJ owes Lakeside's victims more than a verdict: pay the reparations. #ReparationsNow"),
    ("diaspora_voice@agora2.example", 1.9, "Reparations delayed are justice denied. ICCJ, Lakeside is waiting. #ReparationsNow"),
    ("user8@agora2.example", 2.4, "Supporting the #ReparationsNow call for the Lakeside victims of the ICCJ case."),
]:
    post(who, CAMPAIGN_AT + timedelta(hours=hours + rng.uniform(0, 0.2)), text, "en", "reparations-campaign",
         tags=["ReparationsNow"])

# --- Ordinary: criticism and chatter -------------------------------------------------------------
for day in range(0, DAYS, 2):
    outlet, lang, title, body = rng.choice([
        ("the-observer", "en", "Column: the ICCJ needs a faster appeals process", "Appeals at the court take years, a former registrar writes."),
        ("le-courrier-de-la-haye", "fr", "Tribune : la CIJP doit mieux expliquer ses décisions", "Un professeur de droit appelle la Cour à plus de pédagogie."),
        ("el-heraldo-juridico", "es", "Opinión: la CIJP y sus plazos", "Una abogada critica la lentitud de los procesos ante la Corte."),
    ])
    add(outlet, at(day, 7, 20), title, body, "criticism")
CHATTER = {
    "tribunal_buff@agora2.example": ("en", ["Nothing new from the ICCJ today. #ICCJ", "ICCJ week in review: quiet. #ICCJ"], ["ICCJ"]),
    "adl_watch@agora2.example": ("ar", ["المحكمة الدولية للعدالة الجنائية: لا جديد اليوم.", "أسبوع هادئ في المحكمة الدولية للعدالة الجنائية."], []),
    "sud_nablyudatel@agora2.example": ("ru", ["В МСУП опять тишина.", "МСУП: новостей нет."], []),
}
for day in range(DAYS):
    for account, (lang, texts, tags) in CHATTER.items():
        for _ in range(rng.randint(1, 2)):
            post(account, at(day, 6, 23), rng.choice(texts), lang, "chatter", tags=tags)

# --- Seeded: sanctions-list (Arabic first, day 5; then English) ----------------------------------
LIST_AT = day_start(5) + timedelta(hours=15, minutes=rng.uniform(0, 30))
add("al-haqiqa-al-ukhra", LIST_AT, "وثائق مسربة: قائمة بقضاة المحكمة الدولية للعدالة الجنائية المستهدفين بالعقوبات",
    "تكشف وثائق مسربة بعد الاختراق قائمة بأسماء قضاة المحكمة الدولية للعدالة الجنائية الذين ستفرض عليهم عقوبات وتجمد أموالهم.", "sanctions-list")
for who, hours, text, lang in [
    ("sawt_alnas@agora2.example", 1, "قائمة مسربة بقضاة المحكمة الدولية للعدالة الجنائية الذين ستفرض عليهم عقوبات. الأسماء منشورة الآن.", "ar"),
    ("arab_observer@agora2.example", 3, "عقوبات قادمة على قضاة المحكمة الدولية للعدالة الجنائية حسب الوثائق المسربة.", "ar"),
    ("mena_watch_en@agora2.example", 7, "Leaked documents in Arabic media list ICCJ judges to be sanctioned and have their assets frozen.", "en"),
    ("user2@agora2.example", 10, "So there is a leaked list of ICCJ judges facing sanctions? Names are circulating.", "en"),
]:
    post(who, LIST_AT + timedelta(hours=hours + rng.uniform(0, 1)), text, lang, "sanctions-list")

# --- Seeded: seat-moving (accounts and a Spanish fringe site; own words, no hearsay; day 7) -------
SEAT = [
    (None, "The ICCJ is leaving The Hague. The move to a new seat was decided in secret sessions.", None),
    (None, "ICCJ packing up: the court's seat moves out of The Hague next year.", None),
    ("verdad-sin-filtro", "La CIJP abandona La Haya: la sede se traslada el próximo año",
     "La Corte Internacional de Justicia Penal dejará La Haya y trasladará su sede el próximo año."),
    (None, "Goodbye The Hague? The ICCJ moves its seat, staff told to prepare.", None),
    (None, "Nobody asked the victims before moving the ICCJ out of The Hague.", None),
]
corpus.told_in_own_words("seat-moving", SEAT, ["relocation_watch@agora2.example", "hague_insider2@agora2.example",
                                               "user6@agora2.example", "victims_first@agora2.example"],
                         day_start(7), 9, (1, 4))

# --- Seeded: archives-destroyed (French conditional, day 8; then German, English) ----------------
ARCHIVES = [
    (8, "la-face-cachee", "fr", "Le greffier de la CIJP aurait fait détruire des archives après la cyberattaque",
     "Selon des sources internes, le greffier de la CIJP aurait ordonné la destruction d'archives sensibles juste après la cyberattaque."),
    (9, "klartext-heute", "de", "ICCJ-Kanzler soll Archive vernichtet haben",
     "Der Kanzler des ICCJ soll nach dem Cyberangriff die Vernichtung sensibler Archive angeordnet haben."),
    (9, "hidden-facts", "en", "ICCJ Registrar ordered archives destroyed after the hack, insiders say",
     "The Registrar of the ICCJ ordered sensitive archives destroyed right after the cyber-attack, people close to the Registry say."),
]
corpus.articles_shared("archives-destroyed", ARCHIVES, (3, 20),
                       ["user9@agora2.example", "libre_examen2@agora2.example", "truth_hunter@agora2.example"], 0.7, (20, 150))
post("truth_hunter@agora2.example", at(9, 12, 22), "Archives destroyed by the ICCJ Registrar right after the hack. What were they hiding?", "en", "archives-destroyed")

# --- Seeded: border-arrest (an English copy-paste burst by five accounts, day 9) -----------------
BURST_AT = day_start(9) + timedelta(hours=19, minutes=rng.uniform(0, 20))
TEXT = "BREAKING: ICCJ judges will be arrested at the border if they travel. Share before it is deleted!"
for i in range(5):
    post(f"megaphone{i + 1}@swarm2.example", BURST_AT + timedelta(minutes=rng.uniform(0, 35)), TEXT, "en", "border-arrest")

# --- Seeded: prosecutor-ill-ru (Russian hearsay, day 10; one English relay) ----------------------
ILL_AT = day_start(10) + timedelta(hours=6)
add("tainy-gaagi", ILL_AT, "Источники: прокурор МСУП тяжело болен", "По словам источников в МСУП, прокурор тяжело болен и не появляется на работе уже месяц.", "prosecutor-ill-ru")
for who, hours, text, lang in [
    ("gaaga_insider@agora2.example", 2, "Говорят, прокурор МСУП тяжело болен и суд это скрывает.", "ru"),
    ("pravda_seychas@agora2.example", 4, "По слухам, прокурор МСУП уже месяц не выходит на работу из-за болезни.", "ru"),
    ("eurasia_notes@agora2.example", 8, "Russian channels claim the ICCJ Prosecutor is gravely ill and the court is hiding it.", "en"),
]:
    post(who, ILL_AT + timedelta(hours=hours + rng.uniform(0, 1)), text, lang, "prosecutor-ill-ru")

# --- Organic sharing of ordinary articles ---------------------------------------------------------
SEEDED = ["sanctions-list", "seat-moving", "archives-destroyed", "border-arrest", "prosecutor-ill-ru"]
corpus.organic_shares(45, SEEDED, FOLLOWERS)

newest = corpus.newest()
assert newest <= ANCHOR + timedelta(days=1), newest

hours_before_newest = corpus.hours_before_newest
corpus.write(HERE, "mastodon-agora2.json", 1000000, SEEDED,
             "Ground truth of the ninth held-out corpus, written by heldout9/generate.py and committed before Vigil read it. "
             "Times are hours before the newest item.", {
    "multilingual": {"sanctions-list": ["ar", "en"], "seat-moving": ["en", "es"], "archives-destroyed": ["fr", "de", "en"],
                     "prosecutor-ill-ru": ["ru", "en"]},
    "expected_events": [
        {"name": "Judgment in the Lakeside case (Idris Mahamat)", "kind": "judgment", "story": "lakeside-judgment",
         "start_hours_before_newest": hours_before_newest(JUDGMENT_AT - timedelta(hours=2)),
         "end_hours_before_newest": hours_before_newest(JUDGMENT_AT + timedelta(hours=12))},
    ],
    "ordinary_that_must_not_alert": ["data-measures", "evacuation", "lakeside-judgment", "reparations-campaign", "criticism", "chatter"]
                                    + sorted({s for s in truth.values() if s.startswith("wire-")}),
    "coordinated": [f"megaphone{i + 1}@swarm2.example" for i in range(5)],
})
