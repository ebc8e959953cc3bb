//! The `normverk` binary as operators use it: scripted set-up, bad input, backup and restore,
//! serving and stopping.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_normverk");

fn normverk(dir: &Path, args: &[&str]) -> Output {
    normverk_stdin(dir, args, "")
}

fn normverk_stdin(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("NORMVERK_DATABASE_URL")
        .env_remove("NORMVERK_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// A failure is one line on stderr naming the problem, and a non-zero exit.
fn assert_one_line_failure(o: &Output, needle: &str) {
    assert!(!o.status.success(), "expected failure, got success: {}", stdout(o));
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("normverk:")).collect();
    assert_eq!(lines.len(), 1, "one line naming the problem, got: {err}");
    assert!(lines[0].contains(needle), "'{needle}' not in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn scripted_setup_org_user_token() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = normverk(d, &["org", "add", "--name", "Fjordlegen", "--org-number", "974760674"]);
    assert_one_line_failure(&o, "check digit");
    assert!(!d.join("normverk-data/normverk.db").exists() || normverk(d, &["check"]).status.success());

    let o = normverk(d, &["org", "add", "--name", "Fjordlegen", "--org-number", "974760673", "--kind", "gp_office"]);
    assert!(o.status.success(), "{}", stderr(&o));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(d.join("normverk-data")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "data dir is private");
    let o = normverk(d, &["org", "add", "--name", "Igjen", "--org-number", "974760673"]);
    assert_one_line_failure(&o, "already exists");

    let o = normverk_stdin(
        d,
        &["user", "add", "--email", "kari@fjordlegen.no", "--org", "974760673", "--role", "admin", "--password-stdin"],
        "kort\n",
    );
    assert_one_line_failure(&o, "at least 12");
    let o = normverk_stdin(
        d,
        &[
            "user",
            "add",
            "--email",
            "kari@fjordlegen.no",
            "--org",
            "974 760 673",
            "--role",
            "admin,security_lead",
            "--password-stdin",
        ],
        "korrekt hest batteri stift\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o =
        normverk(d, &["user", "add", "--email", "x@y.no", "--org", "974760673", "--role", "boss", "--password-stdin"]);
    assert_one_line_failure(&o, "unknown Role 'boss'");
    let o = normverk(d, &["user", "add", "--email", "x@y.no", "--org", "999999999", "--role", "admin"]);
    assert_one_line_failure(&o, "no organisation");

    let o = normverk(d, &["token", "add", "--org", "Fjordlegen", "--scope", "org:read", "--name", "EPJ"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("nvk_") && !last.contains(' '), "token alone on the last line: {out}");
    let o = normverk(d, &["token", "add", "--org", "Fjordlegen", "--scope", "everything"]);
    assert_one_line_failure(&o, "invalid value 'everything' for '--scope");

    let o = normverk(d, &["check"]);
    assert!(o.status.success() && stdout(&o).contains("integrity check passed"), "{}", stderr(&o));
}

#[test]
fn bad_invocations_fail_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_one_line_failure(&normverk(d, &["serve", "--frobnicate"]), "--frobnicate");
    assert_eq!(normverk(d, &["serve", "--frobnicate"]).status.code(), Some(2));
    assert_one_line_failure(&normverk(d, &["--database-url", "mysql://x/y", "migrate"]), "postgres://");
    assert_one_line_failure(
        &normverk(d, &["--database-url", "postgres://nobody@127.0.0.1:1/none", "migrate"]),
        "cannot open the database",
    );
    assert_one_line_failure(&normverk(d, &["serve", "--addr", "not-an-address"]), "invalid address");

    // A corrupt SQLite file is named and left alone.
    std::fs::create_dir_all(d.join("bad")).unwrap();
    std::fs::write(d.join("bad/normverk.db"), vec![7u8; 4096]).unwrap();
    assert_one_line_failure(&normverk(d, &["--data-dir", "bad", "migrate"]), "not a database");
    assert_eq!(std::fs::read(d.join("bad/normverk.db")).unwrap(), vec![7u8; 4096]);

    // A data dir that is a file.
    std::fs::write(d.join("file"), b"x").unwrap();
    assert_one_line_failure(&normverk(d, &["--data-dir", "file", "migrate"]), "data directory");

    // A config file with a typo.
    std::fs::write(d.join("normverk.toml"), "adress = \"127.0.0.1:1\"\n").unwrap();
    assert_one_line_failure(&normverk(d, &["config", "show"]), "unknown field");
}

#[test]
fn config_show_names_sources_and_hides_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("normverk.toml"),
        "addr = \"127.0.0.1:9999\"\ndatabase_url = \"postgres://app:hemmelig@db/normverk\"\n",
    )
    .unwrap();
    let o = Command::new(BIN)
        .args(["config", "show", "--data-dir", "elsewhere"])
        .current_dir(d)
        .env_remove("NORMVERK_DATABASE_URL")
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.contains("addr = \"127.0.0.1:9999\"  # normverk.toml"), "{out}");
    assert!(out.contains("data_dir = \"elsewhere\"  # flag or environment"), "{out}");
    assert!(out.contains("app:***@db") && !out.contains("hemmelig"), "{out}");
    let o =
        Command::new(BIN).args(["config", "show"]).current_dir(d).env("NORMVERK_DATA_DIR", "fromenv").output().unwrap();
    assert!(stdout(&o).contains("data_dir = \"fromenv\""));
}

