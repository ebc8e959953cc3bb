//! Load generator for the access log (issue 4). Run against a release server; see
//! `bench/access_log.sh` and docs/benchmarks.md.
//!
//! ```text
//! log_bench ingest     URL TOKEN EVENTS [CONCURRENCY] [PID]   batches of 1,000 over HTTP; RSS of PID
//! log_bench fhir       URL TOKEN EVENTS [CONCURRENCY] [PID]   the same as FHIR Bundles of 1,000 AuditEvents
//! log_bench signed     URL TOKEN BATCHES                      add → checkpoint containing it
//! log_bench proofs     URL REQUESTS [CONCURRENCY]             inclusion proofs at random indexes
//! log_bench baseline   DATABASE EVENTS                        the same rows, plain INSERTs, no log
//! log_bench sha        EVENTS                                 SHA-256 alone over events of this size
//! log_bench crashload  URL TOKEN ACKFILE                      send until the server dies; log acks
//! log_bench crashcheck URL READTOKEN ACKFILE                  every acknowledged event is there
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BATCH: usize = 1000;

/// One of a million synthetic patients.
fn patient(i: u64) -> String {
    fnr::tenor(u32::try_from(i % 1_000_000).unwrap_or(0))
}

fn event(i: u64) -> String {
    format!(
        r#"{{"occurred_at":"2026-11-20T08:{:02}:{:02}+01:00","duration_s":{},"user_id":"hpr:{}","user_name":"Lege {}","user_role":"lege","org_number":"974760673","unit":"Enhet {}","patient_id":"fnr:{}","information_type":"journalnotat","action":"read","basis":"care_relation"}}"#,
        i % 60,
        (i / 60) % 60,
        i % 600,
        9_000_000 + i % 5000,
        i % 5000,
        i % 40,
        patient(i)
    )
}

/// One FHIR AuditEvent in the HL7 Norway trust-framework shape: a contained PractitionerRole
/// with its Practitioner, department under the legal entity, and the Patient by extension.
fn audit_event(i: u64) -> String {
    format!(
        r##"{{"resourceType":"AuditEvent","contained":[{{"resourceType":"Practitioner","id":"p","name":[{{"given":["Lege"],"family":"{}"}}],"identifier":[{{"system":"urn:oid:2.16.578.1.12.4.1.4.4","value":"{}"}}],"qualification":[{{"code":{{"coding":[{{"system":"urn:oid:2.16.578.1.12.4.1.1.9060","code":"LE","display":"Lege"}}]}}}}]}},{{"resourceType":"PractitionerRole","id":"r","practitioner":{{"reference":"#p"}},"organization":{{"reference":"#avd"}}}},{{"resourceType":"Organization","id":"avd","name":"Enhet {}","partOf":{{"reference":"#hf"}},"identifier":[{{"system":"urn:oid:2.16.578.1.12.4.1.4.102","id":"{}"}}]}},{{"resourceType":"Organization","id":"hf","name":"Bench HF","identifier":[{{"system":"urn:oid:2.16.578.1.12.4.1.4.101","id":"974760673"}}]}},{{"resourceType":"Patient","id":"pas","identifier":[{{"system":"urn:oid:2.16.578.1.12.4.1.4.1","id":"{}"}}]}}],"extension":[{{"url":"http://hl7.no/fhir/StructureDefinition/auditevent-patient-extension","valueReference":{{"reference":"#pas"}}}}],"type":{{"system":"http://dicom.nema.org/resources/ontology/DCM","code":"110110","display":"Patient Record"}},"action":"R","recorded":"2026-11-20T08:{:02}:{:02}+01:00","purposeOfEvent":[{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"TREAT"}}]}}],"agent":[{{"who":{{"reference":"#r"}},"requestor":true}}],"entity":[{{"what":{{"reference":"DocumentReference/{}"}},"name":"Journalnotat"}}]}}"##,
        i % 5000,
        9_000_000 + i % 5000,
        i % 40,
        4000 + i % 40,
        patient(i),
        i % 60,
        (i / 60) % 60,
        i
    )
}

