//! Migrations on an empty database, on an existing one, refusal of a newer schema, and the
//! bridge from the hand-written migrator's bookkeeping (`schema_migrations (version, name,
//! applied_at)`, as main wrote it before sqlx) into sqlx's, on SQLite and PostgreSQL.

use std::path::{Path, PathBuf};

use orgn_domain::Error;
use orgn_domain::model::BulkChangeId;
use orgn_domain::store::*;
use orgn_storage::sqlite::{DATABASE_FILE, MIGRATIONS};
use orgn_storage::{PgStore, SqliteStore};
use sqlx::sqlite::SqlitePoolOptions;

use super::postgres::{fresh, server};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orgn-migrations-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn raw(dir: &Path) -> sqlx::SqlitePool {
    std::fs::create_dir_all(dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join(DATABASE_FILE).display());
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap()
}

fn all_versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|m| m.0).collect()
}

/// The newest migration this orgn has.
fn latest() -> i64 {
    *all_versions().last().unwrap()
}

/// The last version main's hand-written migrator applied before sqlx's took over; later
/// ones are applied by sqlx's migrator when such a database is opened.
const HAND_WRITTEN_LAST: i64 = 6;

/// For each version, whether the bridge kept the hand-written migrator's record of it (the
/// versions up to `until`) or sqlx's migrator applied it later.
fn bridged_until(until: i64) -> Vec<bool> {
    all_versions().into_iter().map(|v| v <= until).collect()
}

/// When the hand-written migrator applied every old migration: 2023-11-14 22:13:20 UTC.
const APPLIED_AT: i64 = 1_700_000_000_000;
const APPLIED_AT_TEXT: &str = "2023-11-14 22:13:20";

/// What main's hand-written migrator ran to bring a database of `dialect` to `version`:
/// its table (`create`), then each migration file (read from the directory, not through
/// the code under test) and its bookkeeping row, in one transaction each.
fn hand_written_migrations(dialect: &str, create: &str, version: i64) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dialect);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut script = format!("{create};\n");
    for path in files {
        let stem = path.file_stem().unwrap().to_str().unwrap();
        let (number, name) = stem.split_once('_').unwrap();
        let number: i64 = number.parse().unwrap();
        if number > version {
            break;
        }
        let sql = std::fs::read_to_string(&path).unwrap();
        script.push_str(&format!(
            "BEGIN;\n{sql}\nINSERT INTO schema_migrations (version, name, applied_at) \
             VALUES ({number}, '{name}', {APPLIED_AT});\nCOMMIT;\n"
        ));
    }
    script
}

/// A SQLite database as main's migrator left it, at `version`.
async fn old_sqlite_database(dir: &Path, version: i64) -> sqlx::SqlitePool {
    let create = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";
    let pool = raw(dir).await;
    let script = hand_written_migrations("sqlite", create, version);
    sqlx::raw_sql(sqlx::AssertSqlSafe(script))
        .execute(&pool)
        .await
        .unwrap();
    pool
}

async fn add_team(pool: &sqlx::SqlitePool) {
    sqlx::query("INSERT INTO teams (key, name, created_at) VALUES ('ENG', 'Engineering', 0)")
        .execute(pool)
        .await
        .unwrap();
}

/// sqlx's bookkeeping on SQLite: (version, success, checksum length, installed_on).
async fn sqlite_bookkeeping(dir: &Path) -> Vec<(i64, bool, i64, String)> {
    let pool = raw(dir).await;
    let rows = sqlx::query_as("SELECT version, success, length(checksum), installed_on FROM schema_migrations ORDER BY version")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    rows
}

fn expect_newer_refused<T>(opened: Result<T, Error>) {
    match opened {
        Err(Error::Invalid(msg)) => assert!(msg.contains("newer than this orgn knows"), "{msg}"),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a newer schema must be refused"),
    }
}

