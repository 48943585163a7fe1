//! A task list: a team's or My tasks, with its filter bar, bulk bar and toast.

use askama::Template;
use axum::extract::{Path, Query, State};
use orgn_domain::model::*;
use orgn_domain::{TaskFilter, Workspace};
use serde::Deserialize;

use super::groups::{GroupSource, Shown, status_groups};
use super::{merge_statuses, merged_statuses, team_statuses};
use crate::AppState;
use crate::error::WebResult;
use crate::pages::bulk::{self, ListNotice};
use crate::pages::{bad_request, client_message, given, missing, render, team_keys};
use crate::session::Me;
use crate::view::{Chrome, Opt, StatusGroup, Toast, opts, priority_opts};

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    pub q: Option<String>,
    pub status: Option<String>,
    pub assignee: Option<String>,
    pub label: Option<String>,
    pub priority: Option<String>,
    pub project: Option<String>,
    pub cycle: Option<String>,
    /// `1`: sub-tasks nested under their parents; otherwise flat. A way of showing, not a
    /// filter.
    pub nest: Option<String>,
}

impl ListQuery {
    pub fn nested(&self) -> bool {
        given(&self.nest).is_some_and(|n| n == "1")
    }

    fn filter(&self, team: Option<&str>) -> TaskFilter {
        TaskFilter {
            team: team.map(String::from),
            query: given(&self.q),
            statuses: given(&self.status).into_iter().collect(),
            assignee: given(&self.assignee),
            labels: given(&self.label).into_iter().collect(),
            priority: given(&self.priority),
            project: given(&self.project),
            cycle: given(&self.cycle),
            ..Default::default()
        }
    }
    fn active(&self) -> bool {
        [
            &self.q,
            &self.status,
            &self.assignee,
            &self.label,
            &self.priority,
            &self.project,
            &self.cycle,
        ]
        .iter()
        .any(|v| given(v).is_some())
    }
    /// My tasks' filter: assigned to me unless another assignee is chosen.
    fn mine_by_default(&self) -> ListQuery {
        let mut q = self.clone();
        if given(&q.assignee).is_none() {
            q.assignee = Some("me".into());
        }
        q
    }

