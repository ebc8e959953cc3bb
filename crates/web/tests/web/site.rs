//! Setting up, signing in, sessions, CSRF, headers and the API basics.

use crate::common::{client, spawn_app, spawn_app_at, PASSWORD};
use normverk_core::account::SessionPolicy;
use normverk_core::org::{Role, Scope};
use normverk_store::engine_tests;
use normverk_store::org::ManagedUnit;
use normverk_web::WebConfig;

async fn setup_link_creates_the_first_organisation_and_admin_once(engine: &'static str) {
    let app = spawn_app(engine).await;
    let token = app.setup_token().await.unwrap();
    let b = app.browser();
    let login = b.get("/login").await;
    assert!(login.body.contains("ikke satt opp"), "login page points to the setup link");

    let page = b.get(&format!("/setup?token={token}")).await;
    assert_eq!(page.status, 200, "{engine}");
    let csrf = page.csrf();
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("token", token.as_str()),
        ("org_name", "Fjordlegen <AS>"),
        ("org_number", "974760674"),
        ("org_kind", "gp_office"),
        ("name", "Kari Nordmann"),
        ("email", "kari@fjordlegen.no"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    let refused = b.post_raw("/setup", &form).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("kontrollsifferet stemmer ikke"), "clear message for a wrong check digit");
    assert!(refused.body.contains("value=\"Fjordlegen &#60;AS&#62;\""), "values kept and escaped: {}", refused.body);
    assert!(!refused.body.contains(PASSWORD), "passwords are not echoed back");
    assert_eq!(app.store.count_users().await.unwrap(), 0, "a refused setup creates nothing");

    form[3] = ("org_number", "974760673");
    let done = b.post_raw("/setup", &form).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), Some("/"));
    let cookie = done.headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let dash = b.get("/").await;
    assert_eq!(dash.status, 200);
    assert!(
        dash.body.contains("<h1>Fjordlegen &#60;AS&#62;</h1>") && dash.body.contains("Administrator"),
        "{}",
        dash.body
    );

    let again = app.browser().get(&format!("/setup?token={token}")).await;
    assert_eq!(again.status, 410);
    assert!(again.body.contains("allerede satt opp"));
    let unknown = app.browser().get("/setup?token=nonsense").await;
    assert_eq!(unknown.status, 410);
    assert!(app.setup_token().await.is_none());
}
engine_tests!(setup_link_creates_the_first_organisation_and_admin_once);

#[tokio::test]
async fn expired_setup_link_gets_a_clear_page() {
    let app = spawn_app("sqlite").await;
    let hash = normverk_store::account::secret_hash("old-link");
    app.store.create_setup_token(&hash, 0, 3600).await.unwrap();
    let page = app.browser().get("/setup?token=old-link").await;
    assert_eq!(page.status, 410);
    assert!(page.body.contains("utløpt"), "{}", page.body);
}

async fn login_logout_and_throttling(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (_, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    app.org_with_member("A", "974760673", "b@a.no", &[Role::Employee]).await;
    let b = app.browser();
    assert_eq!(b.get("/").await.location(), Some("/login"));
    let wrong = b.login("a@a.no", "feil passord her").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("Feil e-post eller passord"));
    let unknown = b.login("nobody@a.no", "feil passord her").await;
    assert!(unknown.body.contains("Feil e-post eller passord"), "same message for unknown accounts");
    for _ in 0..4 {
        b.login("a@a.no", "feil passord her").await;
    }
    let locked = b.login("a@a.no", PASSWORD).await;
    assert_eq!(locked.status, 401, "{engine}: locked even with the right password");
    assert!(locked.body.contains("For mange mislykkede forsøk"));
    let other = app.browser();
    assert_eq!(other.login("b@a.no", PASSWORD).await.status, 303, "other accounts are not locked");
    assert_eq!(other.get("/").await.status, 200);
    let out = other.post("/logout", &[]).await;
    assert_eq!(out.location(), Some("/login"));
    assert!(!other.has_cookie("nv_session"));
    assert_eq!(other.get("/").await.location(), Some("/login"));
}
engine_tests!(login_logout_and_throttling);

