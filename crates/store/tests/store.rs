//! Repository tests, run on SQLite and (when NORMVERK_TEST_POSTGRES_URL is set) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use normverk_core::org::{OrgKind, OrgNumber, Role, Scope};
use normverk_store::account::{secret_hash, NewUser, SetupTokenState};
use normverk_store::org::NewOrg;
use normverk_store::testing::{engines, fresh_target, test_db};
use normverk_store::{DbTarget, Store, StoreError, SCHEMA_VERSION};

fn new_org(name: &str, number: &str) -> NewOrg {
    NewOrg {
        name: name.into(),
        org_number: OrgNumber::parse(number).unwrap(),
        kind: OrgKind::GpOffice,
        parent_id: None,
    }
}

fn new_user(email: &str) -> NewUser {
    NewUser { email: email.into(), display_name: email.into(), password_hash: Some("$argon2id$fake".into()) }
}

#[tokio::test]
async fn migrations_apply_once_and_refuse_newer_schema() {
    for engine in engines() {
        let (target, _guard) = fresh_target(engine).await;
        let store = Store::open(&target).await.unwrap();
        assert_eq!(store.schema_version().await.unwrap(), 0);
        assert!(matches!(store.require_current_schema().await, Err(StoreError::SchemaTooOld { .. })));
        let report = store.migrate().await.unwrap();
        assert_eq!((report.from_version, report.to_version), (0, SCHEMA_VERSION));
        let again = store.migrate().await.unwrap();
        assert_eq!(again.from_version, SCHEMA_VERSION, "{engine}");
        store.require_current_schema().await.unwrap();

        // A newer normverk wrote version 999: this one must refuse and change nothing.
        store.create_org(&new_org("A", "974760673")).await.unwrap();
        let reopened = Store::open(&target).await.unwrap();
        reopened.mark_schema_version_for_test(999).await;
        let err = reopened.migrate().await.unwrap_err();
        assert!(matches!(err, StoreError::SchemaTooNew { found: 999, .. }), "{engine}: {err}");
        assert!(err.to_string().contains("upgrade normverk"));
        assert!(reopened.find_org("974760673").await.is_ok());
    }
}

#[tokio::test]
async fn every_earlier_version_upgrades_to_the_schema_of_a_fresh_database() {
    for engine in engines() {
        let fresh = test_db(engine).await;
        let latest = fresh.store.schema_for_test().await;
        assert!(latest.iter().any(|l| l.starts_with("deviations.")), "{engine}: {latest:?}");
        for version in 0..SCHEMA_VERSION {
            let (target, _guard) = fresh_target(engine).await;
            let store = Store::open(&target).await.unwrap();
            let report = store.migrate_to_version(version).await.unwrap();
            assert_eq!(report.to_version, version);
            if version >= 1 {
                store.create_org(&new_org("A", "974760673")).await.unwrap();
            }
            let report = store.migrate().await.unwrap();
            assert_eq!((report.from_version, report.to_version), (version, SCHEMA_VERSION), "{engine}");
            assert_eq!(store.schema_for_test().await, latest, "{engine}: upgraded from version {version}");
            if version >= 1 {
                assert!(store.find_org("974760673").await.is_ok(), "{engine}: data kept from version {version}");
            }
            store.require_current_schema().await.unwrap();
            store.close().await;
        }
    }
}

#[tokio::test]
async fn an_edited_released_migration_is_refused_by_name() {
    for engine in engines() {
        let db = test_db(engine).await;
        db.store.alter_migration_checksum_for_test(7).await;
        let reopened = Store::open(&db.target).await.unwrap();
        let err = reopened.migrate().await.unwrap_err();
        assert!(matches!(err, StoreError::MigrationChanged { version: 7, .. }), "{engine}: {err}");
        assert!(err.to_string().contains("0007_system.sql"), "{err}");
        assert!(matches!(reopened.require_current_schema().await, Err(StoreError::MigrationChanged { .. })));
    }
}

#[tokio::test]
async fn a_database_from_before_checksums_gains_them_and_upgrades_in_place() {
    for engine in engines() {
        let (target, _guard) = fresh_target(engine).await;
        let store = Store::open(&target).await.unwrap();
        store.migrate_to_version(8).await.unwrap();
        store.create_org(&new_org("A", "974760673")).await.unwrap();
        // As an earlier normverk left it: no checksum column at all.
        store.execute_raw_for_test("ALTER TABLE schema_migrations DROP COLUMN checksum").await.unwrap();
        let reopened = Store::open(&target).await.unwrap();
        reopened.migrate().await.unwrap();
        reopened.require_current_schema().await.unwrap();
        assert!(reopened.find_org("974760673").await.is_ok());
        // Every step now has its checksum, so an edit is caught from here on.
        reopened.alter_migration_checksum_for_test(2).await;
        assert!(matches!(reopened.migrate().await, Err(StoreError::MigrationChanged { version: 2, .. })), "{engine}");
    }
}