    /// The filter's non-empty fields as a query string.
    pub fn query_string(&self) -> String {
        let fields = [
            ("q", &self.q),
            ("status", &self.status),
            ("assignee", &self.assignee),
            ("label", &self.label),
            ("priority", &self.priority),
            ("project", &self.project),
            ("cycle", &self.cycle),
            ("nest", &self.nest),
        ];
        let pairs: Vec<(&str, String)> = fields
            .iter()
            .filter_map(|(k, v)| given(v).map(|v| (*k, v)))
            .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// The selects of the filter bar, for one team or for all of the actor's teams.
pub struct FilterBar {
    pub action: String,
    pub q: String,
    pub statuses: Vec<Opt>,
    pub assignees: Vec<Opt>,
    pub labels: Vec<Opt>,
    pub priorities: Vec<Opt>,
    pub projects: Vec<Opt>,
    pub cycles: Vec<Opt>,
    pub active: bool,
}

async fn filter_bar(
    ws: &Workspace,
    me: &Me,
    team: Option<&Team>,
    q: &ListQuery,
    action: String,
) -> orgn_domain::Result<FilterBar> {
    let keys: Vec<String> = match team {
        Some(t) => vec![t.key.clone()],
        None => team_keys(&me.actor),
    };
    let statuses = merged_statuses(ws, &me.actor, &keys).await?;
    let v = |o: &Option<String>| given(o).unwrap_or_default();
    let mut people: Vec<(String, String)> = vec![
        ("me".into(), "Me".into()),
        ("none".into(), "Unassigned".into()),
    ];
    match team {
        Some(t) => people.extend(
            ws.team_members(&me.actor, &t.key)
                .await?
                .into_iter()
                .map(|(u, _)| (u.email, u.name)),
        ),
        None => people.extend(
            ws.users(&me.actor)
                .await?
                .into_iter()
                .map(|u| (u.email, u.name)),
        ),
    }
    let labels = ws.labels(&me.actor, team.map(|t| t.key.as_str())).await?;
    let projects = ws.projects(&me.actor).await?;
    let projects = projects
        .into_iter()
        .filter(|p| team.is_none_or(|t| p.teams.iter().any(|pt| pt.id == t.id)));
    let mut cycles = vec![];
    if let Some(t) = team {
        cycles.push(("current".to_string(), "Current cycle".to_string()));
        cycles.push(("next".to_string(), "Next cycle".to_string()));
        cycles.extend(
            ws.cycles(&me.actor, Some(&t.key))
                .await?
                .iter()
                .rev()
                .map(|c| (c.number.to_string(), c.display_name())),
        );
    }
    Ok(FilterBar {
        action,
        q: v(&q.q),
        statuses: opts(
            statuses.into_iter().map(|s| (s.name.clone(), s.name)),
            &v(&q.status),
        ),
        assignees: opts(people, &v(&q.assignee)),
        labels: opts(
            labels.into_iter().map(|l| (l.name.clone(), l.name)),
            &v(&q.label),
        ),
        priorities: priority_opts(&v(&q.priority)),
        projects: opts(projects.map(|p| (p.name.clone(), p.name)), &v(&q.project)),
        cycles: opts(cycles, &v(&q.cycle)),
        active: q.active(),
    })
}

#[derive(Template)]
#[template(path = "task_list.html")]
struct TaskListPage {
    chrome: Chrome,
    heading: String,
    team_key: String,
    filters: FilterBar,
    groups: Vec<StatusGroup>,
    /// Every task matching the filter, shown or not.
    count: i64,
    /// The SSE topic that refreshes the list: its team's, or any change (My tasks).
    live_topic: String,
    /// The list's URL with its filter, which the live refresh asks for again.
    live_url: String,
    /// The filter as a query string, for the bulk form's "all matching".
    filter_qs: String,
    /// The statuses a bulk change may set.
    bulk_statuses: Vec<Opt>,
    toast: Option<Toast>,
    /// Why the filter or a bulk change failed, shown above the list.
    list_error: Option<String>,
    /// The list's URL without the toast's parameters, for the address bar.
    clean_url: String,
    /// Sub-tasks under their parents, and the list's URL each way.
    nested: bool,
    flat_url: String,
    nested_url: String,
}

/// The filter of a team's list, or of My tasks (assigned to me unless chosen otherwise).
pub fn scoped_filter(team: Option<&str>, q: &ListQuery) -> TaskFilter {
    match team {
        Some(key) => q.filter(Some(key)),
        None => q.mine_by_default().filter(None),
    }
}

pub async fn my_tasks(
    State(state): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
    Query(notice): Query<ListNotice>,
    Query(shown): Query<Shown>,
) -> WebResult {
    let toast = bulk::toast(&state, &me, &notice).await;
    list_view(&state, &me, None, q, toast, None, shown.get()).await
}

pub async fn team_tasks(
    State(state): State<AppState>,
    me: Me,
    Path(key): Path<String>,
    Query(q): Query<ListQuery>,
    Query(notice): Query<ListNotice>,
    Query(shown): Query<Shown>,
) -> WebResult {
    let team = state
        .workspace
        .visible_team(&me.actor, &key)
        .map_err(missing)?;
    let toast = bulk::toast(&state, &me, &notice).await;
    list_view(&state, &me, Some(&team.key), q, toast, None, shown.get()).await
}

/// A task list: a team's (`team` given) or My tasks, with the bulk bar and maybe a toast or
/// a form's error; `shown` tasks at most per status group at first.
pub async fn list_view(
    state: &AppState,
    me: &Me,
    team: Option<&str>,
    q: ListQuery,
    toast: Option<Toast>,
    error: Option<String>,
    shown: usize,
) -> WebResult {
    let ws = &state.workspace;
    let (chrome, heading, team_key, filters, statuses, live_topic) = match team {
        Some(key) => {
            let team = ws.visible_team(&me.actor, key).map_err(missing)?;
            let filters =
                filter_bar(ws, me, Some(&team), &q, format!("/team/{}/tasks", team.key)).await?;
            let statuses = ws.statuses(&me.actor, &team.key).await?;
            let chrome = Chrome::new(
                me,
                format!("{} tasks", team.name),
                format!("{}:tasks", team.key),
            );
            let topic = format!("team-{}", team.id);
            (
                chrome,
                team.name.clone(),
                team.key.clone(),
                filters,
                statuses,
                topic,
            )
        }
        None => {
            let filters = filter_bar(ws, me, None, &q.mine_by_default(), "/my".into()).await?;
            let statuses = team_statuses(ws, &me.actor, &team_keys(&me.actor)).await?;
            let chrome = Chrome::new(me, "My tasks", "my");
            let topic = "change".to_string();
            (
                chrome,
                "My tasks".to_string(),
                String::new(),
                filters,
                statuses,
                topic,
            )
        }
    };
    let order = merge_statuses(&statuses);
    let bulk_statuses = order
        .iter()
        .map(|s| Opt {
            value: s.name.clone(),
            label: s.name.clone(),
            selected: false,
        })
        .collect();
    let filter_qs = q.query_string();
    let clean_url = bulk::list_url(team, &q, "");
    let nested = q.nested();
    let shown_as = |nest: Option<&str>| {
        let mut shown = q.clone();
        shown.nest = nest.map(String::from);
        bulk::list_url(team, &shown, "")
    };
    let (flat_url, nested_url) = (shown_as(None), shown_as(Some("1")));
    let filter = scoped_filter(team, &q);
    let source = GroupSource {
        scope: team_key.clone(),
        filter_qs: filter_qs.clone(),
        page_path: bulk::list_url(team, &ListQuery::default(), ""),
        board: false,
        shown,
        nested: q.nested(),
    };
    let groups = status_groups(ws, &me.actor, &filter, &order, &statuses, &source);
    // A wrong filter value (an unknown label typed into the URL) is the user's to fix: say so.
    let (mut groups, list_error) = match client_message(groups.await)? {
        Ok(groups) => (groups, error),
        Err(msg) => (vec![], Some(msg)),
    };
    for g in &mut groups {
        g.selectable = true;
    }
    let page = TaskListPage {
        chrome,
        heading,
        team_key,
        filters,
        count: groups.iter().map(|g| g.count).sum(),
        groups,
        live_topic,
        live_url: clean_url.clone(),
        filter_qs,
        bulk_statuses,
        toast,
        list_error,
        clean_url,
        nested,
        flat_url,
        nested_url,
    };
    if page.list_error.is_some() {
        bad_request(render(page))
    } else {
        render(page)
    }
}
