//! Fuzzes the scanner, the MIME reader and the fnr parser for SECONDS (default 600), across all
//! cores; on a panic, writes the input to `fuzz-crash-<n>.bin` and exits 1.
//!
//!     cargo run --release -p dlp --example fuzz -- 600
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/dlp/fuzzing.rs"]
mod fuzzing;

use rand::SeedableRng;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let seconds: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(600);
    let corpus: Arc<Vec<String>> = Arc::new(
        include_str!("../corpus/corpus.jsonl")
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()?["text"].as_str().map(String::from))
            .collect(),
    );
    let scanner = Arc::new(dlp::Scanner::default());
    let runs = Arc::new(AtomicU64::new(0));
    let crashed = Arc::new(AtomicBool::new(false));
    let until = Instant::now() + Duration::from_secs(seconds);
    std::panic::set_hook(Box::new(|_| {}));
    let threads: Vec<_> = (0..std::thread::available_parallelism().map_or(1, |n| n.get()))
        .map(|t| {
            let (corpus, scanner, runs, crashed) = (corpus.clone(), scanner.clone(), runs.clone(), crashed.clone());
            std::thread::spawn(move || {
                let mut rng = rand::rngs::StdRng::seed_from_u64(t as u64 ^ 0x5eed_f022);
                while Instant::now() < until && !crashed.load(Ordering::Relaxed) {
                    let bytes = fuzzing::input(&mut rng, &corpus);
                    let ok =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fuzzing::check(&scanner, &bytes)));
                    if ok.is_err() {
                        crashed.store(true, Ordering::Relaxed);
                        let path = format!("fuzz-crash-{t}.bin");
                        std::fs::write(&path, &bytes).unwrap();
                        eprintln!("panic; input written to {path}");
                    }
                    runs.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let n = runs.load(Ordering::Relaxed);
    let crashed = crashed.load(Ordering::Relaxed);
    println!("{n} inputs in {seconds} s, each scanned six ways (SMS, SMS with sender, e-mail, HTML e-mail, raw e-mail, bytes) and parsed as numbers; panics: {}", if crashed { "yes" } else { "none" });
    if crashed {
        std::process::exit(1);
    }
}
