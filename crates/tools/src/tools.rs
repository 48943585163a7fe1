//! The tools themselves: their specs, and what each call does in domain terms.

use orgn_domain::cursor::{self, SeekKey};
use orgn_domain::model::*;
use orgn_domain::{
    CycleDraft, CyclePatch, DocDraft, DocFilter, Error, MilestonePatch, Page, ProjectDraft,
    ProjectPatch, TOKEN_WARNING, TaskDraft, TaskFilter, TaskPatch,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::args::*;
use crate::render::{self, *};
use crate::schema::{self, list, one};
use crate::{Annotations, CallContext, Channels, ToolError, ToolOutput, ToolSpec};

const READ: Annotations = Annotations {
    read_only: true,
    destructive: false,
    idempotent: true,
};
const CREATE: Annotations = Annotations {
    read_only: false,
    destructive: false,
    idempotent: false,
};
/// Updates that set fields to given values: repeating them changes nothing more.
const UPDATE: Annotations = Annotations {
    read_only: false,
    destructive: false,
    idempotent: true,
};
/// Updates that replace people-written text, of which no copy is kept.
const OVERWRITE: Annotations = Annotations {
    read_only: false,
    destructive: true,
    idempotent: true,
};
const DELETE: Annotations = Annotations {
    read_only: false,
    destructive: true,
    idempotent: true,
};

fn spec<A: schemars::JsonSchema>(
    name: &'static str,
    description: &'static str,
    output: Map<String, Value>,
    annotations: Annotations,
    channels: Channels,
) -> ToolSpec {
    ToolSpec {
        name,
        description,
        input_schema: schema::input::<A>(),
        output_schema: output,
        annotations,
        channels,
    }
}

pub fn specs() -> Vec<ToolSpec> {
    let all = Channels::ALL;
    let web = Channels::WEB_ONLY;
    let whoami_out = {
        let mut props = Map::new();
        props.insert("user".into(), json!({"type": "object"}));
        props.insert(
            "teams".into(),
            json!({"type": "array", "items": {"type": "object"}}),
        );
        props.insert("token_expires_at".into(), json!({"type": "string"}));
        props.insert("warning".into(), json!({"type": "string"}));
        schema::object(props, &["user", "teams"])
    };
    let task_out = || one("task", &[]);
    vec![
        spec::<NoArgs>(
            "whoami",
            "Your user, teams and token expiry.",
            whoami_out,
            READ,
            all,
        ),
        spec::<NoArgs>(
            "list_teams",
            "Teams you belong to.",
            list("teams", false),
            READ,
            all,
        ),
        spec::<TeamPage>(
            "list_users",
            "People in your teams.",
            list("users", true),
            READ,
            all,
        ),
        spec::<TeamArg>(
            "list_statuses",
            "Workflow statuses per team.",
            list("statuses", false),
            READ,
            all,
        ),
        spec::<SearchTasks>(
            "search_tasks",
            "Search tasks; filters combine with AND.",
            list("tasks", true),
            READ,
            all,
        ),
        spec::<GetTask>(
            "get_task",
            "One task with description and comment count.",
            one(
                "task",
                &[
                    ("comments", json!({"type": "integer"})),
                    ("history", json!({"type": "array"})),
                ],
            ),
            READ,
            all,
        ),
        spec::<CreateTask>("create_task", "Create a task.", task_out(), CREATE, all),
        spec::<UpdateTask>(
            "update_task",
            "Change fields of one task, status included.",
            task_out(),
            OVERWRITE,
            all,
        ),
        spec::<TaskPage>(
            "list_comments",
            "Comments on a task, oldest first.",
            list("comments", true),
            READ,
            all,
        ),
        spec::<CreateComment>(
            "create_comment",
            "Comment on a task.",
            one("comment", &[]),
            CREATE,
            all,
        ),
        spec::<UpdateComment>(
            "update_comment",
            "Edit your own comment.",
            one("comment", &[]),
            OVERWRITE,
            all,
        ),
        spec::<PageArgs>(
            "list_projects",
            "Projects of your teams.",
            list("projects", true),
            READ,
            all,
        ),
        spec::<ProjectRef>(
            "get_project",
            "One project with its milestones.",
            one("project", &[("milestones", json!({"type": "array"}))]),
            READ,
            all,
        ),
        spec::<CreateProject>(
            "create_project",
            "Create a project.",
            one("project", &[]),
            CREATE,
            all,
        ),
        spec::<UpdateProject>(
            "update_project",
            "Change a project.",
            one("project", &[]),
            OVERWRITE,
            all,
        ),
        spec::<ListMilestones>(
            "list_milestones",
            "Milestones of a project.",
            list("milestones", false),
            READ,
            all,
        ),
        spec::<CreateMilestone>(
            "create_milestone",
            "Add a milestone to a project.",
            one("milestone", &[]),
            CREATE,
            all,
        ),
        spec::<UpdateMilestone>(
            "update_milestone",
            "Change a milestone.",
            one("milestone", &[]),
            UPDATE,
            all,
        ),
        spec::<TeamPage>(
            "list_cycles",
            "Cycles, oldest first, with state and progress.",
            list("cycles", true),
            READ,
            all,
        ),
        spec::<CreateCycle>(
            "create_cycle",
            "Create a cycle for a team.",
            one("cycle", &[]),
            CREATE,
            all,
        ),
        spec::<UpdateCycle>(
            "update_cycle",
            "Change a cycle.",
            one("cycle", &[]),
            UPDATE,
            all,
        ),
        spec::<TeamArg>(
            "list_labels",
            "Workspace and team labels.",
            list("labels", false),
            READ,
            all,
        ),
        spec::<CreateLabel>(
            "create_label",
            "Create a label.",
            one("label", &[]),
            CREATE,
            all,
        ),
        spec::<UpdateLabel>(
            "update_label",
            "Rename or recolor a label.",
            one("label", &[]),
            UPDATE,
            all,
        ),
        spec::<SearchDocs>(
            "search_docs",
            "Search docs (no content).",
            list("docs", true),
            READ,
            all,
        ),
        spec::<DocIdArg>(
            "get_doc",
            "One doc with its content.",
            one("doc", &[]),
            READ,
            all,
        ),
        spec::<CreateDoc>(
            "create_doc",
            "Create a doc in a team or project.",
            one("doc", &[]),
            CREATE,
            all,
        ),
        spec::<UpdateDoc>(
            "update_doc",
            "Change a doc's title or content.",
            one("doc", &[]),
            OVERWRITE,
            all,
        ),
        // Web-only powers: never over MCP; the assistant asks for confirmation.
        spec::<TaskIdArg>(
            "delete_task",
            "Delete a task.",
            one("deleted", &[]),
            DELETE,
            web,
        ),
        spec::<DocIdArg>(
            "delete_doc",
            "Delete a doc.",
            one("deleted", &[]),
            DELETE,
            web,
        ),
        spec::<SetStatusMany>(
            "set_status_many",
            "Set the status of several tasks.",
            list("tasks", false),
            UPDATE,
            web,
        ),
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

fn out(structured: Value, text: String, target: Option<String>) -> ToolOutput {
    ToolOutput {
        structured,
        text,
        target,
    }
}

pub async fn dispatch(
    name: &str,
    ctx: &CallContext<'_>,
    args: Value,
) -> Result<ToolOutput, ToolError> {
    let ws = ctx.workspace;
    let actor = ctx.actor;
    match name {
        "whoami" => {
            parse::<NoArgs>(args)?;
            whoami(ctx)
        }
        "list_teams" => {
            parse::<NoArgs>(args)?;
            let teams: Vec<Value> = actor
                .memberships()
                .iter()
                .map(|m| json!({"key": m.team.key, "name": m.team.name, "role": m.role.as_str()}))
                .collect();
            let text = actor
                .memberships()
                .iter()
                .map(|m| format!("{} {} ({})", m.team.key, m.team.name, m.role.as_str()))
                .collect::<Vec<_>>();
            Ok(out(
                json!({"teams": teams}),
                lines_or(text, "You belong to no team."),
                None,
            ))
        }
        "list_users" => {
            let a: TeamPage = parse(args)?;
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
        "list_statuses" => {
            let a: TeamArg = parse(args)?;
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
        "search_tasks" => search_tasks(ctx, parse(args)?).await,
        "get_task" => {
            let a: GetTask = parse(args)?;
            let task = ws.task(actor, &a.id).await?;
            let comments = task.comment_count as usize;
            let (mut view, trimmed) = task_full(&task);
            let description = view["description"].as_str().unwrap_or_default().to_string();
            let mut text = task_details(&task, &description, Some(comments));
            let mut structured = json!({"task": view.take(), "comments": comments});
            if a.history.unwrap_or(false) {
                let history = ws.task_history(actor, &a.id).await?;
                let sizes: Vec<(usize, usize)> = history
                    .iter()
                    .map(|e| (event_view(e).to_string().len(), event_line(e).len()))
                    .collect();
                // The newest changes matter most: keep the tail that fits next to the task.
                let room = sizes.len().min(crate::render::fit_count(
                    &sizes.iter().rev().copied().collect::<Vec<_>>(),
                ));
                let skip = history.len() - room;
                structured["history"] =
                    json!(history[skip..].iter().map(event_view).collect::<Vec<_>>());
                text.push_str("\nhistory:");
                for e in &history[skip..] {
                    text.push('\n');
                    text.push_str(&event_line(e));
                }
                if skip > 0 {
                    structured["trimmed"] = json!(true);
                    text.push_str(&format!(
                        "\n({skip} older changes left out to fit the size budget)"
                    ));
                }
            }
            if trimmed {
                structured["trimmed"] = json!(true);
                text.push_str(
                    "\n(description trimmed to fit the size budget; the web app shows all of it)",
                );
            }
            Ok(fit_single(structured, text, Some(task.identifier())))
        }
        "create_task" => {
            let a: CreateTask = parse(args)?;
            let task = ws
                .create_task(
                    actor,
                    TaskDraft {
                        team: a.team,
                        title: a.title,
                        description: a.description,
                        status: a.status,
                        priority: a.priority,
                        assignee: a.assignee,
                        labels: a.labels.unwrap_or_default(),
                        project: a.project,
                        milestone: a.milestone,
                        cycle: a.cycle,
                        due_date: a.due_date,
                        estimate: a.estimate,
                    },
                )
                .await?;
            Ok(task_answer(&task, "Created"))
        }
        "update_task" => {
            let a: UpdateTask = parse(args)?;
            let patch = TaskPatch {
                title: a.title,
                description: a.description,
                status: a.status,
                priority: a.priority,
                assignee: a.assignee,
                labels: a.labels,
                project: a.project,
                milestone: a.milestone,
                cycle: a.cycle,
                due_date: a.due_date,
                estimate: a.estimate,
            };
            let task = ws.update_task(actor, &a.id, patch).await?;
            Ok(task_answer(&task, "Updated"))
        }
        "list_comments" => {
            let a: TaskPage = parse(args)?;
            let comments = ws.comments(actor, &a.id).await?;
            let target = a.id.trim().to_ascii_uppercase();
            let mut o = local_page("comments", comments, a.limit, a.cursor.as_deref(), |c| {
                let mut body = c.body.clone();
                cut(&mut body, FIELD_BUDGET);
                (comment_view(c, &body), comment_text(c, &body))
            })?;
            o.target = Some(target);
            Ok(o)
        }
        "create_comment" => {
            let a: CreateComment = parse(args)?;
            let c = ws.create_comment(actor, &a.id, &a.body).await?;
            Ok(comment_answer(
                &c,
                &format!("Commented on {}", a.id.trim().to_ascii_uppercase()),
                Some(a.id.trim().to_ascii_uppercase()),
            ))
        }
        "update_comment" => {
            let a: UpdateComment = parse(args)?;
            let c = ws.update_comment(actor, a.id, &a.body).await?;
            Ok(comment_answer(
                &c,
                "Updated",
                Some(format!("comment {}", c.id)),
            ))
        }
        "list_projects" => {
            let a: PageArgs = parse(args)?;
            let projects = ws.projects(actor).await?;
            local_page("projects", projects, a.limit, a.cursor.as_deref(), |p| {
                (project_view(p), project_line(p))
            })
        }
        "get_project" => {
            let a: ProjectRef = parse(args)?;
            let p = ws.project(actor, &a.id).await?;
            let milestones = ws.milestones(actor, &p.id.to_string()).await?;
            let mut view = project_view(&p);
            let mut description = p.description.clone();
            let trimmed = cut(&mut description, FIELD_BUDGET / 2);
            view["description"] = json!(description);
            let mut text = vec![project_line(&p)];
            text.extend(
                milestones
                    .iter()
                    .map(|m| format!("  milestone {}", milestone_line(m))),
            );
            if !description.is_empty() {
                text.push(fenced("description", &description));
            }
            let mut structured = json!({"project": view, "milestones": milestones.iter().map(milestone_view).collect::<Vec<_>>()});
            if trimmed {
                structured["trimmed"] = json!(true);
                text.push("(description trimmed to fit the size budget)".into());
            }
            Ok(fit_single(
                structured,
                text.join("\n"),
                Some(p.name.clone()),
            ))
        }
        "create_project" => {
            let a: CreateProject = parse(args)?;
            let p = ws
                .create_project(
                    actor,
                    ProjectDraft {
                        name: a.name,
                        description: a.description,
                        teams: a.teams,
                        status: a.status,
                        lead: a.lead,
                        start_date: a.start_date,
                        target_date: a.target_date,
                    },
                )
                .await?;
            Ok(out(
                json!({"project": project_view(&p)}),
                format!("Created {}", project_line(&p)),
                Some(p.name.clone()),
            ))
        }
        "update_project" => {
            let a: UpdateProject = parse(args)?;
            let patch = ProjectPatch {
                name: a.name,
                description: a.description,
                teams: a.teams,
                status: a.status,
                lead: a.lead,
                start_date: a.start_date,
                target_date: a.target_date,
            };
            let p = ws.update_project(actor, &a.id, patch).await?;
            Ok(out(
                json!({"project": project_view(&p)}),
                format!("Updated {}", project_line(&p)),
                Some(p.name.clone()),
            ))
        }
        "list_milestones" => {
            let a: ListMilestones = parse(args)?;
            let ms = ws.milestones(actor, &a.project).await?;
            let text: Vec<String> = ms.iter().map(milestone_line).collect();
            let o = out(
                json!({"milestones": ms.iter().map(milestone_view).collect::<Vec<_>>()}),
                lines_or(text, "No milestones."),
                Some(a.project.trim().to_string()),
            );
            Ok(o)
        }
        "create_milestone" => {
            let a: CreateMilestone = parse(args)?;
            let m = ws
                .create_milestone(actor, &a.project, &a.name, a.target_date.as_deref())
                .await?;
            Ok(out(
                json!({"milestone": milestone_view(&m)}),
                format!("Created milestone {}", milestone_line(&m)),
                Some(m.name.clone()),
            ))
        }
        "update_milestone" => {
            let a: UpdateMilestone = parse(args)?;
            let patch = MilestonePatch {
                name: a.name,
                target_date: a.target_date,
                position: a.position,
            };
            let m = ws.update_milestone(actor, &a.project, &a.id, patch).await?;
            Ok(out(
                json!({"milestone": milestone_view(&m)}),
                format!("Updated milestone {}", milestone_line(&m)),
                Some(m.name.clone()),
            ))
        }
        "list_cycles" => {
            let a: TeamPage = parse(args)?;
            let cycles = ws.cycles(actor, a.team.as_deref()).await?;
            let today = ws.today();
            local_page("cycles", cycles, a.limit, a.cursor.as_deref(), |c| {
                let team = team_key(ctx, c.team_id);
                (cycle_view(c, &team, today), cycle_line(c, &team, today))
            })
        }
        "create_cycle" => {
            let a: CreateCycle = parse(args)?;
            let c = ws
                .create_cycle(
                    actor,
                    CycleDraft {
                        team: a.team,
                        name: a.name,
                        starts_on: a.starts_on,
                        ends_on: a.ends_on,
                    },
                )
                .await?;
            Ok(cycle_answer(ctx, &c, "Created"))
        }
        "update_cycle" => {
            let a: UpdateCycle = parse(args)?;
            let patch = CyclePatch {
                name: a.name,
                starts_on: a.starts_on,
                ends_on: a.ends_on,
            };
            let c = ws.update_cycle(actor, &a.team, &a.id, patch).await?;
            Ok(cycle_answer(ctx, &c, "Updated"))
        }
        "list_labels" => {
            let a: TeamArg = parse(args)?;
            let labels = ws.labels(actor, a.team.as_deref()).await?;
            let mut views = Vec::new();
            let mut text = Vec::new();
            for l in &labels {
                let team = l.team_id.map(|t| team_key(ctx, t));
                views.push(label_view(l, team.as_deref()));
                text.push(label_line(l, team.as_deref()));
            }
            Ok(out(
                json!({"labels": views}),
                lines_or(text, "No labels."),
                None,
            ))
        }
        "create_label" => {
            let a: CreateLabel = parse(args)?;
            let l = ws
                .create_label(actor, a.team.as_deref(), &a.name, a.color.as_deref())
                .await?;
            Ok(label_answer(ctx, &l, "Created"))
        }
        "update_label" => {
            let a: UpdateLabel = parse(args)?;
            let l = ws
                .update_label(actor, &a.id, a.name.as_deref(), a.color.as_deref())
                .await?;
            Ok(label_answer(ctx, &l, "Updated"))
        }
        "search_docs" => search_docs(ctx, parse(args)?).await,
        "get_doc" => {
            let a: DocIdArg = parse(args)?;
            let d = ws.doc(actor, a.id).await?;
            Ok(doc_answer(ctx, &d, "").await?)
        }
        "create_doc" => {
            let a: CreateDoc = parse(args)?;
            let d = ws
                .create_doc(
                    actor,
                    DocDraft {
                        team: a.team,
                        project: a.project,
                        title: a.title,
                        content: a.content.unwrap_or_default(),
                    },
                )
                .await?;
            Ok(doc_answer(ctx, &d, "Created ").await?)
        }
        "update_doc" => {
            let a: UpdateDoc = parse(args)?;
            let d = ws
                .update_doc(actor, a.id, a.title.as_deref(), a.content.as_deref())
                .await?;
            Ok(doc_answer(ctx, &d, "Updated ").await?)
        }
        "delete_task" => {
            let a: TaskIdArg = parse(args)?;
            let task = ws.task(actor, &a.id).await?;
            ws.delete_task(actor, &a.id).await?;
            let id = task.identifier();
            Ok(out(
                json!({"deleted": {"id": id}}),
                format!("Deleted {id}"),
                Some(id.clone()),
            ))
        }
        "delete_doc" => {
            let a: DocIdArg = parse(args)?;
            ws.delete_doc(actor, a.id).await?;
            Ok(out(
                json!({"deleted": {"id": a.id}}),
                format!("Deleted doc {}", a.id),
                Some(format!("doc {}", a.id)),
            ))
        }
        "set_status_many" => {
            let a: SetStatusMany = parse(args)?;
            let tasks = ws.set_status_many(actor, &a.ids, &a.status).await?;
            let text: Vec<String> = tasks.iter().map(task_line).collect();
            Ok(out(
                json!({"tasks": tasks.iter().map(task_summary).collect::<Vec<_>>()}),
                text.join("\n"),
                None,
            ))
        }
        other => Err(ToolError::UnknownTool(other.to_string())),
    }
}

fn lines_or(lines: Vec<String>, empty: &str) -> String {
    if lines.is_empty() {
        empty.to_string()
    } else {
        lines.join("\n")
    }
}

fn team_key(ctx: &CallContext<'_>, team_id: TeamId) -> String {
    ctx.actor
        .memberships()
        .iter()
        .find(|m| m.team.id == team_id)
        .map(|m| m.team.key.clone())
        .unwrap_or_else(|| team_id.to_string())
}

fn whoami(ctx: &CallContext<'_>) -> Result<ToolOutput, ToolError> {
    let user = ctx.actor.user();
    let teams: Vec<Value> = ctx
        .actor
        .memberships()
        .iter()
        .map(|m| json!({"key": m.team.key, "name": m.team.name, "role": m.role.as_str()}))
        .collect();
    let mut structured = json!({
        "user": {"name": user.name, "email": user.email, "is_admin": user.is_admin},
        "teams": teams,
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

fn task_answer(task: &Task, verb: &str) -> ToolOutput {
    let (view, trimmed) = task_full(task);
    let mut structured = json!({"task": view});
    let mut text = format!("{verb} {}", task_line(task));
    if trimmed {
        structured["trimmed"] = json!(true);
        text.push_str("\n(description trimmed in this answer; it is stored in full)");
    }
    out(structured, text, Some(task.identifier()))
}

fn comment_answer(c: &Comment, what: &str, target: Option<String>) -> ToolOutput {
    let mut body = c.body.clone();
    let trimmed = cut(&mut body, FIELD_BUDGET);
    let mut structured = json!({"comment": comment_view(c, &body)});
    if trimmed {
        structured["trimmed"] = json!(true);
    }
    out(
        structured,
        format!("{what}: comment {} by {}", c.id, handle(&c.author.email)),
        target,
    )
}

fn cycle_answer(ctx: &CallContext<'_>, c: &Cycle, verb: &str) -> ToolOutput {
    let team = team_key(ctx, c.team_id);
    let today = ctx.workspace.today();
    out(
        json!({"cycle": cycle_view(c, &team, today)}),
        format!("{verb} {}", cycle_line(c, &team, today)),
        Some(format!("{team} cycle {}", c.number)),
    )
}

fn label_answer(ctx: &CallContext<'_>, l: &Label, verb: &str) -> ToolOutput {
    let team = l.team_id.map(|t| team_key(ctx, t));
    out(
        json!({"label": label_view(l, team.as_deref())}),
        format!("{verb} label {}", label_line(l, team.as_deref())),
        Some(l.name.clone()),
    )
}

/// Where a doc lives, as a person would say it: a team key or a project name.
async fn doc_owner(
    ctx: &CallContext<'_>,
    d: &Doc,
    projects: &mut Option<Vec<Project>>,
) -> Result<String, ToolError> {
    if let Some(t) = d.team_id {
        return Ok(team_key(ctx, t));
    }
    let Some(pid) = d.project_id else {
        return Ok(String::new());
    };
    if projects.is_none() {
        *projects = Some(ctx.workspace.projects(ctx.actor).await?);
    }
    let name = projects
        .as_ref()
        .and_then(|ps| ps.iter().find(|p| p.id == pid))
        .map(|p| format!("project {}", p.name));
    Ok(name.unwrap_or_else(|| format!("project {pid}")))
}

async fn doc_answer(ctx: &CallContext<'_>, d: &Doc, verb: &str) -> Result<ToolOutput, ToolError> {
    let owner = doc_owner(ctx, d, &mut None).await?;
    let mut view = doc_summary(d, &owner);
    let mut content = d.content.clone();
    let trimmed = cut(&mut content, FIELD_BUDGET);
    view["content"] = json!(content);
    let mut structured = json!({"doc": view});
    let mut text = format!("{verb}{}", doc_line(d, &owner));
    if verb.is_empty() && !content.is_empty() {
        text.push('\n');
        text.push_str(&fenced("content", &content));
    }
    if trimmed {
        structured["trimmed"] = json!(true);
        text.push_str("\n(content trimmed to fit the size budget; the web app shows all of it)");
    }
    Ok(fit_single(structured, text, Some(format!("doc {}", d.id))))
}

/// A last guard for single answers: nothing leaves bigger than the budget.
fn fit_single(mut structured: Value, mut text: String, target: Option<String>) -> ToolOutput {
    let mut over = false;
    if structured.to_string().len() > BUDGET {
        // Cut the longest strings until it fits.
        while structured.to_string().len() > BUDGET {
            if !cut_longest(&mut structured) {
                break;
            }
        }
        over = true;
    }
    if text.len() > BUDGET {
        cut(&mut text, BUDGET - 100);
        text.push_str("\n(trimmed to fit the size budget)");
        over = true;
    }
    if over {
        structured["trimmed"] = json!(true);
    }
    out(structured, text, target)
}

fn cut_longest(v: &mut Value) -> bool {
    fn longest(v: &mut Value) -> Option<&mut String> {
        match v {
            Value::String(s) => Some(s),
            Value::Array(a) => a.iter_mut().filter_map(longest).max_by_key(|s| s.len()),
            Value::Object(m) => m.values_mut().filter_map(longest).max_by_key(|s| s.len()),
            _ => None,
        }
    }
    match longest(v) {
        Some(s) if s.len() > 64 => {
            let half = s.len() / 2;
            cut(s, half);
            true
        }
        _ => false,
    }
}

/// Offsets as opaque cursors, for lists the domain hands over whole.
fn decode_offset(c: Option<&str>) -> Result<usize, ToolError> {
    match c.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(0),
        Some(c) => {
            let key = cursor::decode(c)?;
            usize::try_from(key.id)
                .map_err(|_| ToolError::Domain(Error::Invalid("cursor is not valid".into())))
        }
    }
}

fn encode_offset(o: usize) -> String {
    cursor::encode(&SeekKey {
        rank: None,
        id: o as i64,
    })
}

/// A page of a whole list: `limit` items from the cursor, fewer if the budget says so;
/// `next_cursor` present if and only if more items follow.
pub(crate) fn local_page<T>(
    key: &str,
    items: Vec<T>,
    limit: Option<usize>,
    cursor: Option<&str>,
    render: impl Fn(&T) -> (Value, String),
) -> Result<ToolOutput, ToolError> {
    let limit = cursor::clamp_limit(limit)?;
    let start = decode_offset(cursor)?.min(items.len());
    let rendered: Vec<(Value, String)> = items[start..].iter().take(limit).map(&render).collect();
    let sizes: Vec<(usize, usize)> = rendered
        .iter()
        .map(|(v, t)| (v.to_string().len(), t.len()))
        .collect();
    let fit = fit_count(&sizes).max(1).min(rendered.len());
    let trimmed = fit < rendered.len();
    let end = start + fit;
    let next = (end < items.len()).then(|| encode_offset(end));
    let (views, lines): (Vec<Value>, Vec<String>) = rendered.into_iter().take(fit).unzip();
    Ok(list_answer(key, views, lines, next, trimmed))
}

fn list_answer(
    key: &str,
    views: Vec<Value>,
    mut lines: Vec<String>,
    next: Option<String>,
    trimmed: bool,
) -> ToolOutput {
    let mut structured = Map::new();
    if lines.is_empty() {
        lines.push(format!("No {key}."));
    }
    structured.insert(key.into(), Value::Array(views));
    if let Some(n) = &next {
        structured.insert("next_cursor".into(), json!(n));
        lines.push(format!("next_cursor: {n}"));
    }
    if trimmed {
        structured.insert("trimmed".into(), json!(true));
        lines.push("(trimmed to fit the size budget; pass next_cursor for more)".into());
    }
    let text = lines.join("\n");
    fit_single(Value::Object(structured), text, None)
}

fn parse_since(s: Option<&str>) -> Result<Option<OffsetDateTime>, ToolError> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(Some(t));
    }
    let d = orgn_domain::parse_date("updated_since", s)
        .map_err(|_| Error::Invalid(format!("updated_since must be a time like 2026-11-24T10:00:00Z or a date like 2026-11-24, got \"{s}\"")))?;
    Ok(Some(d.midnight().assume_utc()))
}

async fn search_tasks(ctx: &CallContext<'_>, a: SearchTasks) -> Result<ToolOutput, ToolError> {
    let statuses = a
        .status
        .as_deref()
        .map(|s| {
            s.split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let filter = TaskFilter {
        query: a.query,
        team: a.team,
        statuses,
        assignee: a.assignee,
        labels: a.labels.unwrap_or_default(),
        priority: a.priority,
        project: a.project,
        milestone: a.milestone,
        cycle: a.cycle,
        updated_since: parse_since(a.updated_since.as_deref())?,
        limit: a.limit,
        cursor: a.cursor,
    };
    let page = ctx
        .workspace
        .search_tasks(ctx.actor, filter.clone())
        .await?;
    let (page, trimmed) = refit(
        page,
        |t| (task_summary(t).to_string().len(), task_line(t).len()),
        |k| {
            let f = TaskFilter {
                limit: Some(k),
                ..filter.clone()
            };
            async move { ctx.workspace.search_tasks(ctx.actor, f).await }
        },
    )
    .await?;
    let views = page.items.iter().map(task_summary).collect();
    let lines = page.items.iter().map(task_line).collect();
    Ok(list_answer(
        "tasks",
        views,
        lines,
        page.next_cursor,
        trimmed,
    ))
}

async fn search_docs(ctx: &CallContext<'_>, a: SearchDocs) -> Result<ToolOutput, ToolError> {
    let filter = DocFilter {
        query: a.query,
        team: a.team,
        project: a.project,
        limit: a.limit,
        cursor: a.cursor,
    };
    let page = ctx.workspace.search_docs(ctx.actor, filter.clone()).await?;
    let mut projects = None;
    let mut owners = Vec::new();
    for d in &page.items {
        owners.push((d.id, doc_owner(ctx, d, &mut projects).await?));
    }
    let owner_of = |d: &Doc| {
        owners
            .iter()
            .find(|(id, _)| *id == d.id)
            .map(|(_, o)| o.clone())
            .unwrap_or_default()
    };
    let (page, trimmed) = refit(
        page,
        |d| {
            (
                doc_summary(d, &owner_of(d)).to_string().len(),
                doc_line(d, &owner_of(d)).len(),
            )
        },
        |k| {
            let f = DocFilter {
                limit: Some(k),
                ..filter.clone()
            };
            async move { ctx.workspace.search_docs(ctx.actor, f).await }
        },
    )
    .await?;
    let views = page
        .items
        .iter()
        .map(|d| doc_summary(d, &owner_of(d)))
        .collect();
    let lines = page
        .items
        .iter()
        .map(|d| doc_line(d, &owner_of(d)))
        .collect();
    Ok(list_answer("docs", views, lines, page.next_cursor, trimmed))
}

/// When a page is over the budget, asks the domain again for as many items as fit, so that
/// its cursor continues exactly after the last item shown.
async fn refit<T, F, Fut>(
    page: Page<T>,
    size: impl Fn(&T) -> (usize, usize),
    again: F,
) -> Result<(Page<T>, bool), ToolError>
where
    F: FnOnce(usize) -> Fut,
    Fut: std::future::Future<Output = orgn_domain::Result<Page<T>>>,
{
    let sizes: Vec<(usize, usize)> = page.items.iter().map(size).collect();
    let fit = fit_count(&sizes).max(1);
    if fit >= page.items.len() {
        return Ok((page, false));
    }
    let page = again(fit).await?;
    Ok((page, true))
}
