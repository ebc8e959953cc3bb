//! Fills an organisation with deviations for bench/deviations.sh: COUNT deviations spread over
//! the last twelve months, across categories, systems, states and severities, in one statement.
//!
//!     deviation_seed DATA_DIR|postgres://… ORG_NUMBER REPORTER_EMAIL COUNT
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
    let count: i64 = args[4].parse().unwrap();
    let store = Store::open(&target).await.unwrap();
    let org = store.find_org(&args[2]).await.unwrap();
    let user = store.user_by_email(&args[3]).await.unwrap();
    let now = normverk_store::unix_now();
    // One deviation every 300 s, the highest number the newest: 100,000 span about 347 days.
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) \
         INSERT INTO deviations (org_id, number, title, description, occurred_at, aware_at, unit_id, system, category, \
         patients_concerned, immediate_actions, reporter_id, state, kind, severity, personal_data_breach, consequences, \
         notice_required, notice_complete_at, created_at, updated_at, closed_at) \
         SELECT {org}, i, 'Avvik nummer ' || i, 'Beskrivelse av hendelse ' || i, {now} - ({count} + 1 - i) * 300 - 600, {now} - ({count} + 1 - i) * 300, NULL, \
         CASE i % 4 WHEN 0 THEN 'DIPS' WHEN 1 THEN 'Infotorg' WHEN 2 THEN 'Helsenett' ELSE NULL END, \
         CASE i % 5 WHEN 0 THEN 'lost_equipment' WHEN 1 THEN 'misdirected_information' WHEN 2 THEN 'unauthorised_access' \
              WHEN 3 THEN 'procedure_breach' ELSE 'other' END, \
         (i % 2 = 0), '', {user}, \
         CASE i % 3 WHEN 0 THEN 'closed' WHEN 1 THEN 'assessed' ELSE 'reported' END, \
         CASE WHEN i % 3 = 2 THEN NULL ELSE 'security_breach' END, \
         CASE i % 4 WHEN 0 THEN 'low' WHEN 1 THEN 'medium' WHEN 2 THEN 'high' ELSE NULL END, \
         (i % 7 = 0), (i % 7 = 0), (i % 7 = 0), CASE WHEN i % 7 = 0 THEN {now} - ({count} + 1 - i) * 300 + 3600 ELSE NULL END, \
         {now} - ({count} + 1 - i) * 300, {now} - ({count} + 1 - i) * 300, CASE WHEN i % 3 = 0 THEN {now} - ({count} + 1 - i) * 300 + 86400 ELSE NULL END FROM n",
        org = org.id,
        user = user.id,
    );
    let started = std::time::Instant::now();
    store.execute_raw_for_test(&sql).await.unwrap();
    println!("{count} deviations in {:.1} s", started.elapsed().as_secs_f64());
    store.close().await;
}
