//! Text search on SQLite: FTS5 match expressions, one arm per tier (see crate::search).

use orgn_domain::cursor::SeekKey;
use sqlx::{QueryBuilder, Sqlite};

use crate::search::{Search, Tier};

pub(super) const DOC_FTS_COLUMNS: [&str; 2] = ["title", "content"];

/// One search tier as an FTS5 match: each word quoted (so it can only be a word), as a prefix
/// when the tier says so, within the tier's leading `columns`.
pub(super) fn fts_match(columns: &[&str], words: &[String], tier: Tier) -> String {
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

/// The `(tier, hid)` rows of one page of a text search over `fts` (whose rowids are the ids
/// of `table alias`), best first. One arm per tier from the cursor's on, each reading its
/// matches newest first straight off the index, and `push_filters` (which starts the WHERE
/// clause) keeping some; all under one LIMIT, so a later tier is read only when the earlier
/// ones run out. CROSS JOIN keeps the index as the outer loop.
pub(super) fn push_tier_arms(
    b: &mut QueryBuilder<Sqlite>,
    search: &Search,
    (fts, columns): (&str, &[&str]),
    (table, alias): (&str, &str),
    after: Option<SeekKey>,
    limit: i64,
    push_filters: impl Fn(&mut QueryBuilder<Sqlite>),
) {
    let (start, after_id) = search.start(after);
    b.push("SELECT tier, hid FROM (");
    for i in start..search.tiers.len() {
        if i > start {
            b.push(" UNION ALL ");
        }
        b.push(format!("SELECT * FROM (SELECT {i} AS tier, f.rowid AS hid FROM {fts} f CROSS JOIN {table} {alias} ON {alias}.id = f.rowid"));
        push_filters(b);
        b.push(format!(" AND {fts} MATCH "))
            .push_bind(search.tier_expression(
                i,
                |words, tier| fts_match(columns, words, tier),
                " NOT ",
            ));
        if let (true, Some(id)) = (i == start, after_id) {
            b.push(" AND f.rowid < ").push_bind(id);
        }
        b.push(" ORDER BY f.rowid DESC LIMIT ")
            .push_bind(limit)
            .push(")");
    }
    if start >= search.tiers.len() {
        b.push("SELECT 0 AS tier, 0 AS hid WHERE 0");
    }
    b.push(") LIMIT ").push_bind(limit);
}
