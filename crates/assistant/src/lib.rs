//! Ask Orgn: the in-app assistant. It answers questions about the workspace and acts on it
//! through the tool registry (`orgn-tools`), on the assistant channel, as the signed-in user
//! with that user's access: the same tools and rules as MCP.
//!
//! - The model is any OpenAI-compatible Chat Completions endpoint or Anthropic's Messages
//!   API, always streaming, with tool calling.
//! - The loop: send the conversation and the tools; stream text out as [`Event`]s; run the
//!   tool calls; send the results back as delimited data; until the model answers without
//!   tool calls, or a limit (tool calls, time, tokens) stops it.
//! - Tools whose policy says `confirm` (the web-only powers: deleting, bulk status changes)
//!   never run on the model's word: they become proposals that the user confirms or
//!   cancels ([`Assistant::confirm`], [`Assistant::cancel`]). So do calls that overwrite
//!   long text, write into a team the question is not about, or write after the answer read
//!   from such a team (`guard.rs`, which also says what a question is about).
//! - Conversations are kept per user through the `Workspace`.

mod bodies;
mod config;
mod events;
mod guard;
mod prompt;
mod proposals;
mod record;
mod sse;
mod turn;
mod usage;
mod wire;

use std::sync::Arc;
use std::time::Duration;

use orgn_domain::model::{Conversation, ConversationId};
use orgn_domain::{Actor, Workspace};
use orgn_tools::CallContext;
use tokio::sync::mpsc;

pub use config::{Api, AssistantConfig, Limits};
pub use events::{Entry, Event, Outcome, ProposalState};
use record::Stored;
use wire::Model;

/// What the assistant answers when no model is configured.
pub const NOT_CONFIGURED: &str = "Ask Orgn is not configured: start orgn serve with --assistant-url URL --assistant-model NAME and ORGN_ASSISTANT_API_KEY (the key may be left out for a local model server).";

/// A question and where it comes from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Asked<'a> {
    /// The person's conversation it goes on; `None` starts one.
    pub conversation: Option<ConversationId>,
    pub question: &'a str,
    /// The path of the page it was asked on, if any (`/tasks/ENG-12`).
    pub page: Option<&'a str>,
}

/// Longest question taken, in characters.
pub const MAX_QUESTION: usize = 8000;

#[derive(Debug, Clone, PartialEq)]
pub enum AssistantError {
    /// No model configured: nothing to do; the message says how to configure it.
    NotConfigured,
    /// The workspace refused: not found (someone else's conversation, no such proposal),
    /// conflict (already confirmed or canceled), invalid…
    Domain(orgn_domain::Error),
}

