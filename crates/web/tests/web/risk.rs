//! Risk management through the pages: the acceptance level, an assessment from start to
//! approval (events scored, a risk above the level accepted with expiry, frozen), the register
//! and its exports, bad input refused with nothing changed, and other organisations kept out.

use crate::common::spawn_app;
use normverk_core::org::Role;
use normverk_core::risk::State;
use normverk_core::system::{Criticality, NewSystem};
use normverk_store::engine_tests;

fn id_from(location: Option<&str>) -> i64 {
    location.and_then(|l| l.rsplit('/').next()).and_then(|s| s.parse().ok()).expect("a redirect to the assessment")
}

async fn an_assessment_runs_from_start_to_approval_and_the_register_shows_it(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, lead) = app.org_with_member("A", "974760673", "lead@a.no", &[Role::SecurityLead]).await;
    let (_, boss) = app.org_with_member("A", "974760673", "boss@a.no", &[Role::TopManagement]).await;
    let (_, outsider) =
        app.org_with_member("B", "923609016", "b@b.no", &[Role::SecurityLead, Role::TopManagement]).await;
    let system = NewSystem::new("EPJ", Criticality::Critical);
    let epj = app.store.create_system(org.id, &system, 1).await.unwrap();

    let overview = lead.get("/risk").await;
    assert_eq!(overview.status, 200, "{engine}");
    assert!(overview.body.contains("<svg class=\"chart heat\""), "the heat maps are drawn");

    // Start: a title is needed; nothing is created without one.
    let blank = lead.post("/risk/assessments", &[("title", " "), ("reason", "new_system")]).await;
    assert_eq!(blank.status, 422);
    assert!(app.store.risk_assessments(org.id).await.unwrap().is_empty());
    let started = lead.post("/risk/assessments", &[("title", "Nytt EPJ"), ("reason", "new_system")]).await;
    assert_eq!(started.status, 303, "{}", started.body);
    let id = id_from(started.location());
    let base = format!("/risk/assessments/{id}");
    let version = |app: &crate::common::TestApp| {
        let store = app.store.clone();
        let org_id = org.id;
        async move { store.risk_assessment(org_id, id).await.unwrap().version.to_string() }
    };

    let epj_id = epj.id.to_string();
    let v = version(&app).await;
    let prepared = lead
        .post(
            &format!("{base}/prepare"),
            &[("version", &v), ("title", "Nytt EPJ"), ("scope", "Innføring"), ("systems", &epj_id)],
        )
        .await;
    assert_eq!(prepared.status, 303, "{}", prepared.body);
    let v = version(&app).await;
    let added = lead.post(&format!("{base}/events"), &[("version", &v), ("threat", "snooping")]).await;
    assert_eq!(added.status, 303);
    let event = format!("{base}/events/1");
    assert!(lead.get(&event).await.body.contains("Ansatte leser journaler uten tjenstlig behov"));

    // Scores outside the matrix and a stale version are refused, nothing changed.
    let v = version(&app).await;
    let off = lead.post(&event, &[("version", &v), ("title", "Snoking"), ("likelihood", "9"), ("privacy", "5")]).await;
    assert_eq!(off.status, 422);
    assert_eq!(version(&app).await, v);
    let stale =
        lead.post(&event, &[("version", "1"), ("title", "Snoking"), ("likelihood", "4"), ("privacy", "5")]).await;
    assert_eq!(stale.status, 422);
    assert!(stale.body.contains("Noen andre har endret vurderingen"));
    assert_eq!(version(&app).await, v);
    let scored = lead
        .post(
            &event,
            &[
                ("version", &v),
                ("title", "Snoking"),
                ("likelihood", "4"),
                ("privacy", "5"),
                ("reasoning", "Mange ansatte"),
            ],
        )
        .await;
    assert_eq!(scored.status, 303, "{}", scored.body);
    let page = lead.get(&event).await;
    assert!(page.body.contains("Høy") && page.body.contains("Over akseptkriteriene"), "{}", page.body);

    // Only top management accepts and approves; a high risk neither treated nor accepted blocks
    // approval; an acceptance needs a justification and an expiry after today.
    let v = version(&app).await;
    assert_eq!(
        lead.post(&format!("{event}/accept"), &[("version", &v), ("justification", "x"), ("expires_on", "2030-01-01")])
            .await
            .status,
        403
    );
    assert_eq!(lead.post(&format!("{base}/approve"), &[("version", &v)]).await.status, 403);
    let blocked = boss.post(&format!("{base}/approve"), &[("version", &v)]).await;
    assert_eq!(blocked.status, 422);
    let today = normverk_app::clock::date_in_norway(app.now());
    let next_year = normverk_app::clock::date_in_norway(app.now() + 365 * 86_400);
    for (justification, expires) in
        [("", next_year.as_str()), ("Midlertidig", today.as_str()), ("Midlertidig", "2099-01-01")]
    {
        let refused = boss
            .post(
                &format!("{event}/accept"),
                &[("version", &v), ("justification", justification), ("expires_on", expires)],
            )
            .await;
        assert_eq!(refused.status, 422, "{justification:?} {expires}");
    }
    assert_eq!(version(&app).await, v);
    let accepted = boss
        .post(
            &format!("{event}/accept"),
            &[("version", &v), ("justification", "Logganalyse kommer i mars"), ("expires_on", &next_year)],
        )
        .await;
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    assert!(boss.get(&event).await.body.contains("Akseptert av ledelsen"));
    let v = version(&app).await;
    assert_eq!(boss.post(&format!("{base}/approve"), &[("version", &v)]).await.status, 303);
    let a = app.store.risk_assessment(org.id, id).await.unwrap();
    assert_eq!(a.state, State::Approved);
    assert_eq!(a.approved_by.as_deref(), Some("Navn boss@a.no"));

    // Frozen: a change is refused and shown why.
    let v = version(&app).await;
    let frozen = lead.post(&format!("{base}/prepare"), &[("version", &v), ("title", "Endret")]).await;
    assert_eq!(frozen.status, 422);
    assert_eq!(version(&app).await, v);

    // The register, filtered by system, and its exports.
    let register = lead.get(&format!("/risk/register?system={}", epj.id)).await;
    assert!(register.body.contains("Snoking") && register.body.contains("1 hendelser"), "{}", register.body);
    let (status, headers, csv) = lead.download("/risk/register.csv").await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("Snoking") && csv.contains("Akseptert av ledelsen"));
    let (status, _, xlsx) = lead.download("/risk/register.xlsx").await;
    assert_eq!((status, &xlsx[..2]), (200, &b"PK"[..]));
    let (_, _, json) = lead.download("/risk/register.json").await;
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["events"][0]["standing"], "accepted");
    assert!(lead.get(&format!("{base}/report")).await.body.contains("Mange ansatte"));

    // The next assessment starts from the approved one, without management's acceptance.
    let next = lead.post("/risk/assessments", &[("from", &id.to_string()), ("reason", "regular"), ("title", "")]).await;
    assert_eq!(next.status, 303, "{}", next.body);
    let next_id = id_from(next.location());
    let doc = app.store.risk_assessment(org.id, next_id).await.unwrap().assessment().unwrap();
    assert_eq!((doc.title.as_str(), doc.events.len()), ("Nytt EPJ", 1));
    assert!(doc.events[0].acceptance.is_none() && doc.events[0].likelihood == Some(4));

    // Another organisation sees none of it and cannot start from it.
    assert_eq!(outsider.get(&base).await.status, 404);
    assert_eq!(outsider.get(&event).await.status, 404);
    assert_eq!(
        outsider.post("/risk/assessments", &[("from", &id.to_string()), ("reason", "regular")]).await.status,
        404
    );
    assert!(!outsider.get("/risk/register").await.body.contains("Snoking"));
}
engine_tests!(an_assessment_runs_from_start_to_approval_and_the_register_shows_it);

