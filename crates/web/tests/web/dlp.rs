//! The message scanner over the API and in the browser: verdicts, spans, errors, settings,
//! statistics — and that no message content is ever stored.

use crate::common::{client, spawn_app};
use normverk_core::org::{Role, Scope};
use normverk_store::engine_tests;
use serde_json::{json, Value};

const REMINDER: &str = "Hei! Du har time på psykiatrisk poliklinikk 3. mars kl. 10.30. Fnr 15108695088.";

async fn the_api_scans_sms_and_email_and_refuses_what_it_cannot(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let scanner = app.token(&org, &[Scope::DlpScan]).await;
    let reader = app.token(&org, &[Scope::OrgRead]).await;
    let url = app.url("/api/v1/dlp/scan");
    let c = client();

    let sms = json!({"channel": "sms", "text": REMINDER});
    assert_eq!(c.post(&url).bearer_auth(&reader).json(&sms).send().await.unwrap().status(), 403);
    assert_eq!(c.post(&url).json(&sms).send().await.unwrap().status(), 401);

    let r = c.post(&url).bearer_auth(&scanner).json(&sms).send().await.unwrap();
    assert_eq!(r.status(), 200, "{engine}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["verdict"], "block");
    let spans: Vec<(String, String)> = body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let (s, e) = (f["start"].as_u64().unwrap() as usize, f["end"].as_u64().unwrap() as usize);
            (f["kind"].as_str().unwrap().to_string(), REMINDER[s..e].to_string())
        })
        .collect();
    assert!(spans.contains(&("fnr".into(), "15108695088".into())), "{spans:?}");
    assert!(spans.iter().any(|(k, t)| k == "department" && t.starts_with("psykiatrisk")), "{spans:?}");
    assert_eq!(body["rewrite"], "Påminnelse: Du har time 3. mars kl. 10.30 hos oss.");

    let clean = json!({"text": "Husk timen din i morgen kl. 09.00. Bestilling A70 er registrert."});
    let body: Value = c.post(&url).bearer_auth(&scanner).json(&clean).send().await.unwrap().json().await.unwrap();
    assert_eq!((body["verdict"].as_str(), body["findings"].as_array().unwrap().len()), (Some("clean"), 0));

    // A raw e-mail: quoted-printable body, the department in the sender.
    let raw = "From: Gynekologisk poliklinikk <gyn@example.no>\r\nSubject: Svar\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nF=C3=B8dselsnummer: 151086 95088\r\n";
    let r = c.post(&url).bearer_auth(&scanner).header("content-type", "message/rfc822").body(raw).send().await.unwrap();
    let body: Value = r.json().await.unwrap();
    let found: Vec<(&str, &str, &str)> = body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let (s, e) = (f["start"].as_u64().unwrap() as usize, f["end"].as_u64().unwrap() as usize);
            (f["kind"].as_str().unwrap(), f["part"].as_str().unwrap(), &raw[s..e])
        })
        .collect();
    assert!(found.contains(&("fnr", "body", "151086 95088")), "{found:?}");
    assert!(
        found.iter().any(|(k, p, t)| *k == "sender" && *p == "sender" && t.starts_with("Gynekologisk")),
        "{found:?}"
    );

    // Wrong input: every field named, nothing scanned.
    for (bad, field) in [
        (json!({"channel": "fax", "text": "x"}), "channel"),
        (json!({"channel": "sms"}), "text"),
        (json!({"channel": "sms", "text": "x", "raw": "y"}), "raw"),
        (json!({"channel": "email", "text": "x", "raw": "y"}), "raw"),
    ] {
        let r = c.post(&url).bearer_auth(&scanner).json(&bad).send().await.unwrap();
        assert_eq!(r.status(), 422, "{bad}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    let unknown = c.post(&url).bearer_auth(&scanner).json(&json!({"txt": "x"})).send().await.unwrap();
    assert_eq!(unknown.status(), 422);
    let broken =
        c.post(&url).bearer_auth(&scanner).header("content-type", "application/json").body("{").send().await.unwrap();
    assert_eq!(broken.status(), 400);
    let plain = c.post(&url).bearer_auth(&scanner).header("content-type", "text/plain").body("x").send().await.unwrap();
    assert_eq!(plain.status(), 415);
    let huge = "a".repeat(dlp::MAX_MESSAGE_BYTES + 1);
    let r = c.post(&url).bearer_auth(&scanner).json(&json!({"text": huge})).send().await.unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // Invalid UTF-8 in a raw message is read lossily and said.
    let r = c
        .post(&url)
        .bearer_auth(&scanner)
        .header("content-type", "message/rfc822")
        .body(&b"Subject: x\r\n\r\nFnr 15108695088 \xff\xfe"[..])
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!((body["verdict"].as_str(), body["lossy"].as_bool()), (Some("block"), Some(true)));
    let empty: Value =
        c.post(&url).bearer_auth(&scanner).json(&json!({"text": ""})).send().await.unwrap().json().await.unwrap();
    assert_eq!(empty["verdict"], "clean");
}
engine_tests!(the_api_scans_sms_and_email_and_refuses_what_it_cannot);

async fn the_page_marks_findings_escapes_input_and_keeps_only_counts(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, admin) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    app.member(&org, "e@a.no", &[Role::Employee]).await;
    let page = admin.get("/dlp").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("href=\"/dlp/settings\""));

    let marker = "Zebraflamingo";
    let hostile = format!("<script>alert(1)</script> {marker}: Dg F32.1 depresjon, fnr 151086 95088");
    let result = admin.post("/dlp", &[("channel", "sms"), ("text", &hostile)]).await;
    assert_eq!(result.status, 200, "{engine}");
    assert!(!result.body.contains("<script>alert"), "input is escaped");
    assert!(result.body.contains("&#60;script&#62;") || result.body.contains("&lt;script&gt;"), "escaped, not dropped");
    assert!(result.body.contains("<mark class=\"dlp-block\"><a href=\"#finding-"), "{}", result.body);
    assert!(result.body.contains("Diagnosekode"));
    assert!(result.body.contains("151086 95088"));
    // Without the CSRF token nothing is scanned.
    let forged = admin.post_raw("/dlp", &[("channel", "sms"), ("text", "x")]).await;
    assert_eq!(forged.status, 403);

    // The page counts the message at once, before the statistics are written.
    let page = admin.get("/dlp").await;
    assert!(page.body.contains("<dt>Stoppet</dt><dd>1</dd>"), "{}", page.body);
    // Counts only: after the statistics are written, the database holds no message text.
    app.state.app.dlp.flush().await.unwrap();
    let stats = app.store.dlp_message_stats(org.id, 0).await.unwrap();
    assert_eq!(stats.iter().map(|s| s.messages).sum::<i64>(), 1);
    assert_eq!(stats[0].verdict, "block");
    let kinds = app.store.dlp_finding_stats(org.id, 0).await.unwrap();
    let kinds: Vec<&str> = kinds.iter().map(|k| k.kind.as_str()).collect();
    assert!(kinds.contains(&"fnr") && kinds.contains(&"health_code"), "{kinds:?}");
    let page = admin.get("/dlp").await;
    assert!(page.body.contains("<svg class=\"chart\""));
    if let Some(bytes) = app.sqlite_bytes() {
        assert!(bytes.len() > 10_000);
        assert!(!bytes.windows(marker.len()).any(|w| w == marker.as_bytes()), "the message was stored");
        assert!(!bytes.windows(11).any(|w| w == b"15108695088"), "the number was stored");
    }
}
engine_tests!(the_page_marks_findings_escapes_input_and_keeps_only_counts);

