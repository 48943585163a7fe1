//! The Trash, bulk inserts, background jobs and Ask Orgn conversations on SQLite.
//! `Store` methods in store.rs delegate here, to keep each file about one thing.

use orgn_domain::model::*;
use orgn_domain::store::*;
use orgn_domain::{Error, Result};
use sqlx::{QueryBuilder, Row, Sqlite};
use time::OffsetDateTime;

use crate::rows::{from_millis, millis, opt_from_millis};
use super::store::{adjust_progress, push_ids};
use super::{SqliteStore, db_error};

fn job(row: &sqlx::sqlite::SqliteRow) -> Result<Job> {
    let kind: String = row.get("kind");
    let state: String = row.get("state");
    Ok(Job {
        id: row.get("id"),
        user_id: row.get("user_id"),
        kind: JobKind::parse(&kind)
            .ok_or_else(|| Error::Internal(format!("unknown job kind {kind}")))?,
        state: JobState::parse(&state)
            .ok_or_else(|| Error::Internal(format!("unknown job state {state}")))?,
        input: row.get("input"),
        done: row.get("done"),
        total: row.get("total"),
        result: row.get("result"),
        error: row.get("error"),
        created_at: from_millis(row.get("created_at")),
        started_at: opt_from_millis(row.get("started_at")),
        finished_at: opt_from_millis(row.get("finished_at")),
    })
}

const JOB_COLUMNS: &str = "id, user_id, kind, state, input, done, total, result, error, created_at, started_at, finished_at";

