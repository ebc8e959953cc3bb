//! Deviations from report to closure: the API, the pages, who sees what, the 72-hour clock.

use crate::common::{client, spawn_app};
use normverk_core::org::{Role, Scope};
use normverk_store::engine_tests;
use serde_json::{json, Value};

fn rfc(unix: i64) -> String {
    jiff::Timestamp::from_second(unix).unwrap().to_string()
}

async fn the_api_reports_and_moves_a_deviation_in_order(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let writer = app.token(&org, &[Scope::DeviationWrite]).await;
    let reader = app.token(&org, &[Scope::OrgRead]).await;
    let deviation_reader = app.token(&org, &[Scope::DeviationRead]).await;
    let c = client();
    let now = normverk_store::unix_now();
    let report = json!({
        "title": "Epikrise sendt til feil fastlege", "description": "Sendt til feil mottaker i helsenettet.",
        "occurred_at": rfc(now - 7200), "aware_at": rfc(now - 3600), "category": "misdirected_information",
        "patients_concerned": true, "system": "DIPS"
    });
    let url = app.url("/api/v1/deviations");
    assert_eq!(c.post(&url).bearer_auth(&reader).json(&report).send().await.unwrap().status(), 403);
    let mut bad = report.clone();
    bad["aware_at"] = json!(rfc(now + 86_400));
    bad["category"] = json!("weather");
    let r = c.post(&url).bearer_auth(&writer).json(&bad).send().await.unwrap();
    assert_eq!(r.status(), 422, "{engine}");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "category", "{p}");
    let mut nul = report.clone();
    nul["title"] = json!("Feil\u{0}mottaker");
    let r = c.post(&url).bearer_auth(&writer).json(&nul).send().await.unwrap();
    assert_eq!(r.status(), 422, "{engine}: a NUL in the title");
    assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["field"], "title");
    bad["category"] = json!("other");
    let p: Value = c.post(&url).bearer_auth(&writer).json(&bad).send().await.unwrap().json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "aware_at", "{p}");
    assert!(app.store.deviations(org.id, &normverk_store::deviation::Visible::All, 10, 0).await.unwrap().is_empty());

    let r = c.post(&url).bearer_auth(&writer).json(&report).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let d: Value = r.json().await.unwrap();
    assert_eq!((d["state"].as_str(), d["number"].as_i64()), (Some("reported"), Some(1)));
    assert!(d["authority_notification_deadline"].is_null());
    let id = d["id"].as_i64().unwrap();
    let step_url = app.url(&format!("/api/v1/deviations/{id}/transitions"));
    let step = |body: Value| {
        let (c, url, token) = (client(), step_url.clone(), writer.clone());
        async move { c.post(&url).bearer_auth(&token).json(&body).send().await.unwrap() }
    };
    let out_of_order = step(json!({"to": "closed", "conclusion": "ok"})).await;
    assert_eq!(out_of_order.status(), 422);
    let missing = step(json!({"to": "facts_gathered", "timeline": ""})).await;
    assert_eq!(missing.status(), 422);
    assert_eq!(step(json!({"to": "facts_gathered", "timeline": "08:00 sendt, 09:00 oppdaget"})).await.status(), 200);
    let assessed = step(json!({"to": "assessed", "kind": "security_breach", "confidentiality": true, "integrity": false,
        "availability": false, "personal_data_breach": true, "consequences_for_data_subjects": true, "severity": "high"}))
    .await;
    let d: Value = assessed.json().await.unwrap();
    assert_eq!(d["state"], "assessed");
    assert_eq!(d["authority_notification_deadline"], rfc(now - 3600 + 72 * 3600), "72 hours after awareness");
    let proposed = step(json!({"to": "measures_proposed", "plan": "Kurs", "measures": [
        {"description": "Opplæring i adressering", "owner": "Seksjonsleder", "deadline": "2099-01-31"}]}))
    .await;
    assert_eq!(proposed.status(), 200);
    let adopted = step(json!({"to": "measures_adopted", "decision": "Vedtatt"})).await;
    assert_eq!(adopted.status(), 403, "adopting is a person's decision");
    let get = app.url(&format!("/api/v1/deviations/{id}"));
    assert_eq!(c.get(&get).bearer_auth(&reader).send().await.unwrap().status(), 403);
    assert_eq!(c.get(&get).bearer_auth(&writer).send().await.unwrap().status(), 403, "writing is not reading");
    let d: Value = c.get(&get).bearer_auth(&deviation_reader).send().await.unwrap().json().await.unwrap();
    assert_eq!((d["state"].as_str(), d["personal_data_breach"].as_bool()), (Some("measures_proposed"), Some(true)));
    // The GET, and the three steps taken: each answer shows the deviation, so each is a read.
    assert_eq!(app.store.deviation_reads(org.id, id).await.unwrap().len(), 4, "the reads were recorded");
    assert_eq!(app.store.deviation_steps(org.id, id).await.unwrap().len(), 3);
}
engine_tests!(the_api_reports_and_moves_a_deviation_in_order);

