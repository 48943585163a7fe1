//! The Trash, bulk inserts, background jobs and Ask Orgn conversations on PostgreSQL
//! (the counterpart of `sqlite/extras.rs`).

use orgn_domain::Result;
use orgn_domain::model::*;
use orgn_domain::store::*;

use super::PgBackend;
use crate::sql::BulkInsert;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;

use super::store::{TASK_VECTOR, adjust_progress, refresh_doc_vector};
use super::{PgStore, db_error};
use crate::rows::{RowExt, from_millis, millis};

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
        let ids = PgBackend::insert_bulk(&mut tx, tasks).await?;
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
}
