//! The SQL both backends share, written once, and the small machinery that runs it on
//! either driver.
//!
//! Why this shape, and not sqlx's generic `Executor`/`Database` bounds: a function generic
//! over sqlx's database needs `for<'q> Encode<'q, DB> + Type<DB>` for every type it binds and
//! `ColumnIndex`/`Decode` bounds for every column it reads, repeated at every caller; the
//! shared code would be mostly bounds. Instead:
//! - every value bound goes through one enum, [`Arg`], built by `From` (ids included, so a
//!   change of id type is one `From` impl here);
//! - [`Sql`] is a statement text with its arguments; `bind` appends the next `$n`. sqlx's
//!   SQLite driver numbers `$n` placeholders exactly as PostgreSQL does, so one text serves
//!   both;
//! - [`Conn`] runs a `Sql` on one driver's connection and hands rows back as that driver's
//!   row type, read through `rows::RowExt` (no panicking `Row::get`); it is implemented once
//!   per driver, by one macro;
//! - [`Backend`] is what a backend gives the shared code: a read connection, a write
//!   connection and transactions, plus, per area, the few operations whose SQL truly differs
//!   (full-text search, the job claim, bulk inserts, SQLite's group commit and point reads).
//!
//! The domain's area traits are implemented once, in this module's area files, for
//! [`SqlStore`]`<B>`: `SqliteStore` and `PgStore` are that type on each backend.

pub(crate) mod accounts;
mod activity;
mod assistant_usage;
pub(crate) mod bulk;
mod content;
mod conversations;
mod counts;
pub(crate) mod credentials;
pub(crate) mod feed;
pub(crate) mod graph;
mod inbox;
mod jobs;
mod oauth;
mod planning;
mod revisions;
pub(crate) mod search;
pub(crate) mod tasks;
mod throttle;
mod trash;

pub(crate) use bulk::BulkInsert;
pub(crate) use search::SearchIndex;
pub(crate) use tasks::GroupCommit;

use std::ops::{Deref, DerefMut};

use async_trait::async_trait;
use orgn_domain::model::*;
use orgn_domain::store::Store;
use orgn_domain::{Error, Result};
use time::{Date, OffsetDateTime};

use crate::rows::{RowExt, date_text, millis};

/// One bound value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(bool),
    Bytes(Vec<u8>),
}

/// Every id binds as its number; `Option` of an id as a nullable one.
macro_rules! id_args {
    ($($id:ty),*) => {$(
        impl From<$id> for Arg {
            fn from(v: $id) -> Arg {
                Arg::Int(Some(v.get()))
            }
        }
        impl From<Option<$id>> for Arg {
            fn from(v: Option<$id>) -> Arg {
                Arg::Int(v.map(<$id>::get))
            }
        }
    )*};
}

id_args!(
    UserId,
    TeamId,
    TaskId,
    StatusId,
    LabelId,
    ProjectId,
    MilestoneId,
    CycleId,
    CommentId,
    DocId,
    BulkChangeId,
    JobId,
    NotificationId,
    ConversationId
);

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::Int(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(Some(v))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Arg {
        Arg::Text(Some(v.clone()))
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        Arg::Text(v.map(str::to_string))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Arg {
        Arg::Text(v)
    }
}
impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Arg {
        Arg::Text(v.clone())
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Bool(v)
    }
}
impl From<&[u8]> for Arg {
    fn from(v: &[u8]) -> Arg {
        Arg::Bytes(v.to_vec())
    }
}
/// Times are stored as unix milliseconds on both backends.
impl From<OffsetDateTime> for Arg {
    fn from(v: OffsetDateTime) -> Arg {
        Arg::Int(Some(millis(v)))
    }
}
impl From<Option<OffsetDateTime>> for Arg {
    fn from(v: Option<OffsetDateTime>) -> Arg {
        Arg::Int(v.map(millis))
    }
}
/// Dates are stored as ISO text on both backends.
impl From<Date> for Arg {
    fn from(v: Date) -> Arg {
        Arg::Text(Some(date_text(v)))
    }
}
impl From<Option<Date>> for Arg {
    fn from(v: Option<Date>) -> Arg {
        Arg::Text(v.map(date_text))
    }
}

/// A statement and its arguments, `$1..$n` in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            args: Vec::new(),
        }
    }

    /// The next argument of a text that numbers its own placeholders.
    pub fn arg(mut self, value: impl Into<Arg>) -> Sql {
        self.args.push(value.into());
        self
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Binds `value` as the next `$n`, written at the end of the text.
    pub fn bind(&mut self, value: impl Into<Arg>) -> &mut Sql {
        self.args.push(value.into());
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }

    /// `($1, $2, ...)` for a list of ids; `(NULL)`, which matches nothing, for none.
    pub fn list<T: Into<Arg> + Copy>(&mut self, values: &[T]) -> &mut Sql {
        if values.is_empty() {
            return self.push("(NULL)");
        }
        self.push("(");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(*v);
        }
        self.push(")")
    }
}

