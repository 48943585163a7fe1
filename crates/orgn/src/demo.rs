//! The demo workspace of `orgn serve --demo`: people, two teams, labels, projects with
//! milestones, a current and a next cycle, about 60 tasks, comments and docs. Built through
//! the domain like any user's work, and deterministic: the same every time (its dates are
//! relative to the day it is seeded).

use orgn_domain::model::Role;
use orgn_domain::{
    Actor, Caller, CycleDraft, DocDraft, ProjectDraft, Result, TaskDraft, TaskPatch, TaskRef,
    Workspace,
};
use time::{Date, Duration};

pub const ADMIN_EMAIL: &str = "demo@orgn.local";
pub const PASSWORD: &str = "orgn-demo";

const PEOPLE: [(&str, &str); 5] = [
    (ADMIN_EMAIL, "Dee Demo"),
    ("alex@orgn.local", "Alex Rivera"),
    ("sam@orgn.local", "Sam Okafor"),
    ("mia@orgn.local", "Mia Chen"),
    ("leo@orgn.local", "Leo Martin"),
];

const ENG_TASKS: [&str; 36] = [
    "Fix login redirect loop on expired sessions",
    "Add rate limiting to the public API",
    "Migrate search to the new index",
    "Flaky test in the billing suite",
    "Upgrade the HTTP stack",
    "Dark mode for the settings pages",
    "Keyboard shortcut to create a task",
    "Paginate the activity feed",
    "Export tasks as CSV",
    "Crash when a label name is empty",
    "Reduce cold start time",
    "Webhooks for task status changes",
    "Document the MCP tools",
    "Audit log for admin actions",
    "Slow query on the project page",
    "Email digest of assigned tasks",
    "Retry failed background jobs",
    "Support markdown tables in descriptions",
    "Show due dates in the board view",
    "Bulk edit priorities",
    "Timezone bug in cycle dates",
    "Cache team memberships per request",
    "Onboarding checklist for new members",
    "Improve error messages for bad filters",
    "SSO with the company identity provider",
    "Attachment previews for images",
    "Mobile layout of the task page",
    "Notify on mentions in comments",
    "Archive completed projects",
    "Health check endpoint for the load balancer",
    "Reorder milestones by drag and drop",
    "Search by identifier prefix",
    "Make the sidebar collapsible",
    "Track estimate changes in history",
    "Fix double submit on the comment form",
    "Backups of the embedded database",
];

const DES_TASKS: [&str; 24] = [
    "New logo explorations",
    "Design tokens for colors and spacing",
    "Empty states illustrations",
    "Redesign the task page header",
    "Icon set for priorities",
    "Board card density options",
    "Marketing site hero section",
    "Accessibility review of forms",
    "Onboarding flow wireframes",
    "Brand guidelines document",
    "Dark theme palette",
    "Settings navigation redesign",
    "Illustrations for the changelog",
    "User interviews about cycles",
    "Prototype the command menu",
    "Typography scale review",
    "Avatar fallback colors",
    "Motion guidelines",
    "Redesign the project progress bar",
    "Email templates refresh",
    "Favicon and app icons",
    "Usability test of the board",
    "Docs page layout",
    "Pricing page layout",
];

/// A small deterministic generator (SplitMix64), so the demo is the same every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// Seeds the demo when the workspace has no users yet; returns whether it did.
pub async fn seed_if_empty(ws: &Workspace) -> Result<bool> {
    if ws.has_users().await? {
        return Ok(false);
    }
    seed(ws).await?;
    Ok(true)
}

/// The labels: workspace-wide (no team) or a team's, with their colours.
const LABELS: [(Option<&str>, &str, &str); 7] = [
    (None, "Bug", "#e5484d"),
    (None, "Feature", "#5e6ad2"),
    (None, "Improvement", "#30a46c"),
    (Some("ENG"), "Backend", "#f76b15"),
    (Some("ENG"), "Frontend", "#0090ff"),
    (Some("DES"), "Brand", "#d6409f"),
    (Some("DES"), "Research", "#8e4ec6"),
];

const MCP_LAUNCH: (&str, [&str; 3]) = ("MCP launch", ["Alpha", "Beta", "GA"]);
const BRAND_REFRESH: (&str, [&str; 3]) = ("Brand refresh", ["Concepts", "Guidelines", "Rollout"]);

