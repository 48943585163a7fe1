//! Ask Orgn conversations: part of the user's own account, invisible to anyone else.

use super::{Workspace, required_line};
use crate::access::Actor;
use crate::error::{Error, Result, not_found};
use crate::model::*;

impl Workspace {
    pub async fn start_conversation(&self, actor: &Actor, title: &str) -> Result<Conversation> {
        let title: String = required_line("title", title, 200)?
            .chars()
            .take(80)
            .collect();
        let id = self
            .store
            .create_conversation(actor.id(), &title, self.now())
            .await?;
        Ok(Conversation {
            id,
            title,
            updated_at: self.now(),
        })
    }

    pub async fn conversations(&self, actor: &Actor) -> Result<Vec<Conversation>> {
        self.store.conversations(actor.id(), 20).await
    }

    async fn own_conversation(&self, actor: &Actor, id: ConversationId) -> Result<()> {
        match self.store.conversation_owner(id).await? {
            Some(owner) if owner == actor.id() => Ok(()),
            _ => Err(not_found(format!("Conversation {id}"))),
        }
    }

    pub async fn conversation_messages(
        &self,
        actor: &Actor,
        id: ConversationId,
    ) -> Result<Vec<ChatMessage>> {
        self.own_conversation(actor, id).await?;
        self.store.messages(id).await
    }

    pub async fn append_message(
        &self,
        actor: &Actor,
        id: ConversationId,
        role: ChatRole,
        content: &str,
    ) -> Result<i64> {
        self.own_conversation(actor, id).await?;
        self.store
            .append_message(id, role, content, self.now())
            .await
    }

    /// Holds the user's conversation for one answer or one confirmation, for at most
    /// `for_at_most`: `Conflict` when it is held already (by this process or another).
    /// Release it with `release_conversation` when done.
    pub async fn hold_conversation(
        &self,
        actor: &Actor,
        id: ConversationId,
        for_at_most: std::time::Duration,
    ) -> Result<()> {
        self.own_conversation(actor, id).await?;
        let now = self.now();
        let until = now + time::Duration::try_from(for_at_most).unwrap_or(time::Duration::DAY);
        if self.store.hold_conversation(id, now, until).await? {
            Ok(())
        } else {
            Err(Error::Conflict(
                "Orgn is still busy with this conversation (answering a question, or running a confirmed change). Wait for it to finish, or start a new conversation.".into(),
            ))
        }
    }

    pub async fn release_conversation(&self, actor: &Actor, id: ConversationId) -> Result<()> {
        self.own_conversation(actor, id).await?;
        self.store.release_conversation(id).await
    }
}
