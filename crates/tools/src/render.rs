//! How results look: compact views of domain things (human references, not database ids,
//! wherever a human reference exists), one text line per item, people-written text kept
//! apart as data, invisible characters removed, and everything within a size budget.

use orgn_domain::model::*;
use serde_json::{Value, json};
use time::Date;
use time::OffsetDateTime;

/// No answer's text, nor its structured JSON, is longer than this many bytes.
pub const BUDGET: usize = 24 * 1024;
/// Room kept for the envelope of a list (cursor, notes) when fitting items.
const ENVELOPE: usize = 1024;
/// A single long text field (description, content, body) is cut to this many bytes.
pub const FIELD_BUDGET: usize = BUDGET - 4 * 1024;

/// True for characters that change how text displays without being visible: controls
/// (but newline and tab), bidi overrides and isolates, zero-width characters, the BOM,
/// soft hyphens and Unicode tag characters (used to smuggle hidden instructions).
fn invisible(c: char) -> bool {
    if c == '\n' || c == '\t' {
        return false;
    }
    c.is_control()
        || matches!(c as u32,
            0x00AD | 0x061C | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0xE0000..=0xE007F)
}

pub fn sanitize(s: &str) -> String {
    if s.chars().any(invisible) {
        s.chars().filter(|c| !invisible(*c)).collect()
    } else {
        s.to_string()
    }
}

/// Sanitizes every string (and key) in a JSON value.
pub fn sanitize_value(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(sanitize(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(sanitize_value).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (sanitize(&k), sanitize_value(v)))
                .collect(),
        ),
        other => other,
    }
}

/// People-written text in the text rendering, fenced as data so that it reads as content,
/// not as instructions. A closing fence inside the text is defused.
pub fn fenced(label: &str, text: &str) -> String {
    let body = defuse_closing_tags(text);
    format!("<data {label}>\n{body}\n</data>")
}

/// The tags that fence people-written text for a model: `<data>` here and `<tool_result>`
/// in the assistant's transcript.
const FENCE_TAGS: [&str; 2] = ["data", "tool_result"];

