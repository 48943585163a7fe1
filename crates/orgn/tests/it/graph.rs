//! The work graph on both backends: sub-tasks (one team, any depth, never a cycle),
//! relations seen from both sides, the "blocked" marker following the blocker's status,
//! and the access rule (relations to tasks the reader cannot see are neither shown nor
//! counted); then the same over MCP and with the official TypeScript SDK client, import
//! and export, and the Trash. The web app's side is in `graph_web.rs`.

use orgn_domain::model::*;
use orgn_domain::{Actor, RelationInput, TaskDraft, TaskFilter, TaskPatch, Workspace};
use serde_json::{Value, json};

use std::time::Duration;

use crate::http::mcp_call;
use crate::live::EventStream;
use crate::support::*;

fn relation(kind: &str, task: &str) -> RelationInput {
    RelationInput {
        kind: kind.into(),
        task: task.into(),
    }
}

pub(crate) async fn sub_task(
    ws: &Workspace,
    actor: &Actor,
    title: &str,
    parent: Option<&str>,
) -> Task {
    let draft = TaskDraft {
        team: "ENG".into(),
        title: title.into(),
        parent: parent.map(str::to_string),
        ..Default::default()
    };
    ws.create_task(actor, draft).await.unwrap()
}

pub(crate) async fn patch(
    ws: &Workspace,
    actor: &Actor,
    id: &str,
    patch: TaskPatch,
) -> orgn_domain::Result<Task> {
    ws.update_task(actor, &task_ref(id), patch).await
}

fn set_parent(parent: &str) -> TaskPatch {
    TaskPatch {
        parent: Some(parent.into()),
        ..Default::default()
    }
}

fn add(kind: &str, task: &str) -> TaskPatch {
    TaskPatch {
        add_relations: vec![relation(kind, task)],
        ..Default::default()
    }
}

pub(crate) fn set_status(status: &str) -> TaskPatch {
    TaskPatch {
        status: Some(status.into()),
        ..Default::default()
    }
}

async fn graph_of(ws: &Workspace, actor: &Actor, id: &str) -> TaskGraph {
    let task = ws.task(actor, &task_ref(id)).await.unwrap();
    ws.task_graph(actor, &task).await.unwrap()
}

/// (type, identifier) of each relation, as the reader sees them.
fn relations(graph: &TaskGraph) -> Vec<(&'static str, String)> {
    graph
        .relations
        .iter()
        .map(|r| (r.kind.as_str(), r.task.identifier.clone()))
        .collect()
}

async fn blocked_ids(ws: &Workspace, actor: &Actor) -> Vec<String> {
    let filter = TaskFilter {
        blocked: true,
        ..Default::default()
    };
    let page = ws.search_tasks(actor, filter).await.unwrap();
    page.items.iter().map(Task::identifier).collect()
}

#[tokio::test]
async fn sub_tasks_nest_in_their_team_and_never_make_a_cycle() {
    let app = TestApp::spawn().await;
    let (ws, admin) = (&app.workspace, app.actor(ADMIN).await);
    let top = sub_task(ws, &admin, "Launch", None).await;
    let middle = sub_task(ws, &admin, "Build", Some(&top.identifier())).await;
    let leaf = sub_task(ws, &admin, "Write the code", Some(&middle.identifier())).await;
    assert_eq!(leaf.parent_id, Some(middle.id));

    let cycle = patch(
        ws,
        &admin,
        &top.identifier(),
        set_parent(&leaf.identifier()),
    )
    .await;
    let message = cycle.unwrap_err().to_string();
    assert!(message.contains("own ancestor"), "{message}");
    let itself = patch(ws, &admin, &top.identifier(), set_parent(&top.identifier())).await;
    assert!(itself.unwrap_err().to_string().contains("the task itself"));
    let other_team = patch(ws, &admin, &top.identifier(), set_parent("DES-1")).await;
    assert!(other_team.unwrap_err().to_string().contains("another team"));
    assert_eq!(
        ws.task(&admin, &task_ref(&top.identifier()))
            .await
            .unwrap()
            .parent_id,
        None,
        "nothing was written"
    );

    let graph = graph_of(ws, &admin, &middle.identifier()).await;
    assert_eq!(graph.parent.unwrap().identifier, top.identifier());
    let children: Vec<&str> = graph
        .children
        .iter()
        .map(|c| c.identifier.as_str())
        .collect();
    assert_eq!(children, [leaf.identifier()]);
    assert_eq!(graph.children_progress.total, 1);
    patch(ws, &admin, &leaf.identifier(), set_status("Done"))
        .await
        .unwrap();
    let graph = graph_of(ws, &admin, &middle.identifier()).await;
    assert_eq!(graph.children_progress.completed, 1);

    // `none` moves a sub-task to the top level, and history says so.
    patch(ws, &admin, &leaf.identifier(), set_parent("none"))
        .await
        .unwrap();
    assert!(
        graph_of(ws, &admin, &middle.identifier())
            .await
            .children
            .is_empty()
    );
    let history = ws
        .task_history(&admin, &task_ref(&leaf.identifier()))
        .await
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.field.as_str(), last.old.clone(), last.new.clone()),
        ("parent", Some(middle.identifier()), None)
    );
    app.stop().await;
}

