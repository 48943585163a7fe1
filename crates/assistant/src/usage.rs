//! Ask Orgn per person: one answer at a time (held in the database, so across tabs,
//! conversations and server processes) and the optional daily token budget
//! (`orgn serve --assistant-daily-tokens N`), counted from what the model server reports,
//! else estimated at four bytes a token of what was sent and received.

use std::time::Duration;

use orgn_domain::Actor;
use serde_json::Value;

use crate::wire::Turn;
use crate::{Assistant, domain_message};

/// Bytes per token when the server reports no usage (a common rule of thumb for English).
const BYTES_PER_TOKEN: usize = 4;

impl Assistant {
    /// Runs `work` while the person is held: a second question meanwhile is refused with
    /// `ANSWER_IN_PROGRESS`. The hold outlasts an answer's time limit, so a process that dies
    /// mid-answer frees it by itself.
    pub(crate) async fn while_person_held<T>(
        &self,
        actor: &Actor,
        work: impl Future<Output = Result<T, String>>,
    ) -> Result<T, String> {
        let ws = self.workspace();
        let hold_for = self.inner.limits.time + Duration::from_secs(60);
        ws.hold_assistant(actor, hold_for)
            .await
            .map_err(domain_message)?;
        let done = work.await;
        if let Err(e) = ws.release_assistant(actor).await {
            tracing::warn!(error = %e, user = actor.id().get(), "releasing a person's Ask Orgn hold failed; it will run out");
        }
        done
    }

    /// `Err` with the words to show when the person has used today's budget.
    pub(crate) async fn within_budget(&self, actor: &Actor) -> Result<(), String> {
        let Some(budget) = self.inner.limits.daily_tokens else {
            return Ok(());
        };
        let used = self
            .workspace()
            .assistant_tokens_today(actor)
            .await
            .map_err(domain_message)?;
        if used >= i64::try_from(budget).unwrap_or(i64::MAX) {
            return Err(format!(
                "You have used today's Ask Orgn budget of {budget} tokens; it starts again at midnight UTC."
            ));
        }
        Ok(())
    }

    /// Counts one model turn against the person's day.
    pub(crate) async fn count_tokens(&self, actor: &Actor, turn: &Turn, sent: &Value) {
        if self.inner.limits.daily_tokens.is_none() {
            return;
        }
        let sent_bytes = sent.to_string().len();
        let tokens = if turn.reported_tokens > 0 {
            turn.reported_tokens
        } else {
            let received: usize =
                turn.text.len() + turn.calls.iter().map(|c| c.arguments.len()).sum::<usize>();
            ((sent_bytes + received).div_ceil(BYTES_PER_TOKEN)) as u64
        };
        if let Err(e) = self
            .workspace()
            .record_assistant_tokens(actor, tokens)
            .await
        {
            tracing::warn!(error = %e, "recording Ask Orgn tokens failed");
        }
    }
}
