//! The Trash, bulk inserts, background jobs and Ask Orgn conversations on PostgreSQL
//! (the counterpart of `sqlite/extras.rs`).

use orgn_domain::model::*;
use orgn_domain::store::*;
use orgn_domain::{Error, Result};
use sqlx::Row;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;

use crate::rows::{RowExt, from_millis, millis, opt_from_millis};
use super::store::{TASK_VECTOR, adjust_progress, refresh_doc_vector};
use super::{PgStore, db_error};

const JOB_COLUMNS: &str = "id, user_id, kind, state, input, done, total, result, error, created_at, started_at, finished_at";

fn job(row: &PgRow) -> Result<Job> {
    let kind = row.text("kind")?;
    let state = row.text("state")?;
    Ok(Job {
        id: row.int("id")?,
        user_id: row.int("user_id")?,
        kind: JobKind::parse(&kind)
            .ok_or_else(|| Error::Internal(format!("unknown job kind {kind}")))?,
        state: JobState::parse(&state)
            .ok_or_else(|| Error::Internal(format!("unknown job state {state}")))?,
        input: row.text("input")?,
        done: row.int("done")?,
        total: row.int("total")?,
        result: row.opt_text("result")?,
        error: row.opt_text("error")?,
        created_at: from_millis(row.int("created_at")?),
        started_at: opt_from_millis(row.opt_int("started_at")?),
        finished_at: opt_from_millis(row.opt_int("finished_at")?),
    })
}

fn trash_item(row: &PgRow) -> Result<TrashItem> {
    let deleted_by = match row.opt_int("uid")? {
        Some(id) => Some(UserRef {
            id,
            name: row.text("uname")?,
            email: row.text("uemail")?,
        }),
        None => None,
    };
    Ok(TrashItem {
        kind: if row.text("kind")? == "task" {
            TrashKind::Task
        } else {
            TrashKind::Doc
        },
        id: row.int("id")?,
        label: row.text("label")?,
        title: row.text("title")?,
        team_id: row.opt_int("team_id")?,
        project_id: row.opt_int("project_id")?,
        deleted_by,
        deleted_at: from_millis(row.int("deleted_at")?),
    })
}

