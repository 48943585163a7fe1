//! Comments and docs.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::changes::NewChange;
use crate::cursor::SeekKey;
use crate::error::Result;
use crate::model::*;

#[derive(Debug, Clone)]
pub struct NewDoc {
    pub team_id: Option<TeamId>,
    pub project_id: Option<ProjectId>,
    pub title: String,
    pub content: String,
    pub creator_id: UserId,
    pub now: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct DocQuery {
    pub teams: Vec<TeamId>,
    pub projects: Vec<ProjectId>,
    pub text: Option<String>,
    pub after: Option<SeekKey>,
    pub limit: usize,
}

#[async_trait]
pub trait Content: Send + Sync {
    async fn create_comment(
        &self,
        task: TaskId,
        author: UserId,
        body: &str,
        change: &NewChange,
    ) -> Result<CommentId>;
    async fn comment(&self, id: CommentId) -> Result<Option<Comment>>;
    async fn comments(&self, task: TaskId) -> Result<Vec<Comment>>;
    async fn update_comment(&self, id: CommentId, body: &str, change: &NewChange) -> Result<()>;
    /// The change's `object_id` is replaced by the new doc's id.
    async fn create_doc(&self, doc: NewDoc, change: &NewChange) -> Result<DocId>;
    async fn doc(&self, id: DocId) -> Result<Option<Doc>>;
    async fn update_doc(
        &self,
        id: DocId,
        title: Option<&str>,
        content: Option<&str>,
        change: &NewChange,
    ) -> Result<()>;
    async fn delete_doc(&self, id: DocId, change: &NewChange) -> Result<()>;
    async fn search_docs(&self, query: &DocQuery) -> Result<Vec<(Doc, SeekKey)>>;
}
