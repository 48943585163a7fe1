//! One scripted workload on both backends, with ties everywhere an order could drift (two
//! users named "Ada", tasks created in the same millisecond with equal titles, projects,
//! labels and docs of one name, items deleted at one instant), comparing the whole output
//! of every list and search operation, order included.
//! Needs PostgreSQL (`ORGN_TEST_DATABASE_URL`); skipped with a notice without it.

use orgn_domain::changes::{Channel, NewChange, ObjectKind, Stamp, Via};
use orgn_domain::model::*;
use orgn_domain::store::*;
use orgn_storage::{PgStore, SqliteStore};
use time::OffsetDateTime;

use super::postgres::{fresh, server};

fn at(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).unwrap()
}

/// A feed row for the workload's writes: by `actor` over MCP, about `kind` in `team`.
fn change(kind: ObjectKind, object: i64, team: TeamId, actor: UserId, ms: i64) -> NewChange {
    NewChange {
        kind,
        object_id: object,
        teams: vec![team],
        subject: format!("{} {object}", kind.as_str()),
        fields: vec!["name".into(), "status".into()],
        topics: vec![format!("team-{team}")],
        stamp: Stamp {
            actor,
            via: Via::mcp(Some("Claude Desktop")),
            at: at(ms),
        },
        inbox: Default::default(),
    }
}

fn new_task(team: TeamId, title: &str, status: StatusId, creator: UserId) -> NewTask {
    NewTask {
        team_id: team,
        title: title.into(),
        description: "billing page is slow".into(),
        status_id: status,
        priority: Priority::new(2).unwrap(),
        assignee_id: None,
        creator_id: creator,
        label_ids: vec![],
        project_id: None,
        milestone_id: None,
        cycle_id: None,
        due_date: None,
        estimate: None,
        times: Lifecycle::default(),
        now: at(1_000),
        via: Via::of(Channel::Web),
        inbox: Default::default(),
    }
}

