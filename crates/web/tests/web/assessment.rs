//! Running a self-assessment round in the UI: answer, keep history, freeze, start the next,
//! compare, and print the report.

use crate::common::spawn_app;
use normverk_core::org::Role;
use normverk_store::engine_tests;

async fn a_whole_round_from_first_answer_to_report(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, lead) = app.org_with_member("A", "974760673", "leder@a.no", &[Role::SecurityLead]).await;
    let (_, employee) = app.org_with_member("A", "974760673", "ansatt@a.no", &[Role::Employee]).await;

    let empty = lead.get("/assessment").await;
    assert!(empty.body.contains("Ingen vurderingsrunde"), "{engine}");
    assert_eq!(employee.post("/assessment/rounds", &[("name", "Runde")]).await.status, 403);
    let started = lead.post("/assessment/rounds", &[("name", "Egenvurdering 2026")]).await;
    assert_eq!(started.status, 303, "{}", started.body);
    let round = app.store.latest_round(org.id).await.unwrap().unwrap();
    let base = format!("/assessment/rounds/{}/requirements", round.id);

    let refused = lead.post(&format!("{base}/5.3.6-01"), &[("status", "not_relevant")]).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("Skriv hvorfor kravet ikke er relevant"));
    let bad = lead.post(&format!("{base}/5.3.6-01"), &[("status", "finished"), ("due_date", "2026-02-30")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Skriv en gyldig dato"));
    assert!(app.store.answers(org.id, round.id).await.unwrap().is_empty(), "refused answers change nothing");

    let ok = lead
        .post(
            &format!("{base}/5.3.6-01"),
            &[("status", "not_relevant"), ("justification", "Vi har ikke medisinsk utstyr")],
        )
        .await;
    assert_eq!(ok.status, 200);
    assert!(ok.body.contains("Svaret er lagret"));
    lead.post(&format!("{base}/2.2-01"), &[("status", "not_met"), ("due_date", "2020-01-31")]).await;
    lead.post(
        &format!("{base}/2.2-01"),
        &[("status", "partial"), ("due_date", "2020-01-31"), ("comment", "Rutine under arbeid")],
    )
    .await;
    let page = lead.get(&format!("{base}/2.2-01")).await;
    assert!(
        page.body.contains("Ikke oppfylt") && page.body.contains("Delvis oppfylt"),
        "history shows before and after"
    );
    assert!(page.body.contains("Navn leder@a.no"), "and who");
    assert_eq!(employee.post(&format!("{base}/2.2-01"), &[("status", "met")]).await.status, 403);
    assert!(!employee.get(&format!("{base}/2.2-01")).await.body.contains("Lagre svar"), "read-only for employees");

    let overview = lead.get("/assessment").await;
    assert!(overview.body.contains("<svg") && overview.body.contains("role=\"img\""), "the chart is drawn");
    let report = lead.get(&format!("/assessment/rounds/{}/report", round.id)).await;
    assert!(report.body.contains("forfalt"), "an overdue gap is marked");
    assert!(report.body.contains("2.2-01"));

    assert_eq!(lead.post(&format!("/assessment/rounds/{}/freeze", round.id), &[]).await.status, 303);
    let frozen = lead.post(&format!("{base}/2.2-01"), &[("status", "met")]).await;
    assert_eq!(frozen.status, 422);
    assert!(frozen.body.contains("frosset"));
    assert_eq!(app.store.answer(org.id, round.id, "2.2-01").await.unwrap().unwrap().status.as_str(), "partial");

    lead.post("/assessment/rounds", &[("name", "Egenvurdering 2027")]).await;
    let next = app.store.latest_round(org.id).await.unwrap().unwrap();
    assert_ne!(next.id, round.id);
    assert_eq!(app.store.answers(org.id, next.id).await.unwrap().len(), 2, "answers carried over");
    lead.post(&format!("/assessment/rounds/{}/requirements/2.2-01", next.id), &[("status", "met")]).await;
    let compare = lead.get(&format!("/assessment/rounds?from={}&to={}", round.id, next.id)).await;
    assert!(compare.body.contains("forbedret"));
    assert!(compare.body.contains("<span class=\"figure\">1</span> forbedret"), "{}", compare.body);
}
engine_tests!(a_whole_round_from_first_answer_to_report);

#[tokio::test]
async fn exports_evidence_and_import() {
    let app = spawn_app("sqlite").await;
    let (org, lead) = app.org_with_member("A", "974760673", "leder@a.no", &[Role::SecurityLead]).await;
    lead.post("/assessment/rounds", &[("name", "Runde 1")]).await;
    let round = app.store.latest_round(org.id).await.unwrap().unwrap();
    let base = format!("/assessment/rounds/{}", round.id);
    lead.post(
        &format!("{base}/requirements/2.2-01"),
        &[("status", "partial"), ("comment", "=HYPERLINK(\"http://x\")")],
    )
    .await;

    // CSV: UTF-8 with BOM, one row per requirement, formulas defused.
    let (status, headers, csv) = lead.download(&format!("{base}/export.csv")).await;
    assert_eq!(status, 200);
    assert!(headers["content-disposition"].to_str().unwrap().contains(".csv"));
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]));
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert_eq!(text.lines().count(), 503, "a heading and 502 requirements");
    assert!(text.contains("'=HYPERLINK"), "a formula-looking cell is defused");
    assert!(text.contains("Delvis oppfylt"));

    // XLSX: read back.
    let (status, _, xlsx) = lead.download(&format!("{base}/export.xlsx")).await;
    assert_eq!(status, 200);
    let table = normverk_web::read_table_for_tests("e.xlsx", &xlsx);
    assert_eq!(table[0][0], "Krav-ID");
    let row = table.iter().find(|r| r[0] == "2.2-01").unwrap();
    assert_eq!(row[5], "Delvis oppfylt");
    assert_eq!(row[7], "=HYPERLINK(\"http://x\")", "stored as a string cell, not a formula");

    let (_, _, json) = lead.download(&format!("{base}/export.json")).await;
    let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(doc["answers"][0]["requirement_id"], "2.2-01");

    // Evidence: allowed types only, content checked, served as an attachment in a sandbox.
    let pdf = b"%PDF-1.4\n% rutine for tilgangsstyring\n".to_vec();
    let up = lead.upload(&format!("{base}/requirements/5.2-01/evidence"), "rutine.pdf", pdf.clone(), true).await;
    assert_eq!(up.status, 303, "{}", up.body);
    let ev = app.store.evidence_for(org.id, round.id, "5.2-01").await.unwrap();
    assert_eq!(ev.len(), 1);
    let (status, headers, bytes) = lead.download(&format!("/assessment/evidence/{}", ev[0].id)).await;
    assert_eq!((status, bytes), (200, pdf));
    assert!(headers["content-security-policy"].to_str().unwrap().contains("sandbox"));
    assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let exe =
        lead.upload(&format!("{base}/requirements/5.2-01/evidence"), "virus.exe", b"MZ\x90\x00".to_vec(), true).await;
    assert_eq!(exe.status, 422);
    assert!(exe.body.contains("Filtypen er ikke tillatt"));
    let fake = lead.upload(&format!("{base}/requirements/5.2-01/evidence"), "fake.pdf", b"<html>".to_vec(), true).await;
    assert_eq!(fake.status, 422);
    assert!(fake.body.contains("stemmer ikke med filtypen"));
    let no_csrf =
        lead.upload(&format!("{base}/requirements/5.2-01/evidence"), "r.pdf", b"%PDF-1.4".to_vec(), false).await;
    assert_eq!(no_csrf.status, 403);
    let huge = lead
        .upload(&format!("{base}/requirements/5.2-01/evidence"), "big.pdf", vec![b'%'; 11 * 1024 * 1024], true)
        .await;
    assert_eq!(huge.status, 413);
    assert_eq!(
        app.store.evidence_for(org.id, round.id, "5.2-01").await.unwrap().len(),
        1,
        "refused uploads store nothing"
    );

    // Import: all rows are checked, nothing is saved unless all are sound.
    let good = "Krav-ID;Status;Begrunnelse;Ansvarlig (e-post);Frist\n2.1-01;Oppfylt;;;\n5.3.6-01;Ikke relevant;Ingen slikt utstyr;leder@a.no;2027-01-31\n";
    let bad = format!("{good}2.3-01;Ferdig;;;\n9.9-99;Oppfylt;;;\n2.4-01;ikke relevant;;;\n");
    let refused = lead.upload(&format!("{base}/import"), "svar.csv", bad.into_bytes(), true).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("Ukjent status «Ferdig»")
            && refused.body.contains("Ingen krav «9.9-99»")
            && refused.body.contains("Skriv hvorfor kravet ikke er relevant"),
        "{}",
        refused.body
    );
    assert!(app.store.answer(org.id, round.id, "2.1-01").await.unwrap().is_none(), "nothing half-imported");
    // Excel's plain CSV is Windows-1252: read as such, æøå intact.
    let latin1 = b"Krav-ID;Status;Kommentar\n2.1-01;Oppfylt;M\xe5 f\xf8lges opp \x96 snart\n".to_vec();
    let encoding = lead.upload(&format!("{base}/import"), "excel.csv", latin1, true).await;
    assert_eq!(encoding.status, 200, "{}", encoding.body);
    let read = app.store.answer(org.id, round.id, "2.1-01").await.unwrap().unwrap();
    assert_eq!(read.comment.as_deref(), Some("Må følges opp – snart"));
    let columns = lead.upload(&format!("{base}/import"), "feil.csv", b"Id;Svar\n2.1-01;Oppfylt\n".to_vec(), true).await;
    assert_eq!(columns.status, 422);
    assert!(columns.body.contains("Krav-ID"));
    let ok = lead.upload(&format!("{base}/import"), "svar.csv", good.as_bytes().to_vec(), true).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("2 svar er importert"));
    let imported = app.store.answer(org.id, round.id, "5.3.6-01").await.unwrap().unwrap();
    assert_eq!((imported.status.as_str(), imported.due_date.as_deref()), ("not_relevant", Some("2027-01-31")));
    // The XLSX export imports back unchanged.
    let (_, _, again) = lead.download(&format!("{base}/export.xlsx")).await;
    let round_trip = lead.upload(&format!("{base}/import"), "export.xlsx", again, true).await;
    assert_eq!(round_trip.status, 200, "{}", round_trip.body);
    assert!(round_trip.body.contains("0 svar er importert"), "nothing changed, so nothing recorded");
}

