//! The access log: appends, idempotency, tiles, checkpoints, search and full scans.

use crate::*;
use normverk_store::access_log::{Idempotency, NewAccessEvent, StoredCheckpoint};
use normverk_store::OrgId;
use tlog::tile::FullTile;

/// Appends `events` as `org`'s, each in `org`'s view.
async fn append(
    store: &Store,
    org: OrgId,
    events: &[NewAccessEvent],
    idempotency: Option<&Idempotency>,
    now: i64,
) -> normverk_store::StoreResult<normverk_store::access_log::Appended> {
    let events: Vec<NewAccessEvent> = events.iter().map(|e| NewAccessEvent { org_id: org, ..e.clone() }).collect();
    store.append_access_events(org, &events, idempotency, now).await
}

pub(crate) fn event(i: u32) -> NewAccessEvent {
    NewAccessEvent {
        org_id: OrgId(0),
        leaf_hash: [i as u8; 32],
        salt: [1; 16],
        occurred_at: 1_800_000_000 + i64::from(i),
        patient_id: format!("fnr:{i}"),
        user_id: "hpr:1".into(),
        unit: "Akutt".into(),
        event_json: format!("{{\"i\":{i}}}"),
        openings: None,
    }
}

async fn concurrent_appends_get_dense_indexes(engine: &'static str) {
    let db = test_db(engine).await;
    let org = db.store.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
    let mut tasks = Vec::new();
    for t in 0..20u32 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            let batch: Vec<NewAccessEvent> = (0..50).map(|i| event(t * 50 + i)).collect();
            append(&store, org.id, &batch, None, 1).await.map(|a| a.first_index)
        }));
    }
    let mut firsts = Vec::new();
    for t in tasks {
        firsts.push(t.await.unwrap().unwrap());
    }
    firsts.sort();
    assert_eq!(firsts, (0..20).map(|i| i * 50).collect::<Vec<u64>>(), "{engine}: batches are contiguous");
    assert_eq!(db.store.access_log_size().await.unwrap(), 1000);
    assert_eq!(db.store.access_leaf_hashes(0, 1000).await.unwrap().len(), 1000);
}
engine_tests!(concurrent_appends_get_dense_indexes);

async fn leaves_cannot_be_changed_or_deleted_even_with_database_access(engine: &'static str) {
    let db = test_db(engine).await;
    let s = &db.store;
    let org = s.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
    append(s, org.id, &[event(1), event(2)], None, 1).await.unwrap();
    let cp = StoredCheckpoint { size: 2, root: [9; 32], note: "n".into(), signed_at: 1 };
    let tile = FullTile { level: 0, index: 0, hashes: vec![[3; 32]; 256] };
    s.access_integrate(0, &[tile], &[vec![[1; 32], [2; 32]]], &cp).await.unwrap();
    for sql in [
        "UPDATE access_tiles SET hashes = hashes WHERE level = 0",
        "DELETE FROM access_tiles",
        "UPDATE access_checkpoints SET size = 3",
        "DELETE FROM access_checkpoints",
        "UPDATE access_leaves SET leaf_hash = salt WHERE idx = 0",
        "DELETE FROM access_leaves WHERE idx = 1",
        "UPDATE access_payloads SET patient_id = 'fnr:0' WHERE idx = 0",
    ] {
        let err = s.execute_raw_for_test(sql).await.unwrap_err();
        assert!(
            err.to_string().contains("append-only") || err.to_string().contains("cannot be changed"),
            "{engine}: {sql}: {err}"
        );
    }
    if engine == "postgres" {
        for table in ["access_leaves", "access_tiles", "access_checkpoints"] {
            let err = s.execute_raw_for_test(&format!("TRUNCATE {table} CASCADE")).await.unwrap_err();
            assert!(err.to_string().contains("append-only"), "{table}: {err}");
        }
    }
    let hashes = s.access_leaf_hashes(0, 2).await.unwrap();
    assert_eq!(hashes, vec![[1u8; 32], [2u8; 32]], "{engine}: nothing changed");
    assert_eq!(s.access_log_head().await.unwrap(), Some(cp), "{engine}");
}
engine_tests!(leaves_cannot_be_changed_or_deleted_even_with_database_access);

async fn scanned_entries_are_the_entries_with_retired_events_marked(engine: &'static str) {
    let db = test_db(engine).await;
    let s = &db.store;
    let org = s.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
    let mut events: Vec<NewAccessEvent> = (0..600).map(event).collect();
    events[7].event_json = "{\"a\":\"comma, quote \\\" and \\u001e\"}".into();
    append(s, org.id, &events, None, 1).await.unwrap();
    s.execute_raw_for_test("DELETE FROM access_payloads WHERE idx = 3").await.unwrap();
    let scanned = s.scan_access_entries(0, 600).await.unwrap();
    assert_eq!(scanned, s.access_entries(0, 600).await.unwrap(), "{engine}");
    assert_eq!(scanned[3].event_json, None, "{engine}: retired");
    assert_eq!(scanned[7].event_json.as_deref(), Some(events[7].event_json.as_str()));
    assert_eq!(s.scan_access_entries(10, 12).await.unwrap().len(), 2);
}
engine_tests!(scanned_entries_are_the_entries_with_retired_events_marked);

