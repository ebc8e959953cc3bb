//! Fills an organisation with risk assessments for bench/risk.sh: ASSESSMENTS assessments of
//! EVENTS events in all, 1.6 measures per event, scores spread over the default matrix, every
//! fourth assessment approved; then times the register (cold, then from memory) and its heat map.
//!
//!     risk_seed DATA_DIR|postgres://… ORG_NUMBER ASSESSMENTS EVENTS
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use normverk_app::risk::{heat, Risks};
use normverk_core::deviation::MeasureStatus;
use normverk_core::risk::{Assessment, Consequence, Event, Measure, Reason, Score};
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
    let (n, events): (u32, u32) = (args[3].parse().unwrap(), args[4].parse().unwrap());
    let store = Store::open(&target).await.unwrap();
    let org = store.find_org(&args[2]).await.unwrap().id;
    let risks = Risks::new(store.clone(), normverk_app::Clock::system());
    let per = events / n;
    let started = Instant::now();
    let mut measures = 0;
    for a in 0..n {
        let id = risks
            .start(org, normverk_app::risk::Opening::new(&format!("Risikovurdering {a:03}"), Reason::Regular), None)
            .await
            .unwrap();
        let mut doc =
            Assessment { title: format!("Risikovurdering {a:03}"), scope: "Omfang".into(), ..Default::default() };
        for e in 0..per {
            let k = a * per + e;
            let step =
                |salt: u32| u8::try_from((k.wrapping_mul(2_654_435_761).wrapping_add(salt) >> 7) % 5 + 1).unwrap();
            let count = if k % 5 < 3 { 2 } else { 1 };
            measures += count;
            doc.events.push(Event {
                id: e + 1,
                title: format!("Hendelse {k:05}"),
                description: "Beskrivelse av hendelsen".into(),
                threat: normverk_core::risk::THREATS[(k as usize) % normverk_core::risk::THREATS.len()].code.into(),
                consequence: Consequence {
                    confidentiality: Some(step(1)),
                    privacy: Some(step(2)),
                    ..Default::default()
                },
                likelihood: Some(step(3)),
                reasoning: "Begrunnelse".into(),
                measures: (1..=count)
                    .map(|m| Measure {
                        id: m,
                        description: format!("Tiltak {m}"),
                        owner: format!("Eier {}", k % 30),
                        deadline: format!("2026-{:02}-15", k % 12 + 1),
                        status: if m == 1 { MeasureStatus::InProgress } else { MeasureStatus::Planned },
                        systems: Vec::new(),
                    })
                    .collect(),
                residual: Some(Score { likelihood: step(4).min(2), consequence: step(5) }),
                acceptance: None,
            });
        }
        store.save_risk_assessment(org, id, 1, &doc, "event_added", a % 4 == 0, None, 1).await.unwrap();
    }
    println!("{n} assessments, {} events, {measures} measures in {:.2?}", n * per, started.elapsed());
    let t = Instant::now();
    let register = risks.register(org).await.unwrap();
    println!("register computed from the database: {:.2?}", t.elapsed());
    let t = Instant::now();
    let again = risks.register(org).await.unwrap();
    println!("register from memory (version read): {:.2?}", t.elapsed());
    let t = Instant::now();
    let h = register.heat(again.rows.iter());
    println!("heat map of {} events: {:.2?}", register.rows.len(), t.elapsed());
    let t = Instant::now();
    let first = store.risk_assessments(org).await.unwrap().pop().unwrap();
    let doc = first.assessment().unwrap();
    let _ = heat(&register.matrix.matrix, doc.events.iter());
    println!(
        "one assessment read and its heat map: {:.2?} ({} cells filled)",
        t.elapsed(),
        h.remaining.iter().flatten().filter(|c| **c > 0).count()
    );
    store.close().await;
}
