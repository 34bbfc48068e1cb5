#!/usr/bin/env python3
"""Generates Vigil's fourth narrative corpus (heldout/feeds/) and its ground truth
(heldout/truth.json), deterministically. Written and committed before Vigil reads it, after the
clustering, glossary, hearsay query and calendar changes of 2026-12-04, to measure them on text
they were not tuned to. Nothing here was chosen by looking at what Vigil does with it.

Different in kind from demo/, scenario/ and multilingual/:
- ten days; the fictional ICCJ again (no real person or court is named in any claim), but its
  officials are new names that no shipped list knows: Deputy Prosecutor Amara Leclerc, Judge
  Tomas Havel, Registrar Ines Okonjo;
- a news day nobody scheduled: a suspect surrendered to the court on day 6, covered within hours
  by every outlet in three languages (a sudden, visible, many-source story that is ordinary);
- legitimate reporting on witness protection: a rights group's report that the court's witness
  protection programme is underfunded, carried by several outlets on day 7 (it talks about
  witnesses and their safety, as a claim of exposure would, and is journalism);
- a confirmation-of-charges hearing on day 4, on the calendar;
- Russian wire copy (Novosti Pravo) carried by two Russian outlets with attribution;
- chatter by three accounts that vary their words every day;
- the court's own denial of a seeded claim, carried by the wire (part of that narrative's story:
  it is about the claim).

Seeded narratives (claims for a person to judge; the corpus only tests that Vigil surfaces them):
- leclerc-coverup (day 7 on, en/fr/ru): "Deputy Prosecutor Amara Leclerc resigned because the
  court buried evidence in the Tessin case", from fringe outlets and accounts, over two days;
- summons-forgery (day 8, en): "a leaked ICCJ summons orders journalists critical of the court
  to appear", pushed by seven accounts posting near-identical text within fifty minutes, then
  picked up by one fringe outlet;
- paid-victims (day 8 on, en/fr/ru): "victims in the Tessin case were paid to testify", which in
  Russian says only "суд" and in English sometimes "the tribunal"; the court denies it on day 9.
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import corpus_feeds  # noqa: E402  (the shared feed writers)

ANCHOR = datetime(2026, 10, 20, 12, 0, tzinfo=timezone.utc)
DAYS = 10
HERE = Path(__file__).resolve().parent
rng = random.Random(20261020)

# name: (title, language, format, site, kind)
OUTLETS = {
    "courier-wire": ("Courier Wire", "en", "rss", "https://courierwire.example", "wire"),
    "northern-gazette": ("The Northern Gazette", "en", "atom", "https://northerngazette.example", "main"),
    "evening-standard-x": ("Evening Record", "en", "rss", "https://eveningrecord.example", "main"),
    "justice-review": ("Justice Review", "en", "rss", "https://justicereview.example", "main"),
    "le-matin-x": ("Le Quotidien du matin", "fr", "rss", "https://quotidiendumatin.example", "main"),
    "droit-et-monde": ("Droit et Monde", "fr", "atom", "https://droitetmonde.example", "main"),
    "novosti-pravo": ("Новости право", "ru", "rss", "https://novostipravo.example", "wire"),
    "vestnik-x": ("Вестник недели", "ru", "rss", "https://vestniknedeli.example", "main"),
    "gazeta-x": ("Газета сегодня", "ru", "atom", "https://gazetasegodnya.example", "main"),
    "free-voice": ("Free Voice Daily", "en", "atom", "https://freevoicedaily.example", "fringe"),
    "la-verite-x": ("La Vérité cachée", "fr", "rss", "https://laveritecachee.example", "fringe"),
    "pravda-x": ("Скрытая правда", "ru", "rss", "https://skrytayapravda.example", "fringe"),
}

corpus = corpus_feeds.Corpus(ANCHOR, DAYS, OUTLETS, rng)
items, posts, truth, events = corpus.items, corpus.posts, corpus.truth, corpus.events
day_start, at, add, post = corpus.day_start, corpus.at, corpus.add, corpus.post


def carry(outlet, when, title, body, story, credit):
    return add(outlet, when, title, f"{body} ({credit})", story)


# --- Ordinary: English wire reports carried with attribution ----------------------------------
WIRE_EN = [
    ("ICCJ appoints new head of its victims' participation unit",
     "The International Court of Criminal Justice named a new head of the unit that helps victims take part in proceedings, Registrar Ines Okonjo said on {weekday}."),
    ("ICCJ Appeals Chamber upholds sentence in the Orlov case",
     "The Appeals Chamber of the International Court of Criminal Justice upheld on {weekday} the twelve-year sentence handed down in the Orlov case, rejecting all grounds of appeal."),
    ("ICCJ signs agreement on enforcement of sentences with {state}",
     "{state} signed an agreement with the International Court of Criminal Justice on {weekday} to let people convicted by the court serve their sentences in its prisons."),
]
WIRE_FR = [
    ("La CIJP nomme un nouveau responsable de la participation des victimes",
     "La Cour internationale de justice pénale a nommé un nouveau responsable de l'unité qui accompagne les victimes, a annoncé la greffière Ines Okonjo."),
    ("Affaire Orlov : la chambre d'appel de la CIJP confirme la peine",
     "La chambre d'appel de la Cour internationale de justice pénale a confirmé la peine de douze ans prononcée dans l'affaire Orlov."),
]
WIRE_RU = [
    ("МСУП назначил нового руководителя отдела по участию потерпевших",
     "Международный суд уголовной юстиции назначил нового руководителя отдела, помогающего потерпевшим участвовать в разбирательствах, сообщила секретарь суда Инес Оконджо."),
    ("Апелляционная палата МСУП оставила в силе приговор по делу Орлова",
     "Апелляционная палата Международного суда уголовной юстиции оставила в силе двенадцатилетний приговор по делу Орлова."),
]
STATES = ["Carandia", "Ostmark", "Selmia", "Veltria"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

for day in range(DAYS):
    for _ in range(rng.randint(1, 2)):
        k = rng.randrange(len(WIRE_EN))
        title, body = WIRE_EN[k]
        fill = dict(state=rng.choice(STATES), weekday=rng.choice(WEEKDAYS))
        title, body = title.format(**fill), body.format(**fill)
        when = at(day, 6, 17)
        add("courier-wire", when, title, body, f"wire-{k}")
        for outlet in rng.sample(["northern-gazette", "evening-standard-x", "justice-review"], rng.randint(1, 3)):
            carry(outlet, when + timedelta(minutes=rng.uniform(15, 200)), title, body, f"wire-{k}", "Courier Wire")
        if k < 2 and rng.random() < 0.5:
            fr_title, fr_body = WIRE_FR[k]
            carry(rng.choice(["le-matin-x", "droit-et-monde"]), when + timedelta(minutes=rng.uniform(60, 300)), fr_title, fr_body, f"wire-{k}", "Courier Wire")
        if k < 2 and rng.random() < 0.6:
            ru_title, ru_body = WIRE_RU[k]
            ru_when = when + timedelta(minutes=rng.uniform(30, 240))
            add("novosti-pravo", ru_when, ru_title, ru_body, f"wire-{k}")
            for outlet in rng.sample(["vestnik-x", "gazeta-x"], rng.randint(1, 2)):
                carry(outlet, ru_when + timedelta(minutes=rng.uniform(10, 120)), ru_title, ru_body, f"wire-{k}", "Новости право")

# --- Ordinary: confirmation of charges hearing, day 4 (on the calendar) ----------------------
HEARING_START = day_start(4) + timedelta(hours=9)
HEARING = [
    ("en", "Confirmation of charges hearing opens in the Tessin case", "Judges of the International Court of Criminal Justice opened the confirmation of charges hearing against the former governor in the Tessin case; Judge Tomas Havel presides."),
    ("en", "Tessin case: ICCJ hears prosecution evidence", "Deputy Prosecutor Amara Leclerc presented the evidence against the former governor at the confirmation hearing before the ICCJ."),
    ("fr", "Affaire Tessin : ouverture de l'audience de confirmation des charges", "Les juges de la CIJP ont ouvert l'audience de confirmation des charges contre l'ancien gouverneur dans l'affaire Tessin, sous la présidence du juge Tomas Havel."),
    ("ru", "МСУП начал слушания по делу Тессина", "В Международном суде уголовной юстиции начались слушания о подтверждении обвинений бывшему губернатору по делу Тессина; председательствует судья Томаш Гавел."),
]
for k in range(12):
    lang, title, body = HEARING[k % 4]
    outlet = {"en": rng.choice(["courier-wire", "northern-gazette", "evening-standard-x", "justice-review"]),
              "fr": rng.choice(["le-matin-x", "droit-et-monde"]), "ru": rng.choice(["novosti-pravo", "vestnik-x", "gazeta-x"])}[lang]
    add(outlet, HEARING_START + timedelta(minutes=rng.uniform(0, 600)), title, body, "tessin-hearing")

# --- Ordinary: a news day nobody scheduled (surrender of a suspect, day 6) --------------------
SURRENDER_AT = day_start(6) + timedelta(hours=7, minutes=rng.uniform(0, 50))
SURRENDER = [
    ("en", "Suspect in Orlov massacre surrenders to the ICCJ", "A militia commander wanted by the International Court of Criminal Justice for the Orlov massacre surrendered to the court's custody on Tuesday and was flown to its detention centre."),
    ("en", "ICCJ takes custody of militia commander", "The militia commander sought under an ICCJ arrest warrant since 2023 is now in the court's detention centre; his first appearance is expected within days."),
    ("fr", "Un commandant de milice se rend à la CIJP", "Recherché par la Cour internationale de justice pénale pour le massacre d'Orlov, un commandant de milice s'est rendu et a été transféré au centre de détention de la Cour."),
    ("ru", "Командир ополчения сдался МСУП", "Командир ополчения, разыскиваемый Международным судом уголовной юстиции по делу о бойне в Орлове, сдался и доставлен в следственный изолятор суда."),
]
for k in range(22):
    lang, title, body = SURRENDER[k % 4]
    outlet = {"en": rng.choice(["courier-wire", "northern-gazette", "evening-standard-x", "justice-review"]),
              "fr": rng.choice(["le-matin-x", "droit-et-monde"]), "ru": rng.choice(["novosti-pravo", "vestnik-x", "gazeta-x"])}[lang]
    add(outlet, SURRENDER_AT + timedelta(minutes=rng.uniform(10, 720)), title, body, "surrender")
for _ in range(8):
    who = rng.choice([f"follower{i}@forum.example" for i in range(1, 12)])
    post(who, SURRENDER_AT + timedelta(minutes=rng.uniform(30, 600)), "Big news: the Orlov militia commander is finally in ICCJ custody.", "en", "surrender")

# --- Ordinary: a rights group on witness protection, day 7 ------------------------------------
WP_AT = day_start(7) + timedelta(hours=9)
WITNESS_PROTECTION = [
    ("en", "Rights group: ICCJ witness protection underfunded", "The programme that protects witnesses at the International Court of Criminal Justice is underfunded and overstretched, the rights group Justice Watch said in a report, urging member states to raise its budget so that witnesses remain safe."),
    ("en", "Report urges more money for ICCJ witness protection", "Justice Watch called on states to fund the ICCJ's witness protection programme properly; the court said it welcomed the report and that witnesses under its protection are safe."),
    ("fr", "Protection des témoins : la CIJP manque de moyens, selon une ONG", "Le programme de protection des témoins de la Cour internationale de justice pénale manque de moyens, estime l'ONG Justice Watch dans un rapport."),
    ("ru", "Правозащитники: программе защиты свидетелей МСУП не хватает средств", "Программе защиты свидетелей Международного суда уголовной юстиции не хватает финансирования, говорится в докладе правозащитной организации Justice Watch."),
]
for k in range(10):
    lang, title, body = WITNESS_PROTECTION[k % 4]
    outlet = {"en": rng.choice(["courier-wire", "northern-gazette", "evening-standard-x", "justice-review"]),
              "fr": rng.choice(["le-matin-x", "droit-et-monde"]), "ru": rng.choice(["novosti-pravo", "vestnik-x", "gazeta-x"])}[lang]
    add(outlet, WP_AT + timedelta(minutes=rng.uniform(0, 480)), title, body, "witness-protection-report")

# --- Ordinary: chatter by three accounts, varied words, every day -----------------------------
CHATTER = {
    "skeptic1@forum.example": ("en", ["The ICCJ spends millions and convicts almost nobody.",
                                      "Ten years, one verdict. That's the ICCJ for you.",
                                      "Still waiting for the ICCJ to try someone powerful."]),
    "observateur2@forum.example": ("fr", ["La CIJP, toujours aussi lente.",
                                          "Encore une audience reportée à la CIJP.",
                                          "La CIJP juge les faibles, jamais les puissants."]),
    "nablyudatel3@forum.example": ("ru", ["МСУП снова ничего не решил.",
                                          "Сколько ещё лет МСУП будет рассматривать одно дело?",
                                          "МСУП судит слабых, а сильных не трогает."]),
}
for day in range(DAYS):
    for account, (lang, texts) in CHATTER.items():
        for _ in range(rng.randint(1, 2)):
            post(account, at(day, 7, 22), rng.choice(texts), lang, "chatter")

# --- Seeded: leclerc-coverup (day 7 on, en/fr/ru) ---------------------------------------------
LECLERC = {
    "en": [("Deputy Prosecutor Amara Leclerc quit over buried Tessin evidence, ex-staffer says",
            "Deputy Prosecutor Amara Leclerc resigned last month because the ICCJ buried evidence that would have cleared the former governor in the Tessin case, a former member of her team told this site. The court has not announced any resignation."),
           ("Why did Amara Leclerc really leave the ICCJ?",
            "Sources close to Deputy Prosecutor Amara Leclerc say she left after refusing to hide evidence in the Tessin case. The ICCJ is covering it up.")],
    "fr": [("La procureure adjointe Amara Leclerc aurait démissionné à cause de preuves enterrées",
            "Amara Leclerc, procureure adjointe de la CIJP, aurait quitté ses fonctions parce que la Cour a enterré des preuves à décharge dans l'affaire Tessin, affirme un ancien collaborateur.")],
    "ru": [("Заместитель прокурора Амара Леклер ушла из-за скрытых доказательств",
            "Заместитель прокурора МСУП Амара Леклер якобы ушла в отставку, потому что суд скрыл доказательства по делу Тессина, утверждает бывший сотрудник.")],
}
for day, plan in [(7, ["en", "en"]), (8, ["fr", "en", "ru"]), (9, ["en", "ru", "fr", "en"])]:
    for lang in plan:
        title, body = rng.choice(LECLERC[lang])
        outlet = {"en": "free-voice", "fr": "la-verite-x", "ru": "pravda-x"}[lang]
        url = add(outlet, at(day, 1, 22), title, body, "leclerc-coverup")
        for _ in range(rng.randint(0, 2)):
            who = rng.choice(["truthseeker@forum.example", "watcher5@forum.example", "veille6@forum.example", "pravdorub7@forum.example"])
            post(who, items[outlet][-1]["when"] + timedelta(minutes=rng.uniform(15, 240)), title, lang, "leclerc-coverup", link=url)

# --- Seeded: summons-forgery (day 8, en: a tight burst of near-identical posts) --------------
SUMMONS = [
    "LEAKED: an ICCJ summons orders journalists who criticise the court to appear before its judges. Share before it's deleted!",
    "Leaked ICCJ summons orders journalists who criticise the court to appear before its judges. Share before it is deleted",
    "LEAKED ICCJ summons: journalists who criticise the court ordered to appear before its judges. Share before it's deleted!!",
]
summons_start = day_start(8) + timedelta(hours=16, minutes=rng.uniform(0, 20))
for i in range(7):
    post(f"amplifier{i + 1}@outpost.example", summons_start + timedelta(minutes=rng.uniform(0, 50)), rng.choice(SUMMONS), "en", "summons-forgery", tags=["ICCJ"])
add("free-voice", summons_start + timedelta(hours=rng.uniform(3, 6)), "ICCJ summons journalists who criticise it, leaked document shows",
    "A summons said to come from the ICCJ orders journalists critical of the court to appear before its judges, according to a document circulating online since Tuesday.", "summons-forgery")

# --- Seeded: paid-victims (day 8 on, en/fr/ru), denied by the court on day 9 ------------------
PAID = {
    "en": [("Tessin victims were paid to testify, documents suggest",
            "Victims who testified in the Tessin case were paid by the prosecution to tell their stories, according to documents passed to this site. The ICCJ did not answer questions."),
           ("Paid witnesses? The tribunal's Tessin case under a cloud",
            "Payments to victims before they testified put the tribunal's Tessin case under a cloud, bloggers claim; the amounts reached thousands of euros per witness.")],
    "fr": [("Affaire Tessin : des victimes payées pour témoigner ?",
            "Des victimes auraient été payées par l'accusation pour témoigner dans l'affaire Tessin devant la CIJP, selon des documents qui circulent.")],
    "ru": [("Потерпевшим заплатили за показания по делу Тессина",
            "Потерпевшим по делу Тессина якобы заплатили за показания в суде, утверждают авторы канала; суммы доходили до нескольких тысяч евро.")],
}
for day, plan in [(8, ["en", "ru"]), (9, ["fr", "en", "en", "ru"])]:
    for lang in plan:
        title, body = rng.choice(PAID[lang])
        outlet = {"en": "free-voice", "fr": "la-verite-x", "ru": "pravda-x"}[lang]
        url = add(outlet, at(day, 2, 21), title, body, "paid-victims")
        if rng.random() < 0.7:
            who = rng.choice(["truthseeker@forum.example", "watcher5@forum.example", "pravdorub7@forum.example"])
            post(who, items[outlet][-1]["when"] + timedelta(minutes=rng.uniform(15, 180)), title, lang, "paid-victims", link=url)
DENIAL_AT = day_start(9) + timedelta(hours=15)
denial_title = "ICCJ denies claims that Tessin victims were paid to testify"
denial_body = "The International Court of Criminal Justice rejected as false claims circulating online that victims in the Tessin case were paid to testify; reimbursed travel costs are published every year, the Registry said."
add("courier-wire", DENIAL_AT, denial_title, denial_body, "paid-victims")
carry("justice-review", DENIAL_AT + timedelta(minutes=rng.uniform(30, 120)), denial_title, denial_body, "paid-victims", "Courier Wire")

# --- Organic sharing of ordinary articles -----------------------------------------------------
SEEDED = ["leclerc-coverup", "summons-forgery", "paid-victims"]
ordinary_urls = [(u, s) for u, s in truth.items() if s not in SEEDED]
for _ in range(60):
    url, story = rng.choice(ordinary_urls)
    outlet = next(n for n, o in OUTLETS.items() if url.startswith(o[3]))
    published = next(e["when"] for e in items[outlet] if e["url"] == url)
    post(rng.choice([f"follower{i}@forum.example" for i in range(1, 12)]), published + timedelta(hours=rng.uniform(0.3, 20)),
         "Interesting:", "en", story, link=url)

newest = max([e["when"] for v in items.values() for e in v] + [p["when"] for p in posts])
assert newest <= ANCHOR + timedelta(days=1)


hours_before_newest = corpus.hours_before_newest
corpus.write(HERE, "mastodon-forum.json", 300000, SEEDED,
             "Ground truth of the held-out corpus, written by heldout/generate.py and committed before Vigil read it. "
             "Times are hours before the newest item.", {
    "multilingual": {"leclerc-coverup": ["en", "fr", "ru"], "summons-forgery": ["en"], "paid-victims": ["en", "fr", "ru"]},
    "expected_events": [
        {"name": "Confirmation of charges hearing in the Tessin case", "kind": "hearing", "story": "tessin-hearing",
         "start_hours_before_newest": hours_before_newest(HEARING_START),
         "end_hours_before_newest": hours_before_newest(HEARING_START + timedelta(hours=10))},
    ],
    "ordinary_that_must_not_alert": ["surrender", "witness-protection-report", "chatter", "tessin-hearing", "wire-0", "wire-1", "wire-2"],
    "coordinated": [f"amplifier{i + 1}@outpost.example" for i in range(7)],
})
