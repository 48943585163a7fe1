//! Export: every team the user may see, as JSON (full fidelity) and CSV (one row per task).

use orgn_domain::model::{Doc, Job, RelationKind, Task, TaskRelation, Team};
use orgn_domain::{Actor, DocFilter, Error, TaskFilter, TaskRef, Workspace};
use serde_json::{Value, json};

use crate::Outcome;

pub const EXPORT_JSON: &str = "orgn-export.json";
pub const EXPORT_CSV: &str = "orgn-export.csv";

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(e.to_string())
}

/// A cell as a spreadsheet may read it without running it: text that starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return is a formula to Excel, LibreOffice and Google Sheets
/// (`=HYPERLINK(...)` in a task title would be a live link), so it gets a leading `'`, which
/// they show as text (OWASP's rule for CSV injection).
fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Writes one row, every cell made spreadsheet-safe: the one way this file writes CSV.
fn write_row<'a>(
    csv: &mut csv::Writer<Vec<u8>>,
    cells: impl IntoIterator<Item = &'a str>,
) -> Result<(), Error> {
    csv.write_record(
        cells
            .into_iter()
            .map(spreadsheet_safe)
            .map(|c| c.into_owned()),
    )
    .map_err(internal)
}

/// The CSV's columns, one row per task; the parent and relations as Linear's CSV names
/// them (identifiers, comma-separated), which the import reads back.
const CSV_HEADER: [&str; 20] = [
    "ID",
    "Team",
    "Title",
    "Description",
    "Status",
    "Priority",
    "Assignee",
    "Labels",
    "Project",
    "Milestone",
    "Cycle",
    "Due Date",
    "Estimate",
    "Created",
    "Updated",
    "Parent issue",
    "Blocked by",
    "Blocks",
    "Related to",
    "Duplicate of",
];

/// The relation columns of the CSV, in `CSV_HEADER`'s order after "Parent issue".
pub const RELATION_COLUMNS: [(&str, RelationKind); 4] = [
    ("Blocked by", RelationKind::BlockedBy),
    ("Blocks", RelationKind::Blocks),
    ("Related to", RelationKind::RelatesTo),
    ("Duplicate of", RelationKind::DuplicateOf),
];

pub(crate) async fn run(ws: &Workspace, actor: &Actor, job: &Job) -> Result<Outcome, Error> {
    let teams: Vec<_> = actor.memberships().iter().map(|m| m.team.clone()).collect();
    let mut csv = csv::Writer::from_writer(Vec::new());
    write_row(&mut csv, CSV_HEADER)?;
    let mut done = 0i64;
    let mut team_values = Vec::new();
    for team in &teams {
        let Some(tasks) = export_tasks(ws, actor, job, team, &mut csv, &mut done).await? else {
            return Ok(Outcome::Canceled);
        };
        let statuses = ws.statuses(actor, &team.key).await?;
        let labels = ws.labels(actor, Some(&team.key)).await?;
        let cycles = ws.cycles(actor, Some(&team.key)).await?;
        team_values.push(json!({ "team": team, "statuses": statuses, "labels": labels, "cycles": cycles, "tasks": tasks }));
    }
    let mut projects = Vec::new();
    for project in ws.projects(actor).await? {
        let milestones = ws.milestones(actor, project.id).await?;
        projects.push(json!({ "project": project, "milestones": milestones }));
    }
    let docs = all_docs(ws, actor).await?;
    let export: Value = json!({
        "format": "orgn-export/1",
        "exported_at": orgn_domain::rfc3339(ws.now()),
        "exported_by": actor.user().email,
        "teams": team_values,
        "projects": projects,
        "docs": docs,
    });
    let json_bytes = serde_json::to_vec_pretty(&export).map_err(internal)?;
    let csv_bytes = csv.into_inner().map_err(internal)?;
    ws.save_job_file(job.id, EXPORT_JSON, &json_bytes).await?;
    ws.save_job_file(job.id, EXPORT_CSV, &csv_bytes).await?;
    ws.report_job(job.id, done, done).await?;
    Ok(Outcome::Done(
        json!({ "tasks": done, "teams": teams.len(), "docs": docs.len() }).to_string(),
    ))
}