#[tokio::test]
async fn sessions_end_after_the_idle_timeout() {
    let config =
        WebConfig { session: SessionPolicy { idle_timeout_s: 1, absolute_timeout_s: 3600 }, ..WebConfig::default() };
    let clock = normverk_app::Clock::fixed(normverk_store::unix_now());
    let app = spawn_app_at("sqlite", config, clock.clone()).await;
    let (_, b) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    assert_eq!(b.get("/").await.status, 200, "within the idle time");
    clock.advance(2);
    assert_eq!(b.get("/").await.location(), Some("/login"));
}

async fn forms_without_a_valid_csrf_token_are_refused(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, b) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let none = b.post_raw("/org/units", &[("name", "Uten token")]).await;
    assert_eq!(none.status, 403);
    assert!(none.body.contains("Last inn siden på nytt"));
    let wrong = b.post_raw("/org/units", &[("csrf", "x".repeat(43).as_str()), ("name", "Feil token")]).await;
    assert_eq!(wrong.status, 403);
    // A token from another (anonymous) visitor is not this session's token.
    let stranger = app.browser().get("/login").await.csrf();
    assert_eq!(b.post_raw("/org/units", &[("csrf", &stranger), ("name", "Fremmed")]).await.status, 403);
    assert!(app.store.units(org.id).await.unwrap().is_empty(), "{engine}: nothing created");
    let ok = b.post("/org/units", &[("name", "Akuttmottak")]).await;
    assert_eq!(ok.status, 303);
    assert_eq!(app.store.units(org.id).await.unwrap().len(), 1);
    // Login itself needs the pre-session token.
    let anon = app.browser();
    assert_eq!(anon.post_raw("/login", &[("email", "a@a.no"), ("password", PASSWORD)]).await.status, 403);
}
engine_tests!(forms_without_a_valid_csrf_token_are_refused);

