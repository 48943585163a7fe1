//! Users, teams and memberships; passwords, web sessions and personal access tokens.

use time::{Duration, OffsetDateTime};

use super::{Caller, Workspace, required_line};
use crate::access::Actor;
use crate::changes::{Channel, NewChange, ObjectKind, Stamp, Via};
use crate::error::{Error, Result, not_found, unknown_choice};
use crate::model::*;
use crate::secrets;
use crate::store::{NewStatus, NewUser, StoredSession};

/// How long a personal access token lives.
pub const TOKEN_LIFETIME: Duration = Duration::days(30);
/// How long a web session lives.
pub const SESSION_LIFETIME: Duration = Duration::days(14);
/// A web session unused for this long ends, whatever its lifetime left.
pub const SESSION_IDLE_LIMIT: Duration = Duration::days(7);
/// How stale a session's recorded last use may get: one write a minute per session at most.
const SESSION_TOUCH_INTERVAL: Duration = Duration::minutes(1);
/// `whoami` warns when the token has less than this left.
pub const TOKEN_WARNING: Duration = Duration::days(7);

/// A new web session: the id goes into the cookie, the CSRF token into every form.
pub struct NewSession {
    pub id: String,
    pub csrf_token: String,
}

/// Why a bearer token was refused, with the words the client should show its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRejection {
    Missing,
    Malformed,
    /// Never issued, or replaced by a newer one: we cannot and need not tell which.
    Unknown,
    Expired(OffsetDateTime),
}

impl TokenRejection {
    pub fn message(&self) -> String {
        const WHERE: &str = "generate a new token in Settings → MCP Access";
        match self {
            TokenRejection::Missing => {
                format!("an Authorization: Bearer token is required; {WHERE}")
            }
            TokenRejection::Malformed => {
                format!("the token is not an Orgn personal access token; {WHERE}")
            }
            TokenRejection::Unknown => {
                format!("the token is not valid (it may have been replaced); {WHERE}")
            }
            TokenRejection::Expired(at) => {
                format!("the token expired on {}; {WHERE}", rfc3339(*at))
            }
        }
    }
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

const DEFAULT_STATUSES: [(&str, StatusKind, &str); 5] = [
    ("Backlog", StatusKind::Backlog, "#9ca3af"),
    ("Todo", StatusKind::Unstarted, "#6b7280"),
    ("In Progress", StatusKind::Started, "#f59e0b"),
    ("Done", StatusKind::Completed, "#5e6ad2"),
    ("Canceled", StatusKind::Canceled, "#9ca3af"),
];

fn normalize_email(email: &str) -> Result<String> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && (domain.contains('.') || domain == "localhost")
        })
        && !e.contains(char::is_whitespace);
    if valid {
        Ok(e)
    } else {
        Err(Error::Invalid(format!(
            "\"{}\" is not an email address",
            email.trim()
        )))
    }
}

fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < 8 {
        return Err(Error::Invalid(
            "password must have at least 8 characters".into(),
        ));
    }
    Ok(())
}

/// A team key: 1 to 7 upper-case letters or digits, starting with a letter (`ENG`, `DES2`).
pub fn parse_team_key(key: &str) -> Result<String> {
    let k = key.trim().to_ascii_uppercase();
    let ok = (1..=7).contains(&k.len())
        && k.starts_with(|c: char| c.is_ascii_alphabetic())
        && k.chars().all(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(k)
    } else {
        Err(Error::Invalid(format!(
            "team key \"{}\" must be 1 to 7 letters or digits, starting with a letter (like ENG)",
            key.trim()
        )))
    }
}

impl Workspace {
    // --- Users -------------------------------------------------------------------------

    pub async fn create_user(
        &self,
        by: Caller<'_>,
        email: &str,
        name: &str,
        password: &str,
        admin: bool,
    ) -> Result<User> {
        self.create_user_with_handle(by, email, name, password, admin, None)
            .await
    }

    /// `create_user` with the handle for @mentions given (`None`: made from the e-mail).
    pub async fn create_user_with_handle(
        &self,
        by: Caller<'_>,
        email: &str,
        name: &str,
        password: &str,
        admin: bool,
        handle: Option<&str>,
    ) -> Result<User> {
        by.require_admin()?;
        let email = normalize_email(email)?;
        let name = required_line("name", name, 100)?;
        check_password(password)?;
        let handle = self.new_user_handle(&email, handle).await?;
        let hash = self.passwords.hash(password).await?;
        self.store
            .create_user(NewUser {
                email,
                name,
                handle,
                password_hash: hash,
                is_admin: admin,
                now: self.now(),
            })
            .await
    }

