//! The table `orgn bench` prints at the end of a run.

use super::{BenchArgs, Report};

pub(super) fn print_table(r: &Report, args: &BenchArgs) {
    let opt = |v: Option<f64>, unit: &str| {
        v.map(|v| format!("{v:.2} {unit}"))
            .unwrap_or_else(|| "-".into())
    };
    println!(
        "orgn bench: {} tasks, {} clients, {} s per workload",
        r.tasks, r.concurrency, args.seconds
    );
    println!("  seed                 {}", opt(r.seed_seconds, "s"));
    println!("  cold start           {}", opt(r.startup_ms, "ms"));
    println!("  ping                 {:.0} req/s", r.ping_rps);
    println!(
        "  get_task             {:.0} req/s   p50 {:.2} ms   p99 {:.2} ms",
        r.get_task_rps, r.get_task_p50_ms, r.get_task_p99_ms
    );
    println!(
        "  search_tasks         p50 {:.2} ms   p99 {:.2} ms",
        r.search_p50_ms, r.search_p99_ms
    );
    println!(
        "  create_task          {}   p99 {}",
        opt(r.create_rps, "req/s"),
        opt(r.create_p99_ms, "ms")
    );
    if let Some(g) = &r.graph {
        println!(
            "  get_task, 10 sub-tasks + 5 relations {:.0} req/s   p50 {:.2} ms   p99 {:.2} ms",
            g.get_task_rps, g.get_task_p50_ms, g.get_task_p99_ms
        );
    }
    println!(
        "  task list page       p50 {}",
        opt(r.task_list_page_p50_ms, "ms")
    );
    println!(
        "  task page            p50 {}",
        opt(r.task_page_p50_ms, "ms")
    );
    if let Some(i) = &r.inbox {
        super::inbox::print(i);
    }
    if let Some(l) = &r.live {
        println!(
            "  live: {} streams, {} writes, {} deliveries: p50 {:.2} ms   p99 {:.2} ms",
            l.streams, l.writes, l.deliveries, l.delivery_p50_ms, l.delivery_p99_ms
        );
        println!(
            "  get_task while writing {:.0} req/s without streams, {:.0} req/s with them",
            l.get_task_rps_without_streams, l.get_task_rps_with_streams
        );
    }
    println!(
        "  server peak RSS      {}   private {}",
        opt(r.rss_mb, "MB"),
        opt(r.rss_private_mb, "MB")
    );
}
