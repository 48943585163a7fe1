//! Planning: projects, their milestones, team cycles, and labels.

use orgn_domain::model::{Cycle, Label, Project};
use orgn_domain::{CycleDraft, CyclePatch, MilestonePatch, ProjectDraft, ProjectPatch};
use serde_json::json;

use crate::answer::{fit_single, lines_or, local_page, out, team_key};
use crate::args;
use crate::render::*;
use crate::tool::{Annotations, Output, Tool};
use crate::{CallContext, ToolError, ToolOutput};

pub struct ListProjects;

impl Tool for ListProjects {
    type Args = args::PageArgs;
    const NAME: &'static str = "list_projects";
    const DESCRIPTION: &'static str = "Projects of your teams.";
    const ANNOTATIONS: Annotations = Annotations::READ;
    const OUTPUT: Output = Output::list("projects", true);

    async fn run(&self, ctx: &CallContext<'_>, a: args::PageArgs) -> Result<ToolOutput, ToolError> {
        let projects = ctx.workspace.projects(ctx.actor).await?;
        local_page("projects", projects, a.limit, a.cursor.as_deref(), |p| {
            (project_view(p), project_line(p))
        })
    }
}

pub struct GetProject;

impl Tool for GetProject {
    type Args = args::ProjectRef;
    const NAME: &'static str = "get_project";
    const DESCRIPTION: &'static str = "One project with its milestones.";
    const ANNOTATIONS: Annotations = Annotations::READ;
    const OUTPUT: Output = Output::One {
        key: "project",
        extra: &[("milestones", "array")],
    };

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::ProjectRef,
    ) -> Result<ToolOutput, ToolError> {
        let (ws, actor) = (ctx.workspace, ctx.actor);
        let p = ws.project(actor, &a.id).await?;
        let milestones = ws.milestones(actor, p.id).await?;
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
}

fn project_answer(p: &Project, verb: &str) -> ToolOutput {
    out(
        json!({"project": project_view(p)}),
        format!("{verb} {}", project_line(p)),
        Some(p.name.clone()),
    )
}

pub struct CreateProject;

impl Tool for CreateProject {
    type Args = args::CreateProject;
    const NAME: &'static str = "create_project";
    const DESCRIPTION: &'static str = "Create a project.";
    const ANNOTATIONS: Annotations = Annotations::CREATE;
    const OUTPUT: Output = Output::one("project");

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::CreateProject,
    ) -> Result<ToolOutput, ToolError> {
        let draft = ProjectDraft {
            name: a.name,
            description: a.description,
            teams: a.teams,
            status: a.status,
            lead: a.lead,
            start_date: a.start_date,
            target_date: a.target_date,
        };
        let p = ctx.workspace.create_project(ctx.actor, draft).await?;
        Ok(project_answer(&p, "Created"))
    }
}

pub struct UpdateProject;

impl Tool for UpdateProject {
    type Args = args::UpdateProject;
    const NAME: &'static str = "update_project";
    const DESCRIPTION: &'static str = "Change a project.";
    const ANNOTATIONS: Annotations = Annotations::OVERWRITE;
    const OUTPUT: Output = Output::one("project");

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::UpdateProject,
    ) -> Result<ToolOutput, ToolError> {
        let patch = ProjectPatch {
            name: a.name,
            description: a.description,
            teams: a.teams,
            status: a.status,
            lead: a.lead,
            start_date: a.start_date,
            target_date: a.target_date,
            based_on: None,
        };
        let p = ctx
            .workspace
            .update_project(ctx.actor, &a.id, patch)
            .await?;
        Ok(project_answer(&p, "Updated"))
    }
}

pub struct ListMilestones;

impl Tool for ListMilestones {
    type Args = args::ListMilestones;
    const NAME: &'static str = "list_milestones";
    const DESCRIPTION: &'static str = "Milestones of a project.";
    const ANNOTATIONS: Annotations = Annotations::READ;
    const OUTPUT: Output = Output::list("milestones", false);

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::ListMilestones,
    ) -> Result<ToolOutput, ToolError> {
        let ms = ctx.workspace.milestones(ctx.actor, &a.project).await?;
        let text: Vec<String> = ms.iter().map(milestone_line).collect();
        Ok(out(
            json!({"milestones": ms.iter().map(milestone_view).collect::<Vec<_>>()}),
            lines_or(text, "No milestones."),
            Some(a.project.trim().to_string()),
        ))
    }
}

fn milestone_answer(m: &orgn_domain::model::Milestone, verb: &str) -> ToolOutput {
    out(
        json!({"milestone": milestone_view(m)}),
        format!("{verb} milestone {}", milestone_line(m)),
        Some(m.name.clone()),
    )
}

pub struct CreateMilestone;

impl Tool for CreateMilestone {
    type Args = args::CreateMilestone;
    const NAME: &'static str = "create_milestone";
    const DESCRIPTION: &'static str = "Add a milestone to a project.";
    const ANNOTATIONS: Annotations = Annotations::CREATE;
    const OUTPUT: Output = Output::one("milestone");

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::CreateMilestone,
    ) -> Result<ToolOutput, ToolError> {
        let m = ctx
            .workspace
            .create_milestone(ctx.actor, &a.project, &a.name, a.target_date.as_deref())
            .await?;
        Ok(milestone_answer(&m, "Created"))
    }
}

