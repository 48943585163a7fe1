//! The search index, which is where the two backends differ most: SQLite keeps FTS5 tables
//! (`task_fts`, `doc_fts`) beside the rows, PostgreSQL a weighted `search_vector` column in
//! them. The shared SQL keeps the index in step through the hooks of [`SearchIndex`], and
//! builds the tiered search (see `crate::search`) here, with only the match of one tier
//! written per backend.

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::cursor::SeekKey;
use orgn_domain::model::{DocId, TaskId};

use super::{Backend, Sql};
use crate::search::Search;

/// What a search looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Indexed {
    /// `tasks t`
    Tasks,
    /// `docs d`
    Docs,
}

/// The search index of a backend, kept in step by the shared SQL: each hook runs inside
/// the caller's transaction.
#[async_trait]
pub(crate) trait SearchIndex: Backend {
    /// The `FROM` of one tier arm over `indexed` (which names its rows `t` or `d`), and the
    /// id column the arm reads in order.
    fn arm_source(indexed: Indexed) -> (&'static str, &'static str);

    /// ` AND <the rows of tier i of search, less those of the tier before>`.
    fn push_match(sql: &mut Sql, indexed: Indexed, search: &Search, tier: usize);

    /// Indexes anew the live tasks with ids from `first` to `last` (after an insert, an
    /// edit of title or description, a comment, a restore, or a reindex run).
    async fn reindex_tasks(conn: &mut Self::Conn, first: TaskId, last: TaskId) -> Result<()>;

    /// Takes a deleted or purged task out of the index, where the index keeps no
    /// deleted rows.
    async fn unindex_task(conn: &mut Self::Conn, id: TaskId) -> Result<()>;

    /// Indexes a live doc anew (after it is created, edited or restored).
    async fn reindex_doc(conn: &mut Self::Conn, id: DocId) -> Result<()>;

    /// Takes a deleted or purged doc out of the index, where the index keeps no deleted
    /// rows.
    async fn unindex_doc(conn: &mut Self::Conn, id: DocId) -> Result<()>;
}

/// The `(tier, hid)` rows of one page of a text search over `indexed`, best first: one arm
/// per tier from the cursor's on, each reading its matches newest first straight off the
/// index (stopping at the page size), and `push_filters` (which starts the WHERE clause)
/// keeping some; all under one LIMIT, so a later tier is read only when the earlier ones
/// run out.
pub(crate) fn push_tier_arms<B: SearchIndex>(
    sql: &mut Sql,
    search: &Search,
    indexed: Indexed,
    after: Option<SeekKey>,
    limit: i64,
    push_filters: impl Fn(&mut Sql),
) {
    let (start, after_id) = search.start(after);
    let (source, id) = B::arm_source(indexed);
    sql.push("SELECT tier, hid FROM (");
    for i in start..search.tiers.len() {
        if i > start {
            sql.push(" UNION ALL ");
        }
        sql.push(&format!(
            "SELECT * FROM (SELECT {i} AS tier, {id} AS hid FROM {source}"
        ));
        push_filters(sql);
        B::push_match(sql, indexed, search, i);
        if let (true, Some(after_id)) = (i == start, after_id) {
            sql.push(&format!(" AND {id} < ")).bind(after_id);
        }
        sql.push(&format!(" ORDER BY {id} DESC LIMIT "))
            .bind(limit)
            .push(&format!(") arm{i}"));
    }
    if start >= search.tiers.len() {
        sql.push("SELECT 0 AS tier, CAST(0 AS BIGINT) AS hid WHERE 1 = 0");
    }
    sql.push(") arms LIMIT ").bind(limit);
}
