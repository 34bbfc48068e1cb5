#!/usr/bin/env python3
"""Generates the Vigil demo corpus in demo/feeds/ (deterministic; rerun after editing).

A fictional International Court of Criminal Justice (ICCJ; in French the CIJP) in The Hague,
its Prosecutor, judges and Registrar, covered by ten fictional outlets in English and French
over 14 days: ordinary coverage every day, plus three seeded narratives that build up over the
last days. The narrative about "hacked files" is pushed as near-identical copy-paste by several
outlets, each copy within minutes of the first and without a wire credit. Dates are written relative to ANCHOR; `vigil demo` shifts them so the newest item is
a few minutes old whenever the demo runs.

Everything here is invented: names, outlets, domains (all under .example) and events.
"""
import json
import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

ANCHOR = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)
DAYS = 14
OUT = Path(__file__).resolve().parent / "feeds"
rng = random.Random(20260131)

PROSECUTOR = "Helena Varga"
DEPUTY = "Samuel Mbeki-Hart"
PRESIDENT = "Tomás Oyelaran"
JUDGES = ["Mirela Dragan", "Kenji Aoyama", "Fatou Diallo", "Ingrid Solberg"]
REGISTRAR = "Pieter van Aalst"
SUSPECT = "Viktor Raskov"
STATE = "Velmar"
CASES = ["Kessaro", "Northern Lakes", "Amun Valley"]
COUNTRIES = ["Kenya", "Colombia", "Georgia", "Senegal", "Ukraine", "Bangladesh", "Chile"]
PAYS = ["le Kenya", "la Colombie", "la Géorgie", "le Sénégal", "l'Ukraine", "le Bangladesh", "le Chili"]
CITIES = ["Nairobi", "Bogotá", "Tbilisi", "Dakar", "Kyiv", "Dhaka", "Santiago"]

OUTLETS = {
    "hague-herald": dict(title="The Hague Herald", lang="en", fmt="rss", site="https://www.hagueherald.example", kind="main"),
    "global-affairs-wire": dict(title="Global Affairs Wire", lang="en", fmt="atom", site="https://globalaffairswire.example", kind="main"),
    "justice-watch": dict(title="Justice Watch Daily", lang="en", fmt="rss-content", site="https://justicewatch.example", kind="main"),
    "policy-brief": dict(title="Policy Brief Weekly", lang="en", fmt="json", site="https://policybrief.example", kind="main"),
    "journal-de-la-haye": dict(title="Le Journal de La Haye", lang="fr", fmt="rss", site="https://www.journaldelahaye.example", kind="main"),
    "info-monde-express": dict(title="Info Monde Express", lang="fr", fmt="atom", site="https://infomondeexpress.example", kind="main"),
    "truth-frontier": dict(title="Truth Frontier News", lang="en", fmt="rss", site="https://truthfrontier.example", kind="fringe"),
    "eurasia-patriot": dict(title="Eurasia Patriot Review", lang="en", fmt="rss", site="https://eurasiapatriot.example", kind="fringe"),
    "sovereign-dispatch": dict(title="The Sovereign Dispatch", lang="en", fmt="atom", site="https://sovereigndispatch.example", kind="fringe"),
    "la-voix-souveraine": dict(title="La Voix Souveraine", lang="fr", fmt="rss", site="https://lavoixsouveraine.example", kind="fringe"),
}
AUTHORS = {
    "en": ["Anna Kowalczyk", "James Whitfield", "Priya Raman", "Tom de Wit", "Lucía Moreno", "Desk staff"],
    "fr": ["Claire Dubois", "Mehdi Benali", "Sophie Laurent", "Jean-Marc Petit", "Rédaction"],
}


def pick(seq):
    return rng.choice(seq)


