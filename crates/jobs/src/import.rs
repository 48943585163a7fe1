//! Import tasks from CSV, with the columns of Linear's CSV export (Title, Description,
//! Status, Priority, Assignee, Labels, Due Date, Estimate, Project, Milestone, Cycle, and
//! ID, Parent issue, Blocked by, Blocks, Related to, Duplicate of; headers are matched
//! without regard to case). Parents and relations are set once every row is in
//! (`import_links.rs`). Each row is checked the way a new task is; rows that
//! fail are reported with their number and reason, the rest are imported in chunks, each
//! chunk in one transaction together with the job's progress, so a restart resumes exactly
//! after the last chunk: no duplicates, nothing half-written.

use orgn_domain::model::Job;
use orgn_domain::store::{ImportChunk, NewTask};
use orgn_domain::{Actor, Error, TaskDraft, Workspace};
use serde::Serialize;

use crate::{ImportInput, Outcome, import_links};

const CHUNK: usize = 500;
const MAX_ROWS: usize = 200_000;

/// The columns Orgn understands, and the header names that map to each.
const COLUMNS: [(&str, &[&str]); 17] = [
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
    ("id", &["id", "identifier", "issue id"]),
    ("parent", &["parent issue", "parent", "parent id"]),
    ("blocked_by", &["blocked by"]),
    ("blocks", &["blocks", "blocking"]),
    (
        "related_to",
        &["related to", "related issues", "relates to"],
    ),
    ("duplicate_of", &["duplicate of"]),
];

/// The parsed file: which column feeds which field, and the rows.
pub(crate) struct Parsed {
    mapping: Vec<(usize, &'static str)>,
    headers: Vec<String>,
    pub(crate) rows: Vec<csv::StringRecord>,
}

/// The Orgn fields an import can fill, in the order the preview lists them.
pub const IMPORT_FIELDS: [&str; 17] = [
    "title",
    "description",
    "status",
    "priority",
    "assignee",
    "labels",
    "due_date",
    "estimate",
    "project",
    "milestone",
    "cycle",
    "id",
    "parent",
    "blocked_by",
    "blocks",
    "related_to",
    "duplicate_of",
];

/// A column mapping chosen by the person: (Orgn field, index of the CSV column feeding it).
pub type ColumnMapping = Vec<(String, usize)>;

/// Reads the file; `chosen` replaces the mapping guessed from the headers.
pub(crate) fn parse(csv_text: &str, chosen: Option<&ColumnMapping>) -> Result<Parsed, Error> {
    let (reader, mut parsed) = open(csv_text, chosen)?;
    for record in records(reader) {
        parsed.rows.push(record?);
    }
    Ok(parsed)
}

/// Reads the header and the mapping; the rows are left in the reader ([`records`]), so that
/// the preview goes through a large file without holding a copy of it.
fn open<'a>(
    csv_text: &'a str,
    chosen: Option<&ColumnMapping>,
) -> Result<(csv::Reader<&'a [u8]>, Parsed), Error> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::Invalid(format!("the CSV header cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mapping = match chosen {
        Some(chosen) => checked_mapping(chosen, &headers)?,
        None => guessed_mapping(&headers),
    };
    if !mapping.iter().any(|(_, f)| *f == "title") {
        return Err(Error::Invalid(format!(
            "the CSV needs a Title column; found: {}",
            headers.join(", ")
        )));
    }
    let parsed = Parsed {
        mapping,
        headers,
        rows: Vec::new(),
    };
    Ok((reader, parsed))
}

/// The rows of an opened file, one at a time, up to [`MAX_ROWS`].
fn records(reader: csv::Reader<&[u8]>) -> impl Iterator<Item = Result<csv::StringRecord, Error>> {
    reader.into_records().enumerate().map(|(n, record)| {
        if n >= MAX_ROWS {
            return Err(Error::Invalid(format!(
                "the CSV has more than {MAX_ROWS} rows; split it"
            )));
        }
        record.map_err(|e| Error::Invalid(format!("row {} cannot be read: {e}", n + 2)))
    })
}

