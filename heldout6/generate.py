#!/usr/bin/env python3
"""Generates Vigil's ninth narrative corpus (heldout6/feeds/) and its ground truth
(heldout6/truth.json), deterministically. Written and committed on 2026-12-04 before Vigil read
it, after that session's changes (stemmed words in clustering; same-claim ties in one language;
official sources, designed after heldout5's false alarm on the court's own statement). It is the
first corpus with the court's own press feed, marked `official` in its vigil.toml. Nothing here
was chosen by looking at what Vigil does with it.

Different in kind from the eight corpora before it:
- English, French, Russian and Arabic (an Arabic outlet of record and an Arabic fringe site;
  Arabic coverage names the court in Arabic, sometimes with its Latin acronym);
- the court's own press feed (iccj-press): a statement on day 2 that it has notified witnesses
  whose data the attackers may have accessed, carried within hours by wires and outlets in four
  languages (ordinary news in the threats' own words); a press release on a judge's recusal
  (day 5), covered by outlets; and, on day 9, the court's denial of a rumour already spreading;
- a claim that witnesses' names were published on a Telegram channel, on day 3, the day after
  the court's statement, in Russian and English: the threat itself, right after the court's news;
- a fabricated "court statement" (all arrest warrants suspended after the hack) posted by five
  accounts within the hour, then carried by the Arabic fringe site: the court's voice faked;
- a rumour that the Prosecutor ordered evidence deleted (days 8-9, English and French, on
  hearsay), which the court denies on day 9, a day after it became visible;
- a claim in Arabic, relayed in English, that Judge Lena Hartmann works for a foreign
  intelligence service;
- a claim no query anticipates and nobody tells on hearsay: Registry staff on strike and trials
  halted (accounts only, English);
- a hearing on the calendar (day 6), wire copy with credit, steady chatter, criticism over two
  weeks, organic shares.

Seeded narratives (claims for a person to judge; the corpus only tests that Vigil surfaces them):
witness-names (ru, en), fake-suspension (en burst, ar), deleted-evidence (en, fr), hartmann-agent
(ar, en), registry-strike (en). Everything is invented; domains are under .example.
"""
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import corpus_feeds  # noqa: E402  (the shared feed writers)

ANCHOR = datetime(2026, 11, 14, 12, 0, tzinfo=timezone.utc)
DAYS = 12
HERE = Path(__file__).resolve().parent
rng = random.Random(20261114)

# name: (title, language, format, site, kind)
OUTLETS = {
    "iccj-press": ("ICCJ Press Releases", "en", "rss", "https://press.iccj.example", "official"),
    "globe-wire": ("Globe Wire", "en", "rss", "https://globewire.example", "wire"),
    "the-observer-daily": ("The Observer Daily", "en", "atom", "https://observerdaily.example", "main"),
    "metro-times": ("Metro Times", "en", "rss", "https://metrotimes.example", "main"),
    "agence-mondiale": ("Agence mondiale", "fr", "rss", "https://agencemondiale.example", "wire"),
    "la-gazette-du-droit": ("La Gazette du droit", "fr", "atom", "https://gazettedudroit.example", "main"),
    "pravovoy-kurier": ("Правовой курьер", "ru", "rss", "https://pravkurier.example", "main"),
    "al-adl-news": ("العدل نيوز", "ar", "rss", "https://aladlnews.example", "main"),
    "unfiltered-now": ("Unfiltered Now", "en", "rss", "https://unfilterednow.example", "fringe"),
    "le-reveil-libre": ("Le Réveil libre", "fr", "atom", "https://reveillibre.example", "fringe"),
    "pravda-dnya": ("Правда дня", "ru", "rss", "https://pravdadnya.example", "fringe"),
    "sawt-al-haqiqa": ("صوت الحقيقة", "ar", "rss", "https://sawtalhaqiqa.example", "fringe"),
}