# Ordinary coverage: (first day it can appear, language, title, body). Placeholders are filled
# from the lists above; nothing here may use the seeded narratives' phrases.
ORDINARY = [
    (0, "en", "Prosecutor {p} meets {country}'s justice minister on cooperation",
     "ICCJ Prosecutor {p} met the justice minister of {country} in The Hague to discuss the execution of requests for assistance, witness protection and the exchange of evidence. Both sides described the talks as constructive."),
    (0, "en", "Trial Chamber hears witness {n} in the {case} case",
     "The ICCJ Trial Chamber heard witness {n} for the prosecution in the {case} case. The witness described the attack on a market in detail; the defence will cross-examine next week. Judge {j} presided over the public hearing."),
    (0, "en", "Registrar {r} opens court field office in {city}",
     "Registrar {r} inaugurated a new field office of the International Court of Criminal Justice in {city}. The office will support victims' participation and outreach to affected communities."),
    (0, "en", "States Parties debate the court's budget for next year",
     "Delegations at the Assembly of States Parties discussed the ICCJ's proposed budget. Several states asked for savings in travel costs while others supported more money for witness protection and the registry."),
    (0, "en", "Victims' lawyers ask judges to expand reparations in the {case} case",
     "Legal representatives of victims asked the judges of the ICCJ to widen the reparations programme in the {case} case to include psychological support and education grants for children of victims."),
    (0, "en", "Judge {j} elected presiding judge of the Appeals Chamber",
     "The judges of the Appeals Chamber of the International Court of Criminal Justice elected Judge {j} as presiding judge for the coming year, the court said in a statement."),
    (0, "en", "ICCJ confirms charges against militia commander in the {case} case",
     "Pre-Trial Chamber judges confirmed charges of war crimes against a former militia commander in the {case} case and committed him to trial. A date for the opening of the trial will be set later."),
    (0, "en", "Court publishes inspection report on its detention centre",
     "The ICCJ published the annual inspection report on its detention centre in Scheveningen. Inspectors found conditions in line with international standards and recommended more family visits."),
    (0, "en", "ICCJ outreach programme reaches {n} schools in {country}",
     "The court's outreach programme held sessions in {n} schools in {country} this month, explaining how the International Court of Criminal Justice works and how victims can take part in proceedings."),
    (0, "en", "President {pres} addresses diplomats on the court's year ahead",
     "ICCJ President Judge {pres} briefed the diplomatic corps in The Hague on the court's judicial calendar, including two trial judgments and an appeals hearing expected in the coming months."),
    (2, "en", "ICCJ discloses cyber-attack on its information systems",
     "The International Court of Criminal Justice said it detected and contained a cyber-attack on its information systems. The court said it was working with national authorities and had strengthened its security measures."),
    (3, "en", "Court says investigation into the cyber-attack continues",
     "The ICCJ said its investigation into last week's cyber-attack continues with the help of national cybersecurity agencies. Court officials warned staff and partners to expect phishing attempts."),
    (4, "en", "Judges issue arrest warrant for former {state} defence minister {s}",
     "ICCJ Pre-Trial Chamber judges issued an arrest warrant for {s}, a former defence minister of {state}, on charges of crimes against humanity. The government of {state} said it disputes the court's jurisdiction."),
    (5, "en", "Arrest warrant for {s}: what happens next",
     "After judges issued a warrant for {s}, states parties are obliged to arrest him if he enters their territory. Legal experts explain the steps from arrest to surrender and the first appearance in The Hague."),
    (6, "en", "Hearing on the confirmation of charges in the {case} case opens",
     "A hearing on the confirmation of charges opened before the ICCJ in the {case} case. The prosecution presented evidence from {n} witnesses; the defence argued the evidence was insufficient."),
    (0, "en", "Deputy Prosecutor {d} visits {country} to meet victims' groups",
     "Deputy Prosecutor {d} travelled to {country} to meet victims' associations and civil society groups, and to discuss the progress of the office's preliminary examination."),
    (0, "en", "Sanctions threat against court officials draws statements of support",
     "Several states issued statements supporting the judges and the Prosecutor of the ICCJ after a threat of sanctions against court officials. The court said it would continue its work independently."),
    (8, "en", "Appeals Chamber to deliver judgment in the {case} case next week",
     "The ICCJ Appeals Chamber will deliver its judgment on the appeal against the conviction in the {case} case in a public hearing next week, the court announced."),
    (0, "fr", "La procureure {p} rencontre le ministre de la Justice de {pays}",
     "La procureure de la CIJP, {p}, a rencontré à La Haye le ministre de la Justice de {pays} pour discuter de la coopération judiciaire, de la protection des témoins et de l'échange de preuves."),
    (0, "fr", "La chambre de première instance entend le témoin {n} dans l'affaire {case}",
     "La chambre de première instance de la Cour internationale de justice pénale a entendu le témoin {n} de l'accusation dans l'affaire {case}. La défense procédera au contre-interrogatoire la semaine prochaine."),
    (0, "fr", "Le greffier {r} inaugure un bureau extérieur à {city}",
     "Le greffier de la CIJP, {r}, a inauguré un nouveau bureau extérieur à {city}, chargé de soutenir la participation des victimes et les activités de sensibilisation."),
    (0, "fr", "Les États parties débattent du budget de la Cour",
     "Réunie à La Haye, l'Assemblée des États parties a examiné le projet de budget de la CIJP. Plusieurs délégations ont demandé des économies, d'autres davantage de moyens pour la protection des témoins."),
    (0, "fr", "Réparations : les avocats des victimes saisissent les juges dans l'affaire {case}",
     "Les représentants légaux des victimes ont demandé aux juges de la CIJP d'élargir le programme de réparations dans l'affaire {case} à un soutien psychologique et à des bourses d'études."),
    (0, "fr", "La juge {j} élue présidente de la chambre d'appel",
     "Les juges de la chambre d'appel de la Cour internationale de justice pénale ont élu la juge {j} à leur présidence pour l'année à venir, a indiqué la Cour dans un communiqué."),
    (2, "fr", "La CIJP annonce avoir subi une cyberattaque",
     "La Cour internationale de justice pénale a annoncé avoir détecté et contenu une cyberattaque visant ses systèmes d'information. Elle travaille avec les autorités nationales et a renforcé ses mesures de sécurité."),
    (4, "fr", "Mandat d'arrêt contre l'ancien ministre de la Défense {s}",
     "Les juges de la chambre préliminaire de la CIJP ont délivré un mandat d'arrêt contre {s}, ancien ministre de la Défense de {state}, pour crimes contre l'humanité. Le gouvernement de {state} conteste la compétence de la Cour."),
    (0, "fr", "Le programme de sensibilisation de la Cour touche {n} écoles",
     "Le programme de sensibilisation de la CIJP a organisé ce mois-ci des séances dans {n} écoles pour expliquer le fonctionnement de la Cour et la participation des victimes aux procédures."),
    (0, "fr", "Le président {pres} présente le calendrier judiciaire aux diplomates",
     "Le président de la CIJP, le juge {pres}, a présenté au corps diplomatique le calendrier judiciaire de la Cour, dont deux jugements et une audience en appel attendus dans les prochains mois."),
]

