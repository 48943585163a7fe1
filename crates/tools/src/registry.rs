//! The registry: one list of every tool, and the one call path every channel goes
//! through — channel check, arguments, handler, cleaning, and the activity log.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::tool::{Channel, Tool, ToolSpec};
use crate::{
    CallContext, ToolError, ToolOutput, account, changes, content, inbox, planning, tasks,
};
use crate::{sanitize, sanitize_value};

/// Operations that exist only in the web app and have no tool at all (long workspace-wide
/// scans). Calls of these names, and of tools whose policy excludes the channel, are told to
/// use the web app.
pub const WEB_APP_ONLY_NAMES: [&str; 4] = [
    "export_workspace",
    "import_workspace",
    "reindex_workspace",
    "delete_project",
];

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A tool with its type erased, so that the registry can hold them all in one list.
trait ErasedTool: Send + Sync {
    fn spec(&self) -> &ToolSpec;
    fn run<'a>(
        &'a self,
        ctx: &'a CallContext<'a>,
        args: Value,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>>;
    fn proposal<'a>(
        &'a self,
        ctx: &'a CallContext<'a>,
        args: Value,
    ) -> BoxFuture<'a, Result<String, ToolError>>;
}

struct Entry<T: Tool> {
    tool: T,
    spec: ToolSpec,
}

impl<T: Tool> ErasedTool for Entry<T> {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    fn run<'a>(
        &'a self,
        ctx: &'a CallContext<'a>,
        args: Value,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(async move {
            let args = parse::<T::Args>(args)?;
            self.tool.run(ctx, args).await
        })
    }

    fn proposal<'a>(
        &'a self,
        ctx: &'a CallContext<'a>,
        args: Value,
    ) -> BoxFuture<'a, Result<String, ToolError>> {
        Box::pin(async move {
            let shown = args.to_string();
            let parsed = parse::<T::Args>(args)?;
            let line = self.tool.proposal(ctx, &parsed).await?;
            Ok(line.unwrap_or_else(|| format!("Run {} with {shown}", T::NAME)))
        })
    }
}

fn entry<T: Tool>(tool: T) -> Box<dyn ErasedTool> {
    Box::new(Entry {
        tool,
        spec: ToolSpec::of::<T>(),
    })
}

/// Every tool, in the order clients list them.
fn every_tool() -> Vec<Box<dyn ErasedTool>> {
    vec![
        entry(account::Whoami),
        entry(account::ListTeams),
        entry(account::ListUsers),
        entry(account::ListStatuses),
        entry(tasks::SearchTasks),
        entry(tasks::GetTask),
        entry(tasks::CreateTask),
        entry(tasks::UpdateTask),
        entry(content::ListComments),
        entry(content::CreateComment),
        entry(content::UpdateComment),
        entry(planning::ListProjects),
        entry(planning::GetProject),
        entry(planning::CreateProject),
        entry(planning::UpdateProject),
        entry(planning::ListMilestones),
        entry(planning::CreateMilestone),
        entry(planning::UpdateMilestone),
        entry(planning::ListCycles),
        entry(planning::CreateCycle),
        entry(planning::UpdateCycle),
        entry(planning::ListLabels),
        entry(planning::CreateLabel),
        entry(planning::UpdateLabel),
        entry(content::SearchDocs),
        entry(content::GetDoc),
        entry(content::CreateDoc),
        entry(content::UpdateDoc),
        entry(changes::ListChanges),
        entry(inbox::ListNotifications),
        entry(inbox::MarkNotificationsRead),
        // Web-only powers: never over MCP; the assistant asks for confirmation.
        entry(tasks::DeleteTask),
        entry(content::DeleteDoc),
        entry(tasks::SetStatusMany),
    ]
}

fn parse<T: DeserializeOwned>(args: Value) -> Result<T, ToolError> {
    let args = if args.is_null() {
        Value::Object(Map::new())
    } else {
        args
    };
    if !args.is_object() {
        return Err(ToolError::InvalidArguments(
            "arguments must be a JSON object".into(),
        ));
    }
    serde_json::from_value(args).map_err(|e| ToolError::InvalidArguments(e.to_string()))
}

/// The registry of every tool.
pub struct Registry {
    tools: Vec<Box<dyn ErasedTool>>,
}

/// The one registry, built once.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry {
        tools: every_tool(),
    })
}

impl Registry {
    pub fn tools(&self) -> impl Iterator<Item = &ToolSpec> {
        self.tools.iter().map(|t| t.spec())
    }

