//! Converting between rows and domain values, written once for every driver: sqlx's
//! PostgreSQL and SQLite rows, and rusqlite's (SQLite's hot point reads, `sqlite/sync_reads`).
//! The columns the queries select are named and typed alike on both backends (integers are
//! 64-bit, times unix millis, dates ISO text); only flags differ (`BOOLEAN` in PostgreSQL,
//! `INTEGER` 0/1 in SQLite), which every driver decodes as a `bool`.

use orgn_domain::changes::{Channel, Via};
use orgn_domain::model::*;
use orgn_domain::{Error, Result};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use time::{Date, OffsetDateTime};

pub fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub fn opt_from_millis(ms: Option<i64>) -> Option<OffsetDateTime> {
    ms.map(from_millis)
}

pub fn date_text(d: Date) -> String {
    d.to_string()
}

pub fn parse_date(s: &str) -> Result<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &format).map_err(|e| Error::Internal(format!("bad date {s:?} in database: {e}")))
}

pub fn opt_date(s: Option<String>) -> Result<Option<Date>> {
    s.as_deref().map(parse_date).transpose()
}

/// Typed access to a row's columns by name, with a column's name in every error.
pub trait RowExt {
    fn int(&self, col: &str) -> Result<i64>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    /// An id column, as the id type the caller expects.
    fn id<I: RawId>(&self, col: &str) -> Result<I>
    where
        Self: Sized,
    {
        self.int(col).map(I::from_raw)
    }
    fn opt_id<I: RawId>(&self, col: &str) -> Result<Option<I>>
    where
        Self: Sized,
    {
        Ok(self.opt_int(col)?.map(I::from_raw))
    }
    fn text(&self, col: &str) -> Result<String>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn flag(&self, col: &str) -> Result<bool>;
    fn bytes(&self, col: &str) -> Result<Vec<u8>>;
}

fn column_error(col: &str, e: sqlx::Error) -> Error {
    Error::Internal(format!("column {col}: {e}"))
}

/// `RowExt` for sqlx's row types: both backends' rows decode every column type alike.
macro_rules! sqlx_row_ext {
    ($row:ty) => {
        impl RowExt for $row {
            fn int(&self, col: &str) -> Result<i64> {
                self.try_get(col).map_err(|e| column_error(col, e))
            }
            fn opt_int(&self, col: &str) -> Result<Option<i64>> {
                self.try_get(col).map_err(|e| column_error(col, e))
            }
            fn text(&self, col: &str) -> Result<String> {
                self.try_get(col).map_err(|e| column_error(col, e))
            }
            fn opt_text(&self, col: &str) -> Result<Option<String>> {
                self.try_get(col).map_err(|e| column_error(col, e))
            }
            fn flag(&self, col: &str) -> Result<bool> {
                self.try_get(col).map_err(|e| column_error(col, e))
            }
            fn bytes(&self, col: &str) -> Result<Vec<u8>> {
                self.try_get(col).map_err(|e| column_error(col, e))
            }
        }
    };
}

sqlx_row_ext!(PgRow);
sqlx_row_ext!(SqliteRow);

/// A rusqlite row, read by column name through the statement's column names, listed once
/// per query: rusqlite's own lookup by name asks SQLite for each column's name again at
/// every lookup (5–8 % of get_task's samples).
pub struct NamedRow<'r> {
    pub row: &'r rusqlite::Row<'r>,
    pub names: &'r [String],
}

impl NamedRow<'_> {
    fn get<T: rusqlite::types::FromSql>(&self, col: &str) -> Result<T> {
        let index = self
            .names
            .iter()
            .position(|name| name == col)
            .ok_or_else(|| Error::Internal(format!("no column {col}")))?;
        self.row
            .get(index)
            .map_err(|e| Error::Internal(format!("column {col}: {e}")))
    }
}

impl RowExt for NamedRow<'_> {
    fn int(&self, col: &str) -> Result<i64> {
        self.get(col)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        self.get(col)
    }
    fn text(&self, col: &str) -> Result<String> {
        self.get(col)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        self.get(col)
    }
    fn flag(&self, col: &str) -> Result<bool> {
        self.get(col)
    }
    fn bytes(&self, col: &str) -> Result<Vec<u8>> {
        self.get(col)
    }
}