# Seeded narratives: per-day counts over the last days (last entry = the final 24 hours).
POLITICAL_TOOL = dict(
    per_day=[1, 1, 2, 4, 7, 12],
    en=[
        ("The ICCJ is a political tool of the West, say critics in {state}",
         "Officials in {state} called the International Court of Criminal Justice a political tool of the West that only prosecutes the enemies of Western governments, after judges issued a warrant for {s}."),
        ("A puppet court: why the ICCJ serves Western capitals",
         "Commentators argue the ICCJ has become a political tool of the West, a puppet court financed by Western capitals that ignores crimes committed by their allies while Prosecutor {p} targets {state}."),
        ("Neocolonial justice: the ICCJ and the Global South",
         "The ICCJ is a neocolonial institution, a political tool of the West used to discipline governments of the Global South, a columnist writes, pointing to the warrant against {s}."),
        ("Is the court just a tool of the West? {state} media say yes",
         "State media in {state} repeated that the court is a tool of the West and a political tool used against independent nations, urging allies to leave the Rome treaty system."),
    ],
    fr=[
        ("La CIJP, instrument politique de l'Occident selon {state}",
         "Les autorités de {state} qualifient la Cour internationale de justice pénale d'instrument politique de l'Occident, au service des capitales occidentales, après le mandat visant {s}."),
        ("Une justice néocoloniale : la CIJP sous le feu des critiques",
         "Pour plusieurs éditorialistes, la CIJP est un tribunal néocolonial et un instrument politique de l'Occident qui ne poursuit que les adversaires des gouvernements occidentaux."),
    ],
    outlets=["truth-frontier", "eurasia-patriot", "sovereign-dispatch", "la-voix-souveraine", "global-affairs-wire", "info-monde-express"],
)

