//! The search index on SQLite: FTS5 tables beside the rows (`task_fts`, `doc_fts`, whose
//! rowids are the task and doc ids), holding live items only, and one tier's FTS5 match
//! expression (see crate::search).

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::model::{DocId, TaskId};

use super::SqliteBackend;
use crate::search::{Search, Tier};
use crate::sql::search::{Indexed, SearchIndex};
use crate::sql::{Conn, Sql};

/// The columns of the full-text indexes, in the order `search::Tier::columns` counts them.
const TASK_FTS_COLUMNS: [&str; 4] = ["identifier", "title", "description", "comments"];
const DOC_FTS_COLUMNS: [&str; 2] = ["title", "content"];

/// One search tier as an FTS5 match: each word quoted (so it can only be a word), as a prefix
/// when the tier says so, within the tier's leading `columns`.
fn fts_match(columns: &[&str], words: &[String], tier: Tier) -> String {
    let phrase: Vec<String> = words
        .iter()
        .map(|w| {
            if tier.prefix {
                format!("\"{w}\"*")
            } else {
                format!("\"{w}\"")
            }
        })
        .collect();
    let phrase = phrase.join(" ");
    match tier.columns {
        Some(n) => format!("{{{}}} : ({phrase})", columns[..n].join(" ")),
        None => format!("({phrase})"),
    }
}

#[async_trait]
impl SearchIndex for SqliteBackend {
    /// The index is the outer loop, read in rowid order; CROSS JOIN keeps SQLite from
    /// reordering the join.
    fn arm_source(indexed: Indexed) -> (&'static str, &'static str) {
        match indexed {
            Indexed::Tasks => ("task_fts f CROSS JOIN tasks t ON t.id = f.rowid", "f.rowid"),
            Indexed::Docs => ("doc_fts f CROSS JOIN docs d ON d.id = f.rowid", "f.rowid"),
        }
    }

    fn push_match(sql: &mut Sql, indexed: Indexed, search: &Search, tier: usize) {
        let (fts, columns): (&str, &[&str]) = match indexed {
            Indexed::Tasks => ("task_fts", &TASK_FTS_COLUMNS),
            Indexed::Docs => ("doc_fts", &DOC_FTS_COLUMNS),
        };
        let expression =
            search.tier_expression(tier, |words, t| fts_match(columns, words, t), " NOT ");
        sql.push(&format!(" AND {fts} MATCH ")).bind(expression);
    }

    /// In one statement for the whole range: FTS5 writes what it has gathered as a new
    /// segment before each statement, so one statement per chunk of a bulk insert made
    /// thousands of small segments to merge at a million tasks.
    async fn reindex_tasks(
        conn: &mut sqlx::SqliteConnection,
        first: TaskId,
        last: TaskId,
    ) -> Result<()> {
        let stale = Sql::new("DELETE FROM task_fts WHERE rowid BETWEEN $1 AND $2")
            .arg(first)
            .arg(last);
        conn.execute(stale).await?;
        // `ENG-12` is indexed as `ENG-12 ENG12`.
        let index = Sql::new(
            "INSERT INTO task_fts (rowid, identifier, title, description, comments) \
             SELECT t.id, tm.key || '-' || t.number || ' ' || tm.key || t.number, t.title, t.description, \
             coalesce((SELECT group_concat(body, ' ') FROM comments WHERE task_id = t.id), '') \
             FROM tasks t JOIN teams tm ON tm.id = t.team_id WHERE t.id BETWEEN $1 AND $2 AND t.deleted_at IS NULL",
        )
        .arg(first)
        .arg(last);
        conn.execute(index).await?;
        Ok(())
    }

    async fn unindex_task(conn: &mut sqlx::SqliteConnection, id: TaskId) -> Result<()> {
        conn.execute(Sql::new("DELETE FROM task_fts WHERE rowid = $1").arg(id))
            .await?;
        Ok(())
    }

    async fn reindex_doc(conn: &mut sqlx::SqliteConnection, id: DocId) -> Result<()> {
        Self::unindex_doc(conn, id).await?;
        let index = Sql::new(
            "INSERT INTO doc_fts (rowid, title, content) \
             SELECT id, title, content FROM docs WHERE id = $1 AND deleted_at IS NULL",
        )
        .arg(id);
        conn.execute(index).await?;
        Ok(())
    }

    async fn unindex_doc(conn: &mut sqlx::SqliteConnection, id: DocId) -> Result<()> {
        conn.execute(Sql::new("DELETE FROM doc_fts WHERE rowid = $1").arg(id))
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use orgn_domain::model::*;
    use orgn_domain::store::{Store, TaskQuery};

    use super::*;
    use crate::SqliteStore;
    use crate::rows::RowExt;
    use crate::sql::Backend;
    use crate::sql::tasks::task_search;

    /// The plan of a task search: (id, parent, detail) per row of EXPLAIN QUERY PLAN.
    async fn plan(store: &SqliteStore, q: &TaskQuery) -> Vec<(i64, i64, String)> {
        let text = q.text.as_deref().and_then(crate::search::tasks);
        let mut sql = task_search::<SqliteBackend>(q, text.as_ref());
        sql.text = format!("EXPLAIN QUERY PLAN {}", sql.text);
        let rows = store.reader().await.unwrap().rows(sql).await.unwrap();
        rows.iter()
            .map(|r| {
                (
                    r.int("id").unwrap(),
                    r.int("parent").unwrap(),
                    r.text("detail").unwrap(),
                )
            })
            .collect()
    }

    /// How many arms of the plan start with `arm`, checking that none of them sorts: a sort
    /// would read every match before the first row came out, which is what made search cost
    /// grow with the workspace.
    fn streaming_arms(plan: &[(i64, i64, String)], arm: &str) -> usize {
        let arms: Vec<i64> = plan
            .iter()
            .filter(|(_, _, d)| d.starts_with(arm))
            .map(|(_, parent, _)| *parent)
            .collect();
        for parent in &arms {
            let sorts = plan
                .iter()
                .any(|(_, p, d)| p == parent && d.contains("TEMP B-TREE"));
            assert!(!sorts, "an arm sorts its matches: {plan:#?}");
        }
        arms.len()
    }

    #[tokio::test]
    async fn each_search_arm_reads_its_index_in_page_order() {
        let dir = std::env::temp_dir().join(format!("orgn-search-plan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqliteStore::open(&dir).await.unwrap();
        let with_text = TaskQuery {
            teams: vec![TeamId::new(1), TeamId::new(2)],
            status_kinds: vec![StatusKind::Started],
            text: Some("billing".into()),
            limit: 26,
            ..Default::default()
        };
        let p = plan(&store, &with_text).await;
        // Title, anywhere, prefixes: one full-text arm each, in rowid order off the index.
        assert_eq!(streaming_arms(&p, "SCAN f VIRTUAL TABLE"), 3, "{p:#?}");
        let newest_first = TaskQuery {
            text: None,
            ..with_text
        };
        let p = plan(&store, &newest_first).await;
        // One arm per team, each reading the (team, id) index backwards.
        assert_eq!(streaming_arms(&p, "SEARCH t USING INDEX"), 2, "{p:#?}");
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
