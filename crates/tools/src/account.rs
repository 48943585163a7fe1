//! Who you are and who is around: your user and token, teams, people, workflow statuses.

use orgn_domain::TOKEN_WARNING;
use orgn_domain::model::{Role, User};
use serde_json::{Map, Value, json};

use crate::answer::{lines_or, local_page, out};
use crate::args::{NoArgs, TeamArg, TeamPage};
use crate::render::{self, one_line};
use crate::schema;
use crate::tool::{Annotations, Output, Tool};
use crate::{CallContext, ToolError, ToolOutput};

pub struct Whoami;

impl Tool for Whoami {
    type Args = NoArgs;
    const NAME: &'static str = "whoami";
    const DESCRIPTION: &'static str = "Your user, teams and token expiry.";
    const ANNOTATIONS: Annotations = Annotations::READ;
    const OUTPUT: Output = Output::Custom(whoami_output);

    async fn run(&self, ctx: &CallContext<'_>, _: NoArgs) -> Result<ToolOutput, ToolError> {
        let user = ctx.actor.user();
        let mut structured = json!({
            "user": {"name": user.name, "email": user.email, "is_admin": user.is_admin},
            "teams": team_views(ctx),
        });
        let team_keys: Vec<&str> = ctx
            .actor
            .memberships()
            .iter()
            .map(|m| m.team.key.as_str())
            .collect();
        let mut text = format!(
            "{} <{}>; teams: {}",
            one_line(&user.name),
            user.email,
            if team_keys.is_empty() {
                "none".into()
            } else {
                team_keys.join(", ")
            }
        );
        if let Some(token) = ctx.token {
            let expires = render::time(token.expires_at);
            structured["token_expires_at"] = json!(expires);
            text.push_str(&format!("\ntoken expires {expires}"));
            let left = token.expires_at - ctx.workspace.now();
            if left < TOKEN_WARNING {
                let warning = format!(
                    "your token expires in {} days ({expires}); generate a new one in Settings → MCP Access",
                    left.whole_days().max(0)
                );
                text.push_str(&format!("\nwarning: {warning}"));
                structured["warning"] = json!(warning);
            }
        }
        Ok(out(structured, text, None))
    }
}

fn team_views(ctx: &CallContext<'_>) -> Vec<Value> {
    ctx.actor
        .memberships()
        .iter()
        .map(|m| json!({"key": m.team.key, "name": m.team.name, "role": m.role.as_str()}))
        .collect()
}

/// `{ user, teams, token_expires_at?, warning? }`.
fn whoami_output() -> Map<String, Value> {
    let mut props = Map::new();
    props.insert("user".into(), json!({"type": "object"}));
    props.insert(
        "teams".into(),
        json!({"type": "array", "items": {"type": "object"}}),
    );
    props.insert("token_expires_at".into(), json!({"type": "string"}));
    props.insert("warning".into(), json!({"type": "string"}));
    schema::object(props, &["user", "teams"])
}

pub struct ListTeams;

impl Tool for ListTeams {
    type Args = NoArgs;
    const NAME: &'static str = "list_teams";
    const DESCRIPTION: &'static str = "Teams you belong to.";
    const ANNOTATIONS: Annotations = Annotations::READ;
    const OUTPUT: Output = Output::list("teams", false);

    async fn run(&self, ctx: &CallContext<'_>, _: NoArgs) -> Result<ToolOutput, ToolError> {
        let text = ctx
            .actor
            .memberships()
            .iter()
            .map(|m| format!("{} {} ({})", m.team.key, m.team.name, m.role.as_str()))
            .collect::<Vec<_>>();
        Ok(out(
            json!({"teams": team_views(ctx)}),
            lines_or(text, "You belong to no team."),
            None,
        ))
    }
}

pub struct ListUsers;

impl Tool for ListUsers {
    type Args = TeamPage;
    const NAME: &'static str = "list_users";
    const DESCRIPTION: &'static str = "People in your teams.";
    const ANNOTATIONS: Annotations = Annotations::READ;
    const OUTPUT: Output = Output::list("users", true);

    async fn run(&self, ctx: &CallContext<'_>, a: TeamPage) -> Result<ToolOutput, ToolError> {
        let (ws, actor) = (ctx.workspace, ctx.actor);
        let users: Vec<(User, Option<Role>)> =
            match a.team.as_deref().filter(|t| !t.trim().is_empty()) {
                Some(team) => ws
                    .team_members(actor, team)
                    .await?
                    .into_iter()
                    .map(|(u, r)| (u, Some(r)))
                    .collect(),
                None => ws
                    .users(actor)
                    .await?
                    .into_iter()
                    .map(|u| (u, None))
                    .collect(),
            };
        local_page("users", users, a.limit, a.cursor.as_deref(), |(u, role)| {
            let mut v = json!({"name": u.name, "email": u.email});
            if let Some(r) = role {
                v["role"] = json!(r.as_str());
            }
            let role = role
                .map(|r| format!(" ({})", r.as_str()))
                .unwrap_or_default();
            (v, format!("{} <{}>{role}", one_line(&u.name), u.email))
        })
    }
}

pub struct ListStatuses;

impl Tool for ListStatuses {
    type Args = TeamArg;
    const NAME: &'static str = "list_statuses";
    const DESCRIPTION: &'static str = "Workflow statuses per team.";
    const ANNOTATIONS: Annotations = Annotations::READ;
    const OUTPUT: Output = Output::list("statuses", false);

    async fn run(&self, ctx: &CallContext<'_>, a: TeamArg) -> Result<ToolOutput, ToolError> {
        let (ws, actor) = (ctx.workspace, ctx.actor);
        let keys: Vec<String> = match a.team.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(k) => vec![ws.visible_team(actor, k)?.key],
            None => actor
                .memberships()
                .iter()
                .map(|m| m.team.key.clone())
                .collect(),
        };
        let mut statuses = Vec::new();
        let mut text = Vec::new();
        for key in keys {
            let list = ws.statuses(actor, &key).await?;
            text.push(format!(
                "{key}: {}",
                list.iter()
                    .map(|s| format!("{} ({})", s.name, s.kind.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            statuses.extend(
                list.iter()
                    .map(|s| json!({"team": key, "name": s.name, "type": s.kind.as_str()})),
            );
        }
        Ok(out(
            json!({"statuses": statuses}),
            lines_or(text, "No statuses: you belong to no team."),
            None,
        ))
    }
}
