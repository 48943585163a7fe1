//! The server backend: PostgreSQL (and what speaks its protocol). Several `orgn serve`
//! processes may share one database: task and cycle numbers come from a row-locked counter
//! in the inserting transaction, jobs are claimed with `FOR UPDATE SKIP LOCKED`, and
//! sessions and tokens live in the database, so any process can serve any request.

mod bulk;
pub mod copy;
mod migrate;
mod search;

use std::str::FromStr;
use std::time::Duration;

use orgn_domain::Error;

use crate::sql::{Backend, SqlStore};
pub(crate) use crate::sql::{db_error, internal};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};

pub use migrate::{MIGRATIONS, MIGRATOR, check_not_newer, known_version};

/// The server store.
pub type PgStore = SqlStore<PgBackend>;

/// PostgreSQL's connection pool.
#[derive(Clone)]
pub struct PgBackend {
    pool: PgPool,
    /// Woken by this process's commits and by `NOTIFY orgn_changes` from any process.
    changes: std::sync::Arc<tokio::sync::Notify>,
}

/// The channel of `NOTIFY`s that say the change feed grew.
const CHANGES_CHANNEL: &str = "orgn_changes";

/// Listens on `CHANGES_CHANNEL` for as long as the pool is open and wakes `signal` on each
/// notification. sqlx's listener reconnects by itself; after a reconnect, or any error, it
/// wakes `signal` too, since notifications may have been missed meanwhile.
fn listen_for_changes(pool: PgPool, signal: std::sync::Arc<tokio::sync::Notify>) {
    tokio::spawn(async move {
        while !pool.is_closed() {
            let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(l) => l,
                Err(_) => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if listener.listen(CHANGES_CHANNEL).await.is_err() {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            loop {
                match listener.try_recv().await {
                    Ok(Some(_)) => signal.notify_one(),
                    // The connection was lost (sqlx reconnects on the next call).
                    Ok(None) => signal.notify_one(),
                    Err(_) => {
                        signal.notify_one();
                        break;
                    }
                }
                if pool.is_closed() {
                    return;
                }
            }
        }
    });
}

/// True for a `postgres://` or `postgresql://` URL.
pub fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

fn options(url: &str) -> Result<PgConnectOptions, Error> {
    PgConnectOptions::from_str(url)
        .map(|o| o.application_name("orgn"))
        .map_err(|e| Error::Invalid(format!("not a usable PostgreSQL URL: {e}")))
}

/// Where a URL points, without its password: for messages.
pub fn describe(url: &str) -> String {
    match PgConnectOptions::from_str(url) {
        Ok(o) => format!(
            "postgres://{}@{}:{}/{}",
            o.get_username(),
            o.get_host(),
            o.get_port(),
            o.get_database().unwrap_or("")
        ),
        Err(_) => "the PostgreSQL URL".into(),
    }
}

impl PgStore {
    /// Connects and applies pending migrations (refusing a newer schema).
    pub async fn open(url: &str) -> Result<PgStore, Error> {
        let store = PgStore::connect(url).await?;
        migrate::run(&store.pool).await?;
        store.analyze_changed_tables().await?;
        Ok(store)
    }

    /// Planner statistics for every table that changed by more than a tenth since it was
    /// last analyzed (a bulk load, an import, `orgn copy`), as the SQLite store's
    /// `PRAGMA optimize` at open. Autovacuum would get there, but not before the first
    /// searches: with a team's task count taken from the statistics of an empty table, a
    /// search at 100k tasks read every task of the team (50 ms instead of 3 ms).
    async fn analyze_changed_tables(&self) -> Result<(), Error> {
        let stale: Vec<String> = sqlx::query_scalar(
            "SELECT relname::text FROM pg_stat_user_tables \
             WHERE schemaname = current_schema() AND n_mod_since_analyze > greatest(n_live_tup, 1000) / 10",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        for table in stale {
            let sql = format!("ANALYZE {}", quote_ident(&table)?);
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&self.pool)
                .await
                .map_err(db_error)?;
        }
        Ok(())
    }

    /// Connects without touching the schema.
    pub async fn connect(url: &str) -> Result<PgStore, Error> {
        let options = options(url)?;
        // One direct connection first: a wrong address or password fails at once with the
        // server's reason, rather than after the pool's acquire timeout.
        let probe = options
            .connect()
            .await
            .map_err(|e| Error::Invalid(format!("cannot connect to {}: {e}", describe(url))))?;
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            // Ten for requests and jobs, one held by the change listener.
            .max_connections(11)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(30))
            .idle_timeout(Duration::from_secs(60))
            .connect_with(options)
            .await
            .map_err(|e| Error::Invalid(format!("cannot connect to {}: {e}", describe(url))))?;
        let changes = std::sync::Arc::new(tokio::sync::Notify::new());
        listen_for_changes(pool.clone(), changes.clone());
        Ok(SqlStore(PgBackend { pool, changes }))
    }

    /// Applies pending migrations; the versions applied.
    pub async fn migrate(&self) -> Result<Vec<i64>, Error> {
        migrate::run(&self.pool).await
    }

    /// The schema versions applied to the database.
    pub async fn schema_versions(&self) -> Result<Vec<i64>, Error> {
        migrate::applied(&self.pool).await
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{database}?{q}"),
        None => format!("{host_part}/{database}"),
    }
}

