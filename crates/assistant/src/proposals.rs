//! Proposals: calls of tools whose policy asks for the user's word (deleting, bulk status
//! changes). The model's call is only described and kept; it runs when the user confirms
//! it, and never when they cancel it.

use orgn_domain::Actor;
use orgn_domain::changes::{Channel as ChangeChannel, Via};
use orgn_domain::model::{ChatRole, ConversationId};
use orgn_tools::{Channel, first_line, registry};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::record::{self, Stored};
use crate::wire::Call;
use crate::{Assistant, AssistantError, Event, Outcome};

impl Assistant {
    /// The line that tells the user what a call would do, checked against the workspace;
    /// an error (bad arguments, not found) goes back to the model instead of a proposal.
    pub(crate) async fn describe(
        &self,
        actor: &Actor,
        tool: &str,
        args: Value,
    ) -> Result<String, String> {
        // What the assistant changes is marked as done through Ask Orgn.
        let actor = actor.clone().acting_via(Via::of(ChangeChannel::Assistant));
        let ctx = self.tool_context(&actor);
        registry()
            .propose(Channel::Assistant, tool, &ctx, args)
            .await
            .map_err(|e| e.message())
    }

    /// Keeps the model's call as a proposal and tells the panel; nothing runs.
    pub(crate) async fn propose(
        &self,
        actor: &Actor,
        conv: ConversationId,
        call: Call,
        args: Value,
        summary: String,
        tx: &mpsc::Sender<Event>,
    ) -> Result<(), String> {
        let r = Stored::Tool {
            call_id: call.id,
            name: call.name.clone(),
            arguments: args.clone(),
            ok: true,
            summary: summary.clone(),
            result: String::new(),
            proposal: true,
        };
        let id = self.append(actor, conv, &r).await?;
        let _ = tx
            .send(Event::Proposal {
                id,
                tool: call.name,
                arguments: args,
                summary,
            })
            .await;
        Ok(())
    }

    /// Finds a proposal of the conversation that is still waiting.
    async fn pending_proposal(
        &self,
        actor: &Actor,
        conversation: ConversationId,
        proposal: i64,
    ) -> Result<(String, Value, String), AssistantError> {
        let messages = self
            .workspace()
            .conversation_messages(actor, conversation)
            .await?;
        let mut found = None;
        for m in &messages {
            match record::parse(m) {
                Some(Stored::Tool {
                    name,
                    arguments,
                    summary,
                    proposal: true,
                    ..
                }) if m.id == proposal && m.role == ChatRole::Tool => {
                    found = Some((name, arguments, summary));
                }
                Some(Stored::Resolution {
                    proposal: p,
                    confirmed,
                    ..
                }) if p == proposal => {
                    let done = if confirmed { "confirmed" } else { "canceled" };
                    return Err(orgn_domain::Error::Conflict(format!(
                        "Proposal {proposal} was already {done}"
                    ))
                    .into());
                }
                _ => {}
            }
        }
        found.ok_or_else(|| orgn_domain::error::not_found(format!("Proposal {proposal}")).into())
    }

    /// The user confirms a proposal: it runs now, as `actor`, and its result is recorded in
    /// the conversation (the model sees it with the next question).
    pub async fn confirm(
        &self,
        actor: &Actor,
        conversation: ConversationId,
        proposal: i64,
    ) -> Result<Outcome, AssistantError> {
        if !self.is_configured() {
            return Err(AssistantError::NotConfigured);
        }
        self.while_held(actor, conversation, AssistantError::Domain, async {
            self.run_proposal(actor, conversation, proposal).await
        })
        .await
    }

    /// Runs a pending proposal and records its result (the conversation is held).
    async fn run_proposal(
        &self,
        actor: &Actor,
        conversation: ConversationId,
        proposal: i64,
    ) -> Result<Outcome, AssistantError> {
        let (tool, args, summary) = self.pending_proposal(actor, conversation, proposal).await?;
        let ws = self.workspace();
        let (ok, result) = match self.run_tool(actor, &tool, args).await {
            Ok(text) => (true, text),
            Err(message) => (false, message),
        };
        let line = first_line(&result);
        let r = Stored::Resolution {
            proposal,
            tool,
            confirmed: true,
            ok,
            summary: summary.clone(),
            result,
        };
        ws.append_message(actor, conversation, r.role(), &r.to_json())
            .await?;
        Ok(Outcome { ok, summary: line })
    }

    /// The user cancels a proposal: nothing runs; the conversation records it.
    pub async fn cancel(
        &self,
        actor: &Actor,
        conversation: ConversationId,
        proposal: i64,
    ) -> Result<(), AssistantError> {
        if !self.is_configured() {
            return Err(AssistantError::NotConfigured);
        }
        self.while_held(actor, conversation, AssistantError::Domain, async {
            let (tool, _, summary) = self.pending_proposal(actor, conversation, proposal).await?;
            let r = Stored::Resolution {
                proposal,
                tool,
                confirmed: false,
                ok: true,
                summary,
                result: String::new(),
            };
            self.workspace()
                .append_message(actor, conversation, r.role(), &r.to_json())
                .await?;
            Ok(())
        })
        .await
    }
}
