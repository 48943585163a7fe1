//! Embedded migrations, applied in order at start, each in its own transaction.
//! A database that has a migration this binary does not know is newer than the binary:
//! we refuse to run on it rather than guess.

use orgn_domain::Error;
use sqlx::SqlitePool;

use super::db_error;

pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "trash_jobs_conversations",
        include_str!("../../migrations/sqlite/0002_trash_jobs_conversations.sql"),
    ),
    (
        3,
        "progress_counters",
        include_str!("../../migrations/sqlite/0003_progress_counters.sql"),
    ),
    (
        4,
        "search_index_memory",
        include_str!("../../migrations/sqlite/0004_search_index_memory.sql"),
    ),
    (
        5,
        "bulk_changes",
        include_str!("../../migrations/sqlite/0005_bulk_changes.sql"),
    ),
    (
        6,
        "conversation_hold",
        include_str!("../../migrations/sqlite/0006_conversation_hold.sql"),
    ),
];

pub async fn run(pool: &SqlitePool) -> Result<(), Error> {
    sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)")
        .execute(pool)
        .await
        .map_err(db_error)?;
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(pool)
            .await
            .map_err(db_error)?;
    let known = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
    if let Some(newest) = applied.iter().max().filter(|v| **v > known) {
        return Err(Error::Invalid(format!(
            "the database has schema version {newest}, newer than this orgn knows ({known}); upgrade orgn"
        )));
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| !applied.contains(&m.0)) {
        let mut tx = pool.begin().await.map_err(db_error)?;
        sqlx::raw_sql(*sql)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, strftime('%s','now') * 1000)")
            .bind(version)
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        tracing::info!(version, name, "applied migration");
    }
    Ok(())
}