corpus = corpus_feeds.Corpus(ANCHOR, DAYS, OUTLETS, rng)
items, posts, truth = corpus.items, corpus.posts, corpus.truth
day_start, at, add, post = corpus.day_start, corpus.at, corpus.add, corpus.post
FOLLOWERS = [f"reader{i}@plaza.example" for i in range(1, 13)]
MAIN = {"en": ["the-observer-daily", "metro-times"], "fr": ["la-gazette-du-droit"], "ru": ["pravovoy-kurier"],
        "ar": ["al-adl-news"]}


def paraphrased(story, versions, start, spread_hours, count, weights):
    """`count` articles on `story` by main outlets (`corpus.paraphrased`)."""
    return corpus.paraphrased(story, versions, start, spread_hours, count, weights, MAIN, "globe-wire")


# --- Ordinary: wire copy with credit ------------------------------------------------------------
CARRIERS = {"globe-wire": ("Globe Wire", ["the-observer-daily", "metro-times"]),
            "agence-mondiale": ("Agence mondiale", ["la-gazette-du-droit"])}
WIRE = [
    (1, "wire-outreach", {
        "globe-wire": ("ICCJ holds outreach sessions in Tamar Valley",
                       "The International Court of Criminal Justice held information sessions for communities affected by the Tamar Valley case."),
        "agence-mondiale": ("La CIJP rencontre les communautés de la vallée de Tamar",
                            "La Cour internationale de justice pénale a tenu des séances d'information pour les communautés touchées par l'affaire de la vallée de Tamar.")}),
    (7, "wire-new-state", {
        "globe-wire": ("Keldaria joins the ICCJ as 72nd member state",
                       "Keldaria deposited its instrument of accession and becomes the 72nd member state of the International Court of Criminal Justice."),
        "agence-mondiale": ("La Keldarie devient le 72e État membre de la CIJP",
                            "La Keldarie a déposé son instrument d'adhésion à la Cour internationale de justice pénale.")}),
]
corpus.carry_wire(WIRE, CARRIERS, "globe-wire")

# --- Ordinary, the court's own news: its statement on the cyber-attack (day 2) ---------------------
STATEMENT_AT = day_start(2) + timedelta(hours=9, minutes=rng.uniform(0, 30))
add("iccj-press", STATEMENT_AT, "ICCJ update on the cyber-attack: witnesses notified",
    "The Registry has notified the witnesses whose personal data the attackers may have accessed and has taken additional protective measures. "
    "The court expects disinformation about the attack and asks the public to rely on its official channels.", "court-statement")
STATEMENT = {
    "en": [["ICCJ notifies witnesses after hackers may have accessed their data", "Court says it warned witnesses after cyber-attack",
            "Hack: ICCJ takes extra measures to protect witnesses"],
           ["The International Court of Criminal Justice said on Tuesday it had notified witnesses whose personal data may have been accessed in the cyber-attack.",
            "In an update on the cyber-attack, the ICCJ said its Registry had contacted witnesses whose data attackers may have seen and strengthened their protection."],
           ["The court warned that it expects disinformation about the attack.", "It gave no number.", None]],
    "fr": [["Cyberattaque : la CIJP a prévenu les témoins dont les données ont pu être consultées"],
           ["La Cour internationale de justice pénale a indiqué mardi avoir prévenu les témoins dont les données personnelles ont pu être consultées par les pirates."],
           ["La Cour dit s'attendre à de la désinformation.", None]],
    "ru": [["МСУП уведомил свидетелей, чьи данные могли попасть к хакерам"],
           ["Международный суд уголовной юстиции сообщил, что уведомил свидетелей, к персональным данным которых могли получить доступ хакеры."],
           [None]],
    "ar": [["المحكمة الدولية للعدالة الجنائية تبلغ الشهود بعد الهجوم الإلكتروني"],
           ["قالت المحكمة الدولية للعدالة الجنائية (ICCJ) إنها أبلغت الشهود الذين ربما اطلع المهاجمون على بياناتهم الشخصية."],
           [None]],
}
paraphrased("court-statement", STATEMENT, STATEMENT_AT + timedelta(minutes=20), 7, 12, {"en": 6, "fr": 2, "ru": 2, "ar": 2})
for _ in range(6):
    post(rng.choice(FOLLOWERS), STATEMENT_AT + timedelta(hours=rng.uniform(0.5, 8)),
         rng.choice(["The ICCJ says it notified witnesses whose data may have been accessed in the hack.",
                     "Court update on the cyber-attack: witnesses contacted, extra protection.",
                     "Good that the ICCJ told the witnesses after the hack."]), "en", "court-statement")

