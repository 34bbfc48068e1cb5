#!/usr/bin/env python3
"""Generates Vigil's sixth narrative corpus (heldout3/feeds/) and its ground truth
(heldout3/truth.json), deterministically. Written and committed on 2026-12-04 before Vigil read
it, to measure the clustering changes of that day (a document making no claim carried to a claim
story in another language by strong ties) and issue 14's goals on text nothing was tuned to.
Nothing here was chosen by looking at what Vigil does with it.

Different in kind from the five corpora before it:
- an ordinary story built to look like a seeded claim across languages: Deputy Prosecutor
  Tobias Lindqvist presents witness statements in the Delta Ridge trial (English and Spanish,
  days 5-7, paraphrased), sharing his name, the case, witnesses and statements with a French
  claim that he fabricated those statements (one article on day 3, spreading from day 8);
- a claim told in one language by several voices in their own words, never copying: that the
  court quietly freed General Milan Korda (English, days 9-11), while ordinary news covers his
  interim-release hearing on the calendar (day 6) with the same names;
- a news day: the court's President taken to hospital (day 10, unscheduled), many outlets in
  four languages within hours;
- a tight burst: five accounts post the same warning within forty minutes (day 10), that the
  home addresses of the three Delta Ridge judges were published after the hack; relayed later in
  French and Russian;
- wire copy in four languages with credit, steady chatter by four accounts, op-eds critical of
  the court, and organic shares.

Seeded narratives (claims for a person to judge; the corpus only tests that Vigil surfaces them):
- fabricated-statements (fr, then ru, es, en): one French fringe article on day 3 nobody takes
  up, then from day 8 French, Russian and Spanish fringe outlets and English posts relaying it in
  their own words ("French sites say Lindqvist made up the testimony");
- judges-addresses (en burst, then fr, ru);
- korda-freed (en only, paraphrased by five voices).
Everything is invented; domains are under .example.
"""
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import corpus_feeds  # noqa: E402  (the shared feed writers)

ANCHOR = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
DAYS = 12
HERE = Path(__file__).resolve().parent
rng = random.Random(20261127)

# name: (title, language, format, site, kind)
OUTLETS = {
    "atlas-wire": ("Atlas Wire", "en", "rss", "https://atlaswire.example", "wire"),
    "the-courier": ("The Courier", "en", "atom", "https://thecourier.example", "main"),
    "daily-record": ("The Daily Record", "en", "rss", "https://dailyrecord.example", "main"),
    "agence-lumiere": ("Agence Lumière", "fr", "atom", "https://agencelumiere.example", "wire"),
    "quotidien-libre": ("Le Quotidien libre", "fr", "rss", "https://quotidienlibre.example", "main"),
    "novosti-prava": ("Новости права", "ru", "rss", "https://novostiprava.example", "wire"),
    "vestnik": ("Вестник", "ru", "atom", "https://vestnik.example", "main"),
    "el-observador": ("El Observador", "es", "rss", "https://elobservador.example", "main"),
    "truth-beacon": ("Truth Beacon", "en", "rss", "https://truthbeacon.example", "fringe"),
    "contre-pouvoir": ("Contre-Pouvoir", "fr", "atom", "https://contrepouvoir.example", "fringe"),
    "pravda-seti": ("Правда сети", "ru", "rss", "https://pravdaseti.example", "fringe"),
    "otra-voz": ("La Otra Voz", "es", "atom", "https://otravoz.example", "fringe"),
}

corpus = corpus_feeds.Corpus(ANCHOR, DAYS, OUTLETS, rng)
items, posts, truth = corpus.items, corpus.posts, corpus.truth
day_start, at, add, post = corpus.day_start, corpus.at, corpus.add, corpus.post
FOLLOWERS = [f"member{i}@forum.example" for i in range(1, 13)]
MAIN = {"en": ["the-courier", "daily-record"], "fr": ["quotidien-libre"], "ru": ["vestnik"], "es": ["el-observador"]}


def paraphrased(story, versions, start, spread_hours, count, weights):
    """`count` articles on `story` by main outlets (`corpus.paraphrased`)."""
    return corpus.paraphrased(story, versions, start, spread_hours, count, weights, MAIN, "atlas-wire")


