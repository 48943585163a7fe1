//! Docs: list and search, read, create, edit.

use askama::Template;
use axum::extract::{Path, Query, State};
use orgn_domain::model::DocId;
use orgn_domain::{DocDraft, DocFilter, Workspace};
use serde::Deserialize;

use super::{bad_request, client_message, given, missing, render, see};
use crate::AppState;
use crate::error::WebResult;
use crate::session::{Me, Posted};
use crate::view::{self, Chrome, DocLink, Opt};

#[derive(Deserialize, Default)]
pub struct DocsQuery {
    q: Option<String>,
    /// A doc just moved to the Trash: the toast offers to restore it.
    deleted: Option<i64>,
    project: Option<String>,
    team: Option<String>,
}

#[derive(Template)]
#[template(path = "docs.html")]
struct DocsPage {
    chrome: Chrome,
    q: String,
    docs: Vec<DocLink>,
    /// (doc id, title, team key) of a doc just deleted.
    deleted: Option<(i64, String, String)>,
}

pub async fn list(State(state): State<AppState>, me: Me, Query(q): Query<DocsQuery>) -> WebResult {
    let ws = &state.workspace;
    let filter = DocFilter {
        query: given(&q.q),
        limit: Some(100),
        ..Default::default()
    };
    let (docs, error) = match client_message(ws.search_docs(&me.actor, filter).await)? {
        Ok(page) => (page.items, None),
        Err(m) => (vec![], Some(m)),
    };
    let mut deleted = None;
    if let Some(id) = q.deleted {
        let trash = ws.trash(&me.actor, None).await?;
        if let Some(item) = trash
            .into_iter()
            .find(|i| i.kind == orgn_domain::model::TrashKind::Doc && i.id == id)
        {
            let key =
                super::trash::doc_team_key(ws, &me.actor, item.team_id, item.project_id).await;
            deleted = Some((item.id, item.title, key));
        }
    }
    render(DocsPage {
        deleted,
        chrome: Chrome::new(&me, "Docs", "docs").with_error(error),
        q: given(&q.q).unwrap_or_default(),
        docs: docs.iter().map(DocLink::new).collect(),
    })
}

#[derive(Template)]
#[template(path = "doc.html")]
struct DocPage {
    chrome: Chrome,
    id: DocId,
    title: String,
    html: String,
    owner: String,
    owner_href: String,
    meta: String,
    delete_action: String,
    delete_what: &'static str,
}

pub async fn show(State(state): State<AppState>, me: Me, Path(id): Path<DocId>) -> WebResult {
    let ws = &state.workspace;
    let doc = ws.doc(&me.actor, id).await.map_err(missing)?;
    let (owner, owner_href) = match (doc.team_id, doc.project_id) {
        (Some(t), _) => {
            let key = me
                .actor
                .memberships()
                .iter()
                .find(|m| m.team.id == t)
                .map(|m| m.team.key.clone())
                .unwrap_or_default();
            (key.clone(), format!("/team/{key}/tasks"))
        }
        (None, Some(p)) => (
            ws.project(&me.actor, &p.to_string())
                .await
                .map(|p| p.name)
                .unwrap_or_default(),
            format!("/projects/{p}"),
        ),
        _ => (String::new(), "/docs".into()),
    };
    render(DocPage {
        chrome: Chrome::new(&me, doc.title.clone(), "docs"),
        id: doc.id,
        html: view::md(&doc.content),
        meta: format!(
            "{} · updated {}",
            doc.creator.name,
            view::when(doc.updated_at)
        ),
        title: doc.title,
        owner,
        owner_href,
        delete_action: format!("/docs/{id}/delete"),
        delete_what: "doc",
    })
}

#[derive(Template)]
#[template(path = "doc_edit.html")]
struct DocEditPage {
    chrome: Chrome,
    /// `None` for a new doc.
    id: Option<DocId>,
    title: String,
    content: String,
    owners: Vec<Opt>,
    /// The doc's version, sent back with the edit.
    version: Option<i64>,
}

