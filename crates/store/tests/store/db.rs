//! Migrations, setup links, organisations and members, concurrency, snapshots.

use crate::*;
use normverk_store::org::ManagedUnit;

async fn migrations_apply_once_and_refuse_newer_schema(engine: &'static str) {
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
    store.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
    let reopened = Store::open(&target).await.unwrap();
    reopened.mark_schema_version_for_test(999).await;
    let err = reopened.migrate().await.unwrap_err();
    assert!(matches!(err, StoreError::SchemaTooNew { found: 999, .. }), "{engine}: {err}");
    assert!(err.to_string().contains("upgrade normverk"));
    assert!(reopened.find_org("974760673").await.is_ok());
}
engine_tests!(migrations_apply_once_and_refuse_newer_schema);

async fn every_earlier_version_upgrades_to_the_schema_of_a_fresh_database(engine: &'static str) {
    let fresh = test_db(engine).await;
    let latest = fresh.store.schema_for_test().await;
    assert!(latest.iter().any(|l| l.starts_with("deviations.")), "{engine}: {latest:?}");
    for version in 0..SCHEMA_VERSION {
        let (target, _guard) = fresh_target(engine).await;
        let store = Store::open(&target).await.unwrap();
        let report = store.migrate_to_version(version).await.unwrap();
        assert_eq!(report.to_version, version);
        if version >= 1 {
            store.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
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
engine_tests!(every_earlier_version_upgrades_to_the_schema_of_a_fresh_database);

async fn an_edited_released_migration_is_refused_by_name(engine: &'static str) {
    let db = test_db(engine).await;
    db.store.alter_migration_checksum_for_test(7).await;
    let reopened = Store::open(&db.target).await.unwrap();
    let err = reopened.migrate().await.unwrap_err();
    assert!(matches!(err, StoreError::MigrationChanged { version: 7, .. }), "{engine}: {err}");
    assert!(err.to_string().contains("0007_system.sql"), "{err}");
    assert!(matches!(reopened.require_current_schema().await, Err(StoreError::MigrationChanged { .. })));
}
engine_tests!(an_edited_released_migration_is_refused_by_name);

async fn a_database_from_before_checksums_gains_them_and_upgrades_in_place(engine: &'static str) {
    let (target, _guard) = fresh_target(engine).await;
    let store = Store::open(&target).await.unwrap();
    store.migrate_to_version(8).await.unwrap();
    store.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
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
engine_tests!(a_database_from_before_checksums_gains_them_and_upgrades_in_place);

async fn setup_link_is_single_use_and_expires(engine: &'static str) {
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

    let (org, user) =
        s.complete_setup(&secret_hash("good"), 2000, &new_org("A", "974760673"), &new_user("a@x.no")).await.unwrap();
    assert_eq!(s.roles(org.id, user.id).await.unwrap(), vec![Role::Admin]);
    assert_eq!(s.setup_token_state(&secret_hash("good"), 2001).await.unwrap(), SetupTokenState::Used);
    let again = s.complete_setup(&secret_hash("good"), 2002, &new_org("B", "983544622"), &new_user("b@x.no")).await;
    assert!(matches!(again, Err(StoreError::Rejected(_))));
}
engine_tests!(setup_link_is_single_use_and_expires);

async fn organisation_data_stays_in_its_organisation(engine: &'static str) {
    let db = test_db(engine).await;
    let s = &db.store;
    let a = s.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
    let b = s.create_org(&new_org("B", "983544622"), unix_now()).await.unwrap();
    let unit_b = s.create_unit(b.id, "Legevakt", None, unix_now()).await.unwrap();
    assert!(matches!(s.unit(a.id, unit_b.id).await, Err(StoreError::NotFound)), "{engine}");
    assert!(matches!(s.delete_unit(a.id, unit_b.id).await, Err(StoreError::NotFound)));
    assert!(s.units(a.id).await.unwrap().is_empty());
    // A unit cannot hang under another organisation's unit.
    assert!(matches!(s.create_unit(a.id, "X", Some(unit_b.id), unix_now()).await, Err(StoreError::Rejected(_))));
    let token = s.create_token(b.id, "EPJ", &[Scope::OrgRead], &secret_hash("t"), None, unix_now()).await.unwrap();
    assert!(matches!(s.revoke_token(a.id, token.id, unix_now()).await, Err(StoreError::NotFound)));
    assert!(s.active_token(&secret_hash("t")).await.is_ok());
    let user_b = s.create_user(b.id, &new_user("b@x.no"), &[Role::Admin], unix_now()).await.unwrap();
    assert!(matches!(s.member(a.id, user_b.id).await, Err(StoreError::NotFound)));
}
engine_tests!(organisation_data_stays_in_its_organisation);

async fn duplicates_are_conflicts_and_admins_cannot_vanish(engine: &'static str) {
    let db = test_db(engine).await;
    let s = &db.store;
    let a = s.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
    let err = s.create_org(&new_org("A2", "974760673"), unix_now()).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(ref m) if m.contains("974760673")), "{engine}: {err}");
    let admin = s.create_user(a.id, &new_user("a@x.no"), &[Role::Admin], unix_now()).await.unwrap();
    let err = s.create_user(a.id, &new_user("a@x.no"), &[Role::Employee], unix_now()).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)));
    let err = s.set_roles(a.id, admin.id, &[Role::Employee], unix_now()).await.unwrap_err();
    assert!(matches!(err, StoreError::Rejected(_)));
    assert_eq!(s.roles(a.id, admin.id).await.unwrap(), vec![Role::Admin], "refused change is rolled back");
    s.set_roles(a.id, admin.id, &[Role::SecurityLead, Role::Admin], unix_now()).await.unwrap();
    assert_eq!(s.roles(a.id, admin.id).await.unwrap(), vec![Role::Admin, Role::SecurityLead]);
    let orgs = s.orgs_of_user(admin.id).await.unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0].roles, vec![Role::Admin, Role::SecurityLead]);
}
engine_tests!(duplicates_are_conflicts_and_admins_cannot_vanish);