#[tokio::test]
async fn pages_carry_security_headers_and_errors_are_friendly() {
    let app = spawn_app("sqlite").await;
    let b = app.browser();
    let page = b.get("/login").await;
    let csp = page.headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(page.headers.get("x-content-type-options").unwrap(), "nosniff");
    assert!(page.headers.get("referrer-policy").is_some());
    let missing = b.get("/no/such/page").await;
    assert_eq!(missing.status, 404);
    assert!(missing.content_type().starts_with("text/html"));
    assert!(missing.body.contains("Fant ikke siden"));
    let api_missing = b.get("/api/v1/nothing").await;
    assert_eq!(api_missing.status, 404);
    assert_eq!(api_missing.content_type(), "application/problem+json");
    assert_eq!(b.get("/healthz").await.body, "ok");
    assert_eq!(b.get("/readyz").await.status, 200);
    // A non-numeric id is a 404 page, not a stack trace.
    let (_, admin) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let bad = admin.get("/org/units/abc").await;
    assert!(bad.status == 400 || bad.status == 404, "{}", bad.status);
    assert!(bad.content_type().starts_with("text/html"));
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let app = spawn_app("sqlite").await;
    let (org, b) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let big = "x".repeat(2 * 1024 * 1024);
    let page = b.post("/org/units", &[("name", big.as_str())]).await;
    assert_eq!(page.status, 413);
    assert!(page.body.contains("For mye data"));
    let token = app.token(&org, &[Scope::OrgWrite]).await;
    let body = format!("{{\"name\": \"{big}\"}}");
    let resp = client()
        .post(app.url("/api/v1/units"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    assert!(app.store.units(org.id).await.unwrap().is_empty());
}

async fn api_tokens_are_scoped_revocable_and_errors_are_problems(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, admin) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let c = client();
    let api = |path: &str| app.url(path);

    let anon = c.get(api("/api/v1/org")).send().await.unwrap();
    assert_eq!(anon.status(), 401);
    assert_eq!(anon.headers()["content-type"], "application/problem+json");
    let bad = c.get(api("/api/v1/org")).bearer_auth("nvk_nonsense").send().await.unwrap();
    assert_eq!(bad.status(), 401);

    // Issue through the UI: the token is shown once.
    let created = admin.post("/org/tokens", &[("name", "EPJ-integrasjon"), ("scope", "org:read")]).await;
    assert_eq!(created.status, 200);
    let start = created.body.find("nvk_").expect("token shown once");
    let read_token: String = created.body[start..].chars().take_while(|c| *c != '"').collect();
    let list = admin.get("/org/tokens").await.body;
    assert!(!list.contains(&read_token), "never shown again");
    let row = list.split("EPJ-integrasjon").nth(1).and_then(|r| r.split("</tr>").next()).unwrap_or_default();
    assert!(row.contains("Lese virksomheten: enheter") && !row.contains("org:read"), "the scope by name: {row}");

    let me = c.get(api("/api/v1/org")).bearer_auth(&read_token).send().await.unwrap();
    assert_eq!(me.status(), 200, "{engine}");
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["org_number"], "974760673");
    let stored = app.store.tokens(org.id).await.unwrap();
    assert!(stored[0].last_used_at.is_some(), "last use recorded");

    let denied = c
        .post(api("/api/v1/units"))
        .bearer_auth(&read_token)
        .json(&serde_json::json!({"name": "X"}))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 403, "read scope cannot write");
    let members = c.get(api("/api/v1/members")).bearer_auth(&read_token).send().await.unwrap();
    assert_eq!(members.status(), 403, "members' e-mail addresses need members:read");
    let scanner = app.token(&org, &[Scope::DlpScan]).await;
    for path in ["/api/v1/org", "/api/v1/members", "/api/v1/systems", "/api/v1/assessment/rounds"] {
        let r = c.get(api(path)).bearer_auth(&scanner).send().await.unwrap();
        assert_eq!(r.status(), 403, "dlp:scan alone reads nothing: {path}");
    }
    let lower = c.get(api("/api/v1/org")).header("authorization", format!("bearer {read_token}")).send().await.unwrap();
    assert_eq!(lower.status(), 200, "the scheme is case-insensitive");

    let write = app.token(&org, &[Scope::OrgWrite]).await;
    let malformed = c
        .post(api("/api/v1/units"))
        .bearer_auth(&write)
        .header("content-type", "application/json")
        .body("{\"name\":")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(malformed.headers()["content-type"], "application/problem+json");
    for body in ["{\"name\": \"A\", \"name\": \"B\"}", "{\"name\": \"A\", \"x\": {\"k\": 1, \"k\": 2}}"] {
        let twice = c
            .post(api("/api/v1/units"))
            .bearer_auth(&write)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(twice.status(), 400, "a key twice is refused, not last-wins: {body}");
    }
    let array = c.post(api("/api/v1/units")).bearer_auth(&write).json(&serde_json::json!([["A"]])).send().await;
    assert_eq!(array.unwrap().status(), 422, "one JSON object, not an array");
    let control = c.post(api("/api/v1/units")).bearer_auth(&write).json(&serde_json::json!({"name": "A\u{0}B"})).send();
    assert_eq!(control.await.unwrap().status(), 422, "no control characters in a name");
    assert!(app.store.units(org.id).await.unwrap().is_empty(), "nothing refused was stored");
    let wrong_type = c
        .post(api("/api/v1/units"))
        .bearer_auth(&write)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);
    let empty = c
        .post(api("/api/v1/units"))
        .bearer_auth(&write)
        .json(&serde_json::json!({"name": "   "}))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 422);
    let problem: serde_json::Value = empty.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "name");
    let unknown_field = c
        .post(api("/api/v1/units"))
        .bearer_auth(&write)
        .json(&serde_json::json!({"name": "A", "colour": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_field.status(), 422);
    let parentless = c
        .post(api("/api/v1/units"))
        .bearer_auth(&write)
        .json(&serde_json::json!({"name": "A", "parent_id": 999999}))
        .send()
        .await
        .unwrap();
    assert_eq!(parentless.status(), 422);
    assert!(app.store.units(org.id).await.unwrap().is_empty(), "{engine}: rejected requests change nothing");

    let made = c
        .post(api("/api/v1/units"))
        .bearer_auth(&write)
        .json(&serde_json::json!({"name": "Legevakt"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let unit: serde_json::Value = made.json().await.unwrap();
    let got = c.get(api(&format!("/api/v1/units/{}", unit["id"]))).bearer_auth(&read_token).send().await.unwrap();
    assert_eq!(got.status(), 200);

    // Revoke in the UI; the token stops working at once.
    let id = app.store.tokens(org.id).await.unwrap().iter().find(|t| t.name == "EPJ-integrasjon").unwrap().id;
    assert_eq!(admin.post(&format!("/org/tokens/{id}/revoke"), &[]).await.status, 303);
    assert_eq!(c.get(api("/api/v1/org")).bearer_auth(&read_token).send().await.unwrap().status(), 401);
}
engine_tests!(api_tokens_are_scoped_revocable_and_errors_are_problems);

async fn fifty_concurrent_api_writers_never_see_database_locked(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let token = app.token(&org, &[Scope::OrgWrite]).await;
    let url = app.url("/api/v1/units");
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (url, token) = (url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let resp = client()
                .post(url)
                .bearer_auth(token)
                .json(&serde_json::json!({"name": format!("Enhet {i}")}))
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }));
    }
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 201, "{engine}: {body}");
    }
    assert_eq!(app.store.units(org.id).await.unwrap().len(), 50);
}
engine_tests!(fifty_concurrent_api_writers_never_see_database_locked);

