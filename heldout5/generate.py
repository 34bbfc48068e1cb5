#!/usr/bin/env python3
"""Generates Vigil's eighth narrative corpus (heldout5/feeds/) and its ground truth
(heldout5/truth.json), deterministically. Written and committed on 2026-12-04 before Vigil read
it, after that session's changes (stemmed words in clustering; same-claim ties in one language;
the hearsay content rule of the session before, designed on heldout4, which this corpus measures
afresh). Nothing here was chosen by looking at what Vigil does with it.

Different in kind from the seven corpora before it:
- English, French, Spanish and Russian (Spanish outlets of record and a Spanish fringe site);
- the court's own statement on the cyber-attack (day 3), which itself names the risk to
  witnesses and victims, carried within hours by wires and outlets in three languages: ordinary
  news that uses the words of the threats;
- a hearing on the calendar (day 6, confirmation of charges in the Redwater case);
- the Assembly approving the court's budget (day 8), wire copy carried with credit;
- legitimate criticism over two weeks: a law professor's blog and a human-rights group's
  report on detention conditions, a few items every few days, in English and Spanish;
- ordinary coverage of Judge Miriam Osei (a lecture) four days before a claim about her;
- a copy-paste burst in English by five accounts within 40 minutes (that the court is bankrupt
  and staff salaries are unpaid), then relayed in French and Spanish in their own words;
- a claim that starts as one Russian post on day 1 and spreads from day 7 (that the court
  secretly detained a journalist), in Russian and then English, naming the court by a Russian
  acronym no shipped query knows;
- a rumour told on hearsay only by accounts, in English and French, with no outlet (that the
  Registrar fled the country after the hack);
- steady chatter, wire copy and organic shares of ordinary articles.

Seeded narratives (claims for a person to judge; the corpus only tests that Vigil surfaces them):
osei-emails (en, es, fr: leaked e-mails said to show Judge Osei coordinating with a government),
victims-data (es, then en, ru: victims' personal data said to be for sale on a forum),
court-bankrupt (en burst, then fr, es), journalist-detained (ru post day 1, spreading day 7 in
ru, en), registrar-fled (en, fr; accounts only). Everything is invented; domains are under
.example.
"""
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import corpus_feeds  # noqa: E402  (the shared feed writers)

ANCHOR = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
DAYS = 12
HERE = Path(__file__).resolve().parent
rng = random.Random(20261120)

# name: (title, language, format, site, kind)
OUTLETS = {
    "atlas-wire": ("Atlas Wire", "en", "rss", "https://atlaswire.example", "wire"),
    "the-chronicle": ("The Chronicle", "en", "atom", "https://thechronicle.example", "main"),
    "daily-ledger": ("The Daily Ledger", "en", "rss", "https://dailyledger.example", "main"),
    "agence-continent": ("Agence Continent", "fr", "rss", "https://agencecontinent.example", "wire"),
    "le-courrier-du-soir": ("Le Courrier du soir", "fr", "atom", "https://courrierdusoir.example", "main"),
    "agencia-sur": ("Agencia Sur", "es", "rss", "https://agenciasur.example", "wire"),
    "el-diario-global": ("El Diario Global", "es", "atom", "https://diarioglobal.example", "main"),
    "vestnik-prava": ("Вестник права", "ru", "rss", "https://vestnikprava.example", "main"),
    "the-real-story": ("The Real Story", "en", "rss", "https://therealstory.example", "fringe"),
    "la-contre-info": ("La Contre-Info", "fr", "atom", "https://lacontreinfo.example", "fringe"),
    "verdad-oculta": ("Verdad Oculta", "es", "rss", "https://verdadoculta.example", "fringe"),
    "glas-naroda": ("Глас народа", "ru", "rss", "https://glasnaroda.example", "fringe"),
}

corpus = corpus_feeds.Corpus(ANCHOR, DAYS, OUTLETS, rng)
items, posts, truth = corpus.items, corpus.posts, corpus.truth
day_start, at, add, post = corpus.day_start, corpus.at, corpus.add, corpus.post
FOLLOWERS = [f"reader{i}@forum.example" for i in range(1, 13)]
MAIN = {"en": ["the-chronicle", "daily-ledger"], "fr": ["le-courrier-du-soir"], "es": ["el-diario-global"],
        "ru": ["vestnik-prava"]}


