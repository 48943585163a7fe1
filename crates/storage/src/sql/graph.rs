//! The work graph: a task's parent (`tasks.parent_id`) and its relations
//! (`task_relations`, kept one way, read from both sides through an index each). Every
//! read is bounded by the one task, its limit or the page of tasks it marks.

use async_trait::async_trait;
use orgn_domain::changes::{NewChange, Stamp};
use orgn_domain::model::*;
use orgn_domain::store::{Graph, NewLinks, NewTask};
use orgn_domain::{Error, Result};
use time::OffsetDateTime;

use super::feed::append_change;
use super::search::SearchIndex;
use super::tasks::{delete_task_in, insert_task_in, task_by_id};
use super::{Backend, Conn, Sql, SqlStore};
use crate::rows::{self, RowExt};

/// The columns `rows::task_link` reads, from `tasks t` and `LINK_JOINS`.
const LINK_COLUMNS: &str = "t.id, t.team_id, tm.key AS team_key, t.number, t.title, \
    t.status_id, s.name AS status_name, s.kind AS status_kind";
const LINK_JOINS: &str =
    " JOIN teams tm ON tm.id = t.team_id JOIN statuses s ON s.id = t.status_id";

/// The condition, on a task `t`, that a live blocker of `teams` which is neither completed
/// nor canceled blocks it; read off `task_relations_by_to`.
pub(crate) fn push_open_blocker(sql: &mut Sql, teams: &[TeamId]) {
    sql.push(
        "EXISTS (SELECT 1 FROM task_relations r JOIN tasks b ON b.id = r.from_task_id \
         JOIN statuses bs ON bs.id = b.status_id WHERE r.to_task_id = t.id AND r.kind = 'blocks' \
         AND b.deleted_at IS NULL AND bs.kind NOT IN ('completed', 'canceled') AND b.team_id IN ",
    )
    .list(teams)
    .push(")");
}

/// `t` has an open blocker the reader can see, for search_tasks' `blocked`. The candidates
/// come from the relations (a list of the `blocks` ones: it grows with the relations, not
/// with the tasks), and each team's tasks are looked up by key rather than read until a page
/// of blocked ones fills. At 1M tasks with 6 `blocks` relations, sqlite3 took 163 ms for the
/// `EXISTS` form and under 1 ms for this one. `CROSS JOIN` keeps SQLite's planner starting
/// from the relations whatever its statistics (on an empty database's it read every task of
/// the blockers' teams); PostgreSQL orders it as any inner join.
pub(crate) fn push_in_open_blocker_targets(sql: &mut Sql, teams: &[TeamId]) {
    sql.push(
        "t.id IN (SELECT r.to_task_id FROM task_relations r CROSS JOIN tasks b \
         CROSS JOIN statuses bs WHERE b.id = r.from_task_id AND bs.id = b.status_id \
         AND r.kind = 'blocks' AND b.deleted_at IS NULL \
         AND bs.kind NOT IN ('completed', 'canceled') AND b.team_id IN ",
    )
    .list(teams)
    .push(")");
}

/// Sets or clears a task's parent, inside the caller's transaction (no version raised: the
/// caller's own update or insert does that).
pub(crate) async fn set_parent<C: Conn>(
    conn: &mut C,
    task: TaskId,
    parent: Option<TaskId>,
) -> Result<()> {
    let sql = Sql::new("UPDATE tasks SET parent_id = $1 WHERE id = $2")
        .arg(parent)
        .arg(task);
    conn.execute(sql).await?;
    Ok(())
}

/// Refuses, inside the transaction that sets it, a parent that would make `task` its own
/// ancestor. The domain checked before, but two changes at once (A under B, B under A)
/// could each pass that check: here the team's row is locked first (parents share the
/// task's team), so the second waits and then sees the first.
pub(crate) async fn refuse_cycle<B: Backend>(
    conn: &mut B::Conn,
    task: TaskId,
    parent: TaskId,
) -> Result<()> {
    let lock = Sql::new(format!(
        "SELECT id FROM teams WHERE id = (SELECT team_id FROM tasks WHERE id = $1){}",
        B::ROW_LOCK
    ))
    .arg(task);
    conn.optional(lock).await?;
    let sql = Sql::new(
        "WITH RECURSIVE up(id, depth) AS (SELECT CAST($1 AS BIGINT), 0 \
         UNION ALL SELECT t.parent_id, up.depth + 1 FROM tasks t JOIN up ON t.id = up.id \
         WHERE t.parent_id IS NOT NULL AND up.depth < $2) \
         SELECT count(*) AS n FROM up WHERE id = $3",
    )
    .arg(parent)
    .arg(orgn_domain::MAX_DEPTH as i64)
    .arg(task);
    if conn.int(sql, "n").await?.unwrap_or(0) > 0 {
        return Err(Error::Invalid(
            "that parent would make the task its own ancestor (it changed meanwhile)".into(),
        ));
    }
    Ok(())
}