async fn the_assessment_api_reads_and_writes_answers(engine: &'static str) {
    let app = spawn_app(engine).await;
    let (org, lead) = app.org_with_member("A", "974760673", "leder@a.no", &[Role::SecurityLead]).await;
    lead.post("/assessment/rounds", &[("name", "API-runde")]).await;
    let round = app.store.latest_round(org.id).await.unwrap().unwrap();
    let read = app.token(&org, &[normverk_core::org::Scope::OrgRead]).await;
    let write = app.token(&org, &[normverk_core::org::Scope::AssessmentWrite]).await;
    let url = |p: &str| app.url(p);
    let c = crate::common::client();
    let answer = format!("/api/v1/assessment/rounds/{}/answers/5.2.1-01", round.id);

    let denied =
        c.put(url(&answer)).bearer_auth(&read).json(&serde_json::json!({"status": "met"})).send().await.unwrap();
    assert_eq!(denied.status(), 403, "{engine}");
    let invalid = c
        .put(url(&answer))
        .bearer_auth(&write)
        .json(&serde_json::json!({"status": "not_relevant", "due_date": "2026-13-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
    let problem: serde_json::Value = invalid.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["justification", "due_date"]);
    let ok = c
        .put(url(&answer))
        .bearer_auth(&write)
        .json(&serde_json::json!({"status": "partial", "comment": "Under arbeid", "due_date": "2027-03-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let listed: Vec<serde_json::Value> = c
        .get(url(&format!("/api/v1/assessment/rounds/{}/answers", round.id)))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["status"], "partial");
    let detail: serde_json::Value = c
        .get(url(&format!("/api/v1/assessment/rounds/{}", round.id)))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let all = detail["scores"].as_array().unwrap().iter().find(|s| s["chapter"] == "all").unwrap().clone();
    assert_eq!((all["partial"].as_u64(), all["percent"].as_u64()), (Some(1), Some(50)));
    let unknown = c
        .put(url(&format!("/api/v1/assessment/rounds/{}/answers/9.9-99", round.id)))
        .bearer_auth(&write)
        .json(&serde_json::json!({"status": "met"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    lead.post(&format!("/assessment/rounds/{}/freeze", round.id), &[]).await;
    let frozen =
        c.put(url(&answer)).bearer_auth(&write).json(&serde_json::json!({"status": "met"})).send().await.unwrap();
    assert_eq!(frozen.status(), 409);
    assert_eq!(app.store.answer(org.id, round.id, "5.2.1-01").await.unwrap().unwrap().status.as_str(), "partial");
}
engine_tests!(the_assessment_api_reads_and_writes_answers);