pub fn user(row: &impl RowExt) -> Result<User> {
    user_created_in(row, "created_at")
}

/// A user whose creation time is in column `created_at`, for rows where another table's
/// `created_at` has the plain name.
pub fn user_created_in(row: &impl RowExt, created_at: &str) -> Result<User> {
    Ok(User {
        id: row.id("id")?,
        email: row.text("email")?,
        name: row.text("name")?,
        handle: row.text("handle")?,
        is_admin: row.flag("is_admin")?,
        created_at: from_millis(row.int(created_at)?),
        single_key_shortcuts: row.flag("single_key_shortcuts")?,
    })
}

pub fn team(row: &impl RowExt) -> Result<Team> {
    Ok(Team {
        id: row.id("id")?,
        key: row.text("key")?,
        name: row.text("name")?,
    })
}

pub fn role(row: &impl RowExt) -> Result<Role> {
    Ok(Role::parse(&row.text("role")?).unwrap_or(Role::Member))
}

pub fn status_kind(s: &str) -> Result<StatusKind> {
    StatusKind::parse(s).ok_or_else(|| Error::Internal(format!("unknown status kind {s:?}")))
}

pub fn status(row: &impl RowExt) -> Result<Status> {
    Ok(Status {
        id: row.id("id")?,
        team_id: row.id("team_id")?,
        name: row.text("name")?,
        kind: status_kind(&row.text("kind")?)?,
        position: row.int("position")?,
        color: row.text("color")?,
    })
}

pub fn label(row: &impl RowExt) -> Result<Label> {
    Ok(Label {
        id: row.id("id")?,
        team_id: row.opt_id("team_id")?,
        name: row.text("name")?,
        color: row.text("color")?,
    })
}

pub fn progress(row: &impl RowExt) -> Result<Progress> {
    Ok(Progress {
        total: row.opt_int("p_total")?.unwrap_or(0),
        completed: row.opt_int("p_completed")?.unwrap_or(0),
        canceled: row.opt_int("p_canceled")?.unwrap_or(0),
    })
}

pub fn milestone(row: &impl RowExt) -> Result<Milestone> {
    Ok(Milestone {
        id: row.id("id")?,
        project_id: row.id("project_id")?,
        name: row.text("name")?,
        target_date: opt_date(row.opt_text("target_date")?)?,
        position: row.int("position")?,
        progress: progress(row)?,
    })
}

pub fn cycle(row: &impl RowExt) -> Result<Cycle> {
    Ok(Cycle {
        id: row.id("id")?,
        team_id: row.id("team_id")?,
        number: row.int("number")?,
        name: row.opt_text("name")?,
        starts_on: parse_date(&row.text("starts_on")?)?,
        ends_on: parse_date(&row.text("ends_on")?)?,
        progress: progress(row)?,
    })
}

/// A project without its teams (loaded separately).
pub fn project(row: &impl RowExt) -> Result<Project> {
    let lead = match row.opt_id("lead_id")? {
        Some(id) => Some(UserRef {
            id,
            name: row.text("lead_name")?,
            email: row.text("lead_email")?,
        }),
        None => None,
    };
    Ok(Project {
        id: row.id("id")?,
        name: row.text("name")?,
        description: row.text("description")?,
        status: ProjectStatus::parse(&row.text("status")?).unwrap_or(ProjectStatus::Planned),
        lead,
        start_date: opt_date(row.opt_text("start_date")?)?,
        target_date: opt_date(row.opt_text("target_date")?)?,
        teams: Vec::new(),
        progress: progress(row)?,
        version: row.int("version")?,
    })
}

pub fn comment(row: &impl RowExt) -> Result<Comment> {
    Ok(Comment {
        id: row.id("id")?,
        task_id: row.id("task_id")?,
        author: UserRef {
            id: row.id("author_id")?,
            name: row.text("author_name")?,
            email: row.text("author_email")?,
        },
        body: row.text("body")?,
        created_at: from_millis(row.int("created_at")?),
        edited_at: opt_from_millis(row.opt_int("edited_at")?),
        version: row.int("version")?,
    })
}