    pub async fn has_users(&self) -> Result<bool> {
        Ok(self.store.count_users().await? > 0)
    }

    /// Users the actor works with: everyone in its teams, and itself. Admins see everyone.
    pub async fn users(&self, actor: &Actor) -> Result<Vec<User>> {
        let all = self.store.users().await?;
        if actor.is_admin() {
            return Ok(all);
        }
        let mut visible = vec![actor.user().clone()];
        for team in actor.team_ids() {
            for (user, _) in self.store.team_members(team).await? {
                if !visible.iter().any(|u| u.id == user.id) {
                    visible.push(user);
                }
            }
        }
        visible.sort_by_key(|team| team.name.to_lowercase());
        Ok(visible)
    }

    pub async fn user_by_email(&self, by: Caller<'_>, email: &str) -> Result<User> {
        by.require_admin()?;
        self.store
            .user_by_email(&email.trim().to_lowercase())
            .await?
            .ok_or_else(|| not_found(format!("user {}", email.trim())))
    }

    pub async fn rename_self(&self, actor: &Actor, name: &str) -> Result<()> {
        let name = required_line("name", name, 100)?;
        self.store.set_user_name(actor.id(), &name).await
    }

    /// Turns the web app's single-key shortcuts on or off, for the actor only (WCAG 2.1.4).
    pub async fn set_single_key_shortcuts(&self, actor: &Actor, on: bool) -> Result<()> {
        self.store.set_single_key_shortcuts(actor.id(), on).await
    }

    /// A new password ends the person's other sessions; `session_id` (the one asking) stays.
    pub async fn change_password(
        &self,
        actor: &Actor,
        session_id: &str,
        current: &str,
        new: &str,
    ) -> Result<()> {
        let stored = self
            .store
            .password_hash(actor.id())
            .await?
            .unwrap_or_default();
        if !self.passwords.verify(current, &stored).await? {
            return Err(Error::Invalid("the current password is wrong".into()));
        }
        check_password(new)?;
        self.store
            .set_password_hash(
                actor.id(),
                &self.passwords.hash(new).await?,
                Some(&secrets::digest(session_id)),
            )
            .await
    }