async fn from_report_to_closure_in_the_browser_with_the_clock(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, employee) = app.org_with_member("A", "974760673", "ansatt@a.no", &[Role::Employee]).await;
    let (_, other) = app.org_with_member("A", "974760673", "kollega@a.no", &[Role::Employee]).await;
    let (_, lead) = app.org_with_member("A", "974760673", "leder@a.no", &[Role::SecurityLead]).await;
    let (_, admin) = app.org_with_member("A", "974760673", "admin@a.no", &[Role::Admin]).await;

    // An employee reports; a wrong form keeps what was typed and stores nothing.
    let bad = employee
        .post(
            "/deviations",
            &[("title", "Minnepenn mistet"), ("occurred_at", "2026-11-20T10:00"), ("aware_at", "2026-11-19T10:00")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Minnepenn mistet") && bad.body.contains("aria-invalid=\"true\""));
    let ok = employee
        .post(
            "/deviations",
            &[
                ("title", "Minnepenn med pasientliste mistet"),
                ("description", "Ukryptert minnepenn mistet på bussen."),
                ("occurred_at", "2026-11-20T08:00"),
                ("aware_at", "2026-11-20T10:00"),
                ("category", "lost_equipment"),
                ("patients_concerned", "yes"),
            ],
        )
        .await;
    let location = ok.location().expect("redirect to the deviation").to_string();
    let id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();
    assert!(employee.get("/deviations").await.body.contains("Minnepenn med pasientliste mistet"));
    assert_eq!(other.get(&location).await.status, 404, "{engine}: a colleague does not see it");
    assert!(!other.get("/deviations").await.body.contains("Minnepenn"));
    assert_eq!(admin.get(&location).await.status, 404, "administering accounts is not reading deviations");
    assert!(employee.get(&location).await.body.contains("Minnepenn"), "the reporter follows it");
    let forbidden = employee.post(&format!("{location}/steps"), &[("to", "facts_gathered"), ("timeline", "x")]).await;
    assert_eq!(forbidden.status, 403, "the reporter does not handle it");

    // A step without its fields is refused in Norwegian, naming the field by its label, not its code.
    let empty = lead.post(&format!("{location}/steps"), &[("to", "facts_gathered"), ("timeline", "")]).await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("Må fylles ut.") && !empty.body.contains("timeline:"), "{}", empty.body);
    assert!(
        empty.body.contains("aria-describedby=\"timeline-hint timeline-error\" aria-invalid=\"true\"")
            && empty.body.contains("id=\"timeline-error\""),
        "the refused field is marked for screen readers"
    );
    // The security lead handles it: facts, then assessed as a breach with consequences.
    assert_eq!(
        lead.post(&format!("{location}/steps"), &[("to", "facts_gathered"), ("timeline", "Mistet 08:00")]).await.status,
        303
    );
    let assessed = lead
        .post(
            &format!("{location}/steps"),
            &[
                ("to", "assessed"),
                ("kind", "security_breach"),
                ("confidentiality", "on"),
                ("personal_data_breach", "yes"),
                ("consequences_for_data_subjects", "yes"),
                ("severity", "high"),
            ],
        )
        .await;
    assert_eq!(assessed.status, 303);
    let page = lead.get(&location).await;
    assert!(page.body.contains("Meldefrist til Datatilsynet"), "the clock shows");
    // 20 November 10:00 Oslo + 72 hours = 23 November 10:00, already passed today.
    assert!(page.body.contains("23.11.2026 kl. 10:00"), "{}", page.body);
    // The timeline names the assessment in words, in the order it was made, never by its codes.
    let timeline = page.body.split("<ol class=\"timeline\">").nth(1).and_then(|t| t.split("</ol>").next()).unwrap();
    assert!(!timeline.contains("security_breach") && !timeline.contains(">high<"), "{timeline}");
    let at = |text: &str| timeline.find(text).unwrap_or_else(|| panic!("{text} not in {timeline}"));
    assert!(at("Sikkerhetsbrudd") < at(">Ja<") && at(">Ja<") < at("Høy"), "kind, answers, severity: {timeline}");
    assert!(lead.get("/").await.body.contains(&format!("/deviations/{id}")), "and on the dashboard");

    // A late notice without a reason is refused and nothing is recorded.
    let late = lead
        .post(
            &format!("{location}/notices"),
            &[
                ("stage", "initial"),
                ("description", "Minnepenn mistet"),
                ("contact", "Personvernombud, 22 11 22 11"),
                ("sent_at", "2026-11-23T12:00"),
            ],
        )
        .await;
    assert_eq!(late.status, 422);
    assert!(late.body.contains("oppgi grunnen til forsinkelsen"), "the reason is asked for in Norwegian");
    assert!(app.store.deviation_notices(org.id, id).await.unwrap().is_empty());
    let complete = [
        ("stage", "final"),
        ("description", "Minnepenn mistet"),
        ("contact", "Personvernombud, 22 11 22 11"),
        ("sent_at", "2026-11-23T12:00"),
        ("delay_reason", "Oppdaget i helgen"),
        ("data_subject_categories", "Pasienter"),
        ("approx_data_subjects", "40"),
        ("personal_data_types", "Navn, fødselsdato, diagnose"),
        ("approx_records", "40"),
        ("likely_consequences", "Kan bli kjent for uvedkommende"),
        ("measures", "Sperret, varslet"),
    ];
    assert_eq!(lead.post(&format!("{location}/notices"), &complete).await.status, 303);
    let notices = app.store.deviation_notices(org.id, id).await.unwrap();
    assert!(notices.len() == 1 && notices[0].late);
    let print = lead.get(&format!("{location}/notice.html")).await;
    assert!(print.body.contains("Navn, fødselsdato, diagnose") && print.body.contains("Oppdaget i helgen"));
    let json = lead.get(&format!("{location}/notice.json")).await;
    let v: Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(v["notices"][0]["content"]["approx_data_subjects"], 40);

    // Through to closure: closing waits for the decision on data subjects.
    for (to, field, value) in [
        ("measures_proposed", "measures", "Kryptering av minnepenner; IT-sjef; 2099-01-31"),
        ("measures_adopted", "decision", "Vedtatt av sikkerhetsleder"),
        ("implemented", "status_report", "Kryptering innført"),
    ] {
        let mut fields = vec![("to", to), (field, value)];
        if to == "measures_proposed" {
            fields.push(("plan", "Innen januar"));
        }
        let r = lead.post(&format!("{location}/steps"), &fields).await;
        assert_eq!(r.status, 303, "{to}: {}", r.body);
    }
    let measure = app.store.deviation_measures(org.id, id).await.unwrap()[0].id;
    assert_eq!(employee.post(&format!("{location}/measures/{measure}"), &[("status", "done")]).await.status, 403);
    assert_eq!(lead.post(&format!("{location}/measures/{measure}"), &[("status", "finished")]).await.status, 422);
    assert_eq!(lead.post(&format!("{location}/measures/{measure}"), &[("status", "done")]).await.status, 303);
    assert_eq!(app.store.deviation_measures(org.id, id).await.unwrap()[0].status.as_str(), "done");
    let early = lead.post(&format!("{location}/steps"), &[("to", "closed"), ("conclusion", "Ferdig")]).await;
    assert_eq!(early.status, 422);
    assert!(early.body.contains("de registrerte skal varsles"), "{}", early.body);
    let decided = lead
        .post(
            &format!("{location}/subjects"),
            &[
                ("notify", "yes"),
                ("notice_text", "Vi har mistet en minnepenn med opplysninger om deg."),
                ("sent_how", "brev"),
                ("subjects_sent_at", "2026-11-24T09:00"),
            ],
        )
        .await;
    assert_eq!(decided.status, 303, "{}", decided.body);
    assert_eq!(
        lead.post(&format!("{location}/steps"), &[("to", "closed"), ("conclusion", "Ferdig")]).await.status,
        303
    );
    let d = app.store.deviation(org.id, id).await.unwrap();
    assert_eq!(d.state.as_str(), "closed");
    assert!(d.closed_at.is_some());
    // The security lead sees who has read it.
    let page = lead.get(&location).await;
    assert!(page.body.contains("Hvem har lest avviket") && page.body.contains("Navn ansatt@a.no"));
}
engine_tests!(from_report_to_closure_in_the_browser_with_the_clock);

