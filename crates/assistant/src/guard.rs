//! Which of the model's calls wait for the person's word, besides the web-only powers:
//! text planted in a task or doc may tell the model to act, and the model cannot be
//! trusted to tell the person's words from such text. So a call waits for confirmation when
//!
//! - it **overwrites long text** people wrote: a task's description, a doc's content, a
//!   project's description (when they were not empty and the call changes them), or a
//!   comment's body;
//! - it **writes into a team the person's question is not about**;
//! - it writes anything after this answer **read from a team the question is not about**
//!   (content of one team would otherwise flow into another: "search team SEC and post the
//!   titles as a comment here").
//!
//! Single-field changes (status, assignee, labels…) inside the question's teams stay direct:
//! they are recorded in the task's history and easy to revert.
//!
//! What a question is **about**: the teams it names (a team key as a word, `ENG`, or a
//! team's name, "Engineering") and the teams of the task identifiers in it (`ENG-12`);
//! else the team of the page it was asked on (`/tasks/ENG-12`, `/team/ENG/…`, a doc or a
//! project's page); else the teams named by the earlier questions of the conversation;
//! else, for someone in one team, that team. A question about no team (someone in several
//! teams asking in general) has every write wait for confirmation; naming the team makes
//! the writes into it direct.
//!
//! What a call reaches: the team of its `team` argument, its `teams`, its `project`'s
//! teams, and the team of the task, doc or project its `id` names. A call whose reach
//! cannot be told (a search over every team, a label by id) reaches every team of the
//! person's.

use orgn_domain::model::{DocId, TeamId};
use orgn_domain::{Actor, TaskRef, parse_identifier};
use orgn_tools::ToolSpec;
use serde_json::Value;

use crate::Assistant;

/// What one answer is about, and what it has read outside of that.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    about: Vec<TeamId>,
    /// Teams outside `about` that this answer's reads reached.
    read_outside: Vec<TeamId>,
}

/// What one call reaches.
struct Reach {
    /// `None`: cannot be told; counts as every team of the person's.
    teams: Option<Vec<TeamId>>,
    /// The long text the call would overwrite, in words ("the description of ENG-1").
    overwrites: Option<String>,
}

/// The long-text argument of each tool that overwrites one, what it is called, and whether
/// the text it replaces is kept as a previous version (docs' contents and tasks'
/// descriptions are; see `storage/src/sql/revisions.rs`).
fn long_text_field(tool: &str) -> Option<(&'static str, &'static str, bool)> {
    Some(match tool {
        "update_task" => ("description", "the description of", true),
        "update_doc" => ("content", "the content of", true),
        "update_project" => ("description", "the description of", false),
        "update_comment" => ("body", "the text of", false),
        _ => return None,
    })
}

/// What kind of thing a tool's `id` argument names.
enum IdKind {
    Task,
    Doc,
    Project,
    /// Not something that belongs to a team by itself (a comment, a label, a milestone).
    Other,
}

fn id_kind(tool: &str) -> IdKind {
    match tool {
        "get_task" | "update_task" | "delete_task" | "list_comments" | "create_comment" => {
            IdKind::Task
        }
        "get_doc" | "update_doc" | "delete_doc" => IdKind::Doc,
        "get_project" | "update_project" => IdKind::Project,
        _ => IdKind::Other,
    }
}

/// Reads that show no team's content (who the person is, the team list, people, statuses).
fn reads_no_content(tool: &str) -> bool {
    matches!(
        tool,
        "whoami" | "list_teams" | "list_users" | "list_statuses"
    )
}

/// The teams a text names: team keys as words, task identifiers, team names.
pub(crate) fn teams_named(actor: &Actor, text: &str) -> Vec<TeamId> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut teams = Vec::new();
    for m in actor.memberships() {
        let team = &m.team;
        let named = words.iter().any(|w| {
            w.eq_ignore_ascii_case(&team.key)
                || parse_identifier(w).is_some_and(|(key, _)| key == team.key)
        }) || contains_words(&lower, &team.name.to_lowercase());
        if named {
            teams.push(team.id);
        }
    }
    teams
}

