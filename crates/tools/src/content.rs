//! People-written content: comments on tasks, and docs.

use orgn_domain::DocDraft;
use orgn_domain::DocFilter;
use orgn_domain::model::{Comment, CommentId, Doc, DocId, Project};
use serde_json::json;

use crate::answer::{fit_single, list_answer, local_page, out, refit, team_key};
use crate::args;
use crate::render::*;
use crate::tool::{Annotations, Channels, Output, Tool};
use crate::{CallContext, ToolError, ToolOutput};

/// A task identifier as the answers show it.
fn task_ident(id: &str) -> String {
    id.trim().to_ascii_uppercase()
}

pub struct ListComments;

impl Tool for ListComments {
    type Args = args::TaskPage;
    const NAME: &'static str = "list_comments";
    const DESCRIPTION: &'static str = "Comments on a task, oldest first.";
    const ANNOTATIONS: Annotations = Annotations::READ;
    const OUTPUT: Output = Output::list("comments", true);

    async fn run(&self, ctx: &CallContext<'_>, a: args::TaskPage) -> Result<ToolOutput, ToolError> {
        let comments = ctx.workspace.comments(ctx.actor, &a.id.parse()?).await?;
        let mut o = local_page("comments", comments, a.limit, a.cursor.as_deref(), |c| {
            let mut body = c.body.clone();
            cut(&mut body, FIELD_BUDGET);
            (comment_view(c, &body), comment_text(c, &body))
        })?;
        o.target = Some(task_ident(&a.id));
        Ok(o)
    }
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

pub struct CreateComment;

impl Tool for CreateComment {
    type Args = args::CreateComment;
    const NAME: &'static str = "create_comment";
    const DESCRIPTION: &'static str = "Comment on a task.";
    const ANNOTATIONS: Annotations = Annotations::CREATE;
    const OUTPUT: Output = Output::one("comment");

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::CreateComment,
    ) -> Result<ToolOutput, ToolError> {
        let c = ctx
            .workspace
            .create_comment(ctx.actor, &a.id.parse()?, &a.body)
            .await?;
        let task = task_ident(&a.id);
        Ok(comment_answer(
            &c,
            &format!("Commented on {task}"),
            Some(task),
        ))
    }
}

pub struct UpdateComment;

impl Tool for UpdateComment {
    type Args = args::UpdateComment;
    const NAME: &'static str = "update_comment";
    const DESCRIPTION: &'static str = "Edit your own comment.";
    const ANNOTATIONS: Annotations = Annotations::OVERWRITE;
    const OUTPUT: Output = Output::one("comment");

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::UpdateComment,
    ) -> Result<ToolOutput, ToolError> {
        let c = ctx
            .workspace
            .update_comment(ctx.actor, CommentId::new(a.id), &a.body, None)
            .await?;
        Ok(comment_answer(
            &c,
            "Updated",
            Some(format!("comment {}", c.id)),
        ))
    }
}

pub struct SearchDocs;

impl Tool for SearchDocs {
    type Args = args::SearchDocs;
    const NAME: &'static str = "search_docs";
    const DESCRIPTION: &'static str = "Search docs (no content).";
    const ANNOTATIONS: Annotations = Annotations::READ;
    const OUTPUT: Output = Output::list("docs", true);

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::SearchDocs,
    ) -> Result<ToolOutput, ToolError> {
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
    view["version"] = json!(d.version);
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

pub struct GetDoc;

impl Tool for GetDoc {
    type Args = args::DocIdArg;
    const NAME: &'static str = "get_doc";
    const DESCRIPTION: &'static str = "One doc with its content.";
    const ANNOTATIONS: Annotations = Annotations::READ;
    const OUTPUT: Output = Output::one("doc");

    async fn run(&self, ctx: &CallContext<'_>, a: args::DocIdArg) -> Result<ToolOutput, ToolError> {
        let d = ctx.workspace.doc(ctx.actor, DocId::new(a.id)).await?;
        doc_answer(ctx, &d, "").await
    }
}

pub struct CreateDoc;

impl Tool for CreateDoc {
    type Args = args::CreateDoc;
    const NAME: &'static str = "create_doc";
    const DESCRIPTION: &'static str = "Create a doc in a team or project.";
    const ANNOTATIONS: Annotations = Annotations::CREATE;
    const OUTPUT: Output = Output::one("doc");

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::CreateDoc,
    ) -> Result<ToolOutput, ToolError> {
        let draft = DocDraft {
            team: a.team,
            project: a.project,
            title: a.title,
            content: a.content.unwrap_or_default(),
        };
        let d = ctx.workspace.create_doc(ctx.actor, draft).await?;
        doc_answer(ctx, &d, "Created ").await
    }
}

pub struct UpdateDoc;

impl Tool for UpdateDoc {
    type Args = args::UpdateDoc;
    const NAME: &'static str = "update_doc";
    const DESCRIPTION: &'static str = "Change a doc's title or content.";
    const ANNOTATIONS: Annotations = Annotations::OVERWRITE;
    const OUTPUT: Output = Output::one("doc");

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::UpdateDoc,
    ) -> Result<ToolOutput, ToolError> {
        let d = ctx
            .workspace
            .update_doc(
                ctx.actor,
                DocId::new(a.id),
                a.title.as_deref(),
                a.content.as_deref(),
                a.expected_version,
            )
            .await?;
        doc_answer(ctx, &d, "Updated ").await
    }
}

pub struct DeleteDoc;

impl Tool for DeleteDoc {
    type Args = args::DocIdArg;
    const NAME: &'static str = "delete_doc";
    const DESCRIPTION: &'static str = "Delete a doc.";
    const ANNOTATIONS: Annotations = Annotations::DELETE;
    const CHANNELS: Channels = Channels::WEB_ONLY;
    const OUTPUT: Output = Output::one("deleted");

    async fn run(&self, ctx: &CallContext<'_>, a: args::DocIdArg) -> Result<ToolOutput, ToolError> {
        ctx.workspace
            .delete_doc(ctx.actor, DocId::new(a.id))
            .await?;
        Ok(out(
            json!({"deleted": {"id": a.id}}),
            format!("Deleted doc {}", a.id),
            Some(format!("doc {}", a.id)),
        ))
    }

    async fn proposal(
        &self,
        ctx: &CallContext<'_>,
        a: &args::DocIdArg,
    ) -> Result<Option<String>, ToolError> {
        let d = ctx.workspace.doc(ctx.actor, DocId::new(a.id)).await?;
        Ok(Some(format!(
            "Delete doc {} “{}” (it goes to the Trash)",
            d.id,
            first_line(&d.title)
        )))
    }
}
