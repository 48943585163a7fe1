//! The embedded backend: one SQLite file in WAL mode. Writes go through a single
//! connection, so they never contend for SQLite's one write lock; reads use a pool of
//! read-only connections. In WAL mode every read statement starts a fresh snapshot that
//! includes every commit made before it, so reads are never stale.

mod batch;
mod bulk;
mod migrate;
mod search;
mod sync_reads;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use orgn_domain::Error;

use crate::sql::{Backend, SqlStore};
pub(crate) use crate::sql::{db_error, internal};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use migrate::{MIGRATIONS, MIGRATOR};

/// The embedded store.
pub type SqliteStore = SqlStore<SqliteBackend>;

/// SQLite's connections and writer queues.
#[derive(Clone)]
pub struct SqliteBackend {
    writer: SqlitePool,
    reader: SqlitePool,
    inserts: tokio::sync::mpsc::Sender<batch::PendingInsert>,
    activity: tokio::sync::mpsc::Sender<batch::Activity>,
    sync_reads: std::sync::Arc<sync_reads::SyncReaders>,
    /// Woken after each commit that appended to the change feed: one process owns the file.
    changes: std::sync::Arc<tokio::sync::Notify>,
}

pub const DATABASE_FILE: &str = "orgn.db";

/// How long a connection waits for SQLite's lock before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Set on every connection, sqlx's and rusqlite's (`sync_reads`):
/// - 16 MiB of page cache per connection (SQLite's default is 2 MiB): the search index and
///   the task table's upper levels stay in memory;
/// - temporary tables in memory;
/// - connections map the file (up to 2 GiB, SQLite's ceiling) rather than copying each page
///   into their own cache with a system call: a page the kernel already holds costs a
///   memory access, and every commit (which empties the other connections' page caches, by
///   SQLite's WAL rule) no longer sends the next reads back to the kernel. Writes still go
///   through the WAL.
const CONNECTION_PRAGMAS: [(&str, &str); 3] = [
    ("cache_size", "-16384"),
    ("temp_store", "memory"),
    ("mmap_size", "2147418112"),
];

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir` and applies pending migrations.
    pub async fn open(data_dir: &Path) -> Result<SqliteStore, Error> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            Error::Invalid(format!(
                "cannot create data dir {}: {e}",
                data_dir.display()
            ))
        })?;
        let path = data_dir.join(DATABASE_FILE);
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(internal)?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Every acknowledged write is durable.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let options = CONNECTION_PRAGMAS
            .iter()
            .fold(options, |options, (name, value)| {
                options.pragma(*name, *value)
            });
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(|e| Error::Invalid(format!("cannot open database {}: {e}", path.display())))?;
        migrate::run(&writer).await?;
        // Planner statistics, so that SQLite picks the selective index; bounded work.
        sqlx::query("PRAGMA analysis_limit = 1000")
            .execute(&writer)
            .await
            .map_err(internal)?;
        sqlx::query("PRAGMA optimize = 0x10002")
            .execute(&writer)
            .await
            .map_err(internal)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await
            .map_err(internal)?;
        let (inserts, activity) = batch::start(writer.clone());
        Ok(SqlStore(SqliteBackend {
            writer,
            reader,
            inserts,
            activity,
            sync_reads: std::sync::Arc::new(sync_reads::SyncReaders::new(path)),
            changes: Default::default(),
        }))
    }
}

crate::sql::sqlx_conn!(
    sqlx::SqliteConnection,
    sqlx::Sqlite,
    sqlx::sqlite::SqliteRow
);

#[async_trait::async_trait]
impl Backend for SqliteBackend {
    type Conn = sqlx::SqliteConnection;
    type Pooled = sqlx::pool::PoolConnection<sqlx::Sqlite>;
    type Tx = sqlx::Transaction<'static, sqlx::Sqlite>;
    async fn reader(&self) -> Result<Self::Pooled, Error> {
        self.reader.acquire().await.map_err(db_error)
    }
    /// The one writer connection: writes never contend for SQLite's lock.
    async fn writer(&self) -> Result<Self::Pooled, Error> {
        self.writer.acquire().await.map_err(db_error)
    }
    async fn begin(&self) -> Result<Self::Tx, Error> {
        self.writer.begin().await.map_err(db_error)
    }
    fn change_signal(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.changes.clone()
    }
    const CLAIM_LOCK: &'static str = "";
    const ROW_LOCK: &'static str = "";
    const TASK_COLUMNS: &'static str = crate::sql::tasks::task_columns!(
        "(SELECT json_group_array(json_array(l.id, l.name, l.color)) FROM \
         (SELECT l.id, l.name, l.color FROM task_labels tl JOIN labels l ON l.id = tl.label_id \
         WHERE tl.task_id = t.id ORDER BY l.name, l.id) l)"
    );
    /// `+` keeps SQLite from reading by status (a few values over many rows) and sorting.
    const UNINDEXED_STATUS: &'static str = "+t.status_id";
    async fn close(&self) {
        crate::sql::ActivityLog::flush_activity(self).await;
        self.reader.close().await;
        self.writer.close().await;
    }
}