/// Adds relations of `task` (as it sees them); one that exists already is left alone.
pub(crate) async fn add_relations<C: Conn>(
    conn: &mut C,
    task: TaskId,
    relations: &[(RelationKind, TaskId)],
    now: OffsetDateTime,
) -> Result<()> {
    for (kind, other) in relations {
        let edge = kind.edge(task, *other);
        let sql = Sql::new(
            "INSERT INTO task_relations (from_task_id, to_task_id, kind, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .arg(edge.from)
        .arg(edge.to)
        .arg(edge.kind.as_str())
        .arg(now);
        conn.execute(sql).await?;
    }
    Ok(())
}

pub(crate) async fn remove_relations<C: Conn>(
    conn: &mut C,
    task: TaskId,
    relations: &[(RelationKind, TaskId)],
) -> Result<()> {
    for (kind, other) in relations {
        let edge = kind.edge(task, *other);
        let sql = Sql::new(
            "DELETE FROM task_relations WHERE from_task_id = $1 AND kind = $2 AND to_task_id = $3",
        )
        .arg(edge.from)
        .arg(edge.kind.as_str())
        .arg(edge.to);
        conn.execute(sql).await?;
    }
    Ok(())
}

/// The statement of a task's relations to live tasks of `teams`, one arm per side, each
/// on its index; blockers first, then kind, then newest.
fn relations_sql(task: TaskId, teams: &[TeamId], among: &[TaskId], limit: usize) -> Sql {
    let mut sql = Sql::default();
    push_relations(&mut sql, task, teams, among, limit);
    sql
}

/// `relations_sql`'s statement, appended to `sql`: relations with the tasks `among` only,
/// unless it is empty.
fn push_relations(sql: &mut Sql, task: TaskId, teams: &[TeamId], among: &[TaskId], limit: usize) {
    sql.push("SELECT * FROM (");
    for (i, (mine, other, from_side)) in [
        ("from_task_id", "to_task_id", 1),
        ("to_task_id", "from_task_id", 0),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push(&format!(
            "SELECT r.kind AS edge_kind, CAST({from_side} AS BIGINT) AS from_side, r.created_at, {LINK_COLUMNS} \
             FROM task_relations r JOIN tasks t ON t.id = r.{other}{LINK_JOINS} WHERE r.{mine} = "
        ))
        .bind(task)
        .push(" AND t.deleted_at IS NULL AND t.team_id IN ")
        .list(teams);
        if !among.is_empty() {
            sql.push(" AND t.id IN ").list(among);
        }
    }
    sql.push(
        ") x ORDER BY CASE WHEN edge_kind = 'blocks' AND from_side = 0 THEN 0 \
         WHEN edge_kind = 'blocks' THEN 1 ELSE 2 END, edge_kind, created_at DESC, id DESC LIMIT ",
    )
    .bind(limit as i64);
}

/// A task page's children and relations in one statement (one round trip): the children
/// (`edge_kind` 'child') as `children_sql` reads them, then the relations as
/// `relations_sql` does. Each part keeps its own order and limit; the caller separates them.
fn graph_sql(task: TaskId, teams: &[TeamId], children: usize, relations: usize) -> Sql {
    let mut sql = Sql::new(format!(
        "SELECT * FROM (SELECT 'child' AS edge_kind, CAST(0 AS BIGINT) AS from_side, t.created_at, \
         {LINK_COLUMNS} FROM tasks t{LINK_JOINS} WHERE t.parent_id = "
    ));
    sql.bind(task)
        .push(" AND t.deleted_at IS NULL ORDER BY t.id LIMIT ")
        .bind(children as i64)
        .push(") c");
    if !teams.is_empty() {
        sql.push(" UNION ALL SELECT * FROM (");
        push_relations(&mut sql, task, teams, &[], relations);
        sql.push(") rel");
    }
    sql
}

/// The order `relations_sql` gives, for rows that come back through a union.
fn relation_order(
    r: &(TaskRelation, i64),
) -> (
    u8,
    &'static str,
    std::cmp::Reverse<i64>,
    std::cmp::Reverse<TaskId>,
) {
    let rank = match r.0.kind {
        RelationKind::BlockedBy => 0,
        RelationKind::Blocks => 1,
        _ => 2,
    };
    let edge = r.0.kind.edge(TaskId::new(0), TaskId::new(1)).kind.as_str();
    (
        rank,
        edge,
        std::cmp::Reverse(r.1),
        std::cmp::Reverse(r.0.task.id),
    )
}

/// The feed row of a new task's links, for the pages of its parent and related tasks
/// (the task's own "created" row went before).
fn linked_change(task: &NewTask, inserted: &Task, links: &NewLinks) -> NewChange {
    let mut fields = Vec::new();
    if links.parent_id.is_some() {
        fields.push("parent".to_string());
    }
    if !links.relations.is_empty() {
        fields.push("relations".to_string());
    }
    let stamp = Stamp {
        actor: task.creator_id,
        via: task.via.clone(),
        at: task.now,
    };
    links
        .topics
        .iter()
        .fold(NewChange::task(inserted, fields, stamp), |change, topic| {
            change.with_topic(topic.clone())
        })
}

/// A parent's live children, oldest first, off `tasks_by_parent`.
fn children_sql(parent: TaskId, limit: usize) -> Sql {
    Sql::new(format!(
        "SELECT {LINK_COLUMNS} FROM tasks t{LINK_JOINS} \
         WHERE t.parent_id = $1 AND t.deleted_at IS NULL ORDER BY t.id LIMIT $2"
    ))
    .arg(parent)
    .arg(limit as i64)
}

fn children_progress_sql(parent: TaskId) -> Sql {
    Sql::new(
        "SELECT count(*) AS p_total, \
         sum(CASE WHEN s.kind = 'completed' THEN 1 ELSE 0 END) AS p_completed, \
         sum(CASE WHEN s.kind = 'canceled' THEN 1 ELSE 0 END) AS p_canceled \
         FROM tasks t JOIN statuses s ON s.id = t.status_id \
         WHERE t.parent_id = $1 AND t.deleted_at IS NULL",
    )
    .arg(parent)
}

/// Which of a page of tasks have an open blocker of `teams`: by primary key, then each
/// one's blockers off `task_relations_by_to`.
fn blocked_among_sql(tasks: &[TaskId], teams: &[TeamId]) -> Sql {
    let mut sql = Sql::new("SELECT t.id FROM tasks t WHERE t.id IN ");
    sql.list(tasks).push(" AND ");
    push_open_blocker(&mut sql, teams);
    sql
}

#[async_trait]
impl<B: SearchIndex> Graph for SqlStore<B> {
    async fn insert_task_linked(&self, task: NewTask, links: &NewLinks) -> Result<Task> {
        let mut tx = self.begin().await?;
        let id = insert_task_in::<B>(&mut tx, &task).await?;
        if links.parent_id.is_some() {
            set_parent(&mut *tx, id, links.parent_id).await?;
        }
        add_relations(&mut *tx, id, &links.relations, task.now).await?;
        let inserted = task_by_id::<B>(&mut tx, id)
            .await?
            .ok_or_else(|| Error::Internal("task vanished after insert".into()))?;
        append_change::<B>(&mut tx, &linked_change(&task, &inserted, links)).await?;
        self.commit_changes(tx).await?;
        Ok(inserted)
    }

    async fn ancestors(&self, task: TaskId, limit: usize) -> Result<Vec<TaskId>> {
        let sql = Sql::new(
            "WITH RECURSIVE up(id, depth) AS ( \
             SELECT parent_id, 1 FROM tasks WHERE id = $1 AND parent_id IS NOT NULL \
             UNION ALL SELECT t.parent_id, up.depth + 1 FROM tasks t JOIN up ON t.id = up.id \
             WHERE t.parent_id IS NOT NULL AND up.depth < $2) \
             SELECT id FROM up ORDER BY depth",
        )
        .arg(task)
        .arg(limit as i64);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(|r| r.id("id")).collect()
    }

    async fn children_and_relations(
        &self,
        task: TaskId,
        teams: &[TeamId],
        children_limit: usize,
        relations_limit: usize,
    ) -> Result<(Vec<TaskLink>, Vec<TaskRelation>)> {
        let sql = graph_sql(task, teams, children_limit, relations_limit);
        let rows = self.reader().await?.rows(sql).await?;
        let (mut children, mut relations) = (Vec::new(), Vec::new());
        for row in &rows {
            if row.text("edge_kind")? == "child" {
                children.push(rows::task_link(row)?);
            } else {
                relations.push((rows::task_relation(row)?, row.int("created_at")?));
            }
        }
        children.sort_by_key(|c| c.id);
        relations.sort_by(|a, b| relation_order(a).cmp(&relation_order(b)));
        Ok((children, relations.into_iter().map(|(r, _)| r).collect()))
    }

    async fn task_links(&self, ids: &[TaskId]) -> Result<Vec<TaskLink>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut sql = Sql::new(format!(
            "SELECT {LINK_COLUMNS} FROM tasks t{LINK_JOINS} WHERE t.deleted_at IS NULL AND t.id IN "
        ));
        sql.list(ids);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(rows::task_link).collect()
    }

    async fn children(&self, parent: TaskId, limit: usize) -> Result<Vec<TaskLink>> {
        let rows = self
            .reader()
            .await?
            .rows(children_sql(parent, limit))
            .await?;
        rows.iter().map(rows::task_link).collect()
    }

    async fn children_progress(&self, parent: TaskId) -> Result<Progress> {
        let sql = children_progress_sql(parent);
        let row = self.reader().await?.one(sql).await?;
        rows::progress(&row)
    }

    async fn relations(
        &self,
        task: TaskId,
        teams: &[TeamId],
        limit: usize,
    ) -> Result<Vec<TaskRelation>> {
        if teams.is_empty() {
            return Ok(vec![]);
        }
        let sql = relations_sql(task, teams, &[], limit);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(rows::task_relation).collect()
    }

    async fn relations_among(
        &self,
        task: TaskId,
        among: &[TaskId],
        teams: &[TeamId],
    ) -> Result<Vec<TaskRelation>> {
        if among.is_empty() || teams.is_empty() {
            return Ok(vec![]);
        }
        // At most one relation of each kind either way with each of them.
        let sql = relations_sql(task, teams, among, among.len() * 4);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(rows::task_relation).collect()
    }

    async fn blocked_among(&self, tasks: &[TaskId], teams: &[TeamId]) -> Result<Vec<TaskId>> {
        if tasks.is_empty() || teams.is_empty() {
            return Ok(vec![]);
        }
        let sql = blocked_among_sql(tasks, teams);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(|r| r.id("id")).collect()
    }

    async fn delete_tasks_together(
        &self,
        deletions: &[(TaskId, NewChange)],
        detach: Option<TaskId>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        if let (Some(parent), Some((_, change))) = (detach, deletions.first()) {
            let sql = Sql::new(
                "UPDATE tasks SET parent_id = NULL, version = version + 1, updated_at = $1 \
                 WHERE parent_id = $2 AND deleted_at IS NULL",
            )
            .arg(change.stamp.at)
            .arg(parent);
            tx.execute(sql).await?;
        }
        for (id, change) in deletions {
            delete_task_in::<B>(&mut tx, *id, change).await?;
        }
        self.commit_changes(tx).await
    }

    async fn deleted_with(&self, parent: TaskId, limit: usize) -> Result<Vec<TaskLink>> {
        let sql = Sql::new(format!(
            "SELECT {LINK_COLUMNS} FROM tasks t{LINK_JOINS} JOIN tasks p ON p.id = t.parent_id \
             WHERE t.parent_id = $1 AND t.deleted_at IS NOT NULL AND t.deleted_at = p.deleted_at \
             ORDER BY t.id LIMIT $2"
        ))
        .arg(parent)
        .arg(limit as i64);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(rows::task_link).collect()
    }

    async fn related_tasks(&self, task: TaskId, limit: usize) -> Result<Vec<TaskLink>> {
        let side = |mine: &str, other: &str| {
            format!(
                "SELECT {LINK_COLUMNS} FROM task_relations r JOIN tasks t ON t.id = r.{other}{LINK_JOINS} \
                 WHERE r.{mine} = $1 AND t.deleted_at IS NULL"
            )
        };
        let sql = Sql::new(format!(
            "SELECT * FROM ({} UNION ALL {}) x LIMIT $2",
            side("from_task_id", "to_task_id"),
            side("to_task_id", "from_task_id")
        ))
        .arg(task)
        .arg(limit as i64);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(rows::task_link).collect()
    }

    async fn tasks_blocked_by(&self, task: TaskId, limit: usize) -> Result<Vec<TaskId>> {
        let sql = Sql::new(
            "SELECT r.to_task_id AS id FROM task_relations r JOIN tasks t ON t.id = r.to_task_id \
             WHERE r.from_task_id = $1 AND r.kind = 'blocks' AND t.deleted_at IS NULL \
             ORDER BY r.to_task_id LIMIT $2",
        )
        .arg(task)
        .arg(limit as i64);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(|r| r.id("id")).collect()
    }
}

