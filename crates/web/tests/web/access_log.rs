//! Reporting access events into the log over the API.

use crate::common::{client, spawn_app};
use normverk_core::org::{Role, Scope};
use normverk_store::engine_tests;
use serde_json::json;

/// The `i`-th test patient: a synthetic (Tenor) national identity number.
fn patient(i: u32) -> String {
    format!("fnr:{}", fnr::tenor(i))
}

fn event(patient: &str) -> serde_json::Value {
    json!({
        "occurred_at": "2026-11-20T08:15:00+01:00", "duration_s": 42, "user_id": "hpr:9144897", "user_name": "Kari Lege",
        "user_role": "lege", "org_number": "974760673", "unit": "Akuttmottak", "patient_id": patient,
        "information_type": "journalnotat", "action": "read", "basis": "care_relation"
    })
}

async fn events_are_stored_all_or_nothing_with_errors_by_index(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let writer = app.token(&org, &[Scope::AccessLogWrite]).await;
    let reader = app.token(&org, &[Scope::OrgRead]).await;
    let url = app.url("/api/v1/access-events");
    let c = client();

    assert_eq!(
        c.post(&url).bearer_auth(&reader).json(&json!([event(&patient(1))])).send().await.unwrap().status(),
        403
    );

    let mut bad = event(&patient(2));
    bad["basis"] = json!("break_glass");
    bad["occurred_at"] = json!("2099-01-01T00:00:00Z");
    let mut unknown = event(&patient(3));
    unknown["colour"] = json!("red");
    let refused =
        c.post(&url).bearer_auth(&writer).json(&json!([event(&patient(1)), bad, unknown])).send().await.unwrap();
    assert_eq!(refused.status(), 422, "{engine}");
    let problem: serde_json::Value = refused.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["/1/occurred_at", "/1/basis_reason", "/2"]);
    assert!(problem["errors"][2]["message"].as_str().unwrap().contains("unknown field"));
    assert_eq!(app.store.access_log_size().await.unwrap(), 0, "nothing stored");

    let ok =
        c.post(&url).bearer_auth(&writer).json(&json!([event(&patient(1)), event(&patient(2))])).send().await.unwrap();
    assert_eq!(ok.status(), 201);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!((body["first_index"].as_u64(), body["count"].as_u64()), (Some(0), Some(2)));
    let ndjson = format!("{}\n{}\n", event(&patient(3)), event(&patient(4)));
    let nd = c
        .post(&url)
        .bearer_auth(&writer)
        .header("content-type", "application/x-ndjson")
        .body(ndjson)
        .send()
        .await
        .unwrap();
    assert_eq!(nd.status(), 201);
    let body: serde_json::Value = nd.json().await.unwrap();
    assert_eq!(body["first_index"].as_u64(), Some(2));
    assert_eq!(app.store.access_log_size().await.unwrap(), 4);
    let hashes = app.store.access_leaf_hashes(0, 4).await.unwrap();
    assert_eq!(
        hashes.iter().collect::<std::collections::HashSet<_>>().len(),
        4,
        "salted: equal content, different leaves"
    );

    // Concurrent requests share a transaction (group commit), yet each is answered with its
    // own indexes, holding its own events in its order.
    let sent: Vec<Vec<String>> = (0..12u32).map(|i| (0..=i % 3).map(|j| patient(100 + i * 10 + j)).collect()).collect();
    let requests: Vec<_> = sent
        .iter()
        .map(|patients| {
            let body: Vec<serde_json::Value> = patients.iter().map(|p| event(p)).collect();
            let (c, url, writer) = (c.clone(), url.clone(), writer.clone());
            tokio::spawn(async move {
                let r = c.post(&url).bearer_auth(&writer).json(&body).send().await.unwrap();
                assert_eq!(r.status(), 201);
                let b: serde_json::Value = r.json().await.unwrap();
                (b["first_index"].as_u64().unwrap(), b["count"].as_u64().unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for r in requests {
        answers.push(r.await.unwrap());
    }
    let total: u64 = sent.iter().map(|p| p.len() as u64).sum();
    let mut ranges: Vec<(u64, u64)> = answers.clone();
    ranges.sort();
    assert_eq!(ranges.first().map(|r| r.0), Some(4));
    assert!(ranges.windows(2).all(|w| w[0].0 + w[0].1 == w[1].0), "{ranges:?}: contiguous, none shared");
    assert_eq!(app.store.access_log_size().await.unwrap(), 4 + total);
    app.store.access_index_more(1000).await.unwrap();
    let stored = app.store.access_events(org.id, &Default::default(), 1000, 0).await.unwrap();
    for ((first, count), patients) in answers.iter().zip(&sent) {
        assert_eq!(*count, patients.len() as u64);
        for (j, p) in patients.iter().enumerate() {
            let at = stored.iter().find(|e| e.index == first + j as u64).unwrap();
            assert!(at.event_json.contains(p.as_str()), "index {} holds {p}", first + j as u64);
        }
    }

    let wrong_type =
        c.post(&url).bearer_auth(&writer).header("content-type", "text/plain").body("[]").send().await.unwrap();
    assert_eq!(wrong_type.status(), 415);
    let empty = c.post(&url).bearer_auth(&writer).json(&json!([])).send().await.unwrap();
    assert_eq!(empty.status(), 422);
    let broken =
        c.post(&url).bearer_auth(&writer).header("content-type", "application/json").body("[{").send().await.unwrap();
    assert_eq!(broken.status(), 422);
    assert_eq!(broken.headers()["content-type"], "application/problem+json");
}
engine_tests!(events_are_stored_all_or_nothing_with_errors_by_index);

#[tokio::test]
async fn oversized_requests_get_413_and_store_nothing() {
    let app = spawn_app("sqlite").await;
    let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let writer = app.token(&org, &[Scope::AccessLogWrite]).await;
    let line = format!("{}\n", event(&patient(1)));
    let body = line.repeat(17 * 1024 * 1024 / line.len() + 1);
    let resp = client()
        .post(app.url("/api/v1/access-events"))
        .bearer_auth(&writer)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(app.store.access_log_size().await.unwrap(), 0);
}

/// Waits until the integrator has signed a checkpoint of at least `size` events.
async fn signed(app: &crate::common::TestApp, size: u64) -> normverk_store::access_log::StoredCheckpoint {
    for _ in 0..100 {
        if let Some(head) = app.store.access_log_head().await.unwrap() {
            if head.size >= size {
                return head;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no checkpoint of {size} events within 5 s");
}

/// Waits until the search index holds the first `size` events.
async fn indexed(app: &crate::common::TestApp, size: u64) {
    for _ in 0..100 {
        if app.store.access_indexed_until().await.unwrap() >= size {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the search index never reached {size} events");
}

fn b64(s: &serde_json::Value) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s.as_str().unwrap()).unwrap()
}

/// A proof endpoint's answer, and its `proof` hashes decoded.
async fn proof(c: &reqwest::Client, url: String) -> (serde_json::Value, Vec<Vec<u8>>) {
    let answer: serde_json::Value = c.get(url).send().await.unwrap().json().await.unwrap();
    let hashes = answer["proof"].as_array().unwrap().iter().map(b64).collect();
    (answer, hashes)
}

async fn checkpoints_tiles_and_proofs_verify_as_an_outsider_would_check_them(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let writer = app.token(&org, &[Scope::AccessLogWrite]).await;
    let c = client();
    let url = app.url("/api/v1/access-events");
    assert_eq!(c.get(app.url("/log/checkpoint")).send().await.unwrap().status(), 404, "no checkpoint yet");

    // 700 events: two full tiles and a partial one.
    let batch: Vec<_> = (0..700).map(|i| event(&patient(i))).collect();
    assert_eq!(c.post(&url).bearer_auth(&writer).json(&batch).send().await.unwrap().status(), 201);
    signed(&app, 700).await;

    let resp = c.get(app.url("/log/checkpoint")).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/plain; charset=utf-8");
    let note = resp.text().await.unwrap();
    let verifier = crate::common::test_signer().verifier();
    let opened = tlog::note::open(note.as_bytes(), std::slice::from_ref(&verifier)).unwrap();
    let cp = tlog::checkpoint::Checkpoint::parse(&opened.text).unwrap();
    assert_eq!((cp.origin.as_str(), cp.size), ("normverk.test/access-log", 700), "{engine}");

    // The tiles, fetched like any tlog-tiles client does, give the signed root.
    let mut leaves = Vec::new();
    for path in ["tile/0/000", "tile/0/001", "tile/0/002.p/188"] {
        let r = c.get(app.url(&format!("/log/{path}"))).send().await.unwrap();
        assert_eq!(r.status(), 200, "{engine}: {path}");
        leaves.extend(tlog::tile::parse_tile(&r.bytes().await.unwrap()).unwrap());
    }
    let tree = tlog::merkle::Tree::new(leaves);
    assert_eq!(tree.root(700).unwrap(), cp.root, "{engine}");
    let full = c.get(app.url("/log/tile/0/000")).send().await.unwrap();
    assert!(full.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    for missing in ["tile/0/003", "tile/0/002", "tile/0/002.p/189", "tile/1/000", "tile/0/0001", "tile/x"] {
        assert_eq!(c.get(app.url(&format!("/log/{missing}"))).send().await.unwrap().status(), 404, "{missing}");
    }

    // An inclusion proof, with the leaf's hash, checks against the signed root: in a full
    // tile, in the partial one, the last leaf.
    let leaves = app.store.access_leaf_hashes(0, 700).await.unwrap();
    for index in [0u64, 300, 650, 699] {
        let (proof, hashes) =
            proof(&c, app.url(&format!("/api/v1/access-log/proof/inclusion?index={index}&size=700"))).await;
        let refs: Vec<&[u8]> = hashes.iter().map(Vec::as_slice).collect();
        let leaf = b64(&proof["leaf_hash"]);
        assert_eq!(leaf, leaves[index as usize], "{index}");
        tlog::merkle::verify_inclusion_raw(&leaf, index, 700, &refs, &cp.root).unwrap();
    }

    // More events; the new checkpoint is consistent with the old.
    let more: Vec<_> = (0..100).map(|i| event(&patient(1000 + i))).collect();
    c.post(&url).bearer_auth(&writer).json(&more).send().await.unwrap();
    let head = signed(&app, 800).await;
    let (_, hashes) = proof(&c, app.url("/api/v1/access-log/proof/consistency?old=700&new=800")).await;
    let refs: Vec<&[u8]> = hashes.iter().map(Vec::as_slice).collect();
    tlog::merkle::verify_consistency_raw(700, 800, &refs, &cp.root, &head.root).unwrap();

    // Proofs beyond the signed tree, or sizes out of order, are refused.
    for bad in [
        "inclusion?index=800&size=800",
        "inclusion?index=1&size=801",
        "inclusion?index=-1",
        "inclusion?index=abc",
        "consistency?old=801&new=800",
        "consistency?old=0&new=800",
        "consistency?old=1&new=9000",
    ] {
        let r = c.get(app.url(&format!("/api/v1/access-log/proof/{bad}"))).send().await.unwrap();
        assert!(matches!(r.status().as_u16(), 400 | 422), "{engine}: {bad}: {}", r.status());
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }

    // The whole log verifies from its payloads, with the checkpoint saved earlier.
    let verified = normverk_app::access_log::verify(&app.store, &verifier, &mut |_, _| {}).await.unwrap();
    assert_eq!((verified.leaves, verified.head.map(|h| h.0)), (800, Some(800)), "{engine}");
    normverk_app::access_log::verify_saved_checkpoint(&app.store, &verifier, note.as_bytes()).await.unwrap();
    let forged = note.replace("\n700\n", "\n699\n");
    assert!(normverk_app::access_log::verify_saved_checkpoint(&app.store, &verifier, forged.as_bytes()).await.is_err());
}
engine_tests!(checkpoints_tiles_and_proofs_verify_as_an_outsider_would_check_them);

async fn auditors_read_their_own_events_and_bundles_only(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let (other, _) = app.org_with_member("B", "982463718", "b@b.no", &[Role::Admin]).await;
    let writer = app.token(&org, &[Scope::AccessLogWrite]).await;
    let auditor = app.token(&org, &[Scope::AccessLogRead]).await;
    let their_writer = app.token(&other, &[Scope::AccessLogWrite]).await;
    let their_auditor = app.token(&other, &[Scope::AccessLogRead]).await;
    let c = client();
    let url = app.url("/api/v1/access-events");
    let ours: Vec<_> = (0..256).map(|i| event(&patient(i % 3))).collect();
    c.post(&url).bearer_auth(&writer).json(&ours).send().await.unwrap();
    let mut theirs = event(&patient(9));
    theirs["org_number"] = json!("982463718");
    c.post(&url).bearer_auth(&their_writer).json(&json!([theirs])).send().await.unwrap();
    signed(&app, 257).await;
    indexed(&app, 257).await;

    // Entry bundles: personal data, for the reporting organisation's auditors.
    let bundle = app.url("/log/tile/entries/000");
    assert_eq!(c.get(&bundle).send().await.unwrap().status(), 401);
    assert_eq!(c.get(&bundle).bearer_auth(&writer).send().await.unwrap().status(), 403, "no read scope");
    assert_eq!(c.get(&bundle).bearer_auth(&their_auditor).send().await.unwrap().status(), 403);
    let r = c.get(&bundle).bearer_auth(&auditor).send().await.unwrap();
    assert_eq!(r.status(), 200, "{engine}");
    let bytes = r.bytes().await.unwrap();
    let entries = tlog::tile::parse_entry_bundle(&bytes).unwrap();
    let tile = c.get(app.url("/log/tile/0/000")).send().await.unwrap().bytes().await.unwrap();
    let leaves = tlog::tile::parse_tile(&tile).unwrap();
    assert!(entries.iter().zip(&leaves).all(|(e, l)| tlog::merkle::leaf_hash(e) == *l), "{engine}");
    let mixed = app.url("/log/tile/entries/001.p/1");
    assert_eq!(c.get(&mixed).bearer_auth(&auditor).send().await.unwrap().status(), 403, "B's event");
    assert_eq!(c.get(&mixed).bearer_auth(&their_auditor).send().await.unwrap().status(), 200);

    // Search and single events, with a proof.
    let found: serde_json::Value = c
        .get(app.url(&format!("/api/v1/access-log/events?patient_id={}&from=2026-11-20", patient(1))))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found.as_array().unwrap().len(), 85, "{engine}");
    let none: serde_json::Value = c
        .get(app.url(&format!("/api/v1/access-log/events?patient_id={}", patient(9))))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none.as_array().unwrap().len(), 0, "{engine}: B's patient is not found from A");
    // Pages: from 1 to 100, an empty page after the last match, and a link to the next one.
    for page in ["0", "101"] {
        let r = c.get(app.url(&format!("/api/v1/access-log/events?page={page}"))).bearer_auth(&auditor).send().await;
        let r = r.unwrap();
        assert_eq!(r.status(), 422, "{engine}: page {page}");
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["errors"][0]["field"], "page");
    }
    let huge = c.get(app.url("/api/v1/access-log/events?page=18446744073709551616")).bearer_auth(&auditor).send();
    assert_eq!(huge.await.unwrap().status(), 400, "not a number the schema allows");
    let first = c
        .get(app.url(&format!("/api/v1/access-log/events?patient_id={}&page=1", patient(0))))
        .bearer_auth(&auditor)
        .send();
    let first = first.await.unwrap();
    assert_eq!(first.headers().get("link").map(|l| l.to_str().unwrap()).unwrap_or(""), "", "86 matches: one page");
    let all = c.get(app.url("/api/v1/access-log/events")).bearer_auth(&auditor).send().await.unwrap();
    let link = all.headers()["link"].to_str().unwrap().to_string();
    assert_eq!(link, "</api/v1/access-log/events?page=2>; rel=\"next\"", "{engine}");
    let second = c.get(app.url("/api/v1/access-log/events?page=2")).bearer_auth(&auditor).send();
    let second: serde_json::Value = second.await.unwrap().json().await.unwrap();
    assert_eq!(second.as_array().unwrap().len(), 100);
    let past = c.get(app.url("/api/v1/access-log/events?page=4")).bearer_auth(&auditor).send().await.unwrap();
    assert!(past.headers().get("link").is_none());
    assert_eq!(past.json::<serde_json::Value>().await.unwrap().as_array().unwrap().len(), 0, "past the last");
    let bad_time =
        c.get(app.url("/api/v1/access-log/events?from=yesterday")).bearer_auth(&auditor).send().await.unwrap();
    assert_eq!(bad_time.status(), 422);
    for strict in ["to=", "from=2026-11-24T08:00"] {
        let r = c.get(app.url(&format!("/api/v1/access-log/events?{strict}"))).bearer_auth(&auditor).send().await;
        assert_eq!(r.unwrap().status(), 422, "the API reads times as its document says: {strict}");
    }
    assert_eq!(c.get(app.url("/api/v1/access-log/events")).bearer_auth(&writer).send().await.unwrap().status(), 403);
    let one: serde_json::Value =
        c.get(app.url("/api/v1/access-log/events/5")).bearer_auth(&auditor).send().await.unwrap().json().await.unwrap();
    assert_eq!(one["event"]["patient_id"], patient(2));
    let data =
        [b64(&one["salt"]), normverk_core::access_log::jcs(&serde_json::from_value(one["event"].clone()).unwrap())]
            .concat();
    assert_eq!(
        tlog::merkle::leaf_hash(&data).to_vec(),
        b64(&one["leaf_hash"]),
        "{engine}: the leaf is the salted event"
    );
    assert_eq!(
        c.get(app.url("/api/v1/access-log/events/256")).bearer_auth(&auditor).send().await.unwrap().status(),
        404
    );
}
engine_tests!(auditors_read_their_own_events_and_bundles_only);

#[tokio::test]
async fn idempotency_keys_and_fhir_audit_events() {
    let app = spawn_app("sqlite").await;
    let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let writer = app.token(&org, &[Scope::AccessLogWrite]).await;
    let c = client();
    let url = app.url("/api/v1/access-events");
    let send = |key: &'static str, body: serde_json::Value| {
        c.post(&url).bearer_auth(&writer).header("idempotency-key", key).json(&body).send()
    };
    let first = send("k1", json!([event(&patient(1))])).await.unwrap();
    assert_eq!(first.status(), 201);
    let retry = send("k1", json!([event(&patient(1))])).await.unwrap();
    assert_eq!(retry.status(), 200);
    assert_eq!(retry.json::<serde_json::Value>().await.unwrap()["first_index"], 0);
    assert_eq!(send("k1", json!([event(&patient(2))])).await.unwrap().status(), 422, "same key, other body");
    assert_eq!(app.store.access_log_size().await.unwrap(), 1);
    let long: &'static str = Box::leak("x".repeat(256).into_boxed_str());
    assert_eq!(send(long, json!([event(&patient(2))])).await.unwrap().status(), 422);

    let audit = json!({
        "resourceType": "AuditEvent",
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest"},
        "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": "read"}],
        "action": "R",
        "period": {"start": "2026-11-20T08:15:00+01:00", "end": "2026-11-20T08:16:30+01:00"},
        "recorded": "2026-11-20T08:16:31+01:00",
        "purposeOfEvent": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "ETREAT"}], "text": "Bevisstløs pasient"}],
        "agent": [
            {"type": {"coding": [{"code": "humanuser"}]}, "requestor": true,
             "who": {"identifier": {"system": "urn:oid:2.16.578.1.12.4.1.4.4", "value": "9144897"}, "display": "Kari Lege"},
             "role": [{"coding": [{"code": "LE", "display": "Lege"}]}]},
            {"requestor": false, "who": {"identifier": {"system": "urn:oid:2.16.578.1.12.4.1.4.101", "value": "974760673"}}},
            {"requestor": false, "who": {"identifier": {"system": "urn:oid:2.16.578.1.12.4.1.4.102", "value": "4001031"}, "display": "Akuttmottaket"}}
        ],
        "source": {"observer": {"display": "DIPS"}},
        "entity": [
            {"what": {"identifier": {"system": "urn:oid:2.16.578.1.12.4.1.4.1", "value": "13116900216"}}, "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1"}},
            {"what": {"reference": "DocumentReference/77"}, "type": {"code": "DocumentReference", "display": "Journalnotat"}}
        ]
    });
    let fhir = |body: &serde_json::Value| {
        c.post(&url).bearer_auth(&writer).header("content-type", "application/fhir+json").body(body.to_string()).send()
    };
    let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": audit.clone()}]});
    let r = fhir(&bundle).await.unwrap();
    assert_eq!(r.status(), 201);
    let stored = app.store.access_entry(org.id, 1).await.unwrap();
    let json = stored.event_json.unwrap();
    assert!(!json.contains("Bevisstløs"), "the free-text reason is sealed in the hashed event: {json}");
    let e = normverk_app::access_log::read_event(&json, stored.openings.as_deref()).unwrap();
    assert_eq!(
        (e.user_id.as_str(), e.user_role.as_str(), e.unit.as_str(), e.patient_id.as_str(), e.information_type.as_str()),
        ("hpr:9144897", "Lege", "Akuttmottaket", "fnr:13116900216", "Journalnotat")
    );
    assert_eq!(
        (e.duration_s, e.basis.as_str(), e.basis_reason.as_deref()),
        (90, "break_glass", Some("Bevisstløs pasient"))
    );

    let mut no_patient = audit.clone();
    no_patient["entity"] = json!([]);
    let mut no_org = audit.clone();
    no_org["agent"].as_array_mut().unwrap().remove(1);
    let untyped = fhir(&json!({"resourceType": "Bundle", "entry": [{"resource": audit.clone()}]})).await.unwrap();
    assert_eq!(untyped.status(), 422, "a Bundle says what kind it is");
    let refused = fhir(
        &json!({"resourceType": "Bundle", "type": "batch", "entry": [{"resource": no_patient}, {"resource": no_org}]}),
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), 422);
    let problem: serde_json::Value = refused.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["/0/entity", "/0/entity", "/1/agent"], "every missing element of every entry");
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("role 1"));
    assert_eq!(fhir(&json!({"resourceType": "Patient"})).await.unwrap().status(), 422);
    assert_eq!(app.store.access_log_size().await.unwrap(), 2, "nothing more stored");
}

