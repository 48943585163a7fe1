//! The access rule, in one place: an actor sees and changes only what belongs to its own
//! account and to the teams it is a member of. Everything else is "not found".

use crate::changes::Via;
use crate::model::{Membership, Role, TeamId, User, UserId};

/// A signed-in user with their memberships as they are now.
///
/// Only the domain builds one (`Workspace::actor`), fresh for each request, so a removed
/// membership stops giving access at once and no front end can invent access.
#[derive(Debug, Clone)]
pub struct Actor {
    user: User,
    memberships: Vec<Membership>,
    via: Via,
}

impl Actor {
    pub(crate) fn new(user: User, memberships: Vec<Membership>) -> Self {
        Actor {
            user,
            memberships,
            via: Via::web(),
        }
    }
    /// The same actor, acting through another channel (the web app by default). It labels
    /// the changes the actor makes; it grants nothing.
    pub fn acting_via(mut self, via: Via) -> Self {
        self.via = via;
        self
    }
    pub fn via(&self) -> &Via {
        &self.via
    }
    pub fn user(&self) -> &User {
        &self.user
    }
    pub fn id(&self) -> UserId {
        self.user.id
    }
    pub fn is_admin(&self) -> bool {
        self.user.is_admin
    }
    pub fn memberships(&self) -> &[Membership] {
        &self.memberships
    }
    pub fn team_ids(&self) -> Vec<TeamId> {
        self.memberships.iter().map(|m| m.team.id).collect()
    }
    /// The rule itself. Workspace admins manage users and teams but do not read every
    /// team's work: they join a team to see it.
    pub fn can_see_team(&self, team_id: TeamId) -> bool {
        self.memberships.iter().any(|m| m.team.id == team_id)
    }
    /// The rule for a team named by key (a task identifier's `ENG`, kept in a text).
    pub fn can_see_team_key(&self, key: &str) -> bool {
        self.memberships.iter().any(|m| m.team.key == key)
    }
    pub fn can_see_any(&self, team_ids: &[TeamId]) -> bool {
        team_ids.iter().any(|t| self.can_see_team(*t))
    }
    pub fn role_in(&self, team_id: TeamId) -> Option<Role> {
        self.memberships
            .iter()
            .find(|m| m.team.id == team_id)
            .map(|m| m.role)
    }
    pub fn is_team_admin(&self, team_id: TeamId) -> bool {
        self.role_in(team_id) == Some(Role::Admin)
            || (self.is_admin() && self.can_see_team(team_id))
    }
}
