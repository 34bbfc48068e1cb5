#!/usr/bin/env python3
"""Generates Vigil's tenth narrative corpus (heldout7/feeds/) and its ground truth
(heldout7/truth.json), deterministically. Written and committed on 2026-12-04 before Vigil read
it, to measure afresh what the same session changed after heldout5's and heldout6's first runs:
official sources (the court's statement explains its own coverage), a story the court began
absorbs no claims, and the emergence warm-up counted from a story's own first document. Nothing
here was chosen by looking at what Vigil does with it.

Different in kind from the nine corpora before it:
- English, French, Spanish and Russian; the court's own press feed (marked official) and its
  French-language press feed (also official);
- the court's statement condemning sanctions announced against two of its judges (day 4),
  which matches the threats-and-sanctions claim, carried by wires and outlets in four languages;
- on the same day, six hours after the statement, a claim that one of the sanctioned judges'
  children were followed and photographed at school (accounts, then a fringe site; English and
  Spanish): a threat taken up within the statement's news day;
- the court's announcement of its new Registrar (day 2), covered by outlets: ordinary;
- a claim that starts on day 1 (the corpus's second day) and becomes visible on day 2: that
  the court's servers are still in the attackers' hands and all filings are being read
  (hearsay, English and Russian);
- a statement falsely attributed to the Prosecutor, copied by six accounts within 40 minutes
  (that the Prosecutor resigns over the hack), then carried in French;
- a judgment on the calendar (day 9), wire copy with credit, steady chatter, criticism, organic
  shares.

Seeded narratives (claims for a person to judge; the corpus only tests that Vigil surfaces them):
children-followed (en, es; within the statement's news day), servers-compromised (en, ru; from
day 1), fake-resignation (en burst, fr). Everything is invented; domains are under .example.
"""
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import corpus_feeds  # noqa: E402  (the shared feed writers)

ANCHOR = datetime(2026, 11, 8, 12, 0, tzinfo=timezone.utc)
DAYS = 11
HERE = Path(__file__).resolve().parent
rng = random.Random(20261108)

# name: (title, language, format, site, kind)
OUTLETS = {
    "iccj-news": ("ICCJ News", "en", "rss", "https://news.iccj.example", "official"),
    "cijp-actualites": ("CIJP Actualités", "fr", "rss", "https://actualites.iccj.example", "official"),
    "northern-wire": ("Northern Wire", "en", "rss", "https://northernwire.example", "wire"),
    "the-herald": ("The Herald", "en", "atom", "https://theherald.example", "main"),
    "evening-standard-post": ("The Standard Post", "en", "rss", "https://standardpost.example", "main"),
    "le-quotidien": ("Le Quotidien", "fr", "atom", "https://lequotidien.example", "main"),
    "el-mundo-hoy": ("El Mundo Hoy", "es", "rss", "https://mundohoy.example", "main"),
    "yuridicheskaya-gazeta": ("Юридическая газета", "ru", "rss", "https://yurgazeta.example", "main"),
    "the-awakening": ("The Awakening", "en", "rss", "https://theawakening.example", "fringe"),
    "contre-courant": ("Contre-courant", "fr", "atom", "https://contrecourant.example", "fringe"),
    "la-otra-verdad": ("La Otra Verdad", "es", "rss", "https://laotraverdad.example", "fringe"),
    "skrytaya-pravda": ("Скрытая правда", "ru", "rss", "https://skrytayapravda.example", "fringe"),
}

corpus = corpus_feeds.Corpus(ANCHOR, DAYS, OUTLETS, rng)
items, posts, truth = corpus.items, corpus.posts, corpus.truth
day_start, at, add, post = corpus.day_start, corpus.at, corpus.add, corpus.post
FOLLOWERS = [f"reader{i}@square.example" for i in range(1, 13)]
MAIN = {"en": ["the-herald", "evening-standard-post"], "fr": ["le-quotidien"], "es": ["el-mundo-hoy"],
        "ru": ["yuridicheskaya-gazeta"]}


