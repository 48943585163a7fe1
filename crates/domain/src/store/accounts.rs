//! Users, teams, memberships and workflow statuses.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::changes::NewChange;
use crate::error::Result;
use crate::model::*;

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    /// Checked and free (`Workspace::free_handle`); the unique index has the last word.
    pub handle: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub now: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewStatus {
    pub name: String,
    pub kind: StatusKind,
    pub color: String,
}

#[async_trait]
pub trait Accounts: Send + Sync {
    async fn create_user(&self, user: NewUser) -> Result<User>;
    async fn user(&self, id: UserId) -> Result<Option<User>>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    async fn users(&self) -> Result<Vec<User>>;
    async fn count_users(&self) -> Result<i64>;
    async fn password_hash(&self, id: UserId) -> Result<Option<String>>;
    /// Sets the password and ends every session of the user but `keep` (a session digest),
    /// in one transaction: whoever knew the old password is signed out.
    async fn set_password_hash(&self, id: UserId, hash: &str, keep: Option<&str>) -> Result<()>;
    async fn set_user_name(&self, id: UserId, name: &str) -> Result<()>;
    async fn user_by_handle(&self, handle: &str) -> Result<Option<User>>;
    /// `Error::Conflict` when another user has it.
    async fn set_user_handle(&self, id: UserId, handle: &str) -> Result<()>;
    async fn set_single_key_shortcuts(&self, id: UserId, on: bool) -> Result<()>;
    /// Creates the team with its workflow statuses, in order.
    async fn create_team(
        &self,
        key: &str,
        name: &str,
        statuses: &[NewStatus],
        now: OffsetDateTime,
    ) -> Result<Team>;
    async fn team(&self, id: TeamId) -> Result<Option<Team>>;
    async fn team_by_key(&self, key: &str) -> Result<Option<Team>>;
    async fn teams(&self) -> Result<Vec<Team>>;
    async fn memberships(&self, user: UserId) -> Result<Vec<Membership>>;
    /// A user with their memberships, as every request needs them. A backend may answer it
    /// in one query.
    async fn user_with_memberships(&self, user: UserId) -> Result<Option<(User, Vec<Membership>)>> {
        match self.user(user).await? {
            Some(u) => Ok(Some((u, self.memberships(user).await?))),
            None => Ok(None),
        }
    }
    async fn team_members(&self, team: TeamId) -> Result<Vec<(User, Role)>>;
    async fn set_membership(
        &self,
        team: TeamId,
        user: UserId,
        role: Role,
        change: &NewChange,
    ) -> Result<()>;
    /// False when there was no such membership.
    async fn remove_membership(
        &self,
        team: TeamId,
        user: UserId,
        change: &NewChange,
    ) -> Result<bool>;
    async fn statuses(&self, team: TeamId) -> Result<Vec<Status>>;
}