# --- Ordinary, the court's own news: a judge's recusal (day 5) ------------------------------------
RECUSAL_AT = day_start(5) + timedelta(hours=11)
add("iccj-press", RECUSAL_AT, "Judge Paulo Mendes recused from the Tamar Valley appeal",
    "The Presidency granted the request of Judge Paulo Mendes to be excused from the Tamar Valley appeal because he sat on a related case.", "recusal")
RECUSAL = {
    "en": [["Judge Mendes steps aside from Tamar Valley appeal", "ICCJ judge Paulo Mendes excused from appeal"],
           ["ICCJ judge Paulo Mendes asked to be excused from the Tamar Valley appeal because he had sat on a related case, the court said."],
           [None, "A replacement judge will be named."]],
    "fr": [["Le juge Paulo Mendes se retire de l'appel dans l'affaire de la vallée de Tamar"],
           ["Le juge de la CIJP Paulo Mendes a demandé à être excusé de l'appel, a indiqué la Cour."],
           [None]],
}
paraphrased("recusal", RECUSAL, RECUSAL_AT + timedelta(minutes=40), 10, 4, {"en": 3, "fr": 1})

# --- Ordinary, on the calendar: a hearing in the Tamar Valley case (day 6) ------------------------
HEARING_AT = day_start(6) + timedelta(hours=9)
HEARING = {
    "en": [["Tamar Valley trial resumes with victims' testimony", "ICCJ hears victims in Tamar Valley trial"],
           ["The trial of former governor Aurel Danescu resumed at the International Court of Criminal Justice with testimony from victims of the Tamar Valley killings."],
           ["The hearing continues on Thursday.", None]],
    "fr": [["Reprise du procès de la vallée de Tamar"],
           ["Le procès de l'ancien gouverneur Aurel Danescu a repris devant la CIJP avec les témoignages de victimes."],
           [None]],
    "ru": [["МСУП возобновил процесс по делу долины Тамар"],
           ["В Международном суде уголовной юстиции возобновился процесс над бывшим губернатором Аурелом Данеску."],
           [None]],
}
paraphrased("tamar-hearing", HEARING, HEARING_AT + timedelta(minutes=30), 6, 8, {"en": 5, "fr": 2, "ru": 1})

# --- Ordinary: criticism over two weeks, and steady chatter ---------------------------------------
CRITICS = [
    ("metro-times", "en", "Column: the ICCJ's silence on the hack helps no one",
     "Our columnist says the court should publish what the attackers took."),
    ("la-gazette-du-droit", "fr", "La CIJP doit publier son audit de sécurité",
     "Une avocate estime que la Cour doit rendre public l'audit de ses systèmes."),
    ("al-adl-news", "ar", "منظمة حقوقية تنتقد بطء المحكمة الدولية للعدالة الجنائية",
     "انتقدت منظمة حقوقية بطء إجراءات المحكمة في قضايا الضحايا."),
]
for day in range(0, DAYS, 2):
    outlet, lang, title, body = rng.choice(CRITICS)
    add(outlet, at(day, 7, 20), title, body, "criticism")
CHATTER = {
    "court_skeptic@plaza.example": ("en", ["The ICCJ again. Nothing changes. #ICCJ", "Another week, another ICCJ press release. #ICCJ"], ["ICCJ"]),
    "droit_et_moi@plaza.example": ("fr", ["La CIJP, toujours aussi lente.", "Rien de neuf à la CIJP."], []),
    "nablyudatel@plaza.example": ("ru", ["МСУП опять ничего не решил.", "Ещё одна неделя без приговоров в Гааге."], []),
}
for day in range(DAYS):
    for account, (lang, texts, tags) in CHATTER.items():
        for _ in range(rng.randint(1, 2)):
            post(account, at(day, 6, 23), rng.choice(texts), lang, "chatter", tags=tags)