fn quote_ident(name: &str) -> Result<String, Error> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::Invalid(format!(
            "{name:?} is not a plain database name"
        )));
    }
    Ok(format!("\"{name}\""))
}

/// Creates the database `name` on the server of `url` (connecting to `url`'s database) and
/// returns the URL of the new database. For tests and set-up scripts.
pub async fn create_database(url: &str, name: &str) -> Result<String, Error> {
    let mut conn = options(url)?
        .connect()
        .await
        .map_err(|e| Error::Invalid(format!("cannot connect to {}: {e}", describe(url))))?;
    let sql = format!("CREATE DATABASE {}", quote_ident(name)?);
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .map_err(db_error)?;
    let _ = conn.close().await;
    Ok(with_database(url, name))
}

/// Drops the database `name` (closing other connections to it) if it exists.
pub async fn drop_database(url: &str, name: &str) -> Result<(), Error> {
    let mut conn = options(url)?
        .connect()
        .await
        .map_err(|e| Error::Invalid(format!("cannot connect to {}: {e}", describe(url))))?;
    let sql = format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)?
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .map_err(db_error)?;
    let _ = conn.close().await;
    Ok(())
}

impl crate::sql::PointReads for PgBackend {}
impl crate::sql::ActivityLog for PgBackend {}
impl crate::sql::GroupCommit for PgBackend {}

crate::sql::sqlx_conn!(sqlx::PgConnection, sqlx::Postgres, sqlx::postgres::PgRow);

#[async_trait::async_trait]
impl Backend for PgBackend {
    type Conn = sqlx::PgConnection;
    type Pooled = sqlx::pool::PoolConnection<sqlx::Postgres>;
    type Tx = sqlx::Transaction<'static, sqlx::Postgres>;
    async fn reader(&self) -> Result<Self::Pooled, Error> {
        self.pool.acquire().await.map_err(db_error)
    }
    async fn begin(&self) -> Result<Self::Tx, Error> {
        self.pool.begin().await.map_err(db_error)
    }
    fn change_signal(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.changes.clone()
    }
    /// Held until the commit: appends are serialized, so `seq` follows commit order.
    const FEED_LOCK: Option<&'static str> = Some("SELECT pg_advisory_xact_lock(7231001)");
    const FEED_NOTIFY: Option<&'static str> = Some("SELECT pg_notify('orgn_changes', '')");
    const CLAIM_LOCK: &'static str = " FOR UPDATE SKIP LOCKED";
    const ROW_LOCK: &'static str = " FOR UPDATE";
    const TASK_COLUMNS: &'static str = crate::sql::tasks::task_columns!(
        "(SELECT coalesce(json_agg(json_build_array(l.id, l.name, l.color) ORDER BY l.name, l.id), '[]'::json)::text \
         FROM task_labels tl JOIN labels l ON l.id = tl.label_id WHERE tl.task_id = t.id)"
    );
    /// `+ 0`: an expression no index serves (SQLite's `+t.status_id`).
    const UNINDEXED_STATUS: &'static str = "t.status_id + 0";
    async fn close(&self) {
        self.pool.close().await;
    }
}

/// For other crates' tests, which have no SQL of their own.
pub mod testing {
    use orgn_domain::Error;

    use super::{PgStore, migrate};

    /// Records `version` as applied, as a newer orgn would have.
    pub async fn mark_schema_version(store: &PgStore, version: i64) -> Result<(), Error> {
        migrate::mark_applied(store.pool(), version, "from a newer orgn").await
    }
}

#[cfg(test)]
mod tests {
    use super::search::ts_match;
    use super::*;

    #[test]
    fn search_tiers_become_weighted_terms() {
        use crate::search::Tier;
        let words = ["eng".to_string(), "12".to_string()];
        assert_eq!(
            ts_match(
                "ABCD",
                &words,
                Tier {
                    columns: Some(2),
                    prefix: false
                }
            ),
            "eng:AB & 12:AB"
        );
        assert_eq!(
            ts_match(
                "ABCD",
                &words,
                Tier {
                    columns: None,
                    prefix: false
                }
            ),
            "eng & 12"
        );
        assert_eq!(
            ts_match(
                "AC",
                &words,
                Tier {
                    columns: None,
                    prefix: true
                }
            ),
            "eng:* & 12:*"
        );
    }

    #[test]
    fn a_url_gets_another_database() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "orgn_test_1"),
            "postgres://u@h:5432/orgn_test_1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgresql://h", "x"), "postgresql://h/x");
        assert_eq!(
            describe("postgres://u:secret@h:6543/db"),
            "postgres://u@h:6543/db"
        );
        assert!(quote_ident("bad\"name").is_err());
    }
}