#[tokio::test]
async fn the_blocked_marker_follows_the_blockers_status() {
    let app = TestApp::spawn().await;
    let (ws, alice) = (&app.workspace, app.actor(ALICE).await);
    patch(ws, &alice, "ENG-2", add("blocked_by", "ENG-1"))
        .await
        .unwrap();
    assert!(ws.task(&alice, &task_ref("ENG-2")).await.unwrap().blocked);
    assert!(!ws.task(&alice, &task_ref("ENG-1")).await.unwrap().blocked);
    assert_eq!(blocked_ids(ws, &alice).await, ["ENG-2"]);

    patch(ws, &alice, "ENG-1", set_status("Done"))
        .await
        .unwrap();
    assert!(!ws.task(&alice, &task_ref("ENG-2")).await.unwrap().blocked);
    assert!(blocked_ids(ws, &alice).await.is_empty());
    // The blocker's change told the blocked task's page.
    let changes = ws.list_changes(&alice, 0, None, 1000).await.unwrap();
    let done = changes
        .changes
        .iter()
        .rev()
        .find(|c| c.subject == "ENG-1")
        .unwrap();
    assert_eq!(done.fields, ["status"]);
    let blocked = ws.task(&alice, &task_ref("ENG-2")).await.unwrap();
    assert!(
        done.topics.contains(&format!("task-{}", blocked.id)),
        "{done:?}"
    );
    // And the other way: the blocker's page shows the blocked task's status.
    patch(ws, &alice, "ENG-2", set_status("In Progress"))
        .await
        .unwrap();
    let changes = ws.list_changes(&alice, 0, None, 1000).await.unwrap();
    let moved = changes
        .changes
        .iter()
        .rev()
        .find(|c| c.subject == "ENG-2")
        .unwrap();
    let blocker = ws.task(&alice, &task_ref("ENG-1")).await.unwrap();
    assert!(
        moved.topics.contains(&format!("task-{}", blocker.id)),
        "{moved:?}"
    );

    patch(ws, &alice, "ENG-1", set_status("In Progress"))
        .await
        .unwrap();
    let page = ws
        .search_tasks(&alice, TaskFilter::default())
        .await
        .unwrap();
    let marked: Vec<String> = page
        .items
        .iter()
        .filter(|t| t.blocked)
        .map(Task::identifier)
        .collect();
    assert_eq!(marked, ["ENG-2"], "lists carry the marker too");
    app.stop().await;
}