/// Every task of `team`, page by page: a CSV row each, and its JSON with its comments and
/// history. `None` when the job was canceled meanwhile.
async fn export_tasks(
    ws: &Workspace,
    actor: &Actor,
    job: &Job,
    team: &Team,
    csv: &mut csv::Writer<Vec<u8>>,
    done: &mut i64,
) -> Result<Option<Vec<Value>>, Error> {
    let mut tasks = Vec::new();
    let mut cursor = None;
    loop {
        let filter = TaskFilter {
            team: Some(team.key.clone()),
            limit: Some(100),
            cursor: cursor.clone(),
            ..Default::default()
        };
        let page = ws.search_tasks(actor, filter).await?;
        for task in page.items {
            let task_ref = TaskRef::from(&task);
            let comments = ws.comments(actor, &task_ref).await?;
            let history = ws.task_history(actor, &task_ref).await?;
            let parent = match task.parent_id {
                Some(id) => ws.task_identifiers(actor, &[id]).await?.pop().map(|p| p.1),
                None => None,
            };
            let relations = ws.all_relations(actor, &task).await?;
            write_task_row(csv, &task, parent.as_deref(), &relations)?;
            let relations: Vec<Value> = relations
                .iter()
                .map(|r| json!({"type": r.kind.as_str(), "task": r.task.identifier}))
                .collect();
            tasks.push(json!({ "task": task, "parent": parent, "relations": relations, "comments": comments, "history": history }));
            *done += 1;
        }
        if !ws.report_job(job.id, *done, 0).await? {
            return Ok(None);
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(Some(tasks)),
        }
    }
}

/// A task's row, in `CSV_HEADER`'s order.
fn write_task_row(
    csv: &mut csv::Writer<Vec<u8>>,
    task: &Task,
    parent: Option<&str>,
    relations: &[TaskRelation],
) -> Result<(), Error> {
    let labels: Vec<&str> = task.labels.iter().map(|l| l.name.as_str()).collect();
    let name_of = |r: Option<&str>| r.unwrap_or("").to_string();
    let related = |kind: RelationKind| {
        let ids: Vec<&str> = relations
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.task.identifier.as_str())
            .collect();
        ids.join(", ")
    };
    let [blocked_by, blocks, related_to, duplicate_of] =
        RELATION_COLUMNS.map(|(_, kind)| related(kind));
    write_row(
        csv,
        [
            task.identifier().as_str(),
            &task.team_key,
            &task.title,
            &task.description,
            &task.status.name,
            task.priority.name(),
            &name_of(task.assignee.as_ref().map(|a| a.email.as_str())),
            &labels.join(", "),
            &name_of(task.project.as_ref().map(|p| p.name.as_str())),
            &name_of(task.milestone.as_ref().map(|m| m.name.as_str())),
            &name_of(task.cycle.as_ref().map(|c| c.name.as_str())),
            &task.due_date.map(|d| d.to_string()).unwrap_or_default(),
            &task.estimate.map(|e| e.to_string()).unwrap_or_default(),
            &orgn_domain::rfc3339(task.created_at),
            &orgn_domain::rfc3339(task.updated_at),
            &name_of(parent),
            &blocked_by,
            &blocks,
            &related_to,
            &duplicate_of,
        ],
    )
}

/// Every doc the actor may see.
async fn all_docs(ws: &Workspace, actor: &Actor) -> Result<Vec<Doc>, Error> {
    let mut docs = Vec::new();
    let mut cursor = None;
    loop {
        let filter = DocFilter {
            limit: Some(100),
            cursor: cursor.clone(),
            ..Default::default()
        };
        let page = ws.search_docs(actor, filter).await?;
        docs.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(docs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn cells_a_spreadsheet_would_run_are_quoted_as_text() {
        for formula in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(spreadsheet_safe(formula), format!("'{formula}"));
        }
        for plain in ["Fix login", "ENG-12", "2026-12-01", "", "a=b", "'quoted"] {
            assert_eq!(spreadsheet_safe(plain), plain);
        }
    }
}
