//! Settings → Export & import: long-running jobs (workspace export, CSV import with a
//! preview, search re-index) run by the server's job runner in the background. The page
//! lists the user's jobs; `app.js` polls `/jobs/{id}.json` to move their progress bars while
//! the user keeps working.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use orgn_domain::model::{Job, JobId, JobKind, JobState};
use orgn_domain::{Actor, Workspace};
use orgn_jobs::{ColumnMapping, EXPORT_CSV, EXPORT_JSON, ImportPreview};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{Empty, bad_request, client_message, missing, render, see};
use crate::AppState;
use crate::error::{WebError, WebResult};
use crate::form_stream::{FormError, read_form};
use crate::session::{CSRF_FIELD, Me, Posted, same_secret};
use crate::view::Opt;
use crate::view::{self, Chrome};

/// The largest import form accepted (the CSV travels URL-encoded in a form field).
pub const MAX_IMPORT_BYTES: usize = 96 * 1024 * 1024;
/// Per-row errors shown on a page at most.
const ERRORS_SHOWN: usize = 500;

/// One job as the page and its JSON show it.
pub struct JobView {
    pub id: JobId,
    pub kind: &'static str,
    pub title: &'static str,
    pub state: &'static str,
    pub finished: bool,
    pub done: i64,
    pub total: i64,
    /// None while the total is unknown (an export counts as it goes).
    pub percent: Option<i64>,
    pub count: String,
    pub elapsed: String,
    pub started: String,
    pub summary: String,
    pub error: String,
    pub files: Vec<(String, String)>,
}

fn thousands(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    if secs < 60 {
        format!("{secs}s")
    } else if secs < 3600 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60)
    }
}

fn unit(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Import => "rows",
        JobKind::Export | JobKind::Reindex => "tasks",
    }
}

fn summary(job: &Job) -> String {
    let r: Value = job
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or(Value::Null);
    let n = |k: &str| thousands(r[k].as_i64().unwrap_or(0));
    match (job.state, job.kind) {
        (JobState::Done, JobKind::Export) => {
            let teams = r["teams"].as_i64().unwrap_or(0);
            format!(
                "Exported {} tasks from {} {}, and {} docs.",
                n("tasks"),
                n("teams"),
                if teams == 1 { "team" } else { "teams" },
                n("docs")
            )
        }
        (JobState::Done, JobKind::Import) => format!(
            "Imported {} of {} rows; {} rows had errors and were skipped.",
            n("imported"),
            n("rows"),
            n("errors")
        ),
        (JobState::Done, JobKind::Reindex) => format!("Re-indexed {} tasks.", n("tasks")),
        (JobState::Canceled, JobKind::Import) => format!(
            "Canceled after {} rows; the rows imported before stay.",
            thousands(job.done)
        ),
        (JobState::Canceled, _) => "Canceled.".into(),
        (JobState::Failed, _) => "Failed.".into(),
        (JobState::Queued, _) => "Waiting to start…".into(),
        (JobState::Running, _) => String::new(),
    }
}

pub fn job_view(job: &Job, now: OffsetDateTime) -> JobView {
    let finished = job.state.is_finished();
    let percent = match job.state {
        JobState::Done => Some(100),
        _ if job.total > 0 => Some((job.done.clamp(0, job.total) * 100 / job.total).clamp(0, 100)),
        _ => None,
    };
    let count = if job.total > 0 {
        format!(
            "{} of {} {}",
            thousands(job.done),
            thousands(job.total),
            unit(job.kind)
        )
    } else {
        format!("{} {}", thousands(job.done), unit(job.kind))
    };
    let elapsed = match job.started_at {
        Some(s) => duration((job.finished_at.unwrap_or(now) - s).whole_seconds()),
        None => "not started".into(),
    };
    let files = if job.kind == JobKind::Export && job.state == JobState::Done {
        [(EXPORT_JSON, "JSON"), (EXPORT_CSV, "CSV")]
            .iter()
            .map(|(name, label)| {
                (
                    format!("/jobs/{}/files/{name}", job.id),
                    format!("Download {label}"),
                )
            })
            .collect()
    } else {
        vec![]
    };
    JobView {
        id: job.id,
        kind: job.kind.as_str(),
        title: match job.kind {
            JobKind::Export => "Workspace export",
            JobKind::Import => "CSV import",
            JobKind::Reindex => "Search re-index",
        },
        state: job.state.as_str(),
        finished,
        done: job.done,
        total: job.total,
        percent,
        count,
        elapsed,
        started: view::when(job.created_at),
        summary: summary(job),
        error: job.error.clone().unwrap_or_default(),
        files,
    }
}