/// Statuses drawn for the tasks; repeats make a status likelier.
const STATUSES: [&str; 8] = [
    "Backlog",
    "Todo",
    "Todo",
    "In Progress",
    "In Progress",
    "Done",
    "Done",
    "Canceled",
];

/// What one team's tasks are drawn from.
struct TeamTasks {
    team: &'static str,
    /// The team's work in words, for the descriptions.
    area: &'static str,
    titles: &'static [&'static str],
    /// Indexes into `PEOPLE`.
    members: [usize; 4],
    labels: &'static [&'static str],
    /// Projects with their milestones.
    projects: &'static [(&'static str, [&'static str; 3])],
}

const TEAM_TASKS: [TeamTasks; 2] = [
    TeamTasks {
        team: "ENG",
        area: "engineering",
        titles: &ENG_TASKS,
        members: [0, 1, 2, 4],
        labels: &["Bug", "Feature", "Improvement", "Backend", "Frontend"],
        projects: &[MCP_LAUNCH],
    },
    TeamTasks {
        team: "DES",
        area: "design",
        titles: &DES_TASKS,
        members: [0, 3, 4, 2],
        labels: &["Bug", "Feature", "Brand", "Research"],
        projects: &[MCP_LAUNCH, BRAND_REFRESH],
    },
];

/// A date `days` from `today`, as the domain reads it.
fn days_from(today: Date, days: i64) -> String {
    (today + Duration::days(days)).to_string()
}

async fn seed(ws: &Workspace) -> Result<()> {
    let admin = people_and_teams(ws).await?;
    for (team, name, color) in LABELS {
        ws.create_label(&admin, team, name, Some(color)).await?;
    }
    projects_and_cycles(ws, &admin).await?;
    let mut dice = Dice(42);
    for team in &TEAM_TASKS {
        tasks(ws, &admin, team, &mut dice).await?;
    }
    docs(ws, &admin).await
}

/// The people, the two teams and their members; returns the admin, who seeds the rest.
async fn people_and_teams(ws: &Workspace) -> Result<Actor> {
    let op = Caller::Operator;
    for (i, (email, name)) in PEOPLE.iter().enumerate() {
        ws.create_user(op, email, name, PASSWORD, i == 0).await?;
    }
    ws.create_team(op, "ENG", "Engineering").await?;
    ws.create_team(op, "DES", "Design").await?;
    for (team, members) in [("ENG", [0, 1, 2, 4]), ("DES", [0, 3, 4, 2])] {
        for (i, who) in members.iter().enumerate() {
            let role = if i == 0 { Role::Admin } else { Role::Member };
            ws.add_member(op, team, PEOPLE[*who].0, role).await?;
        }
    }
    ws.actor(ws.user_by_email(op, ADMIN_EMAIL).await?.id).await
}

/// Two projects with three milestones each, and a current and a next cycle per team.
async fn projects_and_cycles(ws: &Workspace, admin: &Actor) -> Result<()> {
    let today = ws.today();
    let date = |days: i64| days_from(today, days);
    ws.create_project(
        admin,
        ProjectDraft {
            name: MCP_LAUNCH.0.into(),
            description: Some("Ship the MCP server so AI assistants can work with Orgn.".into()),
            teams: vec!["ENG".into(), "DES".into()],
            status: Some("started".into()),
            lead: Some(PEOPLE[1].0.into()),
            start_date: Some(date(-20)),
            target_date: Some(date(25)),
        },
    )
    .await?;
    ws.create_project(
        admin,
        ProjectDraft {
            name: BRAND_REFRESH.0.into(),
            description: Some("A new look for Orgn, from logo to product.".into()),
            teams: vec!["DES".into()],
            status: Some("planned".into()),
            lead: Some(PEOPLE[3].0.into()),
            start_date: Some(date(-5)),
            target_date: Some(date(60)),
        },
    )
    .await?;
    for (project, milestones) in [MCP_LAUNCH, BRAND_REFRESH] {
        for (i, name) in milestones.iter().enumerate() {
            ws.create_milestone(admin, project, name, Some(&date(i as i64 * 15)))
                .await?;
        }
    }
    for team in ["ENG", "DES"] {
        for (starts, ends) in [(-7, 6), (7, 20)] {
            let cycle = CycleDraft {
                team: team.into(),
                name: None,
                starts_on: date(starts),
                ends_on: date(ends),
            };
            ws.create_cycle(admin, cycle).await?;
        }
    }
    Ok(())
}

