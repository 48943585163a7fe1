//! Comments and docs: the same SQL on both backends, with the search index kept in step
//! through `SearchIndex` (a comment is part of its task's index entry).

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::changes::NewChange;
use orgn_domain::cursor::SeekKey;
use orgn_domain::model::*;
use orgn_domain::store::{Content, DocQuery, NewDoc, RevisionOf};

use super::feed::append_change;
use super::search::{Indexed, SearchIndex, push_tier_arms};
use super::{Conn, Sql, SqlStore};
use crate::rows::{self, RowExt};
use crate::search;

const COMMENT_SELECT: &str = "SELECT cm.id, cm.task_id, cm.author_id, u.name AS author_name, u.email AS author_email, \
     cm.body, cm.created_at, cm.edited_at, cm.version FROM comments cm JOIN users u ON u.id = cm.author_id";

const DOC_COLUMNS: &str = "d.id, d.team_id, d.project_id, d.title, d.content, d.creator_id, \
    u.name AS creator_name, u.email AS creator_email, d.created_at, d.updated_at, d.version";

/// The WHERE clause of a doc search on `docs d`: live docs of the query's teams or projects.
fn push_doc_filters(sql: &mut Sql, q: &DocQuery) {
    sql.push(" WHERE d.deleted_at IS NULL AND (d.team_id IN ")
        .list(&q.teams)
        .push(" OR d.project_id IN ")
        .list(&q.projects)
        .push(")");
}

/// The statement of a doc search: by tier with text, newest first without.
fn doc_search<B: SearchIndex>(q: &DocQuery, text: Option<&search::Search>) -> Sql {
    let limit = q.limit as i64;
    let mut sql = Sql::new(format!("SELECT {DOC_COLUMNS}"));
    match text {
        Some(search) => {
            sql.push(", CAST(h.tier AS BIGINT) AS rank FROM (");
            push_tier_arms::<B>(&mut sql, search, Indexed::Docs, q.after, limit, |sql| {
                push_doc_filters(sql, q)
            });
            sql.push(
                ") h JOIN docs d ON d.id = h.hid JOIN users u ON u.id = d.creator_id \
                 ORDER BY h.tier, d.id DESC",
            );
        }
        None => {
            sql.push(
                ", CAST(NULL AS BIGINT) AS rank FROM docs d JOIN users u ON u.id = d.creator_id",
            );
            push_doc_filters(&mut sql, q);
            if let Some(after) = q.after {
                sql.push(" AND d.id < ").bind(after.id);
            }
            sql.push(" ORDER BY d.id DESC LIMIT ").bind(limit);
        }
    }
    sql
}

#[async_trait]
impl<B: SearchIndex> Content for SqlStore<B> {
    async fn create_comment(
        &self,
        task: TaskId,
        author: UserId,
        body: &str,
        change: &NewChange,
    ) -> Result<CommentId> {
        let now = change.stamp.at;
        let mut tx = self.begin().await?;
        let sql = Sql::new(
            "INSERT INTO comments (task_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .arg(task)
        .arg(author)
        .arg(body)
        .arg(now);
        let id = tx.one(sql).await?.id("id")?;
        B::reindex_tasks(&mut tx, task, task).await?;
        append_change::<B>(&mut tx, change).await?;
        self.commit_changes(tx).await?;
        Ok(id)
    }

    async fn comment(&self, id: CommentId) -> Result<Option<Comment>> {
        let sql = Sql::new(format!("{COMMENT_SELECT} WHERE cm.id = $1")).arg(id);
        let row = self.reader().await?.optional(sql).await?;
        row.as_ref().map(rows::comment).transpose()
    }

    async fn comments(&self, task: TaskId) -> Result<Vec<Comment>> {
        let sql = Sql::new(format!(
            "{COMMENT_SELECT} WHERE cm.task_id = $1 ORDER BY cm.id"
        ))
        .arg(task);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(rows::comment).collect()
    }

    async fn update_comment(&self, id: CommentId, body: &str, change: &NewChange) -> Result<()> {
        let mut tx = self.begin().await?;
        let sql = Sql::new(
            "UPDATE comments SET body = $1, edited_at = $2, version = version + 1 WHERE id = $3 RETURNING task_id",
        )
        .arg(body)
        .arg(change.stamp.at)
        .arg(id);
        let task: TaskId = tx.one(sql).await?.id("task_id")?;
        B::reindex_tasks(&mut tx, task, task).await?;
        append_change::<B>(&mut tx, change).await?;
        self.commit_changes(tx).await
    }

    async fn create_doc(&self, d: NewDoc, change: &NewChange) -> Result<DocId> {
        let mut tx = self.begin().await?;
        let sql = Sql::new(
            "INSERT INTO docs (team_id, project_id, title, content, creator_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .arg(d.team_id)
        .arg(d.project_id)
        .arg(&d.title)
        .arg(&d.content)
        .arg(d.creator_id)
        .arg(d.now)
        .arg(d.now);
        let id: DocId = tx.one(sql).await?.id("id")?;
        B::reindex_doc(&mut tx, id).await?;
        let change = NewChange {
            object_id: id.get(),
            ..change.clone()
        };
        append_change::<B>(&mut tx, &change).await?;
        self.commit_changes(tx).await?;
        Ok(id)
    }

    async fn doc(&self, id: DocId) -> Result<Option<Doc>> {
        let sql = Sql::new(format!(
            "SELECT {DOC_COLUMNS} FROM docs d JOIN users u ON u.id = d.creator_id \
             WHERE d.id = $1 AND d.deleted_at IS NULL"
        ))
        .arg(id);
        let row = self.reader().await?.optional(sql).await?;
        row.as_ref().map(rows::doc).transpose()
    }

    async fn update_doc(
        &self,
        id: DocId,
        title: Option<&str>,
        content: Option<&str>,
        change: &NewChange,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        if let Some(content) = content {
            super::revisions::keep_previous(&mut *tx, RevisionOf::Doc, id.get(), content, change)
                .await?;
        }
        let sql = Sql::new(
            "UPDATE docs SET title = coalesce($1, title), content = coalesce($2, content), updated_at = $3, \
             version = version + 1 WHERE id = $4",
        )
        .arg(title)
        .arg(content)
        .arg(change.stamp.at)
        .arg(id);
        tx.execute(sql).await?;
        B::reindex_doc(&mut tx, id).await?;
        append_change::<B>(&mut tx, change).await?;
        self.commit_changes(tx).await
    }

    async fn delete_doc(&self, id: DocId, change: &NewChange) -> Result<()> {
        let mut tx = self.begin().await?;
        let sql = Sql::new(
            "UPDATE docs SET deleted_at = $1, version = version + 1 WHERE id = $2 AND deleted_at IS NULL",
        )
        .arg(change.stamp.at)
        .arg(id);
        if tx.execute(sql).await? == 1 {
            B::unindex_doc(&mut tx, id).await?;
            append_change::<B>(&mut tx, change).await?;
        }
        self.commit_changes(tx).await
    }

    async fn search_docs(&self, q: &DocQuery) -> Result<Vec<(Doc, SeekKey)>> {
        let text = match q.text.as_deref() {
            Some(t) => match search::docs(t) {
                Some(search) => Some(search),
                None => return Ok(vec![]),
            },
            None => None,
        };
        let sql = doc_search::<B>(q, text.as_ref());
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter()
            .map(|row| {
                let doc = rows::doc(row)?;
                let key = SeekKey {
                    rank: row.opt_int("rank")?.map(|tier| tier as f64),
                    id: doc.id.get(),
                };
                Ok((doc, key))
            })
            .collect()
    }
}