async fn owners(ws: &Workspace, me: &Me, current: &str) -> orgn_domain::Result<Vec<Opt>> {
    let mut out: Vec<Opt> = me
        .actor
        .memberships()
        .iter()
        .map(|m| {
            (
                format!("team:{}", m.team.key),
                format!("Team {}", m.team.name),
            )
        })
        .chain(
            ws.projects(&me.actor)
                .await?
                .into_iter()
                .map(|p| (format!("project:{}", p.id), format!("Project {}", p.name))),
        )
        .map(|(value, label)| Opt {
            selected: value == current,
            value,
            label,
        })
        .collect();
    if !out.iter().any(|o| o.selected)
        && let Some(first) = out.first_mut()
    {
        first.selected = true;
    }
    Ok(out)
}

pub async fn new_form(
    State(state): State<AppState>,
    me: Me,
    Query(q): Query<DocsQuery>,
) -> WebResult {
    let current = match (given(&q.project), given(&q.team)) {
        (Some(p), _) => format!("project:{p}"),
        (None, Some(t)) => format!("team:{}", t.to_ascii_uppercase()),
        _ => String::new(),
    };
    let owners = owners(&state.workspace, &me, &current).await?;
    render(DocEditPage {
        chrome: Chrome::new(&me, "New doc", "docs"),
        id: None,
        title: String::new(),
        content: String::new(),
        owners,
        version: None,
    })
}

#[derive(Deserialize)]
pub struct DocForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    owner: String,
    /// The version the edit page showed: refused if someone changed the doc since.
    version: Option<i64>,
}

pub async fn create(State(state): State<AppState>, posted: Posted<DocForm>) -> WebResult {
    let ws = &state.workspace;
    let f = &posted.form;
    let mut draft = DocDraft {
        title: f.title.clone(),
        content: f.content.clone(),
        ..Default::default()
    };
    match f.owner.split_once(':') {
        Some(("team", key)) => draft.team = Some(key.to_string()),
        Some(("project", id)) => draft.project = Some(id.to_string()),
        _ => {}
    }
    match client_message(ws.create_doc(&posted.me.actor, draft).await)? {
        Ok(doc) => see(&format!("/docs/{}", doc.id)),
        Err(msg) => {
            let owners = owners(ws, &posted.me, &f.owner).await?;
            bad_request(render(DocEditPage {
                chrome: Chrome::new(&posted.me, "New doc", "docs").with_error(Some(msg)),
                id: None,
                title: f.title.clone(),
                content: f.content.clone(),
                owners,
                version: None,
            }))
        }
    }
}

pub async fn edit_form(State(state): State<AppState>, me: Me, Path(id): Path<DocId>) -> WebResult {
    let doc = state.workspace.doc(&me.actor, id).await.map_err(missing)?;
    render(DocEditPage {
        chrome: Chrome::new(&me, format!("Edit {}", doc.title), "docs"),
        id: Some(id),
        title: doc.title,
        content: doc.content,
        owners: vec![],
        version: Some(doc.version),
    })
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<DocId>,
    posted: Posted<DocForm>,
) -> WebResult {
    let ws = &state.workspace;
    let f = &posted.form;
    ws.doc(&posted.me.actor, id).await.map_err(missing)?;
    match client_message(
        ws.update_doc(
            &posted.me.actor,
            id,
            Some(&f.title),
            Some(&f.content),
            f.version,
        )
        .await,
    )? {
        Ok(_) => see(&format!("/docs/{id}")),
        Err(msg) => bad_request(render(DocEditPage {
            chrome: Chrome::new(&posted.me, "Edit doc", "docs").with_error(Some(msg)),
            id: Some(id),
            title: f.title.clone(),
            content: f.content.clone(),
            owners: vec![],
            version: f.version,
        })),
    }
}
