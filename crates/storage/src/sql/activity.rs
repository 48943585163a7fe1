//! The log of MCP tool calls. Writing it is an `ActivityLog` operation: SQLite gathers it
//! into one commit a second (`sqlite/batch.rs`); PostgreSQL inserts each call.

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::model::*;
use orgn_domain::store::Activity;

use super::{ActivityLog, Conn, Sql, SqlStore};
use crate::rows;

#[async_trait]
impl<B: ActivityLog> Activity for SqlStore<B> {
    async fn record_tool_call(&self, user: UserId, call: &ToolCallRecord) -> Result<()> {
        self.0.record_tool_call(user, call).await
    }

    async fn recent_tool_calls(&self, user: UserId, limit: i64) -> Result<Vec<ToolCallRecord>> {
        self.0.flush_activity().await;
        let sql = Sql::new(
            "SELECT tool, target, ok, at, client FROM tool_calls WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .arg(user)
        .arg(limit);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(rows::tool_call).collect()
    }

    async fn delete_tool_calls(&self, before: time::OffsetDateTime) -> Result<u64> {
        self.0.flush_activity().await;
        let sql = Sql::new("DELETE FROM tool_calls WHERE at < $1").arg(before);
        self.writer().await?.execute(sql).await
    }
}
