//! The inbox: who follows a task, who is told of a change, and reading one's notifications.
//!
//! Recipients are decided here, from a write's before and after, and travel with the
//! change (`NewChange::inbox`), so that the store writes them in the change's own
//! transaction, once. The rules:
//! - the creator, the assignee, commenters and the people mentioned follow the task (an
//!   explicit unsubscribe sticks);
//! - a new assignee is told "assigned"; a newly mentioned member of the task's team
//!   "mentioned" (anyone else's handle mentions nobody); followers are told of a new
//!   comment, and of a move into a started, completed or canceled status from another
//!   kind; the people waiting on a blocked task are told when its blocker completes;
//! - nobody is told of their own change, and a person is told once per change, of the
//!   most particular reason (assigned, then mentioned, then the rest);
//! - imports (and other jobs) subscribe people but tell nobody: a thousand rows would bury
//!   an inbox.
//!
//! Reading goes through the access rule: only notifications on tasks of the reader's
//! teams exist for them, so leaving a team hides its notifications at once.

use std::collections::HashSet;

use super::{TaskRef, Workspace};
use crate::access::Actor;
use crate::changes::{
    Channel, InboxWrites, NewChange, NewNotification, NotificationKind, ObjectKind, Via,
};
use crate::cursor::{self, Page, SeekKey};
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::{Marking, NewTask, Notification, NotificationQuery, TaskChanges};

/// The unread count stops here ("99+"): it is read on every page, and must not grow with
/// the inbox.
pub const UNREAD_CAP: i64 = 100;

/// The most notifications marked by id in one call (a page of the inbox is at most 100);
/// "all" marks any number.
pub const MAX_MARKED_BY_ID: usize = 100;

/// The most blocked tasks whose people hear that their blocker was completed, in one change.
const MAX_BLOCKED_TOLD: usize = 100;

/// A page of the inbox, with the unread count as it is now.
pub struct InboxPage {
    pub page: Page<Notification>,
    pub unread: i64,
}

/// Who is told of one change, once each, with the most particular reason first.
struct Recipients {
    actor: UserId,
    tell_anyone: bool,
    writes: InboxWrites,
    told: HashSet<UserId>,
}

impl Recipients {
    fn new(actor: UserId, via: &Via) -> Recipients {
        Recipients {
            actor,
            tell_anyone: !matches!(via.channel, Channel::Job | Channel::Import),
            writes: InboxWrites::default(),
            told: HashSet::new(),
        }
    }

    fn subscribe(&mut self, user: UserId) {
        if !self.writes.subscribe.contains(&user) {
            self.writes.subscribe.push(user);
        }
    }

    fn tell(&mut self, user: UserId, kind: NotificationKind, detail: Option<String>) {
        if self.tell_anyone && user != self.actor && self.told.insert(user) {
            self.writes.notify.push(NewNotification {
                recipient: user,
                kind,
                task: None,
                detail,
            });
        }
    }
}

/// A status kind a follower hears about.
fn worth_telling(kind: StatusKind) -> bool {
    matches!(
        kind,
        StatusKind::Started | StatusKind::Completed | StatusKind::Canceled
    )
}

impl Workspace {
    /// A new task's followers (its creator, its assignee, the people its description
    /// mentions) and whom to tell.
    pub(super) async fn inbox_for_new_task(&self, task: &NewTask) -> Result<InboxWrites> {
        let mut to = Recipients::new(task.creator_id, &task.via);
        to.subscribe(task.creator_id);
        if let Some(assignee) = task.assignee_id {
            to.subscribe(assignee);
            to.tell(assignee, NotificationKind::Assigned, None);
        }
        for user in self
            .newly_mentioned(task.team_id, &task.description, "")
            .await?
        {
            to.subscribe(user);
            to.tell(user, NotificationKind::Mentioned, None);
        }
        Ok(to.writes)
    }

    /// Whom an update of `task` by `actor` subscribes and tells.
    pub(super) async fn inbox_for_update(
        &self,
        actor: &Actor,
        task: &Task,
        changes: &TaskChanges,
    ) -> Result<InboxWrites> {
        let mut to = Recipients::new(actor.id(), actor.via());
        if let Some(Some(assignee)) = changes.assignee_id {
            to.subscribe(assignee);
            to.tell(assignee, NotificationKind::Assigned, None);
        }
        if let Some(description) = &changes.description {
            for user in self
                .newly_mentioned(task.team_id, description, &task.description)
                .await?
            {
                to.subscribe(user);
                to.tell(user, NotificationKind::Mentioned, None);
            }
        }
        if let Some((status_id, _)) = changes.status {
            let statuses = self.store.statuses(task.team_id).await?;
            let new = statuses.iter().find(|s| s.id == status_id);
            if let Some(new) = new.filter(|s| worth_telling(s.kind) && s.kind != task.status.kind) {
                for user in self.followers(task).await? {
                    to.tell(user, NotificationKind::Status, Some(new.name.clone()));
                }
                if new.kind == StatusKind::Completed {
                    let blocked = self
                        .store
                        .tasks_blocked_by(task.id, MAX_BLOCKED_TOLD)
                        .await?;
                    let told = self.inbox_for_completed_blocker(actor, task, &blocked);
                    to.writes.notify.extend(told.await?);
                }
            }
        }
        Ok(to.writes)
    }