#[tokio::test]
async fn a_relation_is_seen_from_both_sides() {
    let app = TestApp::spawn().await;
    let (ws, admin) = (&app.workspace, app.actor(ADMIN).await);
    patch(ws, &admin, "ENG-1", add("blocks", "DES-2"))
        .await
        .unwrap();
    patch(ws, &admin, "ENG-3", add("relates_to", "ENG-1"))
        .await
        .unwrap();
    assert_eq!(
        relations(&graph_of(ws, &admin, "ENG-1").await),
        [
            ("blocks", "DES-2".to_string()),
            ("relates_to", "ENG-3".to_string())
        ]
    );
    assert_eq!(
        relations(&graph_of(ws, &admin, "DES-2").await),
        [("blocked_by", "ENG-1".to_string())]
    );
    assert_eq!(
        relations(&graph_of(ws, &admin, "ENG-3").await),
        [("relates_to", "ENG-1".to_string())]
    );

    // A duplicate moves to its team's canceled status, as in Linear.
    let duplicate = patch(ws, &admin, "ENG-2", add("duplicate_of", "ENG-3"))
        .await
        .unwrap();
    assert_eq!(duplicate.status.kind, StatusKind::Canceled);
    assert_eq!(
        relations(&graph_of(ws, &admin, "ENG-3").await)[0],
        ("duplicated_by", "ENG-2".to_string())
    );

    // Removed from the other side, it is gone from both; adding it twice keeps one.
    let remove = TaskPatch {
        remove_relations: vec![relation("relates_to", "ENG-3")],
        ..Default::default()
    };
    patch(ws, &admin, "ENG-1", remove).await.unwrap();
    patch(ws, &admin, "DES-2", add("blocked_by", "ENG-1"))
        .await
        .unwrap();
    assert_eq!(
        relations(&graph_of(ws, &admin, "ENG-1").await),
        [("blocks", "DES-2".to_string())]
    );
    let self_relation = patch(ws, &admin, "ENG-1", add("relates_to", "ENG-1")).await;
    assert!(self_relation.unwrap_err().to_string().contains("itself"));
    let bad_kind = patch(ws, &admin, "ENG-1", add("parent_of", "ENG-2")).await;
    assert!(bad_kind.unwrap_err().to_string().contains("valid: blocks"));
    app.stop().await;
}

#[tokio::test]
async fn relations_to_tasks_the_reader_cannot_see_are_neither_shown_nor_counted() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let (admin, alice) = (app.actor(ADMIN).await, app.actor(ALICE).await);
    // DES-1 is secret to Alice (ENG only); it blocks ENG-1.
    patch(ws, &admin, "ENG-1", add("blocked_by", "DES-1"))
        .await
        .unwrap();
    assert!(ws.task(&admin, &task_ref("ENG-1")).await.unwrap().blocked);
    assert_eq!(blocked_ids(ws, &admin).await, ["ENG-1"]);

    assert!(!ws.task(&alice, &task_ref("ENG-1")).await.unwrap().blocked);
    assert!(blocked_ids(ws, &alice).await.is_empty());
    let graph = graph_of(ws, &alice, "ENG-1").await;
    assert!(
        graph.relations.is_empty() && !graph.more_relations,
        "{graph:?}"
    );
    // Nor does its history tell of it (the page, get_task and exports read it).
    let history = ws.task_history(&alice, &task_ref("ENG-1")).await.unwrap();
    assert!(
        !history.iter().any(|e| e.field == "relations"),
        "{history:?}"
    );
    let admins = ws.task_history(&admin, &task_ref("ENG-1")).await.unwrap();
    let told = admins.iter().filter(|e| e.field == "relations");
    assert_eq!(told.count(), 1, "{admins:?}");
    // Nor can she relate to it: it does not exist for her.
    let hidden = patch(ws, &alice, "ENG-2", add("blocks", "DES-1")).await;
    assert!(
        matches!(hidden, Err(orgn_domain::Error::NotFound(_))),
        "{hidden:?}"
    );
    app.stop().await;
}

fn structured(answer: &Value) -> &Value {
    assert_ne!(answer["result"]["isError"], true, "{answer}");
    &answer["result"]["structuredContent"]
}

