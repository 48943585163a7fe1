//! Tasks: search, read, create, change, delete, and change the status of several at once.

use orgn_domain::model::Task;
use orgn_domain::{Error, RelationInput, TaskDraft, TaskFilter, TaskPatch, TaskRef};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::answer::{fit_single, list_answer, out, refit};
use crate::args;
use crate::render::*;
use crate::tool::{Annotations, Channels, Output, Tool};
use crate::{CallContext, ToolError, ToolOutput};

pub struct SearchTasks;

impl Tool for SearchTasks {
    type Args = args::SearchTasks;
    const NAME: &'static str = "search_tasks";
    const DESCRIPTION: &'static str = "Search tasks; filters combine with AND.";
    const ANNOTATIONS: Annotations = Annotations::READ;
    const OUTPUT: Output = Output::list("tasks", true);

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::SearchTasks,
    ) -> Result<ToolOutput, ToolError> {
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
            parent: a.parent,
            blocked: a.blocked.unwrap_or(false),
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
}

pub(crate) fn parse_since(s: Option<&str>) -> Result<Option<OffsetDateTime>, ToolError> {
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

pub struct GetTask;

impl Tool for GetTask {
    type Args = args::GetTask;
    const NAME: &'static str = "get_task";
    const DESCRIPTION: &'static str = "One task with parent, sub-tasks and relations.";
    const ANNOTATIONS: Annotations = Annotations::READ;
    const OUTPUT: Output = Output::One {
        key: "task",
        extra: &[
            ("comments", "integer"),
            ("parent", "object"),
            ("children", "array"),
            ("children_progress", "object"),
            ("relations", "array"),
            ("history", "array"),
        ],
    };

    async fn run(&self, ctx: &CallContext<'_>, a: args::GetTask) -> Result<ToolOutput, ToolError> {
        let id: TaskRef = a.id.parse()?;
        let (task, graph) = ctx.workspace.task_with_graph(ctx.actor, &id).await?;
        let comments = task.comment_count as usize;
        let (mut view, trimmed) = task_full(&task);
        let description = view["description"].as_str().unwrap_or_default().to_string();
        let mut text = task_details(&task, &description, Some(comments));
        let mut structured = json!({"task": view.take(), "comments": comments});
        add_graph(&graph, &mut structured, &mut text);
        if a.history.unwrap_or(false) {
            add_history(ctx, &id, &mut structured, &mut text).await?;
        }
        if trimmed {
            structured["trimmed"] = json!(true);
            text.push_str(
                "\n(description trimmed to fit the size budget; the web app shows all of it)",
            );
        }
        Ok(fit_single(structured, text, Some(task.identifier())))
    }
}

/// The task's change history, newest kept when it does not all fit next to the task.
async fn add_history(
    ctx: &CallContext<'_>,
    id: &TaskRef,
    structured: &mut Value,
    text: &mut String,
) -> Result<(), ToolError> {
    let history = ctx.workspace.task_history(ctx.actor, id).await?;
    let sizes: Vec<(usize, usize)> = history
        .iter()
        .map(|e| (event_view(e).to_string().len(), event_line(e).len()))
        .collect();
    // The newest changes matter most: keep the tail that fits next to the task.
    let room = sizes
        .len()
        .min(fit_count(&sizes.iter().rev().copied().collect::<Vec<_>>()));
    let skip = history.len() - room;
    structured["history"] = json!(history[skip..].iter().map(event_view).collect::<Vec<_>>());
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
    Ok(())
}

fn relation_inputs(relations: Option<Vec<args::Relation>>) -> Vec<RelationInput> {
    relations
        .unwrap_or_default()
        .into_iter()
        .map(|r| RelationInput {
            kind: r.kind.as_str().into(),
            task: r.task,
        })
        .collect()
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

pub struct CreateTask;

impl Tool for CreateTask {
    type Args = args::CreateTask;
    const NAME: &'static str = "create_task";
    const DESCRIPTION: &'static str = "Create a task.";
    const ANNOTATIONS: Annotations = Annotations::CREATE;
    const OUTPUT: Output = Output::one("task");

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::CreateTask,
    ) -> Result<ToolOutput, ToolError> {
        let draft = TaskDraft {
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
            parent: a.parent,
            relations: relation_inputs(a.add_relations),
        };
        let task = ctx.workspace.create_task(ctx.actor, draft).await?;
        Ok(task_answer(&task, "Created"))
    }
}

pub struct UpdateTask;

impl Tool for UpdateTask {
    type Args = args::UpdateTask;
    const NAME: &'static str = "update_task";
    const DESCRIPTION: &'static str = "Change fields of one task, status included.";
    const ANNOTATIONS: Annotations = Annotations::OVERWRITE;
    const OUTPUT: Output = Output::one("task");

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::UpdateTask,
    ) -> Result<ToolOutput, ToolError> {
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
            parent: a.parent,
            add_relations: relation_inputs(a.add_relations),
            remove_relations: relation_inputs(a.remove_relations),
            based_on: a.expected_version,
        };
        let task = ctx
            .workspace
            .update_task(ctx.actor, &a.id.parse()?, patch)
            .await?;
        Ok(task_answer(&task, "Updated"))
    }
}