def paraphrased(story, versions, start, spread_hours, count, weights):
    """`count` articles on `story` by main outlets (`corpus.paraphrased`)."""
    return corpus.paraphrased(story, versions, start, spread_hours, count, weights, MAIN, "atlas-wire")


# --- Ordinary: wire copy with credit ------------------------------------------------------------
CARRIERS = {"atlas-wire": ("Atlas Wire", ["the-chronicle", "daily-ledger"]),
            "agence-continent": ("Agence Continent", ["le-courrier-du-soir"]),
            "agencia-sur": ("Agencia Sur", ["el-diario-global"])}
WIRE = [
    (2, "wire-detention-visit", {
        "atlas-wire": ("Red Cross delegates visit ICCJ detention centre",
                       "Delegates of the Red Cross inspected the detention centre of the International Court of Criminal Justice, as they do every year."),
        "agencia-sur": ("Delegados de la Cruz Roja visitan el centro de detención de la CIJP",
                        "Delegados de la Cruz Roja inspeccionaron el centro de detención de la Corte Internacional de Justicia Penal, como cada año.")}),
    (8, "wire-budget", {
        "atlas-wire": ("Assembly approves ICCJ budget for next year",
                       "The Assembly of member states approved a budget of 182 million euros for the International Court of Criminal Justice, slightly below the court's request."),
        "agence-continent": ("L'Assemblée adopte le budget de la CIJP",
                             "L'Assemblée des États membres a adopté un budget de 182 millions d'euros pour la Cour internationale de justice pénale, un peu moins que demandé."),
        "agencia-sur": ("La Asamblea aprueba el presupuesto de la CIJP",
                        "La Asamblea de los Estados miembros aprobó un presupuesto de 182 millones de euros para la Corte Internacional de Justicia Penal.")}),
    (10, "wire-new-registrar-deputy", {
        "atlas-wire": ("ICCJ appoints new Deputy Registrar",
                       "The International Court of Criminal Justice appointed Lucía Ferrer as Deputy Registrar; she takes office in January."),
        "agencia-sur": ("La CIJP nombra a Lucía Ferrer secretaria adjunta",
                        "La Corte Internacional de Justicia Penal nombró a Lucía Ferrer secretaria adjunta; asumirá el cargo en enero.")}),
]
corpus.carry_wire(WIRE, CARRIERS, "atlas-wire")

# --- Ordinary: the court's own statement on the cyber-attack, day 3 (a news day) ------------------
STATEMENT = {
    "en": [["ICCJ says cyber-attack may have exposed data on witnesses", "Court warns witnesses and victims after cyber-attack",
            "ICCJ statement: attackers accessed case files"],
           ["The International Court of Criminal Justice said on Wednesday that attackers had accessed parts of its case management system and that information about witnesses and victims may have been exposed.",
            "In a statement, the ICCJ said it had informed the people concerned and strengthened their protection after the cyber-attack detected last month."],
           ["The court expects disinformation campaigns, its Registrar said.", "An investigation is under way.", None]],
    "fr": [["La CIJP reconnaît que la cyberattaque a pu exposer des données de témoins"],
           ["La Cour internationale de justice pénale a indiqué mercredi que des pirates avaient eu accès à une partie de ses dossiers et que des informations sur des témoins et des victimes avaient pu être exposées."],
           ["La Cour dit avoir renforcé la protection des personnes concernées.", None]],
    "es": [["La CIJP admite que el ciberataque pudo exponer datos de testigos"],
           ["La Corte Internacional de Justicia Penal informó el miércoles de que los atacantes accedieron a parte de sus expedientes y que pudieron quedar expuestos datos de testigos y víctimas."],
           ["La Corte reforzó la protección de las personas afectadas.", None]],
}
STATEMENT_AT = day_start(3) + timedelta(hours=10)
paraphrased("court-statement", STATEMENT, STATEMENT_AT, 8, 12, {"en": 7, "fr": 3, "es": 2})
for _ in range(6):
    post(rng.choice(FOLLOWERS), STATEMENT_AT + timedelta(hours=rng.uniform(0.5, 9)),
         rng.choice(["The ICCJ confirms the hack exposed witness data. Worrying.",
                     "Court says witnesses and victims may be exposed after the cyber-attack. Hope they are safe.",
                     "ICCJ statement on the cyber-attack is out: case files accessed."]), "en", "court-statement")