#[tokio::test]
async fn an_empty_directory_gets_every_migration_once() {
    let dir = temp_dir("empty");
    SqliteStore::open(&dir).await.unwrap().close().await;
    SqliteStore::open(&dir).await.unwrap().close().await;
    let rows = sqlite_bookkeeping(&dir).await;
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), all_versions());
    assert_eq!(
        all_versions(),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
    );
    assert!(rows.iter().all(|r| r.1 && r.2 == 48), "{rows:?}");
    let pool = raw(&dir).await;
    let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('tasks', 'task_fts', 'personal_tokens')")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(tables, 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_existing_database_keeps_its_data() {
    let dir = temp_dir("existing");
    SqliteStore::open(&dir).await.unwrap().close().await;
    let pool = raw(&dir).await;
    add_team(&pool).await;
    pool.close().await;
    let store = SqliteStore::open(&dir).await.unwrap();
    let team = store.team_by_key("ENG").await.unwrap().unwrap();
    assert_eq!(team.name, "Engineering");
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_database_from_a_newer_orgn_is_refused() {
    let dir = temp_dir("newer");
    SqliteStore::open(&dir).await.unwrap().close().await;
    let pool = raw(&dir).await;
    sqlx::query("INSERT INTO schema_migrations (version, description, success, checksum, execution_time) VALUES (9999, 'future', 1, x'00', -1)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    expect_newer_refused(SqliteStore::open(&dir).await);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_migration_changed_after_it_was_applied_is_refused() {
    let dir = temp_dir("changed");
    SqliteStore::open(&dir).await.unwrap().close().await;
    let pool = raw(&dir).await;
    sqlx::query("UPDATE schema_migrations SET checksum = zeroblob(48) WHERE version = 2")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    match SqliteStore::open(&dir).await {
        Err(Error::Invalid(msg)) => assert!(msg.contains("migration 2"), "{msg}"),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a changed migration must be refused"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_database_made_by_the_hand_written_migrator_opens_with_its_history() {
    let dir = temp_dir("bridge");
    let pool = old_sqlite_database(&dir, HAND_WRITTEN_LAST).await;
    add_team(&pool).await;
    pool.close().await;
    // The first open converts the bookkeeping and runs sqlx's migrator, which checks every
    // applied migration's checksum against its file; the second checks them again.
    for _ in 0..2 {
        let store = SqliteStore::open(&dir).await.unwrap();
        let team = store.team_by_key("ENG").await.unwrap().unwrap();
        assert_eq!(team.name, "Engineering");
        store.close().await;
    }
    let rows = sqlite_bookkeeping(&dir).await;
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), all_versions());
    assert!(rows.iter().all(|r| r.1 && r.2 == 48), "{rows:?}");
    let bridged: Vec<bool> = rows.iter().map(|r| r.3 == APPLIED_AT_TEXT).collect();
    assert_eq!(bridged, bridged_until(HAND_WRITTEN_LAST));
    let pool = raw(&dir).await;
    let old_column: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pragma_table_info('schema_migrations') WHERE name = 'applied_at'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(old_column, 0, "the old table is gone");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_older_hand_written_database_gets_the_migrations_it_lacks() {
    let dir = temp_dir("bridge-older");
    old_sqlite_database(&dir, 3).await.close().await;
    let store = SqliteStore::open(&dir).await.unwrap();
    // Migration 5 made this table; the store's bulk operations read it.
    assert!(
        store
            .bulk_change(BulkChangeId::new(1))
            .await
            .unwrap()
            .is_none()
    );
    store.close().await;
    let rows = sqlite_bookkeeping(&dir).await;
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), all_versions());
    let bridged: Vec<bool> = rows.iter().map(|r| r.3 == APPLIED_AT_TEXT).collect();
    assert_eq!(bridged, bridged_until(3));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_hand_written_database_from_a_newer_orgn_is_refused_and_left_alone() {
    let dir = temp_dir("bridge-newer");
    let pool = old_sqlite_database(&dir, 6).await;
    sqlx::query(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    expect_newer_refused(SqliteStore::open(&dir).await);
    let pool = raw(&dir).await;
    let old_rows: i64 = sqlx::query_scalar("SELECT count(applied_at) FROM schema_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(old_rows, 7, "the old bookkeeping is untouched");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A PostgreSQL database as main's migrator left it, at `version`.
async fn old_postgres_database(url: &str, version: i64) {
    let create = "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let script = hand_written_migrations("postgres", create, version);
    sqlx::raw_sql(sqlx::AssertSqlSafe(script))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// sqlx's bookkeeping on PostgreSQL: (version, success, checksum length, installed_on in
/// unix millis).
async fn postgres_bookkeeping(store: &PgStore) -> Vec<(i64, bool, i32, i64)> {
    sqlx::query_as("SELECT version, success, length(checksum), (extract(epoch from installed_on) * 1000)::bigint FROM schema_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_postgres_database_made_by_the_hand_written_migrator_opens_with_its_history() {
    let Some(server) = server() else { return };
    let (url, name) = fresh(&server, "bridge").await;
    old_postgres_database(&url, HAND_WRITTEN_LAST).await;
    let store = PgStore::connect(&url).await.unwrap();
    sqlx::query("INSERT INTO teams (key, name, created_at) VALUES ('ENG', 'Engineering', 0)")
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    for _ in 0..2 {
        let store = PgStore::open(&url).await.unwrap();
        let team = store.team_by_key("ENG").await.unwrap().unwrap();
        assert_eq!(team.name, "Engineering");
        assert_eq!(store.schema_versions().await.unwrap(), all_versions());
        let rows = postgres_bookkeeping(&store).await;
        assert!(rows.iter().all(|r| r.1 && r.2 == 48), "{rows:?}");
        let bridged: Vec<bool> = rows.iter().map(|r| r.3 == APPLIED_AT).collect();
        assert_eq!(bridged, bridged_until(HAND_WRITTEN_LAST));
        store.close().await;
    }
    orgn_storage::postgres::drop_database(&server, &name)
        .await
        .unwrap();
}

#[tokio::test]
async fn postgres_processes_starting_at_once_on_a_hand_written_database_bridge_it_once() {
    let Some(server) = server() else { return };
    let (url, name) = fresh(&server, "bridge_race").await;
    old_postgres_database(&url, 3).await;
    let opens: Vec<_> = (0..6)
        .map(|_| {
            tokio::spawn({
                let url = url.clone();
                async move { PgStore::open(&url).await }
            })
        })
        .collect();
    for open in opens {
        open.await
            .unwrap()
            .expect("every process starts")
            .close()
            .await;
    }
    let store = PgStore::connect(&url).await.unwrap();
    let rows = postgres_bookkeeping(&store).await;
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), all_versions());
    let bridged: Vec<bool> = rows.iter().map(|r| r.3 == APPLIED_AT).collect();
    assert_eq!(bridged, bridged_until(3));
    store.close().await;
    orgn_storage::postgres::drop_database(&server, &name)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_hand_written_postgres_database_from_a_newer_orgn_is_refused_and_left_alone() {
    let Some(server) = server() else { return };
    let (url, name) = fresh(&server, "bridge_newer").await;
    old_postgres_database(&url, HAND_WRITTEN_LAST).await;
    let store = PgStore::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    expect_newer_refused(PgStore::open(&url).await);
    expect_newer_refused(orgn_storage::open(&url).await);
    let old_rows: i64 = sqlx::query_scalar("SELECT count(applied_at) FROM schema_migrations")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(old_rows, 7, "the old bookkeeping is untouched");
    store.close().await;
    orgn_storage::postgres::drop_database(&server, &name)
        .await
        .unwrap();
}

/// `orgn copy`'s check of its source, which reads the same bookkeeping table: it runs
/// before the target is opened, so an unreachable target shows that the check passed.
async fn copy_source_check(dir: &Path) -> String {
    let unreachable = "postgres://nobody@127.0.0.1:1/none";
    match orgn_storage::postgres::copy::copy(dir, unreachable, &|_| {}).await {
        Err(Error::Invalid(msg)) => msg,
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("nothing to copy into"),
    }
}

#[tokio::test]
async fn copy_takes_a_source_at_this_version_in_either_bookkeeping_and_refuses_another() {
    let hand_written = temp_dir("copy-hand-written");
    old_sqlite_database(&hand_written, latest())
        .await
        .close()
        .await;
    let sqlx_made = temp_dir("copy-sqlx");
    SqliteStore::open(&sqlx_made).await.unwrap().close().await;
    for dir in [&hand_written, &sqlx_made] {
        let msg = copy_source_check(dir).await;
        assert!(msg.starts_with("cannot connect"), "{msg}");
    }
    let older = temp_dir("copy-older");
    old_sqlite_database(&older, 3).await.close().await;
    let msg = copy_source_check(&older).await;
    assert!(
        msg.contains(&format!(
            "has schema version 3, this orgn copies version {}",
            latest()
        )),
        "{msg}"
    );
    let pool = raw(&sqlx_made).await;
    sqlx::query("INSERT INTO schema_migrations (version, description, success, checksum, execution_time) VALUES ($1, 'future', 1, x'00', -1)")
        .bind(latest() + 1)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let msg = copy_source_check(&sqlx_made).await;
    assert!(
        msg.contains(&format!("has schema version {}", latest() + 1))
            && msg.contains("upgrade orgn"),
        "{msg}"
    );
    for dir in [hand_written, sqlx_made, older] {
        let _ = std::fs::remove_dir_all(dir);
    }
}
