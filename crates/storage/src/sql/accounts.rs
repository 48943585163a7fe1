//! Users, teams, memberships and statuses: the same SQL on both backends.
//!
//! Lists order by a unique key last (`lower(name), id`), so that two people of one name
//! come back in the same order on both backends and from one call to the next.

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::changes::NewChange;
use orgn_domain::model::*;
use orgn_domain::store::{Accounts, NewStatus, NewUser};
use time::OffsetDateTime;

use super::feed::append_change;
use super::{Backend, Conn, Sql, SqlStore, conflict_as};
use crate::rows::{self, RowExt};

const USER_COLUMNS: &str = "id, email, name, handle, is_admin, created_at, single_key_shortcuts";

/// The memberships in rows of a user LEFT JOINed with `memberships ms` and `teams tm`
/// (`team_id`, `key`, `team_name`, `role`); a user without a team has one row of NULLs.
pub(crate) fn memberships<R: RowExt>(rows: &[R]) -> Result<Vec<Membership>> {
    rows.iter()
        .filter_map(|row| membership(row).transpose())
        .collect()
}

/// The membership in one such row, if it has one.
pub(crate) fn membership(row: &impl RowExt) -> Result<Option<Membership>> {
    let Some(id) = row.opt_id("team_id")? else {
        return Ok(None);
    };
    Ok(Some(Membership {
        team: Team {
            id,
            key: row.text("key")?,
            name: row.text("team_name")?,
        },
        role: rows::role(row)?,
    }))
}

