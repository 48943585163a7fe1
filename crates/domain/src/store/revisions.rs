//! Previous versions of long text (a doc's content, a task's description), kept by the
//! store in the transaction of each overwrite (`storage/src/sql/revisions.rs`).

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::Result;
use crate::changes::Via;
use crate::model::UserId;

/// How many previous versions are kept per object; older ones go as new ones come.
pub const KEPT_REVISIONS: i64 = 20;

/// What kind of object a revision is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevisionOf {
    /// A doc's content.
    Doc,
    /// A task's description.
    Task,
}

impl RevisionOf {
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionOf::Doc => "doc",
            RevisionOf::Task => "task",
        }
    }
}

/// One previous version: the text as it was before `replaced_at`, when `replaced_by`
/// overwrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub id: i64,
    pub object_id: i64,
    pub title: String,
    pub body: String,
    pub replaced_by: UserId,
    pub replaced_by_name: String,
    pub replaced_at: OffsetDateTime,
    pub via: Via,
}

#[async_trait]
pub trait Revisions: Send + Sync {
    /// The kept versions of one object, newest first.
    async fn revisions(&self, of: RevisionOf, object_id: i64) -> Result<Vec<Revision>>;
}