impl std::fmt::Display for AssistantError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AssistantError::NotConfigured => f.write_str(NOT_CONFIGURED),
            AssistantError::Domain(orgn_domain::Error::Internal(_)) => {
                f.write_str("internal error; please try again later")
            }
            AssistantError::Domain(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AssistantError {}

impl From<orgn_domain::Error> for AssistantError {
    fn from(e: orgn_domain::Error) -> Self {
        AssistantError::Domain(e)
    }
}

/// The assistant. Cheap to clone; build one at start and share it.
#[derive(Clone)]
pub struct Assistant {
    inner: Arc<Inner>,
}

struct Inner {
    workspace: Workspace,
    limits: Limits,
    model: Result<Model, String>,
}

impl Assistant {
    /// `None`: not configured; every question answers [`NOT_CONFIGURED`]. A configuration
    /// whose URL is wrong answers that instead (check it first with
    /// [`AssistantConfig::validate`]).
    pub fn new(workspace: Workspace, config: Option<AssistantConfig>) -> Assistant {
        let limits = config.as_ref().map(|c| c.limits).unwrap_or_default();
        let model = match &config {
            None => Err(NOT_CONFIGURED.to_string()),
            Some(c) => {
                if c.model.trim().is_empty() {
                    Err("Ask Orgn is misconfigured: --assistant-model is empty.".to_string())
                } else {
                    Model::new(c).map_err(|e| format!("Ask Orgn is misconfigured: {e}"))
                }
            }
        };
        Assistant {
            inner: Arc::new(Inner {
                workspace,
                limits,
                model,
            }),
        }
    }

    pub fn is_configured(&self) -> bool {
        self.inner.model.is_ok()
    }

    /// Why the assistant cannot answer, when it cannot (for the panel to show up front).
    pub fn status(&self) -> Option<&str> {
        self.inner.model.as_ref().err().map(String::as_str)
    }

    fn workspace(&self) -> &Workspace {
        &self.inner.workspace
    }

    /// Tool calls of the assistant act inside the user's web session: no token.
    fn tool_context<'a>(&'a self, actor: &'a Actor) -> CallContext<'a> {
        CallContext {
            workspace: self.workspace(),
            actor,
            token: None,
        }
    }

    /// The user's recent conversations, newest first (a short list).
    pub async fn conversations(&self, actor: &Actor) -> Result<Vec<Conversation>, AssistantError> {
        Ok(self.workspace().conversations(actor).await?)
    }

    /// Starts an empty conversation ("New conversation"). Asking with `None` also starts one,
    /// titled by the question.
    pub async fn new_conversation(
        &self,
        actor: &Actor,
        title: &str,
    ) -> Result<Conversation, AssistantError> {
        let title = title_of(title);
        let title = if title.is_empty() {
            "New conversation".to_string()
        } else {
            title
        };
        Ok(self.workspace().start_conversation(actor, &title).await?)
    }

    /// A conversation of the user's, for the panel. Anyone else's answers not found.
    pub async fn transcript(
        &self,
        actor: &Actor,
        conversation: ConversationId,
    ) -> Result<Vec<Entry>, AssistantError> {
        let messages = self
            .workspace()
            .conversation_messages(actor, conversation)
            .await?;
        Ok(record::transcript(&messages))
    }

    /// Asks a question in the background; the events arrive on the receiver, the last one
    /// `Done` or `Error`. The answer keeps running (and is kept) if the receiver is dropped.
    pub fn ask(
        &self,
        actor: Actor,
        conversation: Option<ConversationId>,
        question: impl Into<String>,
    ) -> mpsc::Receiver<Event> {
        self.ask_on_page(actor, conversation, question, None)
    }

    /// [`Assistant::ask`] from a page of the app (its path, e.g. `/tasks/ENG-12`): a question
    /// that names no team is about the page's team (see `guard.rs`).
    pub fn ask_on_page(
        &self,
        actor: Actor,
        conversation: Option<ConversationId>,
        question: impl Into<String>,
        page: Option<String>,
    ) -> mpsc::Receiver<Event> {
        let (tx, rx) = mpsc::channel(256);
        let this = self.clone();
        let question = question.into();
        tokio::spawn(async move {
            let asked = Asked {
                conversation,
                question: &question,
                page: page.as_deref(),
            };
            this.ask_with(&actor, asked, &tx).await;
        });
        rx
    }

    /// Asks a question, sending the events to `tx` as they happen; returns when done.
    pub async fn ask_with(&self, actor: &Actor, asked: Asked<'_>, tx: &mpsc::Sender<Event>) {
        let last = match self.answer(actor, asked, tx).await {
            Ok(()) => Event::Done,
            Err(message) => Event::Error(message),
        };
        let _ = tx.send(last).await;
    }

    /// Asks and collects every event (tests, scripts).
    pub async fn ask_collect(
        &self,
        actor: &Actor,
        conversation: Option<ConversationId>,
        question: &str,
    ) -> Vec<Event> {
        let asked = Asked {
            conversation,
            question,
            page: None,
        };
        self.ask_collect_with(actor, asked).await
    }

    /// [`Assistant::ask_collect`] with everything a question may come with.
    pub async fn ask_collect_with(&self, actor: &Actor, asked: Asked<'_>) -> Vec<Event> {
        let (tx, mut rx) = mpsc::channel(1024);
        let run = self.ask_with(actor, asked, &tx);
        let collect = async {
            let mut events = Vec::new();
            while let Some(e) = rx.recv().await {
                let last = matches!(e, Event::Done | Event::Error(_));
                events.push(e);
                if last {
                    break;
                }
            }
            events
        };
        let ((), events) = tokio::join!(run, collect);
        events
    }

    async fn append(
        &self,
        actor: &Actor,
        conversation: ConversationId,
        r: &Stored,
    ) -> Result<i64, String> {
        self.workspace()
            .append_message(actor, conversation, r.role(), &r.to_json())
            .await
            .map_err(domain_message)
    }

    /// Runs `work` while holding the conversation: one answer or confirmation at a time in
    /// a conversation, across every server process. The hold outlasts an answer's time
    /// limit, so a process that dies mid-answer frees it by itself.
    async fn while_held<T, E>(
        &self,
        actor: &Actor,
        conv: ConversationId,
        held_error: fn(orgn_domain::Error) -> E,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let ws = self.workspace();
        let hold_for = self.inner.limits.time + Duration::from_secs(60);
        ws.hold_conversation(actor, conv, hold_for)
            .await
            .map_err(held_error)?;
        let done = work.await;
        if let Err(e) = ws.release_conversation(actor, conv).await {
            tracing::warn!(error = %e, conversation = conv.get(), "releasing a conversation failed; its hold will run out");
        }
        done
    }
}

fn domain_message(e: orgn_domain::Error) -> String {
    AssistantError::Domain(e).to_string()
}

fn title_of(question: &str) -> String {
    let line = question
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let mut t: String = line.trim().chars().take(80).collect();
    if line.trim().chars().count() > 80 {
        t.pop();
        t.push('…');
    }
    t
}
