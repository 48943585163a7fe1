//! PostgreSQL's migrations: sqlx's migrator over `migrations/postgres/`, the same versions
//! as SQLite's (see `crate::migrate` for the bookkeeping and the bridge from the
//! hand-written migrator). Several `orgn serve` processes may start at once on one
//! database, so the whole run, bridge included, holds sqlx's advisory lock. A database that
//! has a migration this binary does not know is newer than the binary: we refuse to run on it.

use std::sync::LazyLock;

use orgn_domain::Error;
use sqlx::PgPool;
use sqlx::migrate::{Migrate, Migrator};

use super::db_error;
pub use crate::migrate::check_not_newer;
use crate::migrate::{self, Dialect, TABLE};

/// The embedded migrations, one file each, numbered as the SQLite ones.
pub static MIGRATOR: LazyLock<Migrator> =
    LazyLock::new(|| migrate::in_orgn_table(sqlx_macros::migrate!("migrations/postgres")));

/// (version, description, SQL): the same versions as `sqlite::MIGRATIONS`, one for one.
pub static MIGRATIONS: LazyLock<Vec<(i64, &'static str, &'static str)>> =
    LazyLock::new(|| migrate::listing(&MIGRATOR));

/// The advisory lock key of the hand-written migrator ("orgn" in ASCII): also taken, so
/// that an older orgn still migrating the same database finishes before the bridge reads
/// its table.
const OLD_LOCK_KEY: i64 = 0x6f72_676e;

const POSTGRES: Dialect = Dialect {
    begin: "BEGIN",
    old_table: "SELECT count(*) AS n FROM information_schema.columns \
                WHERE table_schema = current_schema() AND table_name = 'schema_migrations' \
                AND column_name = 'applied_at'",
    installed_on: "to_timestamp($1::float8 / 1000)",
};

/// The newest version this binary knows.
pub fn known_version() -> i64 {
    migrate::known_version(&MIGRATOR)
}

/// The versions applied so far (empty on a new database). Reads the old table as well as
/// sqlx's: both have `version`.
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

/// Applies the pending migrations (refusing a newer schema); the versions it applied.
pub async fn run(pool: &PgPool) -> Result<Vec<i64>, Error> {
    let mut conn = pool.acquire().await.map_err(db_error)?;
    // sqlx's own lock (per database), which its migrator takes again (advisory locks
    // stack within a session): one process at a time from the bridge to the last migration.
    conn.lock().await.map_err(migrate::migrate_error)?;
    let result = run_locked(&mut conn).await;
    // sqlx's migrator returns on an error without unlocking: release every level at once.
    let unlocked = sqlx::query("SELECT pg_advisory_unlock_all()")
        .execute(&mut *conn)
        .await;
    if unlocked.is_err() {
        // A session's advisory locks end with it.
        conn.close_on_drop();
    }
    result
}

async fn run_locked(conn: &mut sqlx::PgConnection) -> Result<Vec<i64>, Error> {
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(OLD_LOCK_KEY)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    migrate::run(&mut *conn, &MIGRATOR, &POSTGRES).await
}

/// Records `version` as applied, as a newer orgn would have (for tests).
pub async fn mark_applied(pool: &PgPool, version: i64, description: &str) -> Result<(), Error> {
    let sql = format!(
        "INSERT INTO {TABLE} (version, description, success, checksum, execution_time) \
         VALUES ($1, $2, TRUE, '\\x'::bytea, -1)"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(version)
        .bind(description)
        .execute(pool)
        .await
        .map_err(db_error)?;
    Ok(())
}