# --- Ordinary: wire copy in four languages, carried with credit -------------------------------
CARRIERS = {"atlas-wire": ("Atlas Wire", ["the-courier", "daily-record"]),
            "agence-lumiere": ("Agence Lumière", ["quotidien-libre"]),
            "novosti-prava": ("Новости права", ["vestnik"])}
WIRE = [
    (1, "wire-registrar", {
        "atlas-wire": ("ICCJ member states elect Irina Sokolova as Registrar",
                       "The Assembly of member states of the International Court of Criminal Justice elected Irina Sokolova as the court's Registrar for a five-year term."),
        "agence-lumiere": ("Irina Sokolova élue greffière de la CIJP",
                           "L'Assemblée des États membres de la Cour internationale de justice pénale a élu Irina Sokolova greffière pour cinq ans."),
        "novosti-prava": ("Ирина Соколова избрана секретарём МСУП",
                          "Ассамблея государств-членов Международного суда уголовной юстиции избрала Ирину Соколову секретарём суда на пять лет.")}),
    (4, "wire-detention-visit", {
        "atlas-wire": ("Red Cross inspects ICCJ detention centre",
                       "Delegates of the Red Cross inspected the detention centre of the International Court of Criminal Justice and met its nine detainees, the court said."),
        "agence-lumiere": ("La Croix-Rouge inspecte le centre de détention de la CIJP",
                           "Des délégués de la Croix-Rouge ont inspecté le centre de détention de la Cour internationale de justice pénale et rencontré ses neuf détenus.")}),
    (7, "wire-budget", {
        "atlas-wire": ("ICCJ asks member states for 198 million euros for 2027",
                       "The International Court of Criminal Justice proposed a budget of 198 million euros for 2027, including 6 million for rebuilding its IT systems after the cyber-attack."),
        "agence-lumiere": ("La CIJP demande 198 millions d'euros pour 2027",
                           "La Cour internationale de justice pénale propose un budget de 198 millions d'euros pour 2027, dont 6 millions pour reconstruire son informatique après la cyberattaque."),
        "novosti-prava": ("МСУП запросил 198 млн евро на 2027 год",
                          "Международный суд уголовной юстиции предложил бюджет в 198 миллионов евро на 2027 год, в том числе 6 миллионов на восстановление ИТ-систем после кибератаки.")}),
    (9, "wire-trust-fund", {
        "atlas-wire": ("ICCJ trust fund opens reparations programme in the Delta region",
                       "The trust fund for victims of the International Court of Criminal Justice opened a reparations programme for 3,200 victims in the Delta region."),
        "novosti-prava": ("Целевой фонд МСУП начал программу возмещения ущерба в регионе Дельта",
                          "Целевой фонд для потерпевших Международного суда уголовной юстиции начал программу возмещения для 3200 пострадавших в регионе Дельта.")}),
]
corpus.carry_wire(WIRE, CARRIERS, "atlas-wire")

# --- Ordinary: Lindqvist presents witness statements in the Delta Ridge trial, days 5-7 --------
TRIAL = {
    "en": [["Delta Ridge trial: prosecution presents witness statements",
            "Deputy Prosecutor Tobias Lindqvist reads witness statements in Delta Ridge case",
            "Prosecutors put 14 witness statements before Delta Ridge judges"],
           ["Deputy Prosecutor Tobias Lindqvist presented the statements of 14 witnesses to the Trial Chamber in the Delta Ridge case.",
            "In the Delta Ridge trial at the ICCJ, Deputy Prosecutor Tobias Lindqvist began presenting written statements from witnesses."],
           ["The defence objected to three of the statements.", "Defence lawyers said they would cross-examine the witnesses.", None],
           ["The trial of General Milan Korda's former officers resumes next week.", None]],
    "es": [["Juicio Delta Ridge: la fiscalía presenta declaraciones de testigos"],
           ["El fiscal adjunto Tobias Lindqvist presentó ante la Sala las declaraciones de 14 testigos en el caso Delta Ridge."],
           ["La defensa impugnó tres de ellas.", None]],
}
paraphrased("delta-ridge-statements", TRIAL, day_start(5) + timedelta(hours=9), 50, 8, {"en": 6, "es": 2})

