#!/usr/bin/env python3
"""Writes corpus.jsonl: realistic Norwegian SMS and e-mail texts with the findings a careful
person would mark in them. Deterministic (fixed seed); rerun after changing the templates:

    python3 crates/dlp/corpus/generate.py > crates/dlp/corpus/corpus.jsonl

Each line: {"id", "group", "channel", "text", "expect": [{"kind", "text"}]}, where "text" of an
expectation is the exact stretch (its first occurrence) that should be found, or null (in base64 e-mail)
for "one finding of this kind anywhere". Labels follow the
policy in the dlp crate's documentation, not the scanner's output: identity numbers, diagnoses
(code or word), medicines, prescription content and revealing department names are findings;
KID, account, order and phone numbers, dates and neutral names are not.
"""
import json
import random

rng = random.Random(20261124)

K1 = [3, 7, 6, 1, 8, 9, 4, 5, 2]
K2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]


def mod11(digits, weights):
    k = 11 - sum(d * w for d, w in zip(digits, weights)) % 11
    return 0 if k == 11 else (None if k == 10 else k)


def fnr(kind="fnr"):
    while True:
        year = rng.randint(1930, 2024)
        month = rng.randint(1, 12)
        day = rng.randint(1, 28)
        yy = year % 100
        if year < 2000:
            ind = rng.randint(0, 499)
        else:
            ind = rng.randint(500, 999)
        dd = day + (40 if kind == "d" else 0)
        mm = month + (40 if kind == "h" else 80 if kind == "tenor" else 0)
        digits = [int(c) for c in f"{dd:02d}{mm:02d}{yy:02d}{ind:03d}"]
        k1 = mod11(digits, K1)
        if k1 is None:
            continue
        k2 = mod11(digits + [k1], K2)
        if k2 is None:
            continue
        return "".join(map(str, digits + [k1, k2]))


def account():
    while True:
        digits = [rng.randint(0, 9) for _ in range(10)]
        digits[0] = rng.choice([1, 3, 6, 9])
        k = mod11(digits, K2)
        if k is not None:
            return "".join(map(str, digits + [k]))


