# normverk – norsk bokmål (primærspråk)

skip-to-content = Hopp til hovedinnholdet
nav-main-label = Hovedmeny
nav-user-label = Brukermeny
nav-dashboard = Oversikt
nav-units = Enheter
nav-members = Personer og roller
nav-tokens = API-nøkler
logout = Logg ut
org-switch-label = Virksomhet
org-switch-button = Bytt
language-label = Språk
language-button = Bytt språk
footer-text = normverk – styringssystem for informasjonssikkerhet og personvern etter Normen

role-admin = Administrator
role-top-management = Øverste leder
role-security-lead = Sikkerhetsleder
role-dpo = Personvernombud
role-manager = Leder
role-employee = Ansatt
role-auditor = Revisor (lesetilgang)

scope-org-read = Lese virksomhetens data
scope-org-write = Endre virksomhetens struktur

org-kind-regional-health-authority = Regionalt helseforetak
org-kind-health-trust = Helseforetak
org-kind-municipality = Kommune
org-kind-gp-office = Fastlegekontor
org-kind-private-practice = Privat praksis
org-kind-private-hospital = Privat sykehus eller klinikk
org-kind-pharmacy = Apotek
org-kind-supplier = Leverandør eller databehandler
org-kind-other = Annen virksomhet

form-has-errors = Skjemaet har feil. Se meldingene ved feltene under.
error-required = Feltet må fylles ut.
error-too-long = Teksten er for lang.
error-control-chars = Teksten inneholder ugyldige tegn.
error-org-number-length = Organisasjonsnummeret må ha nøyaktig 9 siffer (du skrev { $count }).
error-org-number-digits = Organisasjonsnummeret kan bare inneholde siffer.
error-org-number-check = Dette er ikke et gyldig organisasjonsnummer: kontrollsifferet stemmer ikke. Sjekk nummeret i Enhetsregisteret.
error-choose-one = Velg et av alternativene.
error-email = Skriv en gyldig e-postadresse, for eksempel navn@virksomhet.no.
error-password-mismatch = Passordene er ikke like.
error-password-short = Passordet må ha minst { $min } tegn. Bruk gjerne flere ord.
error-choose-role = Velg minst én rolle.
error-last-admin = Virksomheten må ha minst én administrator.
error-choose-scope = Velg minst én tilgang.
error-current-password = Nåværende passord er feil.

error-status = Feilkode { $status }
error-home = Gå til forsiden
error-400-title = Forespørselen kunne ikke behandles
error-400-message = Noe i forespørselen var ugyldig. Gå tilbake og prøv igjen.
error-403-title = Ingen tilgang
error-403-message = Du har ikke tilgang til denne siden. Kontakt en administrator i virksomheten hvis du trenger tilgang.
error-404-title = Fant ikke siden
error-404-message = Siden finnes ikke, eller du har ikke tilgang til den.
error-413-title = For mye data
error-413-message = Det du sendte er større enn det som er tillatt.
error-500-title = Noe gikk galt
error-500-message = En feil oppstod hos oss. Feilen er logget. Prøv igjen om litt.
error-csrf-title = Skjemaet er utløpt
error-csrf-message = Skjemaet kunne ikke sendes fordi sikkerhetsnøkkelen manglet eller var utløpt. Last inn siden på nytt og prøv igjen.
error-no-org-title = Ingen virksomhet
error-no-org-message = Brukeren din er ikke knyttet til noen virksomhet. Kontakt en administrator.

setup-title = Sett opp normverk
setup-intro = Opprett virksomheten og din egen administratorkonto. Lenken kan brukes én gang og gjelder i én time.
setup-org-legend = Virksomheten
setup-admin-legend = Din administratorkonto
setup-submit = Opprett virksomhet og konto
setup-unavailable-title = Oppsettlenken kan ikke brukes
setup-already-done = normverk er allerede satt opp. Logg inn med kontoen din.
setup-link-used = Denne oppsettlenken er allerede brukt.
setup-link-expired = Denne oppsettlenken er utløpt. Start normverk på nytt for å få en ny lenke.
setup-link-unknown = Oppsettlenken er ugyldig. Bruk lenken som ble skrevet ut da normverk startet.

