//! Subscriptions and notifications: written with the change that causes them (`write_inbox`,
//! called by the feed's append in the change's transaction), read a page at a time off the
//! `(user_id, id)` indexes, newest first.

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::changes::{NewChange, NotificationKind, ObjectKind};
use orgn_domain::model::{TaskId, TeamId, UserId};
use orgn_domain::store::{Inbox, Marking, Notification, NotificationQuery};
use time::OffsetDateTime;

use super::{Backend, Conn, Sql, SqlStore};
use crate::rows::{self, RowExt};

/// Writes the change's subscriptions (a row already there, an explicit unsubscribe
/// included, is kept) and notifications, inside the caller's transaction.
pub(crate) async fn write_inbox<B: Backend>(conn: &mut B::Conn, change: &NewChange) -> Result<()> {
    // A task's change is about that task; any other change names its tasks one by one.
    let own_task = (change.kind == ObjectKind::Task).then(|| TaskId::new(change.object_id));
    if let (Some(own_task), false) = (own_task, change.inbox.subscribe.is_empty()) {
        let mut sql = Sql::new("INSERT INTO subscriptions (task_id, user_id, subscribed) VALUES ");
        for (i, user) in change.inbox.subscribe.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(own_task)
                .push(", ")
                .bind(*user)
                .push(", ")
                .bind(true)
                .push(")");
        }
        sql.push(" ON CONFLICT (task_id, user_id) DO NOTHING");
        conn.execute(sql).await?;
    }
    let notify: Vec<_> = change
        .inbox
        .notify
        .iter()
        .filter_map(|n| Some((n, n.task.or(own_task)?)))
        .collect();
    if !notify.is_empty() {
        let mut sql = Sql::new(
            "INSERT INTO notifications (user_id, kind, task_id, detail, actor_id, channel, client, at) VALUES ",
        );
        let stamp = &change.stamp;
        for (i, (n, task)) in notify.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(n.recipient).push(", ");
            sql.bind(n.kind.as_str()).push(", ");
            sql.bind(*task).push(", ");
            sql.bind(&n.detail).push(", ");
            sql.bind(stamp.actor).push(", ");
            sql.bind(stamp.via.channel.as_str()).push(", ");
            sql.bind(&stamp.via.client).push(", ");
            sql.bind(stamp.at).push(")");
        }
        conn.execute(sql).await?;
    }
    Ok(())
}

