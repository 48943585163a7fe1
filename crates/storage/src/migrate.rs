//! Schema migrations, the same way on both backends: sqlx's migrator (`sqlx::migrate!`'s
//! macro over `migrations/<dialect>/`, one migration per file, each in its own transaction
//! with its bookkeeping row and a checksum of its file), plus what Orgn adds around it:
//! - **the bookkeeping table keeps its name, `schema_migrations`** (sqlx's default is
//!   `_sqlx_migrations`), in sqlx's shape. `orgn copy` reads a SQLite source's version from
//!   that table and leaves it out of the copy, and an older orgn opened on a newer database
//!   still finds its version list there and refuses it (rather than running migration 1
//!   again on existing tables);
//! - **the bridge**: a database made before sqlx (the hand-written migrator's
//!   `schema_migrations (version, name, applied_at)`) is converted on first open, in one
//!   transaction, into sqlx's table: the same versions, with the checksums of the embedded
//!   files (the very files the old migrator applied, so their content must never change:
//!   sqlx now checks it at every open) and the old times of application;
//! - **a newer schema is refused** with Orgn's message before sqlx runs (sqlx would say
//!   "migration N was previously applied but is missing").
//!
//! Each backend's `migrate.rs` gives its dialect, takes its locks (PostgreSQL's advisory
//! locks; the bridge takes SQLite's write lock) and calls `run`.

use orgn_domain::{Error, Result};
use sqlx::Connection;
use sqlx::migrate::{Migrate, MigrateError, Migrator};

use crate::rows::RowExt;
use crate::sql::{Conn, Sql, db_error};

/// The bookkeeping table, on both backends.
pub(crate) const TABLE: &str = "schema_migrations";

/// What differs between the dialects in the bridge.
pub(crate) struct Dialect {
    /// Starts the bridge's transaction (SQLite takes its write lock at once: two processes
    /// opening one file must not both convert the table).
    pub begin: &'static str,
    /// One row, `n`: 1 when `schema_migrations` has the old table's `applied_at` column.
    pub old_table: &'static str,
    /// `$1` (unix milliseconds) as a value of sqlx's `installed_on` column.
    pub installed_on: &'static str,
}

/// `migrator` with its bookkeeping in `TABLE`.
pub(crate) fn in_orgn_table(mut migrator: Migrator) -> Migrator {
    migrator.dangerous_set_table_name(TABLE);
    migrator
}

/// The newest version `migrator` knows.
pub(crate) fn known_version(migrator: &Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// `(version, description, SQL)` of every migration, oldest first.
pub(crate) fn listing(migrator: &'static Migrator) -> Vec<(i64, &'static str, &'static str)> {
    migrator
        .iter()
        .map(|m| (m.version, &*m.description, m.sql.as_str()))
        .collect()
}

/// Refuses a database whose schema is newer than this binary's.
pub fn check_not_newer(applied: &[i64], known: i64) -> Result<()> {
    match applied.iter().max().filter(|v| **v > known) {
        Some(newest) => Err(Error::Invalid(format!(
            "the database has schema version {newest}, newer than this orgn knows ({known}); upgrade orgn"
        ))),
        None => Ok(()),
    }
}

pub(crate) fn migrate_error(e: MigrateError) -> Error {
    Error::Invalid(format!("cannot migrate the database: {e}"))
}

/// Bridges old bookkeeping, refuses a newer schema and runs sqlx's migrator on `conn`;
/// the versions it applied. Called with the backend's locks held.
pub(crate) async fn run<C>(
    conn: &mut C,
    migrator: &'static Migrator,
    dialect: &'static Dialect,
) -> Result<Vec<i64>>
where
    C: Conn + Migrate + Connection,
    C::Database: sqlx::Database<Connection = C>,
{
    bridge(conn, migrator, dialect).await?;
    conn.ensure_migrations_table(TABLE)
        .await
        .map_err(migrate_error)?;
    let before = versions(conn).await?;
    check_not_newer(&before, known_version(migrator))?;
    // `run_direct` rather than `run`: `run` takes an `Acquire`, and a `&mut` connection as
    // one makes `PgStore::open`'s future "not general enough" to be `Send` (sqlx's own
    // note); the connection must be this one, which holds the locks.
    migrator
        .run_direct(None, conn, false)
        .await
        .map_err(migrate_error)?;
    let done: Vec<i64> = versions(conn)
        .await?
        .into_iter()
        .filter(|v| !before.contains(v))
        .collect();
    for version in &done {
        tracing::info!(version, "applied migration");
    }
    Ok(done)
}

async fn versions<C: Conn>(conn: &mut C) -> Result<Vec<i64>> {
    let sql = format!("SELECT version FROM {TABLE} ORDER BY version");
    conn.rows(Sql::new(sql))
        .await?
        .iter()
        .map(|r| r.int("version"))
        .collect()
}

/// Converts the hand-written migrator's table into sqlx's, in one transaction; does
/// nothing on a database without it (new, or already converted).
async fn bridge<C>(
    conn: &mut C,
    migrator: &'static Migrator,
    dialect: &'static Dialect,
) -> Result<()>
where
    C: Conn + Migrate + Connection,
    C::Database: sqlx::Database<Connection = C>,
{
    let begin = sqlx::SqlStr::from_static(dialect.begin);
    let mut tx = conn.begin_with(begin).await.map_err(db_error)?;
    let c: &mut C = &mut tx;
    if c.int(Sql::new(dialect.old_table), "n").await? != Some(1) {
        return Ok(());
    }
    let sql = format!("SELECT version, applied_at FROM {TABLE} ORDER BY version");
    let applied: Vec<(i64, i64)> = c
        .rows(Sql::new(sql))
        .await?
        .iter()
        .map(|r| Ok((r.int("version")?, r.int("applied_at")?)))
        .collect::<Result<_>>()?;
    let versions: Vec<i64> = applied.iter().map(|a| a.0).collect();
    check_not_newer(&versions, known_version(migrator))?;
    let mut bridged = Vec::new();
    for (version, applied_at) in applied {
        let Some(migration) = migrator.iter().find(|m| m.version == version) else {
            return Err(Error::Invalid(format!(
                "the database has schema version {version}, which this orgn does not know"
            )));
        };
        bridged.push((migration, applied_at));
    }
    c.execute(Sql::new(format!("DROP TABLE {TABLE}"))).await?;
    c.ensure_migrations_table(TABLE)
        .await
        .map_err(migrate_error)?;
    let set_time = format!(
        "UPDATE {TABLE} SET installed_on = {} WHERE version = $2",
        dialect.installed_on
    );
    for (migration, applied_at) in bridged {
        // sqlx's own row for a migration applied without running it: version,
        // description, checksum of the file.
        c.skip(TABLE, migration).await.map_err(migrate_error)?;
        let set = Sql::new(set_time.clone())
            .arg(applied_at)
            .arg(migration.version);
        c.execute(set).await?;
    }
    tx.commit().await.map_err(db_error)?;
    tracing::info!(versions = ?versions, "moved the migration bookkeeping to sqlx's table");
    Ok(())
}