async fn repeated_deviations_raise_a_task_and_statistics_export(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, lead) = app.org_with_member("A", "974760673", "leder@a.no", &[Role::SecurityLead]).await;
    let (_, employee) = app.org_with_member("A", "974760673", "ansatt@a.no", &[Role::Employee]).await;
    let now = normverk_store::unix_now();
    for i in 0..3 {
        let d = normverk_core::deviation::NewDeviation {
            title: format!("Pc mistet {i}"),
            description: "Bærbar pc".into(),
            occurred_at: now - 86_400 * (i + 1),
            aware_at: now - 86_400 * i - 3600,
            unit_id: None,
            system: Some("Bærbar".into()),
            category: normverk_core::deviation::Category::LostEquipment,
            patients_concerned: false,
            immediate_actions: String::new(),
            patient_id: None,
        };
        app.store.create_deviation(org.id, None, &d, now).await.unwrap();
    }
    let dashboard = lead.get("/").await;
    assert!(
        dashboard.body.contains("Gjentatte avvik") && dashboard.body.contains("Tapt eller stjålet utstyr"),
        "{engine}"
    );
    assert!(!employee.get("/").await.body.contains("Gjentatte avvik"));
    let stats = lead.get("/deviations/stats").await;
    assert_eq!(stats.status, 200);
    assert!(stats.body.contains("<svg class=\"chart\"") && stats.body.contains("Bærbar"));
    assert!(stats.body.contains("<dd>3</dd>"));
    // Counts kept between views are dropped when a report arrives, from anywhere: here
    // straight into the store, as another instance of normverk would.
    let fourth = normverk_core::deviation::NewDeviation {
        title: "Skriver".into(),
        description: "Utskrift lå igjen".into(),
        occurred_at: now - 600,
        aware_at: now - 300,
        unit_id: None,
        system: Some("Printer".into()),
        category: normverk_core::deviation::Category::Confidentiality,
        patients_concerned: false,
        immediate_actions: String::new(),
        patient_id: None,
    };
    let _fourth = app.store.create_deviation(org.id, None, &fourth, now).await.unwrap();
    let stats = lead.get("/deviations/stats").await;
    assert!(stats.body.contains("<dd>4</dd>") && stats.body.contains("Printer"), "{}", stats.body);
    assert_eq!(employee.get("/deviations/stats").await.status, 403);
    assert_eq!(employee.get("/deviations/export.csv").await.status, 403);
    let (status, headers, body) = lead.download("/deviations/export.xlsx").await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().contains("spreadsheetml"));
    let table = normverk_web::read_table_for_tests("avvik.xlsx", &body);
    assert_eq!(table.len(), 5, "a heading and four deviations");
    let csv = lead.get("/deviations/export.csv").await;
    assert!(csv.body.contains("Pc mistet 2"));
    // A higher threshold clears the task.
    assert_eq!(lead.post("/deviations/settings", &[("threshold", "4")]).await.status, 303);
    assert!(!lead.get("/").await.body.contains("Gjentatte avvik"));
    assert_eq!(lead.post("/deviations/settings", &[("threshold", "1")]).await.status, 422);
    // Fifty more: the list pages, newest first.
    for i in 0..50 {
        let d = normverk_core::deviation::NewDeviation {
            title: format!("Senere avvik {i}"),
            description: "x".into(),
            occurred_at: now - 60,
            aware_at: now - 30,
            unit_id: None,
            system: None,
            category: normverk_core::deviation::Category::Other,
            patients_concerned: false,
            immediate_actions: String::new(),
            patient_id: None,
        };
        app.store.create_deviation(org.id, None, &d, now).await.unwrap();
    }
    let first = lead.get("/deviations").await;
    assert!(
        first.body.contains("Senere avvik 49")
            && first.body.contains("rel=\"next\"")
            && !first.body.contains("Pc mistet")
    );
    let second = lead.get("/deviations?page=2").await;
    assert!(second.body.contains("Pc mistet 0") && second.body.contains("rel=\"prev\""));
}
engine_tests!(repeated_deviations_raise_a_task_and_statistics_export);