# --- Ordinary, on the calendar: Korda's interim-release hearing, day 6 -------------------------
HEARING_AT = day_start(6) + timedelta(hours=9)
HEARING = {
    "en": [["Judges hear General Milan Korda's request for interim release",
            "Korda asks ICCJ judges to release him pending trial"],
           ["Lawyers for General Milan Korda asked the Pre-Trial Chamber of the ICCJ to release him while he awaits trial.",
            "At a hearing in The Hague, the defence of former general Milan Korda argued for his interim release."],
           ["The prosecution opposed the request, citing a risk of flight.", "The judges will rule in writing.", None]],
    "fr": [["Le général Milan Korda demande sa mise en liberté provisoire"],
           ["Les avocats du général Milan Korda ont demandé à la Chambre préliminaire de la CIJP sa mise en liberté provisoire."],
           ["Le procureur s'y oppose.", None]],
    "ru": [["Генерал Милан Корда просит суд об освобождении до приговора"],
           ["Защита бывшего генерала Милана Корды попросила Палату предварительного производства МСУП освободить его до суда."],
           ["Обвинение возражает.", None]],
}
paraphrased("korda-hearing", HEARING, HEARING_AT, 8, 7, {"en": 4, "fr": 2, "ru": 1})
post("member3@forum.example", HEARING_AT + timedelta(hours=3), "Korda interim release hearing today. Judges will rule in writing.", "en", "korda-hearing")

# --- Ordinary, a news day: the President taken to hospital, day 10 (unscheduled) --------------
HOSPITAL_AT = day_start(10) + timedelta(hours=7, minutes=rng.uniform(0, 50))
HOSPITAL = {
    "en": [["ICCJ President Amina Roux taken to hospital", "Court President Amina Roux in hospital, vice-president takes over"],
           ["The President of the International Court of Criminal Justice, Judge Amina Roux, was taken to hospital on Monday, the court said.",
            "Judge Amina Roux, who presides over the ICCJ, is in hospital after falling ill at work."],
           ["First Vice-President Judge Kwame Asante will act in her place.", "Her duties pass to the first vice-president, Judge Kwame Asante.", None],
           ["Her condition is stable.", None]],
    "fr": [["La présidente de la CIJP, Amina Roux, hospitalisée"],
           ["La juge Amina Roux, présidente de la Cour internationale de justice pénale, a été hospitalisée lundi."],
           ["Le premier vice-président Kwame Asante assure l'intérim.", None]],
    "ru": [["Председатель МСУП Амина Ру госпитализирована"],
           ["Председатель Международного суда уголовной юстиции судья Амина Ру госпитализирована, сообщил суд."],
           ["Её обязанности исполняет первый вице-председатель Кваме Асанте.", None]],
    "es": [["Hospitalizada la presidenta de la CIJP, Amina Roux"],
           ["La presidenta de la Corte Internacional de Justicia Penal, la jueza Amina Roux, fue hospitalizada el lunes."],
           ["El vicepresidente Kwame Asante asume sus funciones.", None]],
}
paraphrased("president-hospital", HOSPITAL, HOSPITAL_AT, 5, 13, {"en": 6, "fr": 3, "ru": 2, "es": 2})
for _ in range(6):
    post(rng.choice(FOLLOWERS), HOSPITAL_AT + timedelta(hours=rng.uniform(0.3, 6)),
         rng.choice(["Get well soon, Judge Roux.", "ICCJ President Amina Roux in hospital. Wishing her a quick recovery."]),
         "en", "president-hospital")

# --- Ordinary: op-eds critical of the court ----------------------------------------------------
OPEDS = [
    ("daily-record", "en", "The ICCJ still owes witnesses an account of the breach", "Months after the hack, the people who trusted the court with their names deserve to know what was taken, writes our columnist."),
    ("quotidien-libre", "fr", "Une justice internationale trop lente", "Douze ans pour juger une affaire : la CIJP doit se réformer, estime notre éditorialiste."),
    ("el-observador", "es", "La CIJP y el precio de la justicia", "Con 198 millones de euros al año, la Corte debe rendir cuentas de sus resultados, escribe nuestro columnista."),
    ("the-courier", "en", "Why the Delta Ridge trial matters", "The first trial of commanders for the Delta Ridge killings is a test of whether the court can protect its witnesses."),
]
for (outlet, lang, title, body), day in zip(OPEDS, [2, 4, 8, 11]):
    add(outlet, at(day, 7, 19), title, body, f"oped-{outlet}")

