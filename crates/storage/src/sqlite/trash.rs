//! The Trash and the undo of bulk changes on SQLite.

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::model::*;
use orgn_domain::store::*;
use sqlx::{QueryBuilder, Sqlite};
use time::OffsetDateTime;

use super::tasks::*;
use super::{SqliteStore, db_error};
use crate::rows::{self, millis};

#[async_trait]
impl Trash for SqliteStore {
    async fn update_tasks_keeping_undo(
        &self,
        updates: &[TaskUpdate],
        change: &BulkChange,
        forget_before: OffsetDateTime,
    ) -> Result<BulkChangeId> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        for u in updates {
            apply_task_update(&mut tx, u, change.user_id, change.created_at).await?;
        }
        sqlx::query("DELETE FROM bulk_changes WHERE created_at < ?")
            .bind(millis(forget_before))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO bulk_changes (user_id, status, previous, created_at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(change.user_id.get())
        .bind(&change.status)
        .bind(rows::previous_to_json(&change.previous))
        .bind(millis(change.created_at))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        let id = BulkChangeId::new(id);
        tx.commit().await.map_err(db_error)?;
        Ok(id)
    }

    async fn bulk_change(&self, id: BulkChangeId) -> Result<Option<BulkChange>> {
        let row = sqlx::query(
            "SELECT id, user_id, status, previous, created_at FROM bulk_changes WHERE id = ?",
        )
        .bind(id.get())
        .fetch_optional(&self.reader)
        .await
        .map_err(db_error)?;
        row.as_ref().map(rows::bulk_change).transpose()
    }

    async fn undo_bulk_change(
        &self,
        id: BulkChangeId,
        updates: &[TaskUpdate],
        actor: UserId,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        let taken = sqlx::query("DELETE FROM bulk_changes WHERE id = ?")
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if taken.rows_affected() == 0 {
            return Ok(false);
        }
        for u in updates {
            apply_task_update(&mut tx, u, actor, now).await?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    async fn trash(&self, teams: &[TeamId]) -> Result<Vec<TrashItem>> {
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
        // Newest first; items deleted at one instant by kind and id, as on PostgreSQL.
        b.push(")) ORDER BY 7 DESC, 1 DESC, 2 DESC");
        let rows = b.build().fetch_all(&self.reader).await.map_err(db_error)?;
        rows.iter().map(rows::trash_item).collect()
    }

    async fn deleted_task_id(&self, team: TeamId, number: i64) -> Result<Option<TaskId>> {
        sqlx::query_scalar::<_, i64>(
            "SELECT id FROM tasks WHERE team_id = ? AND number = ? AND deleted_at IS NOT NULL",
        )
        .bind(team.get())
        .bind(number)
        .fetch_optional(&self.reader)
        .await
        .map(|id| id.map(TaskId::new))
        .map_err(db_error)
    }

    async fn deleted_doc(&self, id: DocId) -> Result<Option<TrashItem>> {
        let row = sqlx::query(
            "SELECT 'doc' AS kind, d.id, d.title AS label, d.title, d.team_id, d.project_id, d.deleted_at, \
             u.id AS uid, u.name AS uname, u.email AS uemail FROM docs d LEFT JOIN users u ON u.id = d.deleted_by \
             WHERE d.id = ? AND d.deleted_at IS NOT NULL",
        )
        .bind(id.get())
        .fetch_optional(&self.reader)
        .await
        .map_err(db_error)?;
        row.as_ref().map(rows::trash_item).transpose()
    }

    async fn restore_task(&self, id: TaskId, now: OffsetDateTime) -> Result<()> {
        self.restore(TrashKind::Task, id.get(), now).await
    }

    async fn restore_doc(&self, id: DocId, now: OffsetDateTime) -> Result<()> {
        self.restore(TrashKind::Doc, id.get(), now).await
    }

    async fn purge_task(&self, id: TaskId) -> Result<()> {
        self.purge(TrashKind::Task, id.get()).await
    }

    async fn purge_doc(&self, id: DocId) -> Result<()> {
        self.purge(TrashKind::Doc, id.get()).await
    }

    async fn purge_deleted_before(&self, cutoff: OffsetDateTime) -> Result<u64> {
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

    async fn set_deleted_by(&self, kind: TrashKind, id: i64, user: UserId) -> Result<()> {
        let sql = match kind {
            TrashKind::Task => "UPDATE tasks SET deleted_by = ? WHERE id = ?",
            TrashKind::Doc => "UPDATE docs SET deleted_by = ? WHERE id = ?",
        };
        sqlx::query(sql)
            .bind(user.get())
            .bind(id)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

impl SqliteStore {
    async fn restore(&self, kind: TrashKind, id: i64, now: OffsetDateTime) -> Result<()> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        match kind {
            TrashKind::Task => {
                sqlx::query("UPDATE tasks SET deleted_at = NULL, deleted_by = NULL, updated_at = ? WHERE id = ?")
                    .bind(millis(now))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                adjust_progress(&mut tx, TaskId::new(id), 1).await?;
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

    async fn purge(&self, kind: TrashKind, id: i64) -> Result<()> {
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
}
