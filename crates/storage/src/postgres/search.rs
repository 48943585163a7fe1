//! The search index on PostgreSQL: a weighted `search_vector` column in `tasks` and `docs`,
//! kept for deleted items too (searches skip them, and a restore needs no reindex), and one
//! tier's tsquery (see crate::search).

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::model::{DocId, TaskId};

use super::PgBackend;
use crate::search::{Search, Tier};
use crate::sql::search::{Indexed, SearchIndex};
use crate::sql::{Conn, Sql};

/// The search vector of task `t` (joined with its team `tm`): identifier (A), title (B),
/// description (C), comments (D). `ENG-12` is indexed as `ENG`, `12` and `ENG12`.
pub(super) const TASK_VECTOR: &str = "setweight(to_tsvector('orgn_search', orgn_words(tm.key || '-' || t.number || ' ' || tm.key || t.number)), 'A') \
    || setweight(to_tsvector('orgn_search', orgn_words(t.title)), 'B') \
    || setweight(to_tsvector('orgn_search', orgn_words(t.description)), 'C') \
    || setweight(to_tsvector('orgn_search', orgn_words(coalesce((SELECT string_agg(cm.body, ' ' ORDER BY cm.id) FROM comments cm WHERE cm.task_id = t.id), ''))), 'D')";

/// The search vector of doc `d`: title (A), content (C).
pub(super) const DOC_VECTOR: &str = "setweight(to_tsvector('orgn_search', orgn_words(d.title)), 'A') || setweight(to_tsvector('orgn_search', orgn_words(d.content)), 'C')";

/// The weight of each column of the search vectors, in the order `search::Tier::columns`
/// counts them.
const TASK_WEIGHTS: &str = "ABCD";
const DOC_WEIGHTS: &str = "AC";

/// One search tier as a `to_tsquery` text: every word, as a prefix when the tier says so,
/// restricted to the weights of the tier's leading columns. The words are alphanumeric, so
/// no query syntax gets through.
pub(crate) fn ts_match(weights: &str, words: &[String], tier: Tier) -> String {
    let label = format!(
        "{}{}",
        if tier.prefix { "*" } else { "" },
        tier.columns.map_or("", |n| &weights[..n])
    );
    let terms: Vec<String> = words
        .iter()
        .map(|w| {
            if label.is_empty() {
                w.clone()
            } else {
                format!("{w}:{label}")
            }
        })
        .collect();
    terms.join(" & ")
}

#[async_trait]
impl SearchIndex for PgBackend {
    fn arm_source(indexed: Indexed) -> (&'static str, &'static str) {
        match indexed {
            Indexed::Tasks => ("tasks t", "t.id"),
            Indexed::Docs => ("docs d", "d.id"),
        }
    }

    fn push_match(sql: &mut Sql, indexed: Indexed, search: &Search, tier: usize) {
        let (alias, weights) = match indexed {
            Indexed::Tasks => ("t", TASK_WEIGHTS),
            Indexed::Docs => ("d", DOC_WEIGHTS),
        };
        let expression =
            search.tier_expression(tier, |words, t| ts_match(weights, words, t), " & !");
        sql.push(&format!(
            " AND {alias}.search_vector @@ to_tsquery('orgn_search', "
        ))
        .bind(expression)
        .push(")");
    }

    async fn reindex_tasks(
        conn: &mut sqlx::PgConnection,
        first: TaskId,
        last: TaskId,
    ) -> Result<()> {
        let sql = Sql::new(format!(
            "UPDATE tasks t SET search_vector = {TASK_VECTOR} FROM teams tm \
             WHERE tm.id = t.team_id AND t.id BETWEEN $1 AND $2 AND t.deleted_at IS NULL"
        ))
        .arg(first)
        .arg(last);
        conn.execute(sql).await?;
        Ok(())
    }

    /// The vector stays with the deleted task.
    async fn unindex_task(_: &mut sqlx::PgConnection, _: TaskId) -> Result<()> {
        Ok(())
    }

    async fn reindex_doc(conn: &mut sqlx::PgConnection, id: DocId) -> Result<()> {
        let sql = Sql::new(format!(
            "UPDATE docs d SET search_vector = {DOC_VECTOR} WHERE d.id = $1"
        ))
        .arg(id);
        conn.execute(sql).await?;
        Ok(())
    }

    /// The vector stays with the deleted doc.
    async fn unindex_doc(_: &mut sqlx::PgConnection, _: DocId) -> Result<()> {
        Ok(())
    }
}
