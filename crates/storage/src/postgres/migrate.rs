//! Embedded migrations in PostgreSQL's dialect, the same list shape as SQLite's: applied in
//! order, each in its own transaction. Several `orgn serve` processes may start at once on
//! one database, so the whole run holds an advisory lock. A database that has a migration
//! this binary does not know is newer than the binary: we refuse to run on it.

use orgn_domain::Error;
use sqlx::{Acquire, PgPool};

use super::db_error;

/// (version, name, SQL): the same versions and names as `sqlite::MIGRATIONS`, one for one.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../../migrations/postgres/0001_initial.sql"),
    ),
    (
        2,
        "trash_jobs_conversations",
        include_str!("../../migrations/postgres/0002_trash_jobs_conversations.sql"),
    ),
    (
        3,
        "progress_counters",
        include_str!("../../migrations/postgres/0003_progress_counters.sql"),
    ),
    (
        4,
        "search_index_memory",
        include_str!("../../migrations/postgres/0004_search_index_memory.sql"),
    ),
    (
        5,
        "bulk_changes",
        include_str!("../../migrations/postgres/0005_bulk_changes.sql"),
    ),
    (
        6,
        "conversation_hold",
        include_str!("../../migrations/postgres/0006_conversation_hold.sql"),
    ),
];

/// The advisory lock key of migration runs ("orgn" in ASCII).
const LOCK_KEY: i64 = 0x6f72_676e;

/// The newest version this binary knows.
pub fn known_version() -> i64 {
    MIGRATIONS.last().map(|m| m.0).unwrap_or(0)
}

/// Refuses a database whose schema is newer than this binary's.
pub fn check_not_newer(applied: &[i64], known: i64) -> Result<(), Error> {
    match applied.iter().max().filter(|v| **v > known) {
        Some(newest) => Err(Error::Invalid(format!(
            "the database has schema version {newest}, newer than this orgn knows ({known}); upgrade orgn"
        ))),
        None => Ok(()),
    }
}

/// The versions applied so far (empty on a new database).
pub async fn applied(pool: &PgPool) -> Result<Vec<i64>, Error> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('schema_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await
        .map_err(db_error)?;
    if !exists {
        return Ok(vec![]);
    }
    sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(pool)
        .await
        .map_err(db_error)
}

/// Applies the pending migrations; returns the versions it applied.
pub async fn run(pool: &PgPool) -> Result<Vec<i64>, Error> {
    let mut conn = pool.acquire().await.map_err(db_error)?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    let result = run_locked(&mut conn).await;
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *conn)
        .await;
    result
}

async fn run_locked(conn: &mut sqlx::PgConnection) -> Result<Vec<i64>, Error> {
    // Checked first rather than CREATE ... IF NOT EXISTS, whose notice would be logged.
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('schema_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error)?;
    if !exists {
        sqlx::query("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .map_err(db_error)?;
    check_not_newer(&applied, known_version())?;
    let mut done = Vec::new();
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| !applied.contains(&m.0)) {
        let mut tx = conn.begin().await.map_err(db_error)?;
        sqlx::raw_sql(*sql)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, (extract(epoch from now()) * 1000)::bigint)")
            .bind(version)
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        tracing::info!(version, name, "applied migration");
        done.push(*version);
    }
    Ok(done)
}