async fn personnel_reactions_are_for_the_security_lead_and_top_management(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, lead) = app.org_with_member("A", "974760673", "leder@a.no", &[Role::SecurityLead]).await;
    let (_, dpo) = app.org_with_member("A", "974760673", "pvo@a.no", &[Role::Dpo]).await;
    let (_, top) = app.org_with_member("A", "974760673", "topp@a.no", &[Role::TopManagement]).await;
    let now = normverk_store::unix_now();
    let d = normverk_core::deviation::NewDeviation {
        title: "Snakket om pasient på bussen".into(),
        description: "Brudd på taushetsplikten".into(),
        occurred_at: now - 7200,
        aware_at: now - 3600,
        unit_id: None,
        system: None,
        category: normverk_core::deviation::Category::Confidentiality,
        patients_concerned: true,
        immediate_actions: String::new(),
        patient_id: None,
    };
    let d = app.store.create_deviation(org.id, None, &d, now).await.unwrap();
    let path = format!("/deviations/{}", d.id);
    assert!(lead.get(&path).await.body.contains("minst gi en skriftlig advarsel"), "Normen's rule is shown");
    assert!(!dpo.get(&path).await.body.contains("Personalmessige reaksjoner"), "{engine}");
    assert_eq!(
        dpo.post(&format!("{path}/reactions"), &[("person", "Ola"), ("reaction", "written_warning")]).await.status,
        403
    );
    let too_mild = lead.post(&format!("{path}/reactions"), &[("person", "Ola"), ("reaction", "warning")]).await;
    assert_eq!(too_mild.status, 422);
    assert!(too_mild.body.contains("minst en skriftlig advarsel"));
    assert!(app.store.deviation_reactions(org.id, d.id).await.unwrap().is_empty());
    let ok = lead
        .post(
            &format!("{path}/reactions"),
            &[("person", "Ola"), ("reaction", "written_warning"), ("note", "Samtale holdt")],
        )
        .await;
    assert_eq!(ok.status, 303);
    assert!(top.get(&path).await.body.contains("Skriftlig advarsel"));
}
engine_tests!(personnel_reactions_are_for_the_security_lead_and_top_management);

