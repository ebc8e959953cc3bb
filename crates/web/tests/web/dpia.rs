//! DPIA through the pages: the screening on a protokoll entry (two criteria → required, the
//! outcome in the entry's history), a DPIA covering it from start to approval (the minimum
//! content asked for, the DPO's advice before management's approval, a return for more work),
//! prior consultation when the remaining risk is high (the processing awaits it, the document for
//! Datatilsynet and its JSON, dates and advice recorded), and other organisations kept out.

use crate::common::spawn_app;
use normverk_core::dpia::State;
use normverk_core::org::Role;
use normverk_core::risk::{Assessment, Consequence, Event, Reason, Score};
use normverk_store::engine_tests;

fn id_from(location: Option<&str>) -> i64 {
    location.and_then(|l| l.rsplit('/').next()).and_then(|s| s.parse().ok()).expect("a redirect to the new object")
}

async fn a_screened_processing_gets_a_dpia_from_draft_to_approval_and_prior_consultation(engine: &'static str) {
    let clock = normverk_app::Clock::fixed(normverk_store::unix_now());
    let app = crate::common::spawn_app_at(engine, Default::default(), clock.clone()).await;
    let (org, lead) = app.org_with_member("A", "974760673", "lead@a.no", &[Role::SecurityLead]).await;
    let (_, dpo) = app.org_with_member("A", "974760673", "dpo@a.no", &[Role::Dpo]).await;
    let (_, boss) = app.org_with_member("A", "974760673", "boss@a.no", &[Role::TopManagement]).await;
    let (other, outsider) =
        app.org_with_member("B", "923609016", "b@b.no", &[Role::SecurityLead, Role::TopManagement]).await;

    // The screening: one criterion is not enough, two make a DPIA required; the outcome is set,
    // never typed, and the history shows the change.
    let created = lead
        .post(
            "/processings",
            &[("name", "Videokonsultasjon"), ("role", "controller"), ("dpia_criteria", "sensitive_data")],
        )
        .await;
    assert_eq!(created.status, 303, "{engine}: {}", created.body);
    let pid = id_from(created.location());
    assert_eq!(app.store.processing(org.id, pid).await.unwrap().record.dpia, "not_required");
    let bad = lead
        .post(
            &format!("/processings/{pid}"),
            &[("name", "Videokonsultasjon"), ("role", "controller"), ("dpia_criteria", "whim")],
        )
        .await;
    assert_eq!(bad.status, 422);
    let screened = lead
        .post(
            &format!("/processings/{pid}"),
            &[
                ("name", "Videokonsultasjon"),
                ("role", "controller"),
                ("dpia_criteria", "sensitive_data"),
                ("dpia_criteria", "new_technology"),
                ("dpia_reasons", "Helseopplysninger over ny videoplattform"),
                ("dpia", "not_required"),
            ],
        )
        .await;
    assert_eq!(screened.status, 303, "{}", screened.body);
    let p = app.store.processing(org.id, pid).await.unwrap();
    assert_eq!(
        (p.record.dpia.as_str(), p.record.dpia_criteria.as_str()),
        ("required", "sensitive_data, new_technology")
    );
    let page = lead.get(&format!("/processings/{pid}")).await.body;
    assert!(page.contains("Påkrevd") && page.contains("Tar den i bruk ny teknologi"), "{page}");
    assert!(page.contains("ingen er startet"), "the entry says a DPIA is needed");
    assert!(lead
        .get("/")
        .await
        .body
        .contains("Screeningen krever en personvernkonsekvensvurdering: Videokonsultasjon"));
    let form = lead.get(&format!("/processings/{pid}/edit")).await.body;
    assert!(form.contains(r#"type="checkbox" name="dpia_criteria" value="new_technology" checked"#), "{form}");

    // A risk assessment with a high risk that remains after the measures.
    let risk = &app.state.app.risk;
    let aid = risk
        .start(org.id, normverk_app::risk::Opening::new("Videoplattform", Reason::NewProcessing), None)
        .await
        .unwrap();
    let event = Event {
        id: 1,
        title: "Uvedkommende ser konsultasjonen".into(),
        description: String::new(),
        threat: String::new(),
        consequence: Consequence { privacy: Some(5), ..Consequence::default() },
        likelihood: Some(5),
        reasoning: String::new(),
        measures: vec![],
        residual: Some(Score { likelihood: 4, consequence: 5 }),
        acceptance: None,
    };
    let doc = Assessment {
        title: "Videoplattform".into(),
        processings: vec![pid],
        events: vec![event],
        ..Assessment::default()
    };
    risk.save(org.id, aid, 1, doc, "api", None).await.unwrap();

    // Start: another organisation's processing is refused, nothing created.
    let theirs = app
        .store
        .put_processings(
            other.id,
            &[normverk_store::processing::Put {
                target: normverk_store::processing::Target::New,
                record: normverk_core::processing::Record {
                    name: "Deres".into(),
                    role: "controller".into(),
                    ..Default::default()
                },
                systems: None,
                missing: 0,
            }],
            None,
            app.now(),
        )
        .await
        .unwrap()
        .0[0];
    let foreign = lead.post("/risk/dpia", &[("title", "X"), ("processings", &theirs.to_string())]).await;
    assert_eq!(foreign.status, 422);
    assert!(app.store.dpias(org.id).await.unwrap().is_empty());
    let started = lead
        .post(
            "/risk/dpia",
            &[("title", "Videokonsultasjon"), ("processings", &pid.to_string()), ("assessment_id", &aid.to_string())],
        )
        .await;
    assert_eq!(started.status, 303, "{}", started.body);
    let id = id_from(started.location());
    let base = format!("/risk/dpia/{id}");
    let version = || {
        let store = app.store.clone();
        let org_id = org.id;
        async move { store.dpia(org_id, id).await.unwrap().version.to_string() }
    };

    // The minimum content is asked for before it goes to the DPO.
    let v = version().await;
    let early = lead.post(&format!("{base}/step"), &[("version", &v), ("step", "send")]).await;
    assert_eq!(early.status, 422);
    assert!(early.body.contains("Må fylles ut"), "{}", early.body);
    let saved = lead
        .post(
            &base,
            &[
                ("version", &v),
                ("title", "Videokonsultasjon"),
                ("processings", &pid.to_string()),
                ("assessment_id", &aid.to_string()),
                ("description", "Pasienter møter legen på video."),
                ("purpose", "Helsehjelp uten oppmøte"),
                ("necessity", "Alternativ til oppmøte; bare nødvendige opplysninger."),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let v = version().await;
    // Approval before the DPO's advice is refused; the DPO alone advises.
    assert_eq!(boss.post(&format!("{base}/step"), &[("version", &v), ("step", "approve")]).await.status, 422);
    assert_eq!(lead.post(&format!("{base}/step"), &[("version", &v), ("step", "send")]).await.status, 303);
    let v = version().await;
    assert_eq!(boss.post(&format!("{base}/step"), &[("version", &v), ("step", "approve")]).await.status, 422);
    assert_eq!(
        lead.post(&format!("{base}/step"), &[("version", &v), ("step", "advise"), ("note", "Ok")]).await.status,
        403
    );
    let frozen = lead.post(&base, &[("version", &v), ("title", "Endret")]).await;
    assert_eq!(frozen.status, 422, "not editable while with the DPO");
    assert_eq!(
        dpo.post(&format!("{base}/step"), &[("version", &v), ("step", "advise"), ("note", "")]).await.status,
        422
    );
    let advised = dpo
        .post(
            &format!("{base}/step"),
            &[("version", &v), ("step", "advise"), ("note", "Krev ende-til-ende-kryptering.\r\nLogg oppslag.")],
        )
        .await;
    assert_eq!(advised.status, 303, "{}", advised.body);
    let doc = app.store.dpia(org.id, id).await.unwrap().dpia().unwrap();
    assert_eq!(doc.dpo_advice.map(|n| n.text).as_deref(), Some("Krev ende-til-ende-kryptering.\nLogg oppslag."));
    let v = version().await;
    let dpo_returns =
        dpo.post(&format!("{base}/step"), &[("version", &v), ("step", "return"), ("return_note", "Nei")]).await;
    assert_eq!(dpo_returns.status, 403, "advised: returning is management's");
    let blank = boss.post(&format!("{base}/step"), &[("version", &v), ("step", "return"), ("return_note", " ")]).await;
    assert_eq!(blank.status, 422);
    assert!(blank.body.contains(r#"id="return_note-error""#), "the error is under the return field");
    let returned = boss
        .post(
            &format!("{base}/step"),
            &[("version", &v), ("step", "return"), ("return_note", "Beskriv lagring av opptak")],
        )
        .await;
    assert_eq!(returned.status, 303);
    assert_eq!(app.store.dpia(org.id, id).await.unwrap().state, State::Returned);
    let v = version().await;
    assert_eq!(lead.post(&format!("{base}/step"), &[("version", &v), ("step", "send")]).await.status, 303);
    let v = version().await;
    assert_eq!(
        dpo.post(&format!("{base}/step"), &[("version", &v), ("step", "advise"), ("note", "Nå ok.")]).await.status,
        303
    );
    let v = version().await;
    let approved = boss.post(&format!("{base}/step"), &[("version", &v), ("step", "approve")]).await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(app.store.dpia(org.id, id).await.unwrap().state, State::Approved);

    // High risk remains: the processing awaits prior consultation until the answer is recorded.
    let page = lead.get(&base).await.body;
    assert!(page.contains("Datatilsynet må rådspørres"), "{page}");
    assert!(lead.get(&format!("/processings/{pid}")).await.body.contains("Venter på forhåndsdrøfting"));
    let dashboard = lead.get("/").await.body;
    assert!(dashboard.contains("Venter på forhåndsdrøfting med Datatilsynet: Videokonsultasjon"), "{dashboard}");
    assert!(!dashboard.contains("Screeningen krever"), "approved: the DPIA task is gone");
    let doc = lead.get(&format!("{base}/consultation")).await;
    assert_eq!(doc.status, 200);
    assert!(doc.body.contains("Ansvarsfordelingen") && doc.body.contains("Uvedkommende ser konsultasjonen"));
    let (status, _, bytes) = lead.download(&format!("{base}/consultation.json")).await;
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["prior_consultation_required"], true);
    assert_eq!(json["dpia"]["dpo_advice"]["text"], "Nå ok.");
    let v = version().await;
    let early_answer = lead
        .post(
            &format!("{base}/consultation"),
            &[("version", &v), ("sent_on", "2026-12-02"), ("answered_on", "2026-12-01"), ("advice", "x")],
        )
        .await;
    assert_eq!(early_answer.status, 422);
    let sent = lead.post(&format!("{base}/consultation"), &[("version", &v), ("sent_on", "2026-12-02")]).await;
    assert_eq!(sent.status, 303);
    assert!(lead.get(&format!("/processings/{pid}")).await.body.contains("Venter på forhåndsdrøfting"));
    let v = version().await;
    let answered = lead
        .post(
            &format!("{base}/consultation"),
            &[
                ("version", &v),
                ("sent_on", "2026-12-02"),
                ("answered_on", "2026-12-20"),
                ("advice", "Sak 26/0123: ingen innvendinger"),
            ],
        )
        .await;
    assert_eq!(answered.status, 303);
    assert!(!lead.get(&format!("/processings/{pid}")).await.body.contains("Venter på forhåndsdrøfting"));
    assert!(!lead.get("/").await.body.contains("Personvernkonsekvensvurderinger som skal gjøres"));
    let history = lead.get(&base).await.body;
    assert!(history.contains("Personvernombudets råd registrert") && history.contains("Forhåndsdrøfting registrert"));

    // The risk assessment changes after the approval: the DPIA is to be reviewed, and reopened.
    clock.advance(60);
    let risk_version = app.store.risk_assessment(org.id, aid).await.unwrap().version;
    let mut changed = app.store.risk_assessment(org.id, aid).await.unwrap().assessment().unwrap();
    changed.events[0].reasoning = "Flere bruker plattformen".into();
    risk.save(org.id, aid, risk_version, changed, "api", None).await.unwrap();
    assert!(lead.get(&base).await.body.contains("Risikoen er endret siden vurderingen ble godkjent"));
    assert!(lead.get("/").await.body.contains("Risikoen er endret, vurderingen må gjennomgås: Videokonsultasjon"));
    let v = version().await;
    assert_eq!(lead.post(&format!("{base}/step"), &[("version", &v), ("step", "reopen")]).await.status, 303);
    let reopened = app.store.dpia(org.id, id).await.unwrap();
    assert_eq!(reopened.state, State::Draft);
    assert!(reopened.dpia().unwrap().dpo_advice.is_none(), "a new round needs fresh advice");

    // Another organisation sees none of it.
    assert_eq!(outsider.get(&base).await.status, 404);
    assert_eq!(outsider.get(&format!("{base}/consultation.json")).await.status, 404);
    let v = version().await;
    assert_eq!(outsider.post(&format!("{base}/step"), &[("version", &v), ("step", "reopen")]).await.status, 404);
    assert_eq!(app.store.dpia(org.id, id).await.unwrap().state, State::Draft);
}
engine_tests!(a_screened_processing_gets_a_dpia_from_draft_to_approval_and_prior_consultation);

/// The API: `risk:write` drafts a DPIA and edits its content on the version it read; another
/// organisation's processing, a stale version and a DPIA past the draft are refused with nothing
/// changed; `risk:read` reads it with what it awaits; other organisations see nothing.
async fn the_api_drafts_dpias_and_reads_where_they_stand(engine: &'static str) {
    use normverk_core::org::Scope;
    use serde_json::{json, Value};
    let app = spawn_app(engine).await;
    let (org, lead) = app.org_with_member("A", "974760673", "lead@a.no", &[Role::SecurityLead]).await;
    let (other, _) = app.org_with_member("B", "923609016", "b@b.no", &[Role::SecurityLead]).await;
    let writer = app.token(&org, &[Scope::RiskWrite, Scope::RiskRead]).await;
    let reader = app.token(&org, &[Scope::RiskRead]).await;
    let theirs = app.token(&other, &[Scope::RiskRead, Scope::RiskWrite]).await;
    let created = lead.post("/processings", &[("name", "Journal"), ("role", "controller")]).await;
    let pid = id_from(created.location());
    let c = crate::common::client();
    let url = app.url("/api/v1/dpias");

    let foreign =
        c.post(&url).bearer_auth(&theirs).json(&json!({"title": "X", "processings": [pid]})).send().await.unwrap();
    assert_eq!(foreign.status(), 422, "{engine}");
    assert!(app.store.dpias(other.id).await.unwrap().is_empty());
    let forbidden = c.post(&url).bearer_auth(&reader).json(&json!({"title": "X"})).send().await.unwrap();
    assert_eq!(forbidden.status(), 403);
    let made = c
        .post(&url)
        .bearer_auth(&writer)
        .json(&json!({"title": "Journal", "processings": [pid], "purpose": "Helsehjelp"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let made: Value = made.json().await.unwrap();
    assert_eq!((made["state"].as_str(), made["purpose"].as_str()), (Some("draft"), Some("Helsehjelp")));
    assert!(made["missing"].as_array().is_some_and(|m| m.iter().any(|p| p["field"] == "necessity")));
    let one = format!("{url}/{}", made["id"]);
    let put = |token: &str, version: i64| {
        c.put(&one)
            .bearer_auth(token)
            .json(
                &json!({"version": version, "content": {"title": "Journal", "processings": [pid], "necessity": "Ja"}}),
            )
            .send()
    };
    assert_eq!(put(&theirs, 1).await.unwrap().status(), 404);
    let saved = put(&writer, 1).await.unwrap();
    assert_eq!(saved.status(), 200);
    assert_eq!(put(&writer, 1).await.unwrap().status(), 409, "stale");
    let read: Value = c.get(&one).bearer_auth(&reader).send().await.unwrap().json().await.unwrap();
    assert_eq!((read["version"].as_i64(), read["necessity"].as_str()), (Some(2), Some("Ja")));
    assert_eq!(read["awaiting_prior_consultation"], false);
    let versions: Value =
        c.get(format!("{one}/versions")).bearer_auth(&reader).send().await.unwrap().json().await.unwrap();
    assert_eq!(versions.as_array().map(Vec::len), Some(2));
    assert_eq!(c.get(&one).bearer_auth(&theirs).send().await.unwrap().status(), 404);
    let listed: Value = c.get(&url).bearer_auth(&theirs).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed, json!([]));
}
engine_tests!(the_api_drafts_dpias_and_reads_where_they_stand);
