//! Ask Orgn conversations and their messages.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::Result;
use crate::model::*;

#[async_trait]
pub trait Conversations: Send + Sync {
    async fn create_conversation(
        &self,
        user: UserId,
        title: &str,
        now: OffsetDateTime,
    ) -> Result<ConversationId>;
    async fn conversations(&self, user: UserId, limit: i64) -> Result<Vec<Conversation>>;
    async fn conversation_owner(&self, id: ConversationId) -> Result<Option<UserId>>;
    async fn append_message(
        &self,
        id: ConversationId,
        role: ChatRole,
        content: &str,
        now: OffsetDateTime,
    ) -> Result<i64>;
    async fn messages(&self, id: ConversationId) -> Result<Vec<ChatMessage>>;
    /// Marks the conversation busy until `until`, unless it is busy already (a mark that
    /// has not passed `now`): `false` then. The mark lives in the database so that two
    /// server processes cannot answer or resolve in one conversation at once, and a
    /// process that dies mid-answer leaves a mark that simply runs out.
    async fn hold_conversation(
        &self,
        id: ConversationId,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool>;
    async fn release_conversation(&self, id: ConversationId) -> Result<()>;
}