def paraphrased(story, versions, start, spread_hours, count, weights):
    """`count` articles on `story` by main outlets (`corpus.paraphrased`)."""
    return corpus.paraphrased(story, versions, start, spread_hours, count, weights, MAIN, "northern-wire")


# --- Ordinary: wire copy with credit ------------------------------------------------------------
CARRIERS = {"northern-wire": ("Northern Wire", ["the-herald", "evening-standard-post"])}
WIRE = [
    (3, "wire-training", {"northern-wire": ("ICCJ trains judges from 12 countries",
                                            "Judges from twelve member states attended a week of training at the International Court of Criminal Justice.")}),
    (7, "wire-cooperation", {"northern-wire": ("Veltria signs witness relocation agreement with ICCJ",
                                               "Veltria agreed to relocate witnesses at risk for the International Court of Criminal Justice, the court said.")}),
]
corpus.carry_wire(WIRE, CARRIERS, "northern-wire")

# --- Ordinary, the court's own news: a new Registrar (day 2) ---------------------------------------
REGISTRAR_AT = day_start(2) + timedelta(hours=10)
add("iccj-news", REGISTRAR_AT, "Judges elect Ingrid Solvang as Registrar",
    "The judges of the court elected Ingrid Solvang as Registrar for a five-year term.", "new-registrar")
add("cijp-actualites", REGISTRAR_AT + timedelta(minutes=30), "Les juges élisent Ingrid Solvang greffière",
    "Les juges de la Cour ont élu Ingrid Solvang greffière pour un mandat de cinq ans.", "new-registrar")
REGISTRAR = {
    "en": [["ICCJ elects Ingrid Solvang as Registrar", "New ICCJ Registrar: Ingrid Solvang"],
           ["The judges of the International Court of Criminal Justice elected Ingrid Solvang, a Norwegian jurist, as the court's Registrar."],
           [None, "She takes office next month."]],
    "es": [["La CIJP elige a Ingrid Solvang como secretaria"],
           ["Los jueces de la Corte Internacional de Justicia Penal eligieron a Ingrid Solvang como secretaria."], [None]],
}
paraphrased("new-registrar", REGISTRAR, REGISTRAR_AT + timedelta(minutes=40), 10, 4, {"en": 3, "es": 1})

# --- Ordinary, the court's own news: statement on sanctions against two judges (day 4) ------------
SANCTIONS_AT = day_start(4) + timedelta(hours=8, minutes=rng.uniform(0, 40))
add("iccj-news", SANCTIONS_AT, "The court condemns sanctions against Judges Okonkwo and Ferreira",
    "The court condemns the sanctions announced against Judges Chidi Okonkwo and Marta Ferreira. Threats and measures against judges are an attack on judicial independence.", "sanctions-statement")
add("cijp-actualites", SANCTIONS_AT + timedelta(minutes=20), "La Cour condamne les sanctions visant les juges Okonkwo et Ferreira",
    "La Cour condamne les sanctions annoncées contre les juges Chidi Okonkwo et Marta Ferreira, une attaque contre l'indépendance judiciaire.", "sanctions-statement")
SANCTIONS = {
    "en": [["ICCJ condemns sanctions on two of its judges", "Court hits back at sanctions against judges Okonkwo and Ferreira"],
           ["The International Court of Criminal Justice condemned sanctions announced against Judges Chidi Okonkwo and Marta Ferreira, calling them an attack on its independence.",
            "The ICCJ said sanctions imposed on two of its judges, Chidi Okonkwo and Marta Ferreira, threaten judicial independence."],
           ["The sanctions freeze any assets the judges hold abroad.", "Member states were asked to respond.", None]],
    "fr": [["La CIJP condamne les sanctions contre deux de ses juges"],
           ["La Cour internationale de justice pénale a condamné les sanctions visant les juges Chidi Okonkwo et Marta Ferreira."], [None]],
    "es": [["La CIJP condena las sanciones contra dos de sus jueces"],
           ["La Corte Internacional de Justicia Penal condenó las sanciones contra los jueces Chidi Okonkwo y Marta Ferreira."], [None]],
    "ru": [["МСУП осудил санкции против двух своих судей"],
           ["Международный суд уголовной юстиции осудил санкции против судей Чиди Оконкво и Марты Феррейры."], [None]],
}
paraphrased("sanctions-statement", SANCTIONS, SANCTIONS_AT + timedelta(minutes=25), 8, 12, {"en": 6, "fr": 2, "es": 2, "ru": 2})
for _ in range(6):
    post(rng.choice(FOLLOWERS), SANCTIONS_AT + timedelta(hours=rng.uniform(0.5, 9)),
         rng.choice(["Sanctions against ICCJ judges Okonkwo and Ferreira. The court condemns them, rightly.",
                     "The ICCJ statement on the sanctions against its judges is clear.",
                     "Sanctioning judges for doing their job. Solidarity with the ICCJ."]), "en", "sanctions-statement")