impl SqliteStore {
    pub(super) async fn insert_many(&self, tasks: &[NewTask]) -> Result<Vec<TaskId>> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        let ids = super::bulk::insert_bulk(&mut tx, tasks).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(ids)
    }

    pub(super) async fn trash_items(&self, teams: &[TeamId]) -> Result<Vec<TrashItem>> {
        if teams.is_empty() {
            return Ok(vec![]);
        }
        let mut b = QueryBuilder::<Sqlite>::new(
            "SELECT 'task' AS kind, t.id, tm.key || '-' || t.number AS label, t.title, t.team_id, NULL AS project_id, \
             t.deleted_at, u.id AS uid, u.name AS uname, u.email AS uemail \
             FROM tasks t JOIN teams tm ON tm.id = t.team_id LEFT JOIN users u ON u.id = t.deleted_by \
             WHERE t.deleted_at IS NOT NULL AND t.team_id IN ",
        );
        push_ids(&mut b, teams);
        b.push(
            " UNION ALL SELECT 'doc', d.id, d.title, d.title, d.team_id, d.project_id, d.deleted_at, u.id, u.name, u.email \
             FROM docs d LEFT JOIN users u ON u.id = d.deleted_by WHERE d.deleted_at IS NOT NULL AND (d.team_id IN ",
        );
        push_ids(&mut b, teams);
        b.push(" OR d.project_id IN (SELECT project_id FROM project_teams WHERE team_id IN ");
        push_ids(&mut b, teams);
        b.push(")) ORDER BY 7 DESC");
        let rows = b.build().fetch_all(&self.reader).await.map_err(db_error)?;
        Ok(rows.iter().map(trash_item).collect())
    }

    pub(super) async fn deleted_doc_item(&self, id: DocId) -> Result<Option<TrashItem>> {
        let row = sqlx::query(
            "SELECT 'doc' AS kind, d.id, d.title AS label, d.title, d.team_id, d.project_id, d.deleted_at, \
             u.id AS uid, u.name AS uname, u.email AS uemail FROM docs d LEFT JOIN users u ON u.id = d.deleted_by \
             WHERE d.id = ? AND d.deleted_at IS NOT NULL",
        )
        .bind(id)
        .fetch_optional(&self.reader)
        .await
        .map_err(db_error)?;
        Ok(row.as_ref().map(trash_item))
    }

    pub(super) async fn restore(
        &self,
        kind: TrashKind,
        id: i64,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        match kind {
            TrashKind::Task => {
                sqlx::query("UPDATE tasks SET deleted_at = NULL, deleted_by = NULL, updated_at = ? WHERE id = ?")
                    .bind(millis(now))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                adjust_progress(&mut tx, id, 1).await?;
                index_tasks(&mut tx, id, id).await?;
            }
            TrashKind::Doc => {
                sqlx::query("UPDATE docs SET deleted_at = NULL, deleted_by = NULL, updated_at = ? WHERE id = ?")
                    .bind(millis(now))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                sqlx::query("INSERT INTO doc_fts (rowid, title, content) SELECT id, title, content FROM docs WHERE id = ?")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
            }
        }
        tx.commit().await.map_err(db_error)
    }

    pub(super) async fn purge(&self, kind: TrashKind, id: i64) -> Result<()> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        let statements: &[&'static str] = match kind {
            TrashKind::Task => &[
                "DELETE FROM task_labels WHERE task_id = ?1",
                "DELETE FROM task_events WHERE task_id = ?1",
                "DELETE FROM comments WHERE task_id = ?1",
                "DELETE FROM task_fts WHERE rowid = ?1",
                "DELETE FROM tasks WHERE id = ?1 AND deleted_at IS NOT NULL",
            ],
            TrashKind::Doc => &[
                "DELETE FROM doc_fts WHERE rowid = ?1",
                "DELETE FROM docs WHERE id = ?1 AND deleted_at IS NOT NULL",
            ],
        };
        for sql in statements {
            sqlx::query(*sql)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)
    }

    pub(super) async fn purge_before(&self, cutoff: OffsetDateTime) -> Result<u64> {
        let tasks: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM tasks WHERE deleted_at IS NOT NULL AND deleted_at < ?",
        )
        .bind(millis(cutoff))
        .fetch_all(&self.writer)
        .await
        .map_err(db_error)?;
        let docs: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM docs WHERE deleted_at IS NOT NULL AND deleted_at < ?",
        )
        .bind(millis(cutoff))
        .fetch_all(&self.writer)
        .await
        .map_err(db_error)?;
        for id in &tasks {
            self.purge(TrashKind::Task, *id).await?;
        }
        for id in &docs {
            self.purge(TrashKind::Doc, *id).await?;
        }
        Ok((tasks.len() + docs.len()) as u64)
    }

    pub(super) async fn mark_deleted_by(
        &self,
        kind: TrashKind,
        id: i64,
        user: UserId,
    ) -> Result<()> {
        let sql = match kind {
            TrashKind::Task => "UPDATE tasks SET deleted_by = ? WHERE id = ?",
            TrashKind::Doc => "UPDATE docs SET deleted_by = ? WHERE id = ?",
        };
        sqlx::query(sql)
            .bind(user)
            .bind(id)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    // --- Jobs ----------------------------------------------------------------------------

    pub(super) async fn new_job(
        &self,
        user: UserId,
        kind: JobKind,
        input: &str,
        now: OffsetDateTime,
    ) -> Result<JobId> {
        sqlx::query_scalar("INSERT INTO jobs (user_id, kind, state, input, created_at) VALUES (?, ?, 'queued', ?, ?) RETURNING id")
            .bind(user)
            .bind(kind.as_str())
            .bind(input)
            .bind(millis(now))
            .fetch_one(&self.writer)
            .await
            .map_err(db_error)
    }

    pub(super) async fn get_job(&self, id: JobId) -> Result<Option<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.as_ref().map(job).transpose()
    }

    pub(super) async fn user_jobs(&self, user: UserId, limit: i64) -> Result<Vec<Job>> {
        let sql =
            format!("SELECT {JOB_COLUMNS} FROM jobs WHERE user_id = ? ORDER BY id DESC LIMIT ?");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user)
            .bind(limit)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        rows.iter().map(job).collect()
    }

    pub(super) async fn claim(
        &self,
        owner: &str,
        now: OffsetDateTime,
        stale_before: OffsetDateTime,
    ) -> Result<Option<Job>> {
        // One statement on the single writer: two workers can never take the same job.
        let sql = format!(
            "UPDATE jobs SET state = 'running', owner = ?1, heartbeat_at = ?2, started_at = coalesce(started_at, ?2) \
             WHERE id = (SELECT id FROM jobs WHERE state = 'queued' OR (state = 'running' AND heartbeat_at < ?3) ORDER BY id LIMIT 1) \
             RETURNING {JOB_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(millis(now))
            .bind(millis(stale_before))
            .fetch_optional(&self.writer)
            .await
            .map_err(db_error)?;
        row.as_ref().map(job).transpose()
    }

    pub(super) async fn progress(
        &self,
        id: JobId,
        done: i64,
        total: i64,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let updated = sqlx::query("UPDATE jobs SET done = ?, total = ?, heartbeat_at = ? WHERE id = ? AND state = 'running'")
            .bind(done)
            .bind(total)
            .bind(millis(now))
            .bind(id)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(updated.rows_affected() == 1)
    }

    pub(super) async fn finish(
        &self,
        id: JobId,
        state: JobState,
        result: Option<&str>,
        error: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query("UPDATE jobs SET state = ?, result = ?, error = ?, finished_at = ?, owner = NULL WHERE id = ? AND state IN ('queued', 'running')")
            .bind(state.as_str())
            .bind(result)
            .bind(error)
            .bind(millis(now))
            .bind(id)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    pub(super) async fn cancel(&self, id: JobId, now: OffsetDateTime) -> Result<bool> {
        let updated = sqlx::query("UPDATE jobs SET state = 'canceled', finished_at = ?, owner = NULL WHERE id = ? AND state IN ('queued', 'running')")
            .bind(millis(now))
            .bind(id)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(updated.rows_affected() == 1)
    }

    pub(super) async fn write_import_chunk(
        &self,
        chunk: &ImportChunk,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        // Checked inside the transaction: a canceled job writes nothing more.
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM jobs WHERE id = ?")
            .bind(chunk.job)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        if state.as_deref() != Some("running") {
            return Err(Error::Conflict("the job is no longer running".into()));
        }
        super::bulk::insert_bulk(&mut tx, &chunk.tasks).await?;
        for (row, message) in &chunk.errors {
            sqlx::query(
                "INSERT OR REPLACE INTO job_errors (job_id, row_number, message) VALUES (?, ?, ?)",
            )
            .bind(chunk.job)
            .bind(row)
            .bind(message)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        sqlx::query("UPDATE jobs SET done = ?, heartbeat_at = ? WHERE id = ?")
            .bind(chunk.done)
            .bind(millis(now))
            .bind(chunk.job)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    pub(super) async fn errors_of(&self, id: JobId) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT row_number, message FROM job_errors WHERE job_id = ? ORDER BY row_number",
        )
        .bind(id)
        .fetch_all(&self.reader)
        .await
        .map_err(db_error)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub(super) async fn save_job_file(&self, id: JobId, name: &str, content: &[u8]) -> Result<()> {
        sqlx::query("INSERT OR REPLACE INTO job_files (job_id, name, content) VALUES (?, ?, ?)")
            .bind(id)
            .bind(name)
            .bind(content)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    pub(super) async fn load_job_file(&self, id: JobId, name: &str) -> Result<Option<Vec<u8>>> {
        sqlx::query_scalar("SELECT content FROM job_files WHERE job_id = ? AND name = ?")
            .bind(id)
            .bind(name)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)
    }

    pub(super) async fn reindex_batch(&self, after_id: i64, limit: i64) -> Result<Option<i64>> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM tasks WHERE id > ? AND deleted_at IS NULL ORDER BY id LIMIT ?",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_error)?;
        let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM task_fts WHERE rowid BETWEEN ? AND ?")
            .bind(first)
            .bind(last)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        index_tasks(&mut tx, *first, *last).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(Some(*last))
    }

    pub(super) async fn live_task_count(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT count(*) FROM tasks WHERE deleted_at IS NULL")
            .fetch_one(&self.reader)
            .await
            .map_err(db_error)
    }

    // --- Conversations -------------------------------------------------------------------

    pub(super) async fn new_conversation(
        &self,
        user: UserId,
        title: &str,
        now: OffsetDateTime,
    ) -> Result<ConversationId> {
        sqlx::query_scalar("INSERT INTO conversations (user_id, title, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id")
            .bind(user)
            .bind(title)
            .bind(millis(now))
            .bind(millis(now))
            .fetch_one(&self.writer)
            .await
            .map_err(db_error)
    }

    pub(super) async fn user_conversations(
        &self,
        user: UserId,
        limit: i64,
    ) -> Result<Vec<Conversation>> {
        let rows = sqlx::query("SELECT id, title, updated_at FROM conversations WHERE user_id = ? ORDER BY updated_at DESC, id DESC LIMIT ?")
            .bind(user)
            .bind(limit)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        Ok(rows
            .iter()
            .map(|r| Conversation {
                id: r.get(0),
                title: r.get(1),
                updated_at: from_millis(r.get(2)),
            })
            .collect())
    }

    pub(super) async fn owner_of_conversation(&self, id: ConversationId) -> Result<Option<UserId>> {
        sqlx::query_scalar("SELECT user_id FROM conversations WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)
    }

    pub(super) async fn add_message(
        &self,
        id: ConversationId,
        role: ChatRole,
        content: &str,
        now: OffsetDateTime,
    ) -> Result<i64> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        let message: i64 = sqlx::query_scalar("INSERT INTO conversation_messages (conversation_id, role, content, at) VALUES (?, ?, ?, ?) RETURNING id")
            .bind(id)
            .bind(role.as_str())
            .bind(content)
            .bind(millis(now))
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query("UPDATE conversations SET updated_at = ? WHERE id = ?")
            .bind(millis(now))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(message)
    }

    pub(super) async fn conversation_messages(
        &self,
        id: ConversationId,
    ) -> Result<Vec<ChatMessage>> {
        let rows = sqlx::query("SELECT id, role, content, at FROM conversation_messages WHERE conversation_id = ? ORDER BY id")
            .bind(id)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                let role: String = r.get(1);
                Ok(ChatMessage {
                    id: r.get(0),
                    role: ChatRole::parse(&role)
                        .ok_or_else(|| Error::Internal(format!("unknown role {role}")))?,
                    content: r.get(2),
                    at: from_millis(r.get(3)),
                })
            })
            .collect()
    }
}

