//! Provisions USERS people by SCIM as an IAM does for bench/authz.sh: for each, the lookup by
//! `userName` (Entra ID asks before it creates), then the POST with the enterprise extension
//! (an employee number HR already imported, so the person is taken over, and a department), over
//! CONCURRENCY connections. Prints the time and the slowest requests.
//!
//!     scim_bench BASE_URL TOKEN USERS CONCURRENCY UNITS
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (base, token) = (args[1].clone(), args[2].clone());
    let (users, concurrency, units): (usize, usize, usize) =
        (args[3].parse().unwrap(), args[4].parse().unwrap(), args[5].parse().unwrap());
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            for i in (worker..users).step_by(concurrency) {
                let t = Instant::now();
                let name = format!("person{i:05}@hf.no");
                let lookup = client
                    .get(format!("{base}/scim/v2/Users"))
                    .query(&[("filter", format!("userName eq \"{name}\""))])
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(lookup.status(), 200);
                let body = serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                    "userName": name, "externalId": format!("entra-{i:05}"), "active": true,
                    "displayName": format!("Person {i:05}"),
                    "name": {"givenName": "Person", "familyName": format!("{i:05}")},
                    "emails": [{"value": name, "type": "work", "primary": true}],
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                        {"employeeNumber": format!("{}", 100_000 + i), "department": format!("Enhet {:03}", i % units)},
                });
                let created = client
                    .post(format!("{base}/scim/v2/Users"))
                    .header("content-type", "application/scim+json")
                    .bearer_auth(&token)
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap();
                let status = created.status();
                assert_eq!(status, 201, "{}", created.text().await.unwrap());
                times.push(t.elapsed());
            }
            times
        }));
    }
    let mut times: Vec<Duration> = Vec::new();
    for t in tasks {
        times.extend(t.await.unwrap());
    }
    times.sort();
    let total = started.elapsed().as_secs_f64();
    let p = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)].as_secs_f64() * 1000.0;
    println!(
        "SCIM: {users} users (lookup + create) over {concurrency} connections in {total:.1} s, {:.0} users/s; per user p50 {:.1} ms, p99 {:.1} ms",
        users as f64 / total,
        p(0.5),
        p(0.99)
    );
}
