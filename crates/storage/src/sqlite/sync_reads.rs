//! The hot point reads — a token's holder (every MCP request) and one task — on rusqlite,
//! called synchronously on the request's own thread.
//!
//! Why a second driver: sqlx runs each SQLite connection on a thread of its own and hands it
//! every statement, and every row back, through channels. For a read that costs SQLite a few
//! microseconds, those thread switches cost more than the read: `perf` put futex waits and
//! context switches at over half of the samples of `get_task` (BENCHMARKS.md). A point read
//! on a mapped, cached file returns in microseconds, so running it on the request's thread
//! blocks that thread no longer than the hand-off would have. Scans, searches and pages stay
//! on sqlx, where a long read does not hold up a runtime thread; every write stays on the
//! single sqlx writer.

use std::path::PathBuf;
use std::sync::Mutex;

use orgn_domain::model::*;
use orgn_domain::store::StoredToken;
use orgn_domain::{Error, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::{BUSY_TIMEOUT, CONNECTION_PRAGMAS, SqliteBackend};
use crate::rows::{self, NamedRow, RowExt};
use crate::sql::PointReads;
use crate::sql::accounts::membership;
use crate::sql::credentials::TOKEN_HOLDER_SQL;
use crate::sql::tasks::task_select;

/// Connections kept open between reads; more are opened when reads overlap, and closed
/// again when more than this many are idle.
const IDLE_CONNECTIONS: usize = 4;

pub(super) struct SyncReaders {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// A live task by id, and by team and number: built once, not on every read.
    task_by_id_sql: String,
    task_by_number_sql: String,
}

impl SyncReaders {
    pub(super) fn new(path: PathBuf) -> SyncReaders {
        SyncReaders {
            path,
            idle: Mutex::new(Vec::new()),
            task_by_id_sql: task_select::<SqliteBackend>("t.id = $1"),
            task_by_number_sql: task_select::<SqliteBackend>("t.team_id = $1 AND t.number = $2"),
        }
    }

    /// A read-only connection with the same settings as the sqlx readers.
    fn connect(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        for (name, value) in CONNECTION_PRAGMAS {
            conn.pragma_update(None, name, value)?;
        }
        Ok(conn)
    }

    /// Runs `read` on an idle connection (or a new one) and puts the connection back.
    fn with<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.connect().map_err(sqlite_error)?,
        };
        let out = read(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < IDLE_CONNECTIONS {
            idle.push(conn);
        }
        out
    }

    fn task(&self, id: TaskId) -> Result<Option<Task>> {
        self.task_where(&self.task_by_id_sql, (id.get(),))
    }

    fn task_by_number(&self, team: TeamId, number: i64) -> Result<Option<Task>> {
        self.task_where(&self.task_by_number_sql, (team.get(), number))
    }

    fn task_where(&self, sql: &str, params: impl rusqlite::Params) -> Result<Option<Task>> {
        self.with(|conn| {
            let mut statement = conn.prepare_cached(sql).map_err(sqlite_error)?;
            let names = column_names(&statement);
            let task = statement
                .query_row(params, |row| {
                    Ok(rows::task(&NamedRow { row, names: &names }))
                })
                .optional()
                .map_err(sqlite_error)?;
            task.transpose()
        })
    }

    fn token_holder(&self, digest: &str) -> Result<Option<(StoredToken, User, Vec<Membership>)>> {
        self.with(|conn| {
            let mut statement = conn
                .prepare_cached(TOKEN_HOLDER_SQL)
                .map_err(sqlite_error)?;
            let names = column_names(&statement);
            let mut found = statement.query((digest,)).map_err(sqlite_error)?;
            let mut holder: Option<(StoredToken, User, Vec<Membership>)> = None;
            while let Some(row) = found.next().map_err(sqlite_error)? {
                let row = &NamedRow { row, names: &names };
                let (_, _, memberships) = match &mut holder {
                    Some(holder) => holder,
                    None => holder.insert((
                        StoredToken {
                            user_id: row.id("user_id")?,
                            info: rows::token_info(row)?,
                        },
                        rows::user_created_in(row, "user_created_at")?,
                        Vec::new(),
                    )),
                };
                memberships.extend(membership(row)?);
            }
            Ok(holder)
        })
    }
}

fn column_names(statement: &rusqlite::Statement) -> Vec<String> {
    statement
        .column_names()
        .into_iter()
        .map(String::from)
        .collect()
}

fn sqlite_error(e: rusqlite::Error) -> Error {
    Error::Internal(e.to_string())
}

/// The point reads on rusqlite, on the caller's thread.
#[async_trait::async_trait]
impl PointReads for SqliteBackend {
    async fn token_holder(
        &self,
        digest: &str,
    ) -> Result<Option<(StoredToken, User, Vec<Membership>)>> {
        self.sync_reads.token_holder(digest)
    }

    async fn task(&self, id: TaskId) -> Result<Option<Task>> {
        self.sync_reads.task(id)
    }

    async fn task_by_number(&self, team: TeamId, number: i64) -> Result<Option<Task>> {
        self.sync_reads.task_by_number(team, number)
    }
}
