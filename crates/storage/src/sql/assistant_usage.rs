//! Ask Orgn per person: the hold and the day's token count, one row per person, with the
//! upserts SQLite and PostgreSQL both speak.

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::model::UserId;
use orgn_domain::store::AssistantUsage;
use time::OffsetDateTime;

use super::{Backend, Conn, Sql, SqlStore};

#[async_trait]
impl<B: Backend> AssistantUsage for SqlStore<B> {
    async fn hold_person(
        &self,
        user: UserId,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool> {
        // The conditional upsert is one statement: two processes cannot both take the hold.
        let sql = Sql::new(
            "INSERT INTO assistant_usage (user_id, busy_until) VALUES ($1, $2) \
             ON CONFLICT (user_id) DO UPDATE SET busy_until = $3 \
             WHERE assistant_usage.busy_until IS NULL OR assistant_usage.busy_until <= $4",
        )
        .arg(user)
        .arg(until)
        .arg(until)
        .arg(now);
        Ok(self.writer().await?.execute(sql).await? == 1)
    }

    async fn release_person(&self, user: UserId) -> Result<()> {
        let sql =
            Sql::new("UPDATE assistant_usage SET busy_until = NULL WHERE user_id = $1").arg(user);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }

    async fn tokens_used(&self, user: UserId, day: i64) -> Result<i64> {
        let sql = Sql::new("SELECT tokens FROM assistant_usage WHERE user_id = $1 AND day = $2")
            .arg(user)
            .arg(day);
        Ok(self.reader().await?.int(sql, "tokens").await?.unwrap_or(0))
    }

    async fn add_tokens(&self, user: UserId, day: i64, tokens: i64) -> Result<()> {
        let sql = Sql::new(
            "INSERT INTO assistant_usage (user_id, day, tokens) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET \
             tokens = CASE WHEN assistant_usage.day = $4 THEN assistant_usage.tokens + $5 ELSE $6 END, \
             day = $7",
        )
        .arg(user)
        .arg(day)
        .arg(tokens)
        .arg(day)
        .arg(tokens)
        .arg(tokens)
        .arg(day);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }
}
