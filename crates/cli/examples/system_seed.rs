//! Fills an organisation with systems and dependencies for bench/systems.sh.
//!
//!     system_seed DATA_DIR|postgres://… ORG_NUMBER SYSTEMS DEPENDENCIES
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use normverk_store::{DbTarget, Store};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let target = if args[1].starts_with("postgres") {
        DbTarget::Postgres(args[1].clone())
    } else {
        DbTarget::Sqlite(std::path::Path::new(&args[1]).join("normverk.db"))
    };
    let (n, deps): (i64, i64) = (args[3].parse().unwrap(), args[4].parse().unwrap());
    let store = Store::open(&target).await.unwrap();
    let org = store.find_org(&args[2]).await.unwrap().id;
    let classes = "CASE i % 5 WHEN 0 THEN 'critical' WHEN 1 THEN 'serious' WHEN 2 THEN 'reduced_trust' WHEN 3 THEN 'tolerable' ELSE 'not_prioritised' END";
    store
        .execute_raw_for_test(&format!(
            "WITH RECURSIVE n(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
             INSERT INTO systems (org_id, name, description, owner, supplier, hosting, data_types, criticality, created_at, updated_at) \
             SELECT {org}, 'System ' || i, '', 'Eier ' || (i % 40), 'Leverandør ' || (i % 25), '', '', {classes}, 1, 1 FROM n"
        ))
        .await
        .unwrap();
    // Pseudo-random pairs from a multiplicative hash of i; duplicates and self-loops skipped.
    store
        .execute_raw_for_test(&format!(
            "WITH RECURSIVE n(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < {deps}), \
             ids AS (SELECT MIN(id) AS lo FROM systems WHERE org_id = {org}) \
             INSERT INTO system_dependencies (org_id, system_id, depends_on, created_at) \
             SELECT DISTINCT {org}, lo + (i * 7919) % {n}, lo + (i * 104729 + i / {n}) % {n}, 1 FROM n, ids \
             WHERE (i * 7919) % {n} <> (i * 104729 + i / {n}) % {n} \
             ON CONFLICT DO NOTHING"
        ))
        .await
        .unwrap();
    let count = store.system_dependencies(org).await.unwrap().len();
    println!("{n} systems, {count} dependencies");
    store.close().await;
}