#[tokio::test]
async fn openapi_document_is_served_and_matches_the_committed_file() {
    let app = spawn_app("sqlite").await;
    let served = client().get(app.url("/api/openapi.json")).send().await.unwrap().text().await.unwrap();
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.json")).unwrap();
    assert_eq!(
        served, committed,
        "openapi.json is out of date: run `cargo run -q -- openapi > openapi.json` and commit it"
    );
    let doc: serde_json::Value = serde_json::from_str(&served).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for route in normverk_web::route_table().iter().filter(|r| r.path.starts_with("/api/v1/")) {
        let method = route.method.to_lowercase();
        assert!(
            doc["paths"][route.path.as_str()][&method].is_object(),
            "{} {} is not documented",
            route.method,
            route.path
        );
    }
    // Every request body shows an integrator an example, for each media type it takes.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (media, content) in op["requestBody"]["content"].as_object().into_iter().flatten() {
                let mut schema = &content["schema"];
                if let Some(name) = schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
                    schema = &doc["components"]["schemas"][name];
                }
                let shown = [&content["example"], &content["examples"], &schema["example"], &schema["examples"]];
                assert!(shown.iter().any(|e| !e.is_null()), "{method} {path} ({media}) has no example");
            }
        }
    }
}

#[tokio::test]
async fn language_follows_accept_language_then_the_users_choice() {
    let app = spawn_app("sqlite").await;
    let mut anon = app.browser();
    anon.accept_language = Some("en-GB,en;q=0.9".into());
    let page = anon.get("/login").await;
    assert!(page.body.contains("<html lang=\"en\">") && page.body.contains("Log in"));
    let (_, b) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    assert!(b.get("/").await.body.contains("Oversikt"));
    let switched = b.post("/account/language", &[("lang", "en"), ("back", "/org/units")]).await;
    assert_eq!(switched.location(), Some("/org/units"));
    assert!(b.get("/").await.body.contains("Overview"));
    let hostile = b.post("/account/language", &[("lang", "nb"), ("back", "//evil.example")]).await;
    assert_eq!(hostile.location(), Some("/"), "no open redirect");
    assert_eq!(b.post("/account/language", &[("lang", "xx")]).await.status, 404);
}