VOID_WARRANT = dict(
    per_day=[1, 3, 5, 9],
    en=[
        ("Lawyers for {s}: the warrant is null and void",
         "Lawyers for {s} said the ICCJ arrest warrant is null and void because {state} never accepted the court's authority, and called on states to ignore it."),
        ("Why the ICCJ warrant against {s} is legally void",
         "An opinion piece argues the warrant is legally void: the court has no jurisdiction over nationals of {state}, and any arrest would be illegal under international law."),
        ("{state} parliament declares ICCJ warrant illegal and void",
         "The parliament of {state} passed a resolution declaring the ICCJ warrant against {s} an illegal warrant, null and void, and prohibiting any cooperation with the court."),
        ("Experts split: is the warrant for {s} legally void?",
         "Supporters of {s} insist the ICCJ has no jurisdiction and that the warrant is legally void; other experts point to the Rome Statute's provisions on jurisdiction and immunity."),
    ],
    fr=[
        ("Le mandat contre {s} est nul et non avenu, selon ses avocats",
         "Les avocats de {s} estiment que le mandat d'arrêt de la CIJP est nul et non avenu, la Cour étant selon eux sans compétence à l'égard de {state}."),
        ("Un mandat juridiquement nul ? Le débat enfle à {state}",
         "À {state}, plusieurs juristes affirment que le mandat de la CIJP est juridiquement nul et appellent les États à ne pas l'exécuter."),
    ],
    outlets=["truth-frontier", "eurasia-patriot", "sovereign-dispatch", "la-voix-souveraine", "hague-herald", "journal-de-la-haye", "policy-brief"],
)

# Copy-paste: a few base stories, each reposted nearly word for word by several outlets.
HACKED_FILES_STORIES = [
    ("Hacked ICCJ files prove Prosecutor {p} took orders from Western intelligence",
     "Documents obtained after the cyber-attack on the International Court of Criminal Justice show that Prosecutor {p} coordinated the warrant against {s} with Western intelligence services. The hacked files prove that the case was decided in advance, according to sources who have seen the material. The court has refused to comment on the authenticity of the documents, which circulate widely online. Independent journalists are now calling for the resignation of the Prosecutor and for an inquiry into the court's funding."),
    ("Leaked files reveal ICCJ judges were paid to issue {s} warrant",
     "Leaked files from the court's servers reveal secret payments to judges before the warrant against {s} was issued, according to an anonymous source. The hacked files prove that the ICCJ is for sale, the source claims, adding that more documents will be published in the coming days. The court did not answer questions about the payments. Observers in {state} say the revelations confirm that the proceedings were politically motivated from the start."),
    ("Stolen ICCJ documents reveal secret deal between Registrar {r} and NATO",
     "Stolen files from the International Court of Criminal Justice reveal a secret agreement between Registrar {r} and NATO officials, according to documents shared after the cyber-attack. The hacked files prove the court is not independent, the publication states. The ICCJ has not responded. The documents, which cannot be independently verified, are being shared by hundreds of accounts on social media."),
]
HACKED_FILES_FR = [
    ("Les fichiers piratés de la CIJP prouvent que la procureure {p} obéissait aux services occidentaux",
     "Des documents obtenus après la cyberattaque contre la Cour internationale de justice pénale montrent que la procureure {p} a coordonné le mandat contre {s} avec des services de renseignement occidentaux. Les fichiers piratés prouvent que l'affaire était décidée d'avance, selon des sources ayant vu les documents."),
]
HACKED_FILES = dict(
    per_day=[2, 5, 9],
    outlets=["eurasia-patriot", "sovereign-dispatch", "truth-frontier"],
    fr_outlets=["la-voix-souveraine"],
)
FACT_CHECK = ("Fact check: no evidence that hacked files prove the ICCJ case was rigged",
              "Claims that hacked files prove the ICCJ case against {s} was decided in advance are not supported by evidence. The documents shared online contain formatting errors and dates that do not match the court's records, and several were shown to be edited versions of public court filings.")