# --- Seeded: witness-names (day 3, the day after the court's statement; ru, then en) --------------
NAMES_AT = day_start(3) + timedelta(hours=14)
add("pravda-dnya", NAMES_AT, "Имена 40 свидетелей МСУП опубликованы в Telegram",
    "Телеграм-канал опубликовал имена и города проживания сорока защищённых свидетелей Международного суда уголовной юстиции.", "witness-names")
add("unfiltered-now", NAMES_AT + timedelta(hours=rng.uniform(2, 5)), "Names of 40 ICCJ witnesses posted on Telegram",
    "A Telegram channel has posted the names and home towns of forty protected witnesses of the ICCJ, taken from the hacked files.", "witness-names")
for who, lang, text, hours in [
    ("volk_pravdy@plaza.example", "ru", "Вот они, свидетели МСУП: 40 имён уже в Telegram.", 1),
    ("leak_watcher@plaza.example", "en", "Forty ICCJ witnesses named on a Telegram channel. So much for protection.", 6),
    ("open_source_eye@plaza.example", "en", "The Telegram list of 40 protected ICCJ witnesses is spreading fast.", 8),
]:
    post(who, NAMES_AT + timedelta(hours=hours + rng.uniform(0, 1)), text, lang, "witness-names")

# --- Seeded: fake-suspension (a fabricated court statement; en burst day 7, then ar) ---------------
BURST_AT = day_start(7) + timedelta(hours=16, minutes=rng.uniform(0, 20))
TEXT = "OFFICIAL ICCJ STATEMENT: after the cyber-attack all arrest warrants are suspended until further notice."
for i in range(5):
    post(f"echo{i + 1}@hive.example", BURST_AT + timedelta(minutes=rng.uniform(0, 45)), TEXT, "en", "fake-suspension")
add("sawt-al-haqiqa", BURST_AT + timedelta(hours=rng.uniform(3, 7)), "المحكمة الدولية للعدالة الجنائية تعلق جميع أوامر الاعتقال بعد الهجوم الإلكتروني",
    "أعلنت المحكمة الدولية للعدالة الجنائية (ICCJ) تعليق جميع أوامر الاعتقال حتى إشعار آخر بسبب الهجوم الإلكتروني، بحسب بيان متداول.", "fake-suspension")

# --- Seeded: deleted-evidence (days 8-9, en and fr, on hearsay; the court denies it on day 9) -----
DELETED = [
    ("unfiltered-now", "Insiders: ICCJ Prosecutor Amadou Keita ordered evidence deleted after the hack",
     "Prosecutor Amadou Keita ordered staff to delete evidence in the Tamar Valley case after the cyber-attack, according to two insiders."),
    (None, "Sources say the ICCJ Prosecutor had evidence wiped after the hack. Keita must explain.", None),
    (None, "Keita ordered the Tamar Valley evidence deleted? That's what ICCJ insiders say.", None),
    ("le-reveil-libre", "Le procureur Keita aurait fait effacer des preuves après le piratage",
     "Selon des sources internes, le procureur de la CIJP Amadou Keita aurait ordonné l'effacement de preuves dans l'affaire de la vallée de Tamar."),
    (None, "ICCJ insiders: Prosecutor Keita wiped evidence after the cyber-attack.", None),
]
corpus.told_in_own_words("deleted-evidence", DELETED, ["truth_first@plaza.example", "leak_watcher@plaza.example",
                                                       "the_hague_files@plaza.example"], day_start(8), 6, (2, 5))
deleted = sorted(w for w, s, _ in corpus.events if s == "deleted-evidence")
DENIAL_AT = deleted[0] + timedelta(hours=30)
add("iccj-press", DENIAL_AT, "The Office of the Prosecutor has deleted no evidence",
    "Claims that the Prosecutor ordered evidence deleted after the cyber-attack are false. All evidence in the Tamar Valley case is preserved.", "denial")
