//! Converting between rows and domain values.

use orgn_domain::model::*;
use orgn_domain::{Error, Result};
use sqlx::Row;
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

/// A value read from a column by either SQLite driver: sqlx (most reads and every write)
/// or rusqlite (the hot point reads, called on the request's own thread; see
/// `sync_reads`). The row conversions below are written once, for both.
pub trait Value: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + rusqlite::types::FromSql {}
impl<T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + rusqlite::types::FromSql> Value for T {}

/// A row of either driver, read by column name.
pub trait Columns {
    fn value<T: Value>(&self, col: &str) -> std::result::Result<T, String>;
}

impl Columns for SqliteRow {
    fn value<T: Value>(&self, col: &str) -> std::result::Result<T, String> {
        self.try_get(col).map_err(|e| e.to_string())
    }
}

impl Columns for rusqlite::Row<'_> {
    fn value<T: Value>(&self, col: &str) -> std::result::Result<T, String> {
        self.get(col).map_err(|e| e.to_string())
    }
}

fn get<T: Value>(row: &impl Columns, col: &str) -> Result<T> {
    row.value(col)
        .map_err(|e| Error::Internal(format!("column {col}: {e}")))
}

pub fn user(row: &impl Columns) -> Result<User> {
    user_created_in(row, "created_at")
}

/// A user whose creation time is in column `created_at`, for rows where another table's
/// `created_at` has the plain name.
pub fn user_created_in(row: &impl Columns, created_at: &str) -> Result<User> {
    Ok(User {
        id: get(row, "id")?,
        email: get(row, "email")?,
        name: get(row, "name")?,
        is_admin: get::<i64>(row, "is_admin")? != 0,
        created_at: from_millis(get(row, created_at)?),
    })
}

pub fn team(row: &impl Columns) -> Result<Team> {
    Ok(Team {
        id: get(row, "id")?,
        key: get(row, "key")?,
        name: get(row, "name")?,
    })
}

pub fn status_kind(s: &str) -> Result<StatusKind> {
    StatusKind::parse(s).ok_or_else(|| Error::Internal(format!("unknown status kind {s:?}")))
}

pub fn status(row: &impl Columns) -> Result<Status> {
    Ok(Status {
        id: get(row, "id")?,
        team_id: get(row, "team_id")?,
        name: get(row, "name")?,
        kind: status_kind(&get::<String>(row, "kind")?)?,
        position: get(row, "position")?,
        color: get(row, "color")?,
    })
}

pub fn label(row: &impl Columns) -> Result<Label> {
    Ok(Label {
        id: get(row, "id")?,
        team_id: get(row, "team_id")?,
        name: get(row, "name")?,
        color: get(row, "color")?,
    })
}

pub fn progress(row: &impl Columns) -> Result<Progress> {
    Ok(Progress {
        total: get::<Option<i64>>(row, "p_total")?.unwrap_or(0),
        completed: get::<Option<i64>>(row, "p_completed")?.unwrap_or(0),
        canceled: get::<Option<i64>>(row, "p_canceled")?.unwrap_or(0),
    })
}

pub fn milestone(row: &impl Columns) -> Result<Milestone> {
    Ok(Milestone {
        id: get(row, "id")?,
        project_id: get(row, "project_id")?,
        name: get(row, "name")?,
        target_date: opt_date(get(row, "target_date")?)?,
        position: get(row, "position")?,
        progress: progress(row)?,
    })
}

pub fn cycle(row: &impl Columns) -> Result<Cycle> {
    Ok(Cycle {
        id: get(row, "id")?,
        team_id: get(row, "team_id")?,
        number: get(row, "number")?,
        name: get(row, "name")?,
        starts_on: parse_date(&get::<String>(row, "starts_on")?)?,
        ends_on: parse_date(&get::<String>(row, "ends_on")?)?,
        progress: progress(row)?,
    })
}