async fn verify_finds_tampering_at_the_right_index_even_with_the_triggers_dropped(engine: &'static str) {
    // Each tampering on a fresh log of 600 events, integrated and signed.
    let cases: &[(&str, &[&str], u64)] = if engine == "sqlite" {
        &[
            (
                "payload byte",
                &[
                    "DROP TRIGGER access_payloads_no_update",
                    "UPDATE access_payloads SET event_json = replace(event_json, 'Kari', 'Kara') WHERE idx = 417",
                ],
                417,
            ),
            (
                "deleted leaf",
                &[
                    "PRAGMA foreign_keys = OFF",
                    "DROP TRIGGER access_leaves_no_delete",
                    "DELETE FROM access_leaves WHERE idx = 300",
                ],
                300,
            ),
            (
                "reordered",
                &[
                    "PRAGMA foreign_keys = OFF",
                    "DROP TRIGGER access_leaves_no_update",
                    "UPDATE access_leaves SET idx = -1 WHERE idx = 5",
                    "UPDATE access_leaves SET idx = 5 WHERE idx = 6",
                    "UPDATE access_leaves SET idx = 6 WHERE idx = -1",
                ],
                5,
            ),
            (
                "truncated",
                &[
                    "PRAGMA foreign_keys = OFF",
                    "DROP TRIGGER access_leaves_no_delete",
                    "DELETE FROM access_payloads WHERE idx >= 590",
                    "DELETE FROM access_leaves WHERE idx >= 590",
                ],
                590,
            ),
        ]
    } else {
        &[
            (
                "payload byte",
                &[
                    "ALTER TABLE access_payloads DISABLE TRIGGER USER",
                    "UPDATE access_payloads SET event_json = replace(event_json, 'Kari', 'Kara') WHERE idx = 417",
                ],
                417,
            ),
            (
                "deleted leaf",
                &[
                    "ALTER TABLE access_leaves DISABLE TRIGGER USER",
                    "DELETE FROM access_payloads WHERE idx = 300",
                    "DELETE FROM access_leaves WHERE idx = 300",
                ],
                300,
            ),
            (
                "reordered",
                &[
                    "ALTER TABLE access_leaves DISABLE TRIGGER USER",
                    "ALTER TABLE access_payloads DROP CONSTRAINT access_payloads_idx_fkey",
                    "UPDATE access_leaves SET idx = -1 WHERE idx = 5",
                    "UPDATE access_leaves SET idx = 5 WHERE idx = 6",
                    "UPDATE access_leaves SET idx = 6 WHERE idx = -1",
                ],
                5,
            ),
            (
                "truncated",
                &["DROP TRIGGER access_leaves_no_truncate ON access_leaves", "TRUNCATE access_leaves CASCADE"],
                0,
            ),
        ]
    };
    // What is stored beside an event, and the search index: what a search reads.
    let (unlock_payloads, unlock_leaves) = if engine == "sqlite" {
        ("DROP TRIGGER access_payloads_no_update", "DROP TRIGGER access_leaves_no_update")
    } else {
        ("ALTER TABLE access_payloads DISABLE TRIGGER USER", "ALTER TABLE access_leaves DISABLE TRIGGER USER")
    };
    let other_org = "(SELECT id FROM orgs WHERE org_number = '983544622')";
    let org_leaves = format!("UPDATE access_leaves SET org_id = {other_org} WHERE idx = 321");
    let org_payloads = format!("UPDATE access_payloads SET org_id = {other_org} WHERE idx = 321");
    let beside: Vec<(&str, Vec<&str>, u64)> = vec![
        (
            "patient beside",
            vec![unlock_payloads, "UPDATE access_payloads SET patient_id = 'fnr:999' WHERE idx = 123"],
            123,
        ),
        ("user beside", vec![unlock_payloads, "UPDATE access_payloads SET user_id = 'hpr:1' WHERE idx = 124"], 124),
        ("unit beside", vec![unlock_payloads, "UPDATE access_payloads SET unit = 'Annen' WHERE idx = 125"], 125),
        (
            "time beside",
            vec![unlock_payloads, "UPDATE access_payloads SET occurred_at = occurred_at + 3600 WHERE idx = 126"],
            126,
        ),
        ("organisation beside", vec![unlock_payloads, org_payloads.as_str()], 321),
        (
            "organisation of leaf and event",
            vec![unlock_payloads, unlock_leaves, org_leaves.as_str(), org_payloads.as_str()],
            321,
        ),
        ("event deleted, leaf kept", vec!["DELETE FROM access_payloads WHERE idx = 250"], 250),
        // Every hundredth event from the 7th has a sealed reason (see the batch below).
        (
            "sealed value changed",
            vec![
                unlock_payloads,
                "UPDATE access_payloads SET openings = replace(openings, 'løs', 'løst') WHERE idx = 407",
            ],
            407,
        ),
        (
            "sealed value removed",
            vec![unlock_payloads, "UPDATE access_payloads SET openings = NULL WHERE idx = 507"],
            507,
        ),
        (
            "sealed value added",
            vec![
                unlock_payloads,
                r#"UPDATE access_payloads SET openings = '{"basis_reason":{"key":"AAAAAAAAAAAAAAAAAAAAAA==","value":"x"}}' WHERE idx = 8"#,
            ],
            8,
        ),
    ];
    let delete_77 = format!("DELETE FROM access_index WHERE field = 'p' AND value = '{}'", patient(77));
    let index: &[(&str, &[&str], u64)] = &[
        ("index rows deleted", &[delete_77.as_str()], 77),
        ("index row changed", &["UPDATE access_index SET value = 'fnr:999' WHERE field = 'u' AND idx = 140"], 140),
        (
            "index row added",
            &["INSERT INTO access_index SELECT org_id, seg, 'p', 'fnr:falsk', occurred_at, idx FROM access_index \
               WHERE field = 't' AND idx = 50"],
            50,
        ),
        (
            "index row beyond the indexer",
            &["INSERT INTO access_index SELECT org_id, seg, 'p', 'fnr:falsk', occurred_at, 900 FROM access_index \
               WHERE field = 't' AND idx = 50"],
            900,
        ),
        ("index moved to another time", &["UPDATE access_index SET occurred_at = 0 WHERE idx = 33"], 33),
        ("index truncated", &["DELETE FROM access_index"], 0),
        ("segment span cut", &["UPDATE access_index_segments SET last_at = first_at - 1"], 0),
    ];
    // SQLite does not hold CHAR(1) to one character: a row's field and value shifted by one
    // byte, or its value made a blob of the same bytes, must not hash as the row did.
    let sqlite_only: &[(&str, &[&str], u64)] = &[
        (
            "index field and value shifted",
            &["UPDATE access_index SET field = 'p' || substr(value, 1, 1), value = substr(value, 2) \
               WHERE field = 'p' AND idx = 60"],
            60,
        ),
        // Read back as text, the rows look alike: the segment is named, from its first event.
        (
            "index value made a blob",
            &["UPDATE access_index SET value = CAST(value AS BLOB) WHERE field = 'u' AND idx = 61"],
            0,
        ),
    ];
    let index: Vec<(&str, &[&str], u64)> =
        index.iter().chain(sqlite_only.iter().filter(|_| engine == "sqlite")).cloned().collect();
    let cases = cases
        .iter()
        .map(|(what, sql, at)| (*what, sql.to_vec(), Vec::new(), *at))
        .chain(beside.into_iter().map(|(what, sql, at)| (what, sql, Vec::new(), at)))
        .chain(index.into_iter().map(|(what, sql, at)| (what, Vec::new(), sql.to_vec(), at)));
    for (what, sql, search_sql, bad_index) in cases {
        let app = spawn_app(engine).await;
        let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
        app.org_with_member("B", "983544622", "b@b.no", &[Role::Admin]).await;
        let writer = app.token(&org, &[Scope::AccessLogWrite]).await;
        let batch: Vec<_> = (0..600)
            .map(|i| {
                let mut e = event(&patient(i));
                if i % 100 == 7 {
                    e["basis"] = json!("break_glass");
                    e["basis_reason"] = json!(format!("Bevisstløs pasient {i}"));
                }
                e
            })
            .collect();
        client().post(app.url("/api/v1/access-events")).bearer_auth(&writer).json(&batch).send().await.unwrap();
        signed(&app, 600).await;
        indexed(&app, 600).await;
        let verifier = crate::common::test_signer().verifier();
        let clean = normverk_app::access_log::verify(&app.store, &verifier, &mut |_, _| {}).await.unwrap();
        assert_eq!((clean.leaves, clean.indexed), (600, 600), "{engine}: {what}");
        for statement in &sql {
            app.store.execute_raw_for_test(statement).await.unwrap();
        }
        for statement in &search_sql {
            app.store.execute_search_raw_for_test(statement).await.unwrap();
        }
        match normverk_app::access_log::verify(&app.store, &verifier, &mut |_, _| {}).await {
            Err(normverk_app::access_log::LogError::Tampered { index, message }) => {
                assert_eq!(index, Some(bad_index), "{engine}: {what}: {message}")
            }
            other => panic!("{engine}: {what}: {other:?}"),
        }
    }
}
engine_tests!(verify_finds_tampering_at_the_right_index_even_with_the_triggers_dropped);

