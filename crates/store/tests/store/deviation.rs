//! Deviations in the store: steps only from the state they were taken in, reports forwarded
//! from a processor to its controller, and breach reminders claimed once across instances.

use crate::*;
use normverk_core::deviation::{Category, NewDeviation, State};
use normverk_store::deviation::StepChanges;

fn report(title: &str) -> NewDeviation {
    NewDeviation {
        title: title.into(),
        description: "Oppdaget ved kontroll.".into(),
        occurred_at: 1_700_000_000,
        aware_at: 1_700_000_100,
        unit_id: None,
        system: Some("EPJ".into()),
        category: Category::Confidentiality,
        patients_concerned: true,
        immediate_actions: String::new(),
        patient_id: None,
    }
}

async fn a_step_taken_from_a_stale_state_is_refused_and_changes_nothing(engine: &'static str) {
    let db = test_db(engine).await;
    let s = &db.store;
    let org = s.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
    let d = s.create_deviation(org.id, None, &report("Feil"), 1_700_000_200).await.unwrap();
    let none = StepChanges::default();
    let step = |from, to, at| s.apply_deviation_step(org.id, d.id, from, to, "{}", &none, None, at);
    step(State::Reported, State::FactsGathered, 1_700_000_300).await.unwrap();
    let version = s.deviation_version(org.id).await.unwrap();
    // A second handler read the deviation before the first step and takes the same step.
    let stale = step(State::Reported, State::FactsGathered, 1_700_000_400).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{engine}: {stale:?}");
    let stale = step(State::Reported, State::Closed, 1_700_000_500).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{engine}: {stale:?}");
    let now = s.deviation(org.id, d.id).await.unwrap();
    assert_eq!((now.state, now.closed_at, now.updated_at), (State::FactsGathered, None, 1_700_000_300));
    assert_eq!(s.deviation_steps(org.id, d.id).await.unwrap().len(), 1, "no step recorded for a refused one");
    assert_eq!(s.deviation_version(org.id).await.unwrap(), version, "the statistics did not move");
}
engine_tests!(a_step_taken_from_a_stale_state_is_refused_and_changes_nothing);

async fn a_processor_forwards_only_to_a_controller_that_takes_its_deviations(engine: &'static str) {
    let db = test_db(engine).await;
    let s = &db.store;
    let controller = s.create_org(&new_org("Helse A", "974760673"), unix_now()).await.unwrap();
    let processor = s.create_org(&new_org("Drift AS", "923609016"), unix_now()).await.unwrap();
    let other = s.create_org(&new_org("Helse C", "983544622"), unix_now()).await.unwrap();
    let theirs =
        s.create_deviation(processor.id, None, &report("Sikkerhetskopi på feil sted"), 1_700_000_200).await.unwrap();
    let refused = s.forward_deviation(processor.id, theirs.id, controller.id, None, 1_700_001_000).await;
    assert!(
        matches!(refused, Err(StoreError::Rejected(normverk_store::Rejection::NotAController))),
        "{engine}: {refused:?}"
    );
    assert!(s.deviations(controller.id, &normverk_store::deviation::Visible::All, 10, 0).await.unwrap().is_empty());

    s.set_deviation_processor(controller.id, "923609016", true, None, 1_700_000_500).await.unwrap();
    let at = 1_700_002_000;
    let id = s.forward_deviation(processor.id, theirs.id, controller.id, None, at).await.unwrap();
    let got = s.deviation(controller.id, id).await.unwrap();
    assert_eq!((got.org_id, got.number, got.state, got.reporter_id), (controller.id, 1, State::Reported, None));
    assert_eq!((got.title.as_str(), got.category, got.aware_at), (theirs.title.as_str(), theirs.category, at));
    assert_eq!(got.occurred_at, theirs.occurred_at);
    // Once per controller; never to an organisation that did not ask; the original is untouched.
    let again = s.forward_deviation(processor.id, theirs.id, controller.id, None, at + 60).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{engine}: {again:?}");
    let elsewhere = s.forward_deviation(processor.id, theirs.id, other.id, None, at).await;
    assert!(matches!(elsewhere, Err(StoreError::Rejected(_))), "{engine}");
    let to_itself = s.forward_deviation(processor.id, theirs.id, processor.id, None, at).await;
    assert!(matches!(to_itself, Err(StoreError::Rejected(_))), "{engine}");
    assert_eq!(s.deviation(processor.id, theirs.id).await.unwrap(), theirs);
    assert!(s.deviation(controller.id, theirs.id).await.is_err(), "the processor's own stays its own");
    assert_eq!(s.deviation_sent_to(processor.id, theirs.id).await.unwrap().len(), 1);
    assert!(s.deviation_received_from(controller.id, id).await.unwrap().is_some());
}
engine_tests!(a_processor_forwards_only_to_a_controller_that_takes_its_deviations);

async fn two_instances_racing_for_a_reminder_send_it_once(engine: &'static str) {
    let db = test_db(engine).await;
    let org = db.store.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
    let d = db.store.create_deviation(org.id, None, &report("Brudd"), 1_700_000_200).await.unwrap();
    // Two processes on the same database, as two normverk instances behind a load balancer.
    let (one, two) = (Store::open(&db.target).await.unwrap(), Store::open(&db.target).await.unwrap());
    for round in 0..20 {
        let hours = [24 + round];
        let (a, b) = tokio::join!(
            one.claim_reminders(org.id, d.id, &hours, 2, 1_700_090_000),
            two.claim_reminders(org.id, d.id, &hours, 2, 1_700_090_000),
        );
        assert!(a.unwrap() ^ b.unwrap(), "{engine}: exactly one instance claims the {}-hour reminder", hours[0]);
    }
    // A reminder already sent is not claimed again, alone or with one that is new.
    assert!(!one.claim_reminders(org.id, d.id, &[24], 2, 1_700_095_000).await.unwrap());
    assert!(two.claim_reminders(org.id, d.id, &[24, 66], 2, 1_700_095_000).await.unwrap());
    one.close().await;
    two.close().await;
}
engine_tests!(two_instances_racing_for_a_reminder_send_it_once);