# --- Ordinary, on the calendar: a judgment (day 9) -------------------------------------------------
JUDGMENT_AT = day_start(9) + timedelta(hours=10)
JUDGMENT = {
    "en": [["ICCJ acquits former minister Radu Petrescu in the Silver Lake case", "Silver Lake verdict: Petrescu acquitted"],
           ["The Trial Chamber of the ICCJ acquitted former minister Radu Petrescu of all charges in the Silver Lake case."],
           ["The Prosecutor may appeal.", None]],
    "fr": [["Affaire Silver Lake : l'ancien ministre Radu Petrescu acquitté"],
           ["La Chambre de première instance de la CIJP a acquitté Radu Petrescu de toutes les charges."], [None]],
    "es": [["Caso Silver Lake: absuelto el exministro Radu Petrescu"],
           ["La Sala de Primera Instancia de la CIJP absolvió a Radu Petrescu de todos los cargos."], [None]],
}
paraphrased("silver-lake-judgment", JUDGMENT, JUDGMENT_AT + timedelta(minutes=30), 6, 10, {"en": 6, "fr": 2, "es": 2})

# --- Ordinary: criticism and chatter -------------------------------------------------------------
for day in range(0, DAYS, 2):
    outlet, lang, title, body = rng.choice([
        ("the-herald", "en", "Editorial: the ICCJ must be faster", "Our editorial board says the court's trials take too long."),
        ("el-mundo-hoy", "es", "Opinión: la CIJP necesita más transparencia", "Un jurista pide a la Corte más transparencia sobre el ciberataque."),
        ("le-quotidien", "fr", "Tribune : la CIJP et ses lenteurs", "Un avocat critique la durée des procédures devant la Cour."),
    ])
    add(outlet, at(day, 7, 20), title, body, "criticism")
CHATTER = {
    "hague_grumbler@square.example": ("en", ["ICCJ: all talk. #ICCJ", "Another week, no verdict at the ICCJ. #ICCJ"], ["ICCJ"]),
    "mirador_juridico@square.example": ("es", ["La CIJP, siempre igual.", "Nada nuevo en la CIJP."], []),
    "sudebny_vzglyad@square.example": ("ru", ["МСУП снова молчит.", "Ещё неделя без решений в Гааге."], []),
}
for day in range(DAYS):
    for account, (lang, texts, tags) in CHATTER.items():
        for _ in range(rng.randint(1, 2)):
            post(account, at(day, 6, 23), rng.choice(texts), lang, "chatter", tags=tags)

# --- Seeded: children-followed (day 4, six hours after the court's statement; en, es) -------------
FOLLOWED_AT = SANCTIONS_AT + timedelta(hours=6)
for who, lang, text, hours in [
    ("watchful_mom@square.example", "en", "Judge Okonkwo's children were followed and photographed outside their school in The Hague today. This is how it starts.", 0),
    ("civic_alarm@square.example", "en", "Someone is photographing the children of ICCJ judge Okonkwo at school. After the sanctions, now this.", 1.5),
    ("voz_libre@square.example", "es", "Siguieron y fotografiaron a los hijos del juez Okonkwo de la CIJP a la salida del colegio.", 3),
]:
    post(who, FOLLOWED_AT + timedelta(hours=hours + rng.uniform(0, 0.5)), text, lang, "children-followed")