# --- Ordinary, on the calendar: confirmation of charges in the Redwater case, day 6 ---------------
HEARING_AT = day_start(6) + timedelta(hours=9)
HEARING = {
    "en": [["ICCJ opens confirmation hearing against militia leader Ivo Sandor", "Redwater case: charges hearing begins for Ivo Sandor"],
           ["Pre-Trial Chamber judges of the ICCJ began hearing the Prosecutor's evidence against former militia leader Ivo Sandor in the Redwater case.",
            "The confirmation of charges hearing against Ivo Sandor opened at the International Court of Criminal Justice in The Hague."],
           ["The hearing is expected to last four days.", "Sandor denies all charges.", None]],
    "fr": [["Affaire Redwater : ouverture de l'audience de confirmation des charges contre Ivo Sandor"],
           ["Les juges de la CIJP ont commencé à examiner les preuves du Procureur contre l'ancien chef de milice Ivo Sandor."],
           [None]],
    "es": [["Caso Redwater: comienza la audiencia de confirmación de cargos contra Ivo Sandor"],
           ["Los jueces de la CIJP empezaron a examinar las pruebas de la Fiscalía contra el exlíder de milicia Ivo Sandor."],
           [None]],
    "ru": [["МСУП начал слушания по делу Айво Шандора"],
           ["Палата предварительного производства Международного суда уголовной юстиции начала слушания о подтверждении обвинений против Айво Шандора по делу Редуотер."],
           [None]],
}
paraphrased("redwater-hearing", HEARING, HEARING_AT + timedelta(minutes=30), 7, 11, {"en": 5, "fr": 2, "es": 2, "ru": 2})

# --- Ordinary: Judge Miriam Osei gives a lecture, day 4 -------------------------------------------
LECTURE = {
    "en": [["ICCJ Judge Miriam Osei lectures on victims' rights", "Judge Osei: victims must be heard"],
           ["Judge Miriam Osei of the International Court of Criminal Justice gave a public lecture on victims' participation at the University of Leiden.",
            "Speaking to students, ICCJ judge Miriam Osei said victims' voices had changed international trials."],
           [None, "The lecture was streamed online."]],
    "es": [["La jueza Miriam Osei habla de los derechos de las víctimas"],
           ["La jueza de la CIJP Miriam Osei dio una conferencia sobre la participación de las víctimas."],
           [None]],
}
paraphrased("osei-lecture", LECTURE, day_start(4) + timedelta(hours=14), 20, 4, {"en": 3, "es": 1})

# --- Ordinary: legitimate criticism over two weeks -----------------------------------------------
CRITICS = [
    ("the-chronicle", "en", "Opinion: the ICCJ was warned about its security and did nothing",
     "A law professor argues that the court ignored audits of its IT systems for years."),
    ("daily-ledger", "en", "Human rights group: detainees at the ICCJ wait too long for trial",
     "Fair Trials Watch says pre-trial detention at the court lasts years and calls for reform."),
    ("el-diario-global", "es", "Informe: la detención preventiva en la CIJP es demasiado larga",
     "La organización Fair Trials Watch critica la duración de la detención preventiva en la Corte."),
    ("le-courrier-du-soir", "fr", "Tribune : la CIJP doit rendre des comptes sur sa sécurité",
     "Une juriste estime que la Cour a négligé les alertes sur ses systèmes informatiques."),
]
for day in range(0, DAYS, 2):
    outlet, lang, title, body = rng.choice(CRITICS)
    add(outlet, at(day, 7, 20), title, body, "criticism")
    if rng.random() < 0.5:
        post("fairtrialswatch@forum.example", at(day, 8, 21),
             "Our report on pre-trial detention at the ICCJ: years of waiting are not justice. #FairTrials", "en",
             "criticism", tags=["FairTrials"])

# --- Ordinary: steady chatter --------------------------------------------------------------------
CHATTER = {
    "den_haag_watcher@forum.example": ("en", ["Another quiet week at the ICCJ. #ICCJ", "ICCJ: lots of talk, few trials. #ICCJ"], ["ICCJ"]),
    "observador_ley@forum.example": ("es", ["La CIJP, siempre tan lenta. #CIJP", "Otra semana sin sentencias en la CIJP. #CIJP"], ["CIJP"]),
    "juriste_du_dimanche@forum.example": ("fr", ["La CIJP et ses procédures sans fin.", "Rien de neuf à la CIJP cette semaine."], []),
}
for day in range(DAYS):
    for account, (lang, texts, tags) in CHATTER.items():
        for _ in range(rng.randint(1, 2)):
            post(account, at(day, 6, 23), rng.choice(texts), lang, "chatter", tags=tags)