fn text(answer: &Value) -> &str {
    answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn mcp_builds_and_reads_the_graph() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ALICE).await;
    let call = |tool: &'static str, args: Value| {
        let token = token.clone();
        let addr = app.addr;
        async move { mcp_call(addr, &token, tool, args).await }
    };
    let parent = call(
        "create_task",
        json!({"team": "ENG", "title": "Release 2.0"}),
    )
    .await;
    let parent = structured(&parent)["task"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let child = call(
        "create_task",
        json!({"team": "ENG", "title": "Write notes", "parent": parent, "add_relations": [{"type": "blocked_by", "task": "ENG-1"}]}),
    )
    .await;
    let child = structured(&child)["task"].clone();
    assert_eq!(child["blocked"], true, "{child}");
    let child = child["id"].as_str().unwrap().to_string();

    let got = call("get_task", json!({"id": parent})).await;
    let s = structured(&got);
    assert_eq!(s["children"][0]["id"], child.as_str());
    assert_eq!(s["children_progress"]["total"], 1);
    assert!(s.get("parent").is_none(), "{s}");
    assert!(
        text(&got).contains(&format!(
            "sub-tasks (0 of 1 done):\n  {child} [Todo] Write notes"
        )),
        "{}",
        text(&got)
    );

    let got = call("get_task", json!({"id": child})).await;
    let s = structured(&got);
    assert_eq!(s["parent"]["id"], parent.as_str());
    assert_eq!(
        s["relations"],
        json!([{"type": "blocked_by", "id": "ENG-1", "title": "Fix login redirect", "status": "Todo", "status_type": "unstarted"}])
    );
    assert!(
        text(&got).contains("blocked by ENG-1 [Todo] Fix login redirect"),
        "{}",
        text(&got)
    );
    assert!(text(&got).contains("(blocked)"));

    let children = call("search_tasks", json!({"parent": parent})).await;
    assert_eq!(structured(&children)["tasks"][0]["id"], child.as_str());
    let blocked = call("search_tasks", json!({"blocked": true})).await;
    assert_eq!(structured(&blocked)["tasks"].as_array().unwrap().len(), 1);

    let moved = call("update_task", json!({"id": child, "parent": "none", "remove_relations": [{"type": "blocked_by", "task": "ENG-1"}]})).await;
    assert!(structured(&moved)["task"].get("blocked").is_none());
    let cycle = call("update_task", json!({"id": parent, "parent": parent})).await;
    assert_eq!(cycle["result"]["isError"], true, "{cycle}");
    app.stop().await;
}

#[tokio::test]
async fn the_typescript_sdk_client_breaks_a_task_into_steps() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ALICE).await;
    let args = ["graph-client.mjs", app.base_url.as_str(), token.as_str()];
    let summary = run_node_client(&args).await;
    assert_eq!(
        summary["children"].as_array().unwrap().len(),
        3,
        "{summary}"
    );
    assert_eq!(
        summary["blocked"],
        json!([summary["children"][2]]),
        "{summary}"
    );
    assert_eq!(summary["blocker_relation"], "blocks", "{summary}");
    app.stop().await;
}

/// For `orgn copy`'s round trip: a parent newer than its child (copied after it) and a
/// relation, in the team of the actor's newest task.
pub async fn add_a_sub_task_and_a_relation(ws: &Workspace, actor: &Actor) {
    let newest = ws.search_tasks(actor, TaskFilter::default()).await.unwrap();
    let child = newest.items.last().unwrap().identifier();
    let draft = TaskDraft {
        team: newest.items[0].team_key.clone(),
        title: "A parent newer than its sub-task".into(),
        relations: vec![relation("blocks", &newest.items[0].identifier())],
        ..Default::default()
    };
    let parent = ws.create_task(actor, draft).await.unwrap();
    let child = patch(ws, actor, &child, set_parent(&parent.identifier())).await;
    assert_eq!(child.unwrap().parent_id, Some(parent.id));
}

