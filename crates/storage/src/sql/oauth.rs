//! OAuth clients, codes, grants and their tokens, and the registration settings: the same
//! SQL on both backends. Every multi-row change (a code redeemed into a grant, a refresh
//! rotated) is one transaction; a grant's tokens go with it (`ON DELETE CASCADE`).

use async_trait::async_trait;
use orgn_domain::model::*;
use orgn_domain::store::{
    ClientKind, NewGrant, OAuth, OAuthSettings, PairDigests, StoredAccess, StoredClient,
    StoredCode, StoredGrant, StoredRefresh,
};
use orgn_domain::{Error, Result};
use time::OffsetDateTime;

use super::{Backend, Conn, Sql, SqlStore, internal};
use crate::rows::{self, RowExt, from_millis, opt_from_millis};

const CLIENT_COLUMNS: &str =
    "client_id, kind, name, redirect_uris, secret_digest, registered_from, created_at, fresh_until";

/// A grant's columns with its client's name, from `oauth_grants g JOIN oauth_clients c`.
const GRANT_COLUMNS: &str = "g.id AS grant_id, g.client_id, c.name AS client_name, g.user_id, g.scope, g.resource, \
     g.created_at AS grant_created_at, g.last_used_at";

fn client(r: &impl RowExt) -> Result<StoredClient> {
    let kind = r.text("kind")?;
    Ok(StoredClient {
        client_id: r.text("client_id")?,
        kind: ClientKind::parse(&kind)
            .ok_or_else(|| Error::Internal(format!("unknown OAuth client kind {kind:?}")))?,
        name: r.text("name")?,
        redirect_uris: serde_json::from_str(&r.text("redirect_uris")?).map_err(internal)?,
        secret_digest: r.opt_text("secret_digest")?,
        registered_from: r.opt_text("registered_from")?,
        created_at: from_millis(r.int("created_at")?),
        fresh_until: opt_from_millis(r.opt_int("fresh_until")?),
    })
}

fn grant(r: &impl RowExt) -> Result<StoredGrant> {
    Ok(StoredGrant {
        id: r.int("grant_id")?,
        client_id: r.text("client_id")?,
        client_name: r.text("client_name")?,
        user_id: r.id("user_id")?,
        scope: r.text("scope")?,
        resource: r.text("resource")?,
        created_at: from_millis(r.int("grant_created_at")?),
        last_used_at: opt_from_millis(r.opt_int("last_used_at")?),
    })
}

fn insert_pair(grant: i64, pair: &PairDigests) -> [Sql; 2] {
    [
        Sql::new(
            "INSERT INTO oauth_access_tokens (digest, grant_id, expires_at) VALUES ($1, $2, $3)",
        )
        .arg(&pair.access.digest)
        .arg(grant)
        .arg(pair.access.expires_at),
        Sql::new(
            "INSERT INTO oauth_refresh_tokens (digest, grant_id, expires_at) VALUES ($1, $2, $3)",
        )
        .arg(&pair.refresh.digest)
        .arg(grant)
        .arg(pair.refresh.expires_at),
    ]
}

