//! Import tasks from CSV, with the columns of Linear's CSV export (Title, Description,
//! Status, Priority, Assignee, Labels, Due Date, Estimate, Project, Milestone, Cycle; headers
//! are matched without regard to case). Each row is checked the way a new task is; rows that
//! fail are reported with their number and reason, the rest are imported in chunks, each
//! chunk in one transaction together with the job's progress, so a restart resumes exactly
//! after the last chunk: no duplicates, nothing half-written.

use orgn_domain::model::Job;
use orgn_domain::store::ImportChunk;
use orgn_domain::{Actor, Error, TaskDraft, Workspace};
use serde::Serialize;

use crate::{ImportInput, Outcome};

const CHUNK: usize = 500;
const MAX_ROWS: usize = 200_000;

/// The columns Orgn understands, and the header names that map to each.
const COLUMNS: [(&str, &[&str]); 11] = [
    ("title", &["title", "name", "summary"]),
    ("description", &["description", "body"]),
    ("status", &["status", "state"]),
    ("priority", &["priority"]),
    (
        "assignee",
        &["assignee", "assignee email", "assignee_email"],
    ),
    ("labels", &["labels", "label"]),
    ("due_date", &["due date", "due_date", "due"]),
    ("estimate", &["estimate", "points"]),
    ("project", &["project"]),
    ("milestone", &["milestone", "project milestone"]),
    ("cycle", &["cycle", "cycle number"]),
];

/// The parsed file: which column feeds which field, and the rows.
pub(crate) struct Parsed {
    mapping: Vec<(usize, &'static str)>,
    headers: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

pub(crate) fn parse(csv_text: &str) -> Result<Parsed, Error> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::Invalid(format!("the CSV header cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut mapping = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        let h = header.to_lowercase();
        if let Some((field, _)) = COLUMNS
            .iter()
            .find(|(_, names)| names.contains(&h.as_str()))
            && !mapping.iter().any(|(_, f)| f == field)
        {
            mapping.push((i, *field));
        }
    }
    if !mapping.iter().any(|(_, f)| *f == "title") {
        return Err(Error::Invalid(format!(
            "the CSV needs a Title column; found: {}",
            headers.join(", ")
        )));
    }
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record =
            record.map_err(|e| Error::Invalid(format!("row {} cannot be read: {e}", n + 2)))?;
        rows.push(record);
        if rows.len() > MAX_ROWS {
            return Err(Error::Invalid(format!(
                "the CSV has more than {MAX_ROWS} rows; split it"
            )));
        }
    }
    Ok(Parsed {
        mapping,
        headers,
        rows,
    })
}

fn draft(parsed: &Parsed, team: &str, record: &csv::StringRecord) -> Result<TaskDraft, String> {
    let get = |field: &str| -> Option<String> {
        parsed
            .mapping
            .iter()
            .find(|(_, f)| *f == field)
            .and_then(|(i, _)| record.get(*i))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let estimate = match get("estimate") {
        Some(e) => Some(
            e.parse::<f64>()
                .map_err(|_| format!("estimate \"{e}\" is not a number"))?
                .round() as i64,
        ),
        None => None,
    };
    Ok(TaskDraft {
        team: team.to_string(),
        title: get("title").unwrap_or_default(),
        description: get("description"),
        status: get("status"),
        priority: get("priority"),
        assignee: get("assignee"),
        labels: get("labels")
            .map(|l| {
                l.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        project: get("project"),
        milestone: get("milestone"),
        cycle: get("cycle"),
        due_date: get("due_date"),
        estimate,
    })
}

/// What an import would do, before anything is written.
#[derive(Debug, Clone, Serialize)]
pub struct ImportPreview {
    /// (CSV header, Orgn field) for each column that will be read.
    pub mapping: Vec<(String, String)>,
    /// Headers that will be ignored.
    pub ignored: Vec<String>,
    pub rows: usize,
    pub valid: usize,
    /// (row number as in a spreadsheet, counting the header as row 1; message)
    pub errors: Vec<(i64, String)>,
}

pub async fn preview_import(
    ws: &Workspace,
    actor: &Actor,
    team: &str,
    csv_text: &str,
) -> Result<ImportPreview, Error> {
    ws.visible_team(actor, team)?;
    let parsed = parse(csv_text)?;
    let mut errors = Vec::new();
    for (i, record) in parsed.rows.iter().enumerate() {
        let result = match draft(&parsed, team, record) {
            Ok(d) => ws
                .prepare_task(actor, d)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(message) => Err(message),
        };
        if let Err(message) = result {
            errors.push((i as i64 + 2, message));
        }
    }
    let mapping = parsed
        .mapping
        .iter()
        .map(|(i, f)| (parsed.headers[*i].clone(), f.to_string()))
        .collect();
    let ignored = parsed
        .headers
        .iter()
        .enumerate()
        .filter(|(i, _)| !parsed.mapping.iter().any(|(m, _)| m == i))
        .map(|(_, h)| h.clone())
        .collect();
    Ok(ImportPreview {
        mapping,
        ignored,
        rows: parsed.rows.len(),
        valid: parsed.rows.len() - errors.len(),
        errors,
    })
}

pub(crate) async fn run(ws: &Workspace, actor: &Actor, job: &Job) -> Result<Outcome, Error> {
    let input: ImportInput = serde_json::from_str(&job.input)
        .map_err(|e| Error::Internal(format!("bad import input: {e}")))?;
    let parsed = parse(&input.csv)?;
    let total = parsed.rows.len() as i64;
    // Resume after the last committed chunk.
    let mut done = job.done.clamp(0, total);
    if !ws.report_job(job.id, done, total).await? {
        return Ok(Outcome::Canceled);
    }
    while done < total {
        let end = (done as usize + CHUNK).min(parsed.rows.len());
        let mut chunk = ImportChunk {
            job: job.id,
            tasks: Vec::new(),
            errors: Vec::new(),
            done: end as i64,
        };
        for (i, record) in parsed.rows.iter().enumerate().take(end).skip(done as usize) {
            let prepared = match draft(&parsed, &input.team, record) {
                Ok(d) => ws.prepare_task(actor, d).await.map_err(|e| e.to_string()),
                Err(message) => Err(message),
            };
            match prepared {
                Ok(task) => chunk.tasks.push(task),
                Err(message) => chunk.errors.push((i as i64 + 2, message)),
            }
        }
        match ws.save_import_chunk(&chunk).await {
            Ok(()) => {}
            // Canceled between two chunks: what was committed stays, nothing more is written.
            Err(Error::Conflict(_)) => return Ok(Outcome::Canceled),
            Err(e) => return Err(e),
        }
        done = end as i64;
        if !ws.report_job(job.id, done, total).await? {
            return Ok(Outcome::Canceled);
        }
    }
    let errors = ws.job_errors(actor, job.id).await?.len() as i64;
    Ok(Outcome::Done(
        serde_json::json!({ "rows": total, "imported": total - errors, "errors": errors })
            .to_string(),
    ))
}
