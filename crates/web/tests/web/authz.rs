//! The authorization register through the pages: a person added, an authorisation granted by the
//! manager of the person's unit (not by another unit's manager), rights per system of the
//! organisation only, access to another enterprise's data refused without an end, a revocation
//! with its reason, and the history keeping every step.

use crate::common::spawn_app;
use normverk_core::org::Role;
use normverk_core::system::{Criticality, NewSystem};
use normverk_store::engine_tests;

fn id_from(location: Option<&str>) -> i64 {
    location.and_then(|l| l.rsplit('/').next()).and_then(|s| s.parse().ok()).expect("a redirect to the person")
}

async fn managers_grant_and_revoke_authorisations_and_the_history_keeps_them(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, lead) = app.org_with_member("A", "974760673", "lead@a.no", &[Role::SecurityLead]).await;
    let (_, manager) = app.org_with_member("A", "974760673", "leder@a.no", &[Role::Manager]).await;
    let (_, other_manager) = app.org_with_member("A", "974760673", "annen@a.no", &[Role::Manager]).await;
    let (_, employee) = app.org_with_member("A", "974760673", "ansatt@a.no", &[Role::Employee]).await;
    let (other, _) = app.org_with_member("B", "923609016", "b@b.no", &[Role::SecurityLead]).await;
    let now = app.now();
    let ward = app.store.create_unit(org.id, "Akuttmottak", None, now).await.unwrap();
    let lab = app.store.create_unit(org.id, "Laboratoriet", None, now).await.unwrap();
    let users = app.store.members(org.id).await.unwrap();
    let uid = |email: &str| users.iter().find(|m| m.email == email).unwrap().user_id;
    app.store.set_managed_units(org.id, uid("leder@a.no"), &[ward.id]).await.unwrap();
    app.store.set_managed_units(org.id, uid("annen@a.no"), &[lab.id]).await.unwrap();
    let system = |name: &str| NewSystem::new(name, Criticality::Critical);
    let epj = app.store.create_system(org.id, &system("EPJ"), now).await.unwrap();
    let theirs = app.store.create_system(other.id, &system("Deres"), now).await.unwrap();

    assert_eq!(employee.get("/authz").await.status, 403, "{engine}");
    let bad = manager
        .post("/authz/people", &[("name", "Kari Lege"), ("hpr", "12ab"), ("unit_id", &ward.id.to_string())])
        .await;
    assert_eq!(bad.status, 422);
    let elsewhere = manager.post("/authz/people", &[("name", "Kari Lege"), ("unit_id", &lab.id.to_string())]).await;
    assert_eq!(elsewhere.status, 403, "a manager adds people to the units they manage");
    assert!(app.store.people(org.id).await.unwrap().is_empty());
    let added = manager
        .post("/authz/people", &[("name", "Kari Lege"), ("hpr", "9144897"), ("unit_id", &ward.id.to_string())])
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let pid = id_from(added.location());
    let person = format!("/authz/people/{pid}");
    let s = format!("s{}", epj.id);
    let grant = |who: &crate::common::Browser, fields: Vec<(String, String)>| {
        let (who, path) = (who.clone(), format!("{person}/grants"));
        async move {
            let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            who.post(&path, &refs).await
        }
    };
    let base = |extra: &[(&str, &str)]| {
        let mut f: Vec<(String, String)> = vec![
            ("role".into(), "Lege".into()),
            ("purpose".into(), "Helsehjelp i akuttmottaket".into()),
            (s.clone(), "read".into()),
            (s.clone(), "register".into()),
            ("valid_from".into(), "2026-12-01".into()),
        ];
        f.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        f
    };

    // Another unit's manager may not; rights in another organisation's system are refused.
    assert_eq!(grant(&other_manager, base(&[])).await.status, 403);
    let foreign = grant(
        &manager,
        vec![
            ("purpose".into(), "X".into()),
            (format!("s{}", theirs.id), "read".into()),
            ("valid_from".into(), "2026-12-01".into()),
        ],
    )
    .await;
    assert_eq!(foreign.status, 422, "a system of B is not offered nor taken");
    // Access to another enterprise's data without an end is refused.
    let open_ended =
        grant(&manager, base(&[("enterprise_name", "Fjordkommune"), ("enterprise_number", "974760673")])).await;
    assert_eq!(open_ended.status, 422);
    assert!(open_ended.body.contains("alltid være tidsbegrenset"), "{}", open_ended.body);
    let backwards = grant(&manager, base(&[("valid_to", "2026-11-01")])).await;
    assert_eq!(backwards.status, 422);
    assert!(app.store.authorisations(org.id, None).await.unwrap().is_empty(), "nothing granted");

    assert_eq!(grant(&manager, base(&[])).await.status, 303);
    let cross = grant(
        &lead,
        base(&[("enterprise_name", "Fjordkommune"), ("enterprise_number", "974760673"), ("valid_to", "2027-06-30")]),
    )
    .await;
    assert_eq!(cross.status, 303, "the security lead, by delegation");
    let all = app.store.authorisations(org.id, None).await.unwrap();
    assert_eq!(all.len(), 2);
    let first = all.iter().find(|a| a.grant.other_enterprise.is_none()).unwrap();
    assert_eq!(first.grant.systems[0].rights.len(), 2);
    let dashboard = lead.get("/").await.body;
    assert!(
        dashboard.contains("Tilgang til en annen virksomhets opplysninger uten godkjent risikovurdering: Fjordkommune"),
        "Normen 3.3: before access between enterprises"
    );
    let register = lead.get("/authz").await.body;
    assert!(register.contains("EPJ: lese, registrere") && register.contains("Fjordkommune"), "{register}");

    // Revoked with a reason, never updated in place: the history shows both steps.
    let revoke = format!("{person}/grants/{}/revoke", first.id);
    assert_eq!(manager.post(&revoke, &[("reason", " ")]).await.status, 422);
    assert_eq!(manager.post(&revoke, &[("reason", "Sluttet i akuttmottaket")]).await.status, 303);
    assert_eq!(manager.post(&revoke, &[("reason", "Igjen")]).await.status, 422, "already revoked");
    let history = app.store.authorisation_history(org.id, pid).await.unwrap();
    let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["revoke", "grant", "grant"]);
    let page = lead.get(&person).await.body;
    assert!(page.contains("Sluttet i akuttmottaket") && page.contains("Trukket tilbake"), "{page}");
    // The register pages and filters: by state, system, name.
    let revoked = lead.get("/authz?state=revoked").await.body;
    assert!(revoked.contains("Helsehjelp i akuttmottaket") && !revoked.contains("Fjordkommune"), "{revoked}");
    let by_system = lead.get(&format!("/authz?system={}&state=standing", epj.id)).await.body;
    assert!(by_system.contains("Fjordkommune"));
    assert!(lead.get(&format!("/authz?system={}", theirs.id)).await.body.contains("Ingen autorisasjoner ennå"));
    assert!(lead.get("/authz?q=nobody").await.body.contains("Ingen autorisasjoner ennå"));
    assert_eq!(lead.get("/authz?page=-3&unit=x").await.status, 200, "a bad page or unit is the first page, unfiltered");

    // A role template makes granting fast: kept by the security lead, chosen by the manager.
    let template = [
        ("name", "Lege i akuttmottaket"),
        ("role", "Lege"),
        ("purpose", "Helsehjelp"),
        (s.as_str(), "read"),
        (s.as_str(), "correct"),
    ];
    assert_eq!(manager.post("/authz/templates", &template).await.status, 403);
    assert_eq!(lead.post("/authz/templates", &template).await.status, 303);
    let again = lead.post("/authz/templates", &template).await;
    assert_eq!(again.status, 422, "one name, one template");
    let stored = app.store.role_templates(org.id).await.unwrap();
    assert_eq!(stored.len(), 1);
    let form = manager.get(&format!("{person}?template={}", stored[0].id)).await.body;
    assert!(form.contains(&format!(r#"name="{s}" value="correct" checked"#)), "{form}");
    assert!(!form.contains(&format!(r#"name="{s}" value="delete" checked"#)));

    // A leaver: listed while an authorisation stands, then revoked by normverk with the date.
    let left = manager
        .post("/authz/people", &[("name", "Per Sluttet"), ("unit_id", &ward.id.to_string()), ("ends_on", "2020-01-31")])
        .await;
    let left_id = id_from(left.location());
    let refs = [("purpose", "Helsehjelp"), (s.as_str(), "read"), ("valid_from", "2019-01-01")];
    assert_eq!(manager.post(&format!("/authz/people/{left_id}/grants"), &refs).await.status, 303);
    assert!(lead.get("/authz").await.body.contains("Sluttet, men har fortsatt tilganger"));
    assert_eq!(app.state.app.authz.revoke_for_leavers().await.unwrap(), 1);
    let history = app.store.authorisation_history(org.id, left_id).await.unwrap();
    assert_eq!((history[0].kind.as_str(), history[0].reason.as_str()), ("revoke", "Sluttet 2020-01-31 (Normen 5.1.3)"));
    assert!(!lead.get("/authz").await.body.contains("Sluttet, men har fortsatt tilganger"));
    assert_eq!(app.state.app.authz.revoke_for_leavers().await.unwrap(), 0, "once");

    // People from HR: a bad file saves nothing and names every problem; a good one updates by
    // employee number and adds the rest.
    let bad = "Navn;Ansattnummer;Enhet\nOla;2001;Ukjent\n;2001;\n".as_bytes().to_vec();
    let refused = lead.upload("/authz/people/import", "hr.csv", bad, true).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("Ukjent") && refused.body.contains("Ansattnummer"), "{}", refused.body);
    let before = app.store.people(org.id).await.unwrap().len();
    assert_eq!(manager.upload("/authz/people/import", "hr.csv", b"Navn\nX\n".to_vec(), true).await.status, 403);
    let good = "Navn;Ansattnummer;HPR-nummer;Enhet;Sluttdato\nOla Hansen;2001;;Laboratoriet;31.12.2027\nOla Hansen;2001;;Laboratoriet;31.12.2027\n"
        .as_bytes()
        .to_vec();
    assert_eq!(lead.upload("/authz/people/import", "hr.csv", good, true).await.status, 422, "the same employee twice");
    let good =
        "Navn;Ansattnummer;HPR-nummer;Enhet;Sluttdato\nOla Hansen;2001;;Laboratoriet;31.12.2027\n".as_bytes().to_vec();
    let imported = lead.upload("/authz/people/import", "hr.csv", good.clone(), true).await;
    assert_eq!(imported.status, 200, "{}", imported.body);
    let people = app.store.people(org.id).await.unwrap();
    assert_eq!(people.len(), before + 1);
    let ola = people.iter().find(|p| p.employee_id == "2001").unwrap();
    assert_eq!((ola.unit_id, ola.ends_on.as_str()), (Some(lab.id), "2027-12-31"));
    let moved = "Navn;Ansattnummer;Enhet\nOla Hansen;2001;Akuttmottak\n".as_bytes().to_vec();
    assert_eq!(lead.upload("/authz/people/import", "hr.csv", moved, true).await.status, 200);
    let ola = app.store.person(org.id, ola.id).await.unwrap();
    assert_eq!(ola.unit_id, Some(ward.id), "updated by employee number, not added");
    assert_eq!(ola.ends_on, "2027-12-31", "a column the file lacks is kept");
    assert_eq!(app.store.people(org.id).await.unwrap().len(), before + 1);

    // Role assignments from HR: each role a template, granted once by the importer, who must be
    // allowed to grant it; an unknown template or a unit the importer does not manage saves
    // nothing.
    let standing = |id: i64| {
        let store = app.store.clone();
        async move { store.authorisations(org.id, Some(id)).await.unwrap().into_iter().filter(|a| !a.revoked).count() }
    };
    let unknown = "Navn;Ansattnummer;Roller\nOla Hansen;2001;Lege i akuttmottaket, Portør\n".as_bytes().to_vec();
    let refused = lead.upload("/authz/people/import", "hr.csv", unknown, true).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("Ingen rollemal heter «Portør»"), "{}", refused.body);
    assert_eq!(standing(ola.id).await, 0);
    let (_, admin) = app.org_with_member("A", "974760673", "admin@a.no", &[Role::Admin, Role::Manager]).await;
    let members = app.store.members(org.id).await.unwrap();
    let admin_id = members.iter().find(|m| m.email == "admin@a.no").unwrap().user_id;
    app.store.set_managed_units(org.id, admin_id, &[lab.id]).await.unwrap();
    let roles =
        "Navn;Ansattnummer;Enhet;Roller\nOla Hansen;2001;Akuttmottak;Lege i akuttmottaket\n".as_bytes().to_vec();
    let not_theirs = admin.upload("/authz/people/import", "hr.csv", roles.clone(), true).await;
    assert_eq!(not_theirs.status, 422, "the admin manages the lab, Ola is in the emergency ward");
    assert!(not_theirs.body.contains("Bare lederen for personens enhet"), "{}", not_theirs.body);
    assert_eq!(standing(ola.id).await, 0);
    assert_eq!(lead.upload("/authz/people/import", "hr.csv", roles.clone(), true).await.status, 200);
    assert_eq!(lead.upload("/authz/people/import", "hr.csv", roles, true).await.status, 200);
    let given = app.store.authorisations(org.id, Some(ola.id)).await.unwrap();
    assert_eq!(given.len(), 1, "a role held already is not granted again");
    assert_eq!(
        (given[0].grant.role.as_str(), given[0].grant.valid_from.as_str()),
        ("Lege", app.state.app.authz.today().as_str())
    );
    let history = app.store.authorisation_history(org.id, ola.id).await.unwrap();
    assert_eq!(history[0].by.as_deref(), Some("Navn lead@a.no"), "granted by the importer");

    // The API reads the register with `authz:read`; the read is logged like a person's.
    use normverk_core::org::Scope;
    let reader = app.token(&org, &[Scope::AuthzRead]).await;
    let wrong = app.token(&org, &[Scope::OrgRead]).await;
    let theirs = app.token(&other, &[Scope::AuthzRead]).await;
    let c = crate::common::client();
    let url = app.url("/api/v1/authz/authorisations");
    assert_eq!(c.get(&url).bearer_auth(&wrong).send().await.unwrap().status(), 403);
    let listed: serde_json::Value = c.get(&url).bearer_auth(&reader).send().await.unwrap().json().await.unwrap();
    assert!(listed
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x["revoked"] == true && x["systems"][0]["rights"][0] == "read")));
    let none: serde_json::Value = c.get(&url).bearer_auth(&theirs).send().await.unwrap().json().await.unwrap();
    assert_eq!(none, serde_json::json!([]));
    let people: serde_json::Value =
        c.get(app.url("/api/v1/authz/people")).bearer_auth(&reader).send().await.unwrap().json().await.unwrap();
    assert!(people.as_array().is_some_and(|p| p.iter().any(|x| x["hpr"] == "9144897")));

    // Every read and change by a person is in the tamper-evident access log.
    app.store.access_index_more(1000).await.unwrap();
    let logged = app.store.access_events(org.id, &Default::default(), 1000, 0).await.unwrap();
    let about = |subject: &str, action: &str| {
        logged
            .iter()
            .filter(|e| e.event_json.contains(subject) && e.event_json.contains(&format!(r#""action":"{action}""#)))
            .count()
    };
    let subject = format!("local:normverk-authz:person-{pid}");
    assert!(about(&subject, "read") >= 1, "the person's page was read");
    assert_eq!(about(&subject, "create"), 3, "added, and granted twice");
    assert_eq!(about(&subject, "update"), 1, "revoked once");
    assert!(about("local:normverk-authz:register", "read") >= 1);
    assert!(about("local:normverk-authz:register", "create") >= 1, "the HR import");
    let by_normverk = logged.iter().filter(|e| {
        e.event_json.contains(&format!("\"local:normverk-authz:person-{left_id}\""))
            && e.event_json.contains(r#""action":"update""#)
            && e.event_json.contains("\"local:normverk:system\"")
    });
    assert_eq!(by_normverk.count(), 1, "the leaver's revoke, by normverk");
    assert!(logged.iter().any(|e| e.event_json.contains("local:normverk-api:")), "the token's read too");

    // Another organisation sees none of it.
    let (_, outsider) = app.org_with_member("B", "923609016", "b2@b.no", &[Role::SecurityLead]).await;
    assert_eq!(outsider.get(&person).await.status, 404);
    assert_eq!(outsider.post(&format!("{person}/grants"), &[("purpose", "X")]).await.status, 404);
    assert!(!outsider.get("/authz").await.body.contains("Kari Lege"));
}
engine_tests!(managers_grant_and_revoke_authorisations_and_the_history_keeps_them);