#[tokio::test]
async fn the_auditors_page_shows_the_signed_state_and_searches_events() {
    let app = spawn_app("sqlite").await;
    let (org, admin) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    app.member(&org, "revisor@a.no", &[Role::Auditor]).await;
    app.member(&org, "ansatt@a.no", &[Role::Employee]).await;
    let writer = app.token(&org, &[Scope::AccessLogWrite]).await;
    let empty = admin.get("/access-log").await;
    assert_eq!(empty.status, 200);
    assert!(empty.body.contains("Ingen kontrollpunkt ennå"));
    let mut glass = event("fnr:13116900216");
    glass["basis"] = json!("break_glass");
    glass["basis_reason"] = json!("<script>alert(1)</script>");
    let batch = vec![glass, event(&patient(2))];
    client().post(app.url("/api/v1/access-events")).bearer_auth(&writer).json(&batch).send().await.unwrap();
    signed(&app, 2).await;
    indexed(&app, 2).await;

    let auditor = app.browser();
    assert_eq!(auditor.login("revisor@a.no", crate::common::PASSWORD).await.status, 303);
    let page = auditor.get("/access-log").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Loggen er hel"), "sound");
    assert!(page.body.contains(&crate::common::test_signer().verifier().key_string()), "the verifier key");
    assert!(page.body.contains("— normverk.test/access-log "), "the signed note");
    let found = auditor.get("/access-log?patient_id=fnr%3A13116900216&from=2026-11-01T00%3A00").await;
    assert!(found.body.contains("Akuttilgang"));
    assert!(found.body.contains("&#60;script&#62;alert(1)"), "escaped");
    assert!(!found.body.contains("<script>alert"));
    assert!(!found.body.contains(&format!("{}<", patient(2))), "only the patient searched for");
    let bad = auditor.get("/access-log?from=i+morgen").await;
    assert!(bad.body.contains("aria-invalid=\"true\""));

    let employee = app.browser();
    employee.login("ansatt@a.no", crate::common::PASSWORD).await;
    assert_eq!(employee.get("/access-log").await.status, 403, "events are personal data");
    assert!(!employee.get("/").await.body.contains("href=\"/access-log\""));
}

