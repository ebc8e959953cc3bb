//! Self-assessment rounds and answers.

use crate::*;
use normverk_core::assessment::{check_answer, AnswerInput};

fn answer(status: &str, justification: &str) -> normverk_core::assessment::Answer {
    check_answer(&AnswerInput { status: status.into(), justification: justification.into(), ..AnswerInput::default() })
        .unwrap()
}

async fn rounds_keep_history_freeze_and_carry_answers_over(engine: &'static str) {
    let db = test_db(engine).await;
    let s = &db.store;
    let a = s.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
    let b = s.create_org(&new_org("B", "983544622"), unix_now()).await.unwrap();
    let user = s.create_user(a.id, &new_user("a@a.no"), &[Role::Admin], unix_now()).await.unwrap();
    let outsider = s.create_user(b.id, &new_user("b@b.no"), &[Role::Admin], unix_now()).await.unwrap();
    let round = s.start_round(a.id, "2026", "normen", "5.3", None, Some(user.id), 100).await.unwrap();
    assert!(matches!(
        s.start_round(a.id, "again", "normen", "5.3", None, None, 101).await,
        Err(StoreError::Rejected(_))
    ));

    let saved = s.save_answers(a.id, round.id, &[("2.1-01".into(), answer("partial", ""))], Some(user.id), 110).await;
    assert_eq!(saved.unwrap(), 1, "{engine}");
    s.save_answers(a.id, round.id, &[("2.1-01".into(), answer("met", ""))], Some(user.id), 120).await.unwrap();
    assert_eq!(
        s.save_answers(a.id, round.id, &[("2.1-01".into(), answer("met", ""))], None, 130).await.unwrap(),
        0,
        "no change, no history"
    );
    let history = s.answer_history(a.id, round.id, "2.1-01").await.unwrap();
    assert_eq!(history.len(), 2);
    assert!(
        history[0].before_json.as_deref().unwrap().contains("partial") && history[0].after_json.contains("\"met\"")
    );
    assert!(history[1].before_json.is_none());

    // A responsible person from another organisation is refused, and the batch with it.
    let mut foreign = answer("not_met", "");
    foreign.responsible_user_id = Some(outsider.id);
    let batch = vec![("2.2-01".to_string(), answer("met", "")), ("2.2-02".to_string(), foreign)];
    assert!(matches!(s.save_answers(a.id, round.id, &batch, None, 140).await, Err(StoreError::Rejected(_))));
    assert!(s.answer(a.id, round.id, "2.2-01").await.unwrap().is_none(), "nothing half-saved");

    // Organisation B cannot write into A's round.
    assert!(matches!(
        s.save_answers(b.id, round.id, &[("2.1-01".into(), answer("not_met", ""))], None, 150).await,
        Err(StoreError::NotFound)
    ));
    let ev = s
        .add_evidence(a.id, round.id, "2.1-01", "rutine.pdf", "application/pdf", b"%PDF-1.4 rutine", Some(user.id), 160)
        .await
        .unwrap();
    s.add_evidence(a.id, round.id, "2.1-02", "kopi.pdf", "application/pdf", b"%PDF-1.4 rutine", None, 161)
        .await
        .unwrap();
    assert!(matches!(s.evidence_file(b.id, ev.id).await, Err(StoreError::NotFound)));
    let (meta, bytes) = s.evidence_file(a.id, ev.id).await.unwrap();
    assert_eq!((meta.file_name.as_str(), bytes.as_slice()), ("rutine.pdf", b"%PDF-1.4 rutine".as_slice()));

    s.freeze_round(a.id, round.id, Some(user.id), 200).await.unwrap();
    assert!(matches!(s.freeze_round(a.id, round.id, None, 201).await, Err(StoreError::Rejected(_))));
    let refused = s.save_answers(a.id, round.id, &[("2.1-01".into(), answer("not_met", ""))], None, 210).await;
    assert!(matches!(refused, Err(StoreError::Rejected(normverk_store::Rejection::RoundFrozen))));
    assert!(matches!(
        s.add_evidence(a.id, round.id, "2.1-01", "x.pdf", "application/pdf", b"x", None, 211).await,
        Err(StoreError::Rejected(_))
    ));

    let next = s.start_round(a.id, "2027", "normen", "5.3", None, Some(user.id), 300).await.unwrap();
    assert_eq!(next.previous_round_id, Some(round.id));
    let carried = s.answers(a.id, next.id).await.unwrap();
    assert_eq!(
        carried.iter().map(|r| (r.requirement_id.as_str(), r.status.as_str())).collect::<Vec<_>>(),
        vec![("2.1-01", "met")]
    );
    assert_eq!(s.evidence_for(a.id, next.id, "2.1-01").await.unwrap().len(), 1, "evidence carries over");
    assert_eq!(s.rounds(a.id).await.unwrap().len(), 2);
    assert!(s.rounds(b.id).await.unwrap().is_empty());

    // A later catalogue: the round starts from the answers mapped onto it.
    s.freeze_round(a.id, next.id, None, 400).await.unwrap();
    let seed = vec![("2.1-01".to_string(), answer("met", "")), ("2.1-02".to_string(), answer("met", ""))];
    let v6 = s.start_round(a.id, "2028", "normen", "6.0-test", Some(&seed), None, 500).await.unwrap();
    assert_eq!(v6.catalog_version, "6.0-test");
    let seeded: Vec<String> = s.answers(a.id, v6.id).await.unwrap().into_iter().map(|r| r.requirement_id).collect();
    assert_eq!(seeded, vec!["2.1-01", "2.1-02"]);
    assert!(s.evidence_for(a.id, v6.id, "2.1-01").await.unwrap().is_empty(), "evidence stays with its catalogue");
}
engine_tests!(rounds_keep_history_freeze_and_carry_answers_over);
