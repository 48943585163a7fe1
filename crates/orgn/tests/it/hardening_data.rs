//! Hardening (issue 16) of what people read and move in bulk: shared projects across teams,
//! imports, exports and the sweeps that bound what is kept.

use orgn_domain::model::JobState;
use orgn_domain::{
    Error, JOB_FILES_KEPT_FOR, ProjectDraft, ProjectPatch, TOOL_CALLS_KEPT_FOR, TaskDraft,
    TaskFilter,
};
use serde_json::json;

use crate::http::*;
use crate::support::*;

/// "Shared" involves ENG and DES and is led by Alice (ENG only): three ENG tasks (one done)
/// and one DES task; its milestone "Phase" has one task of each team.
async fn shared_project(app: &TestApp) {
    let ws = &app.workspace;
    let admin = app.actor(ADMIN).await;
    let draft = ProjectDraft {
        name: "Shared".into(),
        teams: vec!["ENG".into(), "DES".into()],
        lead: Some(ALICE.into()),
        ..Default::default()
    };
    ws.create_project(&admin, draft).await.unwrap();
    ws.create_milestone(&admin, "Shared", "Phase", None)
        .await
        .unwrap();
    for (team, title, status, milestone) in [
        ("ENG", "Engine one", None, Some("Phase")),
        ("ENG", "Engine two", Some("Done"), None),
        ("ENG", "Engine three", None, None),
        ("DES", "Design one", None, Some("Phase")),
    ] {
        let draft = TaskDraft {
            team: team.into(),
            title: title.into(),
            project: Some("Shared".into()),
            milestone: milestone.map(Into::into),
            status: status.map(Into::into),
            ..Default::default()
        };
        ws.create_task(&admin, draft).await.unwrap();
    }
}

