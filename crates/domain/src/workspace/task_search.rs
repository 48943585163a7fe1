//! Searching tasks: a `TaskFilter` in human references (team key, status names, `me`, label
//! names, project, cycle) resolved against what the actor may see into the store's
//! `TaskQuery`, and the page of results.

use time::OffsetDateTime;

use super::tasks::parse_priority;
use super::{Workspace, bounded_list, bounded_text};
use crate::access::Actor;
use crate::cursor::{self, Page};
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::TaskQuery;

/// A search over the tasks the actor may see. All filters combine with AND.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub query: Option<String>,
    pub team: Option<String>,
    /// Status names or types (`started`); a task matches any of them.
    pub statuses: Vec<String>,
    /// `me`, an email, a name, or `none` for unassigned.
    pub assignee: Option<String>,
    /// A task matches when it has any of these labels.
    pub labels: Vec<String>,
    pub priority: Option<String>,
    pub project: Option<String>,
    pub milestone: Option<String>,
    /// `current`, `next`, a number; needs `team` when the actor has several teams.
    pub cycle: Option<String>,
    pub updated_since: Option<OffsetDateTime>,
    /// A parent's identifier: its direct children only.
    pub parent: Option<String>,
    /// `true`: only tasks with an open blocker the actor can see.
    pub blocked: bool,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

impl Workspace {
    pub async fn search_tasks(&self, actor: &Actor, filter: TaskFilter) -> Result<Page<Task>> {
        let (limit, after) = cursor::page_request(filter.limit, filter.cursor.as_deref())?;
        let Some(query) = self.task_query(actor, filter, limit, after).await? else {
            return Ok(Page {
                items: vec![],
                next_cursor: None,
            });
        };
        let hits = self.store.search_tasks(&query).await?;
        let mut page = cursor::page_from(hits, limit);
        self.mark_blocked(actor, &mut page.items).await?;
        Ok(page)
    }

    /// How many tasks the actor may see match the filter (its cursor and limit ignored),
    /// per status: the true size of every status group of a list or board, at any size.
    /// Statuses with none are left out.
    pub async fn count_tasks_by_status(
        &self,
        actor: &Actor,
        filter: TaskFilter,
    ) -> Result<Vec<(StatusId, i64)>> {
        let Some(query) = self.task_query(actor, filter, 0, None).await? else {
            return Ok(vec![]);
        };
        self.store.count_tasks_by_status(&query).await
    }

    /// Status names or types (`started`) into the query's status ids and kinds: a name
    /// matches that status in any of `teams`; an unknown one answers with the valid choices.
    async fn resolve_status_filter(
        &self,
        teams: &[Team],
        wanted: &[String],
        q: &mut TaskQuery,
    ) -> Result<()> {
        let wanted = bounded_list("status", wanted)?;
        let mut statuses = Vec::new();
        if wanted.iter().any(|w| StatusKind::parse(w).is_none()) {
            for team in teams {
                statuses.extend(self.store.statuses(team.id).await?);
            }
        }
        for name in wanted {
            if let Some(kind) = StatusKind::parse(name) {
                if !q.status_kinds.contains(&kind) {
                    q.status_kinds.push(kind);
                }
                continue;
            }
            let matching: Vec<StatusId> = statuses
                .iter()
                .filter(|s| s.name.eq_ignore_ascii_case(name))
                .map(|s| s.id)
                .collect();
            if matching.is_empty() {
                let scope = if teams.len() == 1 {
                    teams[0].key.as_str()
                } else {
                    ""
                };
                let mut valid: Vec<String> = Vec::new();
                for s in &statuses {
                    if !valid.contains(&s.name) {
                        valid.push(s.name.clone());
                    }
                }
                valid.extend(StatusKind::ALL.iter().map(|k| k.as_str().to_string()));
                return Err(crate::error::unknown_choice("Status", name, scope, &valid));
            }
            for id in matching {
                if !q.status_ids.contains(&id) {
                    q.status_ids.push(id);
                }
            }
        }
        Ok(())
    }

    /// Resolves a filter into a store query over the actor's teams; `None` when the actor
    /// has no team, so nothing can match.
    async fn task_query(
        &self,
        actor: &Actor,
        f: TaskFilter,
        limit: usize,
        after: Option<cursor::SeekKey>,
    ) -> Result<Option<TaskQuery>> {
        let teams: Vec<Team> = match f.team.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(key) => vec![self.visible_team(actor, key)?],
            None => actor.memberships().iter().map(|m| m.team.clone()).collect(),
        };
        if teams.is_empty() {
            return Ok(None);
        }
        let team_ids: Vec<TeamId> = teams.iter().map(|t| t.id).collect();
        let mut q = TaskQuery {
            teams: team_ids.clone(),
            limit: limit + 1,
            after,
            updated_since: f.updated_since,
            ..Default::default()
        };
        q.text = f
            .query
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        if let Some(text) = &q.text {
            bounded_text("query", text, 500)?;
        }
        self.resolve_status_filter(&teams, &f.statuses, &mut q)
            .await?;
        if let Some(who) = f.assignee.as_deref().filter(|a| !a.trim().is_empty()) {
            q.assignee = Some(self.resolve_user(actor, who).await?.map(|u| u.id));
        }
        if !f.labels.is_empty() {
            let scope = if teams.len() == 1 {
                teams[0].key.clone()
            } else {
                String::new()
            };
            q.label_ids = self
                .resolve_labels(&team_ids, &f.labels, &scope)
                .await?
                .iter()
                .map(|l| l.id)
                .collect();
        }
        if let Some(p) = f.priority.as_deref().filter(|p| !p.trim().is_empty()) {
            q.priorities.push(parse_priority(p)?);
        }
        let project = match f.project.as_deref().filter(|p| !p.trim().is_empty()) {
            Some(p) => Some(self.visible_project(actor, p).await?),
            None => None,
        };
        q.project_id = project.as_ref().map(|p| p.id);
        if let Some(m) = f.milestone.as_deref().filter(|m| !m.trim().is_empty()) {
            let project = project
                .as_ref()
                .ok_or_else(|| Error::Invalid("filtering by milestone needs project too".into()))?;
            q.milestone_id = Some(self.resolve_milestone(project, m).await?.id);
        }
        if let Some(parent) = f.parent.as_deref().filter(|p| !p.trim().is_empty()) {
            q.parent_id = Some(self.visible_task(actor, &parent.parse()?).await?.id);
        }
        if f.blocked {
            q.blocked_by_teams = Some(actor.team_ids());
        }
        if let Some(c) = f.cycle.as_deref().filter(|c| !c.trim().is_empty()) {
            if teams.len() != 1 {
                return Err(Error::Invalid(
                    "filtering by cycle needs team too (cycles belong to a team)".into(),
                ));
            }
            q.cycle_id = Some(self.resolve_cycle(&teams[0], c).await?.id);
        }
        Ok(Some(q))
    }

    // --- Web-only powers: not offered over MCP ------------------------------------------
}