/// The notifications' recipients as the change row keeps them: `3,7`.
pub(crate) fn notified(change: &NewChange) -> String {
    let mut ids: Vec<i64> = change
        .inbox
        .notify
        .iter()
        .map(|n| n.recipient.get())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// The person's notifications on live tasks of `teams`: the joins and the filter every
/// read of the inbox shares.
fn scope(sql: &mut Sql, user: UserId, teams: &[TeamId]) {
    sql.push(
        " FROM notifications n JOIN tasks t ON t.id = n.task_id \
         JOIN teams tm ON tm.id = t.team_id LEFT JOIN users u ON u.id = n.actor_id \
         WHERE n.user_id = ",
    )
    .bind(user);
    sql.push(" AND t.deleted_at IS NULL AND t.team_id IN ")
        .list(teams);
}

fn notification(row: &impl RowExt) -> Result<Notification> {
    Ok(Notification {
        id: row.id("id")?,
        kind: NotificationKind::parse(&row.text("kind")?).unwrap_or(NotificationKind::Comment),
        task_id: row.id("task_id")?,
        task_identifier: format!("{}-{}", row.text("team_key")?, row.int("number")?),
        task_title: row.text("title")?,
        detail: row.opt_text("detail")?,
        actor: match row.opt_text("actor_name")? {
            Some(_) => rows::user_ref(row, "actor")?,
            None => orgn_domain::model::UserRef {
                id: row.id("actor_id")?,
                name: "An operator".into(),
                email: String::new(),
            },
        },
        via: rows::via(row)?,
        at: rows::from_millis(row.int("at")?),
        read: row.opt_int("read_at")?.is_some(),
    })
}

/// A page of the inbox: off the `(user_id, id)` index backwards (the unread one for
/// `unread_only`), each row's task by its key, stopping when the page is full.
fn list_sql(q: &NotificationQuery) -> Sql {
    let mut sql = Sql::new(
        "SELECT n.id, n.kind, n.task_id, n.detail, n.at, n.read_at, n.channel, n.client, \
         n.actor_id, u.name AS actor_name, u.email AS actor_email, t.number, t.title, \
         tm.key AS team_key",
    );
    scope(&mut sql, q.user, &q.teams);
    if q.unread_only {
        sql.push(" AND n.read_at IS NULL");
    }
    if let Some(before) = q.before {
        sql.push(" AND n.id < ").bind(before);
    }
    sql.push(" ORDER BY n.id DESC LIMIT ").bind(q.limit as i64);
    sql
}

/// The unread count, off the unread index, reading at most `cap` rows.
fn unread_sql(user: UserId, teams: &[TeamId], cap: i64) -> Sql {
    let mut sql = Sql::new("SELECT count(*) AS n FROM (SELECT n.id");
    scope(&mut sql, user, teams);
    sql.push(" AND n.read_at IS NULL LIMIT ").bind(cap);
    sql.push(") unread");
    sql
}

#[async_trait]
impl<B: Backend> Inbox for SqlStore<B> {
    async fn notifications(&self, q: &NotificationQuery) -> Result<Vec<Notification>> {
        let rows = self.reader().await?.rows(list_sql(q)).await?;
        rows.iter().map(notification).collect()
    }

    async fn unread_notifications(&self, user: UserId, teams: &[TeamId], cap: i64) -> Result<i64> {
        let sql = unread_sql(user, teams, cap);
        Ok(self.reader().await?.int(sql, "n").await?.unwrap_or(0))
    }

    async fn mark_notifications(
        &self,
        user: UserId,
        teams: &[TeamId],
        which: Marking<'_>,
        at: Option<OffsetDateTime>,
        change: &NewChange,
    ) -> Result<u64> {
        let mut sql = Sql::new("UPDATE notifications SET read_at = ");
        sql.bind(at);
        sql.push(" WHERE id IN (SELECT n.id");
        scope(&mut sql, user, teams);
        match which {
            Marking::Ids(ids) => {
                sql.push(" AND n.id IN ").list(ids);
            }
            Marking::All => {}
        }
        // Only those whose state changes: marking read twice counts once.
        sql.push(match at {
            Some(_) => " AND n.read_at IS NULL)",
            None => " AND n.read_at IS NOT NULL)",
        });
        let mut tx = self.begin().await?;
        let marked = tx.execute(sql).await?;
        if marked == 0 {
            B::commit(tx).await?;
            return Ok(0);
        }
        super::feed::append_change::<B>(&mut tx, change).await?;
        self.commit_changes(tx).await?;
        Ok(marked)
    }

    async fn subscriptions(&self, task: TaskId) -> Result<Vec<(UserId, bool)>> {
        let sql =
            Sql::new("SELECT user_id, subscribed FROM subscriptions WHERE task_id = $1").arg(task);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter()
            .map(|r| Ok((r.id("user_id")?, r.flag("subscribed")?)))
            .collect()
    }

    async fn set_subscription(&self, task: TaskId, user: UserId, subscribed: bool) -> Result<()> {
        let sql = Sql::new(
            "INSERT INTO subscriptions (task_id, user_id, subscribed) VALUES ($1, $2, $3) \
             ON CONFLICT (task_id, user_id) DO UPDATE SET subscribed = $3",
        )
        .arg(task)
        .arg(user)
        .arg(subscribed);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use orgn_domain::model::{TeamId, UserId};
    use orgn_domain::store::{NotificationQuery, Store};

    use super::*;
    use crate::SqliteStore;
    use crate::rows::RowExt;
    use crate::sql::Backend;

    /// The plan's details, one per row of EXPLAIN QUERY PLAN.
    async fn plan(store: &SqliteStore, mut sql: Sql) -> Vec<String> {
        sql.text = format!("EXPLAIN QUERY PLAN {}", sql.text);
        let rows = store.reader().await.unwrap().rows(sql).await.unwrap();
        rows.iter().map(|r| r.text("detail").unwrap()).collect()
    }

    /// The inbox and its unread count read a person's rows off their index, in page order:
    /// no sort (which would read every notification first) and no scan of a whole table.
    #[tokio::test]
    async fn the_inbox_reads_its_index_in_page_order() {
        let dir = std::env::temp_dir().join(format!("orgn-inbox-plan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqliteStore::open(&dir).await.unwrap();
        let teams = vec![TeamId::new(1), TeamId::new(2)];
        let mut query = NotificationQuery {
            user: UserId::new(3),
            teams: teams.clone(),
            unread_only: false,
            before: None,
            limit: 26,
        };
        for (unread_only, index) in [
            (false, "notifications_by_user"),
            (true, "notifications_unread"),
        ] {
            query.unread_only = unread_only;
            let p = plan(&store, list_sql(&query)).await;
            assert!(
                p[0].starts_with("SEARCH n USING") && p[0].contains(index),
                "{p:#?}"
            );
            assert!(!p.iter().any(|d| d.contains("TEMP B-TREE")), "{p:#?}");
            assert!(!p.iter().any(|d| d.starts_with("SCAN")), "{p:#?}");
        }
        let p = plan(&store, unread_sql(UserId::new(3), &teams, 100)).await;
        assert!(
            p.iter().any(|d| d.contains("notifications_unread")),
            "{p:#?}"
        );
        assert!(
            !p.iter()
                .any(|d| d.starts_with("SCAN") && !d.contains("unread")),
            "{p:#?}"
        );
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
