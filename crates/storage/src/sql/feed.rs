//! The change feed: appending a change inside the caller's transaction, and reading the
//! feed by sequence number or by object. Both dialects share the SQL; PostgreSQL adds a
//! lock before the append and a `NOTIFY` with it (`Backend::FEED_LOCK`, `FEED_NOTIFY`).

use std::sync::Arc;

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::changes::{Change, NewChange, ObjectKind};
use orgn_domain::model::{TeamId, UserId, UserRef};
use orgn_domain::store::Feed;
use time::OffsetDateTime;
use tokio::sync::Notify;

use super::{Backend, Conn, Sql, SqlStore};
use crate::rows::{self, RowExt};

/// Appends `change`, with the version its object has now, inside the caller's transaction.
/// Call it last in the transaction: on PostgreSQL it takes the feed's lock, held until the
/// commit, so that sequence numbers are handed out in commit order.
pub(crate) async fn append_change<B: Backend>(
    conn: &mut B::Conn,
    change: &NewChange,
) -> Result<()> {
    super::inbox::write_inbox::<B>(conn, change).await?;
    if let Some(lock) = B::FEED_LOCK {
        conn.execute(Sql::new(lock)).await?;
    }
    let version = match change.kind.versioned_table() {
        Some(table) => format!("(SELECT version FROM {table} WHERE id = $3)"),
        None => "NULL".into(),
    };
    let teams = change
        .teams
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let sql = Sql::new(format!(
        "INSERT INTO changes (at, kind, object_id, version, teams, subject, fields, topics, actor_id, channel, client, notified) \
         VALUES ($1, $2, $3, {version}, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .arg(change.stamp.at)
    .arg(change.kind.as_str())
    .arg(change.object_id)
    .arg(teams)
    .arg(&change.subject)
    .arg(change.fields.join(","))
    .arg(change.topics.join(" "))
    .arg(change.stamp.actor)
    .arg(change.stamp.via.channel.as_str())
    .arg(&change.stamp.via.client)
    .arg(super::inbox::notified(change));
    conn.execute(sql).await?;
    if let Some(notify) = B::FEED_NOTIFY {
        conn.execute(Sql::new(notify)).await?;
    }
    Ok(())
}

const CHANGE_SELECT: &str = "SELECT c.seq, c.at, c.kind, c.object_id, c.version, c.teams, c.subject, c.fields, \
     c.topics, c.channel, c.client, c.notified, c.actor_id, u.name AS actor_name, u.email AS actor_email \
     FROM changes c LEFT JOIN users u ON u.id = c.actor_id";

fn change(row: &impl RowExt) -> Result<Change> {
    let split = |s: String, sep: char| -> Vec<String> {
        s.split(sep)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect()
    };
    let teams = split(row.text("teams")?, ',')
        .iter()
        .filter_map(|t| t.parse::<TeamId>().ok())
        .collect();
    Ok(Change {
        seq: row.int("seq")?,
        at: rows::from_millis(row.int("at")?),
        kind: ObjectKind::parse(&row.text("kind")?).unwrap_or(ObjectKind::Task),
        object_id: row.int("object_id")?,
        version: row.opt_int("version")?,
        teams,
        subject: row.text("subject")?,
        fields: split(row.text("fields")?, ','),
        topics: split(row.text("topics")?, ' '),
        // No user: the operator at the machine (`orgn` commands), or a user since purged.
        actor: match row.opt_text("actor_name")? {
            Some(_) => rows::user_ref(row, "actor")?,
            None => UserRef {
                id: row.id("actor_id")?,
                name: "An operator".into(),
                email: String::new(),
            },
        },
        via: rows::via(row)?,
        notified: split(row.text("notified")?, ',')
            .iter()
            .filter_map(|u| u.parse::<UserId>().ok())
            .collect(),
    })
}

#[async_trait]
impl<B: Backend> Feed for SqlStore<B> {
    async fn changes_after(&self, after: i64, limit: i64) -> Result<Vec<Change>> {
        let sql = Sql::new(format!(
            "{CHANGE_SELECT} WHERE c.seq > $1 ORDER BY c.seq LIMIT $2"
        ))
        .arg(after)
        .arg(limit);
        self.reader()
            .await?
            .rows(sql)
            .await?
            .iter()
            .map(change)
            .collect()
    }

    async fn changes_since_version(
        &self,
        kind: ObjectKind,
        object_id: i64,
        version: i64,
    ) -> Result<Vec<Change>> {
        let sql = Sql::new(format!(
            "{CHANGE_SELECT} WHERE c.kind = $1 AND c.object_id = $2 AND c.version > $3 ORDER BY c.seq LIMIT 1000"
        ))
        .arg(kind.as_str())
        .arg(object_id)
        .arg(version);
        self.reader()
            .await?
            .rows(sql)
            .await?
            .iter()
            .map(change)
            .collect()
    }

    async fn last_change_seq(&self) -> Result<i64> {
        let sql = Sql::new("SELECT COALESCE(MAX(seq), 0) AS seq FROM changes");
        self.reader().await?.one(sql).await?.int("seq")
    }

    async fn first_change_seq(&self) -> Result<Option<i64>> {
        let sql = Sql::new("SELECT MIN(seq) AS seq FROM changes");
        self.reader().await?.one(sql).await?.opt_int("seq")
    }

    async fn first_change_seq_at(&self, at: OffsetDateTime) -> Result<Option<i64>> {
        let sql = Sql::new("SELECT MIN(seq) AS seq FROM changes WHERE at >= $1").arg(at);
        self.reader().await?.one(sql).await?.opt_int("seq")
    }

    async fn prune_changes(&self, before: OffsetDateTime) -> Result<u64> {
        let sql = Sql::new("DELETE FROM changes WHERE at < $1").arg(before);
        self.writer().await?.execute(sql).await
    }

    fn change_signal(&self) -> Arc<Notify> {
        self.0.change_signal()
    }
}
