//! Comments on tasks, and docs.

use super::TaskRef;
use super::{MAX_BODY, MAX_TITLE, Workspace, bounded_text, required_line, required_text};
use crate::access::Actor;
use crate::changes::{NewChange, ObjectKind};
use crate::cursor::{self, Page};
use crate::error::{Error, Result, not_found};
use crate::model::*;
use crate::store::{DocQuery, NewDoc};

/// A new doc: for a team (key) or for a project (name or id), not both.
#[derive(Debug, Clone, Default)]
pub struct DocDraft {
    pub team: Option<String>,
    pub project: Option<String>,
    pub title: String,
    pub content: String,
}

#[derive(Debug, Clone, Default)]
pub struct DocFilter {
    pub query: Option<String>,
    pub team: Option<String>,
    pub project: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

impl Workspace {
    // --- Comments ----------------------------------------------------------------------

    pub async fn comments(&self, actor: &Actor, task: &TaskRef) -> Result<Vec<Comment>> {
        let task = self.visible_task(actor, task).await?;
        self.store.comments(task.id).await
    }

    pub async fn create_comment(
        &self,
        actor: &Actor,
        task: &TaskRef,
        body: &str,
    ) -> Result<Comment> {
        let task = self.visible_task(actor, task).await?;
        let body = required_text("body", body, MAX_BODY)?;
        let mut change = NewChange::task(&task, vec!["comment".into()], self.stamp(actor));
        change.inbox = self.inbox_for_comment(actor, &task, &body).await?;
        let id = self
            .store
            .create_comment(task.id, actor.id(), &body, &change)
            .await?;
        self.store
            .comment(id)
            .await?
            .ok_or_else(|| Error::Internal("comment vanished after insert".into()))
    }

    /// Only the author edits a comment. With `based_on`, an edit of a comment changed since
    /// that version (from another tab or by an agent acting as the author) is refused.
    pub async fn update_comment(
        &self,
        actor: &Actor,
        comment_id: CommentId,
        body: &str,
        based_on: Option<i64>,
    ) -> Result<Comment> {
        let missing = || not_found(format!("Comment {comment_id}"));
        let comment = self.store.comment(comment_id).await?.ok_or_else(missing)?;
        let task = self
            .store
            .task(comment.task_id)
            .await?
            .ok_or_else(missing)?;
        if !actor.can_see_team(task.team_id) {
            return Err(missing());
        }
        if comment.author.id != actor.id() {
            return Err(Error::Forbidden(
                "you can only edit your own comments".into(),
            ));
        }
        let body = required_text("body", body, MAX_BODY)?;
        if let Some(based_on) = based_on {
            let versions = (based_on, comment.version);
            let current = |_: &str| quoted_start(&comment.body);
            self.refuse_conflicts(
                actor,
                ObjectKind::Comment,
                comment.id.get(),
                versions,
                &["body"],
                current,
            )
            .await?;
        }
        let mut change = self.change(
            actor,
            ObjectKind::Comment,
            comment.id.get(),
            vec![task.team_id],
            &task.identifier(),
            &["body"],
            vec![format!("task-{}", task.id)],
        );
        change.inbox = self
            .inbox_for_comment_edit(actor, &task, &body, &comment.body)
            .await?;
        self.store
            .update_comment(comment.id, &body, &change)
            .await?;
        self.store.comment(comment.id).await?.ok_or_else(missing)
    }

    // --- Docs --------------------------------------------------------------------------

    /// A doc the actor may see: its team's, or a visible project's.
    pub async fn doc(&self, actor: &Actor, id: DocId) -> Result<Doc> {
        let missing = || not_found(format!("Doc {id}"));
        let doc = self.store.doc(id).await?.ok_or_else(missing)?;
        let visible = match (doc.team_id, doc.project_id) {
            (Some(team), _) => actor.can_see_team(team),
            (None, Some(project)) => match self.store.project(project).await? {
                Some(p) => actor.can_see_any(&p.teams.iter().map(|t| t.id).collect::<Vec<_>>()),
                None => false,
            },
            (None, None) => false,
        };
        if visible { Ok(doc) } else { Err(missing()) }
    }

    pub async fn create_doc(&self, actor: &Actor, draft: DocDraft) -> Result<Doc> {
        let title = required_line("title", &draft.title, MAX_TITLE)?;
        let content = bounded_text("content", &draft.content, MAX_BODY)?;
        let team = draft.team.as_deref().filter(|t| !t.trim().is_empty());
        let project = draft.project.as_deref().filter(|p| !p.trim().is_empty());
        let (team_id, project_id) = match (team, project) {
            (Some(key), None) => (Some(self.visible_team(actor, key)?.id), None),
            (None, Some(p)) => (None, Some(self.visible_project(actor, p).await?.id)),
            _ => {
                return Err(Error::Invalid(
                    "a doc belongs to a team or to a project: give exactly one".into(),
                ));
            }
        };
        let (teams, topics) = self.doc_audience(team_id, project_id).await?;
        let change = self.change(
            actor,
            ObjectKind::Doc,
            0,
            teams,
            &title,
            &["created"],
            topics,
        );
        let id = self
            .store
            .create_doc(
                NewDoc {
                    team_id,
                    project_id,
                    title,
                    content,
                    creator_id: actor.id(),
                    now: self.now(),
                },
                &change,
            )
            .await?;
        self.store
            .doc(id)
            .await?
            .ok_or_else(|| Error::Internal("doc vanished after insert".into()))
    }