/// One team's tasks, each by a member drawn at random; some get comments or a later change.
async fn tasks(ws: &Workspace, admin: &Actor, spec: &TeamTasks, dice: &mut Dice) -> Result<()> {
    let today = ws.today();
    for (i, title) in spec.titles.iter().enumerate() {
        let draft = task_draft(spec, i, title, today, dice);
        let author = PEOPLE[*dice.pick(&spec.members)].0;
        let author = ws
            .actor(ws.user_by_email(Caller::Operator, author).await?.id)
            .await?;
        let task = ws.create_task(&author, draft).await?;
        if i % 3 == 0 {
            ws.create_comment(
                &author,
                &TaskRef::from(&task),
                "I can take this one. Any context I should know before starting?",
            )
            .await?;
            ws.create_comment(
                admin,
                &TaskRef::from(&task),
                "Check the linked doc first; happy to pair on it.",
            )
            .await?;
        }
        if i % 7 == 0 {
            let patch = TaskPatch {
                priority: Some("high".into()),
                ..Default::default()
            };
            ws.update_task(admin, &TaskRef::from(&task), patch).await?;
        }
    }
    Ok(())
}

/// The `i`th task of a team. The dice are thrown in a fixed order (project, cycle, status,
/// priority, assignee, label, due date, estimate), which keeps the demo the same every run.
fn task_draft(spec: &TeamTasks, i: usize, title: &str, today: Date, dice: &mut Dice) -> TaskDraft {
    let (project, milestone) = match dice.next() % 3 {
        0 => (None, None),
        _ => {
            let (p, ms) = dice.pick(spec.projects);
            (Some(p.to_string()), Some(dice.pick(ms).to_string()))
        }
    };
    let cycle = match dice.next() % 3 {
        0 => Some("current".to_string()),
        1 => Some("next".to_string()),
        _ => None,
    };
    TaskDraft {
        team: spec.team.into(),
        title: title.to_string(),
        description: Some(format!(
            "## Context\n\n{title}. Found while working on the {} roadmap.\n\n- [ ] Agree on the approach\n- [ ] Ship it behind a flag\n",
            spec.area
        )),
        status: Some(dice.pick(&STATUSES).to_string()),
        priority: Some((dice.next() % 5).to_string()),
        assignee: Some(if dice.next().is_multiple_of(5) {
            "none".to_string()
        } else {
            PEOPLE[*dice.pick(&spec.members)].0.to_string()
        }),
        labels: vec![dice.pick(spec.labels).to_string()],
        project,
        milestone,
        cycle,
        due_date: i
            .is_multiple_of(4)
            .then(|| days_from(today, (dice.next() % 30) as i64)),
        estimate: Some([1, 2, 3, 5, 8][(dice.next() % 5) as usize]),
        ..Default::default()
    }
}

async fn docs(ws: &Workspace, admin: &Actor) -> Result<()> {
    ws.create_doc(admin, DocDraft {
        team: Some("ENG".into()),
        project: None,
        title: "Engineering onboarding".into(),
        content: "# Welcome\n\nRun `cargo test`, read ARCHITECTURE.md, and pick a task labelled **Good first task**.\n".into(),
    })
    .await?;
    ws.create_doc(admin, DocDraft {
        team: None,
        project: Some("MCP launch".into()),
        title: "MCP launch plan".into(),
        content: "# Plan\n\n1. Alpha with internal users\n2. Beta with five teams\n3. GA with docs for Claude Desktop, Cursor and VS Code\n".into(),
    })
    .await?;
    ws.create_doc(admin, DocDraft {
        team: Some("DES".into()),
        project: None,
        title: "Design principles".into(),
        content: "# Principles\n\n- Quiet by default\n- Keyboard first\n- Every pixel earns its place\n".into(),
    })
    .await?;
    Ok(())
}
