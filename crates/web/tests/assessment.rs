//! Running a self-assessment round in the UI: answer, keep history, freeze, start the next,
//! compare, and print the report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{engines, spawn_app};
use normverk_core::org::Role;

#[tokio::test]
async fn a_whole_round_from_first_answer_to_report() {
    for engine in engines() {
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
        assert_eq!(app.store.answer(org.id, round.id, "2.2-01").await.unwrap().unwrap().status, "partial");

        lead.post("/assessment/rounds", &[("name", "Egenvurdering 2027")]).await;
        let next = app.store.latest_round(org.id).await.unwrap().unwrap();
        assert_ne!(next.id, round.id);
        assert_eq!(app.store.answers(org.id, next.id).await.unwrap().len(), 2, "answers carried over");
        lead.post(&format!("/assessment/rounds/{}/requirements/2.2-01", next.id), &[("status", "met")]).await;
        let compare = lead.get(&format!("/assessment/rounds?from={}&to={}", round.id, next.id)).await;
        assert!(compare.body.contains("forbedret"));
        assert!(compare.body.contains("<span class=\"figure\">1</span> forbedret"), "{}", compare.body);
    }
}
