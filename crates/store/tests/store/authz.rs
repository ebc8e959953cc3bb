//! The authorization register's pages.

use crate::*;
use normverk_core::authz::{Grant, PersonIn, Right, SystemRights};
use normverk_core::system::{Criticality, NewSystem};
use normverk_store::access_log::NewAccessEvent;
use normverk_store::authz::RegisterFilter;

/// An entry for the access log, as the app makes one for each change of the register.
fn record(org: normverk_store::OrgId, i: u32) -> NewAccessEvent {
    NewAccessEvent { org_id: org, ..crate::access_log::event(i) }
}

/// Every page of the register, filtered or not, is a slice of the same order: newest first,
/// nothing twice, nothing left out.
async fn register_pages_slice_the_register_newest_first(engine: &'static str) {
    let db = test_db(engine).await;
    let s = &db.store;
    let now = unix_now();
    let a = s.create_org(&new_org("A", "974760673"), now).await.unwrap();
    let system = |name: &str| NewSystem::new(name, Criticality::Critical);
    let epj = s.create_system(a.id, &system("EPJ"), now).await.unwrap().id;
    let lab = s.create_system(a.id, &system("Lab"), now).await.unwrap().id;
    let grant = |i: usize| Grant {
        purpose: format!("Formål {i}"),
        systems: vec![SystemRights {
            system_id: if i.is_multiple_of(3) { lab } else { epj },
            rights: vec![Right::Read],
            break_glass: false,
        }],
        valid_from: "2026-12-01".into(),
        ..Default::default()
    };
    let people: Vec<PersonIn> = ["Kari Lege", "Ola Sykepleier"]
        .iter()
        .enumerate()
        .map(|(i, n)| PersonIn { name: (*n).into(), employee_id: format!("{i}"), ..Default::default() })
        .collect();
    let grants: Vec<Vec<Grant>> = (0..2).map(|p| (0..60).map(|i| grant(p * 60 + i)).collect()).collect();
    s.import_people(a.id, &people, &grants, None, &record(a.id, 0), now).await.unwrap();
    let all = s.register_page(a.id, &RegisterFilter::default(), 1000, 0).await.unwrap();
    assert_eq!(all.len(), 120, "{engine}");
    // Every fifth revoked.
    for r in all.iter().step_by(5) {
        let g = &r.authorisation.grant;
        s.append_authorisation(a.id, r.authorisation.id, "revoke", g, "Sluttet", None, &record(a.id, 1), now + 1)
            .await
            .unwrap();
    }
    let ids = |rows: &[normverk_store::authz::RegisterRow]| rows.iter().map(|r| r.authorisation.id).collect::<Vec<_>>();
    let filters = [
        RegisterFilter::default(),
        RegisterFilter { q: "kari".into(), ..Default::default() },
        RegisterFilter { system_id: Some(lab), ..Default::default() },
        RegisterFilter { revoked: Some(false), ..Default::default() },
        RegisterFilter { q: "ola".into(), revoked: Some(true), ..Default::default() },
    ];
    for f in &filters {
        let whole = s.register_page(a.id, f, 1000, 0).await.unwrap();
        assert!(!whole.is_empty(), "{engine}: {f:?}");
        assert!(ids(&whole).windows(2).all(|w| w[0] > w[1]), "{engine}: newest first");
        let mut paged = Vec::new();
        for page in 0.. {
            let rows = s.register_page(a.id, f, 7, page * 7).await.unwrap();
            if rows.is_empty() {
                break;
            }
            paged.extend(rows);
        }
        assert_eq!(ids(&paged), ids(&whole), "{engine}: {f:?}");
        assert_eq!(paged, whole, "{engine}: the same rows, latest events and all");
    }
    let standing = s.register_page(a.id, &filters[3], 1000, 0).await.unwrap();
    assert_eq!(standing.len(), 96, "{engine}");
    assert!(standing.iter().all(|r| !r.authorisation.revoked));
    let kari = s.register_page(a.id, &filters[1], 1000, 0).await.unwrap();
    assert!(kari.len() == 60 && kari.iter().all(|r| r.person_name == "Kari Lege"), "{engine}");
}
engine_tests!(register_pages_slice_the_register_newest_first);

/// Revokes of one authorisation at once (a manager, the leaver revoker, a SCIM deprovision):
/// one is made, the rest refused as already revoked; the history has one revoke and the log
/// one entry.
async fn concurrent_revokes_of_one_authorisation_make_one(engine: &'static str) {
    let db = test_db(engine).await;
    let s = &db.store;
    let now = unix_now();
    let a = s.create_org(&new_org("A", "974760673"), now).await.unwrap();
    let epj = s.create_system(a.id, &NewSystem::new("EPJ", Criticality::Critical), now).await.unwrap().id;
    let grant = Grant {
        purpose: "Helsehjelp".into(),
        systems: vec![SystemRights { system_id: epj, rights: vec![Right::Read], break_glass: false }],
        valid_from: "2026-12-01".into(),
        ..Default::default()
    };
    let person = PersonIn { name: "Kari Lege".into(), employee_id: "1".into(), ..Default::default() };
    s.import_people(a.id, &[person], &[vec![grant.clone()]], None, &record(a.id, 0), now).await.unwrap();
    let id = s.register_page(a.id, &RegisterFilter::default(), 10, 0).await.unwrap()[0].authorisation.id;
    let before = s.access_log_size().await.unwrap();
    let revokes = (0..6).map(|i| {
        let (record, grant) = (record(a.id, i), grant.clone());
        async move { s.append_authorisation(a.id, id, "revoke", &grant, "Sluttet", None, &record, now + 1).await }
    });
    let results = futures_util::future::join_all(revokes).await;
    let made = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(made, 1, "{engine}: {results:?}");
    assert!(results.iter().all(|r| r.is_ok() || matches!(r, Err(normverk_store::StoreError::Rejected(_)))));
    let person = s.people(a.id).await.unwrap()[0].id;
    let history = s.authorisation_history(a.id, person).await.unwrap();
    assert_eq!(history.iter().filter(|e| e.kind == "revoke").count(), 1, "{engine}");
    assert_eq!(s.access_log_size().await.unwrap(), before + 1, "{engine}: one log entry");
}
engine_tests!(concurrent_revokes_of_one_authorisation_make_one);