async fn breach_reminders_are_mailed_at_24_48_and_66_hours_once_without_content(engine: &'static str) {
    use normverk_app::reminder::{send_breach_reminders, MailConfig, Mailer};
    let app = spawn_app(engine).await;
    let (org, _) = app.org_with_member("A", "974760673", "leder@a.no", &[Role::SecurityLead]).await;
    app.member(&org, "pvo@a.no", &[Role::Dpo]).await;
    app.member(&org, "ansatt@a.no", &[Role::Employee]).await;
    let (other, _) = app.org_with_member("B", "923609016", "leder@b.no", &[Role::SecurityLead]).await;
    let writer = app.token(&org, &[Scope::DeviationWrite]).await;
    let c = client();
    let now = normverk_store::unix_now();
    let report = json!({
        "title": "Journal lest av uvedkommende", "description": "Pasient Kari Nordmann, fnr 13116900216.",
        "occurred_at": rfc(now - 3 * 3600), "aware_at": rfc(now - 3600), "category": "unauthorised_access",
        "patients_concerned": true
    });
    let d: Value = c
        .post(app.url("/api/v1/deviations"))
        .bearer_auth(&writer)
        .json(&report)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = d["id"].as_i64().unwrap();
    let step = |body: Value| {
        let (c, url, token) = (client(), app.url(&format!("/api/v1/deviations/{id}/transitions")), writer.clone());
        async move { c.post(&url).bearer_auth(&token).json(&body).send().await.unwrap() }
    };
    assert_eq!(step(json!({"to": "facts_gathered", "timeline": "Oppdaget i loggkontroll"})).await.status(), 200);
    let assessed = step(json!({"to": "assessed", "kind": "security_breach", "confidentiality": true, "integrity": false,
        "availability": false, "personal_data_breach": true, "consequences_for_data_subjects": true, "severity": "high"}))
    .await;
    assert_eq!(assessed.status(), 200);

    let (port, mails) = crate::common::smtp_sink().await;
    let mailer = Mailer::new(&MailConfig {
        smtp_url: format!("smtp://127.0.0.1:{port}"),
        from: "normverk <normverk@a.no>".into(),
        public_url: Some("https://normverk.a.no/".into()),
    })
    .unwrap();
    let aware = now - 3600;
    assert_eq!(send_breach_reminders(&app.store, &mailer, now).await.unwrap(), 0, "nothing due in the first day");
    assert_eq!(send_breach_reminders(&app.store, &mailer, aware + 25 * 3600).await.unwrap(), 1, "{engine}");
    assert_eq!(send_breach_reminders(&app.store, &mailer, aware + 26 * 3600).await.unwrap(), 0, "sent once");
    {
        let got = mails.lock().unwrap();
        assert_eq!(got.len(), 2, "to the security lead and the DPO: {got:?}");
        let mut to: Vec<&str> = got.iter().flat_map(|(to, _)| to.iter().map(String::as_str)).collect();
        to.sort();
        assert_eq!(to, vec!["leder@a.no", "pvo@a.no"]);
        let text = &got[0].1;
        assert!(
            text.contains("48 timer igjen") && text.contains(&format!("https://normverk.a.no/deviations/{id}")),
            "{text}"
        );
        assert!(
            !text.contains("Nordmann") && !text.contains("13116900216") && !text.contains("uvedkommende"),
            "no content"
        );
    }
    // Down over the 48-hour mark: only the latest reminder due goes out when it is back.
    assert_eq!(send_breach_reminders(&app.store, &mailer, aware + 67 * 3600).await.unwrap(), 1);
    assert_eq!(send_breach_reminders(&app.store, &mailer, aware + 68 * 3600).await.unwrap(), 0);
    assert_eq!(mails.lock().unwrap().len(), 4);
    assert!(mails.lock().unwrap()[3].1.contains("6 timer igjen"));
    // Past the deadline, or once notified, no more mail; nor to another organisation.
    assert_eq!(send_breach_reminders(&app.store, &mailer, aware + 80 * 3600).await.unwrap(), 0);
    assert!(mails.lock().unwrap().iter().all(|(to, _)| !to.iter().any(|t| t.ends_with("@b.no"))));
    let _ = other;
}
engine_tests!(breach_reminders_are_mailed_at_24_48_and_66_hours_once_without_content);

