//! Failed sign-ins per key: the same SQL on both backends (an upsert SQLite and PostgreSQL
//! both speak).

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::store::Throttle;
use time::OffsetDateTime;

use super::{Backend, Conn, Sql, SqlStore};

#[async_trait]
impl<B: Backend> Throttle for SqlStore<B> {
    async fn sign_in_failures(&self, keys: &[String], since: OffsetDateTime) -> Result<i64> {
        let mut most = 0;
        for key in keys {
            let sql = Sql::new(
                "SELECT failures FROM sign_in_throttle WHERE key = $1 AND window_start > $2",
            )
            .arg(key.as_str())
            .arg(since);
            if let Some(n) = self.reader().await?.int(sql, "failures").await? {
                most = most.max(n);
            }
        }
        Ok(most)
    }

    async fn record_sign_in_failure(
        &self,
        key: &str,
        now: OffsetDateTime,
        since: OffsetDateTime,
    ) -> Result<()> {
        let sweep = Sql::new("DELETE FROM sign_in_throttle WHERE window_start <= $1").arg(since);
        let upsert = Sql::new(
            "INSERT INTO sign_in_throttle (key, failures, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET failures = sign_in_throttle.failures + 1",
        )
        .arg(key)
        .arg(now);
        let mut conn = self.writer().await?;
        conn.execute(sweep).await?;
        conn.execute(upsert).await?;
        Ok(())
    }

    async fn clear_sign_in_failures(&self, key: &str) -> Result<()> {
        let sql = Sql::new("DELETE FROM sign_in_throttle WHERE key = $1").arg(key);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }
}