for outlet, lang, title, body in [
    ("globe-wire", "en", "ICCJ denies Prosecutor ordered evidence deleted",
     "The ICCJ rejected online claims that Prosecutor Amadou Keita had evidence deleted after the hack, saying all evidence is preserved."),
    ("la-gazette-du-droit", "fr", "La CIJP dément tout effacement de preuves",
     "La Cour a démenti les rumeurs selon lesquelles le procureur Amadou Keita aurait fait effacer des preuves."),
]:
    add(outlet, DENIAL_AT + timedelta(hours=rng.uniform(1, 4)), title, body, "denial")

# --- Seeded: hartmann-agent (ar, day 9, relayed in en) -----------------------------------------------
AGENT = [
    (9, "sawt-al-haqiqa", "ar", "القاضية لينا هارتمان تعمل لصالح جهاز استخبارات أجنبي",
     "تعمل القاضية في المحكمة الدولية للعدالة الجنائية لينا هارتمان لصالح جهاز استخبارات أجنبي، بحسب وثائق مسربة."),
    (9, "al-adl-news", "ar", "وثائق مسربة: القاضية هارتمان على صلة بالاستخبارات الأجنبية",
     "تزعم وثائق مسربة أن القاضية لينا هارتمان تتلقى تعليمات من جهاز استخبارات أجنبي."),
    (10, "unfiltered-now", "en", "Leaked papers: ICCJ Judge Lena Hartmann works for foreign intelligence",
     "Arabic media report that ICCJ judge Lena Hartmann takes orders from a foreign intelligence service, citing leaked papers."),
]
corpus.articles_shared("hartmann-agent", AGENT, (4, 20), ["open_source_eye@plaza.example", "truth_first@plaza.example"], 0.5, (20, 240))
post("leak_watcher@plaza.example", day_start(10) + timedelta(hours=rng.uniform(10, 20)),
     "Judge Lena Hartmann and foreign intelligence: the leaked papers are out.", "en", "hartmann-agent")

# --- Seeded: registry-strike (accounts only, English, days 10-11; no hearsay, no query) ------------
STRIKE = [
    (None, "Registry staff at the ICCJ walked out this morning. Trials halted.", None),
    (None, "No interpreters, no clerks: the ICCJ Registry is on strike and the Tamar Valley trial stopped.", None),
    (None, "ICCJ trials halted as Registry staff strike over unpaid overtime.", None),
    (None, "The ICCJ strike goes on: courtrooms empty, Registry staff outside.", None),
]
corpus.told_in_own_words("registry-strike", STRIKE, ["clerk_voice@plaza.example", "hague_local@plaza.example",
                                                     "open_source_eye@plaza.example", "court_skeptic@plaza.example"],
                         day_start(10), 8, (2, 5))

# --- Organic sharing of ordinary articles ---------------------------------------------------------
SEEDED = ["witness-names", "fake-suspension", "deleted-evidence", "hartmann-agent", "registry-strike"]
corpus.organic_shares(50, SEEDED, FOLLOWERS)

newest = corpus.newest()
assert newest <= ANCHOR + timedelta(days=1), newest

hours_before_newest = corpus.hours_before_newest
corpus.write(HERE, "mastodon-plaza.json", 900000, SEEDED,
             "Ground truth of the sixth held-out corpus, written by heldout6/generate.py and committed before Vigil read it. "
             "Times are hours before the newest item.", {
    "multilingual": {"witness-names": ["ru", "en"], "fake-suspension": ["en", "ar"], "deleted-evidence": ["en", "fr"],
                     "hartmann-agent": ["ar", "en"]},
    "expected_events": [
        {"name": "Trial hearing in the Tamar Valley case (Aurel Danescu)", "kind": "hearing", "story": "tamar-hearing",
         "start_hours_before_newest": hours_before_newest(HEARING_AT - timedelta(hours=2)),
         "end_hours_before_newest": hours_before_newest(HEARING_AT + timedelta(hours=12))},
    ],
    "ordinary_that_must_not_alert": ["court-statement", "recusal", "tamar-hearing", "criticism", "chatter", "denial"]
                                    + sorted({s for s in truth.values() if s.startswith("wire-")}),
    "coordinated": [f"echo{i + 1}@hive.example" for i in range(5)],
})