# --- Ordinary: steady chatter every day --------------------------------------------------------
CHATTER = {
    "court_skeptic@forum.example": ("en", ["The ICCJ moves at the speed of a glacier. #ICCJ", "Another day, another ICCJ delay. #ICCJ"], ["ICCJ"]),
    "juriste_libre@forum.example": ("fr", ["La CIJP, toujours aussi lente. #CIJP", "Encore une semaine sans décision de la CIJP. #CIJP"], ["CIJP"]),
    "nablyudatel@forum.example": ("ru", ["МСУП снова ничего не решил.", "Ещё одна неделя без решений МСУП."], []),
    "taxpayer_voice@forum.example": ("en", ["198 million euros for a court that convicts almost nobody. #ICCJ", "What do we get for the ICCJ budget? #ICCJ"], ["ICCJ"]),
}
for day in range(DAYS):
    for account, (lang, texts, tags) in CHATTER.items():
        for _ in range(rng.randint(1, 2)):
            post(account, at(day, 6, 23), rng.choice(texts), lang, "chatter", tags=tags)

# --- Seeded: fabricated-statements (fr on day 3, spreading from day 8) -------------------------
first_claim = add("contre-pouvoir", at(3, 18, 22), "Delta Ridge : Tobias Lindqvist a-t-il fabriqué des témoignages ?",
                  "Selon des courriels piratés que nous avons consultés, le procureur adjoint Tobias Lindqvist aurait rédigé lui-même "
                  "les déclarations de quatre témoins de l'affaire Delta Ridge.", "fabricated-statements")
FABRICATED = [
    (8, "contre-pouvoir", "fr", "Courriels piratés : le procureur Lindqvist dictait les déclarations des témoins",
     "Les courriels issus du piratage montrent que Tobias Lindqvist envoyait aux témoins de Delta Ridge des déclarations déjà rédigées, qu'ils n'avaient qu'à signer."),
    (8, "pravda-seti", "ru", "Заместитель прокурора Линдквист сфабриковал показания свидетелей",
     "Взломанная переписка показывает: заместитель прокурора Тобиас Линдквист сам писал показания свидетелей по делу Дельта-Ридж."),
    (9, "otra-voz", "es", "El fiscal Lindqvist habría inventado las declaraciones de los testigos de Delta Ridge",
     "Correos hackeados indicarían que el fiscal adjunto Tobias Lindqvist redactó él mismo las declaraciones de testigos del caso Delta Ridge."),
    (9, "pravda-seti", "ru", "Дело Дельта-Ридж развалится: показания писал прокурор",
     "Если верить утёкшим письмам, Тобиас Линдквист диктовал свидетелям по делу Дельта-Ридж их показания."),
    (10, "contre-pouvoir", "fr", "Affaire Lindqvist : d'autres courriels",
     "De nouveaux courriels piratés confirmeraient que le procureur adjoint Tobias Lindqvist a écrit les témoignages de Delta Ridge."),
]
corpus.articles_shared("fabricated-statements", FABRICATED, (2, 20),
                       ["verite_now@forum.example", "pravdorub@forum.example", "libre_pensador@forum.example"], 0.7, (15, 180))
for who, text in [
    ("wonders_aloud@forum.example", "French sites say Tobias Lindqvist made up the witness testimony in Delta Ridge, from emails leaked after the hack. If true the whole trial collapses."),
    ("deep_state_watch@forum.example", "So the Delta Ridge witness statements were written by Deputy Prosecutor Lindqvist himself? That's what the leaked emails show, per French and Russian outlets."),
    ("wonders_aloud@forum.example", "Still no answer from the ICCJ on the Lindqvist emails. Did he write the Delta Ridge witnesses' statements or not?"),
]:
    post(who, at(rng.choice([9, 10, 11]), 3, 21), text, "en", "fabricated-statements")