#[async_trait]
impl<B: Backend> Accounts for SqlStore<B> {
    async fn create_user(&self, u: NewUser) -> Result<User> {
        let id = self
            .writer()
            .await?
            .one(
                Sql::new(
                    "INSERT INTO users (email, name, password_hash, is_admin, created_at, handle) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .arg(&u.email)
                .arg(&u.name)
                .arg(&u.password_hash)
                .arg(u.is_admin)
                .arg(u.now)
                .arg(&u.handle),
            )
            .await
            .map_err(|e| {
                conflict_as(e, || {
                    format!(
                        "a user with email {} or handle @{} already exists",
                        u.email, u.handle
                    )
                })
            })?
            .id("id")?;
        self.user(id)
            .await?
            .ok_or_else(|| orgn_domain::Error::Internal("user vanished".into()))
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        let sql = Sql::new(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")).arg(id);
        let row = self.reader().await?.optional(sql).await?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let sql = Sql::new(format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1")).arg(email);
        let row = self.reader().await?.optional(sql).await?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn users(&self) -> Result<Vec<User>> {
        let sql = Sql::new(format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY lower(name), id"
        ));
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(rows::user).collect()
    }

    async fn count_users(&self) -> Result<i64> {
        let sql = Sql::new("SELECT count(*) AS n FROM users");
        Ok(self.reader().await?.int(sql, "n").await?.unwrap_or(0))
    }

    async fn password_hash(&self, id: UserId) -> Result<Option<String>> {
        let sql = Sql::new("SELECT password_hash FROM users WHERE id = $1").arg(id);
        let row = self.reader().await?.optional(sql).await?;
        row.map(|r| r.text("password_hash")).transpose()
    }

    async fn set_password_hash(&self, id: UserId, hash: &str, keep: Option<&str>) -> Result<()> {
        let mut tx = self.begin().await?;
        let set = Sql::new("UPDATE users SET password_hash = $1 WHERE id = $2")
            .arg(hash)
            .arg(id);
        tx.execute(set).await?;
        let end = Sql::new("DELETE FROM sessions WHERE user_id = $1 AND digest <> $2")
            .arg(id)
            .arg(keep.unwrap_or(""));
        tx.execute(end).await?;
        B::commit(tx).await
    }

    async fn set_user_name(&self, id: UserId, name: &str) -> Result<()> {
        let sql = Sql::new("UPDATE users SET name = $1 WHERE id = $2")
            .arg(name)
            .arg(id);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }

    async fn user_by_handle(&self, handle: &str) -> Result<Option<User>> {
        let sql = Sql::new(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE handle = $1"
        ))
        .arg(handle);
        let row = self.reader().await?.optional(sql).await?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn set_user_handle(&self, id: UserId, handle: &str) -> Result<()> {
        let sql = Sql::new("UPDATE users SET handle = $1 WHERE id = $2")
            .arg(handle)
            .arg(id);
        self.writer()
            .await?
            .execute(sql)
            .await
            .map_err(|e| conflict_as(e, || format!("the handle @{handle} is taken")))?;
        Ok(())
    }

    async fn set_single_key_shortcuts(&self, id: UserId, on: bool) -> Result<()> {
        let sql = Sql::new("UPDATE users SET single_key_shortcuts = $1 WHERE id = $2")
            .arg(on)
            .arg(id);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }

    async fn create_team(
        &self,
        key: &str,
        name: &str,
        statuses: &[NewStatus],
        now: OffsetDateTime,
    ) -> Result<Team> {
        let mut tx = self.begin().await?;
        let insert =
            Sql::new("INSERT INTO teams (key, name, created_at) VALUES ($1, $2, $3) RETURNING id")
                .arg(key)
                .arg(name)
                .arg(now);
        let id = tx
            .one(insert)
            .await
            .map_err(|e| conflict_as(e, || format!("a team with key {key} already exists")))?
            .id("id")?;
        for (position, s) in statuses.iter().enumerate() {
            let status = Sql::new(
                "INSERT INTO statuses (team_id, name, kind, position, color) VALUES ($1, $2, $3, $4, $5)",
            )
            .arg(id)
            .arg(&s.name)
            .arg(s.kind.as_str())
            .arg(position as i64)
            .arg(&s.color);
            tx.execute(status).await?;
        }
        B::commit(tx).await?;
        Ok(Team {
            id,
            key: key.to_string(),
            name: name.to_string(),
        })
    }

    async fn team(&self, id: TeamId) -> Result<Option<Team>> {
        let sql = Sql::new("SELECT id, key, name FROM teams WHERE id = $1").arg(id);
        let row = self.reader().await?.optional(sql).await?;
        row.as_ref().map(rows::team).transpose()
    }

    async fn team_by_key(&self, key: &str) -> Result<Option<Team>> {
        let sql = Sql::new("SELECT id, key, name FROM teams WHERE key = $1").arg(key);
        let row = self.reader().await?.optional(sql).await?;
        row.as_ref().map(rows::team).transpose()
    }

    async fn teams(&self) -> Result<Vec<Team>> {
        let sql = Sql::new("SELECT id, key, name FROM teams ORDER BY key");
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(rows::team).collect()
    }

    async fn memberships(&self, user: UserId) -> Result<Vec<Membership>> {
        // Each read is its own transaction: it sees every commit made before it, so a
        // membership removed a moment ago no longer counts.
        let sql = Sql::new(
            "SELECT tm.id AS team_id, tm.key, tm.name AS team_name, ms.role FROM memberships ms \
             JOIN teams tm ON tm.id = ms.team_id WHERE ms.user_id = $1 ORDER BY tm.key",
        )
        .arg(user);
        memberships(&self.reader().await?.rows(sql).await?)
    }

    async fn user_with_memberships(&self, user: UserId) -> Result<Option<(User, Vec<Membership>)>> {
        let sql = Sql::new(
            "SELECT u.id, u.email, u.name, u.handle, u.is_admin, u.created_at, u.single_key_shortcuts, tm.id AS team_id, tm.key, \
             tm.name AS team_name, ms.role \
             FROM users u LEFT JOIN memberships ms ON ms.user_id = u.id LEFT JOIN teams tm ON tm.id = ms.team_id \
             WHERE u.id = $1 ORDER BY tm.key",
        )
        .arg(user);
        let rows = self.reader().await?.rows(sql).await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        Ok(Some((rows::user(first)?, memberships(&rows)?)))
    }

    async fn team_members(&self, team: TeamId) -> Result<Vec<(User, Role)>> {
        let sql = Sql::new(
            "SELECT u.id, u.email, u.name, u.handle, u.is_admin, u.created_at, u.single_key_shortcuts, ms.role FROM memberships ms \
             JOIN users u ON u.id = ms.user_id WHERE ms.team_id = $1 ORDER BY lower(u.name), u.id",
        )
        .arg(team);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter()
            .map(|r| Ok((rows::user(r)?, rows::role(r)?)))
            .collect()
    }

    async fn set_membership(
        &self,
        team: TeamId,
        user: UserId,
        role: Role,
        change: &NewChange,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let sql = Sql::new(
            "INSERT INTO memberships (team_id, user_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .arg(team)
        .arg(user)
        .arg(role.as_str());
        tx.execute(sql).await?;
        append_change::<B>(&mut tx, change).await?;
        self.commit_changes(tx).await
    }

    async fn remove_membership(
        &self,
        team: TeamId,
        user: UserId,
        change: &NewChange,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let sql = Sql::new("DELETE FROM memberships WHERE team_id = $1 AND user_id = $2")
            .arg(team)
            .arg(user);
        let removed = tx.execute(sql).await? > 0;
        if removed {
            append_change::<B>(&mut tx, change).await?;
        }
        self.commit_changes(tx).await?;
        Ok(removed)
    }

    async fn statuses(&self, team: TeamId) -> Result<Vec<Status>> {
        let sql = Sql::new(
            "SELECT id, team_id, name, kind, position, color FROM statuses \
             WHERE team_id = $1 ORDER BY position, id",
        )
        .arg(team);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(rows::status).collect()
    }
}