pub fn comment(row: &impl Columns) -> Result<Comment> {
    Ok(Comment {
        id: get(row, "id")?,
        task_id: get(row, "task_id")?,
        author: UserRef {
            id: get(row, "author_id")?,
            name: get(row, "author_name")?,
            email: get(row, "author_email")?,
        },
        body: get(row, "body")?,
        created_at: from_millis(get(row, "created_at")?),
        edited_at: opt_from_millis(get(row, "edited_at")?),
    })
}

pub fn doc(row: &impl Columns) -> Result<Doc> {
    Ok(Doc {
        id: get(row, "id")?,
        team_id: get(row, "team_id")?,
        project_id: get(row, "project_id")?,
        title: get(row, "title")?,
        content: get(row, "content")?,
        creator: UserRef {
            id: get(row, "creator_id")?,
            name: get(row, "creator_name")?,
            email: get(row, "creator_email")?,
        },
        created_at: from_millis(get(row, "created_at")?),
        updated_at: from_millis(get(row, "updated_at")?),
    })
}

pub fn token_info(row: &impl Columns) -> Result<TokenInfo> {
    Ok(TokenInfo {
        hint: get(row, "hint")?,
        created_at: from_millis(get(row, "created_at")?),
        expires_at: from_millis(get(row, "expires_at")?),
        last_used_at: opt_from_millis(get(row, "last_used_at")?),
    })
}

/// The task columns selected by `TASK_SELECT`, without labels (loaded separately).
pub fn task(row: &impl Columns) -> Result<Task> {
    let opt_ref = |id: &str, name: &str| -> Result<Option<NamedRef>> {
        Ok(get::<Option<i64>>(row, id)?.map(|id| NamedRef {
            id,
            name: row
                .value::<Option<String>>(name)
                .ok()
                .flatten()
                .unwrap_or_default(),
        }))
    };
    let cycle = match get::<Option<i64>>(row, "cycle_id")? {
        Some(id) => {
            let number: i64 = get(row, "cycle_number")?;
            let name: Option<String> = get(row, "cycle_name")?;
            let display = Cycle {
                id,
                team_id: 0,
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
    let assignee = match get::<Option<i64>>(row, "assignee_id")? {
        Some(id) => Some(UserRef {
            id,
            name: get(row, "assignee_name")?,
            email: get(row, "assignee_email")?,
        }),
        None => None,
    };
    Ok(Task {
        id: get(row, "id")?,
        team_id: get(row, "team_id")?,
        team_key: get(row, "team_key")?,
        number: get(row, "number")?,
        title: get(row, "title")?,
        description: get(row, "description")?,
        status: StatusRef {
            id: get(row, "status_id")?,
            name: get(row, "status_name")?,
            kind: status_kind(&get::<String>(row, "status_kind")?)?,
        },
        priority: Priority::new(get(row, "priority")?).unwrap_or(Priority::NONE),
        assignee,
        creator: UserRef {
            id: get(row, "creator_id")?,
            name: get(row, "creator_name")?,
            email: get(row, "creator_email")?,
        },
        labels: crate::labels_from_json(&get::<String>(row, "labels_json")?)?,
        comment_count: get::<i64>(row, "comment_count")? as u64,
        project: opt_ref("project_id", "project_name")?,
        milestone: opt_ref("milestone_id", "milestone_name")?,
        cycle,
        due_date: opt_date(get(row, "due_date")?)?,
        estimate: get(row, "estimate")?,
        created_at: from_millis(get(row, "created_at")?),
        updated_at: from_millis(get(row, "updated_at")?),
        started_at: opt_from_millis(get(row, "started_at")?),
        completed_at: opt_from_millis(get(row, "completed_at")?),
        canceled_at: opt_from_millis(get(row, "canceled_at")?),
    })
}

pub fn bulk_change(row: &impl Columns) -> Result<BulkChange> {
    Ok(BulkChange {
        id: get(row, "id")?,
        user_id: get(row, "user_id")?,
        status: get(row, "status")?,
        previous: crate::previous_from_json(&get::<String>(row, "previous")?)?,
        created_at: from_millis(get(row, "created_at")?),
    })
}