/// Linear's CSV: "Parent issue" and the relation columns name other rows by their `ID`
/// (or tasks already here); a parent further down the file is found, and a link that
/// cannot be made is reported with its row, the row itself imported. The export carries
/// parents and relations back out, in JSON and CSV.
#[tokio::test]
async fn import_maps_linears_parent_and_relation_columns_and_export_carries_them() {
    use orgn_domain::model::JobState;
    let app = TestApp::spawn().await;
    let (ws, alice) = (&app.workspace, app.actor(ALICE).await);
    let csv = "ID,Title,Parent issue,Blocked by,Related to\n\
               LIN-1,Write the parser,LIN-3,,\n\
               LIN-2,Map the columns,LIN-3,LIN-1,ENG-1\n\
               LIN-3,Ship the importer,,,\n\
               LIN-4,Orphan step,LIN-99,,\n";
    let job = orgn_jobs::start_import(ws, &alice, "ENG", csv)
        .await
        .unwrap();
    let job = wait_for_job(ws, &alice, job.id).await;
    assert_eq!(job.state, JobState::Done, "{job:?}");
    let errors = ws.job_errors(&alice, job.id).await.unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, 5, "{errors:?}");
    assert!(
        errors[0].1.contains("imported as ENG-7, but not linked"),
        "{errors:?}"
    );
    // ENG-4..7 are LIN-1..4.
    let parent = graph_of(ws, &alice, "ENG-6").await;
    let children: Vec<&str> = parent
        .children
        .iter()
        .map(|c| c.identifier.as_str())
        .collect();
    assert_eq!(children, ["ENG-4", "ENG-5"]);
    assert_eq!(
        relations(&graph_of(ws, &alice, "ENG-5").await),
        [
            ("blocked_by", "ENG-4".to_string()),
            ("relates_to", "ENG-1".to_string())
        ]
    );
    assert!(ws.task(&alice, &task_ref("ENG-5")).await.unwrap().blocked);

    let job = orgn_jobs::start_export(ws, &alice).await.unwrap();
    let job = wait_for_job(ws, &alice, job.id).await;
    let file = |name| ws.job_file(&alice, job.id, name);
    let json: Value = serde_json::from_slice(&file(orgn_jobs::EXPORT_JSON).await.unwrap()).unwrap();
    let tasks = json["teams"][0]["tasks"].as_array().unwrap();
    let eng5 = tasks.iter().find(|t| t["task"]["number"] == 5).unwrap();
    assert_eq!(eng5["parent"], "ENG-6");
    assert_eq!(
        eng5["relations"][0],
        json!({"type": "blocked_by", "task": "ENG-4"})
    );
    let csv = String::from_utf8(file(orgn_jobs::EXPORT_CSV).await.unwrap()).unwrap();
    // No cell of these rows holds a comma or a quote: plain splitting reads them.
    let cells = |line: &str| line.split(',').map(str::to_string).collect::<Vec<_>>();
    let headers = cells(csv.lines().next().unwrap());
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let row = cells(csv.lines().find(|l| l.starts_with("ENG-5,")).unwrap());
    assert_eq!(&row[column("Parent issue")], "ENG-6");
    assert_eq!(&row[column("Blocked by")], "ENG-4");
    assert_eq!(&row[column("Related to")], "ENG-1");
    app.stop().await;
}

#[tokio::test]
async fn a_parent_goes_to_the_trash_with_its_sub_tasks_or_leaves_them_and_comes_back_with_them() {
    use orgn_domain::SubTasks;
    let app = TestApp::spawn().await;
    let (ws, admin) = (&app.workspace, app.actor(ADMIN).await);
    let top = sub_task(ws, &admin, "Release", None).await.identifier();
    let step = sub_task(ws, &admin, "Step", Some(&top)).await.identifier();
    let sub_step = sub_task(ws, &admin, "Sub-step", Some(&step))
        .await
        .identifier();
    let kept = sub_task(ws, &admin, "Kept", None).await.identifier();
    let kept_child = sub_task(ws, &admin, "Kept child", Some(&kept))
        .await
        .identifier();

    ws.delete_task_and_sub_tasks(&admin, &task_ref(&top), SubTasks::GoWithIt)
        .await
        .unwrap();
    for gone in [&top, &step, &sub_step] {
        assert!(
            ws.task(&admin, &task_ref(gone)).await.is_err(),
            "{gone} is in the Trash"
        );
    }
    ws.delete_task_and_sub_tasks(&admin, &task_ref(&kept), SubTasks::MoveToTopLevel)
        .await
        .unwrap();
    let child = ws.task(&admin, &task_ref(&kept_child)).await.unwrap();
    assert_eq!(child.parent_id, None, "moved to the top level");

    // A sub-task deleted on its own before stays in the Trash when its parent comes back.
    let alone = sub_task(ws, &admin, "Deleted alone", Some(&kept_child))
        .await
        .identifier();
    ws.delete_task(&admin, &task_ref(&alone)).await.unwrap();
    app.clock.advance(time::Duration::seconds(5));
    ws.delete_task_and_sub_tasks(&admin, &task_ref(&kept_child), SubTasks::GoWithIt)
        .await
        .unwrap();
    ws.restore_task(&admin, &task_ref(&kept_child))
        .await
        .unwrap();
    assert!(ws.task(&admin, &task_ref(&alone)).await.is_err());

    // Restoring the parent brings back what went with it, the tree as it was.
    ws.restore_task(&admin, &task_ref(&top)).await.unwrap();
    let graph = graph_of(ws, &admin, &step).await;
    assert_eq!(graph.parent.unwrap().identifier, top);
    assert_eq!(graph.children[0].identifier, sub_step);
    app.stop().await;
}

