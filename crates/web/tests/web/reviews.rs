//! Access reviews through the pages (Normen 5.2.3): the yearly campaign started by the security
//! lead, split by the manager of each person's unit; each manager answering only their share,
//! a revoke or change only with a reason; the answers applied to the register; the completed
//! campaign frozen with its exports; a transfer raising a review by itself; and another
//! organisation seeing none of it.

use crate::common::spawn_app;
use normverk_core::authz::{Grant, Right, SystemRights};
use normverk_core::org::Role;
use normverk_core::system::{Criticality, NewSystem};
use normverk_store::engine_tests;

async fn managers_answer_their_share_of_a_yearly_review_and_the_register_follows(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, lead) = app.org_with_member("A", "974760673", "lead@a.no", &[Role::SecurityLead]).await;
    let (_, top) = app.org_with_member("A", "974760673", "top@a.no", &[Role::TopManagement]).await;
    let (_, ward_manager) = app.org_with_member("A", "974760673", "ward@a.no", &[Role::Manager]).await;
    let (_, lab_manager) = app.org_with_member("A", "974760673", "lab@a.no", &[Role::Manager]).await;
    let (_, outsider) = app.org_with_member("B", "923609016", "b@b.no", &[Role::SecurityLead]).await;
    let now = app.now();
    let ward = app.store.create_unit(org.id, "Akuttmottak", None, now).await.unwrap();
    let lab = app.store.create_unit(org.id, "Laboratoriet", None, now).await.unwrap();
    let users = app.store.members(org.id).await.unwrap();
    let uid = |email: &str| users.iter().find(|m| m.email == email).unwrap().user_id;
    app.store.set_managed_units(org.id, uid("ward@a.no"), &[ward.id]).await.unwrap();
    app.store.set_managed_units(org.id, uid("lab@a.no"), &[lab.id]).await.unwrap();
    let epj = NewSystem::new("EPJ", Criticality::Critical);
    let epj = app.store.create_system(org.id, &epj, now).await.unwrap();
    let register = &app.state.app.authz;
    let by = crate::common::security_lead(uid("lead@a.no"));
    let person = |name: &str, employee: &str, unit: Option<i64>| normverk_core::authz::PersonIn {
        name: name.into(),
        employee_id: employee.into(),
        unit_id: unit,
        ..Default::default()
    };
    let kari = register.add_person(org.id, "974760673", person("Kari Lege", "1", Some(ward.id)), &by).await.unwrap();
    let ola =
        register.add_person(org.id, "974760673", person("Ola Bioingeniør", "2", Some(lab.id)), &by).await.unwrap();
    let nils = register.add_person(org.id, "974760673", person("Nils Vikar", "3", None), &by).await.unwrap();
    let grant = |rights: Vec<Right>| Grant {
        role: "Lege".into(),
        purpose: "Helsehjelp".into(),
        systems: vec![SystemRights { system_id: epj.id, rights, break_glass: false }],
        valid_from: "2026-01-01".into(),
        ..Grant::default()
    };
    let k1 = register.grant(org.id, kari, grant(vec![Right::Read]), &by).await.unwrap();
    let k2 = register.grant(org.id, kari, grant(vec![Right::Read, Right::Register, Right::Delete]), &by).await.unwrap();
    let o1 = register.grant(org.id, ola, grant(vec![Right::Read]), &by).await.unwrap();
    let n1 = register.grant(org.id, nils, grant(vec![Right::Read]), &by).await.unwrap();

    // The yearly review is due: top management and the security lead see it.
    assert!(top.get("/").await.body.contains("Den årlige tilgangskontrollen er forfalt"), "{engine}");
    assert_eq!(
        ward_manager.post("/authz/reviews", &[("title", "Årlig"), ("deadline", "2099-01-31")]).await.status,
        403
    );
    let past =
        lead.post("/authz/reviews", &[("kind", "yearly"), ("title", "Årlig 2026"), ("deadline", "2020-01-01")]).await;
    assert_eq!(past.status, 422);
    assert!(app.store.reviews(org.id).await.unwrap().is_empty());
    let no_systems =
        lead.post("/authz/reviews", &[("kind", "breach"), ("title", "Etter brudd"), ("deadline", "2099-01-31")]).await;
    assert_eq!(no_systems.status, 422, "a review after a breach names the systems");
    let started =
        lead.post("/authz/reviews", &[("kind", "yearly"), ("title", "Årlig 2026"), ("deadline", "2099-01-31")]).await;
    assert_eq!(started.status, 303, "{}", started.body);
    let review = app.store.reviews(org.id).await.unwrap()[0].clone();
    assert_eq!((review.total, review.answered), (4, 0));
    assert!(!top.get("/").await.body.contains("Den årlige tilgangskontrollen er forfalt"));
    let shares = app.store.review_shares(org.id, review.id).await.unwrap();
    let owners: Vec<Option<i64>> = shares.iter().map(|s| s.manager_id).collect();
    assert_eq!(owners.len(), 3, "the ward's, the lab's, and the security lead's for Nils");
    assert!(
        owners.contains(&Some(uid("ward@a.no"))) && owners.contains(&Some(uid("lab@a.no"))) && owners.contains(&None)
    );
    assert!(ward_manager.get("/").await.body.contains("venter på svarene dine"));

    let lines = app.store.review_lines(org.id, review.id, None).await.unwrap();
    let line = |authorisation: i64| {
        let l = lines.iter().find(|l| l.authorisation_id == authorisation).unwrap();
        format!("/authz/reviews/{}/lines/{}", review.id, l.id)
    };
    let mine = ward_manager.get(&format!("/authz/reviews/{}", review.id)).await.body;
    assert!(mine.contains("Kari Lege") && !mine.contains("Ola Bioingeniør"), "the manager's own share first");
    assert_eq!(lab_manager.post(&line(k1), &[("decision", "keep")]).await.status, 403, "not their unit");
    assert_eq!(ward_manager.post(&line(k1), &[("decision", "revoke"), ("reason", " ")]).await.status, 422);
    assert_eq!(ward_manager.post(&line(k1), &[("decision", "maybe")]).await.status, 422);
    let s = format!("s{}", epj.id);
    let same = [("decision", "change"), ("reason", "Ny rolle"), (s.as_str(), "read")];
    assert_eq!(ward_manager.post(&line(k1), &same).await.status, 422, "a change changes something");
    assert_eq!(app.store.review(org.id, review.id).await.unwrap().answered, 0, "nothing recorded");
    let revoked = ward_manager.post(&line(k1), &[("decision", "revoke"), ("reason", "Trengs ikke lenger")]).await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    assert_eq!(ward_manager.post(&line(k1), &[("decision", "keep")]).await.status, 422, "answered once");
    let change =
        [("decision", "change"), ("reason", "Sletting trengs ikke"), (s.as_str(), "read"), (s.as_str(), "register")];
    assert_eq!(ward_manager.post(&line(k2), &change).await.status, 303);
    assert_eq!(lab_manager.post(&line(o1), &[("decision", "keep")]).await.status, 303);
    assert!(app.store.review(org.id, review.id).await.unwrap().closed_at.is_none());
    assert_eq!(
        lead.post(&line(n1), &[("decision", "keep")]).await.status,
        303,
        "the security lead for units without a manager"
    );

    // Applied to the register, appended to its history; the campaign frozen.
    let now_standing = app.store.authorisations(org.id, Some(kari)).await.unwrap();
    assert!(now_standing.iter().find(|a| a.id == k1).unwrap().revoked);
    let k2_now = now_standing.iter().find(|a| a.id == k2).unwrap();
    assert_eq!(k2_now.grant.systems[0].rights, [Right::Read, Right::Register]);
    let kinds: Vec<String> =
        app.store.authorisation_history(org.id, kari).await.unwrap().iter().map(|e| e.kind.clone()).collect();
    assert_eq!(kinds, ["change", "revoke", "grant", "grant"]);
    let history = lead.get(&format!("/authz/people/{ola}")).await.body;
    assert!(history.contains("Bekreftet i tilgangskontroll"), "{history}");
    let done = app.store.review(org.id, review.id).await.unwrap();
    assert!(done.closed_at.is_some() && done.answered == 4);
    // Each answer is in the access log, by the manager who gave it, written with the answer.
    app.store.access_index_more(1000).await.unwrap();
    let logged = app.store.access_events(org.id, &Default::default(), 1000, 0).await.unwrap();
    let answered = |person: i64, user: i64| {
        logged
            .iter()
            .filter(|e| {
                e.event_json.contains(&format!("\"local:normverk-authz:person-{person}\""))
                    && e.event_json.contains(r#""action":"update""#)
                    && e.event_json.contains(&format!("\"local:normverk:{user}\""))
            })
            .count()
    };
    assert_eq!(answered(kari, uid("ward@a.no")), 2, "{engine}: a revoke and a change");
    assert_eq!(answered(ola, uid("lab@a.no")), 1, "{engine}: kept");
    assert_eq!(ward_manager.post(&line(k2), &[("decision", "keep")]).await.status, 422, "frozen");
    let report = lead.get(&format!("/authz/reviews/{}/report", review.id)).await.body;
    assert!(report.contains("Trengs ikke lenger") && report.contains("Sletting trengs ikke"), "{report}");
    let (status, headers, xlsx) = lead.download(&format!("/authz/reviews/{}/export.xlsx", review.id)).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().contains("spreadsheetml"));
    assert!(xlsx.starts_with(b"PK"), "an XLSX file");
    let (_, _, json) = lead.download(&format!("/authz/reviews/{}/export.json", review.id)).await;
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["lines"].as_array().unwrap().len(), 4);

    // The API gives the review as evidence, to this organisation only.
    use normverk_core::org::Scope;
    let reader = app.token(&org, &[Scope::AuthzRead]).await;
    let c = crate::common::client();
    let url = app.url(&format!("/api/v1/authz/reviews/{}", review.id));
    let whole: serde_json::Value = c.get(&url).bearer_auth(&reader).send().await.unwrap().json().await.unwrap();
    assert_eq!((whole["answered"].as_i64(), whole["lines"].as_array().map(Vec::len)), (Some(4), Some(4)));
    assert!(whole["lines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["decision"] == "revoke" && l["reason"] == "Trengs ikke lenger"));
    let (other, _) = app.org_with_member("B", "923609016", "b2@b.no", &[Role::SecurityLead]).await;
    let theirs = app.token(&other, &[Scope::AuthzRead]).await;
    assert_eq!(c.get(&url).bearer_auth(&theirs).send().await.unwrap().status(), 404);

    // A transfer raises a review of the person's authorisations, for the new unit's manager.
    let moved = "Navn;Ansattnummer;Enhet\nOla Bioingeniør;2;Akuttmottak\n".as_bytes().to_vec();
    assert_eq!(lead.upload("/authz/people/import", "hr.csv", moved, true).await.status, 200);
    let reviews = app.store.reviews(org.id).await.unwrap();
    assert_eq!((reviews.len(), reviews[0].kind.as_str(), reviews[0].total), (2, "transfer", 1));
    let raised = app.store.review_lines(org.id, reviews[0].id, None).await.unwrap();
    assert_eq!((raised[0].authorisation_id, raised[0].manager_id), (o1, Some(uid("ward@a.no"))));

    // Another organisation sees none of it.
    assert_eq!(outsider.get(&format!("/authz/reviews/{}", review.id)).await.status, 404);
    assert_eq!(outsider.post(&line(o1), &[("decision", "keep")]).await.status, 404);
    assert!(!outsider.get("/authz/reviews").await.body.contains("Årlig 2026"));
}
engine_tests!(managers_answer_their_share_of_a_yearly_review_and_the_register_follows);

async fn managers_are_reminded_by_mail_and_an_overdue_review_escalates(engine: &'static str) {
    use normverk_app::reminder::{send_review_reminders, MailConfig, Mailer};
    let app = spawn_app(engine).await;
    let (org, _) = app.org_with_member("A", "974760673", "lead@a.no", &[Role::SecurityLead]).await;
    app.member(&org, "top@a.no", &[Role::TopManagement]).await;
    app.member(&org, "ward@a.no", &[Role::Manager]).await;
    app.member(&org, "idle@a.no", &[Role::Manager]).await;
    let now = app.now();
    let ward = app.store.create_unit(org.id, "Akuttmottak", None, now).await.unwrap();
    let users = app.store.members(org.id).await.unwrap();
    let uid = |email: &str| users.iter().find(|m| m.email == email).unwrap().user_id;
    app.store.set_managed_units(org.id, uid("ward@a.no"), &[ward.id]).await.unwrap();
    let sys = NewSystem::new("EPJ", Criticality::Critical);
    let sys = app.store.create_system(org.id, &sys, now).await.unwrap();
    let register = &app.state.app.authz;
    let by = crate::common::security_lead(uid("lead@a.no"));
    let kari =
        normverk_core::authz::PersonIn { name: "Kari Lege".into(), unit_id: Some(ward.id), ..Default::default() };
    let kari = register.add_person(org.id, "974760673", kari, &by).await.unwrap();
    let g = Grant {
        purpose: "Helsehjelp".into(),
        systems: vec![SystemRights { system_id: sys.id, rights: vec![Right::Read], break_glass: false }],
        valid_from: "2026-01-01".into(),
        ..Grant::default()
    };
    register.grant(org.id, kari, g, &by).await.unwrap();
    let deadline = normverk_app::clock::date_in_norway(now + 20 * 86_400);
    let start = normverk_app::access_review::Start {
        kind: normverk_core::access_review::Kind::Yearly,
        title: "Årlig 2026".into(),
        deadline,
        deviation_id: None,
        systems: Vec::new(),
        person_id: None,
    };
    app.state.app.reviews.start(org.id, &start, None).await.unwrap().unwrap();

    let (port, mails) = crate::common::smtp_sink().await;
    let mailer = Mailer::new(&MailConfig {
        smtp_url: format!("smtp://127.0.0.1:{port}"),
        from: "normverk <normverk@a.no>".into(),
        public_url: None,
    })
    .unwrap();
    let clock = |at: i64| normverk_app::Clock::fixed(at);
    assert_eq!(
        send_review_reminders(&app.store, &mailer, &clock(now)).await.unwrap(),
        1,
        "{engine}: the manager with lines"
    );
    assert_eq!(send_review_reminders(&app.store, &mailer, &clock(now + 60)).await.unwrap(), 0, "once");
    assert_eq!(
        send_review_reminders(&app.store, &mailer, &clock(now + 15 * 86_400)).await.unwrap(),
        1,
        "a week before"
    );
    assert_eq!(send_review_reminders(&app.store, &mailer, &clock(now + 25 * 86_400)).await.unwrap(), 2, "escalated");
    let got = mails.lock().unwrap();
    let mut to: Vec<&str> = got.iter().flat_map(|(to, _)| to.iter().map(String::as_str)).collect();
    to.sort_unstable();
    assert_eq!(to, ["lead@a.no", "top@a.no", "ward@a.no", "ward@a.no"], "not the manager without lines");
    assert!(got.iter().all(|(_, text)| !text.contains("Kari Lege")), "no names of the people in a mail");
    assert!(got[2].1.contains("er passert") && got[3].1.contains("er passert"), "{}", got[3].1);
}
engine_tests!(managers_are_reminded_by_mail_and_an_overdue_review_escalates);