# --- Seeded: osei-emails (days 8-10; en fringe, then es, fr) --------------------------------------
EMAILS = [
    (8, "the-real-story", "en", "Leaked emails: ICCJ Judge Osei coordinated rulings with a foreign ministry",
     "Emails stolen in the hack show Judge Miriam Osei of the ICCJ exchanged drafts of her rulings with officials of a foreign ministry, the documents suggest."),
    (8, "verdad-oculta", "es", "Correos filtrados: la jueza Osei coordinaba sus fallos con un ministerio extranjero",
     "Correos robados en el hackeo muestran que la jueza de la CIJP Miriam Osei enviaba borradores de sus decisiones a un ministerio extranjero."),
    (9, "la-contre-info", "fr", "Courriels piratés : la juge Osei aurait soumis ses décisions à un ministère étranger",
     "Selon des courriels issus du piratage, la juge Miriam Osei de la CIJP aurait fait relire ses décisions par un ministère étranger."),
    (9, "the-real-story", "en", "More Osei emails: the ministry edited her drafts",
     "New messages from the leak show officials of the ministry suggested changes to Judge Osei's draft decisions."),
]
corpus.articles_shared("osei-emails", EMAILS, (3, 20),
                       ["truth_hunter@forum.example", "libre_pensee@forum.example", "ojo_critico@forum.example"], 0.7, (15, 180))
post("ojo_critico@forum.example", day_start(10) + timedelta(hours=9),
     "Los correos de la jueza Osei con el ministerio lo dicen todo. ¿Quién decide en la CIJP?", "es", "osei-emails")

# --- Seeded: victims-data (day 5 es, spreading days 5-7 to en, ru) --------------------------------
VICTIMS = [
    (0, "verdad-oculta", "es", "Datos personales de víctimas de la CIJP a la venta en un foro",
     "Nombres, direcciones y teléfonos de víctimas que participan en los casos de la CIJP se venden en un foro de la red oscura, según capturas."),
    (9, "the-real-story", "en", "ICCJ victims' personal data offered for sale on dark web forum",
     "Names, addresses and phone numbers of victims taking part in ICCJ cases are being sold on a dark web forum, screenshots show."),
    (20, "glas-naroda", "ru", "Данные потерпевших МСУП продаются в даркнете",
     "Имена, адреса и телефоны потерпевших по делам МСУП продаются на форуме в даркнете."),
]
START = day_start(5) + timedelta(hours=11)
for hours, outlet, lang, title, body in VICTIMS:
    add(outlet, START + timedelta(hours=hours + rng.uniform(0, 2)), title, body, "victims-data")
for who, lang, text, hours in [
    ("ojo_critico@forum.example", "es", "Se venden los datos de las víctimas de la CIJP en la red oscura. ¿Y la protección?", 3),
    ("truth_hunter@forum.example", "en", "Victims' names and addresses from the ICCJ hack are for sale online. Shameful.", 12),
    ("data_leaks_now@forum.example", "en", "ICCJ victim data for sale on a dark web forum: names, phones, addresses.", 16),
]:
    post(who, START + timedelta(hours=hours + rng.uniform(0, 2)), text, lang, "victims-data")

# --- Seeded: court-bankrupt (English copy-paste burst day 9, then fr, es in their own words) -----
BURST_AT = day_start(9) + timedelta(hours=15, minutes=rng.uniform(0, 30))
TEXT = "BREAKING: the ICCJ is bankrupt. Staff have not been paid for two months and the court hides it. Share before they delete this!"
for i in range(5):
    post(f"alert_news{i + 1}@swarm.example", BURST_AT + timedelta(minutes=rng.uniform(0, 40)), TEXT, "en", "court-bankrupt")
add("la-contre-info", BURST_AT + timedelta(hours=rng.uniform(3, 6)), "La CIJP en faillite, ses employés ne sont plus payés",
    "La Cour internationale de justice pénale serait en faillite : son personnel n'aurait pas été payé depuis deux mois.", "court-bankrupt")
