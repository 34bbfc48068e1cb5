#!/usr/bin/env python3
"""Generates Vigil's fifth narrative corpus (heldout2/feeds/) and its ground truth
(heldout2/truth.json), deterministically. Written and committed on 2026-12-04 before Vigil read
it, to measure issue 14's goals on text nothing was tuned to. Nothing here was chosen by looking
at what Vigil does with it.

Different in kind from demo/, scenario/, multilingual/ and heldout/:
- five languages (English, French, German, Spanish, Russian), twelve days;
- ordinary stories are *paraphrased*: each outlet writes its own article from its own choice of
  sentences (as newsrooms do), so one story's documents share facts, names and numbers but
  rarely whole sentences; wire copy is still carried word for word with the agency credited;
- one official (Prosecutor Henrik Dahl) is in three stories at once: an ordinary visit (days
  4-7), an ordinary speech (day 10) and a seeded claim against him (day 10 on);
- ordinary news about the cyber-attack itself: the Registry restoring its case database (day 5,
  unscheduled, many outlets within hours) and an audit finding that the court ignored security
  warnings (day 7, legitimate criticism carried with credit);
- steady chatter by five accounts in three languages with hashtags, every day;
- a judgment in the Karst case on day 8, on the calendar.

Seeded narratives (claims for a person to judge; the corpus only tests that Vigil surfaces them):
- staged-hack (en/de/ru/es): "the cyber-attack on the court in The Hague was staged by its own
  staff to wipe the Karst files", never naming the court (only "the court in The Hague",
  "das Haager Gericht", "гаагский суд", "el tribunal de La Haya"); one post on day 2 that nobody
  takes up, then spreading from day 9;
- dahl-suspended (en/fr/es): "Prosecutor Henrik Dahl was secretly suspended after an internal
  inquiry into his conduct with a witness", paraphrased by fringe outlets and accounts on days
  10-11, the days he is in ordinary news for a speech;
- warrants-void (ru, then en): "since the hack all of the court's arrest warrants are void: the
  judges' signatures were stolen", a burst of near-identical Russian posts by six accounts within
  thirty minutes on day 11, then two English posts and one Russian fringe article.
Everything is invented; domains are under .example.
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import corpus_feeds  # noqa: E402  (the shared feed writers)

ANCHOR = datetime(2026, 11, 16, 12, 0, tzinfo=timezone.utc)
DAYS = 12
HERE = Path(__file__).resolve().parent
rng = random.Random(20261116)

# name: (title, language, format, site, kind)
OUTLETS = {
    "meridian-wire": ("Meridian Wire", "en", "rss", "https://meridianwire.example", "wire"),
    "harbour-times": ("The Harbour Times", "en", "atom", "https://harbourtimes.example", "main"),
    "civic-ledger": ("Civic Ledger", "en", "rss", "https://civicledger.example", "main"),
    "depeche-monde": ("Dépêche Monde", "fr", "atom", "https://depechemonde.example", "wire"),
    "le-regard": ("Le Regard", "fr", "rss", "https://leregard.example", "main"),
    "abendblatt-nord": ("Abendblatt Nord", "de", "rss", "https://abendblattnord.example", "main"),
    "diario-sur": ("El Diario del Sur", "es", "atom", "https://diariodelsur.example", "main"),
    "pravo-inform": ("Право-Информ", "ru", "rss", "https://pravoinform.example", "wire"),
    "vremya-x": ("Время и право", "ru", "atom", "https://vremyaipravo.example", "main"),
    "open-eyes": ("Open Eyes Report", "en", "rss", "https://openeyesreport.example", "fringe"),
    "wahrheit-x": ("Die verborgene Wahrheit", "de", "atom", "https://verborgenewahrheit.example", "fringe"),
    "verdad-x": ("La Verdad Oculta", "es", "rss", "https://verdadoculta.example", "fringe"),
    "tainy-x": ("Тайны недели", "ru", "rss", "https://tainynedeli.example", "fringe"),
}

corpus = corpus_feeds.Corpus(ANCHOR, DAYS, OUTLETS, rng)
items, posts, truth, events = corpus.items, corpus.posts, corpus.truth, corpus.events
day_start, at, add, post = corpus.day_start, corpus.at, corpus.add, corpus.post
FOLLOWERS = [f"reader{i}@social.example" for i in range(1, 16)]
MAIN = {"en": ["harbour-times", "civic-ledger"], "fr": ["le-regard"], "de": ["abendblatt-nord"],
        "es": ["diario-sur"], "ru": ["vremya-x"]}


def compose(slots):
    """One outlet's own article: a title and one sentence from each slot (some slots optional:
    a None among the variants), so two outlets rarely write the same text."""
    title = rng.choice(slots[0])
    sentences = [rng.choice(s) for s in slots[1:]]
    return title, " ".join(s for s in sentences if s)


def paraphrased(story, versions, start, spread_hours, count, langs_weights):
    """`count` articles on `story`, each composed by a main outlet in a language drawn by
    weight, published within `spread_hours` of `start`."""
    langs = list(langs_weights)
    weights = [langs_weights[lang] for lang in langs]
    urls = []
    for _ in range(count):
        lang = rng.choices(langs, weights)[0]
        outlet = rng.choice(MAIN[lang] + (["meridian-wire"] if lang == "en" else []) + (["depeche-monde"] if lang == "fr" else []))
        title, body = compose(versions[lang])
        urls.append(add(outlet, start + timedelta(hours=rng.uniform(0, spread_hours)), title, body, story))
    return urls


# --- Ordinary: wire copy carried word for word with credit, some translated by other agencies --
# (day, story, {agency: (title, body)}); each agency's report is carried by some of its clients.
CARRIERS = {"meridian-wire": ("Meridian Wire", ["harbour-times", "civic-ledger"]),
            "depeche-monde": ("Dépêche Monde", ["le-regard"]),
            "pravo-inform": ("Право-Информ", ["vremya-x"])}
WIRE = [
    (1, "wire-legal-aid", {
        "meridian-wire": ("ICCJ Registry publishes annual report on legal aid",
                          "The Registry of the International Court of Criminal Justice published its annual report on legal aid, showing that defence teams received 14 per cent more funding than last year."),
        "depeche-monde": ("La CIJP publie son rapport annuel sur l'aide judiciaire",
                          "Le Greffe de la Cour internationale de justice pénale a publié son rapport annuel sur l'aide judiciaire ; les équipes de défense ont reçu 14 % de fonds de plus que l'an dernier."),
        "pravo-inform": ("Секретариат МСУП опубликовал ежегодный доклад о юридической помощи",
                         "Секретариат Международного суда уголовной юстиции опубликовал ежегодный доклад о юридической помощи: финансирование защиты выросло на 14 процентов.")}),
    (3, "wire-vega-elected", {
        "meridian-wire": ("ICCJ judges elect Marisol Vega presiding judge of the Trial Division",
                          "Judges of the International Court of Criminal Justice elected Judge Marisol Vega as presiding judge of the Trial Division, the court said."),
        "depeche-monde": ("La juge Marisol Vega élue à la tête de la Section de première instance de la CIJP",
                          "Les juges de la Cour internationale de justice pénale ont élu la juge Marisol Vega présidente de la Section de première instance."),
        "pravo-inform": ("Судья Марисоль Вега избрана председателем судебного отделения МСУП",
                         "Судьи Международного суда уголовной юстиции избрали Марисоль Вегу председателем судебного отделения.")}),
    (6, "wire-budget", {
        "meridian-wire": ("ICCJ budget committee backs 212 million euro budget for 2027",
                          "The budget committee of the International Court of Criminal Justice's member states recommended a budget of 212 million euros for 2027, up 3 per cent."),
        "depeche-monde": ("La commission du budget de la CIJP propose 212 millions d'euros pour 2027",
                          "La commission du budget des États membres de la Cour internationale de justice pénale a recommandé un budget de 212 millions d'euros pour 2027."),
        "pravo-inform": ("Бюджетный комитет МСУП предложил бюджет в 212 млн евро на 2027 год",
                         "Бюджетный комитет государств-членов Международного суда уголовной юстиции рекомендовал бюджет в 212 миллионов евро на 2027 год.")}),
    (9, "wire-field-office", {
        "meridian-wire": ("ICCJ opens field office in Orvan",
                          "The International Court of Criminal Justice opened a field office in Orvan, Selmia, to support its investigation and the victims taking part in it."),
        "depeche-monde": ("La CIJP ouvre un bureau extérieur à Orvan",
                          "La Cour internationale de justice pénale a ouvert un bureau extérieur à Orvan, en Selmie, pour appuyer son enquête et les victimes.")}),
]
for day, state in zip(sorted(rng.sample(range(DAYS), 5)), ["Carandia", "Ostmark", "Veltria", "Norland", "Brisca"]):
    WIRE.append((day, f"wire-cooperation-{state.lower()}", {"meridian-wire": (
        f"{state} signs cooperation agreement with the ICCJ",
        f"{state} signed an agreement with the International Court of Criminal Justice on the protection of witnesses and the enforcement of sentences, the court said.")}))
for day, story, reports in WIRE:
    first = at(day, 6, 14)
    for agency, (title, body) in reports.items():
        credit, clients = CARRIERS[agency]
        when = first + timedelta(minutes=0 if agency == "meridian-wire" else rng.uniform(20, 180))
        add(agency, when, title, body, story)
        for outlet in rng.sample(clients, rng.randint(1, len(clients))):
            add(outlet, when + timedelta(minutes=rng.uniform(20, 240)), title, f"{body} ({credit})", story)

# --- Ordinary: the Karst judgment, day 8 (on the calendar), paraphrased in five languages ------
KARST_AT = day_start(8) + timedelta(hours=10)
KARST = {
    "en": [["ICCJ convicts former militia leader in Karst case", "Karst case: ICCJ hands down 18-year sentence",
            "Judges find militia leader guilty of war crimes in Karst"],
           ["Trial Chamber II of the International Court of Criminal Justice found the former militia leader guilty of war crimes committed in Karst.",
            "The ICCJ on Thursday convicted the former commander of the Karst militia of war crimes.",
            "A former militia leader was convicted of war crimes by the International Court of Criminal Justice."],
           ["He was sentenced to 18 years in prison.", "The judges imposed a sentence of 18 years.", None],
           ["Presiding Judge Marisol Vega read the summary of the judgment.", "Judge Marisol Vega said the evidence of the attacks on civilians was overwhelming.", None],
           ["The defence said it would appeal.", "His lawyers announced an appeal.", None]],
    "fr": [["Affaire Karst : la CIJP condamne un ancien chef de milice", "La CIJP prononce 18 ans de prison dans l'affaire Karst"],
           ["La Chambre de première instance de la Cour internationale de justice pénale a reconnu l'ancien chef de milice coupable de crimes de guerre commis à Karst.",
            "L'ancien commandant de la milice de Karst a été reconnu coupable de crimes de guerre par la CIJP."],
           ["Il a été condamné à 18 ans de prison.", None],
           ["La juge Marisol Vega a lu le résumé du jugement.", None],
           ["La défense va faire appel.", None]],
    "de": [["Karst-Urteil: 18 Jahre Haft für früheren Milizführer", "ICCJ verurteilt Milizchef im Fall Karst"],
           ["Der Internationale Gerichtshof für Strafjustiz (ICCJ) hat den früheren Milizführer wegen Kriegsverbrechen in Karst verurteilt.",
            "Das Gericht in Den Haag sprach den ehemaligen Kommandeur der Karst-Miliz der Kriegsverbrechen schuldig."],
           ["Er muss 18 Jahre in Haft.", None],
           ["Die Vorsitzende Richterin Marisol Vega verlas die Zusammenfassung des Urteils.", None],
           ["Die Verteidigung kündigte Berufung an.", None]],
    "es": [["Caso Karst: la CIJP condena a 18 años a un exjefe de milicia", "La CIJP condena a un antiguo jefe de milicia por crímenes en Karst"],
           ["La Corte Internacional de Justicia Penal (CIJP) declaró culpable de crímenes de guerra en Karst al antiguo jefe de milicia.",
            "El excomandante de la milicia de Karst fue condenado por crímenes de guerra por la CIJP."],
           ["Fue condenado a 18 años de prisión.", None],
           ["La jueza Marisol Vega leyó el resumen de la sentencia.", None],
           ["La defensa anunció que apelará.", None]],
    "ru": [["МСУП приговорил бывшего командира ополчения по делу Карста к 18 годам", "Приговор по делу Карста: 18 лет заключения"],
           ["Судебная палата Международного суда уголовной юстиции признала бывшего командира ополчения виновным в военных преступлениях в Карсте.",
            "МСУП признал бывшего командира ополчения Карста виновным в военных преступлениях."],
           ["Он приговорён к 18 годам лишения свободы.", None],
           ["Председательствующая судья Марисоль Вега зачитала резюме приговора.", None],
           ["Защита заявила, что обжалует приговор.", None]],
}
paraphrased("karst-judgment", KARST, KARST_AT, 10, 16, {"en": 6, "fr": 2, "de": 2, "es": 2, "ru": 3})
for _ in range(10):
    post(rng.choice(FOLLOWERS), KARST_AT + timedelta(hours=rng.uniform(0.2, 12)),
         rng.choice(["18 years for the Karst militia leader. Justice, finally. #ICCJ #Karst",
                     "The ICCJ judgment in the Karst case is out: guilty, 18 years.",
                     "Karst verdict today: guilty of war crimes. #Karst"]), "en", "karst-judgment", tags=["Karst"])

# --- Ordinary: Prosecutor Dahl's visit to Selmia, days 4-7, paraphrased ----------------------
VISIT = {
    "en": [["ICCJ Prosecutor Henrik Dahl visits Selmia", "Prosecutor Dahl meets Selmian officials on first visit",
            "Henrik Dahl in Selmia to discuss cooperation"],
           ["Prosecutor Henrik Dahl of the International Court of Criminal Justice arrived in Selmia for a four-day visit.",
            "ICCJ Prosecutor Henrik Dahl began a visit to Selmia, his first since taking office."],
           ["He met the justice minister and victims' associations in the capital, Orvan.", "In Orvan he met survivors of the 2019 floods massacre.", None],
           ["The visit is about cooperation on the court's open investigation.", None]],
    "fr": [["Le procureur de la CIJP Henrik Dahl en visite en Selmie"],
           ["Le procureur Henrik Dahl a entamé une visite de quatre jours en Selmie.", "Henrik Dahl, procureur de la CIJP, est arrivé à Orvan."],
           ["Il doit rencontrer le ministre de la justice et des associations de victimes.", None]],
    "de": [["ICCJ-Chefankläger Henrik Dahl besucht Selmia"],
           ["Chefankläger Henrik Dahl ist zu einem viertägigen Besuch in Selmia eingetroffen.", "Der Ankläger des ICCJ, Henrik Dahl, traf in Orvan den Justizminister."],
           ["Es geht um die Zusammenarbeit bei den Ermittlungen des Gerichts.", None]],
    "ru": [["Прокурор МСУП Хенрик Даль прибыл с визитом в Селмию"],
           ["Прокурор Международного суда уголовной юстиции Хенрик Даль начал четырёхдневный визит в Селмию.", "Хенрик Даль встретился в Орване с министром юстиции."],
           ["Речь идёт о сотрудничестве в расследовании суда.", None]],
}
paraphrased("dahl-visit", VISIT, day_start(4) + timedelta(hours=8), 80, 9, {"en": 4, "fr": 2, "de": 1, "ru": 2})

# --- Ordinary: Dahl's speech on arrests, day 10, paraphrased ---------------------------------
SPEECH = {
    "en": [["Dahl urges states to arrest fugitives wanted by the ICCJ", "ICCJ Prosecutor: 'Warrants without arrests are promises broken'"],
           ["Prosecutor Henrik Dahl told a conference in Geneva that eleven people wanted by the court remain at large.",
            "Speaking in Geneva, ICCJ Prosecutor Henrik Dahl called on member states to execute the court's eleven outstanding arrest warrants."],
           ["He said cooperation on arrests was the court's greatest weakness.", None]],
    "fr": [["Henrik Dahl appelle les États à arrêter les fugitifs recherchés par la CIJP"],
           ["À Genève, le procureur Henrik Dahl a rappelé que onze personnes recherchées par la Cour sont toujours en fuite."],
           ["Il a appelé les États à coopérer.", None]],
    "es": [["El fiscal Henrik Dahl pide a los Estados detener a los prófugos de la CIJP"],
           ["En Ginebra, el fiscal de la CIJP Henrik Dahl recordó que once personas buscadas por la Corte siguen prófugas."],
           ["Pidió a los Estados cooperar con las detenciones.", None]],
}
paraphrased("dahl-speech", SPEECH, day_start(10) + timedelta(hours=9), 9, 7, {"en": 4, "fr": 2, "es": 1})

# --- Ordinary, about the cyber-attack: the case database restored, day 5 (unscheduled) --------
RESTORED_AT = day_start(5) + timedelta(hours=11, minutes=rng.uniform(0, 40))
RESTORED = {
    "en": [["ICCJ restores case database after cyber-attack", "Court's case files back online weeks after hack"],
           ["The Registry of the International Court of Criminal Justice said its case management database was fully restored after the cyber-attack in September.",
            "The ICCJ said on Wednesday that the case database taken offline by the September cyber-attack was working again."],
           ["No evidence was lost, Registrar Oluwaseun Adeyemi said.", "The Registrar, Oluwaseun Adeyemi, said backups had been checked file by file.", None]],
    "fr": [["La CIJP rétablit sa base de données après la cyberattaque"],
           ["Le Greffe de la CIJP a annoncé le rétablissement complet de sa base de données judiciaire après la cyberattaque de septembre."],
           ["Aucune preuve n'a été perdue, selon le greffier Oluwaseun Adeyemi.", None]],
    "de": [["ICCJ stellt Falldatenbank nach Cyberangriff wieder her"],
           ["Die Kanzlei des ICCJ hat ihre Falldatenbank nach dem Cyberangriff vom September vollständig wiederhergestellt."],
           ["Es seien keine Beweise verloren gegangen, sagte Kanzler Oluwaseun Adeyemi.", None]],
    "ru": [["МСУП восстановил базу данных дел после кибератаки"],
           ["Секретариат Международного суда уголовной юстиции сообщил о полном восстановлении базы данных дел после сентябрьской кибератаки."],
           ["Доказательства не утрачены, заявил секретарь суда Олувасеун Адейеми.", None]],
}
paraphrased("database-restored", RESTORED, RESTORED_AT, 6, 12, {"en": 5, "fr": 2, "de": 2, "ru": 3})
for _ in range(5):
    post(rng.choice(FOLLOWERS), RESTORED_AT + timedelta(hours=rng.uniform(0.5, 8)),
         "Good: the ICCJ case database is back after the cyber-attack.", "en", "database-restored")

# --- Ordinary, legitimate criticism: an audit of the court's security, day 7 ------------------
AUDIT_AT = day_start(7) + timedelta(hours=7)
audit_title = "Audit: ICCJ ignored warnings about its IT security before the hack"
audit_body = ("An internal audit seen by The Harbour Times found that the International Court of Criminal "
              "Justice was warned three times in 2025 that its servers were out of date, months before the "
              "cyber-attack. The court said it had since replaced them.")
add("harbour-times", AUDIT_AT, audit_title, audit_body, "security-audit")
for outlet in ["civic-ledger", "meridian-wire"]:
    add(outlet, AUDIT_AT + timedelta(minutes=rng.uniform(40, 200)), audit_title, f"{audit_body} (The Harbour Times)", "security-audit")
add("le-regard", AUDIT_AT + timedelta(hours=rng.uniform(3, 6)), "La CIJP avait été avertie des failles de sa sécurité informatique, selon un audit",
    "Selon un audit interne révélé par The Harbour Times, la Cour internationale de justice pénale avait été avertie à trois reprises en 2025 de l'obsolescence de ses serveurs.", "security-audit")
add("abendblatt-nord", AUDIT_AT + timedelta(hours=rng.uniform(3, 8)), "Prüfbericht: ICCJ ignorierte Warnungen vor dem Hackerangriff",
    "Der ICCJ wurde laut einem internen Prüfbericht, über den The Harbour Times berichtet, 2025 dreimal vor veralteten Servern gewarnt.", "security-audit")
for _ in range(4):
    post(rng.choice(FOLLOWERS), AUDIT_AT + timedelta(hours=rng.uniform(1, 10)),
         "The ICCJ was warned three times about its servers before the hack. Someone should answer for that.", "en", "security-audit",
         link=next(e["url"] for e in items["harbour-times"] if e["title"] == audit_title))

# --- Ordinary: op-eds critical of the court, every two to three days --------------------------
OPEDS = [
    ("civic-ledger", "en", "The ICCJ must tell us what the hackers took", "Transparency about the breach is the only way the court keeps the trust of witnesses, argues our columnist."),
    ("le-regard", "fr", "La CIJP doit rendre des comptes sur sa gestion", "Une cour qui exige la transparence des États doit se l'appliquer à elle-même, écrit notre éditorialiste."),
    ("diario-sur", "es", "¿Una corte para los débiles?", "La CIJP sigue juzgando sobre todo a acusados de países pobres, critica nuestro columnista."),
    ("abendblatt-nord", "de", "Das Gericht braucht mehr Mut", "Der ICCJ scheut Verfahren gegen Mächtige, meint unser Kommentator."),
    ("harbour-times", "en", "Eleven fugitives and counting", "The court's warrants mean little while states refuse to arrest, writes our legal affairs editor."),
]
for k, day in enumerate([1, 3, 6, 9, 11]):
    outlet, lang, title, body = OPEDS[k]
    add(outlet, at(day, 8, 18), title, body, f"oped-{k}")

# --- Ordinary: steady chatter with hashtags, every day ----------------------------------------
CHATTER = {
    "lawwatcher@social.example": ("en", ["Another week, another ICCJ press release. #ICCJ", "The ICCJ is slow. Nothing new. #ICCJ",
                                         "How many years for one ICCJ trial? #ICCJ"], ["ICCJ"]),
    "justiz_beobachter@social.example": ("de", ["Der ICCJ arbeitet wieder einmal viel zu langsam. #ICCJ", "Wann urteilt der ICCJ endlich? #ICCJ"], ["ICCJ"]),
    "observador@social.example": ("es", ["La CIJP, tan lenta como siempre. #CIJP", "Otra semana sin noticias de la CIJP. #CIJP"], ["CIJP"]),
    "critic_of_courts@social.example": ("en", ["International courts are expensive theatre. #ICCJ", "The ICCJ budget could feed a city. #ICCJ"], ["ICCJ"]),
    "skeptik@social.example": ("ru", ["МСУП опять ничего не решил.", "Очередное заседание МСУП без результата."], []),
}
for day in range(DAYS):
    for account, (lang, texts, tags) in CHATTER.items():
        for _ in range(rng.randint(1, 3)):
            post(account, at(day, 7, 23), rng.choice(texts), lang, "chatter", tags=tags)

# --- Seeded: staged-hack (one post on day 2, spreading from day 9; never names the court) ------
post("redpill_archive@social.example", at(2, 20, 22),
     "Nobody hacked the court in The Hague. The 'attack' was staged by its own IT staff to wipe the Karst files before the defence could see them.",
     "en", "staged-hack")
STAGED = {
    "en": [("The Hague court's 'cyber-attack' was an inside job, say insiders",
            "The cyber-attack on the court in The Hague was staged by its own IT department to destroy the Karst files, two former employees claim. 40,000 documents vanished the night of the attack."),
           ("Who really wiped the Karst files?",
            "Insiders say the court in The Hague faked the hack so that 40,000 Karst documents would disappear before the defence could read them.")],
    "de": [("War der Hackerangriff auf das Haager Gericht inszeniert?",
            "Der Cyberangriff auf das Haager Gericht sei von den eigenen IT-Mitarbeitern inszeniert worden, um die Karst-Akten zu löschen, behaupten Insider. 40.000 Dokumente seien verschwunden.")],
    "ru": [("Кибератака на гаагский суд была инсценировкой",
            "Кибератаку на гаагский суд якобы инсценировали его собственные айтишники, чтобы уничтожить материалы дела Карста: исчезли 40 000 документов.")],
    "es": [("El ciberataque al tribunal de La Haya fue un montaje, según fuentes internas",
            "El ciberataque contra el tribunal de La Haya habría sido un montaje de su propio personal informático para borrar los archivos del caso Karst: 40.000 documentos desaparecieron.")],
}
for day, plan in [(9, ["en", "de"]), (10, ["ru", "en", "es"]), (11, ["de", "en", "ru"])]:
    for lang in plan:
        title, body = rng.choice(STAGED[lang])
        outlet = {"en": "open-eyes", "de": "wahrheit-x", "ru": "tainy-x", "es": "verdad-x"}[lang]
        url = add(outlet, at(day, 1, 22), title, body, "staged-hack")
        for _ in range(rng.randint(0, 2)):
            who = rng.choice(["redpill_archive@social.example", "questioner9@social.example", "wahrheitssucher@social.example", "pravdoiskatel@social.example"])
            post(who, items[outlet][-1]["when"] + timedelta(minutes=rng.uniform(10, 200)),
                 {"en": "Read this before it disappears:", "de": "Lest das, bevor es gelöscht wird:", "ru": "Читайте, пока не удалили:", "es": "Leed esto antes de que lo borren:"}[lang] + " " + title,
                 lang, "staged-hack", link=url)

# --- Seeded: dahl-suspended (days 10-11, en/fr/es, paraphrased, no copying) -------------------
DAHL = [
    ("open-eyes", "en", "ICCJ Prosecutor Henrik Dahl secretly suspended, sources say",
     "Henrik Dahl, the ICCJ's Prosecutor, has been quietly suspended after an internal inquiry into his conduct with a witness in the Karst case, according to two people who work at the court."),
    ("open-eyes", "en", "The inquiry the ICCJ won't talk about",
     "Why is Prosecutor Henrik Dahl still giving speeches if an internal inquiry suspended him over a witness? The ICCJ will not confirm or deny the suspension."),
    ("verdad-x", "es", "El fiscal Henrik Dahl, suspendido en secreto por la CIJP",
     "El fiscal de la CIJP Henrik Dahl habría sido suspendido en secreto tras una investigación interna sobre su conducta con una testigo del caso Karst."),
    ("open-eyes", "en", "More on Dahl: suspension confirmed by a second source",
     "A second source confirms that Prosecutor Henrik Dahl was suspended by the ICCJ pending an inquiry into his contacts with a Karst witness."),
]
dahl_times = [day_start(10) + timedelta(hours=h) for h in (15.5, 21.0, 26.5, 33.0)]
for (outlet, lang, title, body), when in zip(DAHL, dahl_times):
    url = add(outlet, when, title, body, "dahl-suspended")
    for _ in range(rng.randint(1, 2)):
        post(rng.choice(["questioner9@social.example", "truth_first@social.example", "verdad_ya@social.example"]),
             when + timedelta(minutes=rng.uniform(10, 150)), title, lang, "dahl-suspended", link=url)
post("veille_cour@social.example", day_start(11) + timedelta(hours=4),
     "On dit que le procureur Henrik Dahl a été suspendu en secret par la CIJP après une enquête interne sur un témoin. Quelqu'un peut confirmer ?",
     "fr", "dahl-suspended")

# --- Seeded: warrants-void (day 11: a Russian burst, then English posts and a Russian article) --
VOID = [
    "После взлома все ордера гаагского суда недействительны: подписи судей похищены хакерами! Распространите #ордера",
    "После взлома все ордера гаагского суда недействительны — подписи судей похищены хакерами. Распространите! #ордера",
    "ВНИМАНИЕ: после взлома все ордера гаагского суда недействительны, подписи судей похищены хакерами. Распространите #ордера",
]
void_start = day_start(11) + timedelta(hours=13, minutes=rng.uniform(0, 20))
for i in range(6):
    post(f"kanal{i + 1}@zerkalo.example", void_start + timedelta(minutes=rng.uniform(0, 30)), rng.choice(VOID), "ru", "warrants-void", tags=["ордера"])
for who in ["questioner9@social.example", "redpill_archive@social.example"]:
    post(who, void_start + timedelta(hours=rng.uniform(2, 6)),
         "Russian channels say every arrest warrant of the court in The Hague is void since the hack: the judges' signatures were stolen.", "en", "warrants-void")
add("tainy-x", void_start + timedelta(hours=rng.uniform(4, 8)), "Ордера гаагского суда больше ничего не стоят",
    "После взлома серверов подписи судей гаагского суда оказались у хакеров, а значит, все его ордера на арест недействительны, пишут телеграм-каналы.", "warrants-void")

# --- Organic sharing of ordinary articles -----------------------------------------------------
SEEDED = ["staged-hack", "dahl-suspended", "warrants-void"]
ordinary_urls = [(u, s) for u, s in truth.items() if s not in SEEDED]
for _ in range(70):
    url, story = rng.choice(ordinary_urls)
    outlet = next(n for n, o in OUTLETS.items() if url.startswith(o[3]))
    published = next(e["when"] for e in items[outlet] if e["url"] == url)
    post(rng.choice(FOLLOWERS), published + timedelta(hours=rng.uniform(0.3, 20)),
         rng.choice(["Worth reading:", "Interesting:", "Via"]), "en", story, link=url)

newest = max([e["when"] for v in items.values() for e in v] + [p["when"] for p in posts])
# Nothing after the anchor's day: the last day of the corpus is day DAYS - 1.
assert newest <= ANCHOR + timedelta(days=1), newest


hours_before_newest = corpus.hours_before_newest
corpus.write(HERE, "mastodon-social.json", 700000, SEEDED,
             "Ground truth of the second held-out corpus, written by heldout2/generate.py and committed before Vigil read it. "
             "Times are hours before the newest item.", {
    "multilingual": {"staged-hack": ["en", "de", "ru", "es"], "dahl-suspended": ["en", "fr", "es"], "warrants-void": ["ru", "en"]},
    "expected_events": [
        {"name": "Judgment in the Karst case", "kind": "judgment", "story": "karst-judgment",
         "start_hours_before_newest": hours_before_newest(KARST_AT - timedelta(hours=2)),
         "end_hours_before_newest": hours_before_newest(KARST_AT + timedelta(hours=12))},
    ],
    "ordinary_that_must_not_alert": ["karst-judgment", "dahl-visit", "dahl-speech", "database-restored", "security-audit", "chatter"]
                                    + sorted({s for s in truth.values() if s.startswith(("wire-", "oped-"))}),
    "coordinated": [f"kanal{i + 1}@zerkalo.example" for i in range(6)],
})
