//! SQLite's migrations: sqlx's migrator over `migrations/sqlite/`, run on the writer's one
//! connection at open (see `crate::migrate` for the bookkeeping and the bridge from the
//! hand-written migrator). A database that has a migration this binary does not know is
//! newer than the binary: we refuse to run on it rather than guess.

use std::sync::LazyLock;

use orgn_domain::Error;
use sqlx::SqlitePool;
use sqlx::migrate::Migrator;

use super::db_error;
use crate::migrate::{self, Dialect};

/// The embedded migrations, one file each, numbered as the PostgreSQL ones.
pub static MIGRATOR: LazyLock<Migrator> =
    LazyLock::new(|| migrate::in_orgn_table(sqlx_macros::migrate!("migrations/sqlite")));

/// (version, description, SQL) of `MIGRATOR`'s migrations, oldest first.
pub static MIGRATIONS: LazyLock<Vec<(i64, &'static str, &'static str)>> =
    LazyLock::new(|| migrate::listing(&MIGRATOR));

const SQLITE: Dialect = Dialect {
    begin: "BEGIN IMMEDIATE",
    old_table: "SELECT count(*) AS n FROM pragma_table_info('schema_migrations') WHERE name = 'applied_at'",
    installed_on: "datetime($1 / 1000, 'unixepoch')",
};

/// Applies the pending migrations (refusing a newer schema); the versions it applied.
pub async fn run(pool: &SqlitePool) -> Result<Vec<i64>, Error> {
    let mut conn = pool.acquire().await.map_err(db_error)?;
    migrate::run(&mut *conn, &MIGRATOR, &SQLITE).await
}