impl JobView {
    pub fn pct(&self) -> i64 {
        self.percent.unwrap_or(0)
    }
    pub fn pct_text(&self) -> String {
        self.percent
            .map(|p| format!("{p}%"))
            .unwrap_or_else(|| "…".into())
    }
    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "finished": self.finished,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "count": self.count,
            "elapsed": self.elapsed,
            "summary": self.summary,
            "error": self.error,
            "files": self.files.iter().map(|(href, label)| json!({"href": href, "label": label})).collect::<Vec<_>>(),
        })
    }
}

// --- The page -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "data.html")]
struct DataPage {
    chrome: Chrome,
    jobs: Vec<JobView>,
    teams: Vec<Opt>,
    csv: String,
    is_admin: bool,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DataQuery {
    started: Option<i64>,
    canceled: Option<i64>,
}

fn team_opts(actor: &Actor, current: &str) -> Vec<Opt> {
    actor
        .memberships()
        .iter()
        .map(|m| Opt {
            selected: m.team.key.eq_ignore_ascii_case(current),
            value: m.team.key.clone(),
            label: format!("{} {}", m.team.key, m.team.name),
        })
        .collect()
}

async fn data_page(
    ws: &Workspace,
    me: &Me,
    team: &str,
    csv: String,
    notice: Option<String>,
    error: Option<String>,
) -> WebResult {
    let now = ws.now();
    let jobs = ws.jobs(&me.actor).await?;
    render(DataPage {
        chrome: Chrome::new(me, "Export & import", "settings:data").with_error(error),
        jobs: jobs.iter().map(|j| job_view(j, now)).collect(),
        teams: team_opts(&me.actor, team),
        csv,
        is_admin: me.actor.is_admin(),
        notice,
    })
}

pub async fn page(State(state): State<AppState>, me: Me, Query(q): Query<DataQuery>) -> WebResult {
    let notice = match (q.started, q.canceled) {
        (Some(id), _) => Some(format!(
            "Job #{id} started. It runs in the background: keep working, and come back here for the result."
        )),
        (None, Some(id)) => Some(format!("Job #{id} canceled.")),
        _ => None,
    };
    data_page(&state.workspace, &me, "", String::new(), notice, None).await
}

pub async fn export(State(state): State<AppState>, posted: Posted<Empty>) -> WebResult {
    let job = orgn_jobs::start_export(&state.workspace, &posted.me.actor).await?;
    see(&format!("/settings/data?started={}#job-{}", job.id, job.id))
}

pub async fn reindex(State(state): State<AppState>, posted: Posted<Empty>) -> WebResult {
    if !posted.me.actor.is_admin() {
        return Err(WebError::Forbidden(
            "Only workspace admins rebuild the search index.".into(),
        ));
    }
    let job = orgn_jobs::start_reindex(&state.workspace, &posted.me.actor).await?;
    see(&format!("/settings/data?started={}#job-{}", job.id, job.id))
}

// --- Import ---------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    team: String,
    #[serde(default)]
    csv: String,
    /// Set by the preview's form: the `map_*` fields below are the person's mapping (an
    /// empty one: that field is not read). Absent: the mapping is guessed from the headers.
    #[serde(default)]
    mapped: Option<String>,
    #[serde(default)]
    map_title: String,
    #[serde(default)]
    map_description: String,
    #[serde(default)]
    map_status: String,
    #[serde(default)]
    map_priority: String,
    #[serde(default)]
    map_assignee: String,
    #[serde(default)]
    map_labels: String,
    #[serde(default)]
    map_due_date: String,
    #[serde(default)]
    map_estimate: String,
    #[serde(default)]
    map_project: String,
    #[serde(default)]
    map_milestone: String,
    #[serde(default)]
    map_cycle: String,
}

impl ImportForm {
    /// The person's column mapping, as (field, column index); a column that is not a
    /// number is a clear error.
    fn mapping(&self) -> Result<Option<ColumnMapping>, String> {
        if self.mapped.is_none() {
            return Ok(None);
        }
        let chosen = [
            ("title", &self.map_title),
            ("description", &self.map_description),
            ("status", &self.map_status),
            ("priority", &self.map_priority),
            ("assignee", &self.map_assignee),
            ("labels", &self.map_labels),
            ("due_date", &self.map_due_date),
            ("estimate", &self.map_estimate),
            ("project", &self.map_project),
            ("milestone", &self.map_milestone),
            ("cycle", &self.map_cycle),
        ];
        let mut mapping = Vec::new();
        for (field, column) in chosen {
            let column = column.trim();
            if column.is_empty() {
                continue;
            }
            let index = column
                .parse::<usize>()
                .map_err(|_| format!("the column for {field} is not one of the file's"))?;
            mapping.push((field.to_string(), index));
        }
        Ok(Some(mapping))
    }
}