/// A few distinct bodies of 1,000 events, made once: the generator should not be what is
/// measured. Native JSON arrays, or FHIR Bundles of AuditEvents.
fn bodies(fhir: bool) -> Vec<String> {
    (0..8u64)
        .map(|b| {
            let ids = (0..BATCH as u64).map(|i| b * 1000 + i);
            if fhir {
                let entries: Vec<String> = ids.map(|i| format!(r#"{{"resource":{}}}"#, audit_event(i))).collect();
                format!(r#"{{"resourceType":"Bundle","type":"batch","entry":[{}]}}"#, entries.join(","))
            } else {
                format!("[{}]", ids.map(event).collect::<Vec<_>>().join(","))
            }
        })
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn summary(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{name}: n={} p50={:.2} ms p90={:.2} ms p99={:.2} ms max={:.2} ms",
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.9),
        percentile(&ms, 0.99),
        ms.last().copied().unwrap_or(0.0)
    );
}

fn rss_kib(pid: &str) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn ingest(url: &str, token: &str, events: u64, concurrency: usize, pid: Option<String>, fhir: bool) {
    let client = reqwest::Client::new();
    let bodies = Arc::new(bodies(fhir));
    let content_type = if fhir { "application/fhir+json" } else { "application/json" };
    let batches = events / BATCH as u64;
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, bodies, next) = (client.clone(), bodies.clone(), next.clone());
        let (url, token) = (format!("{url}/api/v1/access-events"), token.to_string());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= batches {
                    return latencies;
                }
                let t = Instant::now();
                let resp = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", content_type)
                    .body(bodies[n as usize % bodies.len()].clone())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap_or_default());
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }));
    }
    let monitor = pid.map(|pid| {
        let next = next.clone();
        tokio::spawn(async move {
            let mut last_print = Instant::now();
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let done = next.load(Ordering::Relaxed).min(batches) * BATCH as u64;
                if last_print.elapsed() >= Duration::from_secs(10) {
                    let (rss, hwm) = rss_kib(&pid);
                    println!("  {done:>10} events  RSS {} MiB  peak {} MiB", rss / 1024, hwm / 1024);
                    last_print = Instant::now();
                }
            }
        })
    });
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    if let Some(m) = monitor {
        m.abort();
    }
    let sent = batches * BATCH as u64;
    println!(
        "ingest: {sent} events in {secs:.1} s = {:.0} events/s durable ({concurrency} connections, batches of {BATCH})",
        sent as f64 / secs
    );
    summary("  request latency", all);
}

async fn head_size(client: &reqwest::Client, url: &str) -> u64 {
    let note = client.get(format!("{url}/log/checkpoint")).send().await.unwrap().text().await.unwrap();
    note.lines().nth(1).and_then(|l| l.parse().ok()).unwrap_or(0)
}

