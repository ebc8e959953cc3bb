//! Recomputing effective criticality over a whole dependency graph (issue 7's target: 2,000
//! systems with a dense graph in under 50 ms):
//!
//!     cargo run --release -p normverk-core --example criticality_bench -- 2000 40000
#![allow(clippy::unwrap_used)]

use normverk_core::system::{effective_criticality, Criticality};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: i64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let edges: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(40_000);
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |m: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m
    };
    let systems: Vec<(i64, Criticality)> = (0..n).map(|i| (i + 1, Criticality::ALL[next(5) as usize])).collect();
    let deps: Vec<(i64, i64)> = (0..edges).map(|_| (1 + next(n as u64) as i64, 1 + next(n as u64) as i64)).collect();
    let mut times = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let e = effective_criticality(&systems, &deps);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(e.len(), n as usize);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{n} systems, {edges} dependencies: median {:.2} ms, max {:.2} ms over 50 runs",
        times[times.len() / 2],
        times[times.len() - 1]
    );
}