/// `UPDATE table SET <first>, <sets...> WHERE id = <id>`: `first` is a column set in any case
/// (so that an update without changes is still a statement).
pub(crate) fn update(
    table: &str,
    first: (&str, Arg),
    sets: Vec<(&str, Arg)>,
    id: impl Into<Arg>,
) -> Sql {
    updating(format!("UPDATE {table} SET "), first, sets, id)
}

/// `update` of a versioned table (tasks, comments, docs, projects): raises the row's version.
pub(crate) fn update_versioned(
    table: &str,
    first: (&str, Arg),
    sets: Vec<(&str, Arg)>,
    id: impl Into<Arg>,
) -> Sql {
    updating(
        format!("UPDATE {table} SET version = version + 1, "),
        first,
        sets,
        id,
    )
}

fn updating(head: String, first: (&str, Arg), sets: Vec<(&str, Arg)>, id: impl Into<Arg>) -> Sql {
    let mut sql = Sql::new(head);
    for (i, (column, value)) in std::iter::once(first).chain(sets).enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push(&format!("{column} = ")).bind(value);
    }
    sql.push(" WHERE id = ").bind(id);
    sql
}

/// One driver's connection, running `Sql`.
#[async_trait]
pub(crate) trait Conn: Send {
    type Row: RowExt + Send + Sync;
    async fn rows(&mut self, q: Sql) -> Result<Vec<Self::Row>>;
    async fn optional(&mut self, q: Sql) -> Result<Option<Self::Row>>;
    /// Rows affected.
    async fn execute(&mut self, q: Sql) -> Result<u64>;

    /// The one row a statement must return.
    async fn one(&mut self, q: Sql) -> Result<Self::Row> {
        self.optional(q)
            .await?
            .ok_or_else(|| Error::Internal("a statement returned no row".into()))
    }

    /// The integer in column `col` of the statement's row, if any.
    async fn int(&mut self, q: Sql, col: &str) -> Result<Option<i64>> {
        self.optional(q).await?.map(|r| r.int(col)).transpose()
    }
}

/// `Conn` for a sqlx connection type: both drivers take every `Arg` alike.
macro_rules! sqlx_conn {
    ($conn:ty, $db:ty, $row:ty) => {
        /// A sqlx query of `q` with its arguments bound.
        fn query(
            q: &crate::sql::Sql,
        ) -> sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments> {
            let mut query = sqlx::query::<$db>(sqlx::AssertSqlSafe(q.text.clone()));
            for arg in &q.args {
                query = match arg {
                    crate::sql::Arg::Int(v) => query.bind(*v),
                    crate::sql::Arg::Text(v) => query.bind(v.clone()),
                    crate::sql::Arg::Bool(v) => query.bind(*v),
                    crate::sql::Arg::Bytes(v) => query.bind(v.clone()),
                };
            }
            query
        }

        #[async_trait::async_trait]
        impl crate::sql::Conn for $conn {
            type Row = $row;
            async fn rows(&mut self, q: crate::sql::Sql) -> orgn_domain::Result<Vec<$row>> {
                query(&q)
                    .fetch_all(&mut *self)
                    .await
                    .map_err(crate::sql::db_error)
            }
            async fn optional(&mut self, q: crate::sql::Sql) -> orgn_domain::Result<Option<$row>> {
                query(&q)
                    .fetch_optional(&mut *self)
                    .await
                    .map_err(crate::sql::db_error)
            }
            async fn execute(&mut self, q: crate::sql::Sql) -> orgn_domain::Result<u64> {
                let done = query(&q)
                    .execute(&mut *self)
                    .await
                    .map_err(crate::sql::db_error)?;
                Ok(done.rows_affected())
            }
        }
    };
}
pub(crate) use sqlx_conn;

/// A transaction that can be committed: sqlx's, on either driver.
#[async_trait]
pub(crate) trait Commit {
    async fn commit_tx(self) -> Result<()>;
}

#[async_trait]
impl<DB: sqlx::Database> Commit for sqlx::Transaction<'static, DB> {
    async fn commit_tx(self) -> Result<()> {
        self.commit().await.map_err(db_error)
    }
}

