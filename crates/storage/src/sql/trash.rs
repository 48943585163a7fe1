//! The Trash and the undo of bulk changes: the same SQL on both backends, with the search
//! index kept in step through `SearchIndex`, and the row of an item being purged locked on
//! PostgreSQL (`Backend::ROW_LOCK`) so that a concurrent restore waits for it.

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::changes::NewChange;
use orgn_domain::model::*;
use orgn_domain::store::{TaskUpdate, Trash};
use time::OffsetDateTime;

use super::feed::append_change;
use super::search::SearchIndex;
use super::tasks::{adjust_progress, apply_task_updates};
use super::{Conn, Sql, SqlStore};
use crate::rows::{self, RowExt};

/// A deleted doc as a Trash item, with who deleted it.
const DELETED_DOC: &str = "SELECT 'doc' AS kind, d.id, d.title AS label, d.title, d.team_id, d.project_id, d.deleted_at, \
     u.id AS uid, u.name AS uname, u.email AS uemail FROM docs d LEFT JOIN users u ON u.id = d.deleted_by \
     WHERE d.deleted_at IS NOT NULL";

fn table(kind: TrashKind) -> &'static str {
    match kind {
        TrashKind::Task => "tasks",
        TrashKind::Doc => "docs",
    }
}

#[async_trait]
impl<B: SearchIndex> Trash for SqlStore<B> {
    async fn update_tasks_keeping_undo(
        &self,
        updates: &[TaskUpdate],
        change: &BulkChange,
        forget_before: OffsetDateTime,
    ) -> Result<BulkChangeId> {
        let mut tx = self.begin().await?;
        // Bulk updates are planned without a version (`planned_on` is None): always applied.
        apply_task_updates::<B>(&mut tx, updates).await?;
        tx.execute(Sql::new("DELETE FROM bulk_changes WHERE created_at < $1").arg(forget_before))
            .await?;
        let keep = Sql::new(
            "INSERT INTO bulk_changes (user_id, status, previous, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .arg(change.user_id)
        .arg(&change.status)
        .arg(rows::previous_to_json(&change.previous))
        .arg(change.created_at);
        let id = tx.one(keep).await?.id("id")?;
        self.commit_changes(tx).await?;
        Ok(id)
    }

    async fn bulk_change(&self, id: BulkChangeId) -> Result<Option<BulkChange>> {
        let sql = Sql::new(
            "SELECT id, user_id, status, previous, created_at FROM bulk_changes WHERE id = $1",
        )
        .arg(id);
        let row = self.reader().await?.optional(sql).await?;
        row.as_ref().map(rows::bulk_change).transpose()
    }

    async fn undo_bulk_change(&self, id: BulkChangeId, updates: &[TaskUpdate]) -> Result<bool> {
        // Deleting the row first locks it: of two processes undoing the same change, the
        // second waits, then finds it gone.
        let mut tx = self.begin().await?;
        let taken = Sql::new("DELETE FROM bulk_changes WHERE id = $1").arg(id);
        if tx.execute(taken).await? == 0 {
            return Ok(false);
        }
        apply_task_updates::<B>(&mut tx, updates).await?;
        self.commit_changes(tx).await?;
        Ok(true)
    }

    async fn trash(&self, teams: &[TeamId]) -> Result<Vec<TrashItem>> {
        if teams.is_empty() {
            return Ok(vec![]);
        }
        let mut sql = Sql::new(
            "SELECT 'task' AS kind, t.id, tm.key || '-' || t.number AS label, t.title, t.team_id, \
             CAST(NULL AS BIGINT) AS project_id, t.deleted_at, u.id AS uid, u.name AS uname, u.email AS uemail \
             FROM tasks t JOIN teams tm ON tm.id = t.team_id LEFT JOIN users u ON u.id = t.deleted_by \
             WHERE t.deleted_at IS NOT NULL AND t.team_id IN ",
        );
        sql.list(teams)
            .push(&format!(" UNION ALL {DELETED_DOC} AND (d.team_id IN "))
            .list(teams)
            .push(" OR d.project_id IN (SELECT project_id FROM project_teams WHERE team_id IN ")
            .list(teams)
            // Newest first; items deleted at one instant by kind and id.
            .push(")) ORDER BY 7 DESC, 1 DESC, 2 DESC");
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(rows::trash_item).collect()
    }

    async fn deleted_task_id(&self, team: TeamId, number: i64) -> Result<Option<TaskId>> {
        let sql = Sql::new(
            "SELECT id FROM tasks WHERE team_id = $1 AND number = $2 AND deleted_at IS NOT NULL",
        )
        .arg(team)
        .arg(number);
        let row = self.reader().await?.optional(sql).await?;
        row.map(|r| r.id("id")).transpose()
    }

    async fn deleted_doc(&self, id: DocId) -> Result<Option<TrashItem>> {
        let sql = Sql::new(format!("{DELETED_DOC} AND d.id = $1")).arg(id);
        let row = self.reader().await?.optional(sql).await?;
        row.as_ref().map(rows::trash_item).transpose()
    }

    async fn restore_task(&self, id: TaskId, change: &NewChange) -> Result<()> {
        restore(&self.0, TrashKind::Task, id.get(), change).await
    }

    async fn restore_doc(&self, id: DocId, change: &NewChange) -> Result<()> {
        restore(&self.0, TrashKind::Doc, id.get(), change).await
    }

    async fn purge_task(&self, id: TaskId) -> Result<()> {
        purge(&self.0, TrashKind::Task, id.get()).await
    }

    async fn purge_doc(&self, id: DocId) -> Result<()> {
        purge(&self.0, TrashKind::Doc, id.get()).await
    }

    async fn purge_deleted_before(&self, cutoff: OffsetDateTime) -> Result<u64> {
        let mut purged = 0;
        for kind in [TrashKind::Task, TrashKind::Doc] {
            let sql = Sql::new(format!(
                "SELECT id FROM {} WHERE deleted_at IS NOT NULL AND deleted_at < $1",
                table(kind)
            ))
            .arg(cutoff);
            let ids = self.reader().await?.rows(sql).await?;
            for row in &ids {
                purge(&self.0, kind, row.int("id")?).await?;
            }
            purged += ids.len() as u64;
        }
        Ok(purged)
    }

    async fn set_deleted_by(&self, kind: TrashKind, id: i64, user: UserId) -> Result<()> {
        let sql = Sql::new(format!(
            "UPDATE {} SET deleted_by = $1 WHERE id = $2",
            table(kind)
        ))
        .arg(user)
        .arg(id);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }
}

/// Brings a deleted item back (a live one is left alone): into its progress and status
/// counts and the search index.
async fn restore<B: SearchIndex>(
    store: &B,
    kind: TrashKind,
    id: i64,
    change: &NewChange,
) -> Result<()> {
    let mut tx = store.begin().await?;
    let sql = Sql::new(format!(
        "UPDATE {} SET deleted_at = NULL, deleted_by = NULL, updated_at = $1, version = version + 1 \
             WHERE id = $2 AND deleted_at IS NOT NULL",
        table(kind)
    ))
    .arg(change.stamp.at)
    .arg(id);
    if tx.execute(sql).await? == 1 {
        match kind {
            TrashKind::Task => {
                let task = TaskId::new(id);
                adjust_progress(&mut *tx, task, 1).await?;
                super::counts::adjust_status_count_of(&mut *tx, task, 1).await?;
                B::reindex_tasks(&mut tx, task, task).await?;
            }
            TrashKind::Doc => B::reindex_doc(&mut tx, DocId::new(id)).await?,
        }
        append_change::<B>(&mut tx, change).await?;
    }
    store.commit_changes(tx).await
}

/// Deletes a deleted item for good, with what belongs to it (a live one is left alone).
async fn purge<B: SearchIndex>(store: &B, kind: TrashKind, id: i64) -> Result<()> {
    let mut tx = store.begin().await?;
    let deleted = Sql::new(format!(
        "SELECT id FROM {} WHERE id = $1 AND deleted_at IS NOT NULL{}",
        table(kind),
        B::ROW_LOCK
    ))
    .arg(id);
    if tx.optional(deleted).await?.is_none() {
        return Ok(());
    }
    match kind {
        TrashKind::Task => {
            for child in ["task_labels", "task_events", "comments"] {
                let sql = Sql::new(format!("DELETE FROM {child} WHERE task_id = $1")).arg(id);
                tx.execute(sql).await?;
            }
            B::unindex_task(&mut tx, TaskId::new(id)).await?;
        }
        TrashKind::Doc => B::unindex_doc(&mut tx, DocId::new(id)).await?,
    }
    let sql = Sql::new(format!("DELETE FROM {} WHERE id = $1", table(kind))).arg(id);
    tx.execute(sql).await?;
    B::commit(tx).await
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use orgn_domain::clock::SystemClock;
    use orgn_domain::store::*;
    use orgn_domain::{Caller, Workspace};

    use super::*;
    use crate::SqliteStore;

    /// Restoring or purging a task that is not in the Trash changes nothing: not its index
    /// entry (SQLite used to index it twice and fail), nor its comments and history (which
    /// a purge used to take).
    #[tokio::test]
    async fn restore_and_purge_leave_a_live_task_alone() {
        use orgn_domain::changes::{NewChange, Stamp, Via};
        let dir = std::env::temp_dir().join(format!("orgn-trash-live-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqliteStore::open(&dir).await.unwrap();
        let ws = Workspace::new(Arc::new(store.clone()), Arc::new(SystemClock));
        let user = ws
            .create_user(Caller::Operator, "a@example.com", "A", "password123", true)
            .await
            .unwrap();
        let team = ws
            .create_team(Caller::Operator, "ENG", "Engineering")
            .await
            .unwrap()
            .id;
        let status = store.statuses(team).await.unwrap()[0].id;
        let task = store
            .insert_task(NewTask {
                team_id: team,
                title: "billing export".into(),
                description: String::new(),
                status_id: status,
                priority: Priority::NONE,
                assignee_id: None,
                creator_id: user.id,
                label_ids: vec![],
                project_id: None,
                milestone_id: None,
                cycle_id: None,
                due_date: None,
                estimate: None,
                times: Lifecycle::default(),
                now: ws.now(),
                via: Via::web(),
                inbox: Default::default(),
            })
            .await
            .unwrap();
        let stamp = Stamp {
            actor: user.id,
            via: Via::web(),
            at: ws.now(),
        };
        let change = NewChange::task(&task, vec!["comment".into()], stamp);
        store
            .create_comment(task.id, user.id, "a comment", &change)
            .await
            .unwrap();
        store.restore_task(task.id, &change).await.unwrap();
        store.purge_task(task.id).await.unwrap();
        assert_eq!(store.comments(task.id).await.unwrap().len(), 1);
        assert_eq!(store.task_history(task.id).await.unwrap().len(), 1);
        let found = store
            .search_tasks(&TaskQuery {
                teams: vec![team],
                text: Some("billing".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
