//! Orgn's storage: every line of SQL in the project lives in this crate. Each backend
//! implements the domain's `Store` port: `SqliteStore` (the embedded default) and `PgStore`
//! (PostgreSQL, for several server processes on one database). `open` picks one.

pub mod postgres;
mod search;
pub mod sqlite;

use std::path::Path;
use std::sync::Arc;

use orgn_domain::Error;
use orgn_domain::store::Store;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Where a workspace lives: a `postgres://…` URL, or a SQLite data dir (`sqlite:PATH` or a
/// plain path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Postgres(String),
    Sqlite(std::path::PathBuf),
}

impl Location {
    pub fn parse(target: &str) -> Location {
        if postgres::is_url(target) {
            Location::Postgres(target.to_string())
        } else {
            let path = target
                .strip_prefix("sqlite://")
                .or_else(|| target.strip_prefix("sqlite:"))
                .unwrap_or(target);
            Location::Sqlite(Path::new(path).to_path_buf())
        }
    }
}

/// Opens the store at `target` (see `Location`), applying pending migrations and refusing
/// a database with a newer schema than this binary knows.
pub async fn open(target: &str) -> Result<Arc<dyn Store>, Error> {
    Ok(match Location::parse(target) {
        Location::Postgres(url) => Arc::new(PgStore::open(&url).await?),
        Location::Sqlite(dir) => Arc::new(SqliteStore::open(&dir).await?),
    })
}

/// A task's labels as both stores return them inside the task row (one query, not two): a
/// JSON array of `[id, name, color]`, by name.
pub(crate) fn labels_from_json(json: &str) -> Result<Vec<orgn_domain::model::LabelRef>, Error> {
    let labels: Vec<(i64, String, String)> = serde_json::from_str(json)
        .map_err(|e| Error::Internal(format!("labels of a task: {e}")))?;
    Ok(labels
        .into_iter()
        .map(|(id, name, color)| orgn_domain::model::LabelRef { id, name, color })
        .collect())
}

/// A bulk change's previous statuses as stored: `[[identifier, status name], ...]`.
pub(crate) fn previous_to_json(previous: &[(String, String)]) -> String {
    serde_json::to_string(previous).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn previous_from_json(json: &str) -> Result<Vec<(String, String)>, Error> {
    serde_json::from_str(json)
        .map_err(|e| Error::Internal(format!("previous statuses of a bulk change: {e}")))
}