/// Which column feeds which field, from the header names (Linear's among them).
fn guessed_mapping(headers: &[String]) -> Vec<(usize, &'static str)> {
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
    mapping
}

/// A mapping the person chose: known fields, each once, from columns the file has.
fn checked_mapping(
    chosen: &ColumnMapping,
    headers: &[String],
) -> Result<Vec<(usize, &'static str)>, Error> {
    let mut mapping: Vec<(usize, &'static str)> = Vec::new();
    for (field, column) in chosen {
        let known = IMPORT_FIELDS.iter().find(|f| **f == field.as_str());
        let Some(known) = known else {
            return Err(Error::Invalid(format!(
                "unknown field \"{field}\"; fields: {}",
                IMPORT_FIELDS.join(", ")
            )));
        };
        if *column >= headers.len() {
            return Err(Error::Invalid(format!(
                "the CSV has {} columns; there is no column {} for {field}",
                headers.len(),
                column + 1
            )));
        }
        if mapping.iter().any(|(_, f)| f == known) {
            return Err(Error::Invalid(format!("{field} is fed by two columns")));
        }
        mapping.push((*column, known));
    }
    mapping.sort();
    Ok(mapping)
}

impl Parsed {
    /// The row's value for an Orgn field, if a column feeds it and the cell is not blank.
    pub(crate) fn get(&self, record: &csv::StringRecord, field: &str) -> Option<String> {
        self.mapping
            .iter()
            .find(|(_, f)| *f == field)
            .and_then(|(i, _)| record.get(*i))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}

fn draft(parsed: &Parsed, team: &str, record: &csv::StringRecord) -> Result<TaskDraft, String> {
    let get = |field: &str| parsed.get(record, field);
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
        ..Default::default()
    })
}

/// A row made ready to insert. An assignee who is not a member here (Linear's exports name
/// people who may not exist in this workspace) is dropped with a warning, and the task
/// imports unassigned, rather than failing the row.
struct PreparedRow {
    task: NewTask,
    draft: TaskDraft,
    warning: Option<String>,
}

async fn prepare_row(
    ws: &Workspace,
    actor: &Actor,
    parsed: &Parsed,
    team: &str,
    record: &csv::StringRecord,
) -> Result<PreparedRow, String> {
    let draft = draft(parsed, team, record)?;
    let first = match ws.prepare_task(actor, draft.clone()).await {
        Ok(task) => {
            return Ok(PreparedRow {
                task,
                draft,
                warning: None,
            });
        }
        Err(e) => e.to_string(),
    };
    let Some(assignee) = draft.assignee.clone() else {
        return Err(first);
    };
    let draft = TaskDraft {
        assignee: None,
        ..draft
    };
    match ws.prepare_task(actor, draft.clone()).await {
        Ok(task) => Ok(PreparedRow {
            task,
            draft,
            warning: Some(format!(
                "assignee \"{assignee}\" is not a member of {team}: imported unassigned"
            )),
        }),
        Err(_) => Err(first),
    }
}

/// Rows of the file shown in the preview as they will be imported.
const SAMPLE_ROWS: usize = 5;

/// One good row as the preview shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSample {
    pub row: i64,
    pub title: String,
    pub status: String,
    pub assignee: String,
    pub project: String,
}

/// What an import would do, before anything is written.
#[derive(Debug, Clone, Serialize)]
pub struct ImportPreview {
    /// (CSV header, Orgn field) for each column that will be read.
    pub mapping: Vec<(String, String)>,
    /// Headers that will be ignored.
    pub ignored: Vec<String>,
    /// The file's headers, in order: what a field can be mapped from.
    pub headers: Vec<String>,
    /// Each Orgn field with the index of the column feeding it, if any.
    pub fields: Vec<(String, Option<usize>)>,
    pub rows: usize,
    pub valid: usize,
    /// (row number as in a spreadsheet, counting the header as row 1; message)
    pub errors: Vec<(i64, String)>,
    /// Rows that import with a change (an unknown assignee dropped), and why.
    pub warnings: Vec<(i64, String)>,
    /// The first few good rows.
    pub sample: Vec<ImportSample>,
}