async fn a_processor_reports_into_the_controllers_inbox_only_when_the_controller_takes_it(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (controller, c_lead) = app.org_with_member("Helse A", "974760673", "leder@a.no", &[Role::SecurityLead]).await;
    let (_, c_employee) = app.org_with_member("Helse A", "974760673", "ansatt@a.no", &[Role::Employee]).await;
    let (processor, p_lead) =
        app.org_with_member("Drift AS", "923609016", "leder@drift.no", &[Role::SecurityLead]).await;
    let (_, p_employee) = app.org_with_member("Drift AS", "923609016", "ansatt@drift.no", &[Role::Employee]).await;
    let (other, _) = app.org_with_member("Helse C", "983544622", "leder@c.no", &[Role::SecurityLead]).await;
    let now = normverk_store::unix_now();
    let new = normverk_core::deviation::NewDeviation {
        title: "Sikkerhetskopi av journaldata på feil lagringsområde".into(),
        description: "Oppdaget ved kontroll.".into(),
        occurred_at: now - 7200,
        aware_at: now - 3600,
        unit_id: None,
        system: Some("Backup".into()),
        category: normverk_core::deviation::Category::Confidentiality,
        patients_concerned: true,
        immediate_actions: "Flyttet".into(),
        patient_id: None,
    };
    let theirs = app.store.create_deviation(processor.id, None, &new, now).await.unwrap();
    let page = p_lead.get(&format!("/deviations/{}", theirs.id)).await;
    assert!(page.body.contains("Ingen behandlingsansvarlige i normverk tar imot avvik fra dere"), "{engine}");
    let refused =
        p_lead.post(&format!("/deviations/{}/forward", theirs.id), &[("controller", &controller.id.to_string())]).await;
    assert_eq!(refused.status, 422, "the controller has not said it takes deviations from this processor");

    // The controller's security lead names the processor; a bad number is refused.
    assert_eq!(c_lead.post("/deviations/processors", &[("org_number", "923609017")]).await.status, 422);
    assert_eq!(c_employee.post("/deviations/processors", &[("org_number", "923609016")]).await.status, 403);
    assert_eq!(c_lead.post("/deviations/processors", &[("org_number", "923 609 016")]).await.status, 303);
    assert!(c_lead.get("/deviations/stats").await.body.contains("923609016"));

    assert_eq!(
        p_employee
            .post(&format!("/deviations/{}/forward", theirs.id), &[("controller", &controller.id.to_string())])
            .await
            .status,
        404
    );
    let wrong =
        p_lead.post(&format!("/deviations/{}/forward", theirs.id), &[("controller", &other.id.to_string())]).await;
    assert_eq!(wrong.status, 422);
    assert!(app.store.deviations(other.id, &normverk_store::deviation::Visible::All, 10, 0).await.unwrap().is_empty());
    let page = p_lead.get(&format!("/deviations/{}", theirs.id)).await;
    assert!(page.body.contains("<option value=\"") && page.body.contains("Helse A"));
    let sent =
        p_lead.post(&format!("/deviations/{}/forward", theirs.id), &[("controller", &controller.id.to_string())]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let again =
        p_lead.post(&format!("/deviations/{}/forward", theirs.id), &[("controller", &controller.id.to_string())]).await;
    assert_eq!(again.status, 422, "once per controller");
    assert!(p_lead.get(&format!("/deviations/{}", theirs.id)).await.body.contains("Meldt til Helse A"));

    // In the controller's inbox: aware from now, reported by the processor.
    let inbox = app.store.deviations(controller.id, &normverk_store::deviation::Visible::All, 10, 0).await.unwrap();
    assert_eq!(inbox.len(), 1);
    let received = &inbox[0];
    assert!(received.aware_at >= now && received.reporter_id.is_none());
    let page = c_lead.get(&format!("/deviations/{}", received.id)).await;
    assert!(
        page.body.contains("Meldt av databehandler") && page.body.contains("Drift AS (923609016)"),
        "{}",
        page.body
    );
    assert_eq!(
        c_employee.get(&format!("/deviations/{}", received.id)).await.status,
        404,
        "employees see their own only"
    );
    let (status, _, json) = p_lead.download(&format!("/deviations/{}/report.json", theirs.id)).await;
    assert_eq!(status, 200);
    let json: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["processor"]["org_number"], "923609016");
    // The controller stops taking them: the processor can no longer choose it.
    assert_eq!(
        c_lead.post("/deviations/processors", &[("org_number", "923609016"), ("accept", "no")]).await.status,
        303
    );
    assert!(app.store.controllers_of("923609016").await.unwrap().is_empty());
}
engine_tests!(a_processor_reports_into_the_controllers_inbox_only_when_the_controller_takes_it);

