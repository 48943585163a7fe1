//! Ask Orgn per person: one answer at a time whatever the conversation, tab or process,
//! and the tokens used today (UTC) for the optional daily budget.

use super::Workspace;
use crate::access::Actor;
use crate::error::{Error, Result};

/// What a second question gets while the person's first answer is being written.
pub const ANSWER_IN_PROGRESS: &str = "An answer is already being written for you (in this or another conversation). Wait for it to finish, then ask again.";

impl Workspace {
    /// Holds the actor for one answer, for at most `for_at_most`: `Conflict`
    /// with [`ANSWER_IN_PROGRESS`] when an answer of theirs is being written already.
    pub async fn hold_assistant(
        &self,
        actor: &Actor,
        for_at_most: std::time::Duration,
    ) -> Result<()> {
        let now = self.now();
        let until = now + time::Duration::try_from(for_at_most).unwrap_or(time::Duration::DAY);
        if self.store.hold_person(actor.id(), now, until).await? {
            Ok(())
        } else {
            Err(Error::Conflict(ANSWER_IN_PROGRESS.into()))
        }
    }

    pub async fn release_assistant(&self, actor: &Actor) -> Result<()> {
        self.store.release_person(actor.id()).await
    }

    /// Tokens the actor's questions used today (UTC).
    pub async fn assistant_tokens_today(&self, actor: &Actor) -> Result<i64> {
        self.store.tokens_used(actor.id(), self.day_number()).await
    }

    pub async fn record_assistant_tokens(&self, actor: &Actor, tokens: u64) -> Result<()> {
        let tokens = i64::try_from(tokens).unwrap_or(i64::MAX);
        self.store
            .add_tokens(actor.id(), self.day_number(), tokens)
            .await
    }

    /// Today as days since 1970-01-01 (UTC).
    fn day_number(&self) -> i64 {
        self.now().unix_timestamp().div_euclid(86_400)
    }
}