#[tokio::test]
async fn newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(normverk(d, &["migrate"]).status.success());
    let db = d.join("normverk-data/normverk.db");
    let store = normverk_store::Store::open(&normverk_store::DbTarget::Sqlite(db)).await.unwrap();
    store.mark_schema_version_for_test(99).await;
    store.close().await;
    assert_one_line_failure(&normverk(d, &["migrate"]), "upgrade normverk");
    assert_one_line_failure(&normverk(d, &["serve", "--addr", "127.0.0.1:0"]), "upgrade normverk");
}

#[test]
fn backup_and_restore_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(normverk(d, &["org", "add", "--name", "Fjordlegen", "--org-number", "974760673"]).status.success());
    std::fs::create_dir_all(d.join("normverk-data/keys")).unwrap();
    std::fs::write(d.join("normverk-data/keys/checkpoint.key"), b"secret key material").unwrap();
    let o = normverk(d, &["backup", "nv.tar"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_one_line_failure(&normverk(d, &["backup", "nv.tar"]), "already exists");

    assert_one_line_failure(&normverk(d, &["restore", "nv.tar", "--data-dir", "normverk-data"]), "not empty");
    let o = normverk(d, &["restore", "nv.tar", "--data-dir", "restored"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(d.join("restored/keys/checkpoint.key")).unwrap(), b"secret key material");
    let o = normverk(d, &["--data-dir", "restored", "token", "add", "--org", "974760673", "--scope", "org:read"]);
    assert!(o.status.success(), "the restored organisation is there: {}", stderr(&o));

    std::fs::write(d.join("garbage.tar"), b"this is not a tar archive at all").unwrap();
    assert_one_line_failure(&normverk(d, &["restore", "garbage.tar", "--data-dir", "fresh"]), "not a normverk backup");
    assert!(!d.join("fresh/normverk.db").exists());
}

/// `normverk serve` on a free port in `d` on SQLite, its output to `out`; and its address.
fn serve(d: &std::path::Path, out: fn() -> Stdio) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(BIN)
        .args(["serve", "--addr", &addr])
        .current_dir(d)
        .env_remove("NORMVERK_DATABASE_URL")
        .stdout(out())
        .stderr(out())
        .spawn()
        .unwrap();
    (child, addr)
}

#[test]
fn serve_prints_the_setup_link_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (mut child, addr) = serve(d, Stdio::piped);
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert!(line.contains(&format!("http://{addr}/setup?token=")), "{line}");

    // The port is now taken: a second server says so in one line.
    let o = normverk(d, &["--data-dir", "other", "serve", "--addr", &addr]);
    assert_one_line_failure(&o, &format!("cannot listen on {addr}"));

    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    std::io::Write::write_all(&mut stream, b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut resp = String::new();
    std::io::Read::read_to_string(&mut stream, &mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");

    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful exit on SIGTERM");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!err.contains("token="), "the setup token never reaches the log: {err}");
}

/// The same commands against PostgreSQL, when NORMVERK_TEST_POSTGRES_URL is set.
#[tokio::test]
async fn commands_work_on_postgresql() {
    if !normverk_store::testing::engines().contains(&"postgres") {
        eprintln!("skipping: NORMVERK_TEST_POSTGRES_URL is not set");
        return;
    }
    let (target, _guard) = normverk_store::testing::fresh_target("postgres").await;
    let normverk_store::DbTarget::Postgres(url) = target else { unreachable!() };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let with_db = |args: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = vec!["--database-url".into(), url.clone()];
        all.extend(args.iter().map(|a| a.to_string()));
        all
    };
    let run = |args: Vec<String>, stdin: &str| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        normverk_stdin(d, &refs, stdin)
    };
    let o = run(with_db(&["migrate"]), "");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(
        with_db(&["org", "add", "--name", "Helse Vest IKT", "--org-number", "983544622", "--kind", "supplier"]),
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(
        with_db(&[
            "user",
            "add",
            "--email",
            "drift@hv.no",
            "--org",
            "983544622",
            "--role",
            "admin",
            "--password-stdin",
        ]),
        "korrekt hest batteri stift\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(with_db(&["token", "add", "--org", "983544622", "--scope", "org:read"]), "");
    assert!(o.status.success() && stdout(&o).trim().starts_with("nvk_"), "{}", stderr(&o));
    let o = run(with_db(&["check"]), "");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_one_line_failure(&run(with_db(&["backup", "x.tar"]), ""), "pg_dump");
    let o = run(with_db(&["config", "show"]), "");
    assert!(stdout(&o).contains("database_url = \"postgres://"), "{}", stdout(&o));

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(BIN)
        .args(["--database-url", &url, "serve", "--addr", &addr])
        .current_dir(d)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
            std::io::Write::write_all(&mut s, b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
            let mut resp = String::new();
            let _ = std::io::Read::read_to_string(&mut s, &mut resp);
            ready = resp.starts_with("HTTP/1.1 200");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert!(child.wait().unwrap().success());
    assert!(ready, "serve on PostgreSQL answers /readyz");
}

#[test]
fn the_log_key_is_created_once_private_and_named_by_the_origin() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = normverk(d, &["log", "key"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let key = stdout(&o).trim().to_string();
    assert!(key.starts_with("normverk.local/access-log+"), "{key}");
    assert!(tlog::note::Verifier::from_key_string(&key).is_ok(), "a valid C2SP verifier key");
    let file = d.join("normverk-data/keys/log.key");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(stdout(&normverk(d, &["log", "key"])).trim(), key, "created once");
    assert_one_line_failure(&normverk(d, &["--log-origin", "other.example/log", "log", "key"]), "is for origin");
    assert_one_line_failure(&normverk(d, &["--log-origin", "has space", "log", "key"]), "invalid log origin");
    let o = Command::new(BIN)
        .args(["--data-dir", "elsewhere", "--log-origin", "PeterNeumann", "log", "key"])
        .current_dir(d)
        .env("NORMVERK_LOG_KEY", "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
        .output()
        .unwrap();
    assert_eq!(
        stdout(&o).trim(),
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "{}",
        stderr(&o)
    );

    // A key file given by path must be private.
    let file = d.join("peter.key");
    std::fs::write(&file, "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let args = ["--data-dir", "third", "--log-origin", "PeterNeumann", "--log-key-file", "peter.key", "log", "key"];
    assert_one_line_failure(&normverk(d, &args), "chmod 600");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = normverk(d, &args);
    assert!(stdout(&o).starts_with("PeterNeumann+c74f20a3+"), "{}", stderr(&o));
    assert!(!d.join("third/keys/log.key").exists(), "no key made in the data directory");
}

/// One HTTP/1.1 request over a fresh connection; the status code and body.
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    use std::io::{Read, Write as _};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    stream.read_to_string(&mut resp).unwrap();
    let status = resp.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn log_verify_checks_the_whole_log_and_a_saved_checkpoint_and_names_the_bad_index() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(normverk(d, &["org", "add", "--name", "Fjordlegen", "--org-number", "974760673"]).status.success());
    let o = normverk(d, &["token", "add", "--org", "974760673", "--scope", "access_log:write", "--name", "EPJ"]);
    let token = stdout(&o).lines().last().unwrap().to_string();
    let (mut child, addr) = serve(d, Stdio::null);
    let event = |i: usize| {
        let patient = fnr::tenor(u32::try_from(i).unwrap());
        format!(
            r#"{{"occurred_at":"2026-11-20T08:15:00+01:00","duration_s":1,"user_id":"hpr:1","user_name":"Kari","user_role":"lege","org_number":"974760673","unit":"Akutt","patient_id":"fnr:{patient}","information_type":"notat","action":"read","basis":"care_relation"}}"#
        )
    };
    let auth = format!("Bearer {token}");
    let post = |from: usize, n: usize| {
        let body = (from..from + n).map(event).collect::<Vec<_>>().join("\n");
        let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/x-ndjson")];
        for _ in 0..50 {
            if std::net::TcpStream::connect(&addr).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let (status, body) = http(&addr, "POST", "/api/v1/access-events", &headers, &body);
        assert_eq!(status, 201, "{body}");
    };
    let checkpoint_of = |size: u64| {
        for _ in 0..100 {
            let (status, note) = http(&addr, "GET", "/log/checkpoint", &[], "");
            if status == 200 && note.lines().nth(1).and_then(|l| l.parse::<u64>().ok()).is_some_and(|s| s >= size) {
                return note;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("no checkpoint of {size}");
    };
    post(0, 1000);
    let saved = checkpoint_of(1000);
    std::fs::write(d.join("saved.checkpoint"), &saved).unwrap();
    post(1000, 500);
    checkpoint_of(1500);
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert!(child.wait().unwrap().success());

    let o = normverk(d, &["log", "verify", "--checkpoint", "saved.checkpoint"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("ok: 1500 events"), "{out}");
    assert!(out.contains("the saved checkpoint of size 1000 is consistent"), "{out}");

    // A checkpoint signed by another key, or for a tree the log never had, is refused.
    std::fs::write(d.join("forged.checkpoint"), saved.replace("\n1000\n", "\n1001\n")).unwrap();
    assert_one_line_failure(&normverk(d, &["log", "verify", "--checkpoint", "forged.checkpoint"]), "not signed");
    assert_one_line_failure(&normverk(d, &["log", "verify", "--checkpoint", "missing.file"]), "cannot read");

    // The search index is derived: a lost search file is built again from the events, and said.
    for file in ["normverk.search.db", "normverk.search.db-wal", "normverk.search.db-shm"] {
        let _ = std::fs::remove_file(d.join("normverk-data").join(file));
    }
    let o = normverk(d, &["log", "verify"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("search index: 1500 events were not in it and were indexed from the log first"), "{out}");
    assert!(out.contains("search index: each of 1500 events under exactly its entries"), "{out}");

    // Tampering: one byte of one event, behind the triggers' back.
    let store = normverk_store::Store::open(&normverk_store::DbTarget::Sqlite(d.join("normverk-data/normverk.db")))
        .await
        .unwrap();
    store.execute_raw_for_test("DROP TRIGGER access_payloads_no_update").await.unwrap();
    store
        .execute_raw_for_test(
            "UPDATE access_payloads SET event_json = replace(event_json, 'Kari', 'Kara') WHERE idx = 1234",
        )
        .await
        .unwrap();
    store.close().await;
    let o = normverk(d, &["log", "verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert_one_line_failure(&o, "at index 1234");
}

#[test]
fn fnr_check_explains_every_number_and_exits_by_the_worst() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = normverk(
        d,
        &["fnr", "check", "--format", "json", "15108695088", "50846202355", "30108299939", "26111593817", "1510869508"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(out[0]["kind"], "fnr");
    assert_eq!(out[0]["birth_date"], "1986-10-15");
    assert_eq!(out[0]["rules"], serde_json::json!(["classic", "2032"]));
    assert_eq!(out[1]["kinds"], serde_json::json!(["d_number", "synthetic_tenor"]));
    assert_eq!(out[2]["rules"], serde_json::json!(["2032"]));
    assert_eq!(
        (out[3]["valid"].as_bool(), out[3]["error"].as_str()),
        (Some(false), Some("the second check digit is wrong"))
    );
    assert_eq!(out[4]["error"], "has 10 digits; expected 11");
    let o = normverk(d, &["fnr", "check", "13097248022", "53097248016"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("53097248016: valid; kinds: d_number"), "{}", stdout(&o));
    assert_eq!(normverk(d, &["fnr", "check", "--classic", "30108299939"]).status.code(), Some(1));
    assert_eq!(normverk(d, &["fnr", "check"]).status.code(), Some(2));
    assert!(!d.join("normverk-data").exists(), "checking numbers touches no data");
}

#[test]
fn dlp_scan_reads_files_and_stdin_and_exits_by_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sms = "Du har time på psykiatrisk poliklinikk 3. mars kl. 10.30. Fnr 151086 95088.";
    let o = normverk_stdin(d, &["dlp", "scan", "--format", "json"], sms);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(out["verdict"], "block");
    let fnr = out["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "fnr").unwrap();
    let (s, e) = (fnr["start"].as_u64().unwrap() as usize, fnr["end"].as_u64().unwrap() as usize);
    assert_eq!(&sms[s..e], "151086 95088");
    assert!(fnr["explanation"].as_str().unwrap().contains("Fødselsnummer"));

    let clean = d.join("clean.txt");
    std::fs::write(&clean, "Husk timen din i morgen kl. 09.00. Bestilling A70 er klar.").unwrap();
    let o = normverk(d, &["dlp", "scan", clean.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("OK"), "{}", stdout(&o));

    let mail = d.join("mail.eml");
    std::fs::write(
        &mail,
        "From: Gynekologisk poliklinikk <g@example.no>\r\nSubject: =?utf-8?Q?Time?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVelkommen.\r\n",
    )
    .unwrap();
    let o = normverk(d, &["dlp", "scan", "--channel", "email", mail.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "a revealing sender warns");
    assert!(stdout(&o).contains("warn sender"), "{}", stdout(&o));

    let config = d.join("config.json");
    std::fs::write(&config, r#"{"words": [{"phrase": "smertepumpe*", "kind": "health_term", "severity": "block"}]}"#)
        .unwrap();
    let o = normverk_stdin(d, &["dlp", "scan", "--config", config.to_str().unwrap()], "Smertepumpen er klar.");
    assert_eq!(o.status.code(), Some(1));

    let missing = normverk(d, &["dlp", "scan", d.join("nope.txt").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    assert_one_line_failure(&missing, "cannot open");
    std::fs::write(&config, r#"{"words": [{"phrase": "", "kind": "health_term", "severity": "block"}]}"#).unwrap();
    let bad = normverk_stdin(d, &["dlp", "scan", "--config", config.to_str().unwrap()], "x");
    assert_eq!(bad.status.code(), Some(2));
    let o = normverk_stdin(d, &["dlp", "scan"], "");
    assert_eq!(o.status.code(), Some(0), "an empty message is clean");
    assert!(!d.join("normverk-data").exists(), "scanning touches no data");
}
