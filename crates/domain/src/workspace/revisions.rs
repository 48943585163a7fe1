//! Previous versions of a doc's content and a task's description: whoever may see the
//! object may read them and put one back. Restoring is an ordinary edit, so the text it
//! replaces is kept in turn, and the change is in the feed and the task's history.

use super::tasks::TaskPatch;
use super::{TaskRef, Workspace};
use crate::access::Actor;
use crate::error::{Result, not_found};
use crate::model::{Doc, DocId, Task};
use crate::store::{Revision, RevisionOf};

impl Workspace {
    /// The kept versions of a doc the actor may see, newest first.
    pub async fn doc_revisions(&self, actor: &Actor, id: DocId) -> Result<Vec<Revision>> {
        let doc = self.doc(actor, id).await?;
        self.store.revisions(RevisionOf::Doc, doc.id.get()).await
    }

    /// The kept versions of a task's description, newest first.
    pub async fn task_revisions(&self, actor: &Actor, id: &TaskRef) -> Result<Vec<Revision>> {
        let task = self.visible_task(actor, id).await?;
        self.store.revisions(RevisionOf::Task, task.id.get()).await
    }

    /// Puts a kept version of a doc's content back.
    pub async fn restore_doc_revision(
        &self,
        actor: &Actor,
        id: DocId,
        revision: i64,
    ) -> Result<Doc> {
        let kept = self.doc_revisions(actor, id).await?;
        let body = find(&kept, revision)?;
        self.update_doc(actor, id, None, Some(body), None).await
    }

    /// Puts a kept version of a task's description back.
    pub async fn restore_task_revision(
        &self,
        actor: &Actor,
        id: &TaskRef,
        revision: i64,
    ) -> Result<Task> {
        let kept = self.task_revisions(actor, id).await?;
        let body = find(&kept, revision)?.to_string();
        let patch = TaskPatch {
            description: Some(body),
            ..TaskPatch::default()
        };
        self.update_task(actor, id, patch).await
    }
}

fn find(kept: &[Revision], revision: i64) -> Result<&str> {
    kept.iter()
        .find(|r| r.id == revision)
        .map(|r| r.body.as_str())
        .ok_or_else(|| not_found(format!("Version {revision}")))
}
