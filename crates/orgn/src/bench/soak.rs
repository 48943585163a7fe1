//! The soak (`orgn bench --soak`, run by `scripts/soak`): `--concurrency` MCP clients (200 in
//! the script) for `--seconds` (60), each looping over a mix of what agents do — read a task,
//! search, create, change a field, list comments — and, unlike the other workloads, going on
//! after an error: the report counts the errors (with a few examples) and gives the
//! latency percentiles over every request.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::json;

use super::{Bench, Dice, Samples, TEAMS, tool};

#[derive(Debug, Default, serde::Serialize)]
pub(super) struct SoakReport {
    pub clients: usize,
    pub seconds: f64,
    pub requests: usize,
    pub errors: usize,
    pub rps: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// The first few distinct errors, cut short.
    pub error_examples: Vec<String>,
}

const PRIORITIES: [&str; 3] = ["low", "medium", "high"];

/// One request of the mix: half reads of one task, a quarter searches, the rest writes and
/// comment lists.
fn one_of_the_mix(dice: &mut Dice, n: usize, ids: &[String]) -> serde_json::Value {
    let id = &ids[dice.below(ids.len())];
    match dice.below(20) {
        0..10 => tool("get_task", json!({"id": id})),
        10..15 => tool(
            "search_tasks",
            json!({"query": dice.search_word(), "limit": 25}),
        ),
        15..17 => tool(
            "create_task",
            json!({"team": TEAMS[n % TEAMS.len()], "title": format!("Soak {}", dice.words(4))}),
        ),
        17..19 => tool(
            "update_task",
            json!({"id": id, "priority": PRIORITIES[dice.below(PRIORITIES.len())]}),
        ),
        _ => tool("list_comments", json!({"id": id})),
    }
}

pub(super) async fn run(bench: &Bench, ids: &[String]) -> Result<SoakReport, String> {
    let ids = Arc::new(ids.to_vec());
    let examples: Arc<Mutex<Vec<String>>> = Default::default();
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..bench.concurrency {
        let (bench, ids, examples) = (bench.clone(), ids.clone(), examples.clone());
        workers.push(tokio::spawn(async move {
            let mut dice = Dice(7000 + w as u64);
            let (mut latencies, mut errors) = (Vec::new(), 0usize);
            let mut n = w;
            while started.elapsed() < bench.duration {
                let body = one_of_the_mix(&mut dice, n, &ids);
                let t = Instant::now();
                if let Err(e) = bench.call(&body).await {
                    errors += 1;
                    let mut seen = examples.lock().unwrap();
                    let e: String = e.chars().take(200).collect();
                    if seen.len() < 5 && !seen.contains(&e) {
                        seen.push(e);
                    }
                }
                latencies.push(t.elapsed().as_micros() as u64);
                n += bench.concurrency;
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (latencies, e) = w.await.map_err(|e| e.to_string())?;
        all.extend(latencies);
        errors += e;
    }
    all.sort_unstable();
    let samples = Samples {
        latencies_us: all,
        elapsed: started.elapsed(),
    };
    let at = |p| samples.percentile(p);
    let report = SoakReport {
        clients: bench.concurrency,
        seconds: samples.elapsed.as_secs_f64(),
        requests: samples.latencies_us.len(),
        errors,
        rps: samples.rps(),
        p50_ms: at(50.0),
        p90_ms: at(90.0),
        p99_ms: at(99.0),
        p999_ms: at(99.9),
        max_ms: at(100.0),
        error_examples: examples.lock().unwrap().clone(),
    };
    println!(
        "orgn bench --soak: {} clients for {:.0} s: {} requests ({:.0} req/s), {} errors",
        report.clients, report.seconds, report.requests, report.rps, report.errors
    );
    println!(
        "  latency  p50 {:.2} ms   p90 {:.2} ms   p99 {:.2} ms   p99.9 {:.2} ms   max {:.2} ms",
        report.p50_ms, report.p90_ms, report.p99_ms, report.p999_ms, report.max_ms
    );
    for e in &report.error_examples {
        println!("  error: {e}");
    }
    Ok(report)
}