async fn roles_limit_what_people_may_do(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, _admin) = app.org_with_member("A", "974760673", "admin@a.no", &[Role::Admin]).await;
    let (_, employee) = app.org_with_member("A", "974760673", "ansatt@a.no", &[Role::Employee]).await;
    let (_, auditor) = app.org_with_member("A", "974760673", "revisor@a.no", &[Role::Auditor]).await;
    let (_, lead) = app.org_with_member("A", "974760673", "leder@a.no", &[Role::SecurityLead]).await;
    for who in [&employee, &auditor] {
        assert_eq!(who.post("/org/units", &[("name", "X")]).await.status, 403);
        assert_eq!(who.get("/org/tokens").await.status, 403);
        assert_eq!(who.post("/org/members", &[("email", "n@a.no"), ("role", "admin")]).await.status, 403);
        assert_eq!(who.get("/org/units").await.status, 200, "everyone reads");
    }
    assert_eq!(lead.post("/org/units", &[("name", "Sikkerhet")]).await.status, 303);
    assert_eq!(lead.get("/org/tokens").await.status, 403, "{engine}: only admins issue tokens");
    assert_eq!(app.store.units(org.id).await.unwrap().len(), 1);
}
engine_tests!(roles_limit_what_people_may_do);

async fn admins_manage_members_and_passwords(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, admin) = app.org_with_member("A", "974760673", "admin@a.no", &[Role::Admin]).await;
    let short = admin
        .post("/org/members", &[("email", "ny@a.no"), ("name", "Ny"), ("password", "kort"), ("role", "employee")])
        .await;
    assert_eq!(short.status, 422);
    assert!(short.body.contains("minst 12 tegn"));
    let added = admin
        .post(
            "/org/members",
            &[
                ("email", "Ny@A.no"),
                ("name", "Ny Person"),
                ("password", PASSWORD),
                ("role", "employee"),
                ("role", "dpo"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let user = app.store.user_by_email("ny@a.no").await.unwrap();
    assert_eq!(app.store.roles(org.id, user.id).await.unwrap(), vec![Role::Dpo, Role::Employee]);

    let newcomer = app.browser();
    assert_eq!(newcomer.login("ny@a.no", PASSWORD).await.status, 303);
    assert_eq!(newcomer.get("/").await.status, 200);
    // An admin reset logs the person out everywhere.
    let reset =
        admin.post(&format!("/org/members/{}/password", user.id), &[("password", "et helt nytt passord")]).await;
    assert_eq!(reset.status, 200);
    assert_eq!(newcomer.get("/").await.location(), Some("/login"), "{engine}");
    assert_eq!(newcomer.login("ny@a.no", "et helt nytt passord").await.status, 303);

    // Own password change keeps this session, needs the current password.
    let wrong = newcomer
        .post(
            "/account/password",
            &[
                ("current", PASSWORD),
                ("password", "enda et nytt passord"),
                ("password_confirm", "enda et nytt passord"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    let ok = newcomer
        .post(
            "/account/password",
            &[
                ("current", "et helt nytt passord"),
                ("password", "enda et nytt passord"),
                ("password_confirm", "enda et nytt passord"),
            ],
        )
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(newcomer.get("/").await.status, 200);

    // The last administrator cannot remove their own admin role.
    let me = app.store.user_by_email("admin@a.no").await.unwrap();
    let demote = admin.post(&format!("/org/members/{}/roles", me.id), &[("role", "employee")]).await;
    assert_eq!(demote.status, 422);
    assert_eq!(app.store.roles(org.id, me.id).await.unwrap(), vec![Role::Admin]);
}
engine_tests!(admins_manage_members_and_passwords);

#[tokio::test]
async fn people_in_several_organisations_switch_between_them() {
    let app = spawn_app("sqlite").await;
    let (a, b) = app.org_with_member("Alfa", "974760673", "x@a.no", &[Role::Admin]).await;
    let (beta, _) = app.org_with_member("Beta", "983544622", "y@b.no", &[Role::Admin]).await;
    let user = app.store.user_by_email("x@a.no").await.unwrap();
    app.store.set_roles(beta.id, user.id, &[Role::Auditor], app.now()).await.unwrap();
    let dash = b.get("/").await;
    assert!(dash.body.contains("id=\"org-switch\""), "switcher shown for people in several organisations");
    assert!(dash.body.contains("<h1>Alfa</h1>"));
    assert_eq!(b.post("/org/switch", &[("org_id", &beta.id.to_string())]).await.status, 303);
    let dash = b.get("/").await;
    assert!(dash.body.contains("<h1>Beta</h1>") && dash.body.contains("Revisor"));
    assert_eq!(b.post("/org/switch", &[("org_id", "999999")]).await.status, 404);
    assert!(b.get("/").await.body.contains("<h1>Beta</h1>"));
    let _ = a;
}

async fn managers_are_given_units_of_their_own_organisation(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, admin) = app.org_with_member("A", "974760673", "admin@a.no", &[Role::Admin]).await;
    let (other, _) = app.org_with_member("B", "983544622", "b@b.no", &[Role::Admin]).await;
    let lead = app.member(&org, "leder@a.no", &[Role::Manager]).await;
    let unit = app.store.create_unit(org.id, "Sengepost 3", None, app.now()).await.unwrap();
    let foreign = app.store.create_unit(other.id, "Fremmed enhet", None, app.now()).await.unwrap();
    let page = admin.get(&format!("/org/members/{lead}")).await;
    assert!(page.body.contains("Sengepost 3"), "units offered to a manager");
    let saved = admin.post(&format!("/org/members/{lead}/units"), &[("unit_id", &unit.id.to_string())]).await;
    assert_eq!(saved.status, 200, "{engine}");
    assert!(saved.body.contains("Enhetene er lagret"));
    let refused = admin
        .post(
            &format!("/org/members/{lead}/units"),
            &[("unit_id", &unit.id.to_string()), ("unit_id", &foreign.id.to_string())],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        app.store.managed_units(org.id).await.unwrap(),
        vec![ManagedUnit { user_id: lead, unit_id: unit.id }],
        "refused change kept nothing"
    );
    let token = app.token(&org, &[Scope::MembersRead]).await;
    let json: serde_json::Value = client()
        .get(app.url(&format!("/api/v1/members/{lead}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["managed_unit_ids"], serde_json::json!([unit.id]));
}
engine_tests!(managers_are_given_units_of_their_own_organisation);

/// Reads until the server closes the connection; the time it took, or None if it stayed open.
async fn closed_within(stream: &mut tokio::net::TcpStream, limit: std::time::Duration) -> Option<std::time::Duration> {
    use tokio::io::AsyncReadExt;
    let started = std::time::Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit.saturating_sub(started.elapsed()), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn slow_and_idle_clients_are_shed_and_cannot_starve_the_server() {
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;
    let limits = normverk_web::Limits {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(1),
        max_connections: 32,
    };
    let app = crate::common::spawn_app_with("sqlite", WebConfig { limits, ..WebConfig::default() }).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let connect = || tokio::net::TcpStream::connect(addr.clone());
    let wait = Duration::from_secs(5);

    let mut silent = connect().await.unwrap();
    let mut partial = connect().await.unwrap();
    partial.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut bodiless = connect().await.unwrap();
    bodiless
        .write_all(b"POST /api/v1/dlp/scan HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{")
        .await
        .unwrap();
    let mut kept = connect().await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    for (name, stream) in [
        ("silent", &mut silent),
        ("partial head", &mut partial),
        ("body that never comes", &mut bodiless),
        ("idle keep-alive", &mut kept),
    ] {
        let took = closed_within(stream, wait).await;
        assert!(took.is_some_and(|t| t < Duration::from_secs(4)), "{name}: {took:?}");
    }

    // Far more idle connections than the cap: the newest still get in, the idlest make room.
    let mut idle = Vec::new();
    for _ in 0..100 {
        idle.push(connect().await.unwrap());
    }
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let r = client().get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    }
    let mut shed = 0;
    for stream in &mut idle {
        if closed_within(stream, Duration::from_millis(50)).await.is_some() {
            shed += 1;
        }
    }
    assert!(shed >= 100 - 32, "the idlest were closed to make room: {shed}");
}
