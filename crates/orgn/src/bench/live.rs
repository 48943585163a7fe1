//! The `live` workload (`orgn bench --streams N`): N browsers' event streams (`/events`)
//! open on the server while an MCP client changes tasks. It measures how long a change
//! takes from the write's request to each stream (p50, p99 over every delivery), and
//! `get_task` throughput while a writer writes, without the streams and with them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Bench, Samples, tool};

/// How often the writer changes a task.
const WRITE_EVERY: Duration = Duration::from_millis(20);

#[derive(Debug, Default, serde::Serialize)]
pub(super) struct LiveReport {
    pub streams: usize,
    pub writes: usize,
    pub deliveries: usize,
    pub delivery_p50_ms: f64,
    pub delivery_p99_ms: f64,
    /// `get_task` while the writer writes and no stream is open.
    pub get_task_rps_without_streams: f64,
    /// The same with the streams open, every write fanned out to each.
    pub get_task_rps_with_streams: f64,
}

/// When each task's last change was asked for, by identifier.
type Sent = Arc<Mutex<HashMap<String, Instant>>>;

pub(super) async fn measure(
    bench: &Bench,
    session: &str,
    ids: &Arc<Vec<String>>,
    streams: usize,
) -> Result<LiveReport, String> {
    let get_task = |bench: Bench, ids: Arc<Vec<String>>| async move {
        bench
            .run(move |dice, _| tool("get_task", json!({"id": ids[dice.below(ids.len())]})))
            .await
    };
    let sent: Sent = Default::default();
    let stop = Arc::new(AtomicBool::new(false));

    let writer = tokio::spawn(write(
        bench.clone(),
        ids.clone(),
        sent.clone(),
        stop.clone(),
    ));
    let without = get_task(bench.clone(), ids.clone()).await?;

    let delays: Arc<Mutex<Vec<u64>>> = Default::default();
    let open = Arc::new(AtomicUsize::new(0));
    let host = bench.base.trim_start_matches("http://").to_string();
    let mut readers = Vec::with_capacity(streams);
    for _ in 0..streams {
        let socket = connect(&host, session).await?;
        readers.push(tokio::spawn(read(
            socket,
            sent.clone(),
            delays.clone(),
            open.clone(),
            stop.clone(),
        )));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while open.load(Ordering::Relaxed) < streams {
        if Instant::now() > deadline {
            return Err(format!(
                "only {} of {streams} streams opened",
                open.load(Ordering::Relaxed)
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Deliveries are counted from here: every stream is open and the writer is writing.
    delays.lock().expect("delays").clear();
    let with = get_task(bench.clone(), ids.clone()).await?;
    tokio::time::sleep(bench.duration).await;
    stop.store(true, Ordering::Relaxed);
    let writes = writer.await.map_err(|e| e.to_string())??;
    for r in readers {
        r.abort();
    }
    let mut delays = std::mem::take(&mut *delays.lock().expect("delays"));
    delays.sort_unstable();
    let samples = Samples {
        latencies_us: delays,
        elapsed: bench.duration,
    };
    Ok(LiveReport {
        streams,
        writes,
        deliveries: samples.latencies_us.len(),
        delivery_p50_ms: samples.percentile(50.0),
        delivery_p99_ms: samples.percentile(99.0),
        get_task_rps_without_streams: without.rps(),
        get_task_rps_with_streams: with.rps(),
    })
}

/// Changes one task after another (each only once in a while), noting when each was asked.
async fn write(
    bench: Bench,
    ids: Arc<Vec<String>>,
    sent: Sent,
    stop: Arc<AtomicBool>,
) -> Result<usize, String> {
    let mut n = 0;
    // Every write really changes its task (a workspace kept by --data-dir holds earlier
    // runs' values): a title no run has set before.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    while !stop.load(Ordering::Relaxed) {
        let id = &ids[n % ids.len()];
        let title = format!("Live bench {run}-{n}");
        sent.lock()
            .expect("sent")
            .insert(id.clone(), Instant::now());
        bench
            .call(&tool("update_task", json!({"id": id, "title": title})))
            .await?;
        n += 1;
        tokio::time::sleep(WRITE_EVERY).await;
    }
    Ok(n)
}

async fn connect(host: &str, session: &str) -> Result<TcpStream, String> {
    let mut socket = TcpStream::connect(host)
        .await
        .map_err(|e| format!("cannot open a stream: {e}"))?;
    let head = format!(
        "GET /events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\nCookie: {}={session}\r\n\r\n",
        orgn_web::SESSION_COOKIE
    );
    socket
        .write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    Ok(socket)
}

/// Reads one stream: each `change` message names its task in its link; its delay is from
/// the request of that task's last write to now.
async fn read(
    mut socket: TcpStream,
    sent: Sent,
    delays: Arc<Mutex<Vec<u64>>>,
    open: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) {
    let mut pending = String::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut counted = false;
    while !stop.load(Ordering::Relaxed) {
        let n = match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let now = Instant::now();
        pending.push_str(&String::from_utf8_lossy(&buf[..n]));
        if !counted && pending.contains(": live") {
            counted = true;
            open.fetch_add(1, Ordering::Relaxed);
        }
        while let Some(end) = pending.find("\n\n") {
            let message: String = pending.drain(..end + 2).collect();
            let at =
                changed_task(&message).and_then(|id| sent.lock().expect("sent").get(id).copied());
            if let Some(at) = at {
                let delay = now.duration_since(at).as_micros() as u64;
                delays.lock().expect("delays").push(delay);
            }
        }
    }
}

/// `ENG-12` of a `change` message's `<a href="/tasks/ENG-12">`.
fn changed_task(message: &str) -> Option<&str> {
    if !message.contains("event: change") {
        return None;
    }
    let start = message.find("href=\"/tasks/")? + "href=\"/tasks/".len();
    let len = message[start..].find('"')?;
    Some(&message[start..start + len])
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_change_message_names_its_task() {
        let m = "event: change\ndata: <li class=\"change\"><a href=\"/tasks/ENG-12\">ENG-12</a> priority</li>\nid: 7\n\n";
        assert_eq!(super::changed_task(m), Some("ENG-12"));
        assert_eq!(super::changed_task("event: team-1\ndata: 7\n\n"), None);
    }
}
