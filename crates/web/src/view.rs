//! What templates see: the page frame (sidebar, user, CSRF token) and domain values turned
//! into display strings and small SVG glyphs. Colours go into SVG attributes, never inline
//! styles, so the Content-Security-Policy can forbid inline styles too.

use orgn_domain::model::*;
use time::{Date, OffsetDateTime};

use crate::markdown;
use crate::session::Me;

/// The frame around every signed-in page.
pub struct Chrome {
    pub title: String,
    /// Which sidebar entry is active: `my`, `ENG:tasks`, `projects`, `settings:mcp`...
    pub nav: String,
    pub user_name: String,
    pub user_email: String,
    pub initials: String,
    pub is_admin: bool,
    pub teams: Vec<Team>,
    pub csrf: String,
    /// A message from a form that could not be saved.
    pub error: Option<String>,
    /// Whether the shortcuts without Ctrl/Cmd are on (`keys.js` reads it from `<body>`).
    pub single_key_shortcuts: bool,
}

impl Chrome {
    pub fn new(me: &Me, title: impl Into<String>, nav: impl Into<String>) -> Chrome {
        let user = me.actor.user();
        Chrome {
            title: title.into(),
            nav: nav.into(),
            user_name: user.name.clone(),
            user_email: user.email.clone(),
            initials: initials(&user.name),
            is_admin: user.is_admin,
            teams: me
                .actor
                .memberships()
                .iter()
                .map(|m| m.team.clone())
                .collect(),
            csrf: me.csrf.clone(),
            error: None,
            single_key_shortcuts: user.single_key_shortcuts,
        }
    }
    pub fn with_error(mut self, error: Option<String>) -> Chrome {
        self.error = error;
        self
    }
    pub fn is(&self, nav: &str) -> bool {
        self.nav == nav
    }
    pub fn team_nav(&self, key: &str, part: &str) -> bool {
        self.nav == format!("{key}:{part}")
    }
    /// Whether the page belongs to team `key` (its list, board, cycles, one of its tasks):
    /// the New-task dialog preselects that team.
    pub fn in_team(&self, key: &str) -> bool {
        self.nav
            .split_once(':')
            .is_some_and(|(team, _)| team == key)
    }
}

pub fn initials(name: &str) -> String {
    let mut parts = name.split_whitespace().filter_map(|w| w.chars().next());
    let first = parts
        .next()
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_else(|| "?".into());
    match parts.next_back() {
        Some(c) => format!("{first}{}", c.to_uppercase()),
        None => first,
    }
}

pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MONTHS_LONG: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `Nov 24, 2026`
pub fn day(d: Date) -> String {
    format!(
        "{} {}, {}",
        MONTHS[d.month() as usize - 1],
        d.day(),
        d.year()
    )
}

/// `Nov 24, 2026 14:03 UTC`
pub fn when(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", day(t.date()), t.hour(), t.minute())
}

/// `December 24, 2026 at 14:03 UTC`: an expiry nobody can misread.
pub fn exact(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{} {}, {} at {:02}:{:02} UTC",
        MONTHS_LONG[t.month() as usize - 1],
        t.day(),
        t.year(),
        t.hour(),
        t.minute()
    )
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    orgn_domain::rfc3339(t)
}

/// A small circle of a colour: labels, statuses.
pub fn dot(color: &str) -> String {
    format!(
        r##"<svg class="dot" width="10" height="10" viewBox="0 0 10 10" aria-hidden="true"><circle cx="5" cy="5" r="4" fill="{}"/></svg>"##,
        safe_color(color)
    )
}

fn safe_color(color: &str) -> &str {
    let ok = color.len() == 7
        && color.starts_with('#')
        && color[1..].chars().all(|c| c.is_ascii_hexdigit());
    if ok { color } else { "#9ca3af" }
}

pub fn status_color(kind: StatusKind) -> &'static str {
    match kind {
        StatusKind::Backlog => "#9ca3af",
        StatusKind::Unstarted => "#6b7280",
        StatusKind::Started => "#f2994a",
        StatusKind::Completed => "#5e6ad2",
        StatusKind::Canceled => "#9ca3af",
    }
}

