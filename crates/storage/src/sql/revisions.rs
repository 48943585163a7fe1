//! Previous versions of long text: the same SQL on both backends. [`keep_previous`] runs
//! inside the transaction of the overwrite, before it, so the old text and the new one
//! commit (or roll back) together.

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::changes::{Channel, NewChange, Via};
use orgn_domain::store::{KEPT_REVISIONS, Revision, RevisionOf, Revisions};

use super::{Backend, Conn, Sql, SqlStore};
use crate::rows::{RowExt, from_millis};

/// The table and column whose text a revision keeps.
fn source(of: RevisionOf) -> (&'static str, &'static str) {
    match of {
        RevisionOf::Doc => ("docs", "content"),
        RevisionOf::Task => ("tasks", "description"),
    }
}

/// Keeps the current text of `object_id` as a revision when `new_text` replaces it (an
/// empty text, or the same text, is not kept), and forgets all but the newest
/// [`KEPT_REVISIONS`] of the object.
pub(crate) async fn keep_previous<C: Conn + ?Sized>(
    conn: &mut C,
    of: RevisionOf,
    object_id: i64,
    new_text: &str,
    change: &NewChange,
) -> Result<()> {
    let (table, column) = source(of);
    let keep = Sql::new(format!(
        "INSERT INTO revisions (object_kind, object_id, title, body, replaced_by, replaced_at, replaced_channel) \
         SELECT $1, id, title, {column}, $2, $3, $4 FROM {table} \
         WHERE id = $5 AND {column} <> '' AND {column} <> $6"
    ))
    .arg(of.as_str())
    .arg(change.stamp.actor)
    .arg(change.stamp.at)
    .arg(change.stamp.via.channel.as_str())
    .arg(object_id)
    .arg(new_text);
    if conn.execute(keep).await? == 0 {
        return Ok(());
    }
    let forget = Sql::new(
        "DELETE FROM revisions WHERE object_kind = $1 AND object_id = $2 AND id NOT IN \
         (SELECT id FROM revisions WHERE object_kind = $3 AND object_id = $4 ORDER BY id DESC LIMIT $5)",
    )
    .arg(of.as_str())
    .arg(object_id)
    .arg(of.as_str())
    .arg(object_id)
    .arg(KEPT_REVISIONS);
    conn.execute(forget).await?;
    Ok(())
}

#[async_trait]
impl<B: Backend> Revisions for SqlStore<B> {
    async fn revisions(&self, of: RevisionOf, object_id: i64) -> Result<Vec<Revision>> {
        let sql = Sql::new(
            "SELECT r.id, r.object_id, r.title, r.body, r.replaced_by, u.name AS replaced_by_name, \
             r.replaced_at, r.replaced_channel FROM revisions r JOIN users u ON u.id = r.replaced_by \
             WHERE r.object_kind = $1 AND r.object_id = $2 ORDER BY r.id DESC",
        )
        .arg(of.as_str())
        .arg(object_id);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter()
            .map(|row| {
                Ok(Revision {
                    id: row.int("id")?,
                    object_id: row.int("object_id")?,
                    title: row.text("title")?,
                    body: row.text("body")?,
                    replaced_by: row.id("replaced_by")?,
                    replaced_by_name: row.text("replaced_by_name")?,
                    replaced_at: from_millis(row.int("replaced_at")?),
                    via: Via {
                        channel: Channel::parse(&row.text("replaced_channel")?),
                        client: None,
                    },
                })
            })
            .collect()
    }
}