/// Waits until the latest recorded check is one caused by `cause`, and gives it.
async fn checked(app: &crate::common::TestApp, cause: &str) -> normverk_store::access_log::Verification {
    for _ in 0..200 {
        if let Some(v) = app.store.last_access_verification().await.unwrap().filter(|v| v.cause == cause) {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no check ({cause}) within 10 s");
}

async fn the_server_checks_the_whole_log_when_asked_and_files_a_deviation_when_it_does_not_verify(
    engine: &'static str,
) {
    let config =
        normverk_web::WebConfig { verify_every: Some(std::time::Duration::from_secs(24 * 3600)), ..Default::default() };
    let app = crate::common::spawn_app_with(engine, config).await;
    let (org, admin) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let writer = app.token(&org, &[Scope::AccessLogWrite]).await;
    // A fresh install: checked at start, nothing to find, and the page is calm.
    assert_eq!(checked(&app, "schedule").await.outcome, "ok", "{engine}");
    let batch: Vec<_> = (0..30).map(|i| event(&patient(i))).collect();
    client().post(app.url("/api/v1/access-events")).bearer_auth(&writer).json(&batch).send().await.unwrap();
    signed(&app, 30).await;
    indexed(&app, 30).await;

    let asked = admin.post("/access-log/check", &[]).await;
    assert_eq!(asked.status, 303, "{engine}: back to the page");
    assert!(admin.get("/access-log?checking=1").await.body.contains("Kontrollen er satt i gang"), "{engine}");
    let ok = checked(&app, "request").await;
    assert_eq!((ok.outcome.as_str(), ok.leaves), ("ok", 30), "{engine}");
    let page = admin.get("/access-log").await;
    assert!(page.body.contains("alle 30 hendelser stemmer"), "{engine}: {}", page.body);
    assert!(admin.get("/").await.body.contains("Loggen stemte ved siste kontroll"), "{engine}: on the dashboard");

    // Someone with the database moves one access to another patient.
    let unlock = if engine == "sqlite" {
        "DROP TRIGGER access_payloads_no_update"
    } else {
        "ALTER TABLE access_payloads DISABLE TRIGGER USER"
    };
    app.store.execute_raw_for_test(unlock).await.unwrap();
    app.store.execute_raw_for_test("UPDATE access_payloads SET patient_id = 'fnr:x' WHERE idx = 12").await.unwrap();
    app.store.execute_raw_for_test("DELETE FROM access_verifications").await.unwrap();
    admin.post("/access-log/check", &[]).await;
    let bad = checked(&app, "request").await;
    assert_eq!((bad.outcome.as_str(), bad.bad_index), ("tampered", Some(12)), "{engine}: {bad:?}");
    let page = admin.get("/access-log").await;
    assert!(page.body.contains("første gang ved hendelse 13"), "{engine}: numbered from 1 for people");
    assert!(admin.get("/").await.body.contains("Loggen stemte ikke ved siste kontroll"), "{engine}");
    let filed = app.store.deviations(org.id, &normverk_store::deviation::Visible::All, 10, 0).await.unwrap();
    assert_eq!(filed.len(), 1, "{engine}");
    assert_eq!(filed[0].title, "Tilgangsloggen stemmer ikke med det som ble signert");
    // Asked again, the same finding files nothing new.
    admin.post("/access-log/check", &[]).await;
    for _ in 0..100 {
        if app
            .store
            .last_access_verification()
            .await
            .unwrap()
            .is_some_and(|v| v.started_at >= bad.finished_at && v != bad)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.store.deviations(org.id, &normverk_store::deviation::Visible::All, 10, 0).await.unwrap().len(), 1);
}
engine_tests!(the_server_checks_the_whole_log_when_asked_and_files_a_deviation_when_it_does_not_verify);

async fn an_organisation_authorises_another_to_log_for_it_and_revokes_it(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (hospital, admin) = app.org_with_member("Sykehuset", "974760673", "admin@s.no", &[Role::Admin]).await;
    let (supplier, supplier_lead) =
        app.org_with_member("Leverandøren", "982463718", "lead@l.no", &[Role::SecurityLead]).await;
    let (_, auditor) = app.org_with_member("Sykehuset", "974760673", "revisor@s.no", &[Role::Auditor]).await;
    let sender = app.token(&supplier, &[Scope::AccessLogWrite]).await;
    let hospital_reader = app.token(&hospital, &[Scope::AccessLogRead, Scope::OrgRead]).await;
    let supplier_reader = app.token(&supplier, &[Scope::AccessLogRead, Scope::OrgRead]).await;
    let hospital_writer = app.token(&hospital, &[Scope::OrgWrite]).await;
    let c = client();
    let url = app.url("/api/v1/access-events");
    let mut own = event(&patient(2));
    own["org_number"] = json!("982463718");

    // Not authorised: the hospital's events are refused, by index, and nothing is stored.
    let r = c.post(&url).bearer_auth(&sender).json(&json!([own, event(&patient(1))])).send().await.unwrap();
    assert_eq!(r.status(), 422, "{engine}");
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(p["errors"].as_array().unwrap().len(), 1, "{p}");
    assert_eq!(p["errors"][0]["field"], "/1/org_number");
    assert_eq!(app.store.access_log_size().await.unwrap(), 0);

    // The hospital's admin authorises the supplier, on the page; wrong numbers are told apart.
    for (number, says) in [("12345", "9 siffer"), ("974760673", "uten egen fullmakt"), ("999999999", "999999999")] {
        let page = admin.post("/access-log/delegations", &[("org_number", number)]).await;
        assert_eq!(page.status, 422, "{engine}: {number}");
        assert!(page.body.contains(says) && page.body.contains("aria-invalid=\"true\""), "{number}: {}", page.body);
    }
    assert_eq!(auditor.post("/access-log/delegations", &[("org_number", "982463718")]).await.status, 403);
    let ok = admin.post("/access-log/delegations", &[("org_number", "982 463 718")]).await;
    assert_eq!(ok.location(), Some("/access-log/settings#delegations-heading"), "{engine}");
    let again = admin.post("/access-log/delegations", &[("org_number", "982463718")]).await;
    assert!(again.body.contains("logger allerede"), "{}", again.status);
    let settings = admin.get("/access-log/settings").await;
    assert!(settings.body.contains("Leverandøren (982463718)") && settings.body.contains("Trekk tilbake"));
    assert!(auditor.get("/access-log/settings").await.body.contains("Leverandøren"), "auditors see it");
    let theirs = supplier_lead.get("/access-log/settings").await;
    assert!(theirs.body.contains("Sykehuset (974760673)"), "listed on both sides");

    // Now both go in, each into its own organisation's view.
    let r = c.post(&url).bearer_auth(&sender).json(&json!([own, event(&patient(1))])).send().await.unwrap();
    assert_eq!(r.status(), 201, "{engine}");
    let entries = app.store.access_entries(0, 2).await.unwrap();
    assert_eq!((entries[0].org_id, entries[1].org_id), (supplier.id, hospital.id));
    indexed(&app, 2).await;
    let search = |token: String, p: String| {
        let c = client();
        let url = app.url(&format!("/api/v1/access-log/events?patient_id={p}"));
        async move { c.get(url).bearer_auth(token).send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    assert_eq!(search(hospital_reader.clone(), patient(1)).await.as_array().unwrap().len(), 1);
    assert!(search(supplier_reader.clone(), patient(1)).await.as_array().unwrap().is_empty(), "not the sender's");

    // The API lists it on both sides; the supplier cannot revoke it, the hospital can.
    let list: serde_json::Value = c
        .get(app.url("/api/v1/access-log/delegations"))
        .bearer_auth(&supplier_reader)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["org_number"], "974760673");
    assert!(list[0]["revoked_at"].is_null());
    let id = list[0]["id"].as_i64().unwrap();
    let supplier_writer = app.token(&supplier, &[Scope::OrgWrite]).await;
    let revoke = app.url(&format!("/api/v1/access-log/delegations/{id}"));
    assert_eq!(c.delete(&revoke).bearer_auth(&supplier_writer).send().await.unwrap().status(), 404);
    assert_eq!(c.delete(&revoke).bearer_auth(&hospital_writer).send().await.unwrap().status(), 204);
    assert_eq!(c.delete(&revoke).bearer_auth(&hospital_writer).send().await.unwrap().status(), 404);
    let r = c.post(&url).bearer_auth(&sender).json(&json!([event(&patient(3))])).send().await.unwrap();
    assert_eq!(r.status(), 422, "{engine}: revoked");
    let created = c
        .post(app.url("/api/v1/access-log/delegations"))
        .bearer_auth(&hospital_writer)
        .json(&json!({"delegate_org_number": "982463718"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "granted again through the API");
    let unknown = c
        .post(app.url("/api/v1/access-log/delegations"))
        .bearer_auth(&hospital_writer)
        .json(&json!({"delegate_org_number": "999999999"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 422);
    assert!(admin.get("/access-log/settings").await.body.contains("Trukket tilbake"), "history kept");
}
engine_tests!(an_organisation_authorises_another_to_log_for_it_and_revokes_it);

async fn expired_events_are_retired_with_an_entry_in_the_log_and_verify_tells_retired_from_deleted(
    engine: &'static str,
) {
    // The server's clock starts on 2026-01-01, when 40 events from 2020 arrive; 400 days later
    // come 20 from two days before, and one more from 2020 that arrives only now.
    let app = crate::common::spawn_app_at(
        engine,
        normverk_web::WebConfig::default(),
        normverk_app::Clock::fixed(1_767_225_600),
    )
    .await;
    let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let writer = app.token(&org, &[Scope::AccessLogWrite]).await;
    let reader = app.token(&org, &[Scope::AccessLogRead, Scope::OrgRead]).await;
    let settings_writer = app.token(&org, &[Scope::OrgWrite]).await;
    let c = client();
    let at = |e: &mut serde_json::Value, t: String| e["occurred_at"] = json!(t);
    let old: Vec<_> = (0..60)
        .filter(|i| i % 3 != 2)
        .map(|i| {
            let mut e = event(&patient(i));
            at(&mut e, "2020-03-01T10:00:00+01:00".into());
            e
        })
        .collect();
    let r = c.post(app.url("/api/v1/access-events")).bearer_auth(&writer).json(&old).send().await.unwrap();
    assert_eq!(r.status(), 201, "{engine}");
    app.state.app.clock.advance(400 * 86_400);
    let recent = jiff::Timestamp::from_second(app.now() - 2 * 86_400).unwrap().to_string();
    let mut late: Vec<_> = (0..60)
        .filter(|i| i % 3 == 2)
        .map(|i| {
            let mut e = event(&patient(i));
            at(&mut e, recent.clone());
            e
        })
        .collect();
    let mut backdated = event(&patient(100));
    at(&mut backdated, "2020-03-01T10:00:00+01:00".into());
    late.push(backdated);
    let r = c.post(app.url("/api/v1/access-events")).bearer_auth(&writer).json(&late).send().await.unwrap();
    assert_eq!(r.status(), 201, "{engine}");
    signed(&app, 61).await;
    indexed(&app, 61).await;
    let (_, admin) = app.org_with_member("A", "974760673", "admin@a.no", &[Role::Admin]).await;
    let (_, auditor) = app.org_with_member("A", "974760673", "revisor@a.no", &[Role::Auditor]).await;

    // Kept by default; nothing is retired.
    let log = &app.state.app.access_log;
    assert_eq!(log.retire_expired().await.unwrap(), 0);
    assert!(admin.get("/access-log/settings").await.body.contains("Alle hendelser beholdes"));
    for bad in ["0", "101", "to", "1.5"] {
        let page = admin.post("/access-log/retention", &[("keep_years", bad)]).await;
        assert_eq!(page.status, 422, "{engine}: {bad}");
        assert!(page.body.contains("helt antall år"));
    }
    assert_eq!(auditor.post("/access-log/retention", &[("keep_years", "1")]).await.status, 403);
    let bad = c
        .put(app.url("/api/v1/access-log/retention"))
        .bearer_auth(&settings_writer)
        .json(&json!({"keep_days": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    assert_eq!(log.retire_expired().await.unwrap(), 0, "a refused setting changes nothing");
    let set = admin.post("/access-log/retention", &[("keep_years", "1")]).await;
    assert_eq!(set.location(), Some("/access-log/settings#retention-heading"), "{engine}");
    let got: serde_json::Value =
        c.get(app.url("/api/v1/access-log/retention")).bearer_auth(&reader).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["keep_days"], 365);

    assert_eq!(log.retire_expired().await.unwrap(), 40, "{engine}: not the one that arrived late");
    assert_eq!(log.retire_expired().await.unwrap(), 0, "retired once");
    signed(&app, 62).await;
    indexed(&app, 62).await;
    let verifier = crate::common::test_signer().verifier();
    let v = normverk_app::access_log::verify(&app.store, &verifier, &mut |_, _| {}).await.unwrap();
    assert_eq!((v.leaves, v.retired), (62, 40), "{engine}: the retirement is an entry of its own");

    // Search finds only what is kept; the list shows the retirement in words.
    let search = |p: String| {
        let c = client();
        let url = app.url(&format!("/api/v1/access-log/events?patient_id={p}"));
        let token = reader.clone();
        async move { c.get(url).bearer_auth(token).send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    assert!(search(patient(0)).await.as_array().unwrap().is_empty(), "{engine}: retired");
    assert_eq!(search(patient(2)).await.as_array().unwrap().len(), 1, "kept");
    assert_eq!(search(patient(100)).await.as_array().unwrap().len(), 1, "kept a year from its arrival");
    let page = auditor.get("/access-log").await;
    assert!(page.body.contains("Oppbevaringstiden er ute: 40 hendelser fra før"), "{engine}");
    let settings = admin.get("/access-log/settings").await;
    assert!(
        settings.body.contains("slettes når de er 1 år gamle") && settings.body.contains("40 hendelser er slettet")
    );
    // A retired event keeps its leaf and its proof, and says which retirement removed it.
    let one: serde_json::Value =
        c.get(app.url("/api/v1/access-log/events/0")).bearer_auth(&reader).send().await.unwrap().json().await.unwrap();
    assert!(one["event"].is_null() && one["proof"].is_array(), "{one}");
    assert_eq!(one["retired_by"], 61);
    let entry: serde_json::Value =
        c.get(app.url("/api/v1/access-log/events/61")).bearer_auth(&reader).send().await.unwrap().json().await.unwrap();
    assert_eq!(entry["event"]["retirement"]["count"], 40, "{entry}");

    // A payload deleted outside retention is tampering; so is one marked retired by hand.
    app.store.execute_raw_for_test("DELETE FROM access_payloads WHERE idx = 45").await.unwrap();
    match normverk_app::access_log::verify(&app.store, &verifier, &mut |_, _| {}).await {
        Err(normverk_app::access_log::LogError::Tampered { index, message }) => {
            assert_eq!(index, Some(45), "{engine}: {message}");
            assert!(message.contains("missing"), "{message}");
        }
        other => panic!("{engine}: a deleted payload passed verify: {other:?}"),
    }
    app.store
        .execute_raw_for_test(
            "INSERT INTO access_retired (idx, org_id, entry_idx) SELECT 45, org_id, 61 FROM access_leaves WHERE idx = 45",
        )
        .await
        .unwrap();
    match normverk_app::access_log::verify(&app.store, &verifier, &mut |_, _| {}).await {
        Err(normverk_app::access_log::LogError::Tampered { index, message }) => {
            assert_eq!(index, Some(61), "{engine}: {message}");
            assert!(message.contains("retirement"), "{message}");
        }
        other => panic!("{engine}: an event marked retired by hand passed verify: {other:?}"),
    }
}
engine_tests!(expired_events_are_retired_with_an_entry_in_the_log_and_verify_tells_retired_from_deleted);

/// What a database administrator could do without the log's key: delete an event's payload
/// and append a retirement that claims it, as the retirer would. Verify refuses the retirement.
async fn a_retirement_not_signed_by_the_log_key_is_tampering(engine: &'static str) {
    let app = crate::common::spawn_app(engine).await;
    let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let writer = app.token(&org, &[Scope::AccessLogWrite]).await;
    let events: Vec<_> = (0..3).map(|i| event(&patient(i))).collect();
    let r = client().post(app.url("/api/v1/access-events")).bearer_auth(&writer).json(&events).send().await.unwrap();
    assert_eq!(r.status(), 201, "{engine}");
    signed(&app, 3).await;
    indexed(&app, 3).await;
    let verifier = crate::common::test_signer().verifier();
    normverk_app::access_log::verify(&app.store, &verifier, &mut |_, _| {}).await.unwrap();

    let retirement = normverk_core::access_log::Retirement {
        before: normverk_app::clock::rfc3339(app.now()),
        count: 1,
        digest: normverk_app::access_log::retired_digest([1]),
        first_index: 1,
        keep_days: 0,
        last_index: 1,
        org_number: "974760673".into(),
        retired_at: normverk_app::clock::rfc3339(app.now()),
    };
    let other_key = tlog::note::Signer::new("normverk.test/access-log", [8u8; 32]).unwrap();
    let line = other_key.signature_line(&retirement.signed_text());
    let forged = normverk_core::access_log::RetirementEntry {
        retirement,
        signature: line.rsplit(' ').next().unwrap().to_string(),
    };
    let json = serde_json::to_string(&forged).unwrap();
    let salt = [1u8; 16];
    let entry = normverk_store::access_log::NewAccessEvent {
        org_id: org.id,
        leaf_hash: tlog::merkle::leaf_hash_of_parts(&[&salt, json.as_bytes()]),
        salt,
        occurred_at: app.now(),
        patient_id: String::new(),
        user_id: String::new(),
        unit: String::new(),
        event_json: json,
        openings: None,
    };
    let at = app.store.retire_access_events(org.id, &[1], &entry, app.now()).await.unwrap();
    assert_eq!(at, 3);
    signed(&app, 4).await;
    match normverk_app::access_log::verify(&app.store, &verifier, &mut |_, _| {}).await {
        Err(normverk_app::access_log::LogError::Tampered { index, message }) => {
            assert_eq!(index, Some(3), "{engine}: {message}");
            assert!(message.contains("not signed by the log's key"), "{message}");
        }
        other => panic!("{engine}: a forged retirement passed verify: {other:?}"),
    }
}
engine_tests!(a_retirement_not_signed_by_the_log_key_is_tampering);

async fn a_patients_insight_withholds_what_is_sealed_and_verifies_entry_by_entry(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let writer = app.token(&org, &[Scope::AccessLogWrite]).await;
    let portal = app.token(&org, &[Scope::AccessLogInsight]).await;
    let auditor = app.token(&org, &[Scope::AccessLogRead]).await;
    let me = "fnr:13116900216";
    let mut glass = event(me);
    glass["basis"] = json!("break_glass");
    glass["basis_reason"] = json!("Bevisstløs pasient, naboen Ola ringte");
    glass["user_national_id"] = json!("fnr:15108695088");
    let mut later = event(me);
    later["occurred_at"] = json!("2026-11-21T09:00:00+01:00");
    let batch = vec![glass, event(&patient(1)), later, event(&patient(2))];
    let r = client().post(app.url("/api/v1/access-events")).bearer_auth(&writer).json(&batch).send().await.unwrap();
    assert_eq!(r.status(), 201);
    signed(&app, 4).await;
    indexed(&app, 4).await;

    let url = |q: &str| app.url(&format!("/api/v1/access-log/insight?{q}"));
    let ask = format!("patient_id={me}&from=2026-11-01&to=2026-11-30");
    assert_eq!(client().get(url(&ask)).bearer_auth(&auditor).send().await.unwrap().status(), 403, "a scope of its own");
    for bad in [
        "patient_id=fnr:12345678901&from=2026-11-01&to=2026-11-30",
        "patient_id=fnr:13116900216&from=2026-11-30&to=2026-11-01",
        "patient_id=fnr:13116900216&from=2099-01-01&to=2099-01-31",
        "patient_id=fnr:13116900216&from=1.11.2026&to=2026-11-30",
    ] {
        let r = client().get(url(bad)).bearer_auth(&portal).send().await.unwrap();
        assert_eq!(r.status(), 422, "{bad}");
    }
    assert_eq!(app.store.access_log_size().await.unwrap(), 4, "a refused request logs nothing");
    let r = client().get(url(&ask)).bearer_auth(&portal).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(!body.contains("Bevisstløs") && !body.contains("15108695088"), "withheld: {body}");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let indexes: Vec<u64> = doc["entries"].as_array().unwrap().iter().map(|e| e["index"].as_u64().unwrap()).collect();
    assert_eq!(indexes, [2, 0], "the patient's accesses, newest first");
    assert_eq!(doc["entries"][1]["event"]["basis"], "break_glass");
    assert!(doc["entries"][1]["event"]["sealed"]["basis_reason"].is_string());
    assert_eq!(app.store.access_log_size().await.unwrap(), 5, "the insight given is itself logged");

    let key = crate::common::test_signer().verifier();
    let checked = normverk_app::access_log::insight::verify_insight(body.as_bytes(), &key).unwrap();
    assert_eq!(checked.entries, 2);
    // One byte changed in the second entry: the verifier names it.
    let altered = body.replacen("2026-11-20T08:15:00+01:00", "2026-11-20T08:16:00+01:00", 1);
    assert_ne!(altered, body);
    let failure = normverk_app::access_log::insight::verify_insight(altered.as_bytes(), &key).unwrap_err();
    assert_eq!((failure.entry, failure.index), (Some(2), Some(0)), "{failure}");
    let other_key = tlog::note::Signer::new("normverk.test/access-log", [9u8; 32]).unwrap().verifier();
    assert!(normverk_app::access_log::insight::verify_insight(body.as_bytes(), &other_key).is_err());
    let broken = &body[..body.len() - 2];
    assert!(normverk_app::access_log::insight::verify_insight(broken.as_bytes(), &key).unwrap_err().entry.is_none());

    // The auditor still reads the reason, opened from beside the event.
    let found: serde_json::Value = client()
        .get(app.url(&format!("/api/v1/access-log/events?patient_id={me}")))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reasons: Vec<&str> =
        found.as_array().unwrap().iter().filter_map(|e| e["event"]["basis_reason"].as_str()).collect();
    assert!(reasons.contains(&"Bevisstløs pasient, naboen Ola ringte"), "{found}");
}
engine_tests!(a_patients_insight_withholds_what_is_sealed_and_verifies_entry_by_entry);
