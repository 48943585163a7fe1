//! Orgn's storage: every line of SQL in the project lives in this crate. The domain's
//! `Store` port is implemented once, by area, in `sql/` for `SqlStore<B>`, generic over the
//! backend `B` (see `sql/mod.rs`); `SqliteStore` (the embedded default) and `PgStore`
//! (PostgreSQL, for several server processes on one database) are that store on each
//! backend, whose modules hold only what the dialects do differently. `open` picks one.

mod migrate;
pub mod postgres;
mod rows;
mod search;
mod sql;
pub mod sqlite;

use std::path::Path;
use std::sync::Arc;

use orgn_domain::Error;
use orgn_domain::store::Store;

pub use postgres::PgStore;
pub use sql::SqlStore;
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