#[tokio::test]
async fn a_shared_project_counts_and_names_only_what_its_reader_may_see() {
    let app = TestApp::spawn().await;
    shared_project(&app).await;
    let ws = &app.workspace;
    let (admin, alice, dana) = (
        app.actor(ADMIN).await,
        app.actor(ALICE).await,
        app.actor(DANA).await,
    );
    // Someone in every team sees every task and the lead.
    let whole = ws.project(&admin, "Shared").await.unwrap();
    assert_eq!((whole.progress.total, whole.progress.completed), (4, 1));
    assert_eq!(whole.lead.as_ref().map(|l| l.email.as_str()), Some(ALICE));
    // Alice (ENG only) counts ENG's three tasks and sees herself as lead.
    let eng = ws.project(&alice, "Shared").await.unwrap();
    assert_eq!((eng.progress.total, eng.progress.completed), (3, 1));
    assert_eq!(eng.lead.as_ref().map(|l| l.email.as_str()), Some(ALICE));
    // Dana (DES only) counts DES's one task and is not told who leads it.
    let des = ws.project(&dana, "Shared").await.unwrap();
    assert_eq!((des.progress.total, des.progress.completed), (1, 0));
    assert_eq!(des.lead, None, "Alice shares no team with Dana");
    let phase = |milestones: Vec<orgn_domain::model::Milestone>| milestones[0].progress.total;
    assert_eq!(phase(ws.milestones(&admin, "Shared").await.unwrap()), 2);
    assert_eq!(phase(ws.milestones(&dana, "Shared").await.unwrap()), 1);
    let listed = ws.projects(&dana).await.unwrap();
    let listed = listed.iter().find(|p| p.name == "Shared").unwrap();
    assert_eq!((listed.progress.total, listed.lead.clone()), (1, None));
    // An edit refused for a lead changed meanwhile does not name a lead Dana may not see.
    let lead_bob = ProjectPatch {
        lead: Some(BOB.into()),
        ..Default::default()
    };
    ws.update_project(&admin, "Shared", lead_bob).await.unwrap();
    let lead_dana = ProjectPatch {
        lead: Some(DANA.into()),
        based_on: Some(des.version),
        ..Default::default()
    };
    let refused = ws.update_project(&dana, "Shared", lead_dana).await;
    assert!(
        matches!(&refused, Err(Error::Conflict(m)) if !m.contains("Bob")),
        "{refused:?}"
    );
    // MCP reads go through the same rule.
    let token = app.token_for(DANA).await;
    for (tool, args) in [
        ("get_project", json!({"id": "Shared"})),
        ("list_projects", json!({})),
    ] {
        let answer = mcp_call(app.addr, &token, tool, args).await.to_string();
        assert!(!answer.contains(ALICE), "{tool} names the lead: {answer}");
        assert!(
            !answer.contains("\"total\":4"),
            "{tool} counts ENG: {answer}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_person_runs_one_export_or_import_at_a_time() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let first = orgn_jobs::start_export(ws, &alice).await.unwrap();
    let mut let_in = None;
    match orgn_jobs::start_import(ws, &alice, "ENG", "title\nOne more\n").await {
        Err(Error::Conflict(message)) => assert!(message.contains("already"), "{message}"),
        // The runner may have finished the export in between: only then is a second allowed.
        Ok(second) => {
            let first = ws.job(&alice, first.id).await.unwrap();
            assert!(first.finished_at.is_some(), "two jobs at once: {first:?}");
            let_in = Some(second.id);
        }
        Err(other) => panic!("{other}"),
    }
    // Someone else is not held up by Alice's job.
    let bob = app.actor(BOB).await;
    orgn_jobs::start_export(ws, &bob).await.unwrap();
    // Once hers have ended, the next one starts.
    for id in [Some(first.id), let_in].into_iter().flatten() {
        wait_for_job(ws, &alice, id).await;
    }
    orgn_jobs::start_export(ws, &alice).await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn export_files_expire_after_seven_days_and_are_swept() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let job = orgn_jobs::start_export(ws, &alice).await.unwrap();
    let job = wait_for_job(ws, &alice, job.id).await;
    assert_eq!(job.state, JobState::Done, "{job:?}");
    app.clock.advance(JOB_FILES_KEPT_FOR);
    assert_eq!(
        ws.sweep_job_files().await.unwrap(),
        0,
        "a week to the second"
    );
    ws.job_file(&alice, job.id, orgn_jobs::EXPORT_CSV)
        .await
        .unwrap();
    app.clock.advance(time::Duration::seconds(1));
    let expired = ws
        .job_file(&alice, job.id, orgn_jobs::EXPORT_CSV)
        .await
        .unwrap_err();
    assert!(
        matches!(&expired, Error::NotFound(m) if m.contains("kept for 7 days")),
        "{expired}"
    );
    assert_eq!(
        ws.sweep_job_files().await.unwrap(),
        2,
        "the JSON and the CSV"
    );
    app.stop().await;
}

/// The tasks of ENG whose title starts with `prefix`, with their assignee's e-mail.
async fn imported(app: &TestApp, prefix: &str) -> Vec<(String, Option<String>, String)> {
    let alice = app.actor(ALICE).await;
    let filter = TaskFilter {
        team: Some("ENG".into()),
        limit: Some(100),
        ..Default::default()
    };
    let page = app.workspace.search_tasks(&alice, filter).await.unwrap();
    let mut tasks: Vec<_> = page
        .items
        .into_iter()
        .filter(|t| t.title.starts_with(prefix))
        .map(|t| (t.title, t.assignee.map(|a| a.email), t.description))
        .collect();
    tasks.sort();
    tasks
}

#[tokio::test]
async fn an_import_naming_someone_who_is_not_a_member_imports_that_row_unassigned() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let csv =
        format!("Title,Assignee\nKept one,{ALICE}\nKept two,ghost@linear.example\nKept three,\n");
    let preview = orgn_jobs::preview_import(ws, &alice, "ENG", &csv)
        .await
        .unwrap();
    assert_eq!(
        (preview.rows, preview.valid),
        (3, 3),
        "{:?}",
        preview.errors
    );
    assert_eq!(preview.warnings.len(), 1, "{:?}", preview.warnings);
    assert_eq!(preview.warnings[0].0, 3, "row 3 as a spreadsheet counts");
    assert!(
        preview.warnings[0].1.contains("ghost@linear.example")
            && preview.warnings[0].1.contains("unassigned"),
        "{:?}",
        preview.warnings
    );
    let sample: Vec<(&str, &str)> = preview
        .sample
        .iter()
        .map(|r| (r.title.as_str(), r.assignee.as_str()))
        .collect();
    assert_eq!(
        sample,
        [("Kept one", ALICE), ("Kept two", ""), ("Kept three", "")]
    );
    let job = orgn_jobs::start_import(ws, &alice, "ENG", &csv)
        .await
        .unwrap();
    let job = wait_for_job(ws, &alice, job.id).await;
    assert_eq!(job.state, JobState::Done, "{job:?}");
    assert!(ws.job_errors(&alice, job.id).await.unwrap().is_empty());
    let unassigned = |title: &str| (title.to_string(), None, String::new());
    assert_eq!(
        imported(&app, "Kept").await,
        [
            (
                "Kept one".to_string(),
                Some(ALICE.to_string()),
                String::new()
            ),
            unassigned("Kept three"),
            unassigned("Kept two"),
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn the_column_mapping_chosen_in_the_preview_is_the_one_imported() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    // No header Orgn knows: guessed, there is no title.
    let csv = "Ticket,Notes,Headline\nT-1,First notes,Mapped one\nT-2,Second notes,Mapped two\n";
    assert!(matches!(
        orgn_jobs::preview_import(ws, &alice, "ENG", csv).await,
        Err(Error::Invalid(m)) if m.contains("Title column")
    ));
    let mapping = vec![("title".to_string(), 2), ("description".to_string(), 1)];
    let preview = orgn_jobs::preview_import_mapped(ws, &alice, "ENG", csv, Some(&mapping))
        .await
        .unwrap();
    assert_eq!(preview.valid, 2);
    assert_eq!(preview.ignored, ["Ticket"]);
    assert_eq!(preview.sample[0].title, "Mapped one");
    // A mapping naming a column the file lacks, or a field twice, is refused clearly.
    for bad in [
        vec![("title".to_string(), 7)],
        vec![("title".to_string(), 0), ("title".to_string(), 2)],
        vec![("owner".to_string(), 0)],
    ] {
        let refused = orgn_jobs::preview_import_mapped(ws, &alice, "ENG", csv, Some(&bad)).await;
        assert!(matches!(refused, Err(Error::Invalid(_))), "{bad:?}");
    }
    let job = orgn_jobs::start_import_mapped(ws, &alice, "ENG", csv, Some(mapping))
        .await
        .unwrap();
    let job = wait_for_job(ws, &alice, job.id).await;
    assert_eq!(job.state, JobState::Done, "{job:?}");
    let described = |title: &str, notes: &str| (title.to_string(), None, notes.to_string());
    assert_eq!(
        imported(&app, "Mapped").await,
        [
            described("Mapped one", "First notes"),
            described("Mapped two", "Second notes")
        ]
    );
    app.stop().await;
}

/// A form field's value, percent-encoded: enough for the letters, digits, spaces, commas,
/// `@`, `.` and line breaks these tests' CSV files hold.
fn form_value(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ' ' => "+".to_string(),
            ',' => "%2C".to_string(),
            '@' => "%40".to_string(),
            '\n' => "%0A".to_string(),
            c if c.is_ascii_alphanumeric() || c == '.' || c == '-' => c.to_string(),
            c => panic!("form_value does not encode {c:?}"),
        })
        .collect()
}

#[tokio::test]
async fn the_web_preview_warns_shows_a_sample_and_imports_with_the_columns_picked() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let session = ws.start_session(alice.user()).await.unwrap();
    let cookie = format!("orgn_session={}", session.id);
    let headers = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let csv = format!(
        "Summary,Owner,Headline\nOld one,{ALICE},Picked one\nOld two,ghost@linear.example,Picked two\n"
    );
    let form = |extra: &str| {
        format!(
            "_csrf={}&team=ENG&csv={}{extra}",
            session.csrf_token,
            form_value(&csv)
        )
    };
    let post = |path: &'static str, body: String| request(app.addr, "POST", path, &headers, body);
    // As guessed from the headers: Summary is the title; Owner is no column Orgn knows.
    let page = post("/settings/data/import", form("")).await;
    assert_eq!(page.status, 200, "{}", page.head);
    assert!(page.body.contains("id=\"preview-sample\""), "{}", page.body);
    assert!(page.body.contains("Old one"));
    assert!(
        page.body
            .contains("<option value=\"0\" selected>Summary</option>")
    );
    // Owner feeds the assignee and Headline the title: the unknown owner is a warning.
    let picked = "&mapped=1&map_title=2&map_assignee=1";
    let page = post("/settings/data/import", form(picked)).await;
    assert_eq!(page.status, 200, "{}", page.head);
    assert!(
        page.body.contains("id=\"preview-row-warnings\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("ghost@linear.example"));
    assert!(page.body.contains("Picked one") && !page.body.contains(">Old one<"));
    assert!(page.body.contains("Import 2 tasks"));
    // A column that is not a number is a clear error, not a 5xx.
    let bad = post("/settings/data/import", form("&mapped=1&map_title=x")).await;
    assert_eq!(bad.status, 400, "{}", bad.head);
    let started = post("/settings/data/import/start", form(picked)).await;
    assert_eq!(started.status, 303, "{}", started.head);
    let job = ws.jobs(&alice).await.unwrap()[0].clone();
    let job = wait_for_job(ws, &alice, job.id).await;
    assert_eq!(job.state, JobState::Done, "{job:?}");
    let tasks = imported(&app, "Picked").await;
    let assignees: Vec<(&str, Option<&str>)> = tasks
        .iter()
        .map(|(title, who, _)| (title.as_str(), who.as_deref()))
        .collect();
    assert_eq!(
        assignees,
        [("Picked one", Some(ALICE)), ("Picked two", None)]
    );
    app.stop().await;
}

#[tokio::test]
async fn the_mcp_activity_log_forgets_calls_past_its_keeping_time() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let token = app.token_for(ALICE).await;
    mcp_call(app.addr, &token, "list_projects", json!({})).await;
    app.clock.advance(TOOL_CALLS_KEPT_FOR);
    // The first token has expired by now.
    let token = app.token_for(ALICE).await;
    mcp_call(app.addr, &token, "list_teams", json!({})).await;
    assert_eq!(ws.sweep_tool_calls(TOOL_CALLS_KEPT_FOR).await.unwrap(), 0);
    app.clock.advance(time::Duration::seconds(1));
    assert_eq!(ws.sweep_tool_calls(TOOL_CALLS_KEPT_FOR).await.unwrap(), 1);
    let kept: Vec<String> = ws
        .recent_tool_calls(&alice, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.tool)
        .collect();
    assert_eq!(kept, ["list_teams"], "the newer call stays");
    app.stop().await;
}

/// The preview reads the form as it arrives and streams the CSV back into its page piece by
/// piece (so that a 96 MiB file is held once): whatever the CSV holds, the page carries it
/// back to the import byte for byte, escaped.
#[tokio::test]
async fn the_preview_page_carries_the_csv_back_exactly() {
    let app = TestApp::spawn().await;
    let alice = app.actor(ALICE).await;
    let session = app.workspace.start_session(alice.user()).await.unwrap();
    let cookie = format!("orgn_session={}", session.id);
    let headers = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let long = "x".repeat(200_000);
    let csv = format!(
        "Title,Description\n\"A <b>&amp; \"\"quoted\"\" 'one'\",100% + café ✓ </textarea>\nLong,{long}\n"
    );
    let encoded: String = csv.bytes().map(|b| format!("%{b:02X}")).collect();
    let body = format!("team=ENG&csv={encoded}&_csrf={}", session.csrf_token);
    let page = request(app.addr, "POST", "/settings/data/import", &headers, body).await;
    assert_eq!(page.status, 200, "{}", page.head);
    let start = page
        .body
        .find("<textarea name=\"csv\" hidden aria-hidden=\"true\">")
        .unwrap();
    let inner = &page.body[start..];
    let inner = &inner[inner.find('>').unwrap() + 1..inner.find("</textarea>").unwrap()];
    assert!(!inner.contains('<'), "escaped: {}", &inner[..200]);
    let unescaped = inner
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    assert_eq!(unescaped, csv);
    assert!(
        page.body.contains("id=\"preview-rows\">2<"),
        "both rows read"
    );
    app.stop().await;
}
