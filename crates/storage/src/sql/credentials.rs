//! Personal access tokens and web sessions: the same SQL on both backends. A token's
//! holder, read on every MCP request, is a `PointReads` operation (SQLite answers it on
//! rusqlite, see `sqlite/sync_reads.rs`).

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::model::*;
use orgn_domain::store::{Credentials, StoredSession, StoredToken};
use time::OffsetDateTime;

use super::{Conn, PointReads, Sql, SqlStore};
use crate::rows::{self, RowExt, from_millis};

/// A token with its user and the user's memberships, one row per membership.
pub(crate) const TOKEN_HOLDER_SQL: &str = "SELECT pt.user_id, pt.hint, pt.created_at, pt.expires_at, pt.last_used_at, pt.client_name, \
     u.id, u.email, u.name, u.handle, u.is_admin, u.created_at AS user_created_at, u.single_key_shortcuts, \
     tm.id AS team_id, tm.key, tm.name AS team_name, ms.role \
     FROM personal_tokens pt JOIN users u ON u.id = pt.user_id \
     LEFT JOIN memberships ms ON ms.user_id = u.id LEFT JOIN teams tm ON tm.id = ms.team_id \
     WHERE pt.digest = $1 ORDER BY tm.key";

/// The holder in the rows of `TOKEN_HOLDER_SQL`, from any driver's rows.
pub(crate) fn token_holder<R: RowExt>(
    rows: &[R],
) -> Result<Option<(StoredToken, User, Vec<Membership>)>> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let token = StoredToken {
        user_id: first.id("user_id")?,
        info: rows::token_info(first)?,
    };
    let user = rows::user_created_in(first, "user_created_at")?;
    Ok(Some((token, user, super::accounts::memberships(rows)?)))
}

#[async_trait]
impl<B: PointReads> Credentials for SqlStore<B> {
    async fn replace_token(&self, user: UserId, digest: &str, info: &TokenInfo) -> Result<()> {
        // One statement: the old digest is gone in the same instant the new one exists, for
        // every process on the database.
        let sql = Sql::new(
            "INSERT INTO personal_tokens (user_id, digest, hint, created_at, expires_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, NULL) \
             ON CONFLICT (user_id) DO UPDATE SET digest = excluded.digest, hint = excluded.hint, \
             created_at = excluded.created_at, expires_at = excluded.expires_at, last_used_at = NULL, client_name = NULL",
        )
        .arg(user)
        .arg(digest)
        .arg(&info.hint)
        .arg(info.created_at)
        .arg(info.expires_at);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }

    async fn token_by_digest(&self, digest: &str) -> Result<Option<StoredToken>> {
        // A fresh read sees the replacement committed before it: the old token fails at once.
        let sql = Sql::new(
            "SELECT user_id, hint, created_at, expires_at, last_used_at, client_name FROM personal_tokens \
             WHERE digest = $1",
        )
        .arg(digest);
        let row = self.reader().await?.optional(sql).await?;
        row.map(|r| {
            Ok(StoredToken {
                user_id: r.id("user_id")?,
                info: rows::token_info(&r)?,
            })
        })
        .transpose()
    }

    async fn token_holder(
        &self,
        digest: &str,
    ) -> Result<Option<(StoredToken, User, Vec<Membership>)>> {
        self.0.token_holder(digest).await
    }

    async fn token_info(&self, user: UserId) -> Result<Option<TokenInfo>> {
        let sql = Sql::new(
            "SELECT hint, created_at, expires_at, last_used_at, client_name FROM personal_tokens WHERE user_id = $1",
        )
        .arg(user);
        let row = self.reader().await?.optional(sql).await?;
        row.as_ref().map(rows::token_info).transpose()
    }

    async fn touch_token(&self, digest: &str, now: OffsetDateTime) -> Result<()> {
        let sql = Sql::new("UPDATE personal_tokens SET last_used_at = $1 WHERE digest = $2")
            .arg(now)
            .arg(digest);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }

    async fn set_token_client(&self, user: UserId, client: &str) -> Result<()> {
        let sql = Sql::new("UPDATE personal_tokens SET client_name = $1 WHERE user_id = $2")
            .arg(client)
            .arg(user);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }

    async fn create_session(&self, digest: &str, s: &StoredSession) -> Result<()> {
        let sql = Sql::new(
            "INSERT INTO sessions (digest, user_id, csrf_token, expires_at, last_used_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .arg(digest)
        .arg(s.user_id)
        .arg(&s.csrf_token)
        .arg(s.expires_at)
        .arg(s.last_used_at);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }

    async fn session(&self, digest: &str) -> Result<Option<StoredSession>> {
        let sql = Sql::new(
            "SELECT user_id, csrf_token, expires_at, last_used_at FROM sessions WHERE digest = $1",
        )
        .arg(digest);
        let row = self.reader().await?.optional(sql).await?;
        row.map(|r| {
            Ok(StoredSession {
                user_id: r.id("user_id")?,
                csrf_token: r.text("csrf_token")?,
                expires_at: from_millis(r.int("expires_at")?),
                last_used_at: r.opt_int("last_used_at")?.map(from_millis),
            })
        })
        .transpose()
    }

    async fn delete_session(&self, digest: &str) -> Result<()> {
        let sql = Sql::new("DELETE FROM sessions WHERE digest = $1").arg(digest);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }

    async fn touch_session(&self, digest: &str, now: OffsetDateTime) -> Result<()> {
        let sql = Sql::new("UPDATE sessions SET last_used_at = $1 WHERE digest = $2")
            .arg(now)
            .arg(digest);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }
}