def luhn_kid(n):
    digits = [rng.randint(0, 9) for _ in range(n - 1)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        d2 = d * 2 if i % 2 == 0 else d
        total += d2 - 9 if d2 > 9 else d2
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def fmt_fnr(n):
    return rng.choice([n, n, n[:6] + " " + n[6:], n[:6] + "-" + n[6:], n[:6] + "." + n[6:]])


def fmt_account(a):
    return rng.choice([a, f"{a[:4]}.{a[4:6]}.{a[6:]}", f"{a[:4]} {a[4:6]} {a[6:]}"])


def phone():
    n = str(rng.choice([2, 3, 4, 5, 6, 7, 9])) + "".join(str(rng.randint(0, 9)) for _ in range(7))
    return rng.choice([n, f"{n[:2]} {n[2:4]} {n[4:6]} {n[6:]}", f"{n[:3]} {n[3:5]} {n[5:]}", "+47 " + n])


MONTHS = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember"]
DAYS = ["mandag", "tirsdag", "onsdag", "torsdag", "fredag"]


def date():
    d, m = rng.randint(1, 28), rng.randint(1, 12)
    return rng.choice([f"{d:02d}.{m:02d}.2027", f"{d}. {MONTHS[m - 1]}", f"{rng.choice(DAYS)} {d}. {MONTHS[m - 1]}", f"{d:02d}.{m:02d}"])


def clock():
    h, mi = rng.randint(7, 16), rng.choice([0, 15, 30, 45])
    return rng.choice([f"kl. {h:02d}.{mi:02d}", f"kl {h}:{mi:02d}", f"kl. {h:02d}:{mi:02d}"])


NEUTRAL = ["Sørlandet sykehus", "Legesenteret i Nordbyen", "Bergen kommune", "Helse Stavanger", "Tannlegene Hansen",
           "Fysioterapi Sentrum", "St. Olavs hospital", "Legekontoret", "Helsestasjonen", "Oslo universitetssykehus"]
DEPARTMENTS = ["psykiatrisk poliklinikk", "gynekologisk poliklinikk", "Gynekologisk avdeling", "DPS Nordre Aasen", "BUP Kristiansand",
               "Abortpoliklinikken", "fødeavdelingen", "kreftpoliklinikken", "Onkologisk avdeling", "ruspoliklinikken",
               "Infeksjonspoliklinikken", "Olafiaklinikken", "Seksjon for kjønnsidentitet", "Distriktspsykiatrisk senter",
               "fødeavdelinga", "Barne- og ungdomspsykiatrisk poliklinikk", "Hukommelsesklinikken", "kvinneklinikken",
               "Avdeling for rusbehandling", "jordmorkontoret"]
DIAGNOSES = ["diabetes", "depresjon", "brystkreft", "astma", "KOLS", "epilepsi", "schizofreni", "klamydia", "hiv-positiv",
             "angstlidelse", "bipolar lidelse", "lungekreft", "hjertesvikt", "demens", "spiseforstyrrelse", "ADHD",
             "psoriasis", "migrene", "graviditet", "alkoholavhengighet", "svangerskapet", "kreften", "hjerteinfarkt",
             "psykosen", "autisme", "leddgikt", "sjølvskading", "depresjonen", "hepatitt C", "tuberkulose"]
CODES = [("F32.1", "depresjon"), ("E11", "diabetes type 2"), ("J45", "astma"), ("C50.9", "brystkreft"), ("F20.0", "schizofreni"),
         ("P76", "depresjon"), ("T90", "diabetes"), ("R96", "astma"), ("F41.1", "angstlidelse"), ("Z32", "graviditet"),
         ("A56", "klamydia"), ("X71", "gonoré"), ("K86", "hypertensjon"), ("G40", "epilepsi"), ("B24", "hiv")]
DRUGS = [("Sertralin", "50 mg"), ("Metformin", "500 mg"), ("Sobril", "10 mg"), ("Ritalin", "10 mg"), ("Lyrica", "75 mg"),
         ("Paracet", "500 mg"), ("Cipralex", "10 mg"), ("Zyprexa", "5 mg"), ("Marevan", "2,5 mg"), ("Levaxin", "50 mikrogram"),
         ("Imovane", "7,5 mg"), ("Truvada", "200 mg"), ("Seroquel", "25 mg"), ("Oxynorm", "5 mg"), ("Ozempic", "0,5 mg")]
NAMES = ["Kari Nordmann", "Ola Hansen", "Fatima Ali", "Per Olsen", "Ingrid Berg", "Mohammed Khan", "Siri Lie", "Anders Moe"]

out = []


def add(group, channel, text, expect):
    for e in expect:
        assert e["text"] is None or e["text"] in text, (e, text)
    out.append({"id": f"{group}-{len(out) + 1:03d}", "group": group, "channel": channel, "text": text, "expect": expect})


def E(kind, text, nth=0):
    """Expect a finding of `kind` at the nth occurrence of `text` (None: anywhere)."""
    e = {"kind": kind, "text": text}
    if nth:
        e["nth"] = nth
    return e


# 1. Neutral reminders: clean.
for _ in range(45):
    org = rng.choice(NEUTRAL)
    t = rng.choice([
        f"Påminnelse: Du har time hos {org} {date()} {clock()}. Ved forfall, gi beskjed senest 24 timer før på {phone()}. Ikke svar på denne meldingen.",
        f"Hei! Husk timen din {date()} {clock()}. Møt opp i resepsjonen 10 minutter før. Mvh {org}",
        f"Du har fått time {date()} {clock()}. Ta med gyldig legitimasjon. Avbestilling: {phone()}. Hilsen {org}",
        f"Timeavtale: {date()} {clock()} hos {org}. Ikke møtt time uten avbestilling blir fakturert.",
        f"Påminning: Du har time {date()} {clock()} hos {org}. Gi melding om du ikkje kan kome.",
    ])
    add("reminder-neutral", "sms", t, [])

# 2. Reminders that name a revealing department (block), some with the department's number (warn).
for _ in range(45):
    dept, p = rng.choice(DEPARTMENTS), phone()
    with_phone = rng.random() < 0.4
    t = rng.choice([
        f"Påminnelse: Du har time på {dept} {date()} {clock()}.",
        f"Hei, velkommen til {dept} {date()} {clock()}. Mvh sekretær",
        f"Du er kalla inn til {dept} {date()} {clock()}.",
    ])
    expect = [E("department", dept.split()[0] if dept.split()[0] not in ("Seksjon", "Avdeling") else dept.split()[-1])]
    if dept in ("DPS Nordre Aasen", "BUP Kristiansand"):
        expect = [E("department", dept.split()[0])]
    if dept == "Barne- og ungdomspsykiatrisk poliklinikk":
        expect = [E("department", "ungdomspsykiatrisk")]
    if dept == "Avdeling for rusbehandling":
        expect = [E("department", "rusbehandling")]
    if with_phone:
        t += f" Spørsmål? Ring {dept} på {p}."
        expect.append(E("department", expect[0]["text"], 1))
        expect.append(E("sender", p))
    add("reminder-department", "sms", t, expect)

# 3. Identity numbers in many forms.
for _ in range(50):
    kind = rng.choice(["fnr", "fnr", "fnr", "d", "h", "tenor"])
    n = fmt_fnr(fnr(kind))
    name = rng.choice(NAMES)
    t = rng.choice([
        f"Hei {name}, fødselsnummer {n} er registrert. Mvh {rng.choice(NEUTRAL)}",
        f"Vi mangler samtykke for pasient {name} ({n}). Kan du ringe oss?",
        f"Gjelder {name} f.nr {n} – time {date()} {clock()}.",
        f"Pnr: {n}\nNavn: {name}\nTime: {date()} {clock()}",
        f"Send oss personnummeret ditt på nytt, vi fikk {n}, stemmer det?",
        f"{name} {n} møtte ikke til timen.",
        f"Vedr. {n}: journalkopi er sendt i posten.",
        f"Bekreftelse: {name}, født {n}, er registrert for time {date()}.",
        f"ID:{n}",
    ])
    add("fnr", "sms", t, [E("fnr", n)])

# 4. Lab results: neutral (clean) and revealing (block).
for _ in range(20):
    t = rng.choice([
        "Prøvesvaret ditt er klart. Logg inn på helsenorge.no for å lese det.",
        f"Hei! Du har fått en ny melding fra {rng.choice(NEUTRAL)} på helsenorge.no.",
        "Svaret på prøven du tok er klart. Ring oss om du har spørsmål.",
        f"Legen har sett på prøvene dine og vil snakke med deg. Ring {phone()} mellom 08 og 15.",
    ])
    add("lab-neutral", "sms", t, [])
for _ in range(30):
    v = f"{rng.randint(5, 12)},{rng.randint(0, 9)} mmol/l"
    choice = rng.randint(0, 4)
    if choice == 0:
        t, e = f"HbA1c er {rng.randint(45, 90)} og blodsukker {v}. Vi justerer insulin ved neste time.", [E("health_term", "HbA1c"), E("health_term", "blodsukker"), E("health_term", v.replace(" mmol/l", " mmol")), E("health_term", "insulin")]
    elif choice == 1:
        t, e = "Klamydiatesten var positiv. Du får resept på antibiotika.", [E("health_term", "Klamydiatesten"), E("prescription", "resept"), E("health_term", "antibiotika")]
    elif choice == 2:
        p = phone()
        t, e = f"Hei, graviditetstesten er positiv. Gratulerer! Ring jordmor på {p}.", [E("health_term", "graviditetstesten"), E("department", "jordmor"), E("sender", p)]
    elif choice == 3:
        t, e = "Svar: PSA forhøyet, vi henviser deg videre.", [E("health_term", "PSA"), E("health_term", "forhøyet")]
    else:
        t, e = "Du testet positivt for covid-19-smitte, hold deg hjemme.", [E("health_term", "testet positivt"), E("health_term", "covid-19-smitte")]
    add("lab-revealing", "sms", t, e)

# 5. Referrals and letters between services (e-mail): identity numbers, codes, diagnoses.
for _ in range(35):
    n = fmt_fnr(fnr())
    code, diag = rng.choice(CODES)
    name = rng.choice(NAMES)
    t = rng.choice([
        f"Emne: Henvisning\n\nHei,\nHenviser {name}, f.nr. {n}, for vurdering. Diagnose: {code} {diag}.\nMvh fastlegen",
        f"Epikrise for {name} ({n})\nDiagnosekode: {code}\nTilstand: {diag}, stabil.\nKontroll om 3 måneder.",
        f"Hei! Kan dere ta imot {name}, fødselsnummer {n}? Dg {code} ({diag}). Hilsen legevakten",
    ])
    e = [E("fnr", n), E("health_code", code)]
    first_word = diag.split()[0]
    if first_word not in ("hiv",):
        e.append(E("health_term", first_word))
    else:
        e = [E("fnr", n), E("health_code", code)]
    add("referral", "email", t, e)

# 6. Prescriptions.
for _ in range(35):
    drug, strength = rng.choice(DRUGS)
    t = rng.choice([
        (f"Resepten din på {drug} {strength} er fornyet. Ta 1 tablett 2 ganger daglig.", [E("prescription", "Resepten"), E("health_term", drug), E("prescription", strength.replace("mikrogram", "mikrogram")), E("prescription", "tablett"), E("prescription", "ganger daglig")]),
        (f"{drug} {strength}: 1 tablett morgen og kveld. Hentes på apoteket.", [E("health_term", drug), E("prescription", strength), E("prescription", "tablett"), E("prescription", "morgen og kveld")]),
        (f"Hei! Vi har sendt e-resept på {drug}. Dosering som før.", [E("prescription", "e-resept"), E("health_term", drug), E("prescription", "Dosering")]),
        ("Resepten din er fornyet og ligger klar på apoteket.", [E("prescription", "Resepten")]),
    ])
    add("prescription", "sms", t[0], t[1])

# 7. Newsletters and general information: clean.
NEWS = [
    "Nyhetsbrev fra legekontoret: Vi har fått ny telefonløsning. Fra 1. januar når du oss på {p} mellom 08.00 og 15.30.",
    "Influensavaksinen er kommet! Drop-in tirsdager og torsdager 12–15. Pris 250 kr, betal med Vipps eller kort.",
    "Sommerstengt uke 29–31. Ved behov for lege, ring legevakten på 116 117. God sommer!",
    "Nå kan du bestille time, fornye resepter og sende meldinger til legen på helsenorge.no.",
    "Parkering: Fra mandag er det betaling for parkering ved sykehuset. Bruk gjerne buss.",
    "Vi søker frivillige til besøkstjenesten. Meld deg på via nettsidene våre.",
    "Informasjon om personvern: Les hvordan vi behandler personopplysninger på nettsiden vår.",
    "Kurs i førstehjelp for foreldre 14. mars kl. 18.00. Påmelding innen 1. mars.",
    "Ny lege ved kontoret: Vi ønsker dr. Hansen velkommen fra 1. februar.",
    "Husk at du kan reservere deg mot digital post fra oss. Kontakt servicetorget.",
    "Vi flytter! Fra 1. april holder vi til i Storgata 12, 2. etasje.",
    "Åpningstider i påsken: Stengt skjærtorsdag til 2. påskedag. Ring 113 ved akutt fare.",
    "Eksempel på god praksis: Hold avstand og vask hendene ofte i influensasesongen.",
    "Kreftforeningen arrangerer Krafttak mot kreft i mars. Støtt innsamlingen!",
]
for i in range(40):
    t = NEWS[i % len(NEWS)].format(p=phone())
    e = [E("health_term", "kreft")] if "mot kreft" in t else []
    add("newsletter", "email", t, e)

# 8. Invoices with KID and account numbers: clean.
for _ in range(45):
    kid = luhn_kid(rng.choice([7, 9, 11, 11, 11, 13, 15]))
    acc = fmt_account(account())
    amount = rng.randint(150, 4500)
    t = rng.choice([
        f"Faktura for egenandel {amount} kr. Betal til kontonummer {acc} med KID {kid} innen {date()}.",
        f"Betalingspåminnelse: {amount},- forfalt {date()}. Konto: {acc}, KID: {kid}.",
        f"Kvittering: {amount} kr mottatt. KID-nummer {kid}. Takk for betalingen!",
        f"Fakturanr. {rng.randint(100000, 999999)}\nBeløp: {amount} kr\nKontonr: {acc}\nKID: {kid}\nForfall: {date()}",
    ])
    add("invoice", "email", t, [])

# 9. Order numbers, tracking, phone numbers and dates: clean.
for _ in range(40):
    order = "".join(str(rng.randint(0, 9)) for _ in range(rng.choice([8, 10, 11, 12])))
    t = rng.choice([
        f"Ordrenummer {order}: Varene dine er sendt. Sporingsnummer {rng.randint(10**9, 10**10)}.",
        f"Bestillingen {order} er klar til henting hos apoteket innen {date()}.",
        f"Ring oss på {phone()} eller {phone()} hvis du har spørsmål om bestilling {order}.",
        f"Referanse: {order}. Saken er registrert {date()} {clock()}.",
        f"Mottatt {date()}: pakke {order} fra Helsebutikken.",
        f"Kundenummer {order}. Medlemskapet ditt fornyes {date()}.",
        f"Bestillingsreferanse A{rng.randint(10, 99)} er bekreftet. Hent varene i luke B{rng.randint(10, 99)}.",
        f"Rom C{rng.randint(10, 99)}, 3. etasje. Parkering i P{rng.randint(10, 40)}.",
    ])
    add("order", "sms", t, [])

# 10. Codes without diagnostic context: clean; with context: found.
for _ in range(15):
    t = rng.choice([
        f"Møterom F{rng.randint(10, 99)} er booket {date()} {clock()}.",
        f"Skjema T{rng.randint(10, 99)} må fylles ut før timen.",
        f"Bussen går fra plattform A{rng.randint(10, 99)}.",
    ])
    add("code-neutral", "sms", t, [])
for _ in range(15):
    code, diag = rng.choice(CODES)
    t = rng.choice([f"Sykmelding sendt, diagnosekode {code}.", f"ICPC-2 {code}: kontroll om to uker.", f"Dg. {code}, henvist for videre utredning."])
    add("code-context", "email", t, [E("health_code", code)])

# 11. Diagnoses in plain words, bokmål and nynorsk.
for _ in range(35):
    diag = rng.choice(DIAGNOSES)
    name = rng.choice(NAMES)
    t = rng.choice([
        f"Hei {name}. Vi har fått svar fra spesialisten om {diag} og tar det opp på neste time.",
        f"Til {name}: oppfølging av {diag} flyttes til {date()} {clock()}.",
        f"Hei! Legen ønskjer å snakke med deg om {diag}. Ring oss.",
        f"Kontroll etter {diag}: {date()} {clock()}. Mvh {rng.choice(NEUTRAL)}",
    ])
    kind = "health_term"
    add("diagnosis", "sms", t, [E(kind, diag.split()[0])])

# 12. Numbers that are not identity numbers: eleven digits with bad check digits, phone and dates.
for _ in range(20):
    s = "".join(str(rng.randint(0, 9)) for _ in range(11))
    t = rng.choice([
        f"Saksnummer {s} gjelder søknaden din om parkeringstillatelse.",
        f"Medlemsnummer {s[:8]}, gyldig til {date()}.",
        f"Ring {phone()} for å avtale ny time.",
        f"Serienummer {s} er registrert på din bruker.",
    ])
    add("numbers", "sms", t, [])

# 13. HTML e-mails.
for _ in range(15):
    dept = rng.choice(["psykiatrisk poliklinikk", "gynekologisk avdeling", "kreftpoliklinikken"])
    n = fnr()
    t = f"<html><body><p>Hei,</p><p>Du har time p&aring; <b>{dept}</b> {date()}.</p><p>F&oslash;dselsnummer: {n}</p></body></html>"
    add("html", "email_html", t, [E("department", dept.split()[0]), E("fnr", n)])
for _ in range(10):
    t = f"<p>Velkommen til {rng.choice(NEUTRAL)}!</p><p>Timen din er {date()} {clock()}.</p>"
    add("html-neutral", "email_html", t, [])

# 14. Written by hand: look-alikes and hard cases, labelled as a careful person would.
HAND = [
    ("Hei! Husk å ta med medisinlisten din til timen i morgen.", []),
    ("Dosent Hansen holder foredrag om personvern torsdag.", []),
    ("Arbeidskrefter søkes til sommerjobb på kjøkkenet.", []),
    ("Eksempel: skriv aldri fødselsnummer i en SMS.", []),
    ("Russen feirer 17. mai, legekontoret holder stengt.", []),
    ("Du er velkommen til helsestasjonen for 4-årskontroll 12.05 kl. 10.00.", []),
    ("Time hos fysioterapeut 03.04 kl. 08.15. Ta med treningstøy.", []),
    ("Vi minner om tannlegetime 14.02 kl 13:00.", []),
    ("Kontonummer 1503.27.12344, merk betalingen med navn.", []),
    ("Tlf 22 11 22 11, faks 22 11 22 12.", []),
    ("Org.nr 974 760 673. Faktura sendes som EHF.", []),
    ("Hei, du hiv deg rundt og send skjemaet før fredag!", []),
    ("Vi lar deg velge mellom to tidspunkt: 10.00 eller 11.30.", []),
    ("Hilsen Kari, helsesekretær", []),
    ("Rom A12 er ledig fra kl. 12.", []),
    ("Sykdom i familien? Gi beskjed, så finner vi en ny time.", []),
    ("Påminnelse: Blodprøve tas på laboratoriet før timen.", []),
    ("Oppfølging av sårskaden din er flyttet til mandag.", []),
    ("Hei! Du står på venteliste til DPS og får brev om time.", [E("department", "DPS")]),
    ("Svar fra MR: ingen tegn til svulst.", [E("health_term", "svulst")]),
    ("Du er satt opp til cellegift mandag 08.00.", [E("health_term", "cellegift")]),
    ("Pasienten har diabetes type 1 og bruker insulinpumpe.", [E("health_term", "diabetes"), E("health_term", "insulinpumpe")]),
    ("Hei, vi har sendt henvisning til BUP for sønnen din.", [E("department", "BUP")]),
    ("Velkommen til Klinikk psykisk helse og avhengighet, Sørlandet sykehus.", [E("department", "psykisk helse og avhengighet")]),
    ("Husk Pinex Forte 2 tabletter ved behov, maks 8 i døgnet.", [E("health_term", "Pinex"), E("prescription", "tabletter")]),
    ("Fnr.15108695088 mangler i skjemaet.", [E("fnr", "15108695088")]),
    ("F.nr: 151086-95088", [E("fnr", "151086-95088")]),
    ("Personnummeret 26111593816 er feil registrert hos oss.", [E("fnr", "26111593816")]),
    ("KID 15108695088 gjelder faktura 2027-114.", []),
    ("Dg: F32.9 Depresjon, uspesifisert", [E("health_code", "F32.9"), E("health_term", "Depresjon")]),
    ("Dere må ringe abortpoliklinikken før kl. 12.", [E("department", "abortpoliklinikken")]),
    ("Vi har mottatt prøvesvar: Klamydia påvist.", [E("health_term", "Klamydia")]),
    ("Hei! Du kan hente p-pillene på apoteket.", [E("health_term", "p-pillene")]),
    ("Du er kalla inn til svangerskapskontroll hjå jordmor.", [E("health_term", "svangerskapskontroll"), E("department", "jordmor")]),
    ("Metadon deles ut kl. 09 på LAR-poliklinikken.", [E("health_term", "Metadon"), E("department", "LAR-poliklinikken")]),
]
for t, e in HAND:
    add("hand", "sms", t, e)

# 15. Raw MIME messages: quoted-printable and base64.
import base64
for i in range(10):
    n = fnr()
    diag = rng.choice(["diabetes", "depresjon", "astma"])
    body = f"Hei,\nfødselsnummer {n}.\nOppfølging av {diag}.\n"
    if i % 2 == 0:
        enc = "base64"
        payload = base64.encodebytes(body.encode()).decode()
    else:
        enc = "quoted-printable"
        payload = body.replace("ø", "=C3=B8")
    t = f"From: Legekontoret <post@example.no>\r\nSubject: Oppfølging\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: {enc}\r\n\r\n{payload}"
    # Base64 hides the text from a substring search: those expectations match by kind (text null).
    add("mime", "email_raw", t, [E("fnr", n if enc == "quoted-printable" else None), E("health_term", diag if enc == "quoted-printable" else None)])

for line in out:
    print(json.dumps(line, ensure_ascii=False))