    pub fn get(&self, name: &str) -> Option<&ToolSpec> {
        self.find(name).map(|t| t.spec())
    }

    fn find(&self, name: &str) -> Option<&dyn ErasedTool> {
        self.tools
            .iter()
            .find(|t| t.spec().name == name)
            .map(|t| &**t)
    }

    /// The tools a channel may list and call, in registry order.
    pub fn for_channel(&self, channel: Channel) -> impl Iterator<Item = &ToolSpec> {
        self.tools().filter(move |t| t.allows(channel))
    }

    /// Checks that `name` may be called on `channel`; the error says what to do instead.
    pub fn check(&self, channel: Channel, name: &str) -> Result<&ToolSpec, ToolError> {
        self.callable(channel, name).map(|t| t.spec())
    }

    fn callable(&self, channel: Channel, name: &str) -> Result<&dyn ErasedTool, ToolError> {
        let refuse = |message: String| ToolError::NotOnChannel {
            tool: name.to_string(),
            message,
        };
        let web_app = || {
            refuse(format!(
                "{name} is not available to AI clients over MCP; use the web app"
            ))
        };
        match self.find(name) {
            Some(tool) if tool.spec().allows(channel) => Ok(tool),
            Some(tool) if channel == Channel::McpReadOnly && tool.spec().allows(Channel::Mcp) => {
                Err(refuse(format!(
                    "{name} changes data and is not available on /mcp/readonly; use /mcp"
                )))
            }
            Some(_) => Err(web_app()),
            None if WEB_APP_ONLY_NAMES.contains(&name) => Err(web_app()),
            // A client chooses the name: its first line, cut short, is all that is repeated or logged.
            None => Err(ToolError::UnknownTool(crate::render::first_line(name))),
        }
    }

    /// Calls a tool on behalf of a client, and records the call in the caller's activity
    /// log. `args` is the JSON object of arguments (`null` counts as `{}`).
    ///
    /// The one rule for the log, whatever the channel: every call of a name the registry
    /// knows (a tool, or a web-app-only operation) is recorded, `ok` when the tool answered
    /// and failed when it was refused (channel, arguments, the domain); its target is the
    /// one the tool names, else the call's `id` argument. A name that names nothing is not
    /// recorded: it is noise, and would let a client fill the log with made-up names.
    pub async fn call(
        &self,
        channel: Channel,
        name: &str,
        ctx: &CallContext<'_>,
        args: Value,
    ) -> Result<ToolOutput, ToolError> {
        let target = target_of(&args);
        let result = match self.callable(channel, name) {
            Ok(tool) => tool.run(ctx, args).await.map(clean),
            Err(e) => Err(e),
        };
        record(ctx, channel, name, &result, target).await;
        result
    }

    /// What a call of a tool that asks for confirmation would do, in one line, without
    /// running it (nothing is recorded: nothing ran).
    pub async fn propose(
        &self,
        channel: Channel,
        name: &str,
        ctx: &CallContext<'_>,
        args: Value,
    ) -> Result<String, ToolError> {
        let tool = self.callable(channel, name)?;
        Ok(sanitize(&tool.proposal(ctx, args).await?))
    }
}

/// Nothing leaves with invisible characters, whoever wrote the text.
fn clean(mut out: ToolOutput) -> ToolOutput {
    out.structured = sanitize_value(out.structured);
    out.text = sanitize(&out.text);
    out
}

async fn record(
    ctx: &CallContext<'_>,
    channel: Channel,
    tool: &str,
    result: &Result<ToolOutput, ToolError>,
    target: Option<String>,
) {
    let (target, ok) = match result {
        Ok(out) => (out.target.clone().or(target), true),
        Err(ToolError::UnknownTool(_)) => return,
        Err(e) => {
            if let ToolError::Domain(orgn_domain::Error::Internal(detail)) = e {
                tracing::error!(tool, ?channel, error = %detail, "tool failed");
            }
            (target, false)
        }
    };
    if let Err(e) = ctx
        .workspace
        .record_tool_call(ctx.actor, tool, target, ok)
        .await
    {
        tracing::warn!(error = %e, tool, "could not record a tool call");
    }
}

/// The target of a call for the activity log, from its arguments: the `id` argument.
pub fn target_of(args: &Value) -> Option<String> {
    let id = match args.get("id")? {
        Value::String(s) => s.trim().chars().take(100).collect(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Some(id)
}
