//! What the domain needs from storage: the port that a storage backend implements.
//!
//! The store knows nothing of actors. The domain decides what an actor may see and passes
//! the result down as plain filters (`teams`), so the access rule lives in one place.
//! Every method that writes more than one row does it in one transaction.
//!
//! The port is split by area, as the domain's services are: each area is a trait of its
//! own, and `Store` is their union, so that `Arc<dyn Store>` serves every service.

mod accounts;
mod activity;
mod assistant_usage;
mod content;
mod conversations;
mod counts;
mod credentials;
mod feed;
mod graph;
mod inbox;
mod jobs;
mod oauth;
mod planning;
mod revisions;
mod tasks;
mod throttle;
mod trash;

pub use accounts::*;
pub use activity::*;
pub use assistant_usage::*;
pub use content::*;
pub use conversations::*;
pub use counts::*;
pub use credentials::*;
pub use feed::*;
pub use graph::*;
pub use inbox::*;
pub use jobs::*;
pub use oauth::*;
pub use planning::*;
pub use revisions::*;
pub use tasks::*;
pub use throttle::*;
pub use trash::*;

use async_trait::async_trait;

/// Everything a storage backend provides.
#[async_trait]
pub trait Store:
    Accounts
    + Credentials
    + Tasks
    + Planning
    + Content
    + Trash
    + Jobs
    + Conversations
    + Activity
    + Feed
    + Inbox
    + TaskCounts
    + OAuth
    + Throttle
    + Revisions
    + AssistantUsage
    + Graph
    + 'static
{
    /// Finishes pending writes and closes connections; the store is unusable afterwards.
    async fn close(&self) {}
}