/// What a backend gives the shared SQL.
#[async_trait]
pub(crate) trait Backend: Sized + Send + Sync + 'static {
    type Conn: Conn;
    type Pooled: DerefMut<Target = Self::Conn> + Send;
    type Tx: DerefMut<Target = Self::Conn> + Commit + Send;
    /// A connection for reads.
    async fn reader(&self) -> Result<Self::Pooled>;
    /// A connection for single-statement writes: by default any connection, as where one
    /// pool serves both.
    async fn writer(&self) -> Result<Self::Pooled> {
        self.reader().await
    }
    async fn begin(&self) -> Result<Self::Tx>;
    async fn commit(tx: Self::Tx) -> Result<()> {
        tx.commit_tx().await
    }
    /// Commits a transaction that appended to the change feed, then wakes this process's
    /// feed reader at once (other processes hear PostgreSQL's `NOTIFY`).
    async fn commit_changes(&self, tx: Self::Tx) -> Result<()> {
        Self::commit(tx).await?;
        self.change_signal().notify_one();
        Ok(())
    }
    /// Woken after a change is appended (`Feed::change_signal`).
    fn change_signal(&self) -> std::sync::Arc<tokio::sync::Notify>;
    /// Run before appending to the feed, inside the transaction (PostgreSQL: the feed's
    /// advisory lock, so that sequence numbers follow commit order).
    const FEED_LOCK: Option<&'static str> = None;
    /// Run after appending to the feed, inside the transaction (PostgreSQL: `NOTIFY`, sent
    /// at commit).
    const FEED_NOTIFY: Option<&'static str> = None;
    /// Finishes pending writes and closes the connections.
    async fn close(&self);

    /// What the job claim's subquery adds to lock the row it picks (PostgreSQL's
    /// `FOR UPDATE SKIP LOCKED`; nothing on SQLite, whose single writer serializes).
    const CLAIM_LOCK: &'static str;
    /// What a read inside a write transaction adds to lock its row until the commit.
    const ROW_LOCK: &'static str;
    /// The columns `rows::task` reads, from `tasks t` and `tasks::TASK_JOINS`: written with
    /// `tasks::task_columns!` and the backend's JSON aggregate for the labels.
    const TASK_COLUMNS: &'static str;
    /// A task's status id as a filter compares it so that no index serves it (see
    /// `tasks::push_task_filters`).
    const UNINDEXED_STATUS: &'static str;
}

/// The reads of every request, which SQLite answers on rusqlite, on the caller's thread
/// (`sqlite/sync_reads.rs`); the defaults are the shared SQL.
#[async_trait]
pub(crate) trait PointReads: Backend {
    /// A token with its user and the user's memberships, in one query.
    async fn token_holder(
        &self,
        digest: &str,
    ) -> Result<
        Option<(
            orgn_domain::store::StoredToken,
            orgn_domain::model::User,
            Vec<orgn_domain::model::Membership>,
        )>,
    > {
        let sql = Sql::new(credentials::TOKEN_HOLDER_SQL).arg(digest);
        credentials::token_holder(&self.reader().await?.rows(sql).await?)
    }

    /// A live task by id.
    async fn task(&self, id: TaskId) -> Result<Option<Task>> {
        tasks::task_by_id::<Self>(&mut *self.reader().await?, id).await
    }

    /// A live task by its team and number, in one query.
    async fn task_by_number(&self, team: TeamId, number: i64) -> Result<Option<Task>> {
        let sql = Sql::new(tasks::task_select::<Self>(
            "t.team_id = $1 AND t.number = $2",
        ))
        .arg(team)
        .arg(number);
        let row = self.reader().await?.optional(sql).await?;
        row.as_ref().map(crate::rows::task).transpose()
    }
}

/// How the MCP activity log is written; the defaults write each call at once.
#[async_trait]
pub(crate) trait ActivityLog: Backend {
    async fn record_tool_call(
        &self,
        user: orgn_domain::model::UserId,
        call: &orgn_domain::model::ToolCallRecord,
    ) -> Result<()> {
        let sql = Sql::new(
            "INSERT INTO tool_calls (user_id, tool, target, ok, at, client) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .arg(user)
        .arg(&call.tool)
        .arg(&call.target)
        .arg(call.ok)
        .arg(call.at)
        .arg(&call.client);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }

    /// Writes what is still queued, before the log is read.
    async fn flush_activity(&self) {}
}

/// A store on backend `B`; see `SqliteStore` and `PgStore`.
#[derive(Clone)]
pub struct SqlStore<B>(pub(crate) B);

impl<B> Deref for SqlStore<B> {
    type Target = B;
    fn deref(&self) -> &B {
        &self.0
    }
}

/// `Store` is the union of the areas, each implemented once above for any backend that
/// gives what the area needs.
#[async_trait]
impl<B: GroupCommit + PointReads + BulkInsert + ActivityLog> Store for SqlStore<B> {
    async fn close(&self) {
        self.0.close().await;
    }
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(e.to_string())
}

/// A database error as the domain sees it: a broken unique rule is a conflict.
pub(crate) fn db_error(e: sqlx::Error) -> Error {
    if let Some(db) = e.as_database_error() {
        if db.is_unique_violation() {
            return Error::Conflict("that already exists".into());
        }
        if db.is_foreign_key_violation() {
            return Error::Invalid("that refers to something that does not exist".into());
        }
    }
    Error::Internal(e.to_string())
}

/// `db_error`, with a conflict told in the caller's words.
pub(crate) fn conflict_as(e: Error, message: impl FnOnce() -> String) -> Error {
    match e {
        Error::Conflict(_) => Error::Conflict(message()),
        other => other,
    }
}
