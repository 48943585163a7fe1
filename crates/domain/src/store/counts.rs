//! Counting tasks: how many match a search, per status, however many there are (a list or
//! a board shows every status group's true size and loads its tasks page by page).

use async_trait::async_trait;

use super::TaskQuery;
use crate::error::Result;
use crate::model::StatusId;

#[async_trait]
pub trait TaskCounts: Send + Sync {
    /// The live tasks matching `query` (its `after` and `limit` ignored), counted per
    /// status; statuses with none are left out.
    async fn count_tasks_by_status(&self, query: &TaskQuery) -> Result<Vec<(StatusId, i64)>>;
}
