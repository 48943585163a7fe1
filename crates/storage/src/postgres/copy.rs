//! `orgn copy`: moves a workspace from the embedded SQLite file to an empty PostgreSQL
//! database, keeping every id, then proves it: the row count and a checksum of every table,
//! computed from the source while reading it and from the target after the copy.
//!
//! The source is read in one read transaction (a consistent snapshot even while a server
//! runs on it); the target is written and verified in one transaction, committed only when
//! every table matches (nothing half-copied or mismatched is left behind). Identity sequences are moved past the copied ids and the search vectors are
//! computed afterwards. A source table or column this code does not know stops the copy
//! before anything is written, so nothing can be silently left behind.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use orgn_domain::Error;
use orgn_domain::secrets::digest;
use sqlx::postgres::PgRow;
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{ConnectOptions, Connection, Postgres, QueryBuilder, Row, SqliteConnection};

use super::search::{DOC_VECTOR, TASK_VECTOR};
use super::{PgStore, db_error, known_version};

/// Every table of the workspace, parents before children, with its columns: `name` is an
/// integer, `name:t` text, `name:b` a flag (0/1 in SQLite, BOOLEAN here), `name:x` bytes.
/// The first column is the key that pages are read by when it is `id`.
pub const TABLES: &[(&str, &str)] = &[
    (
        "users",
        "id email:t name:t password_hash:t is_admin:b created_at single_key_shortcuts:b handle:t",
    ),
    (
        "teams",
        "id key:t name:t task_counter cycle_counter created_at",
    ),
    ("memberships", "team_id user_id role:t"),
    ("statuses", "id team_id name:t kind:t position color:t"),
    ("labels", "id team_id name:t color:t"),
    (
        "projects",
        "id name:t description:t status:t lead_id start_date:t target_date:t created_at updated_at n_total n_completed n_canceled version",
    ),
    ("project_teams", "project_id team_id"),
    (
        "milestones",
        "id project_id name:t target_date:t position n_total n_completed n_canceled",
    ),
    (
        "cycles",
        "id team_id number name:t starts_on:t ends_on:t n_total n_completed n_canceled",
    ),
    (
        "tasks",
        "id team_id number title:t description:t status_id priority assignee_id creator_id project_id milestone_id cycle_id \
         due_date:t estimate created_at updated_at started_at completed_at canceled_at deleted_at deleted_by version parent_id",
    ),
    ("task_labels", "task_id label_id"),
    ("team_status_counts", "team_id status_id n"),
    (
        "task_relations",
        "from_task_id to_task_id kind:t created_at",
    ),
    (
        "task_events",
        "id task_id actor_id at field:t old:t new:t channel:t client:t",
    ),
    (
        "comments",
        "id task_id author_id body:t created_at edited_at version",
    ),
    (
        "docs",
        "id team_id project_id title:t content:t creator_id created_at updated_at deleted_at deleted_by version",
    ),
    (
        "personal_tokens",
        "user_id digest:t hint:t created_at expires_at last_used_at client_name:t",
    ),
    ("tool_calls", "id user_id tool:t target:t ok:b at client:t"),
    ("bulk_changes", "id user_id status:t previous:t created_at"),
    (
        "sessions",
        "digest:t user_id csrf_token:t expires_at last_used_at",
    ),
    ("sign_in_throttle", "key:t failures window_start"),
    (
        "revisions",
        "id object_kind:t object_id title:t body:t replaced_by replaced_at replaced_channel:t",
    ),
    ("assistant_usage", "user_id busy_until day tokens"),
    (
        "jobs",
        "id user_id kind:t state:t input:t done total result:t error:t owner:t heartbeat_at created_at started_at finished_at",
    ),
    ("job_errors", "job_id row_number message:t"),
    ("job_files", "job_id name:t content:x"),
    (
        "conversations",
        "id user_id title:t created_at updated_at busy_until",
    ),
    (
        "conversation_messages",
        "id conversation_id role:t content:t at",
    ),
    (
        "changes",
        "seq at kind:t object_id version teams:t subject:t fields:t topics:t actor_id channel:t client:t notified:t",
    ),
    ("subscriptions", "task_id user_id subscribed:b"),
    (
        "notifications",
        "id user_id kind:t task_id detail:t actor_id channel:t client:t at read_at",
    ),
    (
        "oauth_clients",
        "client_id:t kind:t name:t redirect_uris:t secret_digest:t registered_from:t created_at fresh_until",
    ),
    (
        "oauth_grants",
        "id client_id:t user_id scope:t resource:t created_at last_used_at",
    ),
    (
        "oauth_codes",
        "digest:t client_id:t user_id redirect_uri:t code_challenge:t scope:t resource:t expires_at used:b grant_id",
    ),
    ("oauth_access_tokens", "digest:t grant_id expires_at"),
    (
        "oauth_refresh_tokens",
        "digest:t grant_id expires_at replaced_at next_nonce:t",
    ),
    (
        "oauth_settings",
        "id metadata_documents:b dynamic_registration:b",
    ),
];