async fn a_unit_that_deviations_refer_to_is_kept_with_a_clear_refusal(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, admin) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let unit = app.store.create_unit(org.id, "Legevakt", None, app.now()).await.unwrap();
    let child = app.store.create_unit(org.id, "Natt", Some(unit.id), app.now()).await.unwrap();
    let writer = app.token(&org, &[Scope::DeviationWrite]).await;
    let structure = app.token(&org, &[Scope::OrgWrite]).await;
    let c = client();
    let now = normverk_store::unix_now();
    let report = json!({
        "title": "Feil pasient", "description": "Journal åpnet på feil pasient.", "occurred_at": rfc(now - 7200),
        "aware_at": rfc(now - 3600), "category": "other", "patients_concerned": true, "unit_id": child.id
    });
    let r = c.post(app.url("/api/v1/deviations")).bearer_auth(&writer).json(&report).send().await.unwrap();
    assert_eq!(r.status(), 201, "{engine}");
    for (id, what) in [(unit.id, "sub-units"), (child.id, "deviations")] {
        let r = c.delete(app.url(&format!("/api/v1/units/{id}"))).bearer_auth(&structure).send().await.unwrap();
        assert_eq!(r.status(), 409, "{engine}: {what}");
        let p: Value = r.json().await.unwrap();
        assert!(p["detail"].as_str().unwrap().contains(what), "{p}");
    }
    let page = admin.post(&format!("/org/units/{}/delete", child.id), &[]).await;
    assert!(page.body.contains("avvik viser til den"), "{}", page.status);
    assert_eq!(app.store.units(org.id).await.unwrap().len(), 2, "nothing was deleted");
}
engine_tests!(a_unit_that_deviations_refer_to_is_kept_with_a_clear_refusal);