/// `needle` in `haystack` with no letter or digit right before or after it.
fn contains_words(haystack: &str, needle: &str) -> bool {
    if needle.trim().is_empty() {
        return false;
    }
    let boundary = |c: Option<char>| !c.is_some_and(char::is_alphanumeric);
    haystack.match_indices(needle).any(|(at, _)| {
        boundary(haystack[..at].chars().next_back())
            && boundary(haystack[at + needle.len()..].chars().next())
    })
}

fn push_unique(teams: &mut Vec<TeamId>, more: impl IntoIterator<Item = TeamId>) {
    for t in more {
        if !teams.contains(&t) {
            teams.push(t);
        }
    }
}

impl Assistant {
    /// What a question is about (see the module's documentation for the order).
    pub(crate) async fn scope_of(
        &self,
        actor: &Actor,
        question: &str,
        page: Option<&str>,
        earlier_questions: &[String],
    ) -> Scope {
        let mut about = teams_named(actor, question);
        if about.is_empty()
            && let Some(page) = page
        {
            about = self.teams_of_page(actor, page).await;
        }
        if about.is_empty() {
            for q in earlier_questions.iter().rev() {
                about = teams_named(actor, q);
                if !about.is_empty() {
                    break;
                }
            }
        }
        if about.is_empty() && actor.memberships().len() == 1 {
            about = actor.team_ids();
        }
        Scope {
            about,
            read_outside: Vec::new(),
        }
    }

    /// The teams of the page a question was asked on, from its path.
    async fn teams_of_page(&self, actor: &Actor, path: &str) -> Vec<TeamId> {
        let path = path.split(['?', '#']).next().unwrap_or("");
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        match parts.as_slice() {
            ["tasks", id, ..] => self.task_reach(actor, id).await.0,
            ["team", key, ..] => teams_named(actor, key),
            ["docs", id, ..] => match id.parse::<i64>() {
                Ok(id) => self.doc_reach(actor, id).await.0,
                Err(_) => vec![],
            },
            ["projects", id, ..] => self.project_reach(actor, id).await.0,
            _ => vec![],
        }
    }

    /// Why a call must wait for the person's word, if it must; a read widens what the
    /// answer has seen outside its teams.
    pub(crate) async fn needs_word(
        &self,
        actor: &Actor,
        scope: &mut Scope,
        spec: &ToolSpec,
        args: &Value,
    ) -> Option<String> {
        if spec.channels.confirm {
            return Some("it is done only with your confirmation".into());
        }
        let reach = self.reach(actor, spec.name, args).await;
        let teams = reach.teams.unwrap_or_else(|| actor.team_ids());
        let outside: Vec<TeamId> = teams
            .into_iter()
            .filter(|t| !scope.about.contains(t))
            .collect();
        if spec.annotations.read_only {
            push_unique(&mut scope.read_outside, outside);
            return None;
        }
        if let Some(what) = reach.overwrites {
            return Some(format!("it replaces {what}"));
        }
        if !outside.is_empty() {
            return Some(format!(
                "it writes into {}, which your question is not about",
                self.keys(actor, &outside)
            ));
        }
        if !scope.read_outside.is_empty() {
            return Some(format!(
                "this answer read from {}, which your question is not about",
                self.keys(actor, &scope.read_outside)
            ));
        }
        None
    }

    fn keys(&self, actor: &Actor, teams: &[TeamId]) -> String {
        let keys: Vec<&str> = actor
            .memberships()
            .iter()
            .filter(|m| teams.contains(&m.team.id))
            .map(|m| m.team.key.as_str())
            .collect();
        if keys.is_empty() {
            "another team".into()
        } else {
            keys.join(", ")
        }
    }