/// Writes the workload into `store`.
async fn write(store: &dyn Store) {
    let mut users = Vec::new();
    for (email, name) in [
        ("b@x", "Ada"),
        ("a@x", "Ada"),
        ("c@x", "bob"),
        ("d@x", "ADA"),
    ] {
        let user = NewUser {
            email: email.into(),
            name: name.into(),
            handle: email.split('@').next().unwrap_or(email).into(),
            password_hash: "h".into(),
            is_admin: false,
            now: at(5),
        };
        users.push(store.create_user(user).await.unwrap().id);
    }
    let statuses = [
        ("Todo", StatusKind::Unstarted),
        ("Doing", StatusKind::Started),
        ("Done", StatusKind::Completed),
    ]
    .map(|(name, kind)| NewStatus {
        name: name.into(),
        kind,
        color: "#000".into(),
    });
    let eng = store
        .create_team("ENG", "Eng", &statuses, at(1))
        .await
        .unwrap();
    let ops = store
        .create_team("OPS", "Eng", &statuses, at(1))
        .await
        .unwrap();
    for (team, user) in [
        (eng.id, users[0]),
        (eng.id, users[1]),
        (eng.id, users[3]),
        (ops.id, users[2]),
    ] {
        let added = change(ObjectKind::Membership, user.get(), team, user, 1);
        store
            .set_membership(team, user, Role::Member, &added)
            .await
            .unwrap();
    }
    let todo = store.statuses(eng.id).await.unwrap()[0].id;
    let done = store.statuses(eng.id).await.unwrap()[2].id;
    let ops_todo = store.statuses(ops.id).await.unwrap()[0].id;
    let bug = store
        .create_label(Some(eng.id), "bug", "#f00")
        .await
        .unwrap()
        .id;
    store.create_label(None, "Bug", "#0f0").await.unwrap();
    store
        .create_label(Some(eng.id), "bug", "#00f")
        .await
        .unwrap();
    let mut projects = Vec::new();
    for _ in 0..2 {
        let project = NewProject {
            name: "Billing".into(),
            description: String::new(),
            status: ProjectStatus::Planned,
            lead_id: Some(users[0]),
            start_date: None,
            target_date: None,
            team_ids: vec![ops.id, eng.id],
            now: at(2),
        };
        let created = change(ObjectKind::Project, 0, eng.id, users[0], 2);
        projects.push(store.create_project(project, &created).await.unwrap());
    }
    let made = change(ObjectKind::Milestone, 0, eng.id, users[0], 2);
    let milestone = store
        .create_milestone(projects[0], "M", None, &made)
        .await
        .unwrap();
    store
        .create_milestone(projects[0], "M", None, &made)
        .await
        .unwrap();
    let day = time::macros::date!(2026 - 01 - 05);
    let made = change(ObjectKind::Cycle, 0, eng.id, users[0], 2);
    let cycle = store
        .create_cycle(eng.id, None, day, day, &made)
        .await
        .unwrap();
    store
        .create_cycle(eng.id, Some("Same day"), day, day, &made)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..6 {
        let mut task = new_task(
            eng.id,
            "Fix billing",
            if i % 2 == 0 { todo } else { done },
            users[i % 2],
        );
        if i < 3 {
            task.label_ids = vec![bug];
            task.project_id = Some(projects[0]);
            task.milestone_id = Some(milestone);
            task.cycle_id = Some(cycle);
        }
        tasks.push(store.insert_task(task).await.unwrap().id);
    }
    store
        .insert_tasks(&[
            new_task(ops.id, "Fix billing", ops_todo, users[2]),
            new_task(ops.id, "Other", ops_todo, users[2]),
        ])
        .await
        .unwrap();
    for body in ["billing again", "billing again"] {
        store
            .create_comment(
                tasks[0],
                users[1],
                body,
                &change(ObjectKind::Task, tasks[0].get(), eng.id, users[1], 3),
            )
            .await
            .unwrap();
    }
    for team in [Some(eng.id), Some(eng.id), None] {
        let doc = NewDoc {
            team_id: team,
            project_id: team.map_or(Some(projects[1]), |_| None),
            title: "Billing notes".into(),
            content: "billing billing".into(),
            creator_id: users[0],
            now: at(4),
        };
        let made = change(ObjectKind::Doc, 0, eng.id, users[0], 4);
        store.create_doc(doc, &made).await.unwrap();
    }
    for t in [tasks[4], tasks[5]] {
        let deleted = change(ObjectKind::Task, t.get(), eng.id, users[0], 9);
        store.delete_task(t, &deleted).await.unwrap();
    }
    let deleted = change(ObjectKind::Doc, 2, eng.id, users[0], 9);
    store.delete_doc(DocId::new(2), &deleted).await.unwrap();
    for user in [users[0], users[0], users[1]] {
        store
            .create_job(user, JobKind::Export, "{}", at(6))
            .await
            .unwrap();
    }
    for user in [users[0], users[0]] {
        let c = store
            .create_conversation(user, "Same", at(7))
            .await
            .unwrap();
        store
            .append_message(c, ChatRole::User, "hi", at(8))
            .await
            .unwrap();
        store
            .append_message(c, ChatRole::Assistant, "hi", at(8))
            .await
            .unwrap();
    }
    for ok in [true, false, true] {
        let call = ToolCallRecord {
            tool: "search".into(),
            target: None,
            ok,
            at: at(8),
            client: ok.then(|| "Claude Desktop".to_string()),
        };
        store.record_tool_call(users[0], &call).await.unwrap();
    }
}

async fn tasks_first(store: &dyn Store) -> i64 {
    store
        .task_id_by_number(TeamId::new(1), 1)
        .await
        .unwrap()
        .unwrap()
        .get()
}