async fn fifty_concurrent_writers_all_succeed(engine: &'static str) {
    let db = test_db(engine).await;
    let org = db.store.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            for j in 0..4 {
                store.create_unit(org.id, &format!("Enhet {i}-{j}"), None, unix_now()).await?;
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
engine_tests!(fifty_concurrent_writers_all_succeed);

#[tokio::test]
async fn sqlite_snapshot_is_a_working_database() {
    let db = test_db("sqlite").await;
    let org = db.store.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
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

async fn managers_lead_their_own_organisations_units_only(engine: &'static str) {
    let db = test_db(engine).await;
    let s = &db.store;
    let a = s.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
    let b = s.create_org(&new_org("B", "983544622"), unix_now()).await.unwrap();
    let unit_a = s.create_unit(a.id, "Sengepost", None, unix_now()).await.unwrap();
    let unit_b = s.create_unit(b.id, "Legevakt", None, unix_now()).await.unwrap();
    s.create_user(a.id, &new_user("admin@a.no"), &[Role::Admin], unix_now()).await.unwrap();
    let lead = s.create_user(a.id, &new_user("leder@a.no"), &[Role::Employee], unix_now()).await.unwrap();
    assert!(matches!(s.set_managed_units(a.id, lead.id, &[unit_a.id]).await, Err(StoreError::Rejected(_))), "{engine}");
    s.set_roles(a.id, lead.id, &[Role::Manager], unix_now()).await.unwrap();
    assert!(matches!(s.set_managed_units(a.id, lead.id, &[unit_a.id, unit_b.id]).await, Err(StoreError::Rejected(_))));
    assert!(s.managed_units(a.id).await.unwrap().is_empty(), "refused change is rolled back");
    s.set_managed_units(a.id, lead.id, &[unit_a.id, unit_a.id]).await.unwrap();
    assert_eq!(s.managed_units(a.id).await.unwrap(), vec![ManagedUnit { user_id: lead.id, unit_id: unit_a.id }]);
    assert!(matches!(s.delete_unit(a.id, unit_a.id).await, Ok(())), "deleting a unit releases its managers");
    let unit_a2 = s.create_unit(a.id, "Poliklinikk", None, unix_now()).await.unwrap();
    s.set_managed_units(a.id, lead.id, &[unit_a2.id]).await.unwrap();
    s.set_roles(a.id, lead.id, &[Role::Employee], unix_now()).await.unwrap();
    assert!(s.managed_units(a.id).await.unwrap().is_empty(), "no longer a manager, no longer leads");
}
engine_tests!(managers_lead_their_own_organisations_units_only);

async fn an_unknown_code_in_the_database_is_an_error_that_says_where(engine: &'static str) {
    let db = test_db(engine).await;
    let s = &db.store;
    let org = s.create_org(&new_org("A", "974760673"), unix_now()).await.unwrap();
    let report = normverk_core::deviation::NewDeviation {
        title: "Feil".into(),
        description: "Beskrivelse".into(),
        occurred_at: 1_700_000_000,
        aware_at: 1_700_000_100,
        unit_id: None,
        system: Some("EPJ".into()),
        category: normverk_core::deviation::Category::Other,
        patients_concerned: false,
        immediate_actions: String::new(),
        patient_id: None,
    };
    let d = s.create_deviation(org.id, None, &report, 1_700_000_200).await.unwrap();
    assert_eq!(s.deviation(org.id, d.id).await.unwrap().state, normverk_core::deviation::State::Reported);
    s.execute_raw_for_test(&format!("UPDATE deviations SET state = 'lost' WHERE id = {}", d.id)).await.unwrap();
    let err = s.deviation(org.id, d.id).await.unwrap_err();
    match &err {
        StoreError::UnknownValue { table, row, column, value } => {
            assert_eq!(
                (*table, row.as_str(), *column, value.as_str()),
                ("deviations", &*d.id.to_string(), "state", "lost")
            );
        }
        other => panic!("{engine}: {other}"),
    }
    assert!(err.to_string().contains("'lost'"), "{err}");
    assert!(
        s.deviations(org.id, &normverk_store::deviation::Visible::All, 10, 0).await.is_err(),
        "lists refuse it too"
    );
}
engine_tests!(an_unknown_code_in_the_database_is_an_error_that_says_where);
