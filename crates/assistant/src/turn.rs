//! The turn loop: one question, answered in turns of the model's until it answers without
//! tool calls or a limit (tool calls, time, tokens) stops it. Each turn streams the model's
//! text out, then runs (or proposes) the tool calls it asked for.

use orgn_domain::Actor;
use orgn_domain::changes::{Channel as ChangeChannel, Via};
use orgn_domain::model::{Conversation, ConversationId};
use orgn_tools::{Channel, first_line, registry};
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::guard::Scope;
use crate::record::{self, Stored};
use crate::wire::{Call, Model, Stop, ToolDef, Turn};
use crate::{Asked, Assistant, Event, Limits, MAX_QUESTION, domain_message, prompt, title_of};

/// What every turn of one question sends the model besides the conversation.
struct Setup<'a> {
    model: &'a Model,
    system: String,
    tools: Vec<ToolDef>,
}

/// What one question may still use up, and what it is about.
struct Budget {
    deadline: Instant,
    calls_used: usize,
    scope: Scope,
}

impl Assistant {
    pub(crate) async fn answer(
        &self,
        actor: &Actor,
        asked: Asked<'_>,
        tx: &mpsc::Sender<Event>,
    ) -> Result<(), String> {
        let Asked {
            conversation,
            question,
            page,
        } = asked;
        // Not configured: say so before a conversation is started.
        self.inner.model.as_ref().map_err(Clone::clone)?;
        let deadline = Instant::now() + self.inner.limits.time;
        let question = orgn_tools::sanitize(question.trim());
        if question.is_empty() {
            return Err("Ask a question first.".into());
        }
        if question.chars().count() > MAX_QUESTION {
            return Err(format!(
                "The question is too long: at most {MAX_QUESTION} characters."
            ));
        }
        // Refused before a conversation is started: one answer at a time per person, and
        // not past the day's budget.
        self.while_person_held(actor, async {
            self.within_budget(actor).await?;
            let conversation = self
                .conversation_for(actor, conversation, &question)
                .await?;
            let conv = conversation.id;
            let title = conversation.title;
            self.while_held(actor, conv, domain_message, async {
                let _ = tx.send(Event::Conversation { id: conv, title }).await;
                self.answer_held(actor, conv, (question, page), deadline, tx)
                    .await
            })
            .await
        })
        .await
    }

    /// The questions asked before in a conversation, oldest first.
    async fn earlier_questions(
        &self,
        actor: &Actor,
        conv: ConversationId,
    ) -> Result<Vec<String>, String> {
        let messages = self
            .workspace()
            .conversation_messages(actor, conv)
            .await
            .map_err(domain_message)?;
        Ok(messages
            .iter()
            .filter_map(|m| match record::parse(m) {
                Some(Stored::Question { text }) => Some(text),
                _ => None,
            })
            .collect())
    }

    /// The conversation a question goes to: the user's own one it names, or a new one
    /// titled by the question.
    async fn conversation_for(
        &self,
        actor: &Actor,
        conversation: Option<ConversationId>,
        question: &str,
    ) -> Result<Conversation, String> {
        let ws = self.workspace();
        let Some(id) = conversation else {
            return ws
                .start_conversation(actor, &title_of(question))
                .await
                .map_err(domain_message);
        };
        // Checks that it is the user's own.
        ws.conversation_messages(actor, id)
            .await
            .map_err(domain_message)?;
        let title = ws
            .conversations(actor)
            .await
            .map_err(domain_message)?
            .into_iter()
            .find(|c| c.id == id)
            .map(|c| c.title)
            .unwrap_or_default();
        Ok(Conversation {
            id,
            title,
            updated_at: ws.now(),
        })
    }