async fn search_over_several_index_segments_matches_a_full_sort(engine: &'static str) {
    use normverk_store::access_log::EventFilter;
    let db = test_db(engine).await;
    let s = &db.store;
    let a = s.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
    let b = s.create_org(&new_org("B", "982463718"), unix_now()).await.unwrap();
    // 80,000 events over two segments of 65,536, their times scattered so that every
    // segment spans nearly the whole range; a few of B's in between.
    let time = |i: u32| 1_800_000_000 + i64::from((i * 7_919) % 100_003);
    let mut all = Vec::new();
    for chunk in 0..8u32 {
        let batch: Vec<NewAccessEvent> = (chunk * 10_000..(chunk + 1) * 10_000)
            .map(|i| NewAccessEvent {
                occurred_at: time(i),
                patient_id: format!("fnr:{}", i % 700),
                user_id: format!("hpr:{}", i % 3),
                event_json: format!("{{\"i\":{i}}}"),
                openings: None,
                ..event(i)
            })
            .collect();
        let first = append(s, a.id, &batch, None, 1).await.unwrap().first_index;
        all.extend(batch.into_iter().enumerate().map(|(k, e)| (first + k as u64, e)));
        append(s, b.id, &[event(chunk)], None, 1).await.unwrap();
    }
    while s.access_index_more(50_000).await.unwrap() > 0 {}
    assert_eq!(s.access_indexed_until().await.unwrap(), s.access_log_size().await.unwrap());
    let expect = |keep: &dyn Fn(&NewAccessEvent) -> bool, limit: usize, offset: usize| -> Vec<u64> {
        let mut m: Vec<(i64, u64)> = all.iter().filter(|(_, e)| keep(e)).map(|(i, e)| (e.occurred_at, *i)).collect();
        m.sort_unstable_by(|x, y| y.cmp(x));
        m.into_iter().skip(offset).take(limit).map(|(_, i)| i).collect()
    };
    let got = |f: EventFilter, limit: u32, offset: u64| async move {
        let rows = s.access_events(a.id, &f, limit, offset).await.unwrap();
        rows.iter().map(|r| r.index).collect::<Vec<u64>>()
    };
    let patient = EventFilter { patient_id: Some("fnr:42".into()), ..Default::default() };
    assert_eq!(got(patient.clone(), 101, 0).await, expect(&|e| e.patient_id == "fnr:42", 101, 0), "{engine}");
    assert_eq!(got(patient, 50, 60).await, expect(&|e| e.patient_id == "fnr:42", 50, 60), "{engine}");
    assert_eq!(got(EventFilter::default(), 101, 0).await, expect(&|_| true, 101, 0), "{engine}");
    assert_eq!(got(EventFilter::default(), 100, 5_000).await, expect(&|_| true, 100, 5_000), "{engine}");
    let (from, to) = (1_800_050_000, 1_800_050_400);
    let window = EventFilter { user_id: Some("hpr:1".into()), from: Some(from), to: Some(to), ..Default::default() };
    let in_window = |e: &NewAccessEvent| e.user_id == "hpr:1" && e.occurred_at >= from && e.occurred_at < to;
    let want = expect(&in_window, 1_000, 0);
    assert!(want.len() > 100, "{engine}: the window holds matches in several segments");
    assert_eq!(got(window, 1_000, 0).await, want, "{engine}");
    assert_eq!(got(EventFilter { patient_id: Some("fnr:1".into()), ..Default::default() }, 10, 0).await.len(), 10);
    let theirs = s.access_events(b.id, &EventFilter::default(), 100, 0).await.unwrap();
    assert_eq!(theirs.len(), 8, "{engine}: B sees its own events only");
}
engine_tests!(search_over_several_index_segments_matches_a_full_sort);

