//! "Previous versions" of a doc's content and of a task's description: the versions the
//! store keeps at each overwrite (the last 20 per object), each shown with who replaced it
//! and when, with Restore (an ordinary edit: what it replaces is kept in turn).

use askama::Template;
use axum::extract::{Path, State};
use orgn_domain::model::DocId;
use orgn_domain::store::Revision;

use super::{Empty, missing, render, see, task_ref};
use crate::AppState;
use crate::error::WebResult;
use crate::session::{Me, Posted};
use crate::view::{self, Chrome};

pub struct RevisionView {
    pub id: i64,
    pub title: String,
    pub replaced: String,
    pub html: String,
}

impl RevisionView {
    fn of(r: &Revision) -> RevisionView {
        RevisionView {
            id: r.id,
            title: r.title.clone(),
            replaced: format!(
                "Replaced by {} via {} {}",
                r.replaced_by_name,
                r.via.channel.as_str(),
                view::when(r.replaced_at)
            ),
            html: view::md(&r.body),
        }
    }
}

#[derive(Template)]
#[template(path = "revisions.html")]
struct RevisionsPage {
    chrome: Chrome,
    /// What the versions are of: "doc" content or "task" description.
    what: &'static str,
    name: String,
    back: String,
    restore_base: String,
    revisions: Vec<RevisionView>,
}

fn page(me: &Me, what: &'static str, name: String, back: String, kept: &[Revision]) -> WebResult {
    render(RevisionsPage {
        chrome: Chrome::new(me, format!("Previous versions · {name}"), "docs"),
        what,
        name,
        restore_base: format!("{back}/versions"),
        back,
        revisions: kept.iter().map(RevisionView::of).collect(),
    })
}

/// `GET /docs/{id}/versions`
pub async fn doc_versions(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<DocId>,
) -> WebResult {
    let ws = &state.workspace;
    let doc = ws.doc(&me.actor, id).await.map_err(missing)?;
    let kept = ws.doc_revisions(&me.actor, id).await.map_err(missing)?;
    page(&me, "doc", doc.title, format!("/docs/{id}"), &kept)
}

/// `POST /docs/{id}/versions/{revision}/restore`
pub async fn restore_doc(
    State(state): State<AppState>,
    Path((id, revision)): Path<(DocId, i64)>,
    posted: Posted<Empty>,
) -> WebResult {
    let actor = &posted.me.actor;
    state
        .workspace
        .restore_doc_revision(actor, id, revision)
        .await
        .map_err(missing)?;
    see(&format!("/docs/{id}"))
}

/// `GET /tasks/{id}/versions`
pub async fn task_versions(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<String>,
) -> WebResult {
    let ws = &state.workspace;
    let task = ws.task(&me.actor, &task_ref(&id)?).await.map_err(missing)?;
    let kept = ws
        .task_revisions(&me.actor, &task_ref(&id)?)
        .await
        .map_err(missing)?;
    let ident = task.identifier();
    page(&me, "task", ident.clone(), format!("/tasks/{ident}"), &kept)
}

/// `POST /tasks/{id}/versions/{revision}/restore`
pub async fn restore_task(
    State(state): State<AppState>,
    Path((id, revision)): Path<(String, i64)>,
    posted: Posted<Empty>,
) -> WebResult {
    let actor = &posted.me.actor;
    let task = state
        .workspace
        .restore_task_revision(actor, &task_ref(&id)?, revision)
        .await
        .map_err(missing)?;
    see(&format!("/tasks/{}", task.identifier()))
}