async fn only_top_management_sets_the_acceptance_level_and_a_bad_matrix_is_refused(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, lead) = app.org_with_member("A", "974760673", "lead@a.no", &[Role::SecurityLead]).await;
    let (_, boss) = app.org_with_member("A", "974760673", "boss@a.no", &[Role::TopManagement]).await;
    assert_eq!(boss.get("/risk/matrix").await.status, 200);
    assert_eq!(app.store.risk_matrices(org.id).await.unwrap().len(), 1, "the default is the first version");
    let form = boss.get("/risk/matrix?likelihood=3&consequence=3&levels=2").await;
    assert!(form.body.contains("name=\"cell_2_2\""));
    let mut fields: Vec<(String, String)> = vec![
        ("likelihood".into(), "3".into()),
        ("consequence".into(), "3".into()),
        ("levels".into(), "2".into()),
        ("acceptable".into(), "0".into()),
    ];
    for (p, n) in [("l", 3), ("c", 3), ("v", 2)] {
        for i in 0..n {
            fields.push((format!("{p}{i}_label"), format!("{p} {i}")));
        }
    }
    for l in 0..3 {
        for c in 0..3 {
            fields.push((format!("cell_{l}_{c}"), usize::from(l + c > 2).to_string()));
        }
    }
    let as_refs = |f: &[(String, String)]| f.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>();
    let post = |who: &crate::common::Browser, f: Vec<(String, String)>| {
        let who = who.clone();
        async move {
            let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            who.post("/risk/matrix", &refs).await
        }
    };
    assert_eq!(post(&lead, as_refs(&fields)).await.status, 403);
    // Levels that fall as likelihood rises, and a missing label: refused, nothing kept.
    let mut bad = as_refs(&fields);
    for (k, v) in bad.iter_mut() {
        if k == "cell_2_2" {
            *v = "0".into();
        }
        if k == "l1_label" {
            v.clear();
        }
    }
    let refused = post(&boss, bad).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(app.store.risk_matrices(org.id).await.unwrap().len(), 1);
    let saved = post(&boss, as_refs(&fields)).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let versions = app.store.risk_matrices(org.id).await.unwrap();
    assert_eq!((versions.len(), versions[0].matrix.likelihood.len()), (2, 3));
    assert_eq!(versions[0].set_by.as_deref(), Some("Navn boss@a.no"));
}
engine_tests!(only_top_management_sets_the_acceptance_level_and_a_bad_matrix_is_refused);

