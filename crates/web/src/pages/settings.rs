//! Settings: the profile of the signed-in user, and members and teams for admins.

use askama::Template;
use axum::extract::{Query, State};
use orgn_domain::model::{Role, Team};
use orgn_domain::{Caller, Workspace};
use serde::Deserialize;

use super::{bad_request, client_message, render, see};
use crate::AppState;
use crate::error::{WebError, WebResult};
use crate::session::{Me, Posted};
use crate::view::Chrome;

pub async fn index(me: Me) -> WebResult {
    let _ = me;
    see("/settings/profile")
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    chrome: Chrome,
    name: String,
    email: String,
    handle: String,
    notice: Option<String>,
}

fn profile_page(me: &Me, notice: Option<String>, error: Option<String>) -> WebResult {
    let u = me.actor.user();
    render(ProfilePage {
        chrome: Chrome::new(me, "Profile", "settings:profile").with_error(error),
        name: u.name.clone(),
        email: u.email.clone(),
        handle: u.handle.clone(),
        notice,
    })
}

pub async fn profile(me: Me, Query(q): Query<SavedQuery>) -> WebResult {
    let notice = match q.saved.as_deref() {
        Some("name") => Some("Your name was saved.".to_string()),
        Some("handle") => Some("Your handle was saved.".to_string()),
        Some("password") => Some("Your password was changed.".to_string()),
        Some("shortcuts") => Some("Your keyboard shortcuts were saved.".to_string()),
        _ => None,
    };
    profile_page(&me, notice, None)
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

pub async fn rename(State(state): State<AppState>, posted: Posted<NameForm>) -> WebResult {
    match client_message(
        state
            .workspace
            .rename_self(&posted.me.actor, &posted.form.name)
            .await,
    )? {
        Ok(()) => see("/settings/profile?saved=name"),
        Err(msg) => bad_request(profile_page(&posted.me, None, Some(msg))),
    }
}

#[derive(Deserialize)]
pub struct HandleForm {
    #[serde(default)]
    handle: String,
}

/// The handle others mention you by (`@dee`).
pub async fn set_handle(State(state): State<AppState>, posted: Posted<HandleForm>) -> WebResult {
    match client_message(
        state
            .workspace
            .set_handle(&posted.me.actor, &posted.form.handle)
            .await,
    )? {
        Ok(_) => see("/settings/profile?saved=handle"),
        Err(msg) => bad_request(profile_page(&posted.me, None, Some(msg))),
    }
}

/// The shortcuts form: the checkbox is absent from the form when unticked.
#[derive(Deserialize)]
pub struct ShortcutsForm {
    single_key_shortcuts: Option<String>,
}

pub async fn set_shortcuts(
    State(state): State<AppState>,
    posted: Posted<ShortcutsForm>,
) -> WebResult {
    let on = posted.form.single_key_shortcuts.is_some();
    state
        .workspace
        .set_single_key_shortcuts(&posted.me.actor, on)
        .await?;
    see("/settings/profile?saved=shortcuts")
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    posted: Posted<PasswordForm>,
) -> WebResult {
    let f = &posted.form;
    if f.new != f.confirm {
        return bad_request(profile_page(
            &posted.me,
            None,
            Some("the new password and its confirmation differ".into()),
        ));
    }
    match client_message(
        state
            .workspace
            .change_password(&posted.me.actor, &posted.me.session_id, &f.current, &f.new)
            .await,
    )? {
        Ok(()) => see("/settings/profile?saved=password"),
        Err(msg) => bad_request(profile_page(&posted.me, None, Some(msg))),
    }
}

// --- Members and teams (workspace admins) ----------------------------------------------------

pub struct UserView {
    pub name: String,
    pub email: String,
    pub handle: String,
    pub admin: bool,
}

pub struct MemberView {
    pub name: String,
    pub email: String,
    pub role: String,
}

pub struct TeamView {
    pub team: Team,
    pub members: Vec<MemberView>,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    chrome: Chrome,
    users: Vec<UserView>,
    teams: Vec<TeamView>,
}

fn require_admin(me: &Me) -> Result<(), WebError> {
    if me.actor.is_admin() {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "Only workspace admins manage members and teams.".into(),
        ))
    }
}

async fn members_page(ws: &Workspace, me: &Me, error: Option<String>) -> WebResult {
    require_admin(me)?;
    let users = ws.users(&me.actor).await?;
    let mut teams = Vec::new();
    for team in ws.all_teams(Caller::User(&me.actor)).await? {
        // Members are listed for the teams the admin is in: the access rule holds for admins too.
        let members = if me.actor.can_see_team(team.id) {
            ws.team_members(&me.actor, &team.key).await?
        } else {
            vec![]
        };
        teams.push(TeamView {
            members: members
                .into_iter()
                .map(|(u, r)| MemberView {
                    name: u.name,
                    email: u.email,
                    role: r.as_str().into(),
                })
                .collect(),
            team,
        });
    }
    render(MembersPage {
        chrome: Chrome::new(me, "Members & Teams", "settings:members").with_error(error),
        users: users
            .into_iter()
            .map(|u| UserView {
                name: u.name,
                email: u.email,
                handle: u.handle,
                admin: u.is_admin,
            })
            .collect(),
        teams,
    })
}

pub async fn members(State(state): State<AppState>, me: Me) -> WebResult {
    members_page(&state.workspace, &me, None).await
}

#[derive(Deserialize)]
pub struct UserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    admin: Option<String>,
    /// Empty: made from the e-mail.
    #[serde(default)]
    handle: String,
}

pub async fn create_user(State(state): State<AppState>, posted: Posted<UserForm>) -> WebResult {
    require_admin(&posted.me)?;
    let ws = &state.workspace;
    let f = &posted.form;
    let handle = Some(f.handle.trim()).filter(|h| !h.is_empty());
    let result = ws
        .create_user_with_handle(
            Caller::User(&posted.me.actor),
            &f.email,
            &f.name,
            &f.password,
            f.admin.is_some(),
            handle,
        )
        .await;
    match client_message(result)? {
        Ok(_) => see("/settings/members"),
        Err(msg) => bad_request(members_page(ws, &posted.me, Some(msg)).await),
    }
}

#[derive(Deserialize)]
pub struct TeamForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    name: String,
}

pub async fn create_team(State(state): State<AppState>, posted: Posted<TeamForm>) -> WebResult {
    require_admin(&posted.me)?;
    let ws = &state.workspace;
    let result = ws
        .create_team(
            Caller::User(&posted.me.actor),
            &posted.form.key,
            &posted.form.name,
        )
        .await;
    match client_message(result)? {
        Ok(_) => see("/settings/members"),
        Err(msg) => bad_request(members_page(ws, &posted.me, Some(msg)).await),
    }
}

#[derive(Deserialize)]
pub struct MembershipForm {
    #[serde(default)]
    team: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    action: String,
}

pub async fn set_membership(
    State(state): State<AppState>,
    posted: Posted<MembershipForm>,
) -> WebResult {
    require_admin(&posted.me)?;
    let ws = &state.workspace;
    let f = &posted.form;
    let by = Caller::User(&posted.me.actor);
    let result = if f.action == "remove" {
        ws.remove_member(by, &f.team, &f.email).await
    } else {
        match Role::parse(&f.role) {
            Some(role) => ws.add_member(by, &f.team, &f.email, role).await,
            None => Err(orgn_domain::Error::Invalid(
                "role must be admin or member".into(),
            )),
        }
    };
    match client_message(result)? {
        Ok(()) => see("/settings/members"),
        Err(msg) => bad_request(members_page(ws, &posted.me, Some(msg)).await),
    }
}