/// Turns every `</data` and `</tool_result` in `text` into `<\/…`, whatever its case: a
/// model reads `</DATA>` as the end of the fence as readily as `</data>`.
pub fn defuse_closing_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("</") {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let after = &from[2..];
        let closes_fence = FENCE_TAGS.iter().any(|tag| {
            after
                .get(..tag.len())
                .is_some_and(|name| name.eq_ignore_ascii_case(tag))
        });
        out.push_str(if closes_fence { "<\\/" } else { "</" });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Cuts `s` to at most `max` bytes on a character boundary. True when it cut.
pub fn cut(s: &mut String, max: usize) -> bool {
    if s.len() <= max {
        return false;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    true
}

/// How many of the items fit the budget, given each one's (JSON size, text size).
pub fn fit_count(sizes: &[(usize, usize)]) -> usize {
    let (mut json, mut text) = (ENVELOPE, ENVELOPE);
    for (i, (j, t)) in sizes.iter().enumerate() {
        json += j + 1;
        text += t + 1;
        if json > BUDGET || text > BUDGET {
            return i;
        }
    }
    sizes.len()
}

fn date(d: Option<Date>) -> Value {
    d.map(|d| json!(d.to_string())).unwrap_or(Value::Null)
}

pub fn time(t: OffsetDateTime) -> String {
    orgn_domain::rfc3339(t)
}

/// `@alice` for alice@orgn.test.
pub fn handle(email: &str) -> String {
    format!("@{}", email.split('@').next().unwrap_or(email))
}

fn progress(p: &Progress) -> Value {
    json!({"total": p.total, "completed": p.completed, "canceled": p.canceled, "percent": p.percent()})
}

/// A task in a list: no description. `blocked` only when it is.
pub fn task_summary(t: &Task) -> Value {
    let mut v = json!({
        "id": t.identifier(),
        "title": t.title,
        "status": t.status.name,
        "priority": t.priority.name(),
        "assignee": t.assignee.as_ref().map(|u| u.email.clone()),
        "labels": t.labels.iter().map(|l| l.name.clone()).collect::<Vec<_>>(),
        "project": t.project.as_ref().map(|p| p.name.clone()),
        "milestone": t.milestone.as_ref().map(|m| m.name.clone()),
        "cycle": t.cycle.as_ref().map(|c| c.name.clone()),
        "due_date": date(t.due_date),
        "estimate": t.estimate,
        "updated_at": time(t.updated_at),
    });
    if t.blocked {
        v["blocked"] = json!(true);
    }
    v
}

/// A whole task. The description is cut to the field budget; true when it was.
pub fn task_full(t: &Task) -> (Value, bool) {
    let mut v = task_summary(t);
    let mut description = t.description.clone();
    let trimmed = cut(&mut description, FIELD_BUDGET);
    let m = v.as_object_mut().expect("object");
    m.insert("description".into(), json!(description));
    m.insert("status_type".into(), json!(t.status.kind.as_str()));
    m.insert("creator".into(), json!(t.creator.email));
    m.insert("created_at".into(), json!(time(t.created_at)));
    m.insert("version".into(), json!(t.version));
    for (k, at) in [
        ("started_at", t.started_at),
        ("completed_at", t.completed_at),
        ("canceled_at", t.canceled_at),
    ] {
        if let Some(at) = at {
            m.insert(k.into(), json!(time(at)));
        }
    }
    (v, trimmed)
}

/// `ENG-12 [In Progress] (High) Fix login — @alice`
pub fn task_line(t: &Task) -> String {
    let mut line = format!("{} [{}]", t.identifier(), t.status.name);
    if t.priority != Priority::NONE {
        line.push_str(&format!(" ({})", t.priority.name()));
    }
    line.push(' ');
    line.push_str(&one_line(&t.title));
    if let Some(a) = &t.assignee {
        line.push_str(" — ");
        line.push_str(&handle(&a.email));
    }
    if t.blocked {
        line.push_str(" (blocked)");
    }
    line
}

/// Another task as a parent, child or relation: `ENG-3 [Done] Write the spec`.
pub fn link_line(l: &TaskLink) -> String {
    format!(
        "{} [{}] {}",
        l.identifier,
        l.status.name,
        one_line(&l.title)
    )
}

pub fn link_view(l: &TaskLink) -> Value {
    json!({"id": l.identifier, "title": l.title, "status": l.status.name, "status_type": l.status.kind.as_str()})
}

/// A task's parent, sub-tasks and relations, in the structured answer (`parent` only when
/// there is one) and as text lines.
pub fn add_graph(g: &TaskGraph, structured: &mut Value, text: &mut String) {
    if let Some(parent) = &g.parent {
        structured["parent"] = link_view(parent);
        text.push_str(&format!("\nparent: {}", link_line(parent)));
    }
    structured["children"] = json!(g.children.iter().map(link_view).collect::<Vec<_>>());
    structured["children_progress"] = progress(&g.children_progress);
    if !g.children.is_empty() {
        let p = &g.children_progress;
        text.push_str(&format!(
            "\nsub-tasks ({} of {} done):",
            p.completed,
            p.total - p.canceled
        ));
        for child in &g.children {
            text.push_str(&format!("\n  {}", link_line(child)));
        }
        let more = p.total - g.children.len() as i64;
        if more > 0 {
            text.push_str(&format!("\n  (and {more} more sub-tasks)"));
        }
    }
    let relations: Vec<Value> = g
        .relations
        .iter()
        .map(|r| {
            let mut v = link_view(&r.task);
            v["type"] = json!(r.kind.as_str());
            v
        })
        .collect();
    structured["relations"] = json!(relations);
    if !g.relations.is_empty() {
        text.push_str("\nrelations:");
        for r in &g.relations {
            text.push_str(&format!("\n  {} {}", r.kind.label(), link_line(&r.task)));
        }
        if g.more_relations {
            text.push_str("\n  (more relations not shown)");
            structured["more_relations"] = json!(true);
        }
    }
}

/// A title on one line, whatever it holds.
pub fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// The first line of a text, trimmed and at most 160 characters: a summary.
pub fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() > 160 {
        let mut s: String = line.chars().take(159).collect();
        s.push('…');
        s
    } else {
        line.to_string()
    }
}

pub fn task_details(t: &Task, description: &str, comments: Option<usize>) -> String {
    let mut out = vec![task_line(t)];
    let mut facts = Vec::new();
    if !t.labels.is_empty() {
        facts.push(format!(
            "labels: {}",
            t.labels
                .iter()
                .map(|l| l.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(p) = &t.project {
        match &t.milestone {
            Some(m) => facts.push(format!("project: {} › {}", p.name, m.name)),
            None => facts.push(format!("project: {}", p.name)),
        }
    }
    if let Some(c) = &t.cycle {
        facts.push(format!("cycle: {}", c.name));
    }
    if let Some(d) = t.due_date {
        facts.push(format!("due: {d}"));
    }
    if let Some(e) = t.estimate {
        facts.push(format!("estimate: {e}"));
    }
    if let Some(n) = comments {
        facts.push(format!("comments: {n}"));
    }
    facts.push(format!("updated: {}", time(t.updated_at)));
    out.push(facts.join(" · "));
    if !description.is_empty() {
        out.push(fenced("description", description));
    }
    out.join("\n")
}

pub fn event_line(e: &TaskEvent) -> String {
    let show = |v: &Option<String>| v.as_deref().map(one_line).unwrap_or_else(|| "—".into());
    format!(
        "{} {} {}: {} → {}",
        time(e.at),
        handle(&e.actor.email),
        e.field,
        show(&e.old),
        show(&e.new)
    )
}

pub fn event_view(e: &TaskEvent) -> Value {
    json!({"at": time(e.at), "actor": e.actor.email, "field": e.field, "old": e.old, "new": e.new})
}

pub fn comment_view(c: &Comment, body: &str) -> Value {
    json!({
        "id": c.id,
        "author": c.author.email,
        "body": body,
        "created_at": time(c.created_at),
        "edited_at": c.edited_at.map(time),
    })
}

pub fn comment_text(c: &Comment, body: &str) -> String {
    let edited = if c.edited_at.is_some() {
        " (edited)"
    } else {
        ""
    };
    format!(
        "comment {} by {} at {}{edited}\n{}",
        c.id,
        handle(&c.author.email),
        time(c.created_at),
        fenced("comment", body)
    )
}

pub fn project_view(p: &Project) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "status": p.status.as_str(),
        "teams": p.teams.iter().map(|t| t.key.clone()).collect::<Vec<_>>(),
        "lead": p.lead.as_ref().map(|u| u.email.clone()),
        "start_date": date(p.start_date),
        "target_date": date(p.target_date),
        "progress": progress(&p.progress),
    })
}

pub fn project_line(p: &Project) -> String {
    let teams: Vec<&str> = p.teams.iter().map(|t| t.key.as_str()).collect();
    let mut line = format!(
        "{} (id {}) [{}] {}% — {}",
        one_line(&p.name),
        p.id,
        p.status.as_str(),
        p.progress.percent(),
        teams.join(", ")
    );
    if let Some(l) = &p.lead {
        line.push_str(&format!(" — lead {}", handle(&l.email)));
    }
    if let Some(d) = p.target_date {
        line.push_str(&format!(" — target {d}"));
    }
    line
}

pub fn milestone_view(m: &Milestone) -> Value {
    json!({"id": m.id, "name": m.name, "target_date": date(m.target_date), "position": m.position, "progress": progress(&m.progress)})
}

pub fn milestone_line(m: &Milestone) -> String {
    let target = m
        .target_date
        .map(|d| format!(" — target {d}"))
        .unwrap_or_default();
    format!(
        "{} (id {}) {}%{target}",
        one_line(&m.name),
        m.id,
        m.progress.percent()
    )
}

pub fn cycle_view(c: &Cycle, team: &str, today: Date) -> Value {
    json!({
        "team": team,
        "number": c.number,
        "name": c.name,
        "starts_on": c.starts_on.to_string(),
        "ends_on": c.ends_on.to_string(),
        "state": c.state(today).as_str(),
        "progress": progress(&c.progress),
    })
}

pub fn cycle_line(c: &Cycle, team: &str, today: Date) -> String {
    format!(
        "{team} {} [{}] {} to {} {}%",
        one_line(&c.display_name()),
        c.state(today).as_str(),
        c.starts_on,
        c.ends_on,
        c.progress.percent()
    )
}

pub fn label_view(l: &Label, team: Option<&str>) -> Value {
    json!({"id": l.id, "name": l.name, "team": team, "color": l.color})
}

pub fn label_line(l: &Label, team: Option<&str>) -> String {
    format!(
        "{} (id {}) {} {}",
        one_line(&l.name),
        l.id,
        team.unwrap_or("workspace"),
        l.color
    )
}

/// A doc without its content.
pub fn doc_summary(d: &Doc, owner: &str) -> Value {
    json!({"id": d.id, "title": d.title, "in": owner, "creator": d.creator.email, "updated_at": time(d.updated_at)})
}

pub fn doc_line(d: &Doc, owner: &str) -> String {
    format!(
        "doc {} {} ({owner}) updated {}",
        d.id,
        one_line(&d.title),
        time(d.updated_at)
    )
}
