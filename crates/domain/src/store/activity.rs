//! The log of MCP tool calls.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::Result;
use crate::model::*;

#[async_trait]
pub trait Activity: Send + Sync {
    async fn record_tool_call(&self, user: UserId, call: &ToolCallRecord) -> Result<()>;
    async fn recent_tool_calls(&self, user: UserId, limit: i64) -> Result<Vec<ToolCallRecord>>;
    /// Forgets the calls made before `before`; how many went.
    async fn delete_tool_calls(&self, before: OffsetDateTime) -> Result<u64>;
}
