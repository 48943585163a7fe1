//! Text search on PostgreSQL: tsquery terms over the weighted search vectors, one arm per tier (see crate::search).

use orgn_domain::cursor::SeekKey;
use sqlx::{Postgres, QueryBuilder};

use crate::search::{Search, Tier};

/// The weight of each column of the search vectors, in the order `search::Tier::columns`
/// counts them.
pub(super) const TASK_WEIGHTS: &str = "ABCD";

pub(super) const DOC_WEIGHTS: &str = "AC";

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

/// The `(tier, hid)` rows of one page of a text search over `table alias` (with a
/// `search_vector`), best first: one arm per tier from the cursor's on, newest first, all
/// under one LIMIT, so that a later tier is read only when the earlier ones run out. The
/// SQLite store's `push_tier_arms`.
pub(super) fn push_tier_arms(
    b: &mut QueryBuilder<Postgres>,
    search: &Search,
    weights: &str,
    (table, alias): (&str, &str),
    after: Option<SeekKey>,
    limit: i64,
    push_filters: impl Fn(&mut QueryBuilder<Postgres>),
) {
    let (start, after_id) = search.start(after);
    b.push("SELECT tier, hid FROM (");
    for i in start..search.tiers.len() {
        if i > start {
            b.push(" UNION ALL ");
        }
        b.push(format!(
            "(SELECT {i} AS tier, {alias}.id AS hid FROM {table} {alias}"
        ));
        push_filters(b);
        b.push(format!(
            " AND {alias}.search_vector @@ to_tsquery('orgn_search', "
        ))
        .push_bind(search.tier_expression(i, |words, tier| ts_match(weights, words, tier), " & !"))
        .push(")");
        if let (true, Some(id)) = (i == start, after_id) {
            b.push(format!(" AND {alias}.id < ")).push_bind(id);
        }
        b.push(format!(" ORDER BY {alias}.id DESC LIMIT "))
            .push_bind(limit)
            .push(")");
    }
    if start >= search.tiers.len() {
        b.push("SELECT 0 AS tier, 0::bigint AS hid WHERE false");
    }
    b.push(") arms LIMIT ").push_bind(limit);
}