async fn settings_are_versioned_take_effect_and_are_for_managers_only(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, admin) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let (_, employee) = app.org_with_member("B", "923609016", "e@b.no", &[Role::Employee]).await;
    assert_eq!(employee.get("/dlp/settings").await.status, 403);
    assert_eq!(employee.get("/dlp").await.status, 200, "everyone may check a message");

    let bad = admin.post("/dlp/settings", &[("words", "ok\nsmertepumpe; nonsense; block")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("aria-invalid=\"true\""));
    assert!(app.store.dlp_settings(org.id).await.unwrap().is_none(), "a rejected form changes nothing");

    let saved = admin
        .post(
            "/dlp/settings",
            &[
                ("neutral_name", "Sørlandet sykehus"),
                ("words", "smertepumpe*; health_term; block"),
                ("allowed", "Klinikk for psykisk helse"),
                ("sev_department", "warn"),
            ],
        )
        .await;
    assert_eq!(saved.location(), Some("/dlp/settings?saved=1"), "{}", saved.body);
    assert_eq!(app.store.dlp_settings(org.id).await.unwrap().unwrap().version, 1);
    let again = admin.post("/dlp/settings", &[("neutral_name", "Sørlandet sykehus")]).await;
    assert_eq!(again.status, 303);
    assert_eq!(app.store.dlp_settings(org.id).await.unwrap().unwrap().version, 2, "versions are kept");
    admin
        .post(
            "/dlp/settings",
            &[
                ("neutral_name", "Sørlandet sykehus"),
                ("words", "smertepumpe*\nsmertesenter; Avdelingsnavn; advar"),
                ("allowed", "Klinikk for psykisk helse"),
                ("sev_department", "warn"),
            ],
        )
        .await;
    // The list is written and shown in words, never in codes.
    let shown = admin.get("/dlp/settings").await.body;
    assert!(shown.contains("smertepumpe*; Helseopplysning; stopp"), "{shown}");
    assert!(shown.contains("smertesenter; Avdelingsnavn; advar"));
    assert!(!shown.contains("; health_term"));

    let token = app.token(&org, &[Scope::DlpScan]).await;
    let url = app.url("/api/v1/dlp/scan");
    let scan = |text: &'static str| {
        let c = client();
        let (url, token) = (url.clone(), token.clone());
        async move {
            let v: Value = c
                .post(&url)
                .bearer_auth(&token)
                .json(&json!({"text": text}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v
        }
    };
    let own = scan("Smertepumpen din er klar.").await;
    assert_eq!(own["verdict"], "block", "{own}");
    let allowed = scan("Velkommen til Klinikk for psykisk helse i morgen.").await;
    assert_eq!(allowed["verdict"], "clean", "{allowed}");
    let warned = scan("Velkommen til gynekologisk poliklinikk.").await;
    assert_eq!(warned["verdict"], "warn", "{warned}");
    let rewritten = scan("Du har time hos BUP 12.03.2027 kl. 09:15. Fnr 15108695088.").await;
    assert_eq!(rewritten["rewrite"], "Påminnelse: Du har time 12.03.2027 kl. 09:15 hos Sørlandet sykehus.");
}
engine_tests!(settings_are_versioned_take_effect_and_are_for_managers_only);
