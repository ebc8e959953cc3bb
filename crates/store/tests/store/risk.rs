//! The acceptance level and risk assessments.

use crate::*;
use normverk_core::risk::{Assessment, Matrix, State};
use normverk_store::risk::NewRiskAssessment;
use normverk_store::Rejection;

async fn assessments_keep_every_version_freeze_when_approved_and_stay_in_their_organisation(engine: &'static str) {
    let db = test_db(engine).await;
    let s = &db.store;
    let a = s.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
    let b = s.create_org(&new_org("B", "983544622"), unix_now()).await.unwrap();
    let boss = s.create_user(a.id, &new_user("leder@a.no"), &[Role::TopManagement], unix_now()).await.unwrap();

    let first = s.set_risk_matrix(a.id, &Matrix::default(), Some(boss.id), 100).await.unwrap();
    let mut stricter = Matrix::default();
    stricter.grid[1][1] = 1;
    let second = s.set_risk_matrix(a.id, &stricter, Some(boss.id), 200).await.unwrap();
    let versions = s.risk_matrices(a.id).await.unwrap();
    assert_eq!(versions.iter().map(|m| m.id).collect::<Vec<_>>(), vec![second, first], "{engine}: every version kept");
    assert_eq!(versions[0].set_by.as_deref(), Some("leder@a.no"));
    assert!(s.risk_matrices(b.id).await.unwrap().is_empty());
    assert!(matches!(s.risk_matrix(b.id, first).await, Err(StoreError::NotFound)), "{engine}");

    let doc = Assessment { title: "Journalsystemet".into(), ..Assessment::default() };
    let new = NewRiskAssessment { doc: doc.clone(), matrix_id: first, previous_id: None, reason: "new_system".into() };
    // Another organisation's matrix is not found.
    assert!(matches!(s.create_risk_assessment(b.id, &new, None, 300).await, Err(StoreError::NotFound)));
    let id = s.create_risk_assessment(a.id, &new, Some(boss.id), 300).await.unwrap();
    let stored = s.risk_assessment(a.id, id).await.unwrap();
    assert_eq!((stored.state, stored.version, stored.matrix_id), (State::Draft, 1, first), "{engine}");
    assert!(matches!(s.risk_assessment(b.id, id).await, Err(StoreError::NotFound)), "{engine}: isolated");
    let next = NewRiskAssessment { previous_id: Some(id), ..new.clone() };
    assert!(matches!(
        s.create_risk_assessment(a.id, &next, None, 310).await,
        Err(StoreError::Rejected(Rejection::RiskAssessmentNotApproved))
    ));

    let mut changed = doc.clone();
    changed.scope = "Pasientjournal og timebok".into();
    assert_eq!(s.save_risk_assessment(a.id, id, 1, &changed, "prepared", false, Some(boss.id), 400).await.unwrap(), 2);
    assert!(
        matches!(
            s.save_risk_assessment(a.id, id, 1, &doc, "prepared", false, None, 410).await,
            Err(StoreError::Conflict(_))
        ),
        "{engine}: saved by someone else meanwhile"
    );
    assert!(matches!(
        s.save_risk_assessment(b.id, id, 2, &doc, "prepared", false, None, 410).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.save_risk_assessment(a.id, id, 2, &changed, "approved", true, Some(boss.id), 500).await.unwrap(), 3);
    let approved = s.risk_assessment(a.id, id).await.unwrap();
    assert_eq!((approved.state, approved.approved_at), (State::Approved, Some(500)));
    assert_eq!(approved.approved_by.as_deref(), Some("leder@a.no"));
    assert_eq!(approved.assessment().unwrap(), changed);
    assert!(matches!(
        s.save_risk_assessment(a.id, id, 3, &doc, "prepared", false, None, 600).await,
        Err(StoreError::Rejected(Rejection::RiskAssessmentApproved))
    ));
    let history = s.risk_assessment_versions(a.id, id).await.unwrap();
    assert_eq!(
        history.iter().map(|v| (v.version, v.change.as_str())).collect::<Vec<_>>(),
        vec![(3, "approved"), (2, "prepared"), (1, "started")],
        "{engine}"
    );
    assert!(s.risk_assessment_versions(b.id, id).await.unwrap().is_empty());
    let follow = s.create_risk_assessment(a.id, &next, None, 700).await.unwrap();
    assert_eq!(s.risk_assessment(a.id, follow).await.unwrap().previous_id, Some(id));
    assert_eq!(s.risk_assessments(a.id).await.unwrap().len(), 2);
    assert!(s.risk_assessments(b.id).await.unwrap().is_empty());
    assert!(s.risk_version(a.id).await.unwrap() >= 5);
    assert_eq!(s.risk_version(b.id).await.unwrap(), 0);
}
engine_tests!(assessments_keep_every_version_freeze_when_approved_and_stay_in_their_organisation);
