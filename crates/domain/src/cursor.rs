//! Opaque cursors: the seek key of the last item of a page, as base64 of JSON, so that
//! clients treat it as a token and the order stays stable while items are added.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Where a page ended: the rank (for text search, the tier of the match) and the id, which
/// orders items within a rank.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
// A cursor with anything else in it was not made by Orgn: refused rather than read partly.
#[serde(deny_unknown_fields)]
pub struct SeekKey {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rank: Option<f64>,
    pub id: i64,
}

pub fn encode(key: &SeekKey) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).expect("seek key serializes"))
}

pub fn decode(cursor: &str) -> Result<SeekKey> {
    let bad = || {
        Error::Invalid(
            "cursor is not valid; pass next_cursor from the previous page unchanged".into(),
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

/// One page of results. `next_cursor` is present if and only if more results exist.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

pub const DEFAULT_LIMIT: usize = 25;
pub const MAX_LIMIT: usize = 100;

pub fn clamp_limit(limit: Option<usize>) -> Result<usize> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(0) => Err(Error::Invalid("limit must be at least 1".into())),
        Some(n) if n > MAX_LIMIT => {
            Err(Error::Invalid(format!("limit must be at most {MAX_LIMIT}")))
        }
        Some(n) => Ok(n),
    }
}

/// A page request as clients send it: the page size (default 25, at most 100) and where to
/// continue (the previous page's `next_cursor`, empty or absent for the first page).
pub fn page_request(
    limit: Option<usize>,
    cursor: Option<&str>,
) -> Result<(usize, Option<SeekKey>)> {
    let limit = clamp_limit(limit)?;
    let after = cursor.filter(|c| !c.is_empty()).map(decode).transpose()?;
    Ok((limit, after))
}

/// Builds a page from up to `limit + 1` keyed items fetched by the store.
pub fn page_from<T>(mut hits: Vec<(T, SeekKey)>, limit: usize) -> Page<T> {
    let more = hits.len() > limit;
    hits.truncate(limit);
    let next_cursor = if more {
        hits.last().map(|(_, k)| encode(k))
    } else {
        None
    };
    Page {
        items: hits.into_iter().map(|(t, _)| t).collect(),
        next_cursor,
    }
}

#[cfg(test)]
#[path = "cursor_props.rs"]
mod props;