#[tokio::test]
async fn setup_link_is_single_use_and_expires() {
    for engine in engines() {
        let db = test_db(engine).await;
        let s = &db.store;
        s.create_setup_token(&secret_hash("good"), 1000, 4600).await.unwrap();
        s.create_setup_token(&secret_hash("old"), 0, 3600).await.unwrap();
        assert_eq!(s.setup_token_state(&secret_hash("good"), 1001).await.unwrap(), SetupTokenState::Valid);
        assert_eq!(s.setup_token_state(&secret_hash("old"), 3600).await.unwrap(), SetupTokenState::Expired);
        assert_eq!(s.setup_token_state(&secret_hash("nope"), 0).await.unwrap(), SetupTokenState::Unknown);

        let err = s.complete_setup(&secret_hash("old"), 4000, &new_org("A", "974760673"), &new_user("a@x.no")).await;
        assert!(matches!(err, Err(StoreError::Rejected(_))), "{engine}");
        assert_eq!(s.count_users().await.unwrap(), 0, "a refused setup leaves nothing behind");

        let (org, user) = s
            .complete_setup(&secret_hash("good"), 2000, &new_org("A", "974760673"), &new_user("a@x.no"))
            .await
            .unwrap();
        assert_eq!(s.roles(org.id, user.id).await.unwrap(), vec![Role::Admin]);
        assert_eq!(s.setup_token_state(&secret_hash("good"), 2001).await.unwrap(), SetupTokenState::Used);
        let again = s.complete_setup(&secret_hash("good"), 2002, &new_org("B", "983544622"), &new_user("b@x.no")).await;
        assert!(matches!(again, Err(StoreError::Rejected(_))));
    }
}

#[tokio::test]
async fn organisation_data_stays_in_its_organisation() {
    for engine in engines() {
        let db = test_db(engine).await;
        let s = &db.store;
        let a = s.create_org(&new_org("A", "974760673")).await.unwrap();
        let b = s.create_org(&new_org("B", "983544622")).await.unwrap();
        let unit_b = s.create_unit(b.id, "Legevakt", None).await.unwrap();
        assert!(matches!(s.unit(a.id, unit_b.id).await, Err(StoreError::NotFound)), "{engine}");
        assert!(matches!(s.delete_unit(a.id, unit_b.id).await, Err(StoreError::NotFound)));
        assert!(s.units(a.id).await.unwrap().is_empty());
        // A unit cannot hang under another organisation's unit.
        assert!(matches!(s.create_unit(a.id, "X", Some(unit_b.id)).await, Err(StoreError::Rejected(_))));
        let token = s.create_token(b.id, "EPJ", &[Scope::OrgRead], &secret_hash("t"), None).await.unwrap();
        assert!(matches!(s.revoke_token(a.id, token.id).await, Err(StoreError::NotFound)));
        assert!(s.active_token(&secret_hash("t")).await.is_ok());
        let user_b = s.create_user(b.id, &new_user("b@x.no"), &[Role::Admin]).await.unwrap();
        assert!(matches!(s.member(a.id, user_b.id).await, Err(StoreError::NotFound)));
    }
}

#[tokio::test]
async fn duplicates_are_conflicts_and_admins_cannot_vanish() {
    for engine in engines() {
        let db = test_db(engine).await;
        let s = &db.store;
        let a = s.create_org(&new_org("A", "974760673")).await.unwrap();
        let err = s.create_org(&new_org("A2", "974760673")).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(ref m) if m.contains("974760673")), "{engine}: {err}");
        let admin = s.create_user(a.id, &new_user("a@x.no"), &[Role::Admin]).await.unwrap();
        let err = s.create_user(a.id, &new_user("a@x.no"), &[Role::Employee]).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)));
        let err = s.set_roles(a.id, admin.id, &[Role::Employee]).await.unwrap_err();
        assert!(matches!(err, StoreError::Rejected(_)));
        assert_eq!(s.roles(a.id, admin.id).await.unwrap(), vec![Role::Admin], "refused change is rolled back");
        s.set_roles(a.id, admin.id, &[Role::SecurityLead, Role::Admin]).await.unwrap();
        assert_eq!(s.roles(a.id, admin.id).await.unwrap(), vec![Role::Admin, Role::SecurityLead]);
        let orgs = s.orgs_of_user(admin.id).await.unwrap();
        assert_eq!(orgs.len(), 1);
        assert_eq!(orgs[0].1, vec![Role::Admin, Role::SecurityLead]);
    }
}