    /// The answer itself, once the conversation is held.
    async fn answer_held(
        &self,
        actor: &Actor,
        conv: ConversationId,
        (question, page): (String, Option<&str>),
        deadline: Instant,
        tx: &mpsc::Sender<Event>,
    ) -> Result<(), String> {
        let model = self.inner.model.as_ref().map_err(Clone::clone)?;
        let limits = self.inner.limits;
        let earlier = self.earlier_questions(actor, conv).await?;
        let scope = self.scope_of(actor, &question, page, &earlier).await;
        self.append(actor, conv, &Stored::Question { text: question })
            .await?;
        let setup = Setup {
            model,
            system: prompt::system_prompt(actor, self.workspace()),
            tools: prompt::tool_defs(),
        };
        let mut budget = Budget {
            deadline,
            calls_used: 0,
            scope,
        };
        loop {
            if let Err(message) = self.within_budget(actor).await {
                return self.stop(actor, conv, tx, message).await;
            }
            let turn = self.model_turn(actor, conv, &setup, deadline, tx).await?;
            let calls = self
                .keep_answer(actor, conv, turn.text, turn.calls, turn.stop)
                .await?;
            match turn.stop {
                Stop::TimedOut => return self.stop(actor, conv, tx, time_message(limits)).await,
                Stop::MaxTokens => {
                    let message = format!(
                        "Stopped: the answer reached the limit of {} tokens.",
                        limits.max_tokens
                    );
                    return self.stop(actor, conv, tx, message).await;
                }
                Stop::End => {}
            }
            if calls.is_empty() {
                return Ok(());
            }
            if let Some(message) = self.run_calls(actor, conv, calls, &mut budget, tx).await? {
                return self.stop(actor, conv, tx, message).await;
            }
            if Instant::now() >= deadline {
                return self.stop(actor, conv, tx, time_message(limits)).await;
            }
        }
    }

    /// One request to the model with the conversation so far, its text streamed to `tx`.
    /// A failure is kept in the conversation as a notice.
    async fn model_turn(
        &self,
        actor: &Actor,
        conv: ConversationId,
        setup: &Setup<'_>,
        deadline: Instant,
        tx: &mpsc::Sender<Event>,
    ) -> Result<Turn, String> {
        let max_tokens = self.inner.limits.max_tokens;
        let messages = self
            .workspace()
            .conversation_messages(actor, conv)
            .await
            .map_err(domain_message)?;
        let history = record::history(&messages);
        let body = setup
            .model
            .request_body(&setup.system, &history, &setup.tools, max_tokens);
        match setup.model.stream(&body, deadline, max_tokens, tx).await {
            Ok(turn) => {
                self.count_tokens(actor, &turn, &body).await;
                Ok(turn)
            }
            Err(e) => {
                let _ = self
                    .append(actor, conv, &Stored::Notice { text: e.clone() })
                    .await;
                Err(e)
            }
        }
    }

    /// Keeps the model's answer of one turn; returns the tool calls to run. A cut-off
    /// answer's tool calls may be incomplete: none of them runs.
    async fn keep_answer(
        &self,
        actor: &Actor,
        conv: ConversationId,
        text: String,
        calls: Vec<Call>,
        stop: Stop,
    ) -> Result<Vec<Call>, String> {
        let calls = if stop == Stop::End { calls } else { vec![] };
        if !text.is_empty() || !calls.is_empty() {
            let answer = Stored::Answer {
                text,
                calls: calls.clone(),
            };
            self.append(actor, conv, &answer).await?;
        }
        Ok(calls)
    }

    /// Runs the calls of one turn while the limits allow; the calls past a limit are kept
    /// as not run. Returns the words of the limit that stopped them, if one did.
    async fn run_calls(
        &self,
        actor: &Actor,
        conv: ConversationId,
        calls: Vec<Call>,
        budget: &mut Budget,
        tx: &mpsc::Sender<Event>,
    ) -> Result<Option<String>, String> {
        let limits = self.inner.limits;
        let mut stopped = None;
        for call in calls {
            if stopped.is_none() {
                if budget.calls_used >= limits.max_tool_calls {
                    stopped = Some(format!(
                        "Stopped: this question reached the limit of {} tool calls. Ask again to continue.",
                        limits.max_tool_calls
                    ));
                } else if Instant::now() >= budget.deadline {
                    stopped = Some(time_message(limits));
                }
            }
            if stopped.is_some() {
                let r = Stored::Tool {
                    call_id: call.id,
                    name: call.name,
                    arguments: parse_arguments(&call.arguments).unwrap_or(Value::Null),
                    ok: false,
                    summary: "not run: a limit was reached".into(),
                    result: "Not run: the limit for this question was reached.".into(),
                    proposal: false,
                };
                self.append(actor, conv, &r).await?;
                continue;
            }
            budget.calls_used += 1;
            self.tool_call(actor, conv, call, &mut budget.scope, tx)
                .await?;
        }
        Ok(stopped)
    }

    async fn stop(
        &self,
        actor: &Actor,
        conv: ConversationId,
        tx: &mpsc::Sender<Event>,
        message: String,
    ) -> Result<(), String> {
        self.append(
            actor,
            conv,
            &Stored::Notice {
                text: message.clone(),
            },
        )
        .await?;
        let _ = tx.send(Event::Stopped(message)).await;
        Ok(())
    }