    pub async fn update_doc(
        &self,
        actor: &Actor,
        id: DocId,
        title: Option<&str>,
        content: Option<&str>,
        based_on: Option<i64>,
    ) -> Result<Doc> {
        let doc = self.doc(actor, id).await?;
        let title = title
            .map(|t| required_line("title", t, MAX_TITLE))
            .transpose()?;
        let content = content
            .map(|c| bounded_text("content", c, MAX_BODY))
            .transpose()?;
        let mut fields = Vec::new();
        if title.as_ref().is_some_and(|t| *t != doc.title) {
            fields.push("title");
        }
        if content.as_ref().is_some_and(|c| *c != doc.content) {
            fields.push("content");
        }
        if fields.is_empty() {
            return Ok(doc);
        }
        if let Some(based_on) = based_on {
            let current = |f: &str| match f {
                "title" => format!("\"{}\"", doc.title),
                _ => quoted_start(&doc.content),
            };
            self.refuse_conflicts(
                actor,
                ObjectKind::Doc,
                doc.id.get(),
                (based_on, doc.version),
                &fields,
                current,
            )
            .await?;
        }
        let (teams, mut topics) = self.doc_audience(doc.team_id, doc.project_id).await?;
        topics.push(format!("doc-{}", doc.id));
        let change = self.change(
            actor,
            ObjectKind::Doc,
            doc.id.get(),
            teams,
            &doc.title,
            &fields,
            topics,
        );
        self.store
            .update_doc(doc.id, title.as_deref(), content.as_deref(), &change)
            .await?;
        self.doc(actor, id).await
    }

    /// Moves a doc to the Trash. Web only: not offered over MCP.
    pub async fn delete_doc(&self, actor: &Actor, id: DocId) -> Result<()> {
        let doc = self.doc(actor, id).await?;
        let (teams, mut topics) = self.doc_audience(doc.team_id, doc.project_id).await?;
        topics.push(format!("doc-{}", doc.id));
        let change = self.change(
            actor,
            ObjectKind::Doc,
            doc.id.get(),
            teams,
            &doc.title,
            &["deleted"],
            topics,
        );
        self.store.delete_doc(doc.id, &change).await?;
        self.store
            .set_deleted_by(TrashKind::Doc, doc.id.get(), actor.id())
            .await
    }

    pub async fn search_docs(&self, actor: &Actor, filter: DocFilter) -> Result<Page<Doc>> {
        let (limit, after) = cursor::page_request(filter.limit, filter.cursor.as_deref())?;
        let (teams, projects) = match (
            filter.team.as_deref().filter(|t| !t.trim().is_empty()),
            filter.project.as_deref().filter(|p| !p.trim().is_empty()),
        ) {
            (Some(key), _) => (vec![self.visible_team(actor, key)?.id], vec![]),
            (None, Some(p)) => (vec![], vec![self.visible_project(actor, p).await?.id]),
            (None, None) => (
                actor.team_ids(),
                self.projects(actor).await?.iter().map(|p| p.id).collect(),
            ),
        };
        if teams.is_empty() && projects.is_empty() {
            return Ok(Page {
                items: vec![],
                next_cursor: None,
            });
        }
        let text = filter
            .query
            .map(|q| q.trim().to_string())
            .filter(|q| !q.is_empty());
        if let Some(t) = &text {
            bounded_text("query", t, 500)?;
        }
        let hits = self
            .store
            .search_docs(&DocQuery {
                teams,
                projects,
                text,
                after,
                limit: limit + 1,
            })
            .await?;
        Ok(cursor::page_from(hits, limit))
    }
}

/// The start of a long text, quoted, as a conflict message shows it.
fn quoted_start(text: &str) -> String {
    let start: String = text.chars().take(60).collect();
    if start.len() < text.len() {
        format!("\"{}…\"", start.trim_end())
    } else {
        format!("\"{start}\"")
    }
}

impl Workspace {
    /// Who may see a doc's changes, and the pages they concern: its team's, or its
    /// project's teams and page.
    async fn doc_audience(
        &self,
        team: Option<TeamId>,
        project: Option<ProjectId>,
    ) -> Result<(Vec<TeamId>, Vec<String>)> {
        match (team, project) {
            (Some(team), _) => Ok((vec![team], vec![format!("team-{team}")])),
            (None, Some(project)) => {
                let teams = match self.store.project(project).await? {
                    Some(p) => p.teams.iter().map(|t| t.id).collect(),
                    None => Vec::new(),
                };
                Ok((teams, vec![format!("project-{project}")]))
            }
            (None, None) => Ok((Vec::new(), Vec::new())),
        }
    }
}