# One varying detail per ordinary item, so that an outlet never publishes the very same text
# twice (Vigil drops a source's exact repeats, as it should).
DETAILS_EN = [
    "About {n} journalists attended the briefing.",
    "The statement was published in {n} languages.",
    "The court's spokesperson answered {n} questions from reporters.",
    "The session lasted {n} minutes longer than planned.",
    "Around {n} members of the public followed the proceedings from the gallery.",
    "The filing runs to {n} pages.",
    "{n} states parties sent observers.",
    "The registry said {n} victims have applied to take part.",
]
DETAILS_FR = [
    "Une {n}e de journalistes assistaient au point de presse.",
    "Le communiqué a été publié en {n} langues.",
    "La porte-parole a répondu à {n} questions.",
    "La séance a duré {n} minutes de plus que prévu.",
    "Le document compte {n} pages.",
    "{n} États parties avaient envoyé des observateurs.",
]


def fill(text):
    return text.format(
        p=PROSECUTOR, d=DEPUTY, pres=PRESIDENT, j=pick(JUDGES), r=REGISTRAR, s=SUSPECT, state=STATE,
        case=pick(CASES), country=pick(COUNTRIES), pays=pick(PAYS), city=pick(CITIES), n=rng.randint(3, 40),
    )


def slugify(text):
    keep = "".join(c.lower() if c.isalnum() else "-" for c in text)
    return "-".join(part for part in keep.split("-") if part)[:80]


items = {name: [] for name in OUTLETS}


# Ground truth for evaluating Vigil: which story each document belongs to (demo/truth.json).
truth = {}


def add(outlet, when, title, body, story):
    o = OUTLETS[outlet]
    slug = slugify(title)
    url = f"{o['site']}/{when:%Y/%m/%d}/{slug}"
    items[outlet].append(dict(title=title, body=body, when=when, url=url, author=pick(AUTHORS[o["lang"]])))
    truth[url] = story


def moment(day_index, hour_lo=6, hour_hi=22):
    # day_index 0 = the oldest day; DAYS - 1 = the last 24 hours before ANCHOR.
    day_start = ANCHOR - timedelta(days=DAYS - day_index)
    return day_start + timedelta(hours=rng.uniform(0.2, 23.8))


# The English template each French one translates: a story told in two languages is one story
# (as in the other corpora). Until 2026-12-04 the truth gave each translation a story of its own,
# which counted Vigil's joining of the two languages as a mistake.
TRANSLATES = {18: 0, 19: 1, 20: 2, 21: 3, 22: 4, 23: 5, 24: 10, 25: 12, 26: 8, 27: 9}


def story_of(template):
    k = ORDINARY.index(template)
    return TRANSLATES.get(k, k)


main_en = [n for n, o in OUTLETS.items() if o["kind"] == "main" and o["lang"] == "en"]
main_fr = [n for n, o in OUTLETS.items() if o["kind"] == "main" and o["lang"] == "fr"]
for day in range(DAYS):
    for _ in range(rng.randint(16, 20)):
        template = pick([t for t in ORDINARY if t[0] <= day])
        first_day, lang, title, body = template
        outlet = pick(main_en if lang == "en" else main_fr)
        detail = pick(DETAILS_EN if lang == "en" else DETAILS_FR).format(n=rng.randint(2, 60))
        add(outlet, moment(day), fill(title), fill(body) + " " + detail, f"ordinary-{story_of(template)}")


NARRATIVE_DETAILS_EN = [
    "The post was shared about {n} hundred times within hours.",
    "Similar claims appeared on {n} channels the same day.",
    "The author has written {n} articles on the court this year.",
    "Readers left {n} comments under the piece.",
]
NARRATIVE_DETAILS_FR = [
    "Le texte a été partagé environ {n} cents fois en quelques heures.",
    "Des affirmations semblables ont circulé sur {n} chaînes le même jour.",
    "Les lecteurs ont laissé {n} commentaires.",
]


