//! Test kit: the real server on a free port over a fresh database, and a small cookie-keeping
//! HTTP client that behaves like a browser without JavaScript.

use normverk_core::org::{OrgKind, OrgNumber, Role};
use normverk_store::account::NewUser;
use normverk_store::org::{NewOrg, Org};
use normverk_store::testing::{test_db, TestDb};
use normverk_store::Store;
use normverk_web::{AppState, WebConfig};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const PASSWORD: &str = "korrekt hest batteri stift";

pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub state: AppState,
    _db: TestDb,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// The access log's key in tests: fixed, so tests can verify what the server signed.
pub fn test_signer() -> tlog::note::Signer {
    tlog::note::Signer::new("normverk.test/access-log", [7u8; 32]).unwrap()
}

pub async fn spawn_app(engine: &'static str) -> TestApp {
    spawn_app_with(engine, WebConfig::default()).await
}

pub async fn spawn_app_with(engine: &'static str, config: WebConfig) -> TestApp {
    spawn_app_at(engine, config, normverk_app::Clock::system()).await
}

/// The server going by `clock`, which the test sets instead of sleeping.
pub async fn spawn_app_at(engine: &'static str, config: WebConfig, clock: normverk_app::Clock) -> TestApp {
    let db = test_db(engine).await;
    let store = db.store.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = normverk_app::App::new(store.clone(), clock, test_signer());
    let state = AppState::new(app, config);
    let shared = state.clone();
    tokio::spawn(async move {
        normverk_web::serve(listener, state, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    TestApp { base, store, state: shared, _db: db, _shutdown: tx }
}

impl TestApp {
    /// The time by the server's clock.
    pub fn now(&self) -> i64 {
        self.state.app.clock.now()
    }

    /// A setup link's token, as `serve` prints it when nobody has an account yet.
    pub async fn setup_token(&self) -> Option<String> {
        normverk_app::account::setup_token_if_needed(&self.store, &self.state.app.clock).await.unwrap()
    }

    /// An organisation with the given number and a person holding `roles` in it; returns the org
    /// and a signed-in browser for that person.
    pub async fn org_with_member(&self, name: &str, number: &str, email: &str, roles: &[Role]) -> (Org, Browser) {
        let org = match self.store.find_org(number).await {
            Ok(o) => o,
            Err(_) => self
                .store
                .create_org(
                    &NewOrg {
                        name: name.into(),
                        org_number: OrgNumber::parse(number).unwrap(),
                        kind: OrgKind::HealthTrust,
                        parent_id: None,
                    },
                    self.now(),
                )
                .await
                .unwrap(),
        };
        self.member(&org, email, roles).await;
        let browser = self.browser();
        browser.login(email, PASSWORD).await;
        (org, browser)
    }

    pub async fn member(&self, org: &Org, email: &str, roles: &[Role]) -> i64 {
        let hash = normverk_app::account::hash_password(PASSWORD.into()).await.unwrap();
        let user = NewUser { email: email.into(), display_name: format!("Navn {email}"), password_hash: Some(hash) };
        self.store.create_user(org.id, &user, roles, self.now()).await.unwrap().id
    }

    pub fn browser(&self) -> Browser {
        Browser { base: self.base.clone(), client: client(), cookies: Arc::default(), accept_language: None }
    }

    pub async fn token(&self, org: &Org, scopes: &[normverk_core::org::Scope]) -> String {
        normverk_app::account::issue_token(&self.store, org.id, "test", scopes, None, self.now()).await.unwrap().0
    }

    /// Every byte of an SQLite database and its write-ahead log; None on PostgreSQL.
    pub fn sqlite_bytes(&self) -> Option<Vec<u8>> {
        let normverk_store::DbTarget::Sqlite(path) = &self._db.target else { return None };
        let mut bytes = std::fs::read(path).unwrap();
        bytes.extend(std::fs::read(path.with_extension("sqlite-wal")).unwrap_or_default());
        bytes.extend(std::fs::read(format!("{}-wal", path.display())).unwrap_or_default());
        Some(bytes)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

/// The security lead `user_id` as the register knows who grants.
pub fn security_lead(user_id: i64) -> normverk_app::authz::Granter {
    normverk_app::authz::Granter {
        user_id,
        security_lead: true,
        managed_units: vec![],
        name: "Siri Sikkerhet".into(),
        roles: "Sikkerhetsleder".into(),
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A response read whole.
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The CSRF token embedded in the page's forms.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start =
            self.body.find(marker).unwrap_or_else(|| panic!("no CSRF field in page:\n{}", self.body)) + marker.len();
        self.body[start..].split('"').next().unwrap().to_string()
    }
}

/// Keeps cookies like a browser and never follows redirects, so tests can see them.
#[derive(Clone)]
pub struct Browser {
    pub base: String,
    client: reqwest::Client,
    cookies: Arc<Mutex<HashMap<String, String>>>,
    pub accept_language: Option<String>,
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.cookies.lock().unwrap().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn read(&self, resp: reqwest::Response) -> Page {
        for sc in resp.headers().get_all("set-cookie") {
            let sc = sc.to_str().unwrap();
            let (kv, attrs) = sc.split_once(';').unwrap_or((sc, ""));
            let (k, v) = kv.split_once('=').unwrap();
            if v.is_empty() || attrs.contains("Max-Age=0") {
                self.cookies.lock().unwrap().remove(k);
            } else {
                self.cookies.lock().unwrap().insert(k.to_string(), v.to_string());
            }
        }
        Page { status: resp.status().as_u16(), headers: resp.headers().clone(), body: resp.text().await.unwrap() }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r =
            self.client.request(method, format!("{}{}", self.base, path)).header("cookie", self.cookie_header());
        if let Some(l) = &self.accept_language {
            r = r.header("accept-language", l);
        }
        r
    }

    pub async fn get(&self, path: &str) -> Page {
        self.read(self.request(reqwest::Method::GET, path).send().await.unwrap()).await
    }

    /// Posts a form exactly as given (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let req = self
            .request(reqwest::Method::POST, path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.read(req.send().await.unwrap()).await
    }

    /// Posts a form with the CSRF token a page of this session carries.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get("/account").await;
        let csrf = if csrf.status == 200 { csrf.csrf() } else { self.get("/login").await.csrf() };
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts a file as multipart/form-data, with the CSRF token in the query string as the
    /// upload forms do. `csrf: false` leaves the token out.
    pub async fn upload(&self, path: &str, file_name: &str, bytes: Vec<u8>, csrf: bool) -> Page {
        let token = self.get("/account").await.csrf();
        let url = if csrf { format!("{path}?csrf={token}") } else { path.to_string() };
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string());
        let form = reqwest::multipart::Form::new().part("file", part);
        self.read(self.request(reqwest::Method::POST, &url).multipart(form).send().await.unwrap()).await
    }

    /// The raw bytes of a download.
    pub async fn download(&self, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let resp = self.request(reqwest::Method::GET, path).send().await.unwrap();
        let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
        (status, headers, resp.bytes().await.unwrap().to_vec())
    }

    pub async fn login(&self, email: &str, password: &str) -> Page {
        let page = self.get("/login").await;
        let csrf = page.csrf();
        self.post_raw("/login", &[("csrf", &csrf), ("email", email), ("password", password)]).await
    }

    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.lock().unwrap().contains_key(name)
    }
}

/// A mail server that takes every message and keeps (recipients, text).
pub async fn smtp_sink() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<(Vec<String>, String)>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = got.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let keep = keep.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let (mut to, mut data, mut in_data) = (Vec::new(), String::new(), false);
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            keep.lock().unwrap().push((std::mem::take(&mut to), std::mem::take(&mut data)));
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") {
                        b"250-sink\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        to.push(line[8..].trim().trim_matches(['<', '>']).to_string());
                        b"250 ok\r\n"
                    } else if upper.starts_with("DATA") {
                        in_data = true;
                        b"354 go on\r\n"
                    } else if upper.starts_with("QUIT") {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, got)
}