#[async_trait]
impl<B: Backend> OAuth for SqlStore<B> {
    async fn oauth_client(&self, client_id: &str) -> Result<Option<StoredClient>> {
        let sql = Sql::new(format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = $1"
        ))
        .arg(client_id);
        let row = self.reader().await?.optional(sql).await?;
        row.as_ref().map(client).transpose()
    }

    async fn save_oauth_client(&self, c: &StoredClient) -> Result<()> {
        let sql = Sql::new(format!(
            "INSERT INTO oauth_clients ({CLIENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (client_id) DO UPDATE SET name = excluded.name, \
             redirect_uris = excluded.redirect_uris, fresh_until = excluded.fresh_until"
        ))
        .arg(&c.client_id)
        .arg(c.kind.as_str())
        .arg(&c.name)
        .arg(serde_json::to_string(&c.redirect_uris).map_err(internal)?)
        .arg(&c.secret_digest)
        .arg(&c.registered_from)
        .arg(c.created_at)
        .arg(c.fresh_until);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }

    async fn registrations_since(&self, from: &str, since: OffsetDateTime) -> Result<i64> {
        let sql = Sql::new(
            "SELECT COUNT(*) AS n FROM oauth_clients WHERE registered_from = $1 AND created_at > $2",
        )
        .arg(from)
        .arg(since);
        Ok(self.reader().await?.int(sql, "n").await?.unwrap_or(0))
    }

    async fn delete_unused_registrations(&self, before: OffsetDateTime) -> Result<u64> {
        let sql = Sql::new(
            "DELETE FROM oauth_clients WHERE kind = 'registered' AND created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM oauth_grants g WHERE g.client_id = oauth_clients.client_id)",
        )
        .arg(before);
        self.writer().await?.execute(sql).await
    }

    async fn create_oauth_code(
        &self,
        digest: &str,
        c: &StoredCode,
        expired_before: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let sweep = Sql::new("DELETE FROM oauth_codes WHERE expires_at < $1").arg(expired_before);
        tx.execute(sweep).await?;
        let insert = Sql::new(
            "INSERT INTO oauth_codes (digest, client_id, user_id, redirect_uri, code_challenge, scope, resource, expires_at, used) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .arg(digest)
        .arg(&c.client_id)
        .arg(c.user_id)
        .arg(&c.redirect_uri)
        .arg(&c.code_challenge)
        .arg(&c.scope)
        .arg(&c.resource)
        .arg(c.expires_at)
        .arg(false);
        tx.execute(insert).await?;
        B::commit(tx).await
    }

    async fn oauth_code(&self, digest: &str) -> Result<Option<StoredCode>> {
        let sql = Sql::new(
            "SELECT client_id, user_id, redirect_uri, code_challenge, scope, resource, expires_at, used \
             FROM oauth_codes WHERE digest = $1",
        )
        .arg(digest);
        let row = self.reader().await?.optional(sql).await?;
        row.map(|r| {
            Ok(StoredCode {
                client_id: r.text("client_id")?,
                user_id: r.id("user_id")?,
                redirect_uri: r.text("redirect_uri")?,
                code_challenge: r.text("code_challenge")?,
                scope: r.text("scope")?,
                resource: r.text("resource")?,
                expires_at: from_millis(r.int("expires_at")?),
                used: r.flag("used")?,
            })
        })
        .transpose()
    }

    async fn redeem_oauth_code(
        &self,
        code_digest: &str,
        g: &NewGrant,
        pair: &PairDigests,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        // The row lock (PostgreSQL) or the single writer (SQLite) makes this the one use.
        let claim = Sql::new("UPDATE oauth_codes SET used = $1 WHERE digest = $2 AND used = $3")
            .arg(true)
            .arg(code_digest)
            .arg(false);
        if tx.execute(claim).await? == 0 {
            let made =
                Sql::new("SELECT grant_id FROM oauth_codes WHERE digest = $1").arg(code_digest);
            if let Some(grant) = tx
                .optional(made)
                .await?
                .map(|r| r.opt_int("grant_id"))
                .transpose()?
                .flatten()
            {
                tx.execute(Sql::new("DELETE FROM oauth_grants WHERE id = $1").arg(grant))
                    .await?;
            }
            B::commit(tx).await?;
            return Ok(None);
        }
        let insert = Sql::new(
            "INSERT INTO oauth_grants (client_id, user_id, scope, resource, created_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, NULL) RETURNING id",
        )
        .arg(&g.client_id)
        .arg(g.user_id)
        .arg(&g.scope)
        .arg(&g.resource)
        .arg(g.now);
        let grant = tx.one(insert).await?.int("id")?;
        let link = Sql::new("UPDATE oauth_codes SET grant_id = $1 WHERE digest = $2")
            .arg(grant)
            .arg(code_digest);
        tx.execute(link).await?;
        for sql in insert_pair(grant, pair) {
            tx.execute(sql).await?;
        }
        B::commit(tx).await?;
        Ok(Some(grant))
    }

    async fn oauth_refresh(&self, digest: &str) -> Result<Option<StoredRefresh>> {
        let sql = Sql::new(format!(
            "SELECT {GRANT_COLUMNS}, rt.expires_at, rt.replaced_at, rt.next_nonce \
             FROM oauth_refresh_tokens rt JOIN oauth_grants g ON g.id = rt.grant_id \
             JOIN oauth_clients c ON c.client_id = g.client_id WHERE rt.digest = $1"
        ))
        .arg(digest);
        let row = self.reader().await?.optional(sql).await?;
        row.map(|r| {
            let replaced = match (r.opt_int("replaced_at")?, r.opt_text("next_nonce")?) {
                (Some(at), Some(nonce)) => Some((from_millis(at), nonce)),
                _ => None,
            };
            Ok(StoredRefresh {
                grant: grant(&r)?,
                expires_at: from_millis(r.int("expires_at")?),
                replaced,
            })
        })
        .transpose()
    }

    async fn rotate_oauth_refresh(
        &self,
        grant: i64,
        old: &str,
        nonce: &str,
        pair: &PairDigests,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let replace = Sql::new(
            "UPDATE oauth_refresh_tokens SET replaced_at = $1, next_nonce = $2 \
             WHERE digest = $3 AND grant_id = $4 AND replaced_at IS NULL",
        )
        .arg(now)
        .arg(nonce)
        .arg(old)
        .arg(grant);
        if tx.execute(replace).await? == 0 {
            return Ok(false);
        }
        // What can no longer be used: expired access tokens and refresh tokens.
        for table in ["oauth_access_tokens", "oauth_refresh_tokens"] {
            let sweep = Sql::new(format!(
                "DELETE FROM {table} WHERE grant_id = $1 AND expires_at <= $2"
            ))
            .arg(grant)
            .arg(now);
            tx.execute(sweep).await?;
        }
        for sql in insert_pair(grant, pair) {
            tx.execute(sql).await?;
        }
        let touch = Sql::new("UPDATE oauth_grants SET last_used_at = $1 WHERE id = $2")
            .arg(now)
            .arg(grant);
        tx.execute(touch).await?;
        B::commit(tx).await?;
        Ok(true)
    }

    async fn oauth_access(&self, digest: &str) -> Result<Option<StoredAccess>> {
        let sql = Sql::new(format!(
            "SELECT {GRANT_COLUMNS}, at.expires_at FROM oauth_access_tokens at \
             JOIN oauth_grants g ON g.id = at.grant_id JOIN oauth_clients c ON c.client_id = g.client_id \
             WHERE at.digest = $1"
        ))
        .arg(digest);
        let row = self.reader().await?.optional(sql).await?;
        row.map(|r| {
            Ok(StoredAccess {
                grant: grant(&r)?,
                expires_at: from_millis(r.int("expires_at")?),
            })
        })
        .transpose()
    }

    async fn oauth_access_holder(
        &self,
        digest: &str,
    ) -> Result<Option<(StoredAccess, User, Vec<Membership>)>> {
        let sql = Sql::new(format!(
            "SELECT {GRANT_COLUMNS}, at.expires_at, \
             u.id, u.email, u.name, u.handle, u.is_admin, u.created_at AS user_created_at, u.single_key_shortcuts, \
             tm.id AS team_id, tm.key, tm.name AS team_name, ms.role \
             FROM oauth_access_tokens at JOIN oauth_grants g ON g.id = at.grant_id \
             JOIN oauth_clients c ON c.client_id = g.client_id JOIN users u ON u.id = g.user_id \
             LEFT JOIN memberships ms ON ms.user_id = u.id LEFT JOIN teams tm ON tm.id = ms.team_id \
             WHERE at.digest = $1 ORDER BY tm.key"
        ))
        .arg(digest);
        let found = self.reader().await?.rows(sql).await?;
        let Some(first) = found.first() else {
            return Ok(None);
        };
        let access = StoredAccess {
            grant: grant(first)?,
            expires_at: from_millis(first.int("expires_at")?),
        };
        let user = rows::user_created_in(first, "user_created_at")?;
        Ok(Some((access, user, super::accounts::memberships(&found)?)))
    }

    async fn delete_oauth_access(&self, digest: &str) -> Result<()> {
        let sql = Sql::new("DELETE FROM oauth_access_tokens WHERE digest = $1").arg(digest);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }

    async fn touch_oauth_grant(&self, grant: i64, now: OffsetDateTime) -> Result<()> {
        let sql = Sql::new("UPDATE oauth_grants SET last_used_at = $1 WHERE id = $2")
            .arg(now)
            .arg(grant);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }

    async fn revoke_oauth_grant(&self, grant: i64) -> Result<()> {
        let sql = Sql::new("DELETE FROM oauth_grants WHERE id = $1").arg(grant);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }

    async fn user_oauth_grants(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<StoredGrant>> {
        let sql = Sql::new(format!(
            "SELECT {GRANT_COLUMNS} FROM oauth_grants g JOIN oauth_clients c ON c.client_id = g.client_id \
             WHERE g.user_id = $1 AND EXISTS (SELECT 1 FROM oauth_refresh_tokens rt \
             WHERE rt.grant_id = g.id AND rt.replaced_at IS NULL AND rt.expires_at > $2) \
             ORDER BY g.created_at DESC, g.id DESC"
        ))
        .arg(user)
        .arg(now);
        let found = self.reader().await?.rows(sql).await?;
        found.iter().map(grant).collect()
    }

    async fn oauth_settings(&self) -> Result<OAuthSettings> {
        let sql = Sql::new(
            "SELECT metadata_documents, dynamic_registration FROM oauth_settings WHERE id = 1",
        );
        let row = self.reader().await?.optional(sql).await?;
        match row {
            Some(r) => Ok(OAuthSettings {
                metadata_documents: r.flag("metadata_documents")?,
                dynamic_registration: r.flag("dynamic_registration")?,
            }),
            None => Ok(OAuthSettings::default()),
        }
    }

    async fn set_oauth_settings(&self, s: OAuthSettings) -> Result<()> {
        let sql = Sql::new(
            "INSERT INTO oauth_settings (id, metadata_documents, dynamic_registration) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET metadata_documents = excluded.metadata_documents, \
             dynamic_registration = excluded.dynamic_registration",
        )
        .arg(s.metadata_documents)
        .arg(s.dynamic_registration);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }
}