#[tokio::test]
async fn fifty_concurrent_writers_all_succeed() {
    for engine in engines() {
        let db = test_db(engine).await;
        let org = db.store.create_org(&new_org("A", "974760673")).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..50 {
            let store = db.store.clone();
            tasks.push(tokio::spawn(async move {
                for j in 0..4 {
                    store.create_unit(org.id, &format!("Enhet {i}-{j}"), None).await?;
                    store.units(org.id).await?;
                }
                Ok::<_, StoreError>(())
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap_or_else(|e| panic!("{engine}: {e}"));
        }
        assert_eq!(db.store.units(org.id).await.unwrap().len(), 200);
    }
}

#[tokio::test]
async fn sqlite_snapshot_is_a_working_database() {
    let db = test_db("sqlite").await;
    let org = db.store.create_org(&new_org("A", "974760673")).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    db.store.sqlite_snapshot(&copy).await.unwrap();
    let restored = Store::open(&normverk_store::DbTarget::Sqlite(copy)).await.unwrap();
    restored.require_current_schema().await.unwrap();
    assert_eq!(restored.org(org.id).await.unwrap().name, "A");
    assert!(restored.integrity_problems().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("normverk.db");
    std::fs::write(&path, vec![b'x'; 8192]).unwrap();
    let err = Store::open(&normverk_store::DbTarget::Sqlite(path.clone())).await.err().expect("refused");
    assert!(err.to_string().contains("not a database"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), vec![b'x'; 8192], "the file is left as it was");
}

#[tokio::test]
async fn managers_lead_their_own_organisations_units_only() {
    for engine in engines() {
        let db = test_db(engine).await;
        let s = &db.store;
        let a = s.create_org(&new_org("A", "974760673")).await.unwrap();
        let b = s.create_org(&new_org("B", "983544622")).await.unwrap();
        let unit_a = s.create_unit(a.id, "Sengepost", None).await.unwrap();
        let unit_b = s.create_unit(b.id, "Legevakt", None).await.unwrap();
        s.create_user(a.id, &new_user("admin@a.no"), &[Role::Admin]).await.unwrap();
        let lead = s.create_user(a.id, &new_user("leder@a.no"), &[Role::Employee]).await.unwrap();
        assert!(
            matches!(s.set_managed_units(a.id, lead.id, &[unit_a.id]).await, Err(StoreError::Rejected(_))),
            "{engine}"
        );
        s.set_roles(a.id, lead.id, &[Role::Manager]).await.unwrap();
        assert!(matches!(
            s.set_managed_units(a.id, lead.id, &[unit_a.id, unit_b.id]).await,
            Err(StoreError::Rejected(_))
        ));
        assert!(s.managed_units(a.id).await.unwrap().is_empty(), "refused change is rolled back");
        s.set_managed_units(a.id, lead.id, &[unit_a.id, unit_a.id]).await.unwrap();
        assert_eq!(s.managed_units(a.id).await.unwrap(), vec![(lead.id, unit_a.id)]);
        assert!(matches!(s.delete_unit(a.id, unit_a.id).await, Ok(())), "deleting a unit releases its managers");
        let unit_a2 = s.create_unit(a.id, "Poliklinikk", None).await.unwrap();
        s.set_managed_units(a.id, lead.id, &[unit_a2.id]).await.unwrap();
        s.set_roles(a.id, lead.id, &[Role::Employee]).await.unwrap();
        assert!(s.managed_units(a.id).await.unwrap().is_empty(), "no longer a manager, no longer leads");
    }
}

mod assessment {
    use super::*;
    use normverk_core::assessment::{check_answer, AnswerInput};

    fn answer(status: &str, justification: &str) -> normverk_core::assessment::Answer {
        check_answer(&AnswerInput {
            status: status.into(),
            justification: justification.into(),
            ..AnswerInput::default()
        })
        .unwrap()
    }

    #[tokio::test]
    async fn rounds_keep_history_freeze_and_carry_answers_over() {
        for engine in engines() {
            let db = test_db(engine).await;
            let s = &db.store;
            let a = s.create_org(&new_org("A", "974760673")).await.unwrap();
            let b = s.create_org(&new_org("B", "983544622")).await.unwrap();
            let user = s.create_user(a.id, &new_user("a@a.no"), &[Role::Admin]).await.unwrap();
            let outsider = s.create_user(b.id, &new_user("b@b.no"), &[Role::Admin]).await.unwrap();
            let round = s.start_round(a.id, "2026", "normen", "5.3", None, Some(user.id), 100).await.unwrap();
            assert!(matches!(
                s.start_round(a.id, "again", "normen", "5.3", None, None, 101).await,
                Err(StoreError::Rejected(_))
            ));

            let saved =
                s.save_answers(a.id, round.id, &[("2.1-01".into(), answer("partial", ""))], Some(user.id), 110).await;
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
                history[0].before_json.as_deref().unwrap().contains("partial")
                    && history[0].after_json.contains("\"met\"")
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
                .add_evidence(
                    a.id,
                    round.id,
                    "2.1-01",
                    "rutine.pdf",
                    "application/pdf",
                    b"%PDF-1.4 rutine",
                    Some(user.id),
                    160,
                )
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
            assert!(matches!(refused, Err(StoreError::Rejected(ref m)) if m.contains("frozen")));
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
            let seeded: Vec<String> =
                s.answers(a.id, v6.id).await.unwrap().into_iter().map(|r| r.requirement_id).collect();
            assert_eq!(seeded, vec!["2.1-01", "2.1-02"]);
            assert!(
                s.evidence_for(a.id, v6.id, "2.1-01").await.unwrap().is_empty(),
                "evidence stays with its catalogue"
            );
        }
    }
}

mod access_log {
    use super::*;
    use normverk_store::access_log::{Idempotency, NewAccessEvent, StoredCheckpoint};
    use tlog::tile::FullTile;

    fn event(i: u32) -> NewAccessEvent {
        NewAccessEvent {
            leaf_hash: [i as u8; 32],
            salt: [1; 16],
            occurred_at: 1_800_000_000 + i64::from(i),
            patient_id: format!("fnr:{i}"),
            user_id: "hpr:1".into(),
            unit: "Akutt".into(),
            event_json: format!("{{\"i\":{i}}}"),
        }
    }

    #[tokio::test]
    async fn concurrent_appends_get_dense_indexes() {
        for engine in engines() {
            let db = test_db(engine).await;
            let org = db.store.create_org(&new_org("A", "974760673")).await.unwrap();
            let mut tasks = Vec::new();
            for t in 0..20u32 {
                let store = db.store.clone();
                tasks.push(tokio::spawn(async move {
                    let batch: Vec<NewAccessEvent> = (0..50).map(|i| event(t * 50 + i)).collect();
                    store.append_access_events(org.id, &batch, None, 1).await.map(|a| a.first_index)
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
    }

    #[tokio::test]
    async fn leaves_cannot_be_changed_or_deleted_even_with_database_access() {
        for engine in engines() {
            let db = test_db(engine).await;
            let s = &db.store;
            let org = s.create_org(&new_org("A", "974760673")).await.unwrap();
            s.append_access_events(org.id, &[event(1), event(2)], None, 1).await.unwrap();
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
    }

    #[tokio::test]
    async fn scanned_entries_are_the_entries_with_retired_events_marked() {
        for engine in engines() {
            let db = test_db(engine).await;
            let s = &db.store;
            let org = s.create_org(&new_org("A", "974760673")).await.unwrap();
            let mut events: Vec<NewAccessEvent> = (0..600).map(event).collect();
            events[7].event_json = "{\"a\":\"comma, quote \\\" and \\u001e\"}".into();
            s.append_access_events(org.id, &events, None, 1).await.unwrap();
            s.execute_raw_for_test("DELETE FROM access_payloads WHERE idx = 3").await.unwrap();
            let scanned = s.scan_access_entries(0, 600).await.unwrap();
            assert_eq!(scanned, s.access_entries(0, 600).await.unwrap(), "{engine}");
            assert_eq!(scanned[3].event_json, None, "{engine}: retired");
            assert_eq!(scanned[7].event_json.as_deref(), Some(events[7].event_json.as_str()));
            assert_eq!(s.scan_access_entries(10, 12).await.unwrap().len(), 2);
        }
    }

    #[tokio::test]
    async fn search_over_several_index_segments_matches_a_full_sort() {
        use normverk_store::access_log::EventFilter;
        for engine in engines() {
            let db = test_db(engine).await;
            let s = &db.store;
            let a = s.create_org(&new_org("A", "974760673")).await.unwrap();
            let b = s.create_org(&new_org("B", "982463718")).await.unwrap();
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
                        ..event(i)
                    })
                    .collect();
                let first = s.append_access_events(a.id, &batch, None, 1).await.unwrap().first_index;
                all.extend(batch.into_iter().enumerate().map(|(k, e)| (first + k as u64, e)));
                s.append_access_events(b.id, &[event(chunk)], None, 1).await.unwrap();
            }
            while s.access_index_more(50_000).await.unwrap() > 0 {}
            assert_eq!(s.access_indexed_until().await.unwrap(), s.access_log_size().await.unwrap());
            let expect = |keep: &dyn Fn(&NewAccessEvent) -> bool, limit: usize, offset: usize| -> Vec<u64> {
                let mut m: Vec<(i64, u64)> =
                    all.iter().filter(|(_, e)| keep(e)).map(|(i, e)| (e.occurred_at, *i)).collect();
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
            let window =
                EventFilter { user_id: Some("hpr:1".into()), from: Some(from), to: Some(to), ..Default::default() };
            let in_window = |e: &NewAccessEvent| e.user_id == "hpr:1" && e.occurred_at >= from && e.occurred_at < to;
            let want = expect(&in_window, 1_000, 0);
            assert!(want.len() > 100, "{engine}: the window holds matches in several segments");
            assert_eq!(got(window, 1_000, 0).await, want, "{engine}");
            assert_eq!(
                got(EventFilter { patient_id: Some("fnr:1".into()), ..Default::default() }, 10, 0).await.len(),
                10
            );
            let theirs = s.access_events(b.id, &EventFilter::default(), 100, 0).await.unwrap();
            assert_eq!(theirs.len(), 8, "{engine}: B sees its own events only");
        }
    }

    #[tokio::test]
    async fn the_sqlite_search_file_is_rebuilt_when_lost_or_ahead_of_the_log() {
        use normverk_store::access_log::EventFilter;
        let db = test_db("sqlite").await;
        let DbTarget::Sqlite(path) = db.target.clone() else { unreachable!() };
        let org = db.store.create_org(&new_org("A", "974760673")).await.unwrap();
        db.store.append_access_events(org.id, &(0..300).map(event).collect::<Vec<_>>(), None, 1).await.unwrap();
        while db.store.access_index_more(100).await.unwrap() > 0 {}
        let everything =
            |s: Store| async move { s.access_events(org.id, &EventFilter::default(), 1000, 0).await.unwrap() };
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
        let theirs = other.store.create_org(&new_org("B", "982463718")).await.unwrap();
        other.store.append_access_events(theirs.id, &(0..10).map(event).collect::<Vec<_>>(), None, 1).await.unwrap();
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

    #[tokio::test]
    async fn a_retried_request_with_its_idempotency_key_stores_nothing_twice() {
        for engine in engines() {
            let db = test_db(engine).await;
            let s = &db.store;
            let org = s.create_org(&new_org("A", "974760673")).await.unwrap();
            let other = s.create_org(&new_org("B", "982463718")).await.unwrap();
            let key = Idempotency { key: "retry-1".into(), request_sha: [5; 32] };
            let first = s.append_access_events(org.id, &[event(1), event(2)], Some(&key), 1).await.unwrap();
            assert!(!first.replayed);
            let again = s.append_access_events(org.id, &[event(1), event(2)], Some(&key), 2).await.unwrap();
            assert_eq!((again.first_index, again.count, again.replayed), (0, 2, true), "{engine}");
            assert_eq!(s.access_log_size().await.unwrap(), 2, "{engine}: stored once");
            let changed = Idempotency { key: "retry-1".into(), request_sha: [6; 32] };
            let err = s.append_access_events(org.id, &[event(3)], Some(&changed), 3).await.unwrap_err();
            assert!(err.to_string().contains("another request"), "{engine}: {err}");
            // Keys belong to one organisation, and are forgotten after a day.
            let theirs = s.append_access_events(other.id, &[event(3)], Some(&key), 3).await.unwrap();
            assert!(!theirs.replayed, "{engine}");
            let later = s.append_access_events(org.id, &[event(4)], Some(&key), 1 + 86_401).await.unwrap();
            assert!(!later.replayed, "{engine}");
            assert_eq!(s.access_log_size().await.unwrap(), 4, "{engine}");
        }
    }

    #[tokio::test]
    async fn integration_refuses_a_stale_head_and_tiles_come_back_cut_to_width() {
        for engine in engines() {
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
    }
}
