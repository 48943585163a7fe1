//! Ask Orgn conversations and their messages: the same SQL on both backends.

use async_trait::async_trait;
use orgn_domain::model::*;
use orgn_domain::store::Conversations;
use orgn_domain::{Error, Result};
use time::OffsetDateTime;

use super::{Backend, Conn, Sql, SqlStore};
use crate::rows::{RowExt, from_millis};

#[async_trait]
impl<B: Backend> Conversations for SqlStore<B> {
    async fn create_conversation(
        &self,
        user: UserId,
        title: &str,
        now: OffsetDateTime,
    ) -> Result<ConversationId> {
        let sql = Sql::new(
            "INSERT INTO conversations (user_id, title, created_at, updated_at) \
             VALUES ($1, $2, $3, $3) RETURNING id",
        )
        .arg(user)
        .arg(title)
        .arg(now);
        self.writer().await?.one(sql).await?.id("id")
    }

    async fn conversations(&self, user: UserId, limit: i64) -> Result<Vec<Conversation>> {
        let sql = Sql::new(
            "SELECT id, title, updated_at FROM conversations WHERE user_id = $1 \
             ORDER BY updated_at DESC, id DESC LIMIT $2",
        )
        .arg(user)
        .arg(limit);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter()
            .map(|r| {
                Ok(Conversation {
                    id: r.id("id")?,
                    title: r.text("title")?,
                    updated_at: from_millis(r.int("updated_at")?),
                })
            })
            .collect()
    }

    async fn conversation_owner(&self, id: ConversationId) -> Result<Option<UserId>> {
        let sql = Sql::new("SELECT user_id FROM conversations WHERE id = $1").arg(id);
        Ok(self
            .reader()
            .await?
            .int(sql, "user_id")
            .await?
            .map(UserId::new))
    }

    async fn append_message(
        &self,
        id: ConversationId,
        role: ChatRole,
        content: &str,
        now: OffsetDateTime,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let insert = Sql::new(
            "INSERT INTO conversation_messages (conversation_id, role, content, at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .arg(id)
        .arg(role.as_str())
        .arg(content)
        .arg(now);
        let message = tx.one(insert).await?.int("id")?;
        let touch = Sql::new("UPDATE conversations SET updated_at = $1 WHERE id = $2")
            .arg(now)
            .arg(id);
        tx.execute(touch).await?;
        B::commit(tx).await?;
        Ok(message)
    }

    async fn messages(&self, id: ConversationId) -> Result<Vec<ChatMessage>> {
        let sql = Sql::new(
            "SELECT id, role, content, at FROM conversation_messages \
             WHERE conversation_id = $1 ORDER BY id",
        )
        .arg(id);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter()
            .map(|r| {
                let role = r.text("role")?;
                Ok(ChatMessage {
                    id: r.int("id")?,
                    role: ChatRole::parse(&role)
                        .ok_or_else(|| Error::Internal(format!("unknown role {role}")))?,
                    content: r.text("content")?,
                    at: from_millis(r.int("at")?),
                })
            })
            .collect()
    }

    async fn hold_conversation(
        &self,
        id: ConversationId,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool> {
        let sql = Sql::new(
            "UPDATE conversations SET busy_until = $1 \
             WHERE id = $2 AND (busy_until IS NULL OR busy_until <= $3)",
        )
        .arg(until)
        .arg(id)
        .arg(now);
        Ok(self.writer().await?.execute(sql).await? == 1)
    }

    async fn release_conversation(&self, id: ConversationId) -> Result<()> {
        let sql = Sql::new("UPDATE conversations SET busy_until = NULL WHERE id = $1").arg(id);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }
}
