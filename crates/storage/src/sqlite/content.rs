//! Comments and docs on SQLite.

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::cursor::SeekKey;
use orgn_domain::model::*;
use orgn_domain::store::*;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use time::OffsetDateTime;

use super::search::*;
use super::tasks::*;
use super::{SqliteStore, db_error};
use crate::rows::{self, millis};
use crate::search::{self};

/// The WHERE clause of a doc search on `docs d`: live docs of the query's teams or projects.
pub(super) fn push_doc_filters(b: &mut QueryBuilder<Sqlite>, q: &DocQuery) {
    b.push(" WHERE d.deleted_at IS NULL AND (0");
    if !q.teams.is_empty() {
        b.push(" OR d.team_id IN ");
        push_ids(b, &q.teams);
    }
    if !q.projects.is_empty() {
        b.push(" OR d.project_id IN ");
        push_ids(b, &q.projects);
    }
    b.push(")");
}

pub(super) async fn refresh_task_comments(conn: &mut SqliteConnection, task: TaskId) -> Result<()> {
    sqlx::query(
        "UPDATE task_fts SET comments = coalesce((SELECT group_concat(body, ' ') FROM comments WHERE task_id = ?1), '') WHERE rowid = ?1",
    )
    .bind(task.get())
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

#[async_trait]
impl Content for SqliteStore {
    async fn create_comment(
        &self,
        task: TaskId,
        author: UserId,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<CommentId> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        let id: i64 = sqlx::query_scalar("INSERT INTO comments (task_id, author_id, body, created_at) VALUES (?, ?, ?, ?) RETURNING id")
            .bind(task.get())
            .bind(author.get())
            .bind(body)
            .bind(millis(now))
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        let id = CommentId::new(id);
        refresh_task_comments(&mut tx, task).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(id)
    }

    async fn comment(&self, id: CommentId) -> Result<Option<Comment>> {
        let row = sqlx::query(
            "SELECT cm.id, cm.task_id, cm.author_id, u.name AS author_name, u.email AS author_email, cm.body, cm.created_at, cm.edited_at \
             FROM comments cm JOIN users u ON u.id = cm.author_id WHERE cm.id = ?",
        )
        .bind(id.get())
        .fetch_optional(&self.reader)
        .await
        .map_err(db_error)?;
        row.as_ref().map(rows::comment).transpose()
    }

    async fn comments(&self, task: TaskId) -> Result<Vec<Comment>> {
        let rows = sqlx::query(
            "SELECT cm.id, cm.task_id, cm.author_id, u.name AS author_name, u.email AS author_email, cm.body, cm.created_at, cm.edited_at \
             FROM comments cm JOIN users u ON u.id = cm.author_id WHERE cm.task_id = ? ORDER BY cm.id",
        )
        .bind(task.get())
        .fetch_all(&self.reader)
        .await
        .map_err(db_error)?;
        rows.iter().map(rows::comment).collect()
    }

    async fn update_comment(&self, id: CommentId, body: &str, now: OffsetDateTime) -> Result<()> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        let task: i64 = sqlx::query_scalar(
            "UPDATE comments SET body = ?, edited_at = ? WHERE id = ? RETURNING task_id",
        )
        .bind(body)
        .bind(millis(now))
        .bind(id.get())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        refresh_task_comments(&mut tx, TaskId::new(task)).await?;
        tx.commit().await.map_err(db_error)
    }

    async fn create_doc(&self, d: NewDoc) -> Result<DocId> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO docs (team_id, project_id, title, content, creator_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(d.team_id.map(|id| id.get()))
        .bind(d.project_id.map(|id| id.get()))
        .bind(&d.title)
        .bind(&d.content)
        .bind(d.creator_id.get())
        .bind(millis(d.now))
        .bind(millis(d.now))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        let id = DocId::new(id);
        sqlx::query("INSERT INTO doc_fts (rowid, title, content) VALUES (?, ?, ?)")
            .bind(id.get())
            .bind(&d.title)
            .bind(&d.content)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(id)
    }

    async fn doc(&self, id: DocId) -> Result<Option<Doc>> {
        let sql = format!(
            "SELECT {DOC_COLUMNS} FROM docs d JOIN users u ON u.id = d.creator_id WHERE d.id = ? AND d.deleted_at IS NULL"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.get())
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.as_ref().map(rows::doc).transpose()
    }

    async fn update_doc(
        &self,
        id: DocId,
        title: Option<&str>,
        content: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        sqlx::query("UPDATE docs SET title = coalesce(?, title), content = coalesce(?, content), updated_at = ? WHERE id = ?")
            .bind(title)
            .bind(content)
            .bind(millis(now))
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query("UPDATE doc_fts SET title = (SELECT title FROM docs WHERE id = ?1), content = (SELECT content FROM docs WHERE id = ?1) WHERE rowid = ?1")
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    async fn delete_doc(&self, id: DocId, now: OffsetDateTime) -> Result<()> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        sqlx::query("UPDATE docs SET deleted_at = ? WHERE id = ?")
            .bind(millis(now))
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query("DELETE FROM doc_fts WHERE rowid = ?")
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    async fn search_docs(&self, q: &DocQuery) -> Result<Vec<(Doc, SeekKey)>> {
        let text = match q.text.as_deref() {
            Some(t) => match search::docs(t) {
                Some(search) => Some(search),
                None => return Ok(vec![]),
            },
            None => None,
        };
        let limit = q.limit as i64;
        let mut b = QueryBuilder::<Sqlite>::new("SELECT ");
        b.push(DOC_COLUMNS);
        match &text {
            Some(search) => {
                b.push(", h.tier AS rank FROM (");
                push_tier_arms(
                    &mut b,
                    search,
                    ("doc_fts", &DOC_FTS_COLUMNS),
                    ("docs", "d"),
                    q.after,
                    limit,
                    |b| push_doc_filters(b, q),
                );
                b.push(") h JOIN docs d ON d.id = h.hid JOIN users u ON u.id = d.creator_id ORDER BY h.tier, d.id DESC");
            }
            None => {
                b.push(", NULL AS rank FROM docs d JOIN users u ON u.id = d.creator_id");
                push_doc_filters(&mut b, q);
                if let Some(after) = q.after {
                    b.push(" AND d.id < ").push_bind(after.id);
                }
                b.push(" ORDER BY d.id DESC LIMIT ").push_bind(limit);
            }
        }
        let rows = b.build().fetch_all(&self.reader).await.map_err(db_error)?;
        rows.iter()
            .map(|row| {
                let doc = rows::doc(row)?;
                let key = SeekKey {
                    rank: row.get::<Option<i64>, _>("rank").map(|tier| tier as f64),
                    id: doc.id.get(),
                };
                Ok((doc, key))
            })
            .collect()
    }
}