/// SQLite tables that are derived (the FTS5 index) or the runner's own: not copied.
fn derived(table: &str) -> bool {
    table == "schema_migrations"
        || table.starts_with("task_fts")
        || table.starts_with("doc_fts")
        || table.starts_with("sqlite_")
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Int,
    Text,
    Flag,
    Bytes,
}

struct Column {
    name: &'static str,
    kind: Kind,
}

fn columns(spec: &'static str) -> Vec<Column> {
    spec.split_whitespace()
        .map(|c| {
            let (name, kind) = match c.split_once(':') {
                Some((n, "t")) => (n, Kind::Text),
                Some((n, "b")) => (n, Kind::Flag),
                Some((n, "x")) => (n, Kind::Bytes),
                Some((n, _)) => (n, Kind::Int),
                None => (c, Kind::Int),
            };
            Column { name, kind }
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq)]
enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// An order-independent checksum of a set of rows: the sum (mod 2^128) of the first 128
/// bits of each row's SHA-256, over a canonical text of its values.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
pub struct Checksum {
    pub rows: u64,
    sum: u128,
}

impl Checksum {
    fn add(&mut self, row: &[Value]) {
        let mut text = String::new();
        for v in row {
            match v {
                Value::Null => text.push_str("N|"),
                Value::Int(i) => text.push_str(&format!("i{i}|")),
                Value::Text(s) => text.push_str(&format!("t{}:{s}|", s.len())),
                Value::Bytes(b) => {
                    text.push('x');
                    for byte in b {
                        text.push_str(&format!("{byte:02x}"));
                    }
                    text.push('|');
                }
            }
        }
        let hex = digest(&text);
        let part = u128::from_str_radix(&hex[..32], 16).unwrap_or(0);
        self.sum = self.sum.wrapping_add(part);
        self.rows += 1;
    }

    pub fn hex(&self) -> String {
        format!("{:032x}", self.sum)
    }
}

pub struct TableReport {
    pub table: &'static str,
    pub source: Checksum,
    pub target: Checksum,
}

impl TableReport {
    pub fn ok(&self) -> bool {
        self.source == self.target
    }
}

pub struct CopyReport {
    pub tables: Vec<TableReport>,
    /// Tasks and docs whose search vector is empty after the copy (should be none).
    pub unindexed: i64,
    pub copy_time: Duration,
    pub verify_time: Duration,
}

impl CopyReport {
    pub fn ok(&self) -> bool {
        self.unindexed == 0 && self.tables.iter().all(TableReport::ok)
    }

    /// One line per table and a verdict.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{:<22} {:>10} {:>10}  {:<32}  {}\n",
            "table", "source", "target", "checksum (source)", ""
        );
        for t in &self.tables {
            let verdict = if t.ok() {
                "ok".to_string()
            } else if t.source.rows != t.target.rows {
                "ROW COUNT DIFFERS".to_string()
            } else {
                format!("CHECKSUM DIFFERS (target {})", t.target.hex())
            };
            out.push_str(&format!(
                "{:<22} {:>10} {:>10}  {}  {verdict}\n",
                t.table,
                t.source.rows,
                t.target.rows,
                t.source.hex()
            ));
        }
        if self.unindexed > 0 {
            out.push_str(&format!(
                "{} tasks or docs have no search vector\n",
                self.unindexed
            ));
        }
        let rows: u64 = self.tables.iter().map(|t| t.source.rows).sum();
        out.push_str(&format!(
            "{} rows in {} tables: copied in {:.1} s, verified in {:.1} s: {}\n",
            rows,
            self.tables.len(),
            self.copy_time.as_secs_f64(),
            self.verify_time.as_secs_f64(),
            if self.ok() {
                "verified, nothing lost"
            } else {
                "MISMATCH"
            }
        ));
        out
    }
}