/// Writes the search index rows of the live tasks with ids from `first` to `last`.
pub(super) async fn index_tasks(conn: &mut sqlx::SqliteConnection, first: i64, last: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO task_fts (rowid, identifier, title, description, comments) \
         SELECT t.id, tm.key || '-' || t.number || ' ' || tm.key || t.number, t.title, t.description, \
         coalesce((SELECT group_concat(body, ' ') FROM comments WHERE task_id = t.id), '') \
         FROM tasks t JOIN teams tm ON tm.id = t.team_id WHERE t.id BETWEEN ? AND ? AND t.deleted_at IS NULL",
    )
    .bind(first)
    .bind(last)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

fn trash_item(row: &sqlx::sqlite::SqliteRow) -> TrashItem {
    let kind: String = row.get("kind");
    TrashItem {
        kind: if kind == "task" {
            TrashKind::Task
        } else {
            TrashKind::Doc
        },
        id: row.get("id"),
        label: row.get("label"),
        title: row.get("title"),
        team_id: row.get("team_id"),
        project_id: row.get("project_id"),
        deleted_by: row.get::<Option<i64>, _>("uid").map(|id| UserRef {
            id,
            name: row.get("uname"),
            email: row.get("uemail"),
        }),
        deleted_at: from_millis(row.get("deleted_at")),
    }
}