    /// A new comment on `task`: its author and the people it mentions follow the task;
    /// the mentioned are told so, the other followers of the comment.
    pub(super) async fn inbox_for_comment(
        &self,
        actor: &Actor,
        task: &Task,
        body: &str,
    ) -> Result<InboxWrites> {
        let mut to = Recipients::new(actor.id(), actor.via());
        to.subscribe(actor.id());
        for user in self.newly_mentioned(task.team_id, body, "").await? {
            to.subscribe(user);
            to.tell(user, NotificationKind::Mentioned, None);
        }
        for user in self.followers(task).await? {
            to.tell(user, NotificationKind::Comment, None);
        }
        Ok(to.writes)
    }

    /// An edit of a comment on `task`: the people it newly mentions are told (the rest
    /// heard of the comment when it was written).
    pub(super) async fn inbox_for_comment_edit(
        &self,
        actor: &Actor,
        task: &Task,
        body: &str,
        before: &str,
    ) -> Result<InboxWrites> {
        let mut to = Recipients::new(actor.id(), actor.via());
        for user in self.newly_mentioned(task.team_id, body, before).await? {
            to.tell(user, NotificationKind::Mentioned, None);
        }
        // The change is the comment's: name the task.
        for n in &mut to.writes.notify {
            n.task = Some(task.id);
        }
        Ok(to.writes)
    }

    /// The notifications of a completed blocker, `blocker`, for the people waiting on each
    /// of the tasks it blocked: their assignees and followers who can see both the blocked
    /// task and the blocker (a relation to a task one cannot see is not shown, so neither
    /// is its completion). For the change that completes the blocker: add them to its
    /// `inbox.notify`.
    pub async fn inbox_for_completed_blocker(
        &self,
        actor: &Actor,
        blocker: &Task,
        blocked: &[TaskId],
    ) -> Result<Vec<NewNotification>> {
        let mut out = Vec::new();
        let sees_blocker = self.members(blocker.team_id).await?;
        for id in blocked {
            let Some(task) = self.store.task(*id).await? else {
                continue;
            };
            let mut to = Recipients::new(actor.id(), actor.via());
            let assignee = task.assignee.iter().map(|a| a.id);
            let waiting: Vec<UserId> = assignee
                .chain(self.followers(&task).await?)
                .filter(|u| sees_blocker.contains(u))
                .collect();
            for user in waiting {
                to.tell(
                    user,
                    NotificationKind::BlockerCompleted,
                    Some(blocker.identifier()),
                );
            }
            out.extend(to.writes.notify.into_iter().map(|n| NewNotification {
                task: Some(task.id),
                ..n
            }));
        }
        Ok(out)
    }

    /// The people following `task` who can still see it.
    async fn followers(&self, task: &Task) -> Result<Vec<UserId>> {
        let following: Vec<UserId> = self
            .store
            .subscriptions(task.id)
            .await?
            .into_iter()
            .filter(|(_, on)| *on)
            .map(|(u, _)| u)
            .collect();
        if following.is_empty() {
            return Ok(following);
        }
        let members = self.members(task.team_id).await?;
        Ok(following
            .into_iter()
            .filter(|u| members.contains(u))
            .collect())
    }

    /// Who is in the team: who can see its tasks.
    async fn members(&self, team: TeamId) -> Result<HashSet<UserId>> {
        Ok(self
            .store
            .team_members(team)
            .await?
            .into_iter()
            .map(|(u, _)| u.id)
            .collect())
    }

    // --- Reading -----------------------------------------------------------------------

