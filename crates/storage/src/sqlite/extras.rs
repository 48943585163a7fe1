//! The Trash, bulk inserts, background jobs and Ask Orgn conversations on SQLite.
//! `Store` methods in store.rs delegate here, to keep each file about one thing.

use orgn_domain::Result;
use orgn_domain::model::*;
use orgn_domain::store::*;

use super::SqliteBackend;
use crate::sql::BulkInsert;
use sqlx::{QueryBuilder, Row, Sqlite};
use time::OffsetDateTime;

use super::store::{adjust_progress, push_ids};
use super::{SqliteStore, db_error};
use crate::rows::{from_millis, millis};

impl SqliteStore {
    pub(super) async fn insert_many(&self, tasks: &[NewTask]) -> Result<Vec<TaskId>> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        let ids = SqliteBackend::insert_bulk(&mut tx, tasks).await?;
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
}

/// Writes the search index rows of the live tasks with ids from `first` to `last`.
pub(super) async fn index_tasks(
    conn: &mut sqlx::SqliteConnection,
    first: i64,
    last: i64,
) -> Result<()> {
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
