#!/usr/bin/env python3
"""Seeds a running normverk for schemathesis: in each of two organisations, every kind of object
the API serves, so that generated requests meet real data (and the other organisation's ids)."""
import re
import sys

import requests

BASE, ADMIN_EMAIL, PASSWORD, TOKEN_A, TOKEN_B = sys.argv[1:6]


def tenor(n):
    """The n-th synthetic (Tenor) national identity number, as `fnr::tenor` makes them."""
    def mod11(s):
        k = 11 - s % 11
        return 0 if k == 11 else (None if k == 10 else k)
    day, month, yy, block = 1 + n % 28, 81 + (n // 28) % 12, (n // 336) % 100, (n // 33600) % 100
    for off in range(5):
        first9 = f"{day:02}{month:02}{yy:02}{block * 5 + off:03}"
        d = [int(c) for c in first9]
        k1 = mod11(sum(a * w for a, w in zip(d, [3, 7, 6, 1, 8, 9, 4, 5, 2])))
        if k1 is None:
            continue
        k2 = mod11(sum(a * w for a, w in zip(d + [k1], [5, 4, 3, 2, 7, 6, 5, 4, 3, 2])))
        if k2 is not None:
            return f"{first9}{k1}{k2}"


def api(token, method, path, **kw):
    r = requests.request(method, BASE + path, headers={"Authorization": f"Bearer {token}"}, timeout=10, **kw)
    if r.status_code >= 400:
        sys.exit(f"seeding failed: {method} {path}: {r.status_code} {r.text}")
    return r.json() if r.content else None


def objects(token, number):
    unit = api(token, "POST", "/api/v1/units", json={"name": "Akuttmottak"})
    api(token, "POST", "/api/v1/units", json={"name": "Natt", "parent_id": unit["id"]})
    epj = api(token, "POST", "/api/v1/systems", json={"name": "DIPS Arena", "criticality": "critical"})
    lab = api(token, "POST", "/api/v1/systems", json={"name": "Labsystem", "criticality": "serious"})
    api(token, "POST", f"/api/v1/systems/{epj['id']}/dependencies", json={"depends_on": lab["id"]})
    journal = api(token, "POST", "/api/v1/processings", json={"name": "Journalføring", "purposes": "Helsehjelp", "role": "controller", "systems": [epj["id"]], "dpia_criteria": "sensitive_data, large_scale"})
    api(token, "POST", "/api/v1/assets", json={"identifier": "PC-001", "kind": "computer", "model": "Latitude 5440"})
    api(token, "POST", "/api/v1/deviations", json={
        "title": "Epikrise sendt feil", "description": "Feil mottaker.", "occurred_at": "2026-11-20T08:00:00+01:00",
        "aware_at": "2026-11-20T09:00:00+01:00", "category": "misdirected_information", "patients_concerned": True})
    events = [{
        "occurred_at": "2026-11-20T08:15:00+01:00", "duration_s": 42, "user_role": "lege", "user_id": "hpr:9144897", "user_name": "Kari Lege",
        "org_number": number, "unit": "Akuttmottak", "patient_id": f"fnr:{tenor(i)}", "information_type": "journalnotat",
        "action": "read", "basis": "care_relation"} for i in range(5)]
    api(token, "POST", "/api/v1/access-events", json=events)
    risk = api(token, "POST", "/api/v1/risk/assessments", json={"title": "Ny EPJ", "reason": "new_system"})
    document = dict(risk["document"], systems=[epj["id"]], events=[{
        "id": 1, "title": "Uautorisert oppslag", "threat": "snooping", "consequence": {"confidentiality": 4},
        "likelihood": 3, "measures": [{"id": 1, "description": "Logganalyse", "status": "planned"}]}])
    api(token, "PUT", f"/api/v1/risk/assessments/{risk['id']}", json={"version": risk["version"], "document": document})
    api(token, "POST", "/api/v1/dpias", json={"title": "Journalføring", "processings": [journal["id"]], "assessment_id": risk["id"],
        "purpose": "Helsehjelp"})


def round_through_the_ui():
    s = requests.Session()
    csrf = lambda html: re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    page = s.get(BASE + "/login", timeout=10).text
    r = s.post(BASE + "/login", data={"csrf": csrf(page), "email": ADMIN_EMAIL, "password": PASSWORD}, timeout=10)
    page = s.get(BASE + "/assessment/rounds", timeout=10).text
    r = s.post(BASE + "/assessment/rounds", data={"csrf": csrf(page), "name": "Egenvurdering 2026"}, timeout=10)
    if r.status_code >= 400:
        sys.exit(f"seeding failed: starting a round: {r.status_code}")


objects(TOKEN_A, "974760673")
objects(TOKEN_B, "983544622")
round_through_the_ui()
print("seeded two organisations")