#[cfg(test)]
mod tests {
    use orgn_domain::model::*;
    use orgn_domain::store::{Store, TaskQuery};

    use super::*;
    use crate::SqliteStore;
    use crate::sql::Backend;
    use crate::sql::tasks::task_search;
    use crate::sqlite::SqliteBackend;

    /// The details of EXPLAIN QUERY PLAN for a statement.
    async fn plan(store: &SqliteStore, mut sql: Sql) -> Vec<String> {
        sql.text = format!("EXPLAIN QUERY PLAN {}", sql.text);
        let rows = store.reader().await.unwrap().rows(sql).await.unwrap();
        rows.iter().map(|r| r.text("detail").unwrap()).collect()
    }

    /// No table of the graph is read whole: every step searches an index (a full `SCAN`
    /// of tasks or relations would grow with the workspace, not with the page).
    fn searches_only(plan: &[String]) {
        for step in plan {
            let scans = ["t", "r", "b"].iter().any(|table| {
                *step == format!("SCAN {table}") || step.starts_with(&format!("SCAN {table} "))
            });
            assert!(!scans, "a full scan: {plan:#?}");
        }
    }

    #[tokio::test]
    async fn children_relations_and_blocked_marks_read_indexes_bounded_by_the_page() {
        let dir = std::env::temp_dir().join(format!("orgn-graph-plan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqliteStore::open(&dir).await.unwrap();
        let (task, teams) = (TaskId::new(7), [TeamId::new(1), TeamId::new(2)]);

        let children = plan(&store, children_sql(task, 51)).await;
        searches_only(&children);
        assert!(
            children
                .iter()
                .any(|s| s.contains("INDEX tasks_by_parent (parent_id=?)")),
            "{children:#?}"
        );
        // Oldest first comes straight off the index: no sort of every child.
        assert!(
            !children.iter().any(|s| s.contains("TEMP B-TREE")),
            "{children:#?}"
        );
        let progress = plan(&store, children_progress_sql(task)).await;
        searches_only(&progress);
        assert!(
            progress.iter().any(|s| s.contains("tasks_by_parent")),
            "{progress:#?}"
        );

        // Each side of the relations reads its own index (the primary key's, the `to` one);
        // only this task's relations are then ordered.
        let relations = plan(&store, relations_sql(task, &teams, &[], 51)).await;
        searches_only(&relations);
        assert!(
            relations
                .iter()
                .any(|s| s.starts_with("SEARCH r USING INDEX") && s.contains("(from_task_id=?)")),
            "{relations:#?}"
        );
        assert!(
            relations
                .iter()
                .any(|s| s.contains("task_relations_by_to (to_task_id=?")),
            "{relations:#?}"
        );

        // get_task's one statement for both: the same indexes, each part bounded.
        let both = plan(&store, graph_sql(task, &teams, 50, 51)).await;
        searches_only(&both);
        for index in [
            "tasks_by_parent (parent_id=?)",
            "task_relations_by_to (to_task_id=?",
        ] {
            assert!(both.iter().any(|s| s.contains(index)), "{index}: {both:#?}");
        }

        // A page's blocked marks: the page's tasks by key, their blockers off the index.
        let page: Vec<TaskId> = (1..=25).map(TaskId::new).collect();
        let blocked = plan(&store, blocked_among_sql(&page, &teams)).await;
        searches_only(&blocked);
        assert!(
            blocked.iter().any(|s| s.contains("task_relations_by_to")),
            "{blocked:#?}"
        );

        // search_tasks' `parent`: each team's arm reads the parent's children in id order.
        let q = TaskQuery {
            teams: teams.to_vec(),
            parent_id: Some(task),
            limit: 26,
            ..Default::default()
        };
        let search = plan(&store, task_search::<SqliteBackend>(&q, None)).await;
        let arms = search
            .iter()
            .filter(|s| s.contains("tasks_by_parent"))
            .count();
        assert_eq!(arms, 2, "{search:#?}");
        let blocked_q = TaskQuery {
            parent_id: None,
            blocked_by_teams: Some(teams.to_vec()),
            ..q.clone()
        };
        // search_tasks' `blocked`: each team's arm looks its tasks up by key from the list
        // of open blockers' targets (read off the relations' covering index), never reading
        // a team's tasks until a page of blocked ones fills.
        let blocked = plan(&store, task_search::<SqliteBackend>(&blocked_q, None)).await;
        let by_key = blocked
            .iter()
            .filter(|s| s.starts_with("SEARCH t ") && s.ends_with("id=?)"));
        assert!(by_key.count() >= 2, "{blocked:#?}");
        assert!(
            !blocked.iter().any(|s| s.ends_with("(team_id=?)")),
            "no team's tasks read in a range: {blocked:#?}"
        );
        assert!(
            blocked
                .iter()
                .any(|s| s.contains("COVERING INDEX task_relations")),
            "{blocked:#?}"
        );
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
