//! The command palette (Cmd/Ctrl+K): `GET /palette` answers what matches the typed text as
//! an HTML fragment that `assets/keys.js` puts into the palette's dialog. It lists actions on
//! the open or focused task, tasks (by identifier or by words of their title, through the
//! workspace's task search, so the access rule applies), and pages. An action first lists
//! its values (`pick=status`); each value is a small form posting the one field it changes
//! to `POST /tasks/{id}`, exactly as the task page's property form does.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use orgn_domain::model::*;
use orgn_domain::{Actor, TaskFilter, TaskRef, Workspace};
use serde::Deserialize;

use super::{given, render, render_with};
use crate::AppState;
use crate::error::WebResult;
use crate::session::Me;
use crate::view::{self, TaskRow};

/// Longer text is refused: nobody types more to find one thing, and it bounds the search.
const MAX_QUERY_CHARS: usize = 100;
/// Tasks shown at most; the palette is for jumping, the list page for browsing.
const MAX_TASKS: usize = 8;
/// Pages shown at most when nothing is typed yet, and when something is.
const MAX_PAGES: usize = 8;

#[derive(Deserialize, Default)]
pub struct PaletteQuery {
    q: Option<String>,
    /// The open or focused task (`ENG-12`), whose actions are offered.
    task: Option<String>,
    /// The action whose values to list: `status`, `assignee`, `priority`, `labels`,
    /// `project` or `cycle`.
    pick: Option<String>,
}

/// A task property the palette can change.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Status,
    Assignee,
    Priority,
    Labels,
    Project,
    Cycle,
}

impl Field {
    const ALL: [Field; 6] = [
        Field::Status,
        Field::Assignee,
        Field::Priority,
        Field::Labels,
        Field::Project,
        Field::Cycle,
    ];

    fn name(self) -> &'static str {
        match self {
            Field::Status => "status",
            Field::Assignee => "assignee",
            Field::Priority => "priority",
            Field::Labels => "labels",
            Field::Project => "project",
            Field::Cycle => "cycle",
        }
    }

    fn action(self) -> &'static str {
        match self {
            Field::Status => "Change status…",
            Field::Assignee => "Assign to…",
            Field::Priority => "Set priority…",
            Field::Labels => "Add or remove labels…",
            Field::Project => "Move to project…",
            Field::Cycle => "Move to cycle…",
        }
    }

    fn parse(s: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == s)
    }
}