/// Linear-like status glyphs: dashed circle, empty circle, half, check, cross.
pub fn status_icon(kind: StatusKind) -> String {
    let c = status_color(kind);
    let inner = match kind {
        StatusKind::Backlog => format!(
            r##"<circle cx="7" cy="7" r="5.5" fill="none" stroke="{c}" stroke-width="1.5" stroke-dasharray="2 1.6"/>"##
        ),
        StatusKind::Unstarted => format!(
            r##"<circle cx="7" cy="7" r="5.5" fill="none" stroke="{c}" stroke-width="1.5"/>"##
        ),
        StatusKind::Started => format!(
            r##"<circle cx="7" cy="7" r="5.5" fill="none" stroke="{c}" stroke-width="1.5"/><path d="M7 3.5 A3.5 3.5 0 0 1 7 10.5 Z" fill="{c}"/>"##
        ),
        StatusKind::Completed => format!(
            r##"<circle cx="7" cy="7" r="6" fill="{c}"/><path d="M4.3 7.2 6.2 9 9.8 5.2" fill="none" stroke="#fff" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round"/>"##
        ),
        StatusKind::Canceled => format!(
            r##"<circle cx="7" cy="7" r="6" fill="{c}"/><path d="M5 5 9 9M9 5 5 9" stroke="#fff" stroke-width="1.5" stroke-linecap="round"/>"##
        ),
    };
    format!(
        r##"<svg class="status-icon" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">{inner}</svg>"##
    )
}

/// Bars for priority, like Linear: urgent is an exclamation box.
pub fn priority_icon(p: Priority) -> String {
    let v = p.value();
    if v == 0 {
        return r##"<svg class="prio" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true"><path d="M2 7h2M6 7h2M10 7h2" stroke="#9ca3af" stroke-width="1.5"/></svg>"##.into();
    }
    if v == 1 {
        return r##"<svg class="prio" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true"><rect x="1" y="1" width="12" height="12" rx="3" fill="#eb5757"/><path d="M7 4v4" stroke="#fff" stroke-width="1.6" stroke-linecap="round"/><circle cx="7" cy="10.2" r="0.9" fill="#fff"/></svg>"##.into();
    }
    let filled = 5 - v; // high 3, medium 2, low 1
    let bar = |i: i64| {
        let h = 4 + i * 3;
        let fill = if i < filled { "#5f6470" } else { "#d7d9de" };
        format!(
            r##"<rect x="{}" y="{}" width="3" height="{h}" rx="1" fill="{fill}"/>"##,
            1 + i * 4,
            12 - h
        )
    };
    format!(
        r##"<svg class="prio" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">{}{}{}</svg>"##,
        bar(0),
        bar(1),
        bar(2)
    )
}

/// `3 / 7`: tasks completed of those that count (canceled ones do not).
pub fn progress_counts(p: &Progress) -> String {
    format!("{} / {}", p.completed, p.total - p.canceled)
}

/// A progress bar as SVG, so that its width needs no inline style.
pub fn progress_bar(p: &Progress) -> String {
    let pct = p.percent().clamp(0, 100);
    format!(
        r##"<svg class="progress" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label="{pct}% complete"><rect width="100" height="6" rx="3" fill="#ebecf0"/><rect width="{pct}" height="6" rx="3" fill="#5e6ad2"/></svg>"##
    )
}

pub struct LabelChip {
    pub name: String,
    pub dot: String,
}

/// A task as a row of a list or a card of the board.
pub struct TaskRow {
    pub ident: String,
    pub title: String,
    pub status: String,
    pub status_icon: String,
    pub priority: String,
    pub priority_icon: String,
    pub assignee: String,
    pub assignee_initials: String,
    pub labels: Vec<LabelChip>,
    pub project: String,
    pub due: String,
    pub blocked: bool,
    /// How deep under its parent a list shows it nested (0: at the top).
    pub depth: usize,
}

impl TaskRow {
    pub fn new(t: &Task) -> TaskRow {
        TaskRow {
            blocked: t.blocked,
            depth: 0,
            ident: t.identifier(),
            title: t.title.clone(),
            status: t.status.name.clone(),
            status_icon: status_icon(t.status.kind),
            priority: t.priority.name().to_string(),
            priority_icon: priority_icon(t.priority),
            assignee: t
                .assignee
                .as_ref()
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            assignee_initials: t
                .assignee
                .as_ref()
                .map(|u| initials(&u.name))
                .unwrap_or_default(),
            labels: t
                .labels
                .iter()
                .map(|l| LabelChip {
                    name: l.name.clone(),
                    dot: dot(&l.color),
                })
                .collect(),
            project: t
                .project
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            due: t.due_date.map(day).unwrap_or_default(),
        }
    }
}