/// Two parent changes at once (A under B while B goes under A) each pass the domain's
/// check; the store checks again in the transaction that writes, after the other one's
/// commit: the second is refused and nothing of it is written.
#[tokio::test]
async fn the_store_refuses_a_cycle_that_a_concurrent_change_would_close() {
    use orgn_domain::changes::{NewChange, Stamp, Via};
    use orgn_domain::store::{TaskChanges, TaskUpdate};
    let app = TestApp::spawn().await;
    let (ws, admin) = (&app.workspace, app.actor(ADMIN).await);
    let a = sub_task(ws, &admin, "A", None).await;
    let b = sub_task(ws, &admin, "B", Some(&a.identifier())).await;
    // As planned before B went under A: A under B.
    let url = app.database.as_ref().map(|d| d.url.as_str());
    let store = orgn::app::open_store(url, &app.data_dir.path)
        .await
        .unwrap();
    let stamp = Stamp {
        actor: admin.id(),
        via: Via::default(),
        at: ws.now(),
    };
    let update = TaskUpdate {
        task_id: a.id,
        changes: TaskChanges {
            parent_id: Some(Some(b.id)),
            ..Default::default()
        },
        events: vec![],
        change: NewChange::task(&a, vec!["parent".into()], stamp),
        planned_on: None,
    };
    let refused = store.update_tasks(&[update]).await;
    assert!(
        matches!(&refused, Err(orgn_domain::Error::Invalid(m)) if m.contains("own ancestor")),
        "{refused:?}"
    );
    assert_eq!(
        ws.task(&admin, &task_ref(&a.identifier()))
            .await
            .unwrap()
            .parent_id,
        None
    );
    store.close().await;
    app.stop().await;
}

