//! HTTP load on `POST /api/v1/dlp/scan` (bench/dlp.sh): CLIENTS concurrent clients each sending
//! REQUESTS 160-character SMS. Without RATE each client sends the next request as soon as the
//! last is answered (closed loop, the most the server takes); with RATE each client sends RATE
//! requests a second on a fixed schedule. Latency is measured from sending to the whole answer;
//! the schedule's lag (how late the generator itself sent, the timer's millisecond grain
//! included) is reported beside it, so a slow server cannot hide queued requests.
//!
//!     dlp_http_bench URL TOKEN CLIENTS REQUESTS [RATE]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

const SMS: [&str; 2] = [
    "Påminnelse: Du har time hos Legesenteret i Nordbyen tirsdag 21. juli kl. 10.15. Ved forfall, gi beskjed senest 24 timer før på 22 11 22 11. Ikke svar.",
    "Påminnelse: Du har time på psykiatrisk poliklinikk tirsdag 21. juli kl. 10.15. Fnr 15108695088. Ved forfall, ring 22 11 22 11. Mvh DPS Nordre Aasen.",
];

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (url, token) = (format!("{}/api/v1/dlp/scan", args[1]), args[2].clone());
    let clients: usize = args[3].parse().unwrap();
    let requests: usize = args[4].parse().unwrap();
    let rate: Option<f64> = args.get(5).map(|r| r.parse().unwrap());
    let bodies: Vec<String> =
        SMS.iter().map(|t| serde_json::json!({"channel": "sms", "text": t}).to_string()).collect();
    let client = reqwest::Client::builder().pool_max_idle_per_host(clients).build().unwrap();
    // Warm up: every connection open, every scanner compiled.
    for _ in 0..clients {
        client
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(bodies[0].clone())
            .send()
            .await
            .unwrap();
    }
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (client, url, token, bodies) = (client.clone(), url.clone(), token.clone(), bodies.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(requests);
                let mut lag: f64 = 0.0;
                let begin = Instant::now() + Duration::from_micros((c as u64 * 997) % 20_000);
                for i in 0..requests {
                    if let Some(r) = rate {
                        let due = begin + Duration::from_secs_f64(i as f64 / r);
                        tokio::time::sleep_until(due.into()).await;
                        lag = lag.max(due.elapsed().as_secs_f64() * 1000.0);
                    }
                    let sent = Instant::now();
                    let resp = client
                        .post(&url)
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(bodies[i % 2].clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(resp.status(), 200);
                    let _ = resp.bytes().await.unwrap();
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                }
                (latencies, lag)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut lag: f64 = 0.0;
    for t in tasks {
        let (l, g) = t.await.unwrap();
        all.extend(l);
        lag = lag.max(g);
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let q = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "{} requests from {clients} clients{} in {secs:.1} s = {:.0} requests/s; latency p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms; schedule lag at most {lag:.2} ms",
        all.len(),
        rate.map(|r| format!(" at {r} requests/s each")).unwrap_or_default(),
        all.len() as f64 / secs,
        q(0.5),
        q(0.99),
        q(0.999),
        q(1.0)
    );
}