/// A doc in a list: the docs page, a project's docs.
pub struct DocLink {
    pub id: DocId,
    pub title: String,
    pub updated: String,
}

impl DocLink {
    pub fn new(d: &Doc) -> DocLink {
        DocLink {
            id: d.id,
            title: d.title.clone(),
            updated: when(d.updated_at),
        }
    }
}

/// Tasks under one status, in the team's order of statuses.
pub struct StatusGroup {
    /// Rows carry a checkbox for the bulk form (the task list only).
    pub selectable: bool,
    pub name: String,
    pub icon: String,
    pub tasks: Vec<TaskRow>,
    /// How many tasks the group has in all, shown or not.
    pub count: i64,
    /// Where its next tasks come from, when not all are shown.
    pub more: Option<MoreLink>,
}

/// "Show more" in a status group: `fragment` answers htmx with the next rows (and the next
/// link); `page` is the whole page showing more, for a browser without JavaScript.
pub struct MoreLink {
    pub fragment: String,
    pub page: String,
    /// How many the next step brings.
    pub step: usize,
}

impl StatusGroup {
    /// The group of a status, with no task yet.
    pub fn empty(name: &str, kind: StatusKind) -> StatusGroup {
        StatusGroup {
            selectable: false,
            name: name.to_string(),
            icon: status_icon(kind),
            tasks: vec![],
            count: 0,
            more: None,
        }
    }
}

/// Groups tasks by status name, in the order given (the team's workflow); statuses of other
/// teams follow, ordered by their type.
pub fn group_by_status(tasks: &[Task], order: &[Status], keep_empty: bool) -> Vec<StatusGroup> {
    let mut groups: Vec<(StatusKind, StatusGroup)> = order
        .iter()
        .map(|s| (s.kind, StatusGroup::empty(&s.name, s.kind)))
        .collect();
    for t in tasks {
        let i = match groups.iter().position(|(_, g)| g.name == t.status.name) {
            Some(i) => i,
            None => {
                groups.push((
                    t.status.kind,
                    StatusGroup::empty(&t.status.name, t.status.kind),
                ));
                groups.len() - 1
            }
        };
        groups[i].1.tasks.push(TaskRow::new(t));
        groups[i].1.count += 1;
    }
    if order.is_empty() {
        groups.sort_by_key(|(k, _)| *k);
    }
    groups
        .into_iter()
        .map(|(_, g)| g)
        .filter(|g| keep_empty || !g.tasks.is_empty())
        .collect()
}

pub fn md(source: &str) -> String {
    markdown::render(source)
}

/// Markdown with the mentions of `people` as links (`mentionable`).
pub fn md_mentions(source: &str, people: &[markdown::Person]) -> String {
    markdown::render_mentions(source, people)
}

/// The people who can be mentioned on a task of team `team_key` (its members), each linked
/// to their tasks in that team.
pub fn mentionable<'a>(
    members: impl IntoIterator<Item = &'a User>,
    team_key: &str,
) -> Vec<markdown::Person> {
    members
        .into_iter()
        .map(|u| markdown::Person {
            handle: u.handle.clone(),
            name: u.name.clone(),
            href: format!(
                "/team/{}/tasks?assignee={}",
                url_encode(team_key),
                url_encode(&u.email)
            ),
        })
        .collect()
}

/// A choice in a filter or property select.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Choices from `(value, label)` pairs; the one whose value matches `current` (ignoring
/// case) is selected.
pub fn opts(items: impl IntoIterator<Item = (String, String)>, current: &str) -> Vec<Opt> {
    items
        .into_iter()
        .map(|(value, label)| Opt {
            selected: !current.is_empty() && value.eq_ignore_ascii_case(current),
            value,
            label,
        })
        .collect()
}

/// The five priorities, `0` (none) to `4` (low), by value.
pub fn priority_opts(current: &str) -> Vec<Opt> {
    opts(
        (0..=4).map(|v| (v.to_string(), Priority::new(v).unwrap().name().to_string())),
        current,
    )
}

/// A message in the bottom-right corner after an action, maybe with a button.
pub struct Toast {
    pub text: String,
    /// The bulk change the Undo button reverts.
    pub undo: Option<BulkChangeId>,
    /// The deleted task the Restore button brings back.
    pub restore: Option<String>,
}
