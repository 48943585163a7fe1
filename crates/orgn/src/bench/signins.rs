//! `orgn bench --signins N` (issue 16, item 2): `/healthz` latency while N sign-ins run in
//! parallel for `--seconds`, half with the bench user's e-mail and password, half with
//! e-mails nobody has (a new one each time). Password hashing runs on the blocking pool, at
//! most one hash per core at once, and past a short queue a sign-in answers 429 with
//! `Retry-After`; the target is `/healthz` p99 ≤ 10 ms with 32 sign-ins. One address makes
//! every attempt here, so the sign-in throttle slows the unknown e-mails after 20 failures:
//! the outcomes are counted so that the figure can be read with them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};

use super::{Bench, PASSWORD, Samples, USER};

#[derive(Debug, Default, serde::Serialize)]
pub(super) struct SignInsReport {
    pub parallel: usize,
    pub seconds: f64,
    pub healthz_requests: usize,
    pub healthz_p50_ms: f64,
    pub healthz_p99_ms: f64,
    pub healthz_max_ms: f64,
    /// Sign-ins by answer: signed in (303), refused (401), too many at once (429), other.
    pub signed_in: usize,
    pub refused: usize,
    pub busy: usize,
    pub other: usize,
}

/// One sign-in's status, as a browser would post it (the pre-session cookie and its token).
async fn sign_in(bench: &Bench, email: &str, password: &str) -> u16 {
    let form = format!(
        "_csrf=bench&email={}&password={}&next=%2Fmy",
        email.replace('@', "%40"),
        password
    );
    let request = hyper::Request::post(format!("{}/signin", bench.base))
        .header("cookie", "orgn_signin=bench")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(form)));
    let Ok(request) = request else { return 0 };
    match bench.client.request(request).await {
        Ok(response) => {
            let status = response.status().as_u16();
            let _ = response.into_body().collect().await;
            status
        }
        Err(_) => 0,
    }
}

pub(super) async fn run(bench: &Bench, parallel: usize) -> Result<SignInsReport, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..parallel {
        let (bench, stop) = (bench.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let status = if w % 2 == 0 {
                    sign_in(&bench, USER, PASSWORD).await
                } else {
                    n += 1;
                    sign_in(&bench, &format!("nobody-{w}-{n}@orgn.local"), "wrong").await
                };
                statuses.push(status);
                if status == 429 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            statuses
        }));
    }
    // The sign-ins get going before /healthz is timed.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let mut latencies = Vec::new();
    while started.elapsed() < bench.duration {
        let request = hyper::Request::get(format!("{}/healthz", bench.base))
            .body(Full::new(Bytes::new()))
            .map_err(|e| e.to_string())?;
        let t = Instant::now();
        let response = bench
            .client
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        let _ = response.into_body().collect().await;
        latencies.push(t.elapsed().as_micros() as u64);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut report = SignInsReport {
        parallel,
        seconds: started.elapsed().as_secs_f64(),
        healthz_requests: latencies.len(),
        ..Default::default()
    };
    for w in workers {
        for status in w.await.map_err(|e| e.to_string())? {
            match status {
                303 => report.signed_in += 1,
                401 => report.refused += 1,
                429 => report.busy += 1,
                _ => report.other += 1,
            }
        }
    }
    latencies.sort_unstable();
    let samples = Samples {
        latencies_us: latencies,
        elapsed: started.elapsed(),
    };
    let at = |p| samples.percentile(p);
    (
        report.healthz_p50_ms,
        report.healthz_p99_ms,
        report.healthz_max_ms,
    ) = (at(50.0), at(99.0), at(100.0));
    println!(
        "orgn bench --signins {parallel}: /healthz p50 {:.2} ms   p99 {:.2} ms   max {:.2} ms over {} requests in {:.0} s",
        report.healthz_p50_ms,
        report.healthz_p99_ms,
        report.healthz_max_ms,
        report.healthz_requests,
        report.seconds
    );
    println!(
        "  sign-ins: {} signed in, {} refused, {} answered 429, {} other",
        report.signed_in, report.refused, report.busy, report.other
    );
    Ok(report)
}
