//! Browser journey through Debian's chromium, driven over WebDriver (chromedriver) from Rust,
//! with axe-core checking every page visited. Skips with a message when chromium,
//! chromedriver or axe-core is missing, unless NORMVERK_REQUIRE_E2E=1.

use crate::common::{spawn_app, PASSWORD};
use base64::Engine as _;
use normverk_store::engine_tests;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn find_executable(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file()))
}

/// What the journey needs, or why it cannot run.
fn prerequisites() -> Result<(PathBuf, PathBuf, String), String> {
    let chromium = find_executable(&["chromium", "chromium-browser"]).ok_or("chromium is not installed")?;
    let driver = find_executable(&["chromedriver"]).ok_or("chromedriver is not installed")?;
    let axe_path = repo_root().join("e2e/node_modules/axe-core/axe.min.js");
    let axe = std::fs::read_to_string(&axe_path)
        .map_err(|_| format!("axe-core is missing at {} (run: npm ci --prefix e2e)", axe_path.display()))?;
    Ok((chromium, driver, axe))
}

/// The prerequisites, or `None` after saying why the test is skipped; fails instead when
/// NORMVERK_REQUIRE_E2E=1.
fn prerequisites_or_skip() -> Option<(PathBuf, PathBuf, String)> {
    match prerequisites() {
        Ok(p) => Some(p),
        Err(why) if std::env::var("NORMVERK_REQUIRE_E2E").as_deref() != Ok("1") => {
            eprintln!("skipping browser test: {why}");
            None
        }
        Err(why) => panic!("NORMVERK_REQUIRE_E2E=1 but {why}"),
    }
}

