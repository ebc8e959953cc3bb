//! Reporting access events into the log over the API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client, engines, spawn_app};
use normverk_core::org::{Role, Scope};
use serde_json::json;

fn event(patient: &str) -> serde_json::Value {
    json!({
        "occurred_at": "2026-11-20T08:15:00+01:00", "duration_s": 42, "user_id": "hpr:9144897", "user_name": "Kari Lege",
        "user_role": "lege", "org_number": "974760673", "unit": "Akuttmottak", "patient_id": patient,
        "information_type": "journalnotat", "action": "read", "basis": "care_relation"
    })
}

#[tokio::test]
async fn events_are_stored_all_or_nothing_with_errors_by_index() {
    for engine in engines() {
        let app = spawn_app(engine).await;
        let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
        let writer = app.token(&org, &[Scope::AccessLogWrite]).await;
        let reader = app.token(&org, &[Scope::OrgRead]).await;
        let url = app.url("/api/v1/access-events");
        let c = client();

        assert_eq!(
            c.post(&url).bearer_auth(&reader).json(&json!([event("fnr:1")])).send().await.unwrap().status(),
            403
        );

        let mut bad = event("fnr:2");
        bad["basis"] = json!("break_glass");
        bad["occurred_at"] = json!("2099-01-01T00:00:00Z");
        let mut unknown = event("fnr:3");
        unknown["colour"] = json!("red");
        let refused =
            c.post(&url).bearer_auth(&writer).json(&json!([event("fnr:1"), bad, unknown])).send().await.unwrap();
        assert_eq!(refused.status(), 422, "{engine}");
        let problem: serde_json::Value = refused.json().await.unwrap();
        let fields: Vec<&str> =
            problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, vec!["/1/occurred_at", "/1/basis_reason", "/2"]);
        assert!(problem["errors"][2]["message"].as_str().unwrap().contains("unknown field"));
        assert_eq!(app.store.access_log_size().await.unwrap(), 0, "nothing stored");

        let ok = c.post(&url).bearer_auth(&writer).json(&json!([event("fnr:1"), event("fnr:2")])).send().await.unwrap();
        assert_eq!(ok.status(), 201);
        let body: serde_json::Value = ok.json().await.unwrap();
        assert_eq!((body["first_index"].as_u64(), body["count"].as_u64()), (Some(0), Some(2)));
        let ndjson = format!("{}\n{}\n", event("fnr:3"), event("fnr:4"));
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

        let wrong_type =
            c.post(&url).bearer_auth(&writer).header("content-type", "text/plain").body("[]").send().await.unwrap();
        assert_eq!(wrong_type.status(), 415);
        let empty = c.post(&url).bearer_auth(&writer).json(&json!([])).send().await.unwrap();
        assert_eq!(empty.status(), 422);
        let broken = c
            .post(&url)
            .bearer_auth(&writer)
            .header("content-type", "application/json")
            .body("[{")
            .send()
            .await
            .unwrap();
        assert_eq!(broken.status(), 422);
        assert_eq!(broken.headers()["content-type"], "application/problem+json");
    }
}

#[tokio::test]
async fn oversized_requests_get_413_and_store_nothing() {
    let app = spawn_app("sqlite").await;
    let (org, _) = app.org_with_member("A", "974760673", "a@a.no", &[Role::Admin]).await;
    let writer = app.token(&org, &[Scope::AccessLogWrite]).await;
    let line = format!("{}\n", event("fnr:1"));
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
