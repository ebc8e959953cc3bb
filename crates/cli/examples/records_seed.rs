//! Fills an organisation with processings (each using three systems) and assets for
//! bench/records.sh, through the store's own bulk saves, and says how long they took.
//!
//!     records_seed DATA_DIR|postgres://… ORG_NUMBER PROCESSINGS ASSETS
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use normverk_core::asset::NewAsset;
use normverk_core::processing::{missing_fields, Record};
use normverk_store::processing::{Put, Target};
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
    let (n, assets): (usize, usize) = (args[3].parse().unwrap(), args[4].parse().unwrap());
    let store = Store::open(&target).await.unwrap();
    let org = store.find_org(&args[2]).await.unwrap().id;
    let systems: Vec<i64> = store.systems(org).await.unwrap().iter().map(|s| s.id).collect();
    let puts: Vec<Put> = (0..n)
        .map(|i| {
            let record = Record {
                name: format!("Behandling {i:05}"),
                role: if i % 10 == 0 { "processor" } else { "controller" }.into(),
                controller: "Bench HF, postmottak@hf.no, 22 00 00 00".into(),
                dpo: "personvernombud@hf.no".into(),
                purposes: format!("Helsehjelp i avdeling {}", i % 50),
                legal_basis: "c".into(),
                special_basis: "h".into(),
                national_law: if i % 5 == 0 { String::new() } else { "pasientjournalloven § 6".into() },
                data_subjects: "Pasienter".into(),
                data_categories: "Helseopplysninger, kontaktopplysninger".into(),
                special_categories: "yes".into(),
                recipients: "Fastlege, kommunen".into(),
                transfers: "Ingen".into(),
                retention: "10 år etter siste innførsel".into(),
                security_measures: "Tilgangsstyring, logging, kryptering".into(),
                dpia: if i % 3 == 0 { String::new() } else { "done".into() },
                ..Record::default()
            };
            let linked = if systems.is_empty() {
                Vec::new()
            } else {
                (0..3).map(|k| systems[(i * 7 + k * 13) % systems.len()]).collect()
            };
            Put { target: Target::ByName, missing: missing_fields(&record).len(), record, systems: Some(linked) }
        })
        .collect();
    let started = Instant::now();
    let (_, saved) = store.put_processings(org, &puts, None, 1).await.unwrap();
    println!("{} processings saved in one transaction in {:.2?}", saved.created + saved.updated, started.elapsed());
    let kinds = ["computer", "phone", "tablet", "server", "network", "printer", "app"];
    let rows: Vec<NewAsset> = (0..assets)
        .map(|i| NewAsset {
            identifier: format!("ENHET-{i:06}"),
            kind: kinds[i % kinds.len()].into(),
            model: format!("Modell {}", i % 30),
            owner: "Bench HF".into(),
            location: format!("Bygg {} rom {}", i % 12, i % 300),
            os: "Windows".into(),
            os_version: "11 23H2".into(),
            software: "DIPS Arena 22.1\nMicrosoft 365 2408".into(),
            supplier: "Lenovo".into(),
            responsible: format!("ansatt{}@hf.no", i % 4000),
        })
        .collect();
    let started = Instant::now();
    store.import_assets(org, &rows, 1).await.unwrap();
    println!("{assets} assets saved in one transaction in {:.2?}", started.elapsed());
    // The statistics the engines gather on their own a little after a bulk load.
    store.execute_raw_for_test("ANALYZE").await.unwrap();
    store.close().await;
}