/// What choosing an item does.
pub enum Does {
    /// Opens a page.
    Go(String),
    /// Lists the values of an action on the task.
    Pick(&'static str),
    /// Posts these fields (besides the CSRF token) to the task.
    Set(Vec<(String, String)>),
}

pub struct Item {
    pub label: String,
    /// A word on the right: the kind of page, the task's status, "current".
    pub hint: String,
    /// An SVG glyph (a status or priority icon), or empty.
    pub icon: String,
    pub does: Does,
}

impl Item {
    fn go(label: impl Into<String>, hint: &str, href: impl Into<String>) -> Item {
        Item {
            label: label.into(),
            hint: hint.into(),
            icon: String::new(),
            does: Does::Go(href.into()),
        }
    }
    fn href(&self) -> &str {
        match &self.does {
            Does::Go(h) => h,
            _ => "",
        }
    }
    fn pick(&self) -> &str {
        match &self.does {
            Does::Pick(p) => p,
            _ => "",
        }
    }
    fn fields(&self) -> &[(String, String)] {
        match &self.does {
            Does::Set(f) => f,
            _ => &[],
        }
    }
}

pub struct Section {
    pub title: String,
    pub items: Vec<Item>,
}

#[derive(Template)]
#[template(path = "palette_results.html")]
struct Results {
    sections: Vec<Section>,
    csrf: String,
    /// Where value forms post: `/tasks/ENG-12`.
    action: String,
    /// Shown when nothing matches, or the request was refused.
    message: String,
}

impl Results {
    fn count(&self) -> usize {
        self.sections.iter().map(|s| s.items.len()).sum()
    }
}

pub async fn results(
    State(state): State<AppState>,
    me: Me,
    Query(p): Query<PaletteQuery>,
) -> WebResult {
    let ws = &state.workspace;
    let actor = &me.actor;
    let q = p.q.as_deref().unwrap_or("").trim().to_string();
    let mut out = Results {
        sections: vec![],
        csrf: me.csrf.clone(),
        action: String::new(),
        message: String::new(),
    };
    if q.chars().count() > MAX_QUERY_CHARS {
        out.message = format!("Type at most {MAX_QUERY_CHARS} characters.");
        return render_with(StatusCode::BAD_REQUEST, out);
    }
    // A task that is malformed, gone or in another team offers no actions, alike.
    let task = match given(&p.task).and_then(|t| t.parse::<TaskRef>().ok()) {
        Some(r) => ws.task(actor, &r).await.ok(),
        None => None,
    };
    match (given(&p.pick), &task) {
        (Some(pick), Some(task)) => {
            let Some(field) = Field::parse(&pick) else {
                out.message = format!("There is no action \"{pick}\".");
                return render_with(StatusCode::BAD_REQUEST, out);
            };
            out.action = format!("/tasks/{}", task.identifier());
            let values = values(ws, actor, task, field).await?;
            out.sections.push(Section {
                title: format!("{} · {}", task.identifier(), field.action()),
                items: values
                    .into_iter()
                    .filter(|i| matches(&i.label, &q))
                    .collect(),
            });
        }
        (Some(_), None) => {
            out.message = "Open or focus a task first.".into();
            return render_with(StatusCode::BAD_REQUEST, out);
        }
        (None, _) => {
            if let Some(task) = &task {
                out.sections.push(task_actions(task, &q));
            }
            if !q.is_empty() {
                out.sections.push(Section {
                    title: "Tasks".into(),
                    items: tasks(ws, actor, &q).await?,
                });
            }
            out.sections.push(pages(ws, actor, &q).await?);
        }
    }
    out.sections.retain(|s| !s.items.is_empty());
    if out.sections.is_empty() {
        out.message = "Nothing matches.".into();
    }
    render(out)
}

/// Whether every word typed is part of the label, ignoring case.
fn matches(label: &str, q: &str) -> bool {
    let label = label.to_lowercase();
    q.to_lowercase()
        .split_whitespace()
        .all(|w| label.contains(w))
}

fn task_actions(task: &Task, q: &str) -> Section {
    let mut items: Vec<Item> = Field::ALL
        .into_iter()
        .filter(|f| matches(f.action(), q))
        .map(|f| Item {
            label: f.action().into(),
            hint: String::new(),
            icon: String::new(),
            does: Does::Pick(f.name()),
        })
        .collect();
    // The new task form, as a sub-task of this one (in its team).
    let sub_task = "Create sub-task";
    if matches(sub_task, q) {
        let href = format!("/tasks/new?parent={}", task.identifier());
        items.push(Item::go(sub_task, "", href));
    }
    Section {
        title: format!("{} {}", task.identifier(), task.title),
        items,
    }
}

/// `eng 12`, `ENG12` or `eng-12` as `ENG-12`; a bare number as a task of `only_team` (the
/// actor's one team, if it has one). `None` when the text is not one task's identifier.
fn identifier_in(q: &str, only_team: Option<&str>) -> Option<TaskRef> {
    let letters: String = q.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let rest = q[letters.len()..].trim_start_matches([' ', '-', '#']);
    if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let key = match (letters.is_empty(), only_team) {
        (false, _) => letters.as_str(),
        (true, Some(team)) => team,
        (true, None) => return None,
    };
    format!("{key}-{rest}").parse().ok()
}

/// The task the text names first, then the search's best matches, at most `MAX_TASKS`.
async fn tasks(ws: &Workspace, actor: &Actor, q: &str) -> WebResult<Vec<Item>> {
    let mut found: Vec<Task> = Vec::new();
    let only_team = match actor.memberships() {
        [only] => Some(only.team.key.as_str()),
        _ => None,
    };
    if let Some(r) = identifier_in(q, only_team)
        && let Ok(t) = ws.task(actor, &r).await
    {
        found.push(t);
    }
    let filter = TaskFilter {
        query: Some(q.to_string()),
        limit: Some(MAX_TASKS),
        ..Default::default()
    };
    let page = ws.search_tasks(actor, filter).await?;
    for t in page.items {
        if found.len() < MAX_TASKS && !found.iter().any(|f| f.id == t.id) {
            found.push(t);
        }
    }
    Ok(found
        .iter()
        .map(|t| {
            let row = TaskRow::new(t);
            Item {
                label: format!("{} {}", row.ident, row.title),
                hint: row.status,
                icon: row.status_icon,
                does: Does::Go(format!("/tasks/{}", row.ident)),
            }
        })
        .collect())
}

/// Every page of the sidebar (and each project), those matching the text.
async fn pages(ws: &Workspace, actor: &Actor, q: &str) -> WebResult<Section> {
    let mut all = vec![
        Item::go("Inbox", "Page", "/inbox"),
        Item::go("My tasks", "Page", "/my"),
    ];
    for m in actor.memberships() {
        let t = &m.team;
        for (part, what) in [
            ("tasks", "Tasks"),
            ("board", "Board"),
            ("cycles", "Cycles"),
            ("labels", "Labels"),
            ("trash", "Trash"),
        ] {
            all.push(Item::go(
                format!("{} {what}", t.name),
                &t.key,
                format!("/team/{}/{part}", t.key),
            ));
        }
    }
    all.extend([
        Item::go("Projects", "Page", "/projects"),
        Item::go("Docs", "Page", "/docs"),
        Item::go("Ask Orgn", "Page", "/assistant"),
        Item::go("Profile settings", "Settings", "/settings/profile"),
        Item::go("Workspace labels", "Settings", "/labels"),
        Item::go("Export & import", "Settings", "/settings/data"),
        Item::go("MCP Access", "Settings", "/settings/mcp"),
    ]);
    if actor.is_admin() {
        all.push(Item::go("Members & Teams", "Settings", "/settings/members"));
    }
    if !q.is_empty() {
        for p in ws.projects(actor).await? {
            all.push(Item::go(p.name, "Project", format!("/projects/{}", p.id)));
        }
    }
    Ok(Section {
        title: "Pages".into(),
        items: all
            .into_iter()
            .filter(|i| matches(&format!("{} {}", i.label, i.hint), q))
            .take(MAX_PAGES)
            .collect(),
    })
}

/// A value of one field: its label, and the fields to post to set it.
fn value(label: String, current: bool, icon: String, fields: Vec<(&str, String)>) -> Item {
    let mut posted = Vec::new();
    posted.extend(fields.into_iter().map(|(k, v)| (k.to_string(), v)));
    Item {
        label,
        hint: if current {
            "current".into()
        } else {
            String::new()
        },
        icon,
        does: Does::Set(posted),
    }
}

/// The value that clears a field: `none` for the assignee, empty for the others.
fn nothing(label: &str, current: bool, name: &'static str) -> Item {
    let v = if name == "assignee" { "none" } else { "" };
    value(label.into(), current, String::new(), vec![(name, v.into())])
}

/// The values an action may set on the task, each a form of that one field.
async fn values(ws: &Workspace, a: &Actor, task: &Task, field: Field) -> WebResult<Vec<Item>> {
    let team = task.team_key.as_str();
    let name = field.name();
    Ok(match field {
        Field::Status => ws
            .statuses(a, team)
            .await?
            .into_iter()
            .map(|s| {
                let icon = view::status_icon(s.kind);
                value(
                    s.name.clone(),
                    s.id == task.status.id,
                    icon,
                    vec![(name, s.name)],
                )
            })
            .collect(),
        Field::Priority => (0..=4)
            .filter_map(Priority::new)
            .map(|p| {
                let icon = view::priority_icon(p);
                let v = p.value().to_string();
                value(p.name().into(), p == task.priority, icon, vec![(name, v)])
            })
            .collect(),
        Field::Assignee => {
            let now = task.assignee.as_ref().map(|u| u.id);
            let mut items = vec![nothing("Unassigned", now.is_none(), name)];
            for (u, _) in ws.team_members(a, team).await? {
                let current = now == Some(u.id);
                items.push(value(u.name, current, String::new(), vec![(name, u.email)]));
            }
            items
        }
        Field::Labels => label_values(ws, a, task).await?,
        Field::Project => {
            let now = task.project.as_ref().map(|p| p.id);
            let mut items = vec![nothing("No project", now.is_none(), name)];
            for p in ws.projects(a).await? {
                if p.teams.iter().any(|t| t.id == task.team_id) {
                    let current = now == Some(p.id);
                    let v = p.name.clone();
                    items.push(value(p.name, current, String::new(), vec![(name, v)]));
                }
            }
            items
        }
        Field::Cycle => {
            let now = task.cycle.as_ref().map(|c| c.id);
            let mut items = vec![nothing("No cycle", now.is_none(), name)];
            for c in ws.cycles(a, Some(team)).await?.into_iter().rev() {
                let v = c.number.to_string();
                items.push(value(
                    c.display_name(),
                    now == Some(c.id),
                    String::new(),
                    vec![(name, v)],
                ));
            }
            items
        }
    })
}

/// Each label of the task's team as a toggle: the form posts that one label, to be added
/// (`label_on`) or removed, as the task page's checkboxes do.
async fn label_values(ws: &Workspace, a: &Actor, task: &Task) -> WebResult<Vec<Item>> {
    let mut items = Vec::new();
    for l in ws.labels(a, Some(&task.team_key)).await? {
        let has = task.labels.iter().any(|t| t.id == l.id);
        // One label added or removed, as the task page's checkboxes send it: the server
        // applies it to the labels the task has then, whatever an agent did meanwhile.
        let mut fields = vec![("label", l.name.clone())];
        if !has {
            fields.push(("label_on", "1".to_string()));
        }
        let mut item = value(l.name.clone(), false, view::dot(&l.color), fields);
        item.hint = if has { "remove" } else { "add" }.into();
        items.push(item);
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_typed_word_must_be_in_the_label() {
        assert!(matches("Engineering Board", "eng bo"));
        assert!(matches("Engineering Board", ""));
        assert!(!matches("Engineering Board", "eng cycles"));
    }

    #[test]
    fn an_identifier_may_be_typed_loosely() {
        let ident =
            |q: &str, team| identifier_in(q, team).map(|r| format!("{}-{}", r.key(), r.number()));
        for q in ["ENG-12", "eng 12", "eng12", "Eng #12"] {
            assert_eq!(ident(q, None).as_deref(), Some("ENG-12"), "{q}");
        }
        assert_eq!(ident("12", Some("DES")).as_deref(), Some("DES-12"));
        assert_eq!(
            ident("12", None),
            None,
            "a bare number is ambiguous across teams"
        );
        for q in ["fix login", "eng 12 login", "eng", "12a", ""] {
            assert_eq!(ident(q, Some("ENG")), None, "{q}");
        }
    }
}