pub struct UpdateMilestone;

impl Tool for UpdateMilestone {
    type Args = args::UpdateMilestone;
    const NAME: &'static str = "update_milestone";
    const DESCRIPTION: &'static str = "Change a milestone.";
    const ANNOTATIONS: Annotations = Annotations::UPDATE;
    const OUTPUT: Output = Output::one("milestone");

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::UpdateMilestone,
    ) -> Result<ToolOutput, ToolError> {
        let patch = MilestonePatch {
            name: a.name,
            target_date: a.target_date,
            position: a.position,
        };
        let m = ctx
            .workspace
            .update_milestone(ctx.actor, &a.project, &a.id, patch)
            .await?;
        Ok(milestone_answer(&m, "Updated"))
    }
}

pub struct ListCycles;

impl Tool for ListCycles {
    type Args = args::TeamPage;
    const NAME: &'static str = "list_cycles";
    const DESCRIPTION: &'static str = "Cycles, oldest first, with state and progress.";
    const ANNOTATIONS: Annotations = Annotations::READ;
    const OUTPUT: Output = Output::list("cycles", true);

    async fn run(&self, ctx: &CallContext<'_>, a: args::TeamPage) -> Result<ToolOutput, ToolError> {
        let cycles = ctx.workspace.cycles(ctx.actor, a.team.as_deref()).await?;
        let today = ctx.workspace.today();
        local_page("cycles", cycles, a.limit, a.cursor.as_deref(), |c| {
            let team = team_key(ctx, c.team_id);
            (cycle_view(c, &team, today), cycle_line(c, &team, today))
        })
    }
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

pub struct CreateCycle;

impl Tool for CreateCycle {
    type Args = args::CreateCycle;
    const NAME: &'static str = "create_cycle";
    const DESCRIPTION: &'static str = "Create a cycle for a team.";
    const ANNOTATIONS: Annotations = Annotations::CREATE;
    const OUTPUT: Output = Output::one("cycle");

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::CreateCycle,
    ) -> Result<ToolOutput, ToolError> {
        let draft = CycleDraft {
            team: a.team,
            name: a.name,
            starts_on: a.starts_on,
            ends_on: a.ends_on,
        };
        let c = ctx.workspace.create_cycle(ctx.actor, draft).await?;
        Ok(cycle_answer(ctx, &c, "Created"))
    }
}

pub struct UpdateCycle;

impl Tool for UpdateCycle {
    type Args = args::UpdateCycle;
    const NAME: &'static str = "update_cycle";
    const DESCRIPTION: &'static str = "Change a cycle.";
    const ANNOTATIONS: Annotations = Annotations::UPDATE;
    const OUTPUT: Output = Output::one("cycle");

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::UpdateCycle,
    ) -> Result<ToolOutput, ToolError> {
        let patch = CyclePatch {
            name: a.name,
            starts_on: a.starts_on,
            ends_on: a.ends_on,
        };
        let c = ctx
            .workspace
            .update_cycle(ctx.actor, &a.team, &a.id, patch)
            .await?;
        Ok(cycle_answer(ctx, &c, "Updated"))
    }
}

pub struct ListLabels;

impl Tool for ListLabels {
    type Args = args::TeamArg;
    const NAME: &'static str = "list_labels";
    const DESCRIPTION: &'static str = "Workspace and team labels.";
    const ANNOTATIONS: Annotations = Annotations::READ;
    const OUTPUT: Output = Output::list("labels", false);

    async fn run(&self, ctx: &CallContext<'_>, a: args::TeamArg) -> Result<ToolOutput, ToolError> {
        let labels = ctx.workspace.labels(ctx.actor, a.team.as_deref()).await?;
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
}

fn label_answer(ctx: &CallContext<'_>, l: &Label, verb: &str) -> ToolOutput {
    let team = l.team_id.map(|t| team_key(ctx, t));
    out(
        json!({"label": label_view(l, team.as_deref())}),
        format!("{verb} label {}", label_line(l, team.as_deref())),
        Some(l.name.clone()),
    )
}

pub struct CreateLabel;

impl Tool for CreateLabel {
    type Args = args::CreateLabel;
    const NAME: &'static str = "create_label";
    const DESCRIPTION: &'static str = "Create a label.";
    const ANNOTATIONS: Annotations = Annotations::CREATE;
    const OUTPUT: Output = Output::one("label");

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::CreateLabel,
    ) -> Result<ToolOutput, ToolError> {
        let l = ctx
            .workspace
            .create_label(ctx.actor, a.team.as_deref(), &a.name, a.color.as_deref())
            .await?;
        Ok(label_answer(ctx, &l, "Created"))
    }
}

pub struct UpdateLabel;

impl Tool for UpdateLabel {
    type Args = args::UpdateLabel;
    const NAME: &'static str = "update_label";
    const DESCRIPTION: &'static str = "Rename or recolor a label.";
    const ANNOTATIONS: Annotations = Annotations::UPDATE;
    const OUTPUT: Output = Output::one("label");

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::UpdateLabel,
    ) -> Result<ToolOutput, ToolError> {
        let l = ctx
            .workspace
            .update_label(ctx.actor, &a.id, a.name.as_deref(), a.color.as_deref())
            .await?;
        Ok(label_answer(ctx, &l, "Updated"))
    }
}