async fn signed(url: &str, token: &str, batches: usize) {
    let client = reqwest::Client::new();
    let bodies = bodies(false);
    let mut latencies = Vec::new();
    for n in 0..batches {
        let t = Instant::now();
        let resp = client
            .post(format!("{url}/api/v1/access-events"))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(bodies[n % bodies.len()].clone())
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = resp.json().await.unwrap();
        let last = body["first_index"].as_u64().unwrap() + body["count"].as_u64().unwrap();
        while head_size(&client, url).await < last {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        // Batches arrive at random moments relative to the integrator's rhythm.
        tokio::time::sleep(Duration::from_millis(50 + (n as u64 * 37) % 200)).await;
    }
    summary("add → signed checkpoint containing it", latencies);
}

async fn proofs(url: &str, requests: u64, concurrency: usize) {
    let client = reqwest::Client::new();
    let size = head_size(&client, url).await;
    assert!(size > 0, "the log is empty");
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let (client, next, url) = (client.clone(), next.clone(), url.to_string());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ (w as u64);
            while next.fetch_add(1, Ordering::Relaxed) < requests {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let index = x % size;
                let t = Instant::now();
                let resp = client
                    .get(format!("{url}/api/v1/access-log/proof/inclusion?index={index}&size={size}"))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200);
                resp.bytes().await.unwrap();
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    println!(
        "inclusion proofs at size {size}: {:.0} proofs/s with {concurrency} connections",
        all.len() as f64 / started.elapsed().as_secs_f64()
    );
    summary("  proof latency (HTTP, end to end)", all);
}

/// The same rows the log stores for each event (the payload and its search columns), inserted
/// in transactions of 1,000 by plain multi-row INSERTs on the same engine and settings, with
/// nothing of the log: no HTTP, no checks, no hashing, no leaves, tiles or checkpoints.
async fn baseline(database: &str, events: u64) {
    let target = if database.starts_with("postgres") {
        normverk_store::DbTarget::Postgres(database.to_string())
    } else {
        normverk_store::DbTarget::Sqlite(database.into())
    };
    let store = normverk_store::Store::open(&target).await.unwrap();
    store.execute_raw_for_test("DROP TABLE IF EXISTS bench_plain").await.unwrap();
    store
        .execute_raw_for_test(
            "CREATE TABLE bench_plain (idx BIGINT PRIMARY KEY, org_id BIGINT NOT NULL, occurred_at BIGINT NOT NULL, \
             patient_id TEXT NOT NULL, user_id TEXT NOT NULL, unit TEXT NOT NULL, event_json TEXT NOT NULL)",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let mut idx = 0u64;
    while idx < events {
        let mut sql = String::from("BEGIN;");
        for chunk in 0..2 {
            sql.push_str(
                "INSERT INTO bench_plain (idx, org_id, occurred_at, patient_id, user_id, unit, event_json) VALUES ",
            );
            let rows: Vec<String> = (0..BATCH as u64 / 2)
                .map(|i| {
                    let n = idx + chunk * (BATCH as u64 / 2) + i;
                    format!(
                        "({n}, 1, 1800000000, 'fnr:{n}', 'hpr:{}', 'Enhet {}', '{}')",
                        n % 5000,
                        n % 40,
                        event(n).replace('\'', "''")
                    )
                })
                .collect();
            sql.push_str(&rows.join(","));
            sql.push(';');
        }
        sql.push_str("COMMIT;");
        store.execute_raw_for_test(&sql).await.unwrap();
        idx += BATCH as u64;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "baseline: {events} rows in {secs:.1} s = {:.0} rows/s (plain INSERT, transactions of {BATCH})",
        events as f64 / secs
    );
    store.execute_raw_for_test("DROP TABLE bench_plain").await.unwrap();
    store.close().await;
}

/// Sends batches from 2 connections until the server stops answering, writing each
/// acknowledgement ("first_index count body") to `ackfile` as soon as it arrives.
async fn crashload(url: &str, token: &str, ackfile: &str) {
    use std::io::Write;
    let client = reqwest::Client::new();
    let bodies = Arc::new(bodies(false));
    let file =
        Arc::new(std::sync::Mutex::new(std::fs::OpenOptions::new().create(true).append(true).open(ackfile).unwrap()));
    let mut tasks = Vec::new();
    for w in 0..2usize {
        let (client, bodies, file) = (client.clone(), bodies.clone(), file.clone());
        let (url, token) = (format!("{url}/api/v1/access-events"), token.to_string());
        tasks.push(tokio::spawn(async move {
            let mut n = w;
            loop {
                let b = n % bodies.len();
                let Ok(resp) = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(bodies[b].clone())
                    .send()
                    .await
                else {
                    return;
                };
                let Ok(body) = resp.json::<serde_json::Value>().await else { return };
                let line = format!("{} {} {b}\n", body["first_index"], body["count"]);
                file.lock().unwrap().write_all(line.as_bytes()).unwrap();
                n += 2;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// Checks that the first and last event of every acknowledged batch are stored at their index.
async fn crashcheck(url: &str, token: &str, ackfile: &str) {
    let client = reqwest::Client::new();
    let text = std::fs::read_to_string(ackfile).unwrap();
    let mut batches = 0;
    for line in text.lines() {
        let parts: Vec<u64> = line.split(' ').map(|p| p.parse().unwrap()).collect();
        let (first, count, body) = (parts[0], parts[1], parts[2]);
        for (index, i) in [(first, 0), (first + count - 1, count - 1)] {
            let e: serde_json::Value = client
                .get(format!("{url}/api/v1/access-log/events/{index}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let want = format!("fnr:{}", patient(body * 1000 + i));
            assert_eq!(e["event"]["patient_id"].as_str(), Some(want.as_str()), "acknowledged event {index} is lost");
        }
        batches += 1;
    }
    println!("all {batches} acknowledged batches are stored at their indexes");
}

/// Plain SHA-256 over the same bytes verify hashes (salt and event), one core: the ceiling
/// verify is compared with.
fn sha(events: u64) {
    use sha2::Digest;
    let data: Vec<Vec<u8>> = (0..10_000u64).map(|i| [[0u8; 16].as_slice(), event(i).as_bytes()].concat()).collect();
    let started = Instant::now();
    let mut x = 0u8;
    for i in 0..events {
        let mut h = sha2::Sha256::new();
        h.update([0u8]);
        h.update(&data[(i % 10_000) as usize]);
        x ^= h.finalize()[0];
    }
    let secs = started.elapsed().as_secs_f64();
    let bytes: usize = data.iter().map(Vec::len).sum::<usize>() / data.len();
    println!(
        "sha256: {events} leaves of ~{bytes} bytes in {secs:.2} s = {:.0} leaves/s on one core ({x})",
        events as f64 / secs
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let num = |i: usize, default: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default);
    match arg(0).as_str() {
        "ingest" => ingest(&arg(1), &arg(2), num(3, 100_000), num(4, 4) as usize, args.get(5).cloned(), false).await,
        "fhir" => ingest(&arg(1), &arg(2), num(3, 100_000), num(4, 4) as usize, args.get(5).cloned(), true).await,
        "signed" => signed(&arg(1), &arg(2), num(3, 100) as usize).await,
        "proofs" => proofs(&arg(1), num(2, 10_000), num(3, 4) as usize).await,
        "baseline" => baseline(&arg(1), num(2, 1_000_000)).await,
        "sha" => sha(num(1, 1_000_000)),
        "crashload" => crashload(&arg(1), &arg(2), &arg(3)).await,
        "crashcheck" => crashcheck(&arg(1), &arg(2), &arg(3)).await,
        _ => eprintln!("usage: see the top of crates/cli/examples/log_bench.rs"),
    }
}