/// The API: a token with `risk:write` starts a draft and saves its document whole on the
/// version it read; a stale version, a step outside the matrix, an acceptance sent along and a
/// frozen assessment are refused or ignored with nothing changed; `risk:read` reads the matrix,
/// the register and the versions; another organisation's token sees nothing.
async fn the_api_drafts_and_reads_assessments_within_its_scopes(engine: &'static str) {
    use normverk_core::org::Scope;
    use serde_json::{json, Value};
    let app = spawn_app(engine).await;
    let (org, boss) = app.org_with_member("A", "974760673", "boss@a.no", &[Role::TopManagement]).await;
    let (other, _) = app.org_with_member("B", "923609016", "b@b.no", &[Role::SecurityLead]).await;
    let writer = app.token(&org, &[Scope::RiskWrite, Scope::RiskRead]).await;
    let reader = app.token(&org, &[Scope::RiskRead]).await;
    let theirs = app.token(&other, &[Scope::RiskRead, Scope::RiskWrite]).await;
    let c = crate::common::client();
    let url = app.url("/api/v1/risk/assessments");

    let matrix: Value =
        c.get(app.url("/api/v1/risk/matrix")).bearer_auth(&reader).send().await.unwrap().json().await.unwrap();
    assert_eq!(matrix["likelihood"].as_array().map(Vec::len), Some(5), "{engine}: the default 5 × 5");
    let forbidden =
        c.post(&url).bearer_auth(&reader).json(&json!({"title": "X", "reason": "other"})).send().await.unwrap();
    assert_eq!(forbidden.status(), 403);
    let bad_reason =
        c.post(&url).bearer_auth(&writer).json(&json!({"title": "X", "reason": "whim"})).send().await.unwrap();
    assert_eq!(bad_reason.status(), 422);
    assert!(app.store.risk_assessments(org.id).await.unwrap().is_empty());

    let created = c
        .post(&url)
        .bearer_auth(&writer)
        .json(&json!({"title": "Ny EPJ", "reason": "new_system"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let (id, version) = (created["id"].as_i64().unwrap(), created["version"].as_i64().unwrap());
    assert_eq!(created["state"], "draft");
    let one = format!("{url}/{id}");

    let mut doc = created["document"].clone();
    doc["events"] = json!([{"id": 1, "title": "Uautorisert oppslag", "threat": "snooping",
        "consequence": {"confidentiality": 4, "privacy": 5}, "likelihood": 4,
        "acceptance": {"justification": "smuglet inn", "expires_on": "2027-01-01", "accepted_by": 1, "accepted_by_name": "X", "accepted_at": 0},
        "measures": [{"id": 1, "description": "Logganalyse", "status": "planned", "deadline": "2020-01-01"}]}]);
    let out_of_matrix = {
        let mut d = doc.clone();
        d["events"][0]["likelihood"] = json!(6);
        d
    };
    let refused = c
        .put(&one)
        .bearer_auth(&writer)
        .json(&json!({"version": version, "document": out_of_matrix}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "events/0/likelihood", "{problem}");
    let saved =
        c.put(&one).bearer_auth(&writer).json(&json!({"version": version, "document": doc})).send().await.unwrap();
    assert_eq!(saved.status(), 200);
    let saved: Value = saved.json().await.unwrap();
    assert_eq!(saved["version"], version + 1);
    assert!(saved["document"]["events"][0]["acceptance"].is_null(), "an acceptance is management's, never the token's");
    assert_eq!(saved["standing"][0]["standing"], "open");
    assert_eq!(saved["standing"][0]["inherent"]["level_label"], "Høy");
    assert_eq!(saved["approval_problems"][0]["field"], "events/0");
    let stale =
        c.put(&one).bearer_auth(&writer).json(&json!({"version": version, "document": doc})).send().await.unwrap();
    assert_eq!(stale.status(), 409);

    let register: Value =
        c.get(app.url("/api/v1/risk/register")).bearer_auth(&reader).send().await.unwrap().json().await.unwrap();
    assert_eq!(register[0]["overdue_measures"], 1);
    assert_eq!(register[0]["remaining"]["likelihood"], 4);
    let versions: Value =
        c.get(format!("{one}/versions")).bearer_auth(&reader).send().await.unwrap().json().await.unwrap();
    assert_eq!(versions.as_array().map(Vec::len), Some(2));
    assert_eq!(versions[0]["change"], "api");

    // Another organisation's token: not found, nothing listed.
    assert_eq!(c.get(&one).bearer_auth(&theirs).send().await.unwrap().status(), 404);
    let put =
        c.put(&one).bearer_auth(&theirs).json(&json!({"version": version + 1, "document": doc})).send().await.unwrap();
    assert_eq!(put.status(), 404);
    let theirs_list: Value = c.get(&url).bearer_auth(&theirs).send().await.unwrap().json().await.unwrap();
    assert_eq!(theirs_list, json!([]));

    // Frozen once approved (by management, on the page): the API refuses with 409.
    let d = {
        let mut d = doc.clone();
        d["events"][0]["residual"] = json!({"likelihood": 1, "consequence": 2});
        d
    };
    let treated =
        c.put(&one).bearer_auth(&writer).json(&json!({"version": version + 1, "document": d})).send().await.unwrap();
    assert_eq!(treated.status(), 200);
    let approved =
        boss.post(&format!("/risk/assessments/{id}/approve"), &[("version", &(version + 2).to_string())]).await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    let frozen =
        c.put(&one).bearer_auth(&writer).json(&json!({"version": version + 3, "document": d})).send().await.unwrap();
    assert_eq!(frozen.status(), 409);
    assert_eq!(app.store.risk_assessment(org.id, id).await.unwrap().state, State::Approved);
}
engine_tests!(the_api_drafts_and_reads_assessments_within_its_scopes);

/// Normen 3.3's occasions as dashboard tasks: a new processing and a new system, repeated
/// deviations and management's regular assessment stay until an approved assessment covers
/// them; a change after the approval raises the task again; the interval is management's.
async fn due_assessments_are_dashboard_tasks_until_an_approved_one_covers_them(engine: &'static str) {
    let clock = normverk_app::Clock::fixed(normverk_store::unix_now());
    let app = crate::common::spawn_app_at(engine, Default::default(), clock.clone()).await;
    let (org, lead) = app.org_with_member("A", "974760673", "lead@a.no", &[Role::SecurityLead]).await;
    let (_, boss) = app.org_with_member("A", "974760673", "boss@a.no", &[Role::TopManagement]).await;
    let (_, employee) = app.org_with_member("A", "974760673", "e@a.no", &[Role::Employee]).await;
    let created = lead.post("/processings", &[("name", "Timebok"), ("role", "controller")]).await;
    let pid = id_from(created.location());
    let now = app.now();
    for i in 0..3 {
        let d = normverk_core::deviation::NewDeviation {
            title: format!("Pc mistet {i}"),
            description: "Bærbar pc".into(),
            occurred_at: now - 86_400 * (i + 1),
            aware_at: now - 86_400 * i - 3600,
            unit_id: None,
            system: None,
            category: normverk_core::deviation::Category::LostEquipment,
            patients_concerned: false,
            immediate_actions: String::new(),
            patient_id: None,
        };
        app.store.create_deviation(org.id, None, &d, now).await.unwrap();
    }
    let dashboard = lead.get("/").await.body;
    assert!(dashboard.contains("Ny behandling uten godkjent risikovurdering: Timebok"), "{engine}: {dashboard}");
    assert!(dashboard.contains("Ledelsen har ikke gjennomført en jevnlig risikovurdering"));
    assert!(dashboard.contains("Gjentatte avvik"));
    assert!(!employee.get("/").await.body.contains("Risikovurderinger som skal gjøres"));

    // Opened from the tasks, scored within the level and approved: the tasks are gone.
    let approve = |fields: Vec<(&'static str, String)>| {
        let (lead, boss, app) = (lead.clone(), boss.clone(), &app);
        async move {
            let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let started = lead.post("/risk/assessments", &refs).await;
            assert_eq!(started.status, 303, "{}", started.body);
            let id = id_from(started.location());
            let v = app.store.risk_assessment(org.id, id).await.unwrap().version.to_string();
            let base = format!("/risk/assessments/{id}");
            assert_eq!(
                lead.post(&format!("{base}/events"), &[("version", &v), ("event_title", "Feil")]).await.status,
                303
            );
            let v = app.store.risk_assessment(org.id, id).await.unwrap().version.to_string();
            let scored = lead
                .post(
                    &format!("{base}/events/1"),
                    &[("version", &v), ("title", "Feil"), ("likelihood", "1"), ("privacy", "1")],
                )
                .await;
            assert_eq!(scored.status, 303, "{}", scored.body);
            let v = app.store.risk_assessment(org.id, id).await.unwrap().version.to_string();
            assert_eq!(boss.post(&format!("{base}/approve"), &[("version", &v)]).await.status, 303);
        }
    };
    clock.advance(60);
    approve(vec![("title", "Timebok".into()), ("reason", "new_processing".into()), ("processings", pid.to_string())])
        .await;
    approve(vec![
        ("title", "Gjentatte avvik".into()),
        ("reason", "deviations".into()),
        ("trigger", "deviations:category:lost_equipment".into()),
    ])
    .await;
    approve(vec![("title", "Årlig".into()), ("reason", "regular".into())]).await;
    let dashboard = lead.get("/").await.body;
    assert!(!dashboard.contains("Risikovurderinger som skal gjøres"), "{dashboard}");
    assert!(!dashboard.contains("Gjentatte avvik"), "assessed: the repeat task is gone");

    // A change after the approval raises the task again.
    clock.advance(60);
    let edited = lead
        .post(&format!("/processings/{pid}"), &[("name", "Timebok"), ("role", "controller"), ("purposes", "Timer")])
        .await;
    assert_eq!(edited.status, 303);
    assert!(lead.get("/").await.body.contains("Behandlingen er endret etter siste godkjente risikovurdering: Timebok"));

    // The interval is top management's, from 1 to 36 months.
    assert_eq!(lead.post("/risk/matrix/regular", &[("regular_months", "6")]).await.status, 403);
    assert_eq!(boss.post("/risk/matrix/regular", &[("regular_months", "0")]).await.status, 422);
    assert_eq!(boss.post("/risk/matrix/regular", &[("regular_months", "6")]).await.status, 303);
    assert_eq!(app.state.app.risk.regular_months(org.id).await.unwrap(), 6);
}
engine_tests!(due_assessments_are_dashboard_tasks_until_an_approved_one_covers_them);

/// The threat catalogue is the organisation's: normverk's threats reworded or retired, its own
/// added; an assessment offers what is in use, and a blank title is refused with nothing kept.
async fn the_threat_catalogue_is_the_organisations_to_edit(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, lead) = app.org_with_member("A", "974760673", "lead@a.no", &[Role::SecurityLead]).await;
    let (_, employee) = app.org_with_member("A", "974760673", "e@a.no", &[Role::Employee]).await;
    assert!(lead.get("/risk/threats").await.body.contains("Løsepengevirus"), "{engine}");
    assert_eq!(employee.post("/risk/threats", &[("title", "Flom i serverrommet")]).await.status, 403);
    assert_eq!(lead.post("/risk/threats", &[("title", " ")]).await.status, 422);
    assert!(app.store.risk_threats(org.id).await.unwrap().is_empty());
    assert_eq!(
        lead.post("/risk/threats", &[("title", "Flom i serverrommet"), ("description", "Vannlekkasje")]).await.status,
        303
    );
    let retired = lead.post("/risk/threats/ransomware", &[("title", "Løsepengevirus"), ("retired", "1")]).await;
    assert_eq!(retired.status, 303);
    let renamed = lead.post("/risk/threats/lost_device", &[("title", "Mistet mobil eller PC")]).await;
    assert_eq!(renamed.status, 303);
    assert_eq!(lead.post("/risk/threats/own_9", &[("title", "Finnes ikke")]).await.status, 404);

    let started = lead.post("/risk/assessments", &[("title", "Drift"), ("reason", "other")]).await;
    let id = id_from(started.location());
    let page = lead.get(&format!("/risk/assessments/{id}")).await.body;
    assert!(page.contains(r#"<option value="own_1">Flom i serverrommet</option>"#), "{page}");
    assert!(page.contains("Mistet mobil eller PC") && !page.contains(r#"value="ransomware""#));
    let v = app.store.risk_assessment(org.id, id).await.unwrap().version.to_string();
    let added = lead.post(&format!("/risk/assessments/{id}/events"), &[("version", &v), ("threat", "own_1")]).await;
    assert_eq!(added.status, 303);
    let doc = app.store.risk_assessment(org.id, id).await.unwrap().assessment().unwrap();
    assert_eq!(
        (doc.events[0].title.as_str(), doc.events[0].description.as_str()),
        ("Flom i serverrommet", "Vannlekkasje")
    );
    let v = app.store.risk_assessment(org.id, id).await.unwrap().version.to_string();
    let unknown = lead
        .post(&format!("/risk/assessments/{id}/events"), &[("version", &v), ("threat", "own_7"), ("event_title", "X")])
        .await;
    assert_eq!(unknown.status, 422);
}
engine_tests!(the_threat_catalogue_is_the_organisations_to_edit);