add("the-awakening", FOLLOWED_AT + timedelta(hours=rng.uniform(4, 6)), "ICCJ judge's children followed at school after sanctions",
    "The children of ICCJ judge Chidi Okonkwo were followed and photographed outside their school, according to parents who saw it.", "children-followed")
add("la-otra-verdad", FOLLOWED_AT + timedelta(hours=rng.uniform(6, 9)), "Fotografían a los hijos del juez Okonkwo en su colegio",
    "Los hijos del juez de la CIJP Chidi Okonkwo fueron seguidos y fotografiados a la salida de su colegio, según testigos.", "children-followed")

# --- Seeded: servers-compromised (from day 1, on hearsay; en, ru) ----------------------------------
SERVERS_AT = day_start(1) + timedelta(hours=15)
add("the-awakening", SERVERS_AT, "Insiders: hackers still inside ICCJ servers, reading every filing",
    "The attackers never left the ICCJ network and are still reading every filing, according to two insiders.", "servers-compromised")
for who, lang, text, hours in [
    ("civic_alarm@square.example", "en", "ICCJ insiders say the hackers are still in the servers. Every filing is being read.", 4),
    ("hacker_news_fan@square.example", "en", "So the ICCJ network is still owned by the attackers? Sources say they read all filings.", 9),
]:
    post(who, SERVERS_AT + timedelta(hours=hours + rng.uniform(0, 1)), text, lang, "servers-compromised")
add("skrytaya-pravda", SERVERS_AT + timedelta(hours=rng.uniform(14, 20)), "Хакеры до сих пор в сетях МСУП, утверждают источники",
    "По словам источников, взломщики так и не покинули сеть Международного суда уголовной юстиции и читают все документы.", "servers-compromised")
post("pravdoiskatel@square.example", SERVERS_AT + timedelta(hours=rng.uniform(22, 26)),
     "Источники: хакеры всё ещё читают документы МСУП.", "ru", "servers-compromised")

# --- Seeded: fake-resignation (a statement falsely attributed to the Prosecutor; day 7) -----------
BURST_AT = day_start(7) + timedelta(hours=18, minutes=rng.uniform(0, 20))
TEXT = "Prosecutor Amal Haddad: 'I resign. The hack has made the work of my office impossible.' ICCJ statement."
for i in range(6):
    post(f"relay{i + 1}@swarm.example", BURST_AT + timedelta(minutes=rng.uniform(0, 40)), TEXT, "en", "fake-resignation")
add("contre-courant", BURST_AT + timedelta(hours=rng.uniform(2, 5)), "La procureure Amal Haddad démissionne après le piratage",
    "La procureure de la CIJP Amal Haddad aurait annoncé sa démission, le piratage rendant le travail de son bureau impossible.", "fake-resignation")

# --- Organic sharing of ordinary articles ---------------------------------------------------------
SEEDED = ["children-followed", "servers-compromised", "fake-resignation"]
corpus.organic_shares(45, SEEDED, FOLLOWERS)

newest = corpus.newest()
assert newest <= ANCHOR + timedelta(days=1), newest

hours_before_newest = corpus.hours_before_newest
corpus.write(HERE, "mastodon-square.json", 950000, SEEDED,
             "Ground truth of the seventh held-out corpus, written by heldout7/generate.py and committed before Vigil read it. "
             "Times are hours before the newest item.", {
    "multilingual": {"children-followed": ["en", "es"], "servers-compromised": ["en", "ru"], "fake-resignation": ["en", "fr"]},
    "expected_events": [
        {"name": "Judgment in the Silver Lake case (Radu Petrescu)", "kind": "judgment", "story": "silver-lake-judgment",
         "start_hours_before_newest": hours_before_newest(JUDGMENT_AT - timedelta(hours=2)),
         "end_hours_before_newest": hours_before_newest(JUDGMENT_AT + timedelta(hours=12))},
    ],
    "ordinary_that_must_not_alert": ["sanctions-statement", "new-registrar", "silver-lake-judgment", "criticism", "chatter"]
                                    + sorted({s for s in truth.values() if s.startswith("wire-")}),
    "coordinated": [f"relay{i + 1}@swarm.example" for i in range(6)],
})