pub struct DeleteTask;

impl Tool for DeleteTask {
    type Args = args::TaskIdArg;
    const NAME: &'static str = "delete_task";
    const DESCRIPTION: &'static str = "Delete a task.";
    const ANNOTATIONS: Annotations = Annotations::DELETE;
    const CHANNELS: Channels = Channels::WEB_ONLY;
    const OUTPUT: Output = Output::one("deleted");

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::TaskIdArg,
    ) -> Result<ToolOutput, ToolError> {
        let task = ctx.workspace.task(ctx.actor, &a.id.parse()?).await?;
        ctx.workspace.delete_task(ctx.actor, &a.id.parse()?).await?;
        let id = task.identifier();
        Ok(out(
            json!({"deleted": {"id": id}}),
            format!("Deleted {id}"),
            Some(id.clone()),
        ))
    }

    async fn proposal(
        &self,
        ctx: &CallContext<'_>,
        a: &args::TaskIdArg,
    ) -> Result<Option<String>, ToolError> {
        let task = ctx.workspace.task(ctx.actor, &a.id.parse()?).await?;
        Ok(Some(format!(
            "Delete task {} “{}” (it goes to the Trash)",
            task.identifier(),
            first_line(&task.title)
        )))
    }
}

pub struct SetStatusMany;

impl Tool for SetStatusMany {
    type Args = args::SetStatusMany;
    const NAME: &'static str = "set_status_many";
    const DESCRIPTION: &'static str = "Set the status of several tasks.";
    const ANNOTATIONS: Annotations = Annotations::UPDATE;
    const CHANNELS: Channels = Channels::WEB_ONLY;
    const OUTPUT: Output = Output::list("tasks", false);

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::SetStatusMany,
    ) -> Result<ToolOutput, ToolError> {
        let tasks = ctx
            .workspace
            .set_status_many(ctx.actor, &a.ids, &a.status)
            .await?;
        let text: Vec<String> = tasks.iter().map(task_line).collect();
        Ok(out(
            json!({"tasks": tasks.iter().map(task_summary).collect::<Vec<_>>()}),
            text.join("\n"),
            None,
        ))
    }

    async fn proposal(
        &self,
        _ctx: &CallContext<'_>,
        a: &args::SetStatusMany,
    ) -> Result<Option<String>, ToolError> {
        if a.ids.is_empty() {
            return Err(ToolError::InvalidArguments(
                "ids must list task identifiers".into(),
            ));
        }
        let ids: Vec<String> = a.ids.iter().map(|id| first_line(id)).collect();
        Ok(Some(format!(
            "Set the status of {} to {}",
            ids.join(", "),
            first_line(&a.status)
        )))
    }
}