/// The database file of `sqlite:PATH`: PATH is a data dir (with `orgn.db`) or the file.
pub fn sqlite_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(crate::sqlite::DATABASE_FILE)
    } else {
        path.to_path_buf()
    }
}

const PAGE: i64 = 5000;

/// Copies the SQLite workspace at `source` (data dir or file) into the empty PostgreSQL
/// database at `target_url` and verifies it. `progress` hears one line per table.
pub async fn copy(
    source: &Path,
    target_url: &str,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<CopyReport, Error> {
    let file = sqlite_file(source);
    if !file.is_file() {
        return Err(Error::Invalid(format!(
            "no Orgn database at {}",
            file.display()
        )));
    }
    let mut src = SqliteConnectOptions::from_str("sqlite:")
        .map_err(super::internal)?
        .filename(&file)
        .read_only(true)
        .busy_timeout(Duration::from_secs(10))
        .connect()
        .await
        .map_err(|e| Error::Invalid(format!("cannot open {}: {e}", file.display())))?;
    check_source(&mut src, &file).await?;

    let target = PgStore::open(target_url).await?;
    check_target_empty(&target).await?;

    let started = Instant::now();
    // One read transaction: every table from the same snapshot.
    sqlx::query("BEGIN")
        .execute(&mut src)
        .await
        .map_err(db_error)?;
    let mut tx = target.pool().begin().await.map_err(db_error)?;
    let mut sums = Vec::new();
    for (table, spec) in TABLES {
        let cols = columns(spec);
        let sum = copy_table(&mut src, &mut tx, table, &cols).await?;
        progress(&format!("copied {table}: {} rows", sum.rows));
        sums.push((*table, sum));
    }
    sqlx::query("COMMIT")
        .execute(&mut src)
        .await
        .map_err(db_error)?;
    for (table, spec) in TABLES {
        // The identity column (`id`, or the feed's `seq`) carries on after the copied rows.
        let key = spec.split(' ').next().unwrap_or("");
        if key == "id" || key == "seq" {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{key}'), (SELECT coalesce(max({key}), 0) + 1 FROM {table}), false)"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
    }
    progress("computing search vectors");
    let sql = format!(
        "UPDATE tasks t SET search_vector = {TASK_VECTOR} FROM teams tm WHERE tm.id = t.team_id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    let sql = format!("UPDATE docs d SET search_vector = {DOC_VECTOR}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    let _ = src.close().await;
    let copy_time = started.elapsed();

    // Verified before the commit: a copy that does not match is rolled back, leaving the
    // target empty for another try.
    progress("verifying");
    let started = Instant::now();
    let mut tables = Vec::new();
    for ((table, spec), (_, source)) in TABLES.iter().zip(sums) {
        let target_sum = checksum_target(&mut tx, table, &columns(spec)).await?;
        tables.push(TableReport {
            table,
            source,
            target: target_sum,
        });
    }
    let unindexed: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM tasks WHERE search_vector = ''::tsvector) + (SELECT count(*) FROM docs WHERE search_vector = ''::tsvector)",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(db_error)?;
    let report = CopyReport {
        tables,
        unindexed,
        copy_time,
        verify_time: started.elapsed(),
    };
    if report.ok() {
        tx.commit().await.map_err(db_error)?;
    } else {
        tx.rollback().await.map_err(db_error)?;
    }
    target.pool().close().await;
    Ok(report)
}

/// The source must be at the schema version this binary writes to PostgreSQL, and have no
/// table or column that the copy does not know.
async fn check_source(src: &mut SqliteConnection, file: &Path) -> Result<(), Error> {
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *src)
            .await
            .map_err(|e| {
                Error::Invalid(format!("{} is not an Orgn database: {e}", file.display()))
            })?;
    let version = versions.last().copied().unwrap_or(0);
    let known = known_version();
    if version != known {
        return Err(Error::Invalid(format!(
            "{} has schema version {version}, this orgn copies version {known}; {}",
            file.display(),
            if version < known {
                "open it with this orgn first (orgn migrate --data-dir …)"
            } else {
                "upgrade orgn"
            }
        )));
    }
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut *src)
            .await
            .map_err(db_error)?;
    for table in tables.iter().filter(|t| !derived(t)) {
        let Some((_, spec)) = TABLES.iter().find(|(name, _)| name == table) else {
            return Err(Error::Invalid(format!(
                "the source has a table {table} that this orgn cannot copy; nothing was copied"
            )));
        };
        let known: Vec<&str> = columns(spec).iter().map(|c| c.name).collect();
        let present: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
            .bind(table)
            .fetch_all(&mut *src)
            .await
            .map_err(db_error)?;
        if let Some(unknown) = present.iter().find(|c| !known.contains(&c.as_str())) {
            return Err(Error::Invalid(format!(
                "the source's table {table} has a column {unknown} that this orgn cannot copy; nothing was copied"
            )));
        }
        if let Some(missing) = known.iter().find(|c| !present.iter().any(|p| p == *c)) {
            return Err(Error::Invalid(format!(
                "the source's table {table} lacks the column {missing}; nothing was copied"
            )));
        }
    }
    for (table, _) in TABLES {
        if !tables.iter().any(|t| t == table) {
            return Err(Error::Invalid(format!(
                "the source has no table {table}; is it an Orgn database?"
            )));
        }
    }
    Ok(())
}

