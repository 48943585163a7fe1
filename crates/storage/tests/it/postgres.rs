//! The PostgreSQL store on a real server: migrations (empty, existing, newer refused,
//! several processes starting at once) and jobs claimed by exactly one process.
//! Needs `ORGN_TEST_DATABASE_URL` (scripts/test starts a throwaway server); without it the
//! tests are skipped with a notice, unless `ORGN_TEST_BACKEND=postgres` asks for PostgreSQL.

use std::collections::BTreeMap;

use orgn_domain::Error;
use orgn_domain::model::*;
use orgn_domain::store::*;
use orgn_storage::PgStore;
use orgn_storage::postgres::{MIGRATIONS, create_database, drop_database};
use sqlx::Row;
use time::OffsetDateTime;

pub(super) fn server() -> Option<String> {
    if std::env::var("ORGN_TEST_BACKEND").is_ok_and(|b| b == "sqlite") {
        // scripts/test runs these once, in its PostgreSQL pass.
        return None;
    }
    let url = std::env::var("ORGN_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        if std::env::var("ORGN_TEST_BACKEND").is_ok_and(|b| b == "postgres") {
            panic!(
                "ORGN_TEST_BACKEND=postgres needs ORGN_TEST_DATABASE_URL (scripts/test sets it)"
            );
        }
        // Written to stderr directly, past the test harness's capture, so the skip is seen.
        let _ = std::io::Write::write_all(&mut std::io::stderr(), "NOTICE: PostgreSQL store tests skipped: set ORGN_TEST_DATABASE_URL=postgres://… (scripts/test does)\n".as_bytes());
    }
    url
}

/// A fresh database; its URL and name.
pub(super) async fn fresh(server: &str, name: &str) -> (String, String) {
    let name = format!("orgn_store_{}_{name}", std::process::id());
    drop_database(server, &name).await.unwrap();
    (create_database(server, &name).await.unwrap(), name)
}

#[tokio::test]
async fn an_empty_database_gets_every_migration_once() {
    let Some(server) = server() else { return };
    let (url, name) = fresh(&server, "empty").await;
    PgStore::open(&url).await.unwrap().close().await;
    let store = PgStore::open(&url).await.unwrap();
    let versions = store.schema_versions().await.unwrap();
    assert_eq!(versions, MIGRATIONS.iter().map(|m| m.0).collect::<Vec<_>>());
    assert_eq!(
        versions,
        orgn_storage::sqlite::MIGRATIONS
            .iter()
            .map(|m| m.0)
            .collect::<Vec<_>>(),
        "one for one with SQLite"
    );
    let indexes: Vec<String> = sqlx::query_scalar("SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%USING gin (search_vector)%' ORDER BY 1")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(indexes, ["docs_search", "tasks_search"]);
    store.close().await;
    drop_database(&server, &name).await.unwrap();
}

#[tokio::test]
async fn several_processes_starting_at_once_migrate_once() {
    let Some(server) = server() else { return };
    let (url, name) = fresh(&server, "race").await;
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
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM schema_migrations")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(count, MIGRATIONS.len() as i64);
    store.close().await;
    drop_database(&server, &name).await.unwrap();
}

#[tokio::test]
async fn an_existing_database_keeps_its_data_and_a_newer_one_is_refused() {
    let Some(server) = server() else { return };
    let (url, name) = fresh(&server, "existing").await;
    let store = PgStore::open(&url).await.unwrap();
    sqlx::query("INSERT INTO teams (key, name, created_at) VALUES ('ENG', 'Engineering', 0)")
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    let store = PgStore::open(&url).await.unwrap();
    assert_eq!(
        store.team_by_key("ENG").await.unwrap().unwrap().name,
        "Engineering"
    );
    orgn_storage::postgres::testing::mark_schema_version(&store, 9999)
        .await
        .unwrap();
    store.close().await;
    match PgStore::open(&url).await {
        Err(Error::Invalid(msg)) => assert!(msg.contains("newer than this orgn knows"), "{msg}"),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a newer schema must be refused"),
    }
    match orgn_storage::open(&url).await {
        Err(Error::Invalid(msg)) => assert!(msg.contains("newer than this orgn knows"), "{msg}"),
        _ => panic!("orgn_storage::open must refuse a newer schema too"),
    }
    drop_database(&server, &name).await.unwrap();
}

#[tokio::test]
async fn a_bad_url_or_an_unreachable_server_is_a_clear_error() {
    let Err(Error::Invalid(msg)) = PgStore::open("postgres://nobody@127.0.0.1:1/none").await else {
        panic!("must fail")
    };
    assert!(
        msg.starts_with("cannot connect to postgres://nobody@127.0.0.1:1/none"),
        "{msg}"
    );
    let Err(Error::Invalid(msg)) = PgStore::open("postgres://u:secret@127.0.0.1:1/none").await
    else {
        panic!("must fail")
    };
    assert!(
        !msg.contains("secret"),
        "the password stays out of messages: {msg}"
    );
}

#[tokio::test]
async fn each_job_is_claimed_by_exactly_one_process() {
    let Some(server) = server() else { return };
    let (url, name) = fresh(&server, "jobs").await;
    let a = PgStore::open(&url).await.unwrap();
    let b = PgStore::open(&url).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let user = a
        .create_user(NewUser {
            email: "a@orgn.test".into(),
            name: "A".into(),
            handle: "a".into(),
            password_hash: "x".into(),
            is_admin: false,
            now,
        })
        .await
        .unwrap();
    let mut created = Vec::new();
    for _ in 0..40 {
        created.push(
            a.create_job(user.id, JobKind::Export, "{}", now)
                .await
                .unwrap(),
        );
    }
    let stale = now - time::Duration::minutes(5);
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let store = if w % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while let Some(job) = store
                    .claim_job(&format!("worker-{w}"), now, stale)
                    .await
                    .unwrap()
                {
                    mine.push(job.id);
                }
                mine
            })
        })
        .collect();
    let mut claims: BTreeMap<JobId, usize> = BTreeMap::new();
    for w in workers {
        for id in w.await.unwrap() {
            *claims.entry(id).or_default() += 1;
        }
    }
    assert_eq!(claims.keys().copied().collect::<Vec<_>>(), created);
    assert!(claims.values().all(|n| *n == 1), "{claims:?}");
    // A job whose owner stopped beating is taken over by another process.
    let later = now + time::Duration::minutes(10);
    let taken = b
        .claim_job("worker-b", later, later - time::Duration::minutes(1))
        .await
        .unwrap()
        .expect("a stale job is taken over");
    let owner: String = sqlx::query("SELECT owner FROM jobs WHERE id = $1")
        .bind(taken.id.get())
        .fetch_one(b.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(owner, "worker-b");
    a.close().await;
    b.close().await;
    drop_database(&server, &name).await.unwrap();
}