#[derive(Template)]
#[template(path = "import_preview.html")]
struct PreviewPage {
    chrome: Chrome,
    team_key: String,
    team_name: String,
    preview: ImportPreview,
    errors_shown: usize,
}

/// Where the preview page carries the CSV to the import: the page is rendered without it,
/// and the CSV is escaped into the answer piece by piece as it is sent (`csv_page`), so that
/// neither a rendered copy nor an escaped copy of the file is ever held whole.
const CSV_SLOT: &str = "<!--orgn:csv-->";

/// How much of the CSV is escaped at a time.
const CSV_PIECE: usize = 64 * 1024;

/// `text` escaped for HTML as askama escapes it. Only ASCII bytes change, so a piece may
/// end inside a multi-byte character: the pieces join into the same bytes.
fn escape_html(text: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(text.len() + text.len() / 8);
    for &b in text {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'"' => out.extend_from_slice(b"&#34;"),
            b'\'' => out.extend_from_slice(b"&#39;"),
            _ => out.push(b),
        }
    }
    Bytes::from(out)
}

/// The preview page with `csv` in its slot, streamed.
fn csv_page(page: PreviewPage, csv: String) -> WebResult {
    let html = page.render()?;
    let (head, tail) = html.split_once(CSV_SLOT).unwrap_or((html.as_str(), ""));
    let (head, tail) = (Bytes::from(head.to_string()), Bytes::from(tail.to_string()));
    drop(html);
    let pieces = (0..csv.len().div_ceil(CSV_PIECE)).map(move |i| {
        escape_html(&csv.as_bytes()[i * CSV_PIECE..((i + 1) * CSV_PIECE).min(csv.len())])
    });
    let body = std::iter::once(head)
        .chain(pieces)
        .chain(std::iter::once(tail))
        .map(Ok::<_, std::convert::Infallible>);
    let body = axum::body::Body::from_stream(futures_util::stream::iter(body));
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response())
}

/// The import form, read as `Posted` reads a form (signed in, CSRF checked) but without its
/// copies: `Posted` holds the body, every field as a pair and the form at once, four copies
/// of a CSV of up to 96 MiB. Here the body is decoded as it arrives (`form_stream.rs`) and
/// the CSV moves into the form: one copy.
pub struct ImportPosted {
    me: Me,
    form: ImportForm,
}

impl FromRequest<AppState> for ImportPosted {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let me = Me::from_request_parts(&mut parts, state).await?;
        let length = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap_or(0);
        let mut pairs = read_form(body, MAX_IMPORT_BYTES, ("csv", length))
            .await
            .map_err(|e| match e {
                FormError::TooLarge => WebError::Invalid(format!(
                    "the file is too large: at most {} MiB",
                    MAX_IMPORT_BYTES / 1024 / 1024
                )),
                FormError::Unreadable => WebError::Invalid("the form could not be read".into()),
            })?;
        let sent = pairs.iter().find(|(k, _)| k == CSRF_FIELD);
        if !same_secret(sent.map_or("", |(_, v)| v.as_str()), &me.csrf) {
            return Err(WebError::Forbidden(
                "This form has expired or did not come from Orgn. Go back, reload the page and try again."
                    .into(),
            ));
        }
        let csv = pairs
            .iter()
            .position(|(k, _)| k == "csv")
            .map(|i| pairs.swap_remove(i).1)
            .unwrap_or_default();
        // The small fields go through the same deserializer as every other form.
        let rest = serde_urlencoded::to_string(&pairs)
            .map_err(|_| WebError::Invalid("the form could not be read".into()))?;
        let form: ImportForm = serde_urlencoded::from_str(&rest)
            .map_err(|e| WebError::Invalid(format!("the form is incomplete: {e}")))?;
        Ok(ImportPosted {
            me,
            form: ImportForm { csv, ..form },
        })
    }
}