async fn check_target_empty(target: &PgStore) -> Result<(), Error> {
    for (table, _) in TABLES {
        let sql = format!("SELECT count(*) FROM {table}");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(target.pool())
            .await
            .map_err(db_error)?;
        if n > 0 {
            return Err(Error::Invalid(format!(
                "the target database is not empty ({table} has {n} rows); copy into a new, empty database"
            )));
        }
    }
    Ok(())
}

fn sqlite_value(row: &SqliteRow, i: usize, kind: Kind) -> Result<Value, Error> {
    let err = |e: sqlx::Error| Error::Internal(format!("reading column {i}: {e}"));
    Ok(match kind {
        Kind::Int | Kind::Flag => row
            .try_get::<Option<i64>, _>(i)
            .map_err(err)?
            .map(Value::Int)
            .unwrap_or(Value::Null),
        Kind::Text => row
            .try_get::<Option<String>, _>(i)
            .map_err(err)?
            .map(Value::Text)
            .unwrap_or(Value::Null),
        Kind::Bytes => row
            .try_get::<Option<Vec<u8>>, _>(i)
            .map_err(err)?
            .map(Value::Bytes)
            .unwrap_or(Value::Null),
    })
}

fn pg_value(row: &PgRow, i: usize, kind: Kind) -> Result<Value, Error> {
    let err = |e: sqlx::Error| Error::Internal(format!("reading column {i}: {e}"));
    Ok(match kind {
        Kind::Int => row
            .try_get::<Option<i64>, _>(i)
            .map_err(err)?
            .map(Value::Int)
            .unwrap_or(Value::Null),
        Kind::Flag => row
            .try_get::<Option<bool>, _>(i)
            .map_err(err)?
            .map(|b| Value::Int(b as i64))
            .unwrap_or(Value::Null),
        Kind::Text => row
            .try_get::<Option<String>, _>(i)
            .map_err(err)?
            .map(Value::Text)
            .unwrap_or(Value::Null),
        Kind::Bytes => row
            .try_get::<Option<Vec<u8>>, _>(i)
            .map_err(err)?
            .map(Value::Bytes)
            .unwrap_or(Value::Null),
    })
}