async fn reading_a_deviation_about_a_patient_is_written_to_the_access_log(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, employee) = app.org_with_member("A", "974760673", "ansatt@a.no", &[Role::Employee]).await;
    let writer = app.token(&org, &[Scope::DeviationWrite, Scope::DeviationRead]).await;
    let c = client();
    let now = normverk_store::unix_now();
    let fnr = fnr::tenor(12);
    let report = |patient: &str| {
        json!({"title": "Prøvesvar i feil journal", "description": "Lagt i journalen til en annen pasient.",
            "occurred_at": rfc(now - 7200), "aware_at": rfc(now - 3600), "category": "other",
            "patients_concerned": false, "patient_id": patient})
    };
    let url = app.url("/api/v1/deviations");
    for wrong in ["12345678901", "fnr:Apatient0", "journal:1"] {
        let r = c.post(&url).bearer_auth(&writer).json(&report(wrong)).send().await.unwrap();
        assert_eq!(r.status(), 422, "{engine}: {wrong}");
        assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["field"], "patient_id");
    }
    let r = c.post(&url).bearer_auth(&writer).json(&report(&fnr)).send().await.unwrap();
    assert_eq!(r.status(), 201, "{engine}: eleven digits, as people type them");
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["patient_id"], format!("fnr:{fnr}"), "in the access log's form");
    assert_eq!(d["patients_concerned"], true, "naming a patient is concerning patients");
    assert_eq!(app.store.access_log_size().await.unwrap(), 0, "filing is not reading");

    // The API's read is logged under the token.
    let id = d["id"].as_i64().unwrap();
    let r = c.get(app.url(&format!("/api/v1/deviations/{id}"))).bearer_auth(&writer).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // A reporter's read through the pages, under their account, in their role, in bokmål.
    let ok = employee
        .post(
            "/deviations",
            &[
                ("title", "Feil pasient i timebok"),
                ("description", "Time satt opp på feil pasient."),
                ("occurred_at", "2026-11-20T08:00"),
                ("aware_at", "2026-11-20T10:00"),
                ("category", "other"),
                ("patients_concerned", "yes"),
                ("patient_id", &fnr),
            ],
        )
        .await;
    let location = ok.location().expect("redirect to the deviation").to_string();
    let page = employee.get(&location).await;
    assert!(page.body.contains(&format!("fnr:{fnr}")) && page.body.contains("tilgangsloggen"), "{engine}");
    let entries = app.store.access_entries(0, app.store.access_log_size().await.unwrap()).await.unwrap();
    let events: Vec<normverk_core::access_log::AccessEvent> =
        entries.iter().map(|e| serde_json::from_str(e.event_json.as_deref().unwrap()).unwrap()).collect();
    assert_eq!(events.len(), 2, "{engine}: one entry per read");
    let employee_id = app.store.user_by_email("ansatt@a.no").await.unwrap().id;
    for e in &events {
        assert_eq!((e.patient_id.as_str(), e.org_number.as_str()), (format!("fnr:{fnr}").as_str(), "974760673"));
        assert_eq!((e.information_type.as_str(), e.basis.as_str()), ("avviksmelding", "quality_assurance"));
        assert_eq!(e.action.as_str(), "read");
        assert!(entries.iter().all(|x| x.org_id == org.id));
    }
    assert!(events[0].user_id.starts_with("local:normverk-api:"), "{:?}", events[0]);
    assert_eq!(events[1].user_id, format!("local:normverk:{employee_id}"));
    assert_eq!((events[1].user_role.as_str(), events[1].user_name.as_deref()), ("Ansatt", Some("Navn ansatt@a.no")));
    let reads = app.store.deviation_reads(org.id, id).await.unwrap();
    assert_eq!(reads.len(), 1, "the deviation's own list of reads is kept too");

    // A deviation without a patient is read without an entry in the access log.
    let r = c.post(&url).bearer_auth(&writer).json(&report("")).send().await.unwrap();
    let plain: Value = r.json().await.unwrap();
    assert!(plain["patient_id"].is_null());
    c.get(app.url(&format!("/api/v1/deviations/{}", plain["id"]))).bearer_auth(&writer).send().await.unwrap();
    assert_eq!(app.store.access_log_size().await.unwrap(), 2);
}
engine_tests!(reading_a_deviation_about_a_patient_is_written_to_the_access_log);