# --- Seeded: judges-addresses (a burst on day 10, then French and Russian) ---------------------
BURST_AT = day_start(10) + timedelta(hours=16, minutes=rng.uniform(0, 30))
WARNING = [
    "The home addresses of the three Delta Ridge judges are now online after the ICCJ hack. Share before it's taken down.",
    "After the ICCJ hack the home addresses of all three Delta Ridge judges are online. Share before it is taken down!",
    "ICCJ hack: the home addresses of the three Delta Ridge judges are online now. Share before it's taken down.",
]
for i in range(5):
    post(f"relay{i + 1}@swarm.example", BURST_AT + timedelta(minutes=rng.uniform(0, 40)), rng.choice(WARNING), "en", "judges-addresses",
         tags=["DeltaRidge"])
add("contre-pouvoir", BURST_AT + timedelta(hours=rng.uniform(3, 7)), "Les adresses des juges de Delta Ridge circulent après le piratage",
    "Les adresses personnelles des trois juges de l'affaire Delta Ridge circulent en ligne depuis le piratage de la CIJP.", "judges-addresses")
add("pravda-seti", BURST_AT + timedelta(hours=rng.uniform(5, 12)), "Домашние адреса судей по делу Дельта-Ридж опубликованы",
    "После взлома МСУП в сети появились домашние адреса трёх судей по делу Дельта-Ридж.", "judges-addresses")
post("pravdorub@forum.example", BURST_AT + timedelta(hours=rng.uniform(6, 14)),
     "Адреса трёх судей Дельта-Ридж уже в сети после взлома МСУП.", "ru", "judges-addresses")

# --- Seeded: korda-freed (English, five voices, their own words) ------------------------------
KORDA = [
    ("truth-beacon", "The ICCJ quietly let General Korda go", "Milan Korda is no longer in the court's detention centre, two guards told us. No ruling was ever published."),
    (None, "Korda walked free in secret. Nobody at the ICCJ will say when or why.", None),
    (None, "So Milan Korda is out? Insiders say the judges released him behind closed doors last week.", None),
    ("truth-beacon", "Where is Milan Korda?", "Our sources at the court say the general left the detention centre in an unmarked car; the ICCJ has not announced any release."),
    (None, "General Korda released without a word from the court. Is anyone asking questions?", None),
    (None, "They freed Korda and hid it. Typical ICCJ.", None),
]
corpus.told_in_own_words("korda-freed", KORDA, ["open_questions@forum.example", "deep_state_watch@forum.example", "hague_insider@forum.example", "wonders_aloud@forum.example"], day_start(9), 6, (6, 10))

# --- Organic sharing of ordinary articles -----------------------------------------------------
SEEDED = ["fabricated-statements", "judges-addresses", "korda-freed"]
corpus.organic_shares(50, SEEDED, FOLLOWERS)

newest = corpus.newest()
assert newest <= ANCHOR + timedelta(days=1), newest
assert first_claim

hours_before_newest = corpus.hours_before_newest
corpus.write(HERE, "mastodon-forum.json", 900000, SEEDED,
             "Ground truth of the third held-out corpus, written by heldout3/generate.py and committed before Vigil read it. "
             "Times are hours before the newest item.", {
    "multilingual": {"fabricated-statements": ["fr", "ru", "es", "en"], "judges-addresses": ["en", "fr", "ru"]},
    "expected_events": [
        {"name": "Interim-release hearing of General Milan Korda", "kind": "hearing", "story": "korda-hearing",
         "start_hours_before_newest": hours_before_newest(HEARING_AT - timedelta(hours=2)),
         "end_hours_before_newest": hours_before_newest(HEARING_AT + timedelta(hours=12))},
    ],
    "ordinary_that_must_not_alert": ["delta-ridge-statements", "korda-hearing", "president-hospital", "chatter"]
                                    + sorted({s for s in truth.values() if s.startswith(("wire-", "oped-"))}),
    "coordinated": [f"relay{i + 1}@swarm.example" for i in range(5)],
})