fn push_value(b: &mut sqlx::query_builder::Separated<'_, Postgres, &str>, v: &Value, kind: Kind) {
    match (v, kind) {
        (Value::Int(i), Kind::Flag) => b.push_bind(*i != 0),
        (Value::Null, Kind::Flag) => b.push_bind(None::<bool>),
        (Value::Int(i), _) => b.push_bind(*i),
        (Value::Null, Kind::Int) => b.push_bind(None::<i64>),
        (Value::Text(s), _) => b.push_bind(s.clone()),
        (Value::Null, Kind::Text) => b.push_bind(None::<String>),
        (Value::Bytes(x), _) => b.push_bind(x.clone()),
        (Value::Null, Kind::Bytes) => b.push_bind(None::<Vec<u8>>),
    };
}

/// Copies one table page by page (by rowid); the checksum of what was read.
async fn copy_table(
    src: &mut SqliteConnection,
    tx: &mut sqlx::PgConnection,
    table: &str,
    cols: &[Column],
) -> Result<Checksum, Error> {
    let names: Vec<&str> = cols.iter().map(|c| c.name).collect();
    let list = names.join(", ");
    let select =
        format!("SELECT rowid, {list} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT {PAGE}");
    // PostgreSQL takes at most 65535 parameters in one statement.
    let per_insert = (60_000 / cols.len()).min(2_000);
    let mut sum = Checksum::default();
    let mut after = i64::MIN;
    loop {
        let rows = sqlx::query(sqlx::AssertSqlSafe(select.clone()))
            .bind(after)
            .fetch_all(&mut *src)
            .await
            .map_err(db_error)?;
        let Some(last) = rows.last() else { break };
        after = last.try_get(0).map_err(db_error)?;
        let mut values = Vec::with_capacity(rows.len());
        for row in &rows {
            let v: Vec<Value> = cols
                .iter()
                .enumerate()
                .map(|(i, c)| sqlite_value(row, i + 1, c.kind))
                .collect::<Result<_, _>>()?;
            sum.add(&v);
            values.push(v);
        }
        for chunk in values.chunks(per_insert) {
            let mut b = QueryBuilder::<Postgres>::new(format!("INSERT INTO {table} ({list}) "));
            b.push_values(chunk, |mut sep, row| {
                for (v, c) in row.iter().zip(cols) {
                    push_value(&mut sep, v, c.kind);
                }
            });
            b.build()
                .execute(&mut *tx)
                .await
                .map_err(|e| match db_error(e) {
                    Error::Internal(m) => Error::Internal(format!("copying {table}: {m}")),
                    other => Error::Invalid(format!("copying {table}: {other}")),
                })?;
        }
        if (rows.len() as i64) < PAGE {
            break;
        }
    }
    Ok(sum)
}