field-org-name = Virksomhetens navn
field-org-number = Organisasjonsnummer
field-org-number-hint = 9 siffer, slik det står i Enhetsregisteret.
field-org-kind = Type virksomhet
field-name = Navn
field-email = E-post
field-password = Passord
field-password-hint = Minst 12 tegn. En setning på flere ord er lett å huske og vanskelig å gjette.
field-password-confirm = Gjenta passordet
field-current-password = Nåværende passord
field-new-password = Nytt passord
field-initial-password = Første passord
field-initial-password-hint = Bare for nye brukere. Gi passordet til personen på en sikker måte; de bør bytte det selv.
field-roles = Roller
field-created = Opprettet
field-unit-name = Enhet
field-unit-parent = Hører til under
field-token-name = Navn på nøkkelen
field-scopes = Tilganger

login-title = Logg inn
login-submit = Logg inn
login-failed = Feil e-post eller passord.
login-throttled = For mange mislykkede forsøk. Vent { $minutes } minutter før du prøver igjen.
login-not-set-up = normverk er ikke satt opp ennå. Bruk oppsettlenken som ble skrevet ut da normverk startet.

dashboard-title = Oversikt
dashboard-your-roles = Dine roller
dashboard-facts = Virksomheten
dashboard-units = enheter
dashboard-members = personer
dashboard-tokens = aktive API-nøkler

units-title = Enheter
units-intro = Virksomhetens organisasjon: klinikker, avdelinger, seksjoner og andre enheter.
units-empty = Ingen enheter er registrert ennå.
units-new = Ny enhet
units-no-parent = (øverste nivå)
units-create = Opprett enhet
unit-path = Plassering
unit-children = Underenheter
unit-no-children = Ingen underenheter.
unit-delete = Slett enheten
unit-delete-confirm = Vil du slette enheten?
unit-has-children = Enheten har underenheter. Slett eller flytt dem først.

members-title = Personer og roller
members-add = Legg til person
members-add-intro = Finnes personen allerede i normverk, trenger du bare e-post og roller.
members-add-submit = Legg til
member-already = Personen er allerede med i virksomheten. Endre rollene på personens side.
member-disabled = deaktivert
member-roles-heading = Roller i virksomheten
member-roles-hint = Fjerner du alle roller, fjernes personen fra virksomheten.
member-roles-save = Lagre roller
member-roles-saved = Rollene er lagret.
member-reset-heading = Tilbakestill passord
member-reset-hint = Personen logges ut overalt og må bruke det nye passordet.
member-reset-submit = Sett nytt passord
member-password-reset = Passordet er endret, og personen er logget ut.

member-units-heading = Enheter personen leder
member-units-legend = Leder for
member-units-save = Lagre enheter
member-units-saved = Enhetene er lagret.

tokens-title = API-nøkler
tokens-intro = Maskiner, som journalsystemer og SMS-tjenester, bruker API-nøkler. En nøkkel gjelder bare denne virksomheten og bare tilgangene du velger.
tokens-created = Nøkkelen er laget. Kopier den nå – den vises bare denne ene gangen.
tokens-created-label = Ny API-nøkkel
tokens-empty = Ingen API-nøkler er laget.
tokens-last-used = Sist brukt
tokens-status = Status
tokens-never-used = Aldri
tokens-revoked-at = Trukket tilbake { $when }
tokens-revoke = Trekk tilbake
tokens-revoke-named = Trekk tilbake nøkkelen { $name }
tokens-revoke-confirm = Vil du trekke tilbake nøkkelen? Systemer som bruker den, mister tilgangen.
tokens-new = Ny API-nøkkel
tokens-create = Lag nøkkel

account-title = Min konto
account-orgs = Virksomheter og roller
account-password = Bytt passord
account-password-submit = Bytt passord
account-password-changed = Passordet er byttet. Andre økter er logget ut.