/// Every list and search, as text.
async fn read(store: &dyn Store) -> Vec<String> {
    let mut out = vec![format!("{:?}", store.users().await.unwrap())];
    let teams = store.teams().await.unwrap();
    out.push(format!("{teams:?}"));
    let team_ids: Vec<TeamId> = teams.iter().map(|t| t.id).collect();
    for team in &team_ids {
        out.push(format!("{:?}", store.team_members(*team).await.unwrap()));
        out.push(format!("{:?}", store.statuses(*team).await.unwrap()));
    }
    out.push(format!("{:?}", store.labels(&team_ids).await.unwrap()));
    let projects = store.projects(&team_ids).await.unwrap();
    out.push(format!("{projects:?}"));
    for p in &projects {
        out.push(format!("{:?}", store.milestones(p.id).await.unwrap()));
    }
    out.push(format!("{:?}", store.cycles(&team_ids).await.unwrap()));
    out.push(format!(
        "{:?}",
        store.comments(TaskId::new(1)).await.unwrap()
    ));
    for text in [None, Some("billing"), Some("bill"), Some("notes")] {
        let q = DocQuery {
            teams: team_ids.clone(),
            projects: projects.iter().map(|p| p.id).collect(),
            text: text.map(str::to_string),
            after: None,
            limit: 10,
        };
        out.push(format!("{:?}", store.search_docs(&q).await.unwrap()));
    }
    let queries = [
        TaskQuery {
            text: None,
            ..Default::default()
        },
        TaskQuery {
            text: Some("billing".into()),
            ..Default::default()
        },
        TaskQuery {
            text: Some("fix bill".into()),
            ..Default::default()
        },
        TaskQuery {
            text: Some("ENG-1".into()),
            ..Default::default()
        },
        TaskQuery {
            status_kinds: vec![StatusKind::Unstarted],
            label_ids: vec![LabelId::new(1)],
            ..Default::default()
        },
        TaskQuery {
            text: Some("billing".into()),
            assignee: Some(None),
            priorities: vec![Priority::new(2).unwrap()],
            ..Default::default()
        },
    ];
    for q in queries {
        let q = TaskQuery {
            teams: team_ids.clone(),
            limit: 3,
            ..q
        };
        let first = store.search_tasks(&q).await.unwrap();
        let after = first.last().map(|(_, key)| *key);
        let second = store.search_tasks(&TaskQuery { after, ..q }).await.unwrap();
        out.push(format!("{first:?} then {second:?}"));
    }
    out.push(format!("{:?}", store.trash(&team_ids).await.unwrap()));
    // The feed, with the version each versioned row had after its change.
    out.push(format!("{:?}", store.changes_after(0, 1000).await.unwrap()));
    out.push(format!(
        "{:?}",
        store
            .changes_since_version(ObjectKind::Task, tasks_first(store).await, 0)
            .await
            .unwrap()
    ));
    for user in (1..=4).map(UserId::new) {
        out.push(format!("{:?}", store.jobs(user, 10).await.unwrap()));
        for c in store.conversations(user, 10).await.unwrap() {
            out.push(format!("{c:?} {:?}", store.messages(c.id).await.unwrap()));
        }
        out.push(format!(
            "{:?}",
            store.recent_tool_calls(user, 10).await.unwrap()
        ));
    }
    out
}

#[tokio::test]
async fn both_backends_list_and_search_alike() {
    let Some(server) = server() else { return };
    let dir = std::env::temp_dir().join(format!("orgn-parity-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sqlite = SqliteStore::open(&dir).await.unwrap();
    let (url, name) = fresh(&server, "parity").await;
    let pg = PgStore::open(&url).await.unwrap();
    write(&sqlite).await;
    write(&pg).await;
    let (on_sqlite, on_pg) = (read(&sqlite).await, read(&pg).await);
    sqlite.close().await;
    pg.close().await;
    orgn_storage::postgres::drop_database(&server, &name)
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    for (i, (s, p)) in on_sqlite.iter().zip(&on_pg).enumerate() {
        assert_eq!(s, p, "output {i} differs: SQLite, then PostgreSQL");
    }
    assert_eq!(on_sqlite.len(), on_pg.len());
}