/// The checksum of a table as it is in PostgreSQL now, read page by page.
async fn checksum_target(
    tx: &mut sqlx::PgConnection,
    table: &str,
    cols: &[Column],
) -> Result<Checksum, Error> {
    let list = cols.iter().map(|c| c.name).collect::<Vec<_>>().join(", ");
    let mut sum = Checksum::default();
    if cols[0].name == "id" {
        let select = format!("SELECT {list} FROM {table} WHERE id > $1 ORDER BY id LIMIT {PAGE}");
        let mut after = i64::MIN;
        loop {
            let rows = sqlx::query(sqlx::AssertSqlSafe(select.clone()))
                .bind(after)
                .fetch_all(&mut *tx)
                .await
                .map_err(db_error)?;
            for row in &rows {
                let v: Vec<Value> = cols
                    .iter()
                    .enumerate()
                    .map(|(i, c)| pg_value(row, i, c.kind))
                    .collect::<Result<_, _>>()?;
                sum.add(&v);
            }
            match rows.last() {
                Some(last) if rows.len() as i64 == PAGE => {
                    after = last.try_get(0).map_err(db_error)?
                }
                _ => break,
            }
        }
    } else {
        let select = format!("SELECT {list} FROM {table}");
        let rows = sqlx::query(sqlx::AssertSqlSafe(select))
            .fetch_all(&mut *tx)
            .await
            .map_err(db_error)?;
        for row in &rows {
            let v: Vec<Value> = cols
                .iter()
                .enumerate()
                .map(|(i, c)| pg_value(row, i, c.kind))
                .collect::<Result<_, _>>()?;
            sum.add(&v);
        }
    }
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(rows: &[Vec<Value>]) -> Checksum {
        let mut c = Checksum::default();
        for r in rows {
            c.add(r);
        }
        c
    }

    #[test]
    fn the_checksum_ignores_order_and_sees_every_value() {
        let a = vec![Value::Int(1), Value::Text("x".into()), Value::Null];
        let b = vec![
            Value::Int(2),
            Value::Text("".into()),
            Value::Bytes(vec![0, 255]),
        ];
        assert!(sum(&[a.clone(), b.clone()]) == sum(&[b.clone(), a.clone()]));
        for changed in [
            vec![
                Value::Int(1),
                Value::Text("x".into()),
                Value::Text("".into()),
            ],
            vec![Value::Int(1), Value::Text("x ".into()), Value::Null],
            vec![
                Value::Text("1".into()),
                Value::Text("x".into()),
                Value::Null,
            ],
        ] {
            assert!(sum(&[a.clone(), b.clone()]) != sum(&[changed, b.clone()]));
        }
    }

    #[test]
    fn a_mismatch_is_reported_per_table_and_fails_the_copy() {
        let one = sum(&[vec![Value::Int(1)]]);
        let other = sum(&[vec![Value::Int(2)]]);
        let report = CopyReport {
            tables: vec![
                TableReport {
                    table: "users",
                    source: one,
                    target: one,
                },
                TableReport {
                    table: "tasks",
                    source: one,
                    target: other,
                },
                TableReport {
                    table: "docs",
                    source: one,
                    target: Checksum::default(),
                },
            ],
            unindexed: 0,
            copy_time: Duration::ZERO,
            verify_time: Duration::ZERO,
        };
        assert!(!report.ok());
        let text = report.render();
        assert!(
            text.lines()
                .any(|l| l.starts_with("users") && l.ends_with("ok")),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with("tasks") && l.contains("CHECKSUM DIFFERS")),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with("docs") && l.contains("ROW COUNT DIFFERS")),
            "{text}"
        );
        assert!(text.trim_end().ends_with("MISMATCH"), "{text}");
    }

    #[test]
    fn every_table_is_parsed_with_known_kinds() {
        for (table, spec) in TABLES {
            let cols = columns(spec);
            assert!(!cols.is_empty(), "{table}");
            assert_eq!(cols.len(), spec.split_whitespace().count());
        }
        assert!(columns("a b:t c:b d:x").iter().map(|c| c.kind).eq([
            Kind::Int,
            Kind::Text,
            Kind::Flag,
            Kind::Bytes
        ]));
    }
}