/// get_task lists at most `MAX_CHILDREN_SHOWN` sub-tasks, oldest first, and says how many
/// more there are: the count covers them all.
#[tokio::test]
async fn a_long_list_of_sub_tasks_is_cut_and_says_how_many_more() {
    let app = TestApp::spawn().await;
    let (ws, alice) = (&app.workspace, app.actor(ALICE).await);
    let parent = sub_task(ws, &alice, "Big parent", None).await.identifier();
    let shown = orgn_domain::MAX_CHILDREN_SHOWN;
    for i in 0..shown + 2 {
        let step = sub_task(ws, &alice, &format!("Step {i}"), Some(&parent)).await;
        if i == 0 {
            patch(ws, &alice, &step.identifier(), set_status("Done"))
                .await
                .unwrap();
        }
    }
    let graph = graph_of(ws, &alice, &parent).await;
    assert_eq!(graph.children.len(), shown);
    assert_eq!(graph.children[0].title, "Step 0");
    assert_eq!(
        (
            graph.children_progress.total,
            graph.children_progress.completed
        ),
        (shown as i64 + 2, 1)
    );
    let token = app.token_for(ALICE).await;
    let got = mcp_call(app.addr, &token, "get_task", json!({"id": parent})).await;
    assert!(
        text(&got).contains("sub-tasks (1 of 52 done)"),
        "{}",
        text(&got)
    );
    assert!(
        text(&got).contains("(and 2 more sub-tasks)"),
        "{}",
        text(&got)
    );

    // More relations than a page lists: cut there, said so, and all of them exported.
    let steps: Vec<String> = (5..5 + shown + 2).map(|n| format!("ENG-{n}")).collect();
    for batch in steps.chunks(20) {
        let relations = batch.iter().map(|s| relation("relates_to", s)).collect();
        let more = TaskPatch {
            add_relations: relations,
            ..Default::default()
        };
        patch(ws, &alice, &parent, more).await.unwrap();
    }
    let graph = graph_of(ws, &alice, &parent).await;
    assert!(graph.relations.len() == orgn_domain::MAX_RELATIONS_SHOWN && graph.more_relations);
    let job = orgn_jobs::start_export(ws, &alice).await.unwrap();
    let job = wait_for_job(ws, &alice, job.id).await;
    let json = ws
        .job_file(&alice, job.id, orgn_jobs::EXPORT_JSON)
        .await
        .unwrap();
    let json: Value = serde_json::from_slice(&json).unwrap();
    let tasks = json["teams"][0]["tasks"].as_array().unwrap();
    let exported = tasks
        .iter()
        .find(|t| t["task"]["title"] == "Big parent")
        .unwrap();
    assert_eq!(exported["relations"].as_array().unwrap().len(), shown + 2);
    app.stop().await;
}

/// A parent changed by someone else since the version an edit was based on is refused
/// like any field, saying what happened.
#[tokio::test]
async fn a_parent_changed_meanwhile_is_not_overwritten() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let (admin, alice) = (app.actor(ADMIN).await, app.actor(ALICE).await);
    let read = ws.task(&alice, &task_ref("ENG-3")).await.unwrap();
    let agent = admin.acting_via(orgn_domain::changes::Via::mcp(Some("Claude Desktop")));
    patch(ws, &agent, "ENG-3", set_parent("ENG-1"))
        .await
        .unwrap();
    let stale = TaskPatch {
        based_on: Some(read.version),
        ..set_parent("ENG-2")
    };
    let refused = patch(ws, &alice, "ENG-3", stale)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("Parent was changed to another parent"),
        "{refused}"
    );
    let task = ws.task(&alice, &task_ref("ENG-3")).await.unwrap();
    assert_eq!(
        task.parent_id,
        Some(ws.task(&alice, &task_ref("ENG-1")).await.unwrap().id)
    );
    app.stop().await;
}

/// A relation to a task of another team tells that task's page and lists only to those who
/// can see its team: a reader in ENG alone is sent neither DES-1's page nor DES's lists.
#[tokio::test]
async fn the_live_stream_names_related_tasks_only_to_those_who_see_them() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let admin = app.actor(ADMIN).await;
    let des1 = ws.task(&admin, &task_ref("DES-1")).await.unwrap();
    let eng1 = ws.task(&admin, &task_ref("ENG-1")).await.unwrap();
    let mut alices = EventStream::open(app.addr, &app, ALICE, None).await;
    let mut admins = EventStream::open(app.addr, &app, ADMIN, None).await;
    patch(ws, &admin, "ENG-1", add("blocks", "DES-1"))
        .await
        .unwrap();
    let (des_page, des_lists) = (
        format!("event: task-{}\n", des1.id),
        format!("event: team-{}\n", des1.team_id),
    );
    let within = Duration::from_secs(10);
    admins.until(&des_page, within).await;
    admins.until(&des_lists, within).await;
    alices
        .until(&format!("event: task-{}\n", eng1.id), within)
        .await;
    alices.until("event: change", within).await;
    assert!(!alices.text.contains(&des_page), "{}", alices.text);
    assert!(!alices.text.contains(&des_lists), "{}", alices.text);
    assert!(
        !alices.text.contains('@'),
        "no scope leaks out: {}",
        alices.text
    );
    app.stop().await;
}