struct Driver {
    process: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Driver {
    async fn start(path: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let process = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver { process, base: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new() };
        for _ in 0..100 {
            if let Ok(r) = driver.http.get(format!("{}/status", driver.base)).send().await {
                if r.status().is_success() {
                    return driver;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start");
    }

    async fn session(&self, chromium: &Path, profile: &Path) -> Session {
        self.session_with_downloads(chromium, profile, profile).await
    }

    async fn session_with_downloads(&self, chromium: &Path, profile: &Path, downloads: &Path) -> Session {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "prefs": {
                    "intl.accept_languages": "nb-NO,nb",
                    "download.default_directory": downloads,
                    "download.prompt_for_download": false
                },
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-quic", "--no-first-run", "--lang=nb-NO", "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let r: Value =
            self.http.post(format!("{}/session", self.base)).json(&caps).send().await.unwrap().json().await.unwrap();
        let id = r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {r}")).to_string();
        let session = Session { url: format!("{}/session/{id}", self.base), http: self.http.clone() };
        // Element look-ups wait for the next page instead of racing it.
        session.cmd(reqwest::Method::POST, "/timeouts", Some(json!({"implicit": 5000}))).await;
        session
    }
}

struct Session {
    url: String,
    http: reqwest::Client,
}

impl Session {
    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.try_cmd(method, path, body).await.unwrap_or_else(|e| panic!("WebDriver {path}: {e}"))
    }

    /// A WebDriver command: its value, or the error WebDriver answered.
    async fn try_cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r: Value = req.send().await.unwrap().json().await.unwrap();
        if r["value"]["error"].is_string() {
            return Err(r["value"].clone());
        }
        Ok(r["value"].clone())
    }

    /// Does `act` (a path under the element) on the element `css` finds. Just after a click
    /// that navigates, the element may be found on the page being left and be gone by the time
    /// it is acted on; it is then found again, on the new page.
    async fn on_element(&self, css: &str, act: &str, body: Value) {
        for _ in 0..50 {
            let id = self.find(css).await;
            match self.try_cmd(reqwest::Method::POST, &format!("/element/{id}/{act}"), Some(body.clone())).await {
                Ok(_) => return,
                Err(e) if e["error"] == "stale element reference" => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("WebDriver {act} on {css}: {e}"),
            }
        }
        panic!("{css} went stale every time");
    }

    async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self.cmd(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await;
        v[ELEMENT].as_str().unwrap().to_string()
    }

    async fn fill(&self, css: &str, text: &str) {
        self.on_element(css, "clear", json!({})).await;
        self.on_element(css, "value", json!({"text": text})).await;
    }

    async fn click(&self, css: &str) {
        self.on_element(css, "click", json!({})).await;
    }

    /// Sets a field's value directly (a date input, whose typed form depends on the locale).
    async fn set_value(&self, css: &str, value: &str) {
        let script = "document.querySelector(arguments[0]).value = arguments[1];";
        self.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": [css, value]}))).await;
    }

    async fn current_path(&self) -> String {
        let url = self.cmd(reqwest::Method::GET, "/url", None).await.as_str().unwrap().to_string();
        url.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap_or_default()
    }

    /// Waits for the navigation a click started to land on `expected`.
    async fn wait_for_path(&self, expected: &str) {
        self.wait_until_at(|p| p == expected, expected).await;
    }

    /// Waits for the navigation a click started to land on a path that `at` accepts (`what`
    /// says which, for the failure), and returns it. Waiting for a text alone can pass on the
    /// page the click left, if it shows the same text.
    async fn wait_until_at(&self, at: impl Fn(&str) -> bool, what: &str) -> String {
        let mut path = String::new();
        for _ in 0..100 {
            path = self.current_path().await;
            if at(&path) {
                return path;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected to reach {what}, still at {path}");
    }

    async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{id}/text"), None).await.as_str().unwrap().to_string()
    }

    async fn screenshot(&self, dir: &Path, name: &str) {
        let png = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD.decode(png.as_str().unwrap()).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }

    /// Runs axe-core on the page; fails on any serious or critical violation.
    async fn assert_accessible(&self, axe: &str, what: &str) {
        let script = format!(
            "{axe}\nconst done = arguments[arguments.length - 1];\
             axe.run(document, {{resultTypes: ['violations']}}).then(r => done(JSON.stringify(r.violations))).catch(e => done('ERROR ' + e));"
        );
        let out = self.cmd(reqwest::Method::POST, "/execute/async", Some(json!({"script": script, "args": []}))).await;
        let text = out.as_str().unwrap_or("");
        assert!(!text.starts_with("ERROR"), "axe failed on {what}: {text}");
        let violations: Vec<Value> = serde_json::from_str(text).unwrap();
        let bad: Vec<String> = violations
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| format!("{} ({}): {} – {}", v["id"], v["impact"], v["help"], v["nodes"][0]["html"]))
            .collect();
        assert!(bad.is_empty(), "accessibility violations on {what}:\n{}", bad.join("\n"));
    }

    /// Fails when the page is wider than the window: something does not fit a phone.
    async fn assert_fits_width(&self, what: &str) {
        // The page's width, the window's, and the first element reaching past the window.
        let script = "const w = window.innerWidth; \
            const over = [...document.querySelectorAll('body *')].find(e => e.getBoundingClientRect().right > w + 1); \
            return [document.documentElement.scrollWidth, w, over ? over.outerHTML.slice(0, 200) : ''];";
        let out = self.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []}))).await;
        let (page, window) = (out[0].as_i64().unwrap_or(0), out[1].as_i64().unwrap_or(0));
        assert!(page <= window, "{what} is {page} px wide in a window of {window} px: {}", out[2]);
    }

    async fn accept_alert(&self) {
        for _ in 0..50 {
            let r: Value = self
                .http
                .post(format!("{}/alert/accept", self.url))
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if !r["value"]["error"].is_string() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no confirmation dialog appeared");
    }

    /// Waits until the page shows `needle` (the page a submitted form leads to has loaded).
    async fn wait_for_text(&self, needle: &str) {
        for _ in 0..100 {
            if self.page_source().await.contains(needle) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never showed {needle:?}");
    }

    async fn page_source(&self) -> String {
        self.cmd(reqwest::Method::GET, "/source", None).await.as_str().unwrap_or("").to_string()
    }

    async fn close(&self) {
        let _ = self.http.delete(&self.url).send().await;
    }
}

async fn first_journey_setup_logout_login_dashboard_language(engine: &'static str) {
    let Some((chromium, driver_path, axe)) = prerequisites_or_skip() else { return };
    let driver = Driver::start(&driver_path).await;
    let shots = repo_root().join("target/e2e-screenshots").join(engine);
    std::fs::create_dir_all(&shots).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let app = spawn_app(engine).await;
    let b = driver.session(&chromium, profile.path()).await;
    let token = app.setup_token().await.unwrap();

    b.goto(&app.url(&format!("/setup?token={token}"))).await;
    b.screenshot(&shots, "01-setup").await;
    b.assert_accessible(&axe, "setup").await;
    b.fill("#org_name", "Fjordlegen legekontor").await;
    b.fill("#org_number", "974760674").await;
    b.fill("#name", "Kari Nordmann").await;
    b.fill("#email", "kari@fjordlegen.no").await;
    b.fill("#password", PASSWORD).await;
    b.fill("#password_confirm", PASSWORD).await;
    b.click("button[type=submit].primary").await;
    let error = b.text("#org_number-error").await;
    assert!(error.contains("kontrollsifferet"), "{engine}: {error}");
    b.screenshot(&shots, "02-setup-error").await;
    b.assert_accessible(&axe, "setup with errors").await;
    b.fill("#org_number", "974760673").await;
    b.fill("#password", PASSWORD).await;
    b.fill("#password_confirm", PASSWORD).await;
    b.click("button[type=submit].primary").await;
    b.wait_for_path("/").await;
    assert_eq!(b.text("h1").await, "Fjordlegen legekontor");
    b.screenshot(&shots, "03-dashboard").await;
    b.assert_accessible(&axe, "dashboard").await;

    b.click(".user-menu button").await;
    b.wait_for_path("/login").await;
    b.screenshot(&shots, "04-logged-out").await;
    b.assert_accessible(&axe, "login").await;
    b.fill("#email", "kari@fjordlegen.no").await;
    b.fill("#password", PASSWORD).await;
    b.click("button[type=submit].primary").await;
    b.wait_for_path("/").await;
    b.screenshot(&shots, "05-logged-in").await;

    let pages = [
        ("/org/units", "06-units"),
        ("/org/members", "07-members"),
        ("/org/tokens", "08-tokens"),
        ("/account", "09-account"),
        ("/catalog?q=tilgang", "09a-catalog-search"),
        ("/catalog/requirements/5.2.1.1-01", "09b-requirement"),
        ("/catalog/glossary", "09c-glossary"),
        ("/access-log", "09d-access-log"),
        ("/access-log/settings", "09j-access-log-settings"),
        ("/systems", "09e-systems"),
        ("/processings", "09h-processings"),
        ("/assets", "09i-assets"),
        ("/deviations", "09f-deviations"),
        ("/dlp", "09g-message-check"),
        ("/risk", "09k-risk"),
        ("/risk/matrix", "09l-risk-matrix"),
        ("/risk/register", "09m-risk-register"),
        ("/risk/dpia", "09n-dpia"),
        ("/risk/threats", "09o-risk-threats"),
        ("/authz", "09p-authz"),
        ("/authz/templates", "09q-authz-templates"),
    ];
    for (path, name) in pages {
        b.goto(&app.url(path)).await;
        b.screenshot(&shots, name).await;
        b.assert_accessible(&axe, path).await;
    }

    // Every page of a fresh install fits a phone; the auditors' page is calm.
    b.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": 360, "height": 800}))).await;
    for (path, name) in pages {
        b.goto(&app.url(path)).await;
        b.screenshot(&shots, &format!("{name}-phone")).await;
        b.assert_fits_width(path).await;
    }
    assert!(!b.page_source().await.contains("alert error"), "{engine}: nothing red on a fresh install");
    b.goto(&app.url("/access-log")).await;
    assert!(!b.page_source().await.contains("alert error"), "{engine}: nothing red on a fresh install");
    b.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": 1280, "height": 900}))).await;

    b.goto(&app.url("/")).await;
    b.click("#lang-select option[value=en]").await;
    b.click(".lang-switch button").await;
    b.wait_for_text("Overview").await;
    assert_eq!(b.text(".main-nav a[aria-current=page]").await, "Overview", "{engine}: switched to English");
    b.screenshot(&shots, "10-english").await;
    b.assert_accessible(&axe, "dashboard in English").await;
    b.close().await;
    eprintln!("{engine}: screenshots in {}", shots.display());
}
engine_tests!(first_journey_setup_logout_login_dashboard_language);

#[tokio::test]
async fn assessment_journey_search_answer_evidence_freeze_chart_export() {
    let Some((chromium, driver_path, axe)) = prerequisites_or_skip() else { return };
    let driver = Driver::start(&driver_path).await;
    let shots = repo_root().join("target/e2e-screenshots/assessment");
    std::fs::create_dir_all(&shots).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let app = spawn_app("sqlite").await;
    let (org, _) = app
        .org_with_member("Fjordlegen", "974760673", "leder@fjordlegen.no", &[normverk_core::org::Role::SecurityLead])
        .await;
    let b = driver.session_with_downloads(&chromium, profile.path(), downloads.path()).await;

    b.goto(&app.url("/login")).await;
    b.fill("#email", "leder@fjordlegen.no").await;
    b.fill("#password", PASSWORD).await;
    b.click("button[type=submit].primary").await;
    b.wait_for_path("/").await;

    // Search the catalogue.
    b.goto(&app.url("/catalog")).await;
    b.fill("#q", "tilgang").await;
    b.click(".filters button[type=submit]").await;
    b.wait_for_text("tilgangsstyring").await;
    b.screenshot(&shots, "01-search").await;
    b.assert_accessible(&axe, "catalogue search").await;

    // Start a round.
    b.goto(&app.url("/assessment")).await;
    b.fill("#name", "Egenvurdering 2026").await;
    b.click("form[action='/assessment/rounds'] button").await;
    // The click returns before the form's request is done: wait for the round to exist.
    let mut started = None;
    for _ in 0..100 {
        started = app.store.latest_round(org.id).await.unwrap();
        if started.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let round = started.expect("round started");
    b.wait_for_path(&format!("/assessment/rounds/{}", round.id)).await;

    // "Ikke relevant" without a justification is refused; with one it is saved.
    let answer = format!("/assessment/rounds/{}/requirements/5.3.6-01", round.id);
    b.goto(&app.url(&answer)).await;
    b.click("#status-not_relevant").await;
    b.click("form.form button.primary").await;
    assert!(b.text("#justification-error").await.contains("Skriv hvorfor"));
    b.screenshot(&shots, "02-justification-required").await;
    b.assert_accessible(&axe, "answer with an error").await;
    b.fill("#justification", "Vi har ikke medisinsk utstyr som behandler helseopplysninger.").await;
    b.click("form.form button.primary").await;
    assert!(b.text(".alert.success").await.contains("lagret"));

    // Attach evidence.
    let pdf = downloads.path().join("rutine.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n% Rutine for medisinsk utstyr\n").unwrap();
    let input = b.find("#file").await;
    b.cmd(reqwest::Method::POST, &format!("/element/{input}/value"), Some(json!({"text": pdf.to_string_lossy()})))
        .await;
    b.click("form[enctype='multipart/form-data'] button").await;
    b.wait_for_text("rutine.pdf").await;
    b.screenshot(&shots, "03-answered-with-evidence").await;
    b.assert_accessible(&axe, "answer page").await;

    // The chart, then freeze the round.
    b.goto(&app.url(&format!("/assessment/rounds/{}", round.id))).await;
    assert!(b.page_source().await.contains("class=\"chart\""));
    b.screenshot(&shots, "04-chart").await;
    b.assert_accessible(&axe, "assessment overview").await;
    b.click(&format!("form[action='/assessment/rounds/{}/freeze'] button", round.id)).await;
    b.accept_alert().await;
    for _ in 0..50 {
        if app.store.round(org.id, round.id).await.unwrap().frozen_at.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(app.store.round(org.id, round.id).await.unwrap().frozen_at.is_some(), "the round is frozen");
    b.wait_for_text("frosset").await;
    b.screenshot(&shots, "05-frozen").await;

    // Export XLSX through the browser and read the downloaded file back.
    b.click(&format!("a[href='/assessment/rounds/{}/export.xlsx']", round.id)).await;
    let mut file = None;
    for _ in 0..100 {
        file = std::fs::read_dir(downloads.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "xlsx"));
        if file.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let file = file.expect("the XLSX export was downloaded");
    let table = normverk_web::read_table_for_tests("export.xlsx", &std::fs::read(&file).unwrap());
    let row = table.iter().find(|r| r[0] == "5.3.6-01").expect("the answered requirement is in the export");
    assert_eq!(row[5], "Ikke relevant");
    assert!(row[6].contains("medisinsk utstyr"));
    assert_eq!(table.len(), 503);

    // The access log: events reported by a system, searched by the security lead.
    let writer = app.token(&org, &[normverk_core::org::Scope::AccessLogWrite]).await;
    let events: Vec<serde_json::Value> = (0..3)
        .map(|i| {
            serde_json::json!({
                "occurred_at": "2026-11-20T08:15:00+01:00", "duration_s": 30, "user_id": "hpr:9144897",
                "user_name": "Kari Lege", "user_role": "lege", "org_number": "974760673", "unit": "Legekontoret",
                "patient_id": format!("fnr:1311690021{i}"), "information_type": "journalnotat", "action": "read",
                "basis": if i == 0 { "break_glass" } else { "care_relation" },
                "basis_reason": if i == 0 { Some("Bevisstløs pasient") } else { None }
            })
        })
        .collect();
    let resp = crate::common::client()
        .post(app.url("/api/v1/access-events"))
        .bearer_auth(&writer)
        .json(&events)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    for _ in 0..100 {
        if app.store.access_indexed_until().await.unwrap() >= 3 && app.store.access_log_head().await.unwrap().is_some()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.goto(&app.url("/access-log")).await;
    b.fill("#patient_id", "fnr:13116900210").await;
    b.click(".filters button[type=submit]").await;
    b.wait_for_text("Bevisstløs pasient").await;
    b.screenshot(&shots, "08-access-log").await;
    b.assert_accessible(&axe, "access log search").await;

    // The message check: a draft reminder pasted, its findings marked, a safe text offered.
    b.goto(&app.url("/dlp")).await;
    b.fill("#text", "Hei! Du har time på psykiatrisk poliklinikk 3. mars kl. 10.30. Fnr 15108695088.").await;
    b.click("form[action='/dlp#dlp-result'] button[type=submit]").await;
    b.wait_for_text("kan ikke sendes slik den er").await;
    assert!(b.page_source().await.contains("<mark class=\"dlp-block\">"));
    assert!(b.text("#rewrite").await.contains("Påminnelse: Du har time 3. mars kl. 10.30 hos oss."));
    b.screenshot(&shots, "09-message-check").await;
    b.assert_accessible(&axe, "message check").await;
    // Systems: a critical system depends on another, which inherits its class with the path.
    b.goto(&app.url("/systems")).await;
    b.fill("#name", "EPJ").await;
    b.click("#criticality option[value=critical]").await;
    b.click("form[action='/systems'] button[type=submit]").await;
    let epj = b.wait_until_at(|p| p.starts_with("/systems/"), "the system's page").await;
    b.wait_for_text("Avhengigheter").await;
    b.goto(&app.url("/systems")).await;
    b.fill("#name", "Databaseserver").await;
    b.click("#criticality option[value=tolerable]").await;
    b.click("form[action='/systems'] button[type=submit]").await;
    b.wait_for_text("Avhengigheter").await;
    b.goto(&app.url(&epj)).await;
    b.click("#depends_on option:nth-child(2)").await;
    b.click("form[action$='/dependencies'] button[type=submit]").await;
    b.wait_for_text("Fjern avhengigheten").await;
    b.goto(&app.url("/systems")).await;
    b.wait_for_text("arvet fra EPJ").await;
    b.screenshot(&shots, "09a-systems").await;
    b.assert_accessible(&axe, "systems register").await;
    b.goto(&app.url(&epj)).await;
    b.screenshot(&shots, "09b-system-map").await;
    b.assert_accessible(&axe, "system with its dependency map").await;
    // The protokoll: a processing that uses EPJ, what it lacks shown, exported as XLSX and
    // the downloaded file read back.
    let epj_id = epj.rsplit('/').next().unwrap().to_string();
    b.goto(&app.url("/processings/new")).await;
    b.fill("#name", "Pasientbehandling").await;
    b.fill("#purposes", "Helsehjelp til listepasienter").await;
    b.click("#legal_basis option[value=c]").await;
    b.click(&format!("#systems option[value='{epj_id}']")).await;
    b.assert_accessible(&axe, "new processing").await;
    b.click("form[action='/processings'] button[type=submit]").await;
    b.wait_for_text("Dette mangler av minimumsinnholdet").await;
    let source = b.page_source().await;
    assert!(source.contains("Planlagt sletting") && source.contains(&format!("href=\"/systems/{epj_id}\"")));
    b.screenshot(&shots, "09c-processing").await;
    b.assert_accessible(&axe, "processing with what it lacks").await;
    b.goto(&app.url("/processings")).await;
    b.wait_for_text("Mangler").await;
    b.assert_accessible(&axe, "protokoll").await;
    b.click("a[href='/processings/export.xlsx']").await;
    let mut file = None;
    for _ in 0..100 {
        file = std::fs::read_dir(downloads.path()).unwrap().flatten().map(|e| e.path()).find(|p| {
            p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("protokoll-"))
                && p.extension().is_some_and(|x| x == "xlsx")
        });
        if file.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let file = file.expect("the protokoll was downloaded");
    let table = normverk_web::read_table_for_tests("protokoll.xlsx", &std::fs::read(&file).unwrap());
    assert_eq!(table.len(), 2, "{table:?}");
    assert_eq!((table[0][0].as_str(), table[1][0].as_str()), ("Behandling", "Pasientbehandling"));
    assert!(table[1].contains(&"6 (1) c – rettslig forpliktelse".to_string()));
    assert_eq!(table[1].last().map(String::as_str), Some("EPJ"));
    b.goto(&app.url("/assets")).await;
    b.fill("#identifier", "PC-0142").await;
    b.click("#kind option[value=computer]").await;
    b.click("form[action='/assets'][method=post] button[type=submit]").await;
    b.wait_for_text("endret ").await;
    b.assert_accessible(&axe, "asset").await;
    b.goto(&app.url("/assets")).await;
    b.wait_for_text("PC-0142").await;
    b.screenshot(&shots, "09d-assets").await;
    b.assert_accessible(&axe, "assets").await;
    b.goto(&app.url("/dlp/settings")).await;
    b.fill("#neutral_name", "Fjordlegen").await;
    b.click("form[action='/dlp/settings'] button[type=submit]").await;
    b.wait_for_text("Innstillingene er lagret").await;
    b.screenshot(&shots, "10-message-check-settings").await;
    b.assert_accessible(&axe, "message check settings").await;
    b.close().await;
}

#[tokio::test]
async fn deviation_journey_report_assess_clock_notice_close() {
    let Some((chromium, driver_path, axe)) = prerequisites_or_skip() else { return };
    let driver = Driver::start(&driver_path).await;
    let shots = repo_root().join("target/e2e-screenshots/deviations");
    std::fs::create_dir_all(&shots).unwrap();
    let app = spawn_app("sqlite").await;
    use normverk_core::org::Role;
    let (org, _) = app.org_with_member("Fjordlegen", "974760673", "ansatt@fjordlegen.no", &[Role::Employee]).await;
    app.member(&org, "leder@fjordlegen.no", &[Role::SecurityLead]).await;
    let login = |email: &'static str| {
        let (chromium, app_login) = (chromium.clone(), app.url("/login"));
        let driver = &driver;
        async move {
            let profile = tempfile::tempdir().unwrap();
            let b = driver.session(&chromium, profile.path()).await;
            b.goto(&app_login).await;
            b.fill("#email", email).await;
            b.fill("#password", PASSWORD).await;
            b.click("button[type=submit].primary").await;
            b.wait_for_path("/").await;
            (b, profile)
        }
    };

    // An employee reports in under a minute, on a phone-sized screen.
    let (employee, _p1) = login("ansatt@fjordlegen.no").await;
    employee.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": 390, "height": 844}))).await;
    employee.goto(&app.url("/deviations/new")).await;
    employee.assert_accessible(&axe, "report form").await;
    employee.fill("#title", "Epikrise sendt til feil fastlege").await;
    employee.fill("#description", "Epikrisen gikk til en fastlege med samme navn.").await;
    employee.click("#category option[value=misdirected_information]").await;
    employee.click("#patients-yes").await;
    employee.screenshot(&shots, "01-report-phone").await;
    employee.click("form[action='/deviations'] button[type=submit]").await;
    let path = employee
        .wait_until_at(
            |p| p.strip_prefix("/deviations/").is_some_and(|id| id.parse::<i64>().is_ok()),
            "the deviation's page",
        )
        .await;
    employee.wait_for_text("Avvik 1").await;
    employee.assert_accessible(&axe, "reported deviation").await;
    employee.close().await;

    // The security lead gathers facts and assesses a personal data breach: the clock shows.
    let (lead, _p2) = login("leder@fjordlegen.no").await;
    lead.goto(&app.url(&path)).await;
    lead.fill("#timeline", "08:10 sendt, 09:00 oppdaget av sekretær").await;
    lead.click("form[action$='/steps'] button[type=submit]").await;
    lead.wait_for_text("Neste steg: Vurdert").await;
    lead.click("#kind option[value=security_breach]").await;
    lead.click("#confidentiality").await;
    lead.click("#pdb-yes").await;
    lead.click("#cons-yes").await;
    lead.click("#severity option[value=high]").await;
    lead.click("form[action$='/steps'] button[type=submit]").await;
    lead.wait_for_text("Meldefrist til Datatilsynet").await;
    assert!(lead.text(".clock-box .clock").await.contains("igjen"));
    lead.screenshot(&shots, "02-clock").await;
    lead.assert_accessible(&axe, "deviation with the clock").await;
    lead.goto(&app.url("/")).await;
    assert!(lead.text("#breaches-heading").await.contains("Datatilsynet"), "the dashboard shows the clock");

    // The notice is recorded in time (sent now), complete.
    lead.goto(&app.url(&path)).await;
    lead.click("#stage option[value=final]").await;
    lead.fill("#n-data_subject_categories", "Pasienter").await;
    lead.fill("#n-personal_data_types", "Navn, diagnose").await;
    lead.fill("#n-likely_consequences", "Opplysninger kjent for annen lege").await;
    lead.fill("#n-measures", "Mottaker har slettet").await;
    lead.fill("#n-approx_data_subjects", "1").await;
    lead.fill("#n-approx_records", "1").await;
    lead.fill("#n-contact", "Personvernombud Per, 22 11 22 11").await;
    lead.click("form[action$='/notices'] button[type=submit]").await;
    lead.wait_for_text("Datatilsynet ble varslet").await;
    lead.click("#notify-no").await;
    lead.click("#exemption option[value=subsequent_measures]").await;
    lead.fill("#justification", "Mottaker har bekreftet sletting").await;
    lead.click("form[action$='/subjects'] button[type=submit]").await;
    lead.wait_for_text("Mottaker har bekreftet sletting").await;
    for (to, field, text, shown) in [
        (
            "measures_proposed",
            "#measures",
            "Dobbeltsjekk av mottaker; Seksjonsleder; 2099-01-31",
            "Dobbeltsjekk av mottaker",
        ),
        ("measures_adopted", "#decision", "Vedtatt i møte", "Vedtatt i møte"),
        ("implemented", "#status_report", "Innført i december", "Innført i december"),
        ("closed", "#conclusion", "Lukket etter kontroll", "Lukket etter kontroll"),
    ] {
        lead.fill(field, text).await;
        if to == "measures_proposed" {
            lead.fill("#plan", "Innen januar").await;
        }
        lead.click("form[action$='/steps'] button[type=submit]").await;
        lead.wait_for_text(shown).await;
    }
    assert!(lead.page_source().await.contains("aria-current=\"step\" class=\"current\">Lukket"));
    lead.screenshot(&shots, "03-closed").await;

    // A second breach, discovered four days ago: a notice without a reason is refused.
    let token = app.token(&org, &[normverk_core::org::Scope::DeviationWrite]).await;
    let now = normverk_store::unix_now();
    let rfc = |t: i64| jiff::Timestamp::from_second(t).unwrap().to_string();
    let c = crate::common::client();
    let d: Value = c
        .post(app.url("/api/v1/deviations"))
        .bearer_auth(&token)
        .json(&json!({"title": "Minnepenn mistet", "description": "Ukryptert minnepenn", "occurred_at": rfc(now - 4 * 86400),
            "aware_at": rfc(now - 4 * 86400), "category": "lost_equipment", "patients_concerned": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = d["id"].as_i64().unwrap();
    for step in [
        json!({"to": "facts_gathered", "timeline": "Mistet på bussen"}),
        json!({"to": "assessed", "kind": "security_breach", "confidentiality": true, "integrity": false, "availability": false,
               "personal_data_breach": true, "consequences_for_data_subjects": true, "severity": "high"}),
    ] {
        let r = c
            .post(app.url(&format!("/api/v1/deviations/{id}/transitions")))
            .bearer_auth(&token)
            .json(&step)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    lead.goto(&app.url(&format!("/deviations/{id}"))).await;
    assert!(lead.text(".clock-box .clock").await.contains("Fristen gikk ut"));
    lead.fill("#n-contact", "Personvernombud Per").await;
    lead.click("form[action$='/notices'] button[type=submit]").await;
    lead.wait_for_text("oppgi grunnen til forsinkelsen").await;
    lead.assert_accessible(&axe, "late notice refused").await;
    lead.screenshot(&shots, "04-late-refused").await;
    lead.fill("#n-delay_reason", "Oppdaget av vikar som ikke kjente rutinen").await;
    lead.click("form[action$='/notices'] button[type=submit]").await;
    lead.wait_for_text("etter fristen").await;
    lead.close().await;
}

/// Risk management from trigger to approval, as one person of a small practice does it (security
/// lead, data protection officer and top management at once): repeated deviations open an
/// assessment from the dashboard; an event is scored; its residual risk above the level is
/// accepted with an expiry; the assessment is approved and the heat maps drawn; a processing is
/// screened as needing a DPIA, which gets the DPO's advice and is approved.
#[tokio::test]
async fn risk_journey_deviations_assessment_acceptance_heat_map_dpia() {
    let Some((chromium, driver_path, axe)) = prerequisites_or_skip() else { return };
    let driver = Driver::start(&driver_path).await;
    let shots = repo_root().join("target/e2e-screenshots/risk");
    std::fs::create_dir_all(&shots).unwrap();
    let app = spawn_app("sqlite").await;
    use normverk_core::org::Role;
    let roles = [Role::SecurityLead, Role::Dpo, Role::TopManagement];
    let (org, _) = app.org_with_member("Fjordlegen", "974760673", "leder@fjordlegen.no", &roles).await;
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
    let profile = tempfile::tempdir().unwrap();
    let b = driver.session(&chromium, profile.path()).await;
    b.goto(&app.url("/login")).await;
    b.fill("#email", "leder@fjordlegen.no").await;
    b.fill("#password", PASSWORD).await;
    b.click("button[type=submit].primary").await;
    b.wait_for_path("/").await;

    // The dashboard's task opens the assessment.
    b.click("section[aria-labelledby=repeats-heading] form button").await;
    let assessment = b.wait_until_at(|p| p.starts_with("/risk/assessments/"), "the assessment").await;
    b.wait_for_text("Gjentatte avvik: Tapt eller stjålet utstyr").await;
    b.click("#threat option[value=lost_device]").await;
    b.click("form[action$='/events'] button[type=submit]").await;
    let event = b.wait_until_at(|p| p.ends_with("/events/1"), "the first event").await;
    b.wait_for_text("Mistet eller stjålet utstyr").await;

    // Scored above the level; the measures bring it down, but not within it.
    b.click("#confidentiality option[value='4']").await;
    b.click("#privacy option[value='4']").await;
    b.click("#likelihood option[value='4']").await;
    b.fill("#reasoning", "Mange bærbare maskiner uten kryptering").await;
    b.click("#residual_likelihood option[value='3']").await;
    b.click("#residual_consequence option[value='4']").await;
    b.click(&format!("form[action='{event}'] button[type=submit]")).await;
    b.wait_for_text("Over akseptkriteriene").await;
    b.assert_accessible(&axe, "scored event").await;

    // Top management accepts the residual risk with a justification and an expiry.
    let next_year = normverk_app::clock::date_in_norway(now + 365 * 86_400);
    b.fill("#justification", "Kryptering rulles ut i løpet av våren").await;
    b.set_value("#expires_on", &next_year).await;
    b.click("form[action$='/accept'] button[type=submit]").await;
    b.wait_for_text("Kryptering rulles ut i løpet av våren").await;
    b.screenshot(&shots, "01-accepted").await;

    // Approved and frozen; the heat maps show it, before and after the measures.
    b.goto(&app.url(&assessment)).await;
    b.click("form[action$='/approve'] button[type=submit]").await;
    b.wait_for_text("Start neste vurdering fra denne").await;
    b.goto(&app.url("/risk")).await;
    let overview = b.page_source().await;
    assert_eq!(overview.matches("<svg class=\"chart heat\"").count(), 2, "inherent next to residual");
    b.screenshot(&shots, "02-heat-maps").await;
    b.assert_accessible(&axe, "risk overview").await;

    // A processing screened as needing a DPIA: two criteria.
    b.goto(&app.url("/processings/new")).await;
    b.fill("#name", "Videokonsultasjon").await;
    b.click("input[name=dpia_criteria][value=sensitive_data]").await;
    b.click("input[name=dpia_criteria][value=new_technology]").await;
    b.fill("#dpia_reasons", "Helseopplysninger over en ny videoplattform").await;
    b.click("form[action='/processings'] button[type=submit]").await;
    b.wait_for_text("Screeningen viser at en personvernkonsekvensvurdering er påkrevd").await;
    b.assert_accessible(&axe, "screened processing").await;
    b.click("a[href^='/risk/dpia?processing=']").await;
    b.wait_for_text("Start en personvernkonsekvensvurdering").await;
    b.fill("#title", "Videokonsultasjon").await;
    let aid = assessment.rsplit('/').next().unwrap().to_string();
    b.click(&format!("#assessment_id option[value='{aid}']")).await;
    b.click("form[action='/risk/dpia'] button[type=submit]").await;
    b.wait_for_text("Innhold (Normen 3.4)").await;
    b.fill("#description", "Pasienter møter legen på video fra hjemmet.").await;
    b.fill("#purpose", "Helsehjelp uten oppmøte").await;
    b.fill("#necessity", "Et alternativ til oppmøte; bare nødvendige opplysninger behandles.").await;
    b.click("form.form button[type=submit].primary").await;
    b.wait_for_text("Send til personvernombudet").await;
    b.click("form:has(input[name=step][value=send]) button").await;
    b.wait_for_text("Registrer rådet").await;
    b.fill("#note", "Krev ende-til-ende-kryptering og logg oppslag.").await;
    b.click("form:has(input[name=step][value=advise]) button").await;
    b.wait_for_text("Godkjenn vurderingen").await;
    b.click("form:has(input[name=step][value=approve]) button").await;
    b.wait_for_text("Godkjent av øverste ledelse").await;
    assert!(b.page_source().await.contains("Krev ende-til-ende-kryptering"));
    b.screenshot(&shots, "03-dpia-approved").await;
    b.assert_accessible(&axe, "approved DPIA").await;
    b.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": 360, "height": 800}))).await;
    b.assert_fits_width("approved DPIA").await;

    // The authorization register: a person added, their page with the grant form.
    b.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": 1280, "height": 900}))).await;
    b.goto(&app.url("/authz")).await;
    b.fill("#name", "Kari Lege").await;
    b.fill("#hpr", "9144897").await;
    b.click("form[action='/authz/people'] button[type=submit]").await;
    b.wait_for_text("Gi autorisasjon").await;
    b.assert_accessible(&axe, "a person in the authorization register").await;
    b.screenshot(&shots, "04-authz-person").await;
    b.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": 360, "height": 800}))).await;
    b.assert_fits_width("a person in the authorization register").await;
    b.close().await;
}

/// Signs in on a fresh browser session.
async fn signed_in(
    driver: &Driver,
    chromium: &Path,
    app: &crate::common::TestApp,
    email: &str,
) -> (Session, tempfile::TempDir) {
    let profile = tempfile::tempdir().unwrap();
    let b = driver.session(chromium, profile.path()).await;
    b.goto(&app.url("/login")).await;
    b.fill("#email", email).await;
    b.fill("#password", PASSWORD).await;
    b.click("button[type=submit].primary").await;
    b.wait_for_path("/").await;
    (b, profile)
}

#[tokio::test]
async fn authz_journey_template_grant_cross_enterprise_refused_review_by_two_managers() {
    let Some((chromium, driver_path, axe)) = prerequisites_or_skip() else { return };
    let driver = Driver::start(&driver_path).await;
    let shots = repo_root().join("target/e2e-screenshots/authz");
    std::fs::create_dir_all(&shots).unwrap();
    let app = spawn_app("sqlite").await;
    use normverk_core::org::Role;
    let (org, _) =
        app.org_with_member("Fjordlegen", "974760673", "sikkerhet@fjordlegen.no", &[Role::SecurityLead]).await;
    app.org_with_member("Fjordlegen", "974760673", "akutt@fjordlegen.no", &[Role::Manager]).await;
    app.org_with_member("Fjordlegen", "974760673", "lab@fjordlegen.no", &[Role::Manager]).await;
    let now = app.now();
    let ward = app.store.create_unit(org.id, "Akuttmottak", None, now).await.unwrap();
    let lab = app.store.create_unit(org.id, "Laboratoriet", None, now).await.unwrap();
    let members = app.store.members(org.id).await.unwrap();
    let uid = |email: &str| members.iter().find(|m| m.email == email).unwrap().user_id;
    app.store.set_managed_units(org.id, uid("akutt@fjordlegen.no"), &[ward.id]).await.unwrap();
    app.store.set_managed_units(org.id, uid("lab@fjordlegen.no"), &[lab.id]).await.unwrap();
    let epj = normverk_core::system::NewSystem::new("DIPS Arena", normverk_core::system::Criticality::Critical);
    let epj = app.store.create_system(org.id, &epj, now).await.unwrap();
    let register = &app.state.app.authz;
    let lead = crate::common::security_lead(uid("sikkerhet@fjordlegen.no"));
    let rights = |r: Vec<normverk_core::authz::Right>| {
        vec![normverk_core::authz::SystemRights { system_id: epj.id, rights: r, break_glass: true }]
    };
    use normverk_core::authz::Right;
    let template = normverk_core::authz::Template {
        name: "Lege i akuttmottaket".into(),
        role: "Lege".into(),
        purpose: "Helsehjelp i akuttmottaket".into(),
        systems: rights(vec![Right::Read, Right::Register]),
    };
    register.save_template(org.id, None, template).await.unwrap();
    let person = |name: &str, unit: i64| normverk_core::authz::PersonIn {
        name: name.into(),
        unit_id: Some(unit),
        ..Default::default()
    };
    let kari = register.add_person(org.id, "974760673", person("Kari Lege", ward.id), &lead).await.unwrap();
    let ola = register.add_person(org.id, "974760673", person("Ola Bioingeniør", lab.id), &lead).await.unwrap();
    let g = normverk_core::authz::Grant {
        role: "Bioingeniør".into(),
        purpose: "Prøvesvar".into(),
        systems: rights(vec![Right::Read]),
        valid_from: "2026-01-01".into(),
        ..Default::default()
    };
    register.grant(org.id, ola, g, &lead).await.unwrap();

    // The ward's manager grants from the role template; access to another enterprise's data
    // without an end is refused.
    let (b, _profile) = signed_in(&driver, &chromium, &app, "akutt@fjordlegen.no").await;
    b.goto(&app.url(&format!("/authz/people/{kari}"))).await;
    b.click("form.filters button[type=submit]").await;
    b.wait_for_text("Lege i akuttmottaket").await;
    b.click("form[action$='/grants'] button[type=submit].primary").await;
    b.wait_for_text("DIPS Arena: lese, registrere (nødtilgang)").await;
    b.fill("#purpose", "Samarbeid om pasienter med Fjordkommune").await;
    b.click(&format!("input[name=s{}][value=read]", epj.id)).await;
    b.fill("#enterprise_name", "Fjordkommune").await;
    b.fill("#enterprise_number", "974760673").await;
    b.click("form[action$='/grants'] button[type=submit].primary").await;
    b.wait_for_text("alltid være tidsbegrenset").await;
    b.screenshot(&shots, "01-cross-enterprise-refused").await;
    b.assert_accessible(&axe, "a grant refused").await;
    b.close().await;

    // The security lead starts the yearly review.
    let (b, _profile) = signed_in(&driver, &chromium, &app, "sikkerhet@fjordlegen.no").await;
    b.wait_for_text("Den årlige tilgangskontrollen er forfalt").await;
    b.goto(&app.url("/authz/reviews")).await;
    b.assert_accessible(&axe, "the access reviews").await;
    b.fill("#title", "Årlig tilgangskontroll 2026").await;
    b.set_value("#deadline", "2099-01-31").await;
    b.click("form[action='/authz/reviews'] button[type=submit].primary").await;
    b.wait_for_text("Ledernes andeler").await;
    b.screenshot(&shots, "02-review-started").await;
    b.assert_accessible(&axe, "an access review").await;
    b.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": 360, "height": 800}))).await;
    b.assert_fits_width("an access review").await;
    b.close().await;
    let review = app.store.reviews(org.id).await.unwrap()[0].id;

    // Two managers answer their shares: the ward's revokes, the lab's keeps.
    let (b, _profile) = signed_in(&driver, &chromium, &app, "akutt@fjordlegen.no").await;
    b.wait_for_text("venter på svarene dine").await;
    b.goto(&app.url(&format!("/authz/reviews/{review}"))).await;
    b.click("input[name=decision][value=revoke]").await;
    b.fill("form[action*='/lines/'] input[name=reason]", "Flyttet til poliklinikken").await;
    b.click("form[action*='/lines/'] button[type=submit]").await;
    b.wait_for_text("Trekk tilbake</strong>: Flyttet til poliklinikken").await;
    b.close().await;
    let (b, _profile) = signed_in(&driver, &chromium, &app, "lab@fjordlegen.no").await;
    b.goto(&app.url(&format!("/authz/reviews/{review}"))).await;
    b.click("input[name=decision][value=keep]").await;
    b.click("form[action*='/lines/'] button[type=submit]").await;
    b.wait_for_text("Fullført").await;
    b.screenshot(&shots, "03-review-complete").await;

    // The register's history shows both answers.
    b.goto(&app.url(&format!("/authz/people/{ola}"))).await;
    b.wait_for_text("Bekreftet i tilgangskontroll").await;
    b.close().await;
    let (b, _profile) = signed_in(&driver, &chromium, &app, "sikkerhet@fjordlegen.no").await;
    b.goto(&app.url(&format!("/authz/people/{kari}"))).await;
    b.wait_for_text("Trukket tilbake: Årlig tilgangskontroll 2026: Flyttet til poliklinikken").await;
    b.goto(&app.url(&format!("/authz/reviews/{review}/report"))).await;
    b.wait_for_text("Flyttet til poliklinikken").await;
    b.assert_accessible(&axe, "an access review's report").await;

    // The register's pages and the reviews' fit a phone.
    b.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": 360, "height": 800}))).await;
    let pages = [
        format!("/authz/reviews/{review}/report"),
        format!("/authz/reviews/{review}"),
        "/authz/reviews".to_string(),
        "/authz".to_string(),
        format!("/authz/people/{kari}"),
        "/authz/templates".to_string(),
    ];
    for path in pages {
        b.goto(&app.url(&path)).await;
        b.assert_fits_width(&path).await;
    }
    b.close().await;
}
