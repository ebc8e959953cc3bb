//! Organisation isolation: walks every route the router serves and proves that a user (or API
//! token) of organisation A can neither see nor change anything of organisation B. A new route
//! is covered the moment it is added to the route table; a new path parameter fails this test
//! until it gets a fixture below.

use crate::common::{client, spawn_app, PASSWORD};
use normverk_core::org::{Role, Scope};
use normverk_store::engine_tests;
use normverk_store::system::Dependency;

const B_NAME: &str = "Beta-markør helseforetak";
const B_UNIT: &str = "Beta-markør enhet";
const B_EMAIL: &str = "beta-markor@b.no";

async fn no_route_lets_organisation_a_reach_organisation_b(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (a, browser_a) = app.org_with_member("Alfa", "974760673", "admin@a.no", &[Role::Admin]).await;
    let (b, browser_b) = app.org_with_member(B_NAME, "983544622", B_EMAIL, &[Role::Admin]).await;
    let b_unit = app.store.create_unit(b.id, B_UNIT, None, app.now()).await.unwrap();
    let b_child = app.store.create_unit(b.id, "Beta-markør underenhet", Some(b_unit.id), app.now()).await.unwrap();
    let b_user = app.store.user_by_email(B_EMAIL).await.unwrap();
    let b_token = app.token(&b, &[Scope::OrgRead]).await;
    let b_token_id = app.store.tokens(b.id).await.unwrap()[0].id;
    let b_round = app.store.start_round(b.id, "Beta-markør runde", "normen", "5.3", None, None, 1).await.unwrap();
    let b_answer = normverk_core::assessment::check_answer(&normverk_core::assessment::AnswerInput {
        status: "not_met".into(),
        comment: "Beta-markør kommentar".into(),
        ..Default::default()
    })
    .unwrap();
    app.store.save_answers(b.id, b_round.id, &[("5.2.1-01".into(), b_answer)], None, 2).await.unwrap();
    let b_evidence = app
        .store
        .add_evidence(b.id, b_round.id, "5.2.1-01", "beta.pdf", "application/pdf", b"%PDF-1.4 Beta-marker", None, 3)
        .await
        .unwrap();
    let b_event = normverk_store::access_log::NewAccessEvent {
        org_id: b.id,
        leaf_hash: [7; 32],
        salt: [1; 16],
        occurred_at: 1_700_000_000,
        patient_id: "fnr:Beta-markør pasient".into(),
        user_id: "hpr:Beta-markør bruker".into(),
        unit: B_UNIT.into(),
        event_json: r#"{"patient_id":"fnr:Beta-markør pasient"}"#.into(),
        openings: None,
    };
    let b_index = app.store.append_access_events(b.id, &[b_event], None, 1).await.unwrap().first_index;
    let b_deviation = app
        .store
        .create_deviation(
            b.id,
            Some(b_user.id),
            &normverk_core::deviation::NewDeviation {
                title: "Beta-markør avvik".into(),
                description: "Beta-markør beskrivelse".into(),
                occurred_at: 1_700_000_000,
                aware_at: 1_700_000_100,
                unit_id: Some(b_unit.id),
                system: None,
                category: normverk_core::deviation::Category::Other,
                patients_concerned: true,
                immediate_actions: String::new(),
                patient_id: None,
            },
            1_700_000_200,
        )
        .await
        .unwrap();
    app.store
        .apply_deviation_step(
            b.id,
            b_deviation.id,
            normverk_core::deviation::State::Reported,
            normverk_core::deviation::State::FactsGathered,
            "{}",
            &normverk_store::deviation::StepChanges {
                measures: vec![normverk_core::deviation::MeasureIn {
                    description: "Beta-markør tiltak".into(),
                    owner: "Eier".into(),
                    deadline: "2099-01-01".into(),
                }],
                ..Default::default()
            },
            None,
            1_700_000_300,
        )
        .await
        .unwrap();
    let new_system =
        |name: &str| normverk_core::system::NewSystem::new(name, normverk_core::system::Criticality::Critical);
    let b_system = app.store.create_system(b.id, &new_system("Beta-markør system"), 1).await.unwrap();
    let b_system2 = app.store.create_system(b.id, &new_system("Beta-markør database"), 1).await.unwrap();
    app.store.add_system_dependency(b.id, b_system.id, b_system2.id, 1).await.unwrap();
    // B lets a third organisation log for it: A may neither see nor revoke that.
    let (third, _) = app.org_with_member("Tredje", "982463718", "tredje@t.no", &[Role::Admin]).await;
    let b_delegation = app.store.grant_log_delegation(b.id, &third.org_number, None, 1).await.unwrap().id;
    let b_procedure =
        app.store.add_procedure(b.id, b_system.id, "Beta-markør rutine", "without_system", "", 1).await.unwrap();
    let b_measure = app.store.deviation_measures(b.id, b_deviation.id).await.unwrap()[0].id;
    let b_processing = app
        .store
        .put_processings(
            b.id,
            &[normverk_store::processing::Put {
                target: normverk_store::processing::Target::New,
                record: normverk_core::processing::Record {
                    name: "Beta-markør behandling".into(),
                    role: "controller".into(),
                    ..Default::default()
                },
                missing: 12,
                systems: Some(vec![b_system.id]),
            }],
            None,
            1,
        )
        .await
        .unwrap()
        .0[0];
    let b_asset = app
        .store
        .create_asset(
            b.id,
            &normverk_core::asset::NewAsset {
                identifier: "Beta-markør utstyr".into(),
                kind: "server".into(),
                ..Default::default()
            },
            1,
        )
        .await
        .unwrap()
        .id;
    let risk = &app.state.app.risk;
    let b_risk = risk
        .start(b.id, normverk_app::risk::Opening::new("Beta-markør risiko", normverk_core::risk::Reason::Regular), None)
        .await
        .unwrap();
    let mut doc = app.store.risk_assessment(b.id, b_risk).await.unwrap().assessment().unwrap();
    doc.events.push(normverk_core::risk::Event {
        id: 1,
        title: "Beta-markør hendelse".into(),
        description: String::new(),
        threat: String::new(),
        consequence: Default::default(),
        likelihood: Some(2),
        reasoning: String::new(),
        measures: vec![normverk_core::risk::Measure {
            id: 1,
            description: "Beta-markør risikotiltak".into(),
            owner: String::new(),
            deadline: String::new(),
            status: normverk_core::deviation::MeasureStatus::Planned,
            systems: Vec::new(),
        }],
        residual: None,
        acceptance: None,
    });
    risk.save(b.id, b_risk, 1, doc, "event_added", None).await.unwrap();
    let b_threat = app.state.app.risk.save_threat(b.id, None, "Beta-markør trussel", "", false).await.unwrap();
    let b_lead = crate::common::security_lead(b_user.id);
    let b_person = app
        .state
        .app
        .authz
        .add_person(
            b.id,
            "983544622",
            normverk_core::authz::PersonIn { name: "Beta-markør person".into(), ..Default::default() },
            &b_lead,
        )
        .await
        .unwrap();
    let b_grant = normverk_core::authz::Grant {
        purpose: "Beta-markør formål".into(),
        systems: vec![normverk_core::authz::SystemRights {
            system_id: b_system.id,
            rights: vec![normverk_core::authz::Right::Read],
            break_glass: false,
        }],
        valid_from: "2026-12-01".into(),
        ..Default::default()
    };
    let b_authorisation = app.state.app.authz.grant(b.id, b_person, b_grant.clone(), &b_lead).await.unwrap();
    let b_template = app
        .state
        .app
        .authz
        .save_template(
            b.id,
            None,
            normverk_core::authz::Template {
                name: "Beta-markør rollemal".into(),
                systems: b_grant.systems.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let b_review = app
        .state
        .app
        .reviews
        .start(
            b.id,
            &normverk_app::access_review::Start {
                kind: normverk_core::access_review::Kind::Yearly,
                title: "Beta-markør tilgangskontroll".into(),
                deadline: "2099-12-31".into(),
                deviation_id: None,
                systems: Vec::new(),
                person_id: None,
            },
            None,
        )
        .await
        .unwrap()
        .unwrap();
    let b_line = app.store.review_lines(b.id, b_review, None).await.unwrap()[0].id;
    let b_scim_user = app
        .state
        .app
        .authz
        .add_person(
            b.id,
            "983544622",
            normverk_core::authz::PersonIn {
                name: "Beta-markør SCIM-person".into(),
                user_name: "beta@b.no".into(),
                ..Default::default()
            },
            &b_lead,
        )
        .await
        .unwrap();
    let b_group = normverk_core::scim::Group {
        display_name: "Beta-markør gruppe".into(),
        external_id: String::new(),
        members: vec![b_scim_user],
    };
    let b_group = app.store.save_scim_group(b.id, None, &b_group, app.now()).await.unwrap();
    let b_dpia = {
        let content = normverk_core::dpia::Dpia {
            title: "Beta-markør DPIA".into(),
            processings: vec![b_processing],
            assessment_id: Some(b_risk),
            ..Default::default()
        };
        app.state.app.dpia.start(b.id, content, None).await.unwrap()
    };
    let a_token = app
        .token(
            &a,
            &[
                Scope::OrgRead,
                Scope::OrgWrite,
                Scope::AccessLogRead,
                Scope::DeviationRead,
                Scope::DeviationWrite,
                Scope::RiskRead,
                Scope::RiskWrite,
                Scope::AuthzRead,
                Scope::ScimProvision,
            ],
        )
        .await;
    let markers = [
        B_NAME,
        B_UNIT,
        B_EMAIL,
        "983544622",
        "Beta-markør runde",
        "Beta-markør kommentar",
        "Beta-marker",
        "Beta-markør pasient",
        "Beta-markør bruker",
        "Beta-markør avvik",
        "Beta-markør beskrivelse",
        "Beta-markør tiltak",
        "Beta-markør system",
        "Beta-markør database",
        "Beta-markør rutine",
        "Beta-markør behandling",
        "Beta-markør utstyr",
        "Beta-markør risiko",
        "Beta-markør hendelse",
        "Beta-markør risikotiltak",
        "Beta-markør DPIA",
        "Beta-markør trussel",
        "Beta-markør person",
        "Beta-markør SCIM-person",
        "Beta-markør gruppe",
        "beta@b.no",
        "Beta-markør formål",
        "Beta-markør rollemal",
    ];

    let b_fields: Vec<(&str, String)> = vec![
        ("org_id", b.id.to_string()),
        ("unit_id", b_unit.id.to_string()),
        ("parent_id", b_unit.id.to_string()),
        ("user_id", b_user.id.to_string()),
        ("token_id", b_token_id.to_string()),
        ("name", "isolasjonstest".into()),
        ("role", "admin".into()),
        ("password", "isolasjonstest passord".into()),
        ("status", "met".into()),
    ];
    let table = normverk_web::route_table();
    let (mut checked, mut skipped) = (0, 0);
    for route in &table {
        if route.path == "/logout" {
            skipped += 1;
            continue; // ends the session this test needs; covered in the login tests
        }
        let mut path = route.path.to_string();
        let mut has_params = false;
        while let Some(start) = path.find('{') {
            let end = path[start..].find('}').unwrap() + start;
            let id = match &path[start + 1..end] {
                "unit_id" => b_unit.id,
                "user_id" => b_user.id,
                "token_id" => b_token_id,
                "round_id" => b_round.id,
                "evidence_id" => b_evidence.id,
                "index" => i64::try_from(b_index).unwrap(),
                "id" if route.path.contains("deviations") => b_deviation.id,
                "id" if route.path.contains("systems") => b_system.id,
                "id" if route.path.contains("processings") => b_processing,
                "id" if route.path.contains("assets") => b_asset,
                "id" if route.path.contains("delegations") => b_delegation,
                "id" if route.path.contains("risk/assessments") => b_risk,
                "id" if route.path.contains("risk/dpia") || route.path.contains("dpias") => b_dpia,
                "id" if route.path.contains("authz/people") => b_person,
                "id" if route.path.contains("authz/templates") => b_template,
                "id" if route.path.contains("authz/reviews") => b_review,
                "id" if route.path.contains("scim/v2/Users") => b_scim_user,
                "id" if route.path.contains("scim/v2/Groups") => b_group,
                "line" => b_line,
                "authorisation" => b_authorisation,
                "event" | "measure" => 1,
                "depends_on" => b_system2.id,
                "procedure_id" => b_procedure,
                "measure_id" => b_measure,
                // Tiles hold only hashes; the entry bundle holds B's event.
                "*path" => {
                    path.replace_range(start..=end, "entries/000.p/1");
                    has_params = true;
                    continue;
                }
                "code" => {
                    path.replace_range(start..=end, &b_threat);
                    has_params = true;
                    continue;
                }
                // The catalogue is the same for everyone: not an object of B.
                "req_id" => {
                    path.replace_range(start..=end, "5.2.1-01");
                    continue;
                }
                other => {
                    panic!("route {} has parameter {{{other}}} without a fixture of organisation B", route.path)
                }
            };
            path.replace_range(start..=end, &id.to_string());
            has_params = true;
        }
        let what = format!("{engine}: {} {}", route.method, path);
        let machine = ["/api/", "/log/", "/scim/"].iter().any(|p| route.path.starts_with(p));
        let (status, body) = if machine {
            let req = client().request(route.method.parse().unwrap(), app.url(&path)).bearer_auth(&a_token);
            let req = if route.method == "GET" {
                req
            } else if route.path.starts_with("/scim/") {
                let patch = serde_json::json!({"schemas": [normverk_core::scim::PATCH_SCHEMA],
                    "Operations": [{"op": "replace", "value": {"displayName": "isolasjonstest", "active": false}}]});
                let doc = if route.method == "PATCH" {
                    patch
                } else {
                    serde_json::json!({"userName": "isolasjonstest", "displayName": "isolasjonstest",
                        "members": [{"value": b_scim_user.to_string()}]})
                };
                req.header("content-type", "application/scim+json").body(doc.to_string())
            } else {
                req.json(&serde_json::json!({"name": "isolasjonstest", "parent_id": b_unit.id}))
            };
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        } else if route.method == "GET" {
            let page = browser_a.get(&path).await;
            (page.status, page.body)
        } else {
            let fields: Vec<(&str, &str)> = b_fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let page = browser_a.post(&path, &fields).await;
            (page.status, page.body)
        };
        if has_params {
            assert!(status == 404 || status == 403, "{what} answered {status}");
        }
        assert_ne!(status, 405, "{what}: the route table names a method the router does not serve");
        for marker in markers {
            assert!(!body.contains(marker), "{what} revealed '{marker}' of organisation B");
        }
        checked += 1;
    }
    assert_eq!((checked, skipped), (table.len() - 1, 1), "every route of the table but /logout is walked");

    // Organisation B is exactly as it was.
    let d = app.store.deviation(b.id, b_deviation.id).await.unwrap();
    assert_eq!((d.state.as_str(), d.notice_complete_at, d.subject_decision.is_none()), ("facts_gathered", None, true));
    assert_eq!(app.store.deviation_steps(b.id, b_deviation.id).await.unwrap().len(), 1);
    assert_eq!(app.store.deviation_measures(b.id, b_deviation.id).await.unwrap()[0].status.as_str(), "planned");
    assert_eq!(
        app.store.system_dependencies(b.id).await.unwrap(),
        vec![Dependency { system_id: b_system.id, depends_on: b_system2.id }]
    );
    assert_eq!(app.store.systems(b.id).await.unwrap().len(), 2);
    let procedures = app.store.procedures(b.id, None).await.unwrap();
    assert_eq!((procedures.len(), procedures[0].last_test), (1, None));
    assert!(app.store.downtimes(b.id).await.unwrap().is_empty());
    let units = app.store.units(b.id).await.unwrap();
    assert_eq!(units.iter().map(|u| u.id).collect::<Vec<_>>().len(), 2, "{engine}");
    assert!(units.iter().any(|u| u.id == b_child.id && u.parent_id == Some(b_unit.id)));
    assert!(units.iter().all(|u| u.name.starts_with("Beta-markør")));
    assert_eq!(app.store.roles(b.id, b_user.id).await.unwrap(), vec![Role::Admin]);
    assert!(
        app.store.active_token(&normverk_store::account::secret_hash(&b_token)).await.is_ok(),
        "B's token not revoked"
    );
    let members_b: Vec<String> = app.store.members(b.id).await.unwrap().into_iter().map(|m| m.email).collect();
    assert_eq!(members_b, vec![B_EMAIL.to_string()]);
    assert_eq!(browser_b.get("/").await.status, 200, "B's session is untouched");
    let relog = app.browser();
    assert_eq!(relog.login(B_EMAIL, PASSWORD).await.status, 303, "B's password is unchanged");
    assert!(browser_a.get("/").await.body.contains("<h1>Alfa</h1>"), "A is still working in A");
    let b_round_now = app.store.round(b.id, b_round.id).await.unwrap();
    assert!(b_round_now.frozen_at.is_none(), "B's round is not frozen by A");
    let b_answers = app.store.answers(b.id, b_round.id).await.unwrap();
    assert_eq!(b_answers.len(), 1);
    assert_eq!(b_answers[0].status.as_str(), "not_met", "B's answer is untouched");
    app.store.access_index_more(100).await.unwrap();
    // B's own event, and the register's records of B's two people added and one grant.
    assert_eq!(app.store.access_events(b.id, &Default::default(), 10, 0).await.unwrap().len(), 4);
    assert_eq!(app.store.evidence_for(b.id, b_round.id, "5.2.1-01").await.unwrap().len(), 1);
    let processing = app.store.processing(b.id, b_processing).await.unwrap();
    assert_eq!((processing.version, processing.record.name.as_str()), (1, "Beta-markør behandling"), "{engine}");
    let b_risk_now = app.store.risk_assessment(b.id, b_risk).await.unwrap();
    assert_eq!(
        (b_risk_now.version, b_risk_now.state),
        (2, normverk_core::risk::State::Draft),
        "B's assessment untouched"
    );
    let b_history = app.store.authorisation_history(b.id, b_person).await.unwrap();
    assert_eq!(b_history.len(), 1, "B's authorisation untouched: granted once, never revoked by A");
    let b_review_now = app.store.review(b.id, b_review).await.unwrap();
    assert_eq!((b_review_now.answered, b_review_now.closed_at), (0, None), "B's access review unanswered by A");
    let b_scim = app.store.person(b.id, b_scim_user).await.unwrap();
    assert_eq!(
        (b_scim.name.as_str(), b_scim.ends_on.as_str()),
        ("Beta-markør SCIM-person", ""),
        "B's person untouched"
    );
    assert_eq!(app.store.scim_group(b.id, b_group).await.unwrap().members, [b_scim_user], "B's group untouched");
    let b_templates = app.store.role_templates(b.id).await.unwrap();
    assert_eq!(b_templates[0].template.name, "Beta-markør rollemal", "B's role template untouched");
    let b_threats = app.store.risk_threats(b.id).await.unwrap();
    assert_eq!(b_threats.len(), 1, "A added no threat to B's catalogue");
    assert_eq!(b_threats[0].title, "Beta-markør trussel", "B's threat untouched");
    assert!(app.store.risk_threats(a.id).await.unwrap().is_empty(), "A has no threat by B's code either");
    let b_dpia_now = app.store.dpia(b.id, b_dpia).await.unwrap();
    assert_eq!((b_dpia_now.version, b_dpia_now.state), (1, normverk_core::dpia::State::Draft), "B's DPIA untouched");
    let asset = app.store.asset(b.id, b_asset).await.unwrap();
    assert_eq!((asset.identifier.as_str(), asset.kind.as_str()), ("Beta-markør utstyr", "server"));
    assert!(app.store.deviation_notices(b.id, b_deviation.id).await.unwrap().is_empty());
    assert!(app.store.dlp_settings(b.id).await.unwrap().is_none(), "B's scanner settings untouched");
    let default_threshold = app.store.repeat_threshold(a.id).await.unwrap();
    assert_eq!(app.store.repeat_threshold(b.id).await.unwrap(), default_threshold);
    // And B's token cannot reach A either.
    let resp = client().get(app.url("/api/v1/org")).bearer_auth(&b_token).send().await.unwrap();
    let org: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(org["id"], b.id.0);
}
engine_tests!(no_route_lets_organisation_a_reach_organisation_b);
