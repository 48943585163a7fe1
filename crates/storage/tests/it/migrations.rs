//! Migrations on an empty database, on an existing one, and refusal of a newer schema.

use std::path::PathBuf;

use orgn_domain::Error;
use orgn_domain::store::*;
use orgn_storage::SqliteStore;
use orgn_storage::sqlite::{DATABASE_FILE, MIGRATIONS};
use sqlx::sqlite::SqlitePoolOptions;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orgn-migrations-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn raw(dir: &std::path::Path) -> sqlx::SqlitePool {
    let url = format!("sqlite://{}", dir.join(DATABASE_FILE).display());
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_empty_directory_gets_every_migration_once() {
    let dir = temp_dir("empty");
    SqliteStore::open(&dir).await.unwrap().close().await;
    SqliteStore::open(&dir).await.unwrap().close().await;
    let pool = raw(&dir).await;
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(versions, MIGRATIONS.iter().map(|m| m.0).collect::<Vec<_>>());
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
    sqlx::query("INSERT INTO teams (key, name, created_at) VALUES ('ENG', 'Engineering', 0)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    SqliteStore::open(&dir).await.unwrap().close().await;
    let pool = raw(&dir).await;
    let name: String = sqlx::query_scalar("SELECT name FROM teams WHERE key = 'ENG'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(name, "Engineering");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_database_from_a_newer_orgn_is_refused() {
    let dir = temp_dir("newer");
    SqliteStore::open(&dir).await.unwrap().close().await;
    let pool = raw(&dir).await;
    sqlx::query(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    match SqliteStore::open(&dir).await {
        Err(Error::Invalid(msg)) => assert!(msg.contains("newer than this orgn knows"), "{msg}"),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a newer schema must be refused"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