pub async fn preview_import(
    ws: &Workspace,
    actor: &Actor,
    team: &str,
    csv_text: &str,
) -> Result<ImportPreview, Error> {
    preview_import_mapped(ws, actor, team, csv_text, None).await
}

/// The preview with the columns mapped as the person chose (`None`: guessed from headers).
pub async fn preview_import_mapped(
    ws: &Workspace,
    actor: &Actor,
    team: &str,
    csv_text: &str,
    chosen: Option<&ColumnMapping>,
) -> Result<ImportPreview, Error> {
    ws.visible_team(actor, team)?;
    // Row by row: the file is not held a second time as records.
    let (reader, parsed) = open(csv_text, chosen)?;
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut sample = Vec::new();
    let mut rows = 0;
    for (i, record) in records(reader).enumerate() {
        let record = record?;
        rows += 1;
        let row = i as i64 + 2;
        match prepare_row(ws, actor, &parsed, team, &record).await {
            Ok(prepared) => {
                if let Some(warning) = prepared.warning {
                    warnings.push((row, warning));
                }
                if sample.len() < SAMPLE_ROWS {
                    let d = prepared.draft;
                    sample.push(ImportSample {
                        row,
                        title: d.title,
                        status: d.status.unwrap_or_default(),
                        assignee: d.assignee.unwrap_or_default(),
                        project: d.project.unwrap_or_default(),
                    });
                }
            }
            Err(message) => errors.push((row, message)),
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
    let fields = IMPORT_FIELDS
        .iter()
        .map(|field| {
            let column = parsed.mapping.iter().find(|(_, f)| f == field);
            (field.to_string(), column.map(|(i, _)| *i))
        })
        .collect();
    Ok(ImportPreview {
        mapping,
        ignored,
        headers: parsed.headers.clone(),
        fields,
        rows,
        valid: rows - errors.len(),
        errors,
        warnings,
        sample,
    })
}

pub(crate) async fn run(ws: &Workspace, actor: &Actor, job: &Job) -> Result<Outcome, Error> {
    let input: ImportInput = serde_json::from_str(&job.input)
        .map_err(|e| Error::Internal(format!("bad import input: {e}")))?;
    let parsed = parse(&input.csv, input.mapping.as_ref())?;
    let total = parsed.rows.len() as i64;
    // Resume after the last committed chunk.
    let mut done = job.done.clamp(0, total);
    let mut links = import_links::Links::new(done > 0);
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
        let mut rows = Vec::new();
        for (i, record) in parsed.rows.iter().enumerate().take(end).skip(done as usize) {
            match prepare_row(ws, actor, &parsed, &input.team, record).await {
                Ok(prepared) => {
                    chunk.tasks.push(prepared.task);
                    rows.push(import_links::RowLinks::read(&parsed, record, i as i64 + 2));
                }
                Err(message) => chunk.errors.push((i as i64 + 2, message)),
            }
        }
        match ws.save_import_chunk(&chunk).await {
            Ok(ids) => links.inserted(ws, actor, rows, &ids).await?,
            // Canceled between two chunks: what was committed stays, nothing more is written.
            Err(Error::Conflict(_)) => return Ok(Outcome::Canceled),
            Err(e) => return Err(e),
        }
        done = end as i64;
        if !ws.report_job(job.id, done, total).await? {
            return Ok(Outcome::Canceled);
        }
    }
    let link_errors = links.apply(ws, actor).await;
    if !link_errors.is_empty() {
        let chunk = ImportChunk {
            job: job.id,
            tasks: Vec::new(),
            errors: link_errors,
            done: total,
        };
        ws.save_import_chunk(&chunk).await?;
    }
    let errors = ws.job_errors(actor, job.id).await?.len() as i64;
    Ok(Outcome::Done(
        serde_json::json!({ "rows": total, "imported": total - errors, "errors": errors })
            .to_string(),
    ))
}