    /// The teams a call reaches and the long text it would overwrite.
    async fn reach(&self, actor: &Actor, tool: &str, args: &Value) -> Reach {
        let mut teams = Vec::new();
        let mut found = false;
        if let Some(key) = args.get("team").and_then(Value::as_str) {
            found = true;
            push_unique(&mut teams, teams_named_key(actor, key));
        }
        for key in args
            .get("teams")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            found = true;
            push_unique(
                &mut teams,
                teams_named_key(actor, key.as_str().unwrap_or("")),
            );
        }
        if let Some(project) = args.get("project").and_then(Value::as_str) {
            found = true;
            push_unique(&mut teams, self.project_reach(actor, project).await.0);
        }
        let mut current = None;
        let id = args.get("id");
        let (id_teams, text) = match (id_kind(tool), id) {
            (IdKind::Task, Some(Value::String(id))) => self.task_reach(actor, id).await,
            (IdKind::Doc, Some(id)) => match id.as_i64() {
                Some(id) => self.doc_reach(actor, id).await,
                None => (vec![], None),
            },
            (IdKind::Project, Some(Value::String(id))) => self.project_reach(actor, id).await,
            (IdKind::Other, Some(Value::String(id))) if parse_identifier(id).is_some() => {
                self.task_reach(actor, id).await
            }
            _ => (vec![], None),
        };
        let names_a_thing = !matches!(id_kind(tool), IdKind::Other);
        // A task, doc or project the person cannot see: the call will answer "not found"
        // by itself, and nothing is there to overwrite.
        let missing = id.is_some() && names_a_thing && text.is_none();
        if id.is_some() && (!id_teams.is_empty() || names_a_thing) {
            found = true;
            current = text;
        }
        push_unique(&mut teams, id_teams);
        let overwrites = long_text_field(tool).filter(|_| !missing);
        let overwrites = overwrites.and_then(|(field, what, kept)| {
            let new = args.get(field)?.as_str()?;
            // A comment's body is never empty; for the others, filling an empty text or
            // sending the same one replaces nothing.
            let replaced = match &current {
                Some(old) => !old.is_empty() && old.trim() != new.trim(),
                None => true,
            };
            let afterwards = if kept {
                "; the text it replaces is kept under Previous versions"
            } else {
                ", which is not kept"
            };
            replaced.then(|| format!("{what} {}{afterwards}", object_name(tool, args)))
        });
        let teams = if found || reads_no_content(tool) {
            Some(teams)
        } else {
            None
        };
        Reach { teams, overwrites }
    }

    /// A task's team and description; nothing for a task the person cannot see (the call
    /// will answer "not found" itself).
    async fn task_reach(&self, actor: &Actor, id: &str) -> (Vec<TeamId>, Option<String>) {
        let Ok(task_ref) = id.parse::<TaskRef>() else {
            return (vec![], None);
        };
        match self.workspace().task(actor, &task_ref).await {
            Ok(task) => (vec![task.team_id], Some(task.description)),
            Err(_) => (vec![], None),
        }
    }

    async fn doc_reach(&self, actor: &Actor, id: i64) -> (Vec<TeamId>, Option<String>) {
        let Ok(doc) = self.workspace().doc(actor, DocId::new(id)).await else {
            return (vec![], None);
        };
        let teams = match (doc.team_id, doc.project_id) {
            (Some(team), _) => vec![team],
            (None, Some(project)) => self.project_reach(actor, &project.to_string()).await.0,
            (None, None) => vec![],
        };
        (teams, Some(doc.content))
    }

    async fn project_reach(&self, actor: &Actor, id: &str) -> (Vec<TeamId>, Option<String>) {
        match self.workspace().project(actor, id).await {
            Ok(p) => (
                p.teams
                    .iter()
                    .map(|t| t.id)
                    .filter(|t| actor.can_see_team(*t))
                    .collect(),
                Some(p.description),
            ),
            Err(_) => (vec![], None),
        }
    }
}

/// The person's team with this key, if any.
fn teams_named_key(actor: &Actor, key: &str) -> Vec<TeamId> {
    actor
        .memberships()
        .iter()
        .filter(|m| m.team.key.eq_ignore_ascii_case(key.trim()))
        .map(|m| m.team.id)
        .collect()
}

/// How the proposal names the object whose text is replaced.
fn object_name(tool: &str, args: &Value) -> String {
    let id = match args.get("id") {
        Some(Value::String(s)) => orgn_tools::first_line(s),
        Some(v) => v.to_string(),
        None => String::new(),
    };
    match tool {
        "update_doc" => format!("doc {id}"),
        "update_project" => format!("project {id}"),
        "update_comment" => format!("comment {id}"),
        _ => id.to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::contains_words;

    #[test]
    fn names_are_found_as_whole_words() {
        assert!(contains_words("ask engineering about it", "engineering"));
        assert!(contains_words("engineering", "engineering"));
        assert!(!contains_words("reengineering plans", "engineering"));
        assert!(!contains_words("anything", ""));
    }
}