    /// The same answer for an unknown email and a wrong password.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<User> {
        let wrong = || Error::Unauthenticated("email or password is wrong".into());
        let Some(user) = self
            .store
            .user_by_email(&email.trim().to_lowercase())
            .await?
        else {
            // Spend the same time as a real check, so timing does not reveal who has an account.
            self.passwords.verify(password, DUMMY_HASH).await?;
            return Err(wrong());
        };
        let stored = self.store.password_hash(user.id).await?.unwrap_or_default();
        if self.passwords.verify(password, &stored).await? {
            Ok(user)
        } else {
            Err(wrong())
        }
    }

    // --- Teams -------------------------------------------------------------------------

    pub async fn create_team(&self, by: Caller<'_>, key: &str, name: &str) -> Result<Team> {
        by.require_admin()?;
        let key = parse_team_key(key)?;
        let name = required_line("team name", name, 100)?;
        if self.store.team_by_key(&key).await?.is_some() {
            return Err(Error::Conflict(format!(
                "a team with key {key} already exists"
            )));
        }
        let statuses: Vec<NewStatus> = DEFAULT_STATUSES
            .iter()
            .map(|(n, k, c)| NewStatus {
                name: n.to_string(),
                kind: *k,
                color: c.to_string(),
            })
            .collect();
        let team = self
            .store
            .create_team(&key, &name, &statuses, self.now())
            .await?;
        if let Caller::User(actor) = by {
            let change = self.membership_change(by, &team, actor.user(), "added");
            self.store
                .set_membership(team.id, actor.id(), Role::Admin, &change)
                .await?;
        }
        Ok(team)
    }

    /// Every team, for administration. Members use `actor.memberships()`.
    pub async fn all_teams(&self, by: Caller<'_>) -> Result<Vec<Team>> {
        by.require_admin()?;
        self.store.teams().await
    }

    /// A team the actor belongs to, by key. Any other key is "not found", listing the valid ones.
    pub fn visible_team(&self, actor: &Actor, key: &str) -> Result<Team> {
        let wanted = key.trim().to_ascii_uppercase();
        actor
            .memberships()
            .iter()
            .find(|m| m.team.key == wanted)
            .map(|m| m.team.clone())
            .ok_or_else(|| {
                let keys: Vec<&str> = actor
                    .memberships()
                    .iter()
                    .map(|m| m.team.key.as_str())
                    .collect();
                unknown_choice("Team", key.trim(), "", &keys)
            })
    }

    pub async fn team_members(&self, actor: &Actor, key: &str) -> Result<Vec<(User, Role)>> {
        let team = self.visible_team(actor, key)?;
        self.store.team_members(team.id).await
    }

    pub async fn statuses(&self, actor: &Actor, key: &str) -> Result<Vec<Status>> {
        let team = self.visible_team(actor, key)?;
        self.store.statuses(team.id).await
    }

    /// Adds a member or changes their role. Workspace admins and the team's admins may.
    pub async fn add_member(
        &self,
        by: Caller<'_>,
        key: &str,
        email: &str,
        role: Role,
    ) -> Result<()> {
        let (team, user) = self.membership_target(by, key, email).await?;
        let change = self.membership_change(by, &team, &user, "role");
        self.store
            .set_membership(team.id, user.id, role, &change)
            .await
    }

    /// Takes effect at once: the next request of that user no longer sees the team.
    pub async fn remove_member(&self, by: Caller<'_>, key: &str, email: &str) -> Result<()> {
        let (team, user) = self.membership_target(by, key, email).await?;
        let change = self.membership_change(by, &team, &user, "removed");
        if !self
            .store
            .remove_membership(team.id, user.id, &change)
            .await?
        {
            return Err(not_found(format!("{} in team {}", user.email, team.key)));
        }
        Ok(())
    }

    async fn membership_target(
        &self,
        by: Caller<'_>,
        key: &str,
        email: &str,
    ) -> Result<(Team, User)> {
        let key = parse_team_key(key)?;
        let team = match by {
            Caller::User(actor) if !actor.is_admin() => {
                let team = self.visible_team(actor, &key)?;
                if !actor.is_team_admin(team.id) {
                    return Err(Error::Forbidden(format!(
                        "only admins of {key} can manage its members"
                    )));
                }
                team
            }
            _ => self
                .store
                .team_by_key(&key)
                .await?
                .ok_or_else(|| not_found(format!("team {key}")))?,
        };
        let user = self
            .store
            .user_by_email(&email.trim().to_lowercase())
            .await?
            .ok_or_else(|| not_found(format!("user {}", email.trim())))?;
        Ok((team, user))
    }

    // --- Web sessions ------------------------------------------------------------------

    pub async fn start_session(&self, user: &User) -> Result<NewSession> {
        let id = secrets::random_base62(43);
        let csrf_token = secrets::random_base62(43);
        let session = StoredSession {
            user_id: user.id,
            csrf_token: csrf_token.clone(),
            expires_at: self.now() + SESSION_LIFETIME,
            last_used_at: Some(self.now()),
        };
        self.store
            .create_session(&secrets::digest(&id), &session)
            .await?;
        Ok(NewSession { id, csrf_token })
    }

    /// The actor behind a session cookie, and the session's CSRF token. A session past its
    /// lifetime or unused for `SESSION_IDLE_LIMIT` is refused; a used one records its use.
    pub async fn session_actor(&self, session_id: &str) -> Result<(Actor, String)> {
        let expired = || Error::Unauthenticated("please sign in".into());
        let digest = secrets::digest(session_id);
        let session = self.store.session(&digest).await?.ok_or_else(expired)?;
        let now = self.now();
        // Not recorded: counted from the session's start.
        let last_used = session
            .last_used_at
            .unwrap_or(session.expires_at - SESSION_LIFETIME);
        if session.expires_at <= now || now - last_used >= SESSION_IDLE_LIMIT {
            self.store.delete_session(&digest).await?;
            return Err(expired());
        }
        if now - last_used >= SESSION_TOUCH_INTERVAL {
            self.store.touch_session(&digest, now).await?;
        }
        Ok((self.actor(session.user_id).await?, session.csrf_token))
    }

    pub async fn end_session(&self, session_id: &str) -> Result<()> {
        self.store
            .delete_session(&secrets::digest(session_id))
            .await
    }

    // --- Personal access tokens --------------------------------------------------------

    /// A new token for the actor, replacing the previous one at once. The returned token is
    /// the only copy there will ever be.
    pub async fn generate_token(&self, actor: &Actor) -> Result<(String, TokenInfo)> {
        let token = secrets::new_token();
        let now = self.now();
        let info = TokenInfo {
            hint: secrets::token_hint(&token),
            created_at: now,
            expires_at: now + TOKEN_LIFETIME,
            last_used_at: None,
            client_name: None,
        };
        self.store
            .replace_token(actor.id(), &secrets::digest(&token), &info)
            .await?;
        Ok((token, info))
    }

    pub async fn token_info(&self, actor: &Actor) -> Result<Option<TokenInfo>> {
        self.store.token_info(actor.id()).await
    }

    /// The actor a bearer token stands for. A malformed token is refused before any lookup.
    pub async fn authenticate_token(
        &self,
        token: &str,
    ) -> Result<Result<(Actor, TokenInfo), TokenRejection>> {
        if !secrets::token_well_formed(token) {
            return Ok(Err(TokenRejection::Malformed));
        }
        let digest = secrets::digest(token);
        // A token whose user is gone is as unknown as one never issued.
        let Some((stored, user, memberships)) = self.store.token_holder(&digest).await? else {
            return Ok(Err(TokenRejection::Unknown));
        };
        let now = self.now();
        if stored.info.expires_at <= now {
            return Ok(Err(TokenRejection::Expired(stored.info.expires_at)));
        }
        // Last use is shown to the minute; writing it on every call would make each read a write.
        if stored
            .info
            .last_used_at
            .is_none_or(|t| now - t >= Duration::minutes(1))
        {
            self.store.touch_token(&digest, now).await?;
        }
        let actor =
            Actor::new(user, memberships).acting_via(Via::mcp(stored.info.client_name.as_deref()));
        Ok(Ok((
            actor,
            TokenInfo {
                last_used_at: Some(now),
                ..stored.info
            },
        )))
    }

    /// Remembers the name an MCP client gave at `initialize` (its `clientInfo.name`), so
    /// that the changes made with the token say "via Claude Desktop". Written only when it
    /// differs from the one kept.
    pub async fn note_mcp_client(
        &self,
        actor: &Actor,
        token: &TokenInfo,
        name: &str,
    ) -> Result<()> {
        let Some(name) = crate::changes::clean_client_name(name) else {
            return Ok(());
        };
        if token.client_name.as_deref() == Some(name.as_str()) {
            return Ok(());
        }
        self.store.set_token_client(actor.id(), &name).await
    }

    pub async fn record_tool_call(
        &self,
        actor: &Actor,
        tool: &str,
        target: Option<String>,
        ok: bool,
    ) -> Result<()> {
        let record = ToolCallRecord {
            tool: tool.to_string(),
            target,
            ok,
            at: self.now(),
            client: actor.via().client.clone(),
        };
        self.store.record_tool_call(actor.id(), &record).await
    }

    pub async fn recent_tool_calls(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<ToolCallRecord>> {
        self.store
            .recent_tool_calls(actor.id(), limit.clamp(1, 100))
            .await
    }
}

/// An argon2id hash of a random password, checked against when the email is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0nJ8uLsS6rW8Mg7Yw7kqv1Kx3m1eQ6m0f8vZ3yQm4rE";

impl Workspace {
    /// A change to a team's members. Its object is the member, so that a live stream of that
    /// member's sees it and reloads the member's teams at once.
    fn membership_change(
        &self,
        by: Caller<'_>,
        team: &Team,
        member: &User,
        field: &str,
    ) -> NewChange {
        let (actor, via) = match by {
            Caller::User(actor) => (actor.id(), actor.via().clone()),
            Caller::Operator => (UserId::new(0), Via::of(Channel::Cli)),
        };
        NewChange {
            kind: ObjectKind::Membership,
            object_id: member.id.get(),
            teams: vec![team.id],
            subject: member.email.clone(),
            fields: vec![field.to_string()],
            topics: vec![format!("team-{}", team.id)],
            stamp: Stamp {
                actor,
                via,
                at: self.now(),
            },
            inbox: Default::default(),
        }
    }
}