impl PgStore {
    pub(super) async fn insert_many(&self, tasks: &[NewTask]) -> Result<Vec<TaskId>> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let ids = super::bulk::insert_bulk(&mut tx, tasks).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(ids)
    }

    pub(super) async fn trash_items(&self, teams: &[TeamId]) -> Result<Vec<TrashItem>> {
        if teams.is_empty() {
            return Ok(vec![]);
        }
        let rows = sqlx::query(
            "SELECT 'task' AS kind, t.id, tm.key || '-' || t.number AS label, t.title, t.team_id, NULL::bigint AS project_id, \
             t.deleted_at, u.id AS uid, u.name AS uname, u.email AS uemail \
             FROM tasks t JOIN teams tm ON tm.id = t.team_id LEFT JOIN users u ON u.id = t.deleted_by \
             WHERE t.deleted_at IS NOT NULL AND t.team_id = ANY($1) \
             UNION ALL SELECT 'doc', d.id, d.title, d.title, d.team_id, d.project_id, d.deleted_at, u.id, u.name, u.email \
             FROM docs d LEFT JOIN users u ON u.id = d.deleted_by WHERE d.deleted_at IS NOT NULL AND (d.team_id = ANY($1) \
             OR d.project_id IN (SELECT project_id FROM project_teams WHERE team_id = ANY($1))) ORDER BY 7 DESC",
        )
        .bind(teams)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(trash_item).collect()
    }

    pub(super) async fn deleted_doc_item(&self, id: DocId) -> Result<Option<TrashItem>> {
        let row = sqlx::query(
            "SELECT 'doc' AS kind, d.id, d.title AS label, d.title, d.team_id, d.project_id, d.deleted_at, \
             u.id AS uid, u.name AS uname, u.email AS uemail FROM docs d LEFT JOIN users u ON u.id = d.deleted_by \
             WHERE d.id = $1 AND d.deleted_at IS NOT NULL",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(trash_item).transpose()
    }

    /// Deleted rows keep their search vectors, so restoring is a matter of clearing the mark.
    pub(super) async fn restore(
        &self,
        kind: TrashKind,
        id: i64,
        now: OffsetDateTime,
    ) -> Result<()> {
        let sql = match kind {
            TrashKind::Task => {
                "UPDATE tasks SET deleted_at = NULL, deleted_by = NULL, updated_at = $1 WHERE id = $2 AND deleted_at IS NOT NULL"
            }
            TrashKind::Doc => {
                "UPDATE docs SET deleted_at = NULL, deleted_by = NULL, updated_at = $1 WHERE id = $2 AND deleted_at IS NOT NULL"
            }
        };
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let restored = sqlx::query(sql)
            .bind(millis(now))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        match kind {
            TrashKind::Task if restored.rows_affected() == 1 => {
                adjust_progress(&mut tx, id, 1).await?
            }
            TrashKind::Doc => refresh_doc_vector(&mut tx, id).await?,
            _ => {}
        }
        tx.commit().await.map_err(db_error)
    }

    pub(super) async fn purge(&self, kind: TrashKind, id: i64) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let statements: &[&'static str] = match kind {
            TrashKind::Task => &[
                "DELETE FROM task_labels WHERE task_id = $1 AND EXISTS (SELECT 1 FROM tasks WHERE id = $1 AND deleted_at IS NOT NULL)",
                "DELETE FROM task_events WHERE task_id = $1 AND EXISTS (SELECT 1 FROM tasks WHERE id = $1 AND deleted_at IS NOT NULL)",
                "DELETE FROM comments WHERE task_id = $1 AND EXISTS (SELECT 1 FROM tasks WHERE id = $1 AND deleted_at IS NOT NULL)",
                "DELETE FROM tasks WHERE id = $1 AND deleted_at IS NOT NULL",
            ],
            TrashKind::Doc => &["DELETE FROM docs WHERE id = $1 AND deleted_at IS NOT NULL"],
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
            "SELECT id FROM tasks WHERE deleted_at IS NOT NULL AND deleted_at < $1",
        )
        .bind(millis(cutoff))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let docs: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM docs WHERE deleted_at IS NOT NULL AND deleted_at < $1",
        )
        .bind(millis(cutoff))
        .fetch_all(&self.pool)
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
            TrashKind::Task => "UPDATE tasks SET deleted_by = $1 WHERE id = $2",
            TrashKind::Doc => "UPDATE docs SET deleted_by = $1 WHERE id = $2",
        };
        sqlx::query(sql)
            .bind(user)
            .bind(id)
            .execute(&self.pool)
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
        sqlx::query_scalar("INSERT INTO jobs (user_id, kind, state, input, created_at) VALUES ($1, $2, 'queued', $3, $4) RETURNING id")
            .bind(user)
            .bind(kind.as_str())
            .bind(input)
            .bind(millis(now))
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)
    }

    pub(super) async fn get_job(&self, id: JobId) -> Result<Option<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.as_ref().map(job).transpose()
    }

    pub(super) async fn user_jobs(&self, user: UserId, limit: i64) -> Result<Vec<Job>> {
        let sql =
            format!("SELECT {JOB_COLUMNS} FROM jobs WHERE user_id = $1 ORDER BY id DESC LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter().map(job).collect()
    }

    /// Exactly one process gets each job: the candidate row is locked with `FOR UPDATE SKIP
    /// LOCKED`, so a concurrent claimer passes over it to the next one instead of waiting.
    pub(super) async fn claim(
        &self,
        owner: &str,
        now: OffsetDateTime,
        stale_before: OffsetDateTime,
    ) -> Result<Option<Job>> {
        let sql = format!(
            "UPDATE jobs SET state = 'running', owner = $1, heartbeat_at = $2, started_at = coalesce(started_at, $2) \
             WHERE id = (SELECT id FROM jobs WHERE state = 'queued' OR (state = 'running' AND heartbeat_at < $3) \
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING {JOB_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(millis(now))
            .bind(millis(stale_before))
            .fetch_optional(&self.pool)
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
        let updated = sqlx::query("UPDATE jobs SET done = $1, total = $2, heartbeat_at = $3 WHERE id = $4 AND state = 'running'")
            .bind(done)
            .bind(total)
            .bind(millis(now))
            .bind(id)
            .execute(&self.pool)
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
        sqlx::query(
            "UPDATE jobs SET state = $1, result = $2, error = $3, finished_at = $4, owner = NULL WHERE id = $5 AND state IN ('queued', 'running')",
        )
        .bind(state.as_str())
        .bind(result)
        .bind(error)
        .bind(millis(now))
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    pub(super) async fn cancel(&self, id: JobId, now: OffsetDateTime) -> Result<bool> {
        let updated = sqlx::query("UPDATE jobs SET state = 'canceled', finished_at = $1, owner = NULL WHERE id = $2 AND state IN ('queued', 'running')")
            .bind(millis(now))
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(updated.rows_affected() == 1)
    }

    pub(super) async fn write_import_chunk(
        &self,
        chunk: &ImportChunk,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        // Checked inside the transaction with the job's row locked: a cancel waits for this
        // chunk, and a canceled job writes nothing more.
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM jobs WHERE id = $1 FOR UPDATE")
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
                "INSERT INTO job_errors (job_id, row_number, message) VALUES ($1, $2, $3) \
                 ON CONFLICT (job_id, row_number) DO UPDATE SET message = excluded.message",
            )
            .bind(chunk.job)
            .bind(row)
            .bind(message)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        sqlx::query("UPDATE jobs SET done = $1, heartbeat_at = $2 WHERE id = $3")
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
            "SELECT row_number, message FROM job_errors WHERE job_id = $1 ORDER BY row_number",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub(super) async fn save_job_file(&self, id: JobId, name: &str, content: &[u8]) -> Result<()> {
        sqlx::query(
            "INSERT INTO job_files (job_id, name, content) VALUES ($1, $2, $3) ON CONFLICT (job_id, name) DO UPDATE SET content = excluded.content",
        )
        .bind(id)
        .bind(name)
        .bind(content)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    pub(super) async fn load_job_file(&self, id: JobId, name: &str) -> Result<Option<Vec<u8>>> {
        sqlx::query_scalar("SELECT content FROM job_files WHERE job_id = $1 AND name = $2")
            .bind(id)
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)
    }

    pub(super) async fn reindex_batch(&self, after_id: i64, limit: i64) -> Result<Option<i64>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM tasks WHERE id > $1 AND deleted_at IS NULL ORDER BY id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let Some(last) = ids.last().copied() else {
            return Ok(None);
        };
        let sql = format!(
            "UPDATE tasks t SET search_vector = {TASK_VECTOR} FROM teams tm WHERE tm.id = t.team_id AND t.id = ANY($1)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&ids)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(Some(last))
    }

    // --- Conversations -------------------------------------------------------------------

    pub(super) async fn new_conversation(
        &self,
        user: UserId,
        title: &str,
        now: OffsetDateTime,
    ) -> Result<ConversationId> {
        sqlx::query_scalar("INSERT INTO conversations (user_id, title, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id")
            .bind(user)
            .bind(title)
            .bind(millis(now))
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)
    }

    pub(super) async fn user_conversations(
        &self,
        user: UserId,
        limit: i64,
    ) -> Result<Vec<Conversation>> {
        let rows = sqlx::query("SELECT id, title, updated_at FROM conversations WHERE user_id = $1 ORDER BY updated_at DESC, id DESC LIMIT $2")
            .bind(user)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok(Conversation {
                    id: r.int("id")?,
                    title: r.text("title")?,
                    updated_at: from_millis(r.int("updated_at")?),
                })
            })
            .collect()
    }

    pub(super) async fn add_message(
        &self,
        id: ConversationId,
        role: ChatRole,
        content: &str,
        now: OffsetDateTime,
    ) -> Result<i64> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let message: i64 =
            sqlx::query_scalar("INSERT INTO conversation_messages (conversation_id, role, content, at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(id)
                .bind(role.as_str())
                .bind(content)
                .bind(millis(now))
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
        sqlx::query("UPDATE conversations SET updated_at = $1 WHERE id = $2")
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
        let rows = sqlx::query("SELECT id, role, content, at FROM conversation_messages WHERE conversation_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                let role = r.text("role")?;
                Ok(ChatMessage {
                    id: r.int("id")?,
                    role: ChatRole::parse(&role)
                        .ok_or_else(|| Error::Internal(format!("unknown role {role}")))?,
                    content: r.text("content")?,
                    at: from_millis(r.int("at")?),
                })
            })
            .collect()
    }
}