/// Checks the file and shows what would happen; nothing is written. The CSV goes through
/// once, row by row, and moves into the page (which carries it to the import).
pub async fn preview(State(state): State<AppState>, posted: ImportPosted) -> WebResult {
    let ws = &state.workspace;
    let me = &posted.me;
    let f = posted.form;
    if f.csv.trim().is_empty() {
        return bad_request(
            data_page(
                ws,
                me,
                &f.team,
                String::new(),
                None,
                Some("Choose a CSV file, or paste its content.".into()),
            )
            .await,
        );
    }
    let team = match client_message(ws.visible_team(&me.actor, &f.team))? {
        Ok(t) => t,
        Err(msg) => {
            return bad_request(data_page(ws, me, &f.team, f.csv, None, Some(msg)).await);
        }
    };
    let mapping = match f.mapping() {
        Ok(m) => m,
        Err(msg) => {
            return bad_request(data_page(ws, me, &team.key, f.csv, None, Some(msg)).await);
        }
    };
    let previewed =
        orgn_jobs::preview_import_mapped(ws, &me.actor, &team.key, &f.csv, mapping.as_ref()).await;
    match client_message(previewed)? {
        Ok(preview) => {
            let page = PreviewPage {
                chrome: Chrome::new(me, "Import preview", "settings:data"),
                errors_shown: preview.errors.len().min(ERRORS_SHOWN),
                team_key: team.key,
                team_name: team.name,
                preview,
            };
            csv_page(page, f.csv)
        }
        Err(msg) => bad_request(data_page(ws, me, &team.key, f.csv, None, Some(msg)).await),
    }
}

pub async fn start_import(State(state): State<AppState>, posted: ImportPosted) -> WebResult {
    let ws = &state.workspace;
    let me = &posted.me;
    let f = &posted.form;
    let mapping = match f.mapping() {
        Ok(m) => m,
        Err(msg) => {
            return bad_request(data_page(ws, me, &f.team, f.csv.clone(), None, Some(msg)).await);
        }
    };
    let started = orgn_jobs::start_import_mapped(ws, &me.actor, &f.team, &f.csv, mapping).await;
    match client_message(started)? {
        Ok(job) => see(&format!("/settings/data?started={}#job-{}", job.id, job.id)),
        Err(msg) => bad_request(data_page(ws, me, &f.team, f.csv.clone(), None, Some(msg)).await),
    }
}

// --- One job ----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage {
    chrome: Chrome,
    job: JobView,
    errors: Vec<(i64, String)>,
    error_count: usize,
}

/// `/jobs/7`: the job's page (result, per-row errors); `/jobs/7.json`: its progress.
pub async fn job(State(state): State<AppState>, me: Me, Path(id): Path<String>) -> WebResult {
    let ws = &state.workspace;
    let (number, as_json) = match id.strip_suffix(".json") {
        Some(n) => (n, true),
        None => (id.as_str(), false),
    };
    let number: JobId = number.parse().map_err(|_| WebError::NotFound)?;
    let job = ws.job(&me.actor, number).await.map_err(missing)?;
    let view = job_view(&job, ws.now());
    if as_json {
        return Ok(axum::Json(view.json()).into_response());
    }
    let mut errors = if job.kind == JobKind::Import {
        ws.job_errors(&me.actor, job.id).await?
    } else {
        vec![]
    };
    errors.sort_by_key(|(row, _)| *row);
    let error_count = errors.len();
    errors.truncate(ERRORS_SHOWN);
    render(JobPage {
        chrome: Chrome::new(&me, format!("{} #{}", view.title, view.id), "settings:data"),
        job: view,
        errors,
        error_count,
    })
}

pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<JobId>,
    posted: Posted<Empty>,
) -> WebResult {
    let ws = &state.workspace;
    ws.job(&posted.me.actor, id).await.map_err(missing)?;
    match client_message(ws.cancel_job(&posted.me.actor, id).await)? {
        Ok(_) => see(&format!("/settings/data?canceled={id}#job-{id}")),
        Err(msg) => {
            bad_request(data_page(ws, &posted.me, "", String::new(), None, Some(msg)).await)
        }
    }
}

/// A file a job produced (the export's JSON and CSV), as a download.
pub async fn file(
    State(state): State<AppState>,
    me: Me,
    Path((id, name)): Path<(JobId, String)>,
) -> WebResult {
    let content_type = match name.as_str() {
        n if n == EXPORT_JSON => "application/json",
        n if n == EXPORT_CSV => "text/csv; charset=utf-8",
        _ => return Err(WebError::NotFound),
    };
    let bytes = state
        .workspace
        .job_file(&me.actor, id, &name)
        .await
        .map_err(missing)?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
