//! The Trash: deleted tasks and docs stay restorable for 30 days, then a sweep purges them.
//! A team admin may purge earlier.

use time::Duration;

use super::Workspace;
use super::refs::TaskRef;
use crate::access::Actor;
use crate::changes::{ObjectKind, task_topics};
use crate::error::{Error, Result, not_found};
use crate::model::*;

pub const TRASH_RETENTION: Duration = Duration::days(30);

impl Workspace {
    /// The Trash of one team (or of all the actor's teams).
    pub async fn trash(&self, actor: &Actor, team: Option<&str>) -> Result<Vec<TrashItem>> {
        let teams = match team.filter(|t| !t.trim().is_empty()) {
            Some(key) => vec![self.visible_team(actor, key)?.id],
            None => actor.team_ids(),
        };
        self.store.trash(&teams).await
    }

    async fn deleted_task(&self, actor: &Actor, id: &TaskRef) -> Result<(TaskId, TeamId)> {
        let missing = || not_found(format!("Deleted task {id}"));
        let team = actor
            .memberships()
            .iter()
            .find(|m| m.team.key == id.key())
            .ok_or_else(missing)?;
        let task = self
            .store
            .deleted_task_id(team.team.id, id.number())
            .await?
            .ok_or_else(missing)?;
        Ok((task, team.team.id))
    }

    /// A deleted doc the actor could see, with the teams that own it.
    async fn deleted_doc_teams(&self, actor: &Actor, id: DocId) -> Result<Vec<TeamId>> {
        let missing = || not_found(format!("Deleted doc {id}"));
        let item = self.store.deleted_doc(id).await?.ok_or_else(missing)?;
        let teams = match (item.team_id, item.project_id) {
            (Some(team), _) => vec![team],
            (None, Some(project)) => self
                .store
                .project(project)
                .await?
                .map(|p| p.teams.iter().map(|t| t.id).collect())
                .unwrap_or_default(),
            (None, None) => vec![],
        };
        if actor.can_see_any(&teams) {
            Ok(teams)
        } else {
            Err(missing())
        }
    }

    /// Brings a task back, with its comments, labels and history, under the same identifier.
    pub async fn restore_task(&self, actor: &Actor, id: &TaskRef) -> Result<Task> {
        let (task, team) = self.deleted_task(actor, id).await?;
        // Sub-tasks that went to the Trash with it come back with it (found before the
        // restore, which clears the time they share).
        let together = self.deleted_together(task).await?;
        let topics = task_topics(team, task, None, None);
        let change = self.change(
            actor,
            ObjectKind::Task,
            task.get(),
            vec![team],
            &id.to_string(),
            &["restored"],
            topics,
        );
        self.store.restore_task(task, &change).await?;
        for child in together {
            let mut change = change.clone();
            change.object_id = child.id.get();
            change.subject = child.identifier;
            change.topics = task_topics(team, child.id, None, None);
            self.store.restore_task(child.id, &change).await?;
        }
        self.store
            .task(task)
            .await?
            .ok_or_else(|| not_found(format!("Task {id}")))
    }

    pub async fn restore_doc(&self, actor: &Actor, id: DocId) -> Result<Doc> {
        let teams = self.deleted_doc_teams(actor, id).await?;
        let topics = teams.iter().map(|t| format!("team-{t}")).collect();
        let change = self.change(
            actor,
            ObjectKind::Doc,
            id.get(),
            teams,
            &format!("doc {id}"),
            &["restored"],
            topics,
        );
        self.store.restore_doc(id, &change).await?;
        self.doc(actor, id).await
    }

    /// Deletes for good, before the 30 days are over. Team admins only.
    pub async fn purge_task(&self, actor: &Actor, id: &TaskRef) -> Result<()> {
        let (task, team) = self.deleted_task(actor, id).await?;
        if !actor.is_team_admin(team) {
            return Err(Error::Forbidden(
                "only team admins can empty the Trash early".into(),
            ));
        }
        self.store.purge_task(task).await
    }

    pub async fn purge_doc(&self, actor: &Actor, id: DocId) -> Result<()> {
        let teams = self.deleted_doc_teams(actor, id).await?;
        if !teams.iter().any(|t| actor.is_team_admin(*t)) {
            return Err(Error::Forbidden(
                "only team admins can empty the Trash early".into(),
            ));
        }
        self.store.purge_doc(id).await
    }

    /// Purges what has been in the Trash for longer than 30 days. Run by the server's sweeper.
    pub async fn sweep_trash(&self) -> Result<u64> {
        self.store
            .purge_deleted_before(self.now() - TRASH_RETENTION)
            .await
    }
}