    /// The actor's notifications on tasks it can see, newest first, a page at a time.
    pub async fn notifications(
        &self,
        actor: &Actor,
        unread_only: bool,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<InboxPage> {
        let (limit, after) = cursor::page_request(limit, cursor)?;
        let teams = actor.team_ids();
        let query = NotificationQuery {
            user: actor.id(),
            teams: teams.clone(),
            unread_only,
            before: after.map(|k| NotificationId::new(k.id)),
            limit: limit + 1,
        };
        let rows = self.store.notifications(&query).await?;
        let keyed = rows
            .into_iter()
            .map(|n| hide_unseen_blocker(actor, n))
            .map(|n| {
                let key = SeekKey {
                    rank: None,
                    id: n.id.get(),
                };
                (n, key)
            })
            .collect();
        Ok(InboxPage {
            page: cursor::page_from(keyed, limit),
            unread: self.unread_count(actor).await?,
        })
    }

    /// One of the actor's notifications, on a task it can see.
    pub async fn notification(
        &self,
        actor: &Actor,
        id: NotificationId,
    ) -> Result<Option<Notification>> {
        let query = NotificationQuery {
            user: actor.id(),
            teams: actor.team_ids(),
            unread_only: false,
            before: Some(NotificationId::new(id.get().saturating_add(1))),
            limit: 1,
        };
        let found = self.store.notifications(&query).await?;
        Ok(found.into_iter().find(|n| n.id == id))
    }

    /// How many of the actor's notifications are unread, counting up to `UNREAD_CAP`.
    pub async fn unread_count(&self, actor: &Actor) -> Result<i64> {
        self.store
            .unread_notifications(actor.id(), &actor.team_ids(), UNREAD_CAP)
            .await
    }

    /// Marks the given notifications (or, with `ids` None, all) read or unread; ids of
    /// notifications the actor cannot see change nothing. Returns how many changed.
    pub async fn mark_notifications(
        &self,
        actor: &Actor,
        ids: Option<&[NotificationId]>,
        read: bool,
    ) -> Result<u64> {
        let which = match ids {
            Some(ids) if ids.len() > MAX_MARKED_BY_ID => {
                return Err(Error::Invalid(format!(
                    "at most {MAX_MARKED_BY_ID} ids at once; to mark them all, use all: true"
                )));
            }
            Some(ids) => Marking::Ids(ids),
            None => Marking::All,
        };
        let at = read.then(|| self.now());
        // Seen by the actor alone (no teams): their other pages' counts follow.
        let change = NewChange {
            kind: ObjectKind::Inbox,
            object_id: actor.id().get(),
            teams: Vec::new(),
            subject: "inbox".into(),
            fields: vec![if read { "read" } else { "unread" }.into()],
            topics: Vec::new(),
            stamp: self.stamp(actor),
            inbox: InboxWrites::default(),
        };
        self.store
            .mark_notifications(actor.id(), &actor.team_ids(), which, at, &change)
            .await
    }

    /// Whether the actor follows the task.
    pub async fn follows(&self, actor: &Actor, task: &TaskRef) -> Result<bool> {
        let task = self.visible_task(actor, task).await?;
        Ok(self
            .store
            .subscriptions(task.id)
            .await?
            .iter()
            .any(|(u, on)| *u == actor.id() && *on))
    }

    /// Follows or stops following a task the actor can see; the choice sticks.
    pub async fn set_following(&self, actor: &Actor, task: &TaskRef, on: bool) -> Result<()> {
        let task = self.visible_task(actor, task).await?;
        self.store.set_subscription(task.id, actor.id(), on).await
    }
}

/// "Claude Desktop over MCP, as Dee", or "Dee" for the web app.
pub fn who_and_how(actor: &UserRef, via: &Via) -> String {
    match (via.channel, &via.client) {
        (Channel::Web, _) => actor.name.clone(),
        (Channel::Mcp, Some(client)) => format!("{client} over MCP, as {}", actor.name),
        _ => format!("{}, as {}", via.describe(), actor.name),
    }
}

/// A completed blocker is named only to a reader who can still see it (who has left its
/// team since is told of "a task that blocked it").
fn hide_unseen_blocker(actor: &Actor, mut n: Notification) -> Notification {
    if n.kind == NotificationKind::BlockerCompleted {
        let blocker = n.detail.as_deref().and_then(|d| d.parse::<TaskRef>().ok());
        let sees = blocker.is_some_and(|b| actor.can_see_team_key(b.key()));
        if !sees {
            n.detail = None;
        }
    }
    n
}

/// What a notification says happened: "assigned you", "moved it to Done"...
pub fn what_happened(n: &Notification) -> String {
    match n.kind {
        NotificationKind::Assigned => "assigned you".into(),
        NotificationKind::Mentioned => "mentioned you".into(),
        NotificationKind::Comment => "commented".into(),
        NotificationKind::Status => format!(
            "moved it to {}",
            n.detail.as_deref().unwrap_or("another status")
        ),
        NotificationKind::BlockerCompleted => match n.detail.as_deref() {
            Some(blocker) => format!("completed {blocker}, which blocked it"),
            None => "completed a task that blocked it".into(),
        },
    }
}