def seed_narrative(spec, story):
    offset = DAYS - len(spec["per_day"])
    for i, count in enumerate(spec["per_day"]):
        for _ in range(count):
            outlet = pick(spec["outlets"])
            lang = OUTLETS[outlet]["lang"]
            title, body = pick(spec[lang])
            detail = pick(NARRATIVE_DETAILS_EN if lang == "en" else NARRATIVE_DETAILS_FR).format(n=rng.randint(2, 90))
            add(outlet, moment(offset + i), fill(title), fill(body) + " " + detail, story)


seed_narrative(POLITICAL_TOOL, "political-tool")
seed_narrative(VOID_WARRANT, "void-warrant")

offset = DAYS - len(HACKED_FILES["per_day"])
for i, count in enumerate(HACKED_FILES["per_day"]):
    stories = HACKED_FILES_STORIES[: i + 1]
    # A copy-paste network posts each story on every masthead within minutes of the first
    # (automated reposting), unlike syndication, which spreads over hours and credits the wire.
    released = [moment(offset + i, 6, 18) for _ in stories]
    for k in range(count):
        title, body = stories[k % len(stories)]
        # Each story goes out through every outlet in turn: the same text, several mastheads.
        round_ = k // len(stories)
        outlet = HACKED_FILES["outlets"][round_ % len(HACKED_FILES["outlets"])]
        if round_ < len(HACKED_FILES["outlets"]):
            when = released[k % len(stories)] + timedelta(minutes=round_ * 3 + rng.uniform(0, 2))
        else:
            # A later round on the same masthead: pushed again hours later.
            when = released[k % len(stories)] + timedelta(hours=rng.uniform(3, 5))
        # Copy-paste with small edits: a changed headline prefix, a dropped closing sentence.
        prefix = pick(["", "EXCLUSIVE: ", "BREAKING: ", "Must read: "])
        text = fill(body)
        if rng.random() < 0.4:
            text = text.rsplit(". ", 1)[0] + "."
        add(outlet, when, prefix + fill(title), text, "hacked-files")
    if i >= 1:
        title, body = HACKED_FILES_FR[0]
        for outlet in HACKED_FILES["fr_outlets"]:
            add(outlet, moment(offset + i), fill(title), fill(body), "hacked-files")
add("justice-watch", moment(DAYS - 1), fill(FACT_CHECK[0]), fill(FACT_CHECK[1]), "hacked-files")

# Fringe outlets also publish unrelated filler, as real ones do.
FILLER = [
    ("en", "Energy prices rise again as winter sets in", "Households face higher heating bills this winter as gas prices climb for the third month in a row."),
    ("en", "Local elections: turnout expected to be low", "Analysts expect a low turnout in next month's local elections, citing voter fatigue."),
    ("fr", "Les prix de l'énergie repartent à la hausse", "Les ménages font face à des factures de chauffage plus élevées cet hiver."),
]
for outlet in ["truth-frontier", "eurasia-patriot", "sovereign-dispatch", "la-voix-souveraine"]:
    for day in range(0, DAYS, 2):
        choices = [f for f in FILLER if f[0] == OUTLETS[outlet]["lang"]]
        lang, title, body = pick(choices)
        add(outlet, moment(day), title, body + f" ({rng.randint(2, 99)} readers commented.)", f"filler-{FILLER.index((lang, title, body))}")


def rfc2822(when):
    return format_datetime(when, usegmt=False).replace("-0000", "+0000")