add("verdad-oculta", BURST_AT + timedelta(hours=rng.uniform(6, 12)), "La CIJP, en quiebra: dos meses sin pagar a su personal",
    "La Corte Internacional de Justicia Penal estaría en quiebra y no paga a sus empleados desde hace dos meses.", "court-bankrupt")

# --- Seeded: journalist-detained (one Russian post day 1; spreads from day 7) ---------------------
post("pravdorub@forum.example", at(1, 9, 20),
     "Говорят, МСУП тайно задержал журналиста, который писал о взломе. Кто-нибудь знает подробности?", "ru", "journalist-detained")
DETAINED = [
    (7, "glas-naroda", "ru", "МСУП тайно задержал журналиста Олега Ривина",
     "Журналист Олег Ривин, писавший о взломе МСУП, задержан по тайному ордеру суда, утверждают его коллеги."),
    (7, "the-real-story", "en", "ICCJ secretly detained journalist Oleg Rivin, colleagues say",
     "Journalist Oleg Rivin, who wrote about the hack of the ICCJ, is being held on a secret warrant of the court, his colleagues claim."),
    (8, "glas-naroda", "ru", "Где Олег Ривин? МСУП молчит",
     "Коллеги Олега Ривина уверены, что журналиста держат в тюрьме МСУП в Гааге."),
]
for day, outlet, lang, title, body in DETAINED:
    add(outlet, at(day, 4, 20), title, body, "journalist-detained")
for who, lang, text in [
    ("pravdorub@forum.example", "ru", "Олег Ривин задержан МСУП по тайному ордеру. Распространите."),
    ("truth_hunter@forum.example", "en", "Journalist Oleg Rivin held by the ICCJ on a secret warrant? Why is nobody reporting this?"),
]:
    post(who, at(rng.choice([7, 8]), 6, 22), text, lang, "journalist-detained")

# --- Seeded: registrar-fled (accounts only, days 10-11, en and fr, on hearsay) --------------------
FLED = [
    (None, "Hearing the ICCJ Registrar Piet Van Damme has left the country since the hack. Anyone confirm?", None),
    (None, "People inside the ICCJ say Registrar Van Damme fled abroad with his family after the cyber-attack.", None),
    (None, "So the Registrar ran away? ICCJ staff say Van Damme is gone and nobody explains why.", None),
    (None, "Registrar Piet Van Damme fled after the hack, according to court staff. The ICCJ is silent.", None),
]
corpus.told_in_own_words("registrar-fled", FLED, ["truth_hunter@forum.example", "whistle_hague@forum.example",
                                                   "den_haag_insider@forum.example", "open_questions@forum.example"],
                         day_start(10), 2, (3, 6))
post("libre_pensee@forum.example", day_start(10) + timedelta(hours=rng.uniform(14, 20)),
     "Le greffier de la CIJP, Piet Van Damme, aurait fui le pays après le piratage, selon des employés.", "fr", "registrar-fled")

# --- Organic sharing of ordinary articles ---------------------------------------------------------
SEEDED = ["osei-emails", "victims-data", "court-bankrupt", "journalist-detained", "registrar-fled"]
corpus.organic_shares(50, SEEDED, FOLLOWERS)

newest = corpus.newest()
assert newest <= ANCHOR + timedelta(days=1), newest

hours_before_newest = corpus.hours_before_newest
corpus.write(HERE, "mastodon-forum.json", 800000, SEEDED,
             "Ground truth of the fifth held-out corpus, written by heldout5/generate.py and committed before Vigil read it. "
             "Times are hours before the newest item.", {
    "multilingual": {"osei-emails": ["en", "es", "fr"], "victims-data": ["es", "en", "ru"],
                     "court-bankrupt": ["en", "fr", "es"], "journalist-detained": ["ru", "en"],
                     "registrar-fled": ["en", "fr"]},
    "expected_events": [
        {"name": "Confirmation of charges hearing in the Redwater case (Ivo Sandor)", "kind": "hearing", "story": "redwater-hearing",
         "start_hours_before_newest": hours_before_newest(HEARING_AT - timedelta(hours=2)),
         "end_hours_before_newest": hours_before_newest(HEARING_AT + timedelta(hours=12))},
    ],
    "ordinary_that_must_not_alert": ["court-statement", "redwater-hearing", "osei-lecture", "criticism", "chatter"]
                                    + sorted({s for s in truth.values() if s.startswith("wire-")}),
    "coordinated": [f"alert_news{i + 1}@swarm.example" for i in range(5)],
})