pub fn doc(row: &impl RowExt) -> Result<Doc> {
    Ok(Doc {
        id: row.id("id")?,
        team_id: row.opt_id("team_id")?,
        project_id: row.opt_id("project_id")?,
        title: row.text("title")?,
        content: row.text("content")?,
        creator: UserRef {
            id: row.id("creator_id")?,
            name: row.text("creator_name")?,
            email: row.text("creator_email")?,
        },
        created_at: from_millis(row.int("created_at")?),
        updated_at: from_millis(row.int("updated_at")?),
        version: row.int("version")?,
    })
}

pub fn token_info(row: &impl RowExt) -> Result<TokenInfo> {
    Ok(TokenInfo {
        hint: row.text("hint")?,
        created_at: from_millis(row.int("created_at")?),
        expires_at: from_millis(row.int("expires_at")?),
        last_used_at: opt_from_millis(row.opt_int("last_used_at")?),
        client_name: row.opt_text("client_name")?,
    })
}

pub fn task_event(row: &impl RowExt) -> Result<TaskEvent> {
    Ok(TaskEvent {
        actor: UserRef {
            id: row.id("actor_id")?,
            name: row.text("actor_name")?,
            email: row.text("actor_email")?,
        },
        at: from_millis(row.int("at")?),
        field: row.text("field")?,
        old: row.opt_text("old")?,
        new: row.opt_text("new")?,
        via: via(row)?,
    })
}

/// A user named by the columns `<prefix>_id`, `<prefix>_name`, `<prefix>_email`.
pub fn user_ref(row: &impl RowExt, prefix: &str) -> Result<UserRef> {
    Ok(UserRef {
        id: row.id(&format!("{prefix}_id"))?,
        name: row.text(&format!("{prefix}_name"))?,
        email: row.text(&format!("{prefix}_email"))?,
    })
}

/// The columns `channel` (NULL: the web app, for rows written before channels were kept)
/// and `client`.
pub fn via(row: &impl RowExt) -> Result<Via> {
    Ok(Via {
        channel: Channel::parse(row.opt_text("channel")?.as_deref().unwrap_or("web")),
        client: row.opt_text("client")?,
    })
}

pub fn tool_call(row: &impl RowExt) -> Result<ToolCallRecord> {
    Ok(ToolCallRecord {
        tool: row.text("tool")?,
        target: row.opt_text("target")?,
        ok: row.flag("ok")?,
        at: from_millis(row.int("at")?),
        client: row.opt_text("client")?,
    })
}

/// The task columns selected by `TASK_COLUMNS`, without labels (loaded separately).
pub fn task(row: &impl RowExt) -> Result<Task> {
    fn opt_ref<Id: RawId>(row: &impl RowExt, id: &str, name: &str) -> Result<Option<NamedRef<Id>>> {
        Ok(row.opt_id(id)?.map(|id| NamedRef {
            id,
            name: row.opt_text(name).ok().flatten().unwrap_or_default(),
        }))
    }
    let cycle = match row.opt_id("cycle_id")? {
        Some(id) => {
            let number = row.int("cycle_number")?;
            let name = row.opt_text("cycle_name")?;
            let display = Cycle {
                id,
                // Only the display name is wanted here, which needs neither team nor dates.
                team_id: TeamId::new(0),
                number,
                name,
                starts_on: Date::MIN,
                ends_on: Date::MIN,
                progress: Progress::default(),
            }
            .display_name();
            Some(NamedRef { id, name: display })
        }
        None => None,
    };
    let assignee = match row.opt_id("assignee_id")? {
        Some(id) => Some(UserRef {
            id,
            name: row.text("assignee_name")?,
            email: row.text("assignee_email")?,
        }),
        None => None,
    };
    Ok(Task {
        id: row.id("id")?,
        team_id: row.id("team_id")?,
        team_key: row.text("team_key")?,
        number: row.int("number")?,
        title: row.text("title")?,
        description: row.text("description")?,
        status: StatusRef {
            id: row.id("status_id")?,
            name: row.text("status_name")?,
            kind: status_kind(&row.text("status_kind")?)?,
        },
        priority: Priority::new(row.int("priority")?).unwrap_or(Priority::NONE),
        assignee,
        creator: UserRef {
            id: row.id("creator_id")?,
            name: row.text("creator_name")?,
            email: row.text("creator_email")?,
        },
        labels: labels_from_json(&row.text("labels_json")?)?,
        comment_count: row.int("comment_count")? as u64,
        project: opt_ref(row, "project_id", "project_name")?,
        milestone: opt_ref(row, "milestone_id", "milestone_name")?,
        cycle,
        due_date: opt_date(row.opt_text("due_date")?)?,
        estimate: row.opt_int("estimate")?,
        created_at: from_millis(row.int("created_at")?),
        updated_at: from_millis(row.int("updated_at")?),
        started_at: opt_from_millis(row.opt_int("started_at")?),
        completed_at: opt_from_millis(row.opt_int("completed_at")?),
        canceled_at: opt_from_millis(row.opt_int("canceled_at")?),
        version: row.int("version")?,
        parent_id: row.opt_id("parent_id")?,
        blocked: false,
    })
}