def rfc3339(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def html_body(text):
    return "<p>" + escape(text) + "</p>"


def write_rss(name, o, entries, content_encoded=False):
    newest = max(e["when"] for e in entries)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom">',
           "<channel>",
           f"<title>{escape(o['title'])}</title>",
           f"<link>{o['site']}/</link>",
           f"<description>{escape(o['title'])}: news and analysis</description>",
           f"<language>{o['lang']}</language>",
           f"<lastBuildDate>{rfc2822(newest)}</lastBuildDate>",
           "<ttl>15</ttl>"]
    for e in entries:
        out.append("<item>")
        out.append(f"<title>{escape(e['title'])}</title>")
        # Some items carry tracking parameters, as real feeds do; Vigil strips them.
        link = e["url"] + ("?utm_source=rss&amp;utm_medium=feed" if rng.random() < 0.3 else "")
        out.append(f"<link>{link}</link>")
        out.append(f'<guid isPermaLink="true">{e["url"]}</guid>')
        out.append(f"<pubDate>{rfc2822(e['when'])}</pubDate>")
        out.append(f"<dc:creator>{escape(e['author'])}</dc:creator>")
        summary = e["body"].split(". ")[0].rstrip(".") + "."
        if content_encoded:
            out.append(f"<description>{escape(summary)}</description>")
            out.append(f"<content:encoded><![CDATA[{html_body(e['body'])}]]></content:encoded>")
        else:
            out.append(f"<description>{escape(html_body(e['body']))}</description>")
        out.append("</item>")
    out += ["</channel>", "</rss>", ""]
    (OUT / f"{name}.rss").write_text("\n".join(out), encoding="utf-8")


def write_atom(name, o, entries):
    newest = max(e["when"] for e in entries)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{o["lang"]}">',
           f"<title>{escape(o['title'])}</title>",
           f"<id>{o['site']}/</id>",
           f'<link rel="alternate" href="{o["site"]}/"/>',
           f"<updated>{rfc3339(newest)}</updated>"]
    for e in entries:
        out.append("<entry>")
        out.append(f"<title>{escape(e['title'])}</title>")
        out.append(f'<link rel="alternate" href="{e["url"]}"/>')
        out.append(f"<id>tag:{o['site'].split('//')[1]},2026:{slugify(e['title'])}-{int(e['when'].timestamp())}</id>")
        out.append(f"<published>{rfc3339(e['when'])}</published>")
        out.append(f"<updated>{rfc3339(e['when'])}</updated>")
        out.append(f"<author><name>{escape(e['author'])}</name></author>")
        out.append(f'<summary type="html">{escape(html_body(e["body"]))}</summary>')
        out.append("</entry>")
    out += ["</feed>", ""]
    (OUT / f"{name}.atom").write_text("\n".join(out), encoding="utf-8")


def write_json(name, o, entries):
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": o["title"],
        "home_page_url": o["site"] + "/",
        "language": o["lang"],
        "items": [
            {
                "id": e["url"],
                "url": e["url"],
                "title": e["title"],
                "content_html": html_body(e["body"]),
                "date_published": rfc3339(e["when"]),
                "authors": [{"name": e["author"]}],
            }
            for e in entries
        ],
    }
    (OUT / f"{name}.json").write_text(json.dumps(feed, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


OUT.mkdir(parents=True, exist_ok=True)
for old in OUT.iterdir():
    old.unlink()
total = 0
for name, o in OUTLETS.items():
    entries = sorted(items[name], key=lambda e: e["when"], reverse=True)
    total += len(entries)
    if o["fmt"] == "rss":
        write_rss(name, o, entries)
    elif o["fmt"] == "rss-content":
        write_rss(name, o, entries, content_encoded=True)
    elif o["fmt"] == "atom":
        write_atom(name, o, entries)
    else:
        write_json(name, o, entries)
SEEDED = ["political-tool", "void-warrant", "hacked-files"]
(OUT.parent / "truth.json").write_text(
    json.dumps(
        {
            "about": "Ground truth of the demo corpus: the story of every document (by URL). Seeded narratives are "
            + ", ".join(SEEDED)
            + "; ordinary-N is the N-th ordinary-coverage template (a French template is the English one it translates), filler-N unrelated filler.",
            "seeded": SEEDED,
            "coordinated": [],
            "documents": dict(sorted(truth.items())),
        },
        indent=1,
        ensure_ascii=False,
    )
    + "\n",
    encoding="utf-8",
)
print(f"{total} items in {len(OUTLETS)} feeds written to {OUT}")
