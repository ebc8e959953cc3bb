//! Fills an organisation for bench/authz.sh as a health trust: MANAGERS units each led by a
//! manager, SYSTEMS systems, PEOPLE people from HR spread over the units, and AUTHORISATIONS
//! authorisations (each with rights in three systems, from twenty role patterns); then times
//! starting the yearly access review for every manager, in the process as the page does it.
//!
//!     authz_seed DATA_DIR|postgres://… ORG_NUMBER PEOPLE SYSTEMS AUTHORISATIONS MANAGERS
//!
//! People and managers go through the store as the HR import and the member pages do;
//! authorisations are written in bulk SQL (a grant per transaction would take minutes to seed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use normverk_app::access_log::{AccessLog, Accessor, OwnAccess};
use normverk_app::access_review::Start;
use normverk_core::access_log::{AccessAction, Basis};
use normverk_core::access_review::Kind;
use normverk_core::authz::{Grant, PersonIn, Right, SystemRights};
use normverk_core::org::Role;
use normverk_core::system::{Criticality, NewSystem};
use normverk_store::account::NewUser;
use normverk_store::{DbTarget, Store};
use std::time::Instant;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let target = if args[1].starts_with("postgres") {
        DbTarget::Postgres(args[1].clone())
    } else {
        DbTarget::Sqlite(std::path::Path::new(&args[1]).join("normverk.db"))
    };
    let n = |i: usize| -> usize { args[i].parse().unwrap() };
    let (people, systems, authorisations, managers) = (n(3), n(4), n(5), n(6));
    let store = Store::open(&target).await.unwrap();
    let org = store.find_org(&args[2]).await.unwrap().id;
    let now = normverk_store::unix_now();
    let started = Instant::now();

    let mut units = Vec::new();
    for m in 0..managers {
        let unit = store.create_unit(org, &format!("Enhet {m:03}"), None, now).await.unwrap();
        let user =
            NewUser { email: format!("leder{m:03}@hf.no"), display_name: format!("Leder {m:03}"), password_hash: None };
        let user = store.create_user(org, &user, &[Role::Manager], now).await.unwrap();
        store.set_managed_units(org, user.id, &[unit.id]).await.unwrap();
        units.push(unit.id);
    }
    let mut system_ids = Vec::new();
    for s in 0..systems {
        let sys = NewSystem::new(format!("System {s:02}"), Criticality::Critical);
        system_ids.push(store.create_system(org, &sys, now).await.unwrap().id);
    }
    let hr: Vec<PersonIn> = (0..people)
        .map(|p| PersonIn {
            name: format!("Person {p:05}"),
            employee_id: format!("{}", 100_000 + p),
            hpr: if p % 3 == 0 { format!("{}", 9_000_000 + p) } else { String::new() },
            enterprise: args[2].clone(),
            unit_id: Some(units[p % units.len()]),
            ..PersonIn::default()
        })
        .collect();
    // The import's entry in the access log, as the app writes one for every change.
    let entry = OwnAccess {
        by: &Accessor::Normverk,
        action: AccessAction::Create,
        basis: Basis::Administration,
        basis_reason: "Testdata".into(),
        information_type: normverk_app::authz::LOG_INFORMATION_TYPE,
        patient_id: normverk_app::authz::log_subject(None),
        org_number: args[2].clone(),
        unit: "Bench HF".into(),
    };
    let record = AccessLog::leaf(org, &entry.event(now).unwrap());
    store.import_people(org, &hr, &[], None, &record, now).await.unwrap();
    println!(
        "{managers} units and managers, {systems} systems, {people} people: {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Twenty role patterns, each with rights in three systems.
    let rights =
        [vec![Right::Read], vec![Right::Read, Right::Register], vec![Right::Read, Right::Register, Right::Correct]];
    let patterns: Vec<String> = (0..20)
        .map(|k| {
            let g = Grant {
                role: format!("Rolle {k:02}"),
                purpose: format!("Helsehjelp, mønster {k:02}"),
                systems: (0..3)
                    .map(|j| SystemRights {
                        system_id: system_ids[(k * 3 + j) % system_ids.len()],
                        rights: rights[j].clone(),
                        break_glass: j == 0 && k % 5 == 0,
                    })
                    .collect(),
                valid_from: "2026-01-01".into(),
                ..Grant::default()
            };
            serde_json::to_string(&g).unwrap().replace('\'', "''")
        })
        .collect();
    let rounds = authorisations.div_ceil(people.max(1));
    for _ in 0..rounds {
        store
            .execute_raw_for_test(&format!(
                "INSERT INTO authorisations (org_id, person_id, created_at) SELECT org_id, id, {now} FROM people WHERE org_id = {org}"
            ))
            .await
            .unwrap();
    }
    let cases: String = patterns.iter().enumerate().map(|(k, doc)| format!(" WHEN {k} THEN '{doc}'")).collect();
    store
        .execute_raw_for_test(&format!(
            "INSERT INTO authz_events (org_id, authorisation_id, kind, doc, reason, by_user, at) \
             SELECT org_id, id, 'grant', CASE id % 20{cases} END, '', NULL, created_at FROM authorisations WHERE org_id = {org}"
        ))
        .await
        .unwrap();
    println!("{} authorisations: {:.1} s", rounds * people, started.elapsed().as_secs_f64());
    if args[1].starts_with("postgres") {
        // As autovacuum would within its minute: after a bulk load the planner has no
        // statistics and plans for empty tables.
        store.execute_raw_for_test("ANALYZE").await.unwrap();
    }

    let signer = tlog::note::Signer::new("normverk-bench", [7; 32]).unwrap();
    let app = normverk_app::App::new(store.clone(), normverk_app::Clock::system(), signer);
    let reviews = &app.reviews;
    let start = Start {
        kind: Kind::Yearly,
        title: "Årlig tilgangskontroll".into(),
        deadline: "2099-12-31".into(),
        deviation_id: None,
        systems: Vec::new(),
        person_id: None,
    };
    let t = Instant::now();
    let id = reviews.start(org, &start, None).await.unwrap().unwrap();
    let took = t.elapsed();
    let shares = store.review_shares(org, id).await.unwrap();
    let review = store.review(org, id).await.unwrap();
    println!(
        "yearly review {id}: {} lines split over {} managers in {:.2} s",
        review.total,
        shares.len(),
        took.as_secs_f64()
    );
}