/// A deleted task or doc, with who deleted it (`uid`, `uname`, `uemail`).
pub fn trash_item(row: &impl RowExt) -> Result<TrashItem> {
    let deleted_by = match row.opt_id("uid")? {
        Some(id) => Some(UserRef {
            id,
            name: row.text("uname")?,
            email: row.text("uemail")?,
        }),
        None => None,
    };
    Ok(TrashItem {
        kind: if row.text("kind")? == "task" {
            TrashKind::Task
        } else {
            TrashKind::Doc
        },
        id: row.int("id")?,
        label: row.text("label")?,
        title: row.text("title")?,
        team_id: row.opt_id("team_id")?,
        project_id: row.opt_id("project_id")?,
        deleted_by,
        deleted_at: from_millis(row.int("deleted_at")?),
    })
}

pub fn bulk_change(row: &impl RowExt) -> Result<BulkChange> {
    Ok(BulkChange {
        id: row.id("id")?,
        user_id: row.id("user_id")?,
        status: row.text("status")?,
        previous: previous_from_json(&row.text("previous")?)?,
        created_at: from_millis(row.int("created_at")?),
    })
}

/// A task's labels as both stores return them inside the task row (one query, not two): a
/// JSON array of `[id, name, color]`, by name.
pub fn labels_from_json(json: &str) -> Result<Vec<LabelRef>> {
    let labels: Vec<(i64, String, String)> = serde_json::from_str(json)
        .map_err(|e| Error::Internal(format!("labels of a task: {e}")))?;
    Ok(labels
        .into_iter()
        .map(|(id, name, color)| LabelRef {
            id: LabelId::new(id),
            name,
            color,
        })
        .collect())
}

/// A bulk change's previous statuses as stored: `[[identifier, status name], ...]`.
pub fn previous_to_json(previous: &[(String, String)]) -> String {
    serde_json::to_string(previous).unwrap_or_else(|_| "[]".into())
}

pub fn previous_from_json(json: &str) -> Result<Vec<(String, String)>> {
    serde_json::from_str(json)
        .map_err(|e| Error::Internal(format!("previous statuses of a bulk change: {e}")))
}

/// A task as a parent, child or relation shows it (`sql::graph::LINK_COLUMNS`).
pub fn task_link(row: &impl RowExt) -> Result<TaskLink> {
    Ok(TaskLink {
        id: row.id("id")?,
        team_id: row.id("team_id")?,
        identifier: format!("{}-{}", row.text("team_key")?, row.int("number")?),
        title: row.text("title")?,
        status: StatusRef {
            id: row.id("status_id")?,
            name: row.text("status_name")?,
            kind: status_kind(&row.text("status_kind")?)?,
        },
    })
}

/// A relation as the task it was read for sees it: the edge's kind and which side it is on.
pub fn task_relation(row: &impl RowExt) -> Result<TaskRelation> {
    let edge = row.text("edge_kind")?;
    let kind = EdgeKind::parse(&edge)
        .ok_or_else(|| Error::Internal(format!("unknown relation kind {edge}")))?;
    Ok(TaskRelation {
        kind: kind.seen_from(row.int("from_side")? == 1),
        task: task_link(row)?,
    })
}