#[tokio::test]
async fn the_sqlite_search_file_is_rebuilt_when_lost_or_ahead_of_the_log() {
    use normverk_store::access_log::EventFilter;
    let db = test_db("sqlite").await;
    let DbTarget::Sqlite(path) = db.target.clone() else { unreachable!() };
    let org = db.store.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
    append(&db.store, org.id, &(0..300).map(event).collect::<Vec<_>>(), None, 1).await.unwrap();
    while db.store.access_index_more(100).await.unwrap() > 0 {}
    let everything = |s: Store| async move { s.access_events(org.id, &EventFilter::default(), 1000, 0).await.unwrap() };
    let before = everything(db.store.clone()).await;
    assert_eq!(before.len(), 300);
    db.store.close().await;
    let search = normverk_store::search_file(&path);
    assert!(search.exists(), "the index lives beside the database");
    std::fs::remove_file(&search).unwrap();
    let reopened = Store::open(&db.target).await.unwrap();
    assert_eq!(reopened.access_indexed_until().await.unwrap(), 0, "a lost index starts again");
    while reopened.access_index_more(1000).await.unwrap() > 0 {}
    assert_eq!(everything(reopened.clone()).await, before, "and is built again from the events");
    reopened.close().await;
    // An index from a larger log (the database was replaced under it) is emptied first.
    let other = test_db("sqlite").await;
    let DbTarget::Sqlite(other_path) = other.target.clone() else { unreachable!() };
    let theirs = other.store.create_org(&new_org("B", "982463718"), unix_now()).await.unwrap();
    append(&other.store, theirs.id, &(0..10).map(event).collect::<Vec<_>>(), None, 1).await.unwrap();
    other.store.close().await;
    let target = normverk_store::search_file(&other_path);
    for ext in ["db", "db-wal"] {
        let _ = std::fs::remove_file(target.with_extension(ext));
        if search.with_extension(ext).exists() {
            std::fs::copy(search.with_extension(ext), target.with_extension(ext)).unwrap();
        }
    }
    let replaced = Store::open(&other.target).await.unwrap();
    assert_eq!(replaced.access_indexed_until().await.unwrap(), 300);
    assert_eq!(replaced.access_index_more(1000).await.unwrap(), 0);
    assert_eq!(replaced.access_indexed_until().await.unwrap(), 0, "emptied");
    assert_eq!(replaced.access_index_more(1000).await.unwrap(), 10);
    let found = replaced.access_events(theirs.id, &EventFilter::default(), 1000, 0).await.unwrap();
    assert_eq!(found.len(), 10);
    replaced.close().await;
}

async fn a_retried_request_with_its_idempotency_key_stores_nothing_twice(engine: &'static str) {
    let db = test_db(engine).await;
    let s = &db.store;
    let org = s.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
    let other = s.create_org(&new_org("B", "982463718"), unix_now()).await.unwrap();
    let key = Idempotency { key: "retry-1".into(), request_sha: [5; 32] };
    let first = append(s, org.id, &[event(1), event(2)], Some(&key), 1).await.unwrap();
    assert!(!first.replayed);
    let again = append(s, org.id, &[event(1), event(2)], Some(&key), 2).await.unwrap();
    assert_eq!((again.first_index, again.count, again.replayed), (0, 2, true), "{engine}");
    assert_eq!(s.access_log_size().await.unwrap(), 2, "{engine}: stored once");
    let changed = Idempotency { key: "retry-1".into(), request_sha: [6; 32] };
    let err = append(s, org.id, &[event(3)], Some(&changed), 3).await.unwrap_err();
    assert!(err.to_string().contains("another request"), "{engine}: {err}");
    // Keys belong to one organisation, and are forgotten after a day.
    let theirs = append(s, other.id, &[event(3)], Some(&key), 3).await.unwrap();
    assert!(!theirs.replayed, "{engine}");
    let later = append(s, org.id, &[event(4)], Some(&key), 1 + 86_401).await.unwrap();
    assert!(!later.replayed, "{engine}");
    assert_eq!(s.access_log_size().await.unwrap(), 4, "{engine}");
}
engine_tests!(a_retried_request_with_its_idempotency_key_stores_nothing_twice);

async fn integration_refuses_a_stale_head_and_tiles_come_back_cut_to_width(engine: &'static str) {
    let db = test_db(engine).await;
    let s = &db.store;
    let hashes: Vec<[u8; 32]> = (0..300u32).map(|i| tlog::merkle::leaf_hash(&i.to_be_bytes())).collect();
    let tile = FullTile { level: 0, index: 0, hashes: hashes[..256].to_vec() };
    let edge = vec![hashes[256..].to_vec()];
    let cp = StoredCheckpoint { size: 300, root: [9; 32], note: "n".into(), signed_at: 1 };
    s.access_integrate(0, &[tile], &edge, &cp).await.unwrap();
    let stale = StoredCheckpoint { size: 301, ..cp.clone() };
    assert!(s.access_integrate(0, &[], &edge, &stale).await.is_err(), "{engine}: head moved");
    assert_eq!(s.access_tile(0, 0, 256).await.unwrap().unwrap(), hashes[..256].to_vec());
    assert_eq!(s.access_tile(0, 0, 10).await.unwrap().unwrap(), hashes[..10].to_vec());
    assert_eq!(s.access_tile(0, 1, 44).await.unwrap().unwrap(), hashes[256..].to_vec());
    assert_eq!(s.access_tile(0, 1, 45).await.unwrap(), None, "{engine}: wider than the edge");
    assert_eq!(s.access_tile(1, 0, 1).await.unwrap(), None);
    assert_eq!(s.access_edge().await.unwrap(), edge);
}
engine_tests!(integration_refuses_a_stale_head_and_tiles_come_back_cut_to_width);