    /// Runs one tool call of the model's, or records it as a proposal when its policy asks
    /// for the user's confirmation.
    async fn tool_call(
        &self,
        actor: &Actor,
        conv: ConversationId,
        call: Call,
        scope: &mut Scope,
        tx: &mpsc::Sender<Event>,
    ) -> Result<(), String> {
        let arguments = parse_arguments(&call.arguments);
        let shown_args = arguments.clone().unwrap_or(Value::Null);
        let spec = registry()
            .get(&call.name)
            .filter(|s| s.allows(Channel::Assistant));
        let reason = match (spec, &arguments) {
            (Some(spec), Ok(args)) => self.needs_word(actor, scope, spec, args).await,
            _ => None,
        };
        let web_only = spec.is_some_and(|s| s.channels.confirm);
        let outcome = match (arguments, reason) {
            (Err(e), _) => Err(e),
            (Ok(args), Some(reason)) => {
                match self.describe(actor, &call.name, args.clone()).await {
                    Ok(line) => {
                        let summary = proposal_summary(line, &reason, web_only);
                        return self.propose(actor, conv, call, args, summary, tx).await;
                    }
                    Err(e) => Err(e),
                }
            }
            (Ok(args), None) => self.run_tool(actor, &call.name, args).await,
        };
        let (ok, summary, result) = match outcome {
            Ok(text) => (true, first_line(&text), text),
            Err(message) => (false, first_line(&message), message),
        };
        let r = Stored::Tool {
            call_id: call.id,
            name: call.name.clone(),
            arguments: shown_args.clone(),
            ok,
            summary: summary.clone(),
            result,
            proposal: false,
        };
        self.append(actor, conv, &r).await?;
        let _ = tx
            .send(Event::ToolCall {
                name: call.name,
                arguments: shown_args,
                summary,
                ok,
            })
            .await;
        Ok(())
    }

    /// Runs a tool on the assistant channel as `actor`: its text, or the error's words.
    /// The registry records the call in the activity log.
    pub(crate) async fn run_tool(
        &self,
        actor: &Actor,
        tool: &str,
        args: Value,
    ) -> Result<String, String> {
        // What the assistant changes is marked as done through Ask Orgn.
        let actor = actor.clone().acting_via(Via::of(ChangeChannel::Assistant));
        let ctx = self.tool_context(&actor);
        registry()
            .call(Channel::Assistant, tool, &ctx, args)
            .await
            .map(|out| out.text)
            .map_err(|e| e.message())
    }
}

/// How much of a proposed call's line the panel shows (its arguments may be a whole doc).
const SHOWN_CALL: usize = 300;

/// What a proposal says: the web-only powers what they do; the others also why they wait,
/// after the start of the call's line.
fn proposal_summary(line: String, reason: &str, web_only: bool) -> String {
    if web_only {
        return line;
    }
    let mut shown: String = line.chars().take(SHOWN_CALL).collect();
    if shown.len() < line.len() {
        shown.push('…');
    }
    format!("{shown} (waits for your confirmation: {reason})")
}

fn time_message(limits: Limits) -> String {
    format!(
        "Stopped: this question reached the time limit of {} seconds.",
        limits.time.as_secs()
    )
}

fn parse_arguments(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(Value::Null) => Ok(Value::Object(Map::new())),
        Ok(_) => Err("invalid arguments: they must be a JSON object".into()),
        Err(_) => Err("invalid arguments: they are not valid JSON".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::{SHOWN_CALL, proposal_summary};

    #[test]
    fn a_proposal_shows_the_start_of_a_long_call_and_why_it_waits() {
        let long = format!(
            "Run update_doc with {{\"content\":\"{}\"}}",
            "é".repeat(5000)
        );
        let summary = proposal_summary(long.clone(), "it replaces the content of doc 1", false);
        assert!(summary.starts_with(&long.chars().take(SHOWN_CALL).collect::<String>()));
        assert!(
            summary.ends_with("… (waits for your confirmation: it replaces the content of doc 1)")
        );
        assert_eq!(
            proposal_summary("Delete task ENG-1".into(), "x", true),
            "Delete task ENG-1"
        );
        assert_eq!(
            proposal_summary("Run x".into(), "why", false),
            "Run x (waits for your confirmation: why)"
        );
    }
}
