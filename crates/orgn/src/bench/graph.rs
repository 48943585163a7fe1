//! The `graph` workload: `get_task` on a task with 10 sub-tasks and 5 relations (of several
//! teams), made over MCP before it is measured, so that the answer includes the parent's
//! children, their progress and the relations as the reader sees them. Runs where writes
//! are allowed (an own server, or `--writes`).

use serde_json::json;

use super::{Bench, TEAMS, tool};

const CHILDREN: usize = 10;
/// Each relation as the parent sees it, with the team of the task it points to.
const RELATIONS: [(&str, usize); 5] = [
    ("blocked_by", 0),
    ("blocked_by", 1),
    ("blocks", 2),
    ("relates_to", 3),
    ("relates_to", 0),
];

#[derive(Debug, Default, serde::Serialize)]
pub(super) struct GraphReport {
    pub get_task_rps: f64,
    pub get_task_p50_ms: f64,
    pub get_task_p99_ms: f64,
}

/// Creates one task in `team` through MCP; its identifier.
async fn create(bench: &Bench, args: serde_json::Value) -> Result<String, String> {
    let answer = bench.call(&tool("create_task", args)).await?;
    answer["result"]["structuredContent"]["task"]["id"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| format!("create_task answered no id: {answer}"))
}

pub(super) async fn measure(bench: &Bench) -> Result<GraphReport, String> {
    let mut relations = Vec::with_capacity(RELATIONS.len());
    for (i, (kind, team)) in RELATIONS.iter().enumerate() {
        let title = format!("Graph bench related {i}");
        let other = create(bench, json!({"team": TEAMS[*team], "title": title})).await?;
        relations.push(json!({"type": kind, "task": other}));
    }
    let parent = create(
        bench,
        json!({"team": TEAMS[0], "title": "Graph bench parent", "add_relations": relations}),
    )
    .await?;
    for i in 0..CHILDREN {
        let title = format!("Graph bench step {i}");
        create(
            bench,
            json!({"team": TEAMS[0], "title": title, "parent": parent}),
        )
        .await?;
    }
    let got = bench.call(&tool("get_task", json!({"id": parent}))).await?;
    let shown = &got["result"]["structuredContent"];
    let (children, related) = (shown["children"].as_array(), shown["relations"].as_array());
    if children.map(Vec::len) != Some(CHILDREN) || related.map(Vec::len) != Some(RELATIONS.len()) {
        return Err(format!(
            "get_task does not show the graph it was given: {shown}"
        ));
    }
    let samples = bench
        .run(move |_, _| tool("get_task", json!({"id": parent})))
        .await?;
    Ok(GraphReport {
        get_task_rps: samples.rps(),
        get_task_p50_ms: samples.percentile(50.0),
        get_task_p99_ms: samples.percentile(99.0),
    })
}
