//! Markdown written by people (descriptions, comments, docs) to safe HTML.
//!
//! Two guards: raw HTML in the source is shown as text, never passed through, and the
//! result is cleaned by ammonia (which also drops `javascript:` links and event attributes).
//! No script from user content can run, whatever the content.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

pub fn render(source: &str) -> String {
    render_linked(source, &[])
}

/// The same, with the task identifiers of the given teams (`ENG-12` when `ENG` is among
/// `team_keys`) turned into links to their pages, outside links and code blocks. For the
/// assistant's answers, which name tasks by identifier.
pub fn render_linked(source: &str, team_keys: &[String]) -> String {
    render_all(source, team_keys, &[])
}

/// A person who may be mentioned where the text is shown, and where a mention links to.
pub struct Person {
    pub handle: String,
    pub name: String,
    pub href: String,
}

/// The same as `render`, with `@handle` of the given people (those who can see the task)
/// turned into links to them, outside links and code; any other `@word` stays text.
pub fn render_mentions(source: &str, people: &[Person]) -> String {
    render_all(source, &[], people)
}

/// Text with the mentions of `people` as links.
fn mention_events(text: &str, people: &[Person]) -> Vec<Event<'static>> {
    let mut out = Vec::new();
    let mut rest = 0;
    for m in orgn_domain::find_mentions(text) {
        let Some(person) = people.iter().find(|p| p.handle == m.handle) else {
            continue;
        };
        if rest < m.start {
            out.push(Event::Text(text[rest..m.start].to_string().into()));
        }
        out.push(Event::InlineHtml(
            format!(
                "<a class=\"mention\" href=\"{}\" title=\"{}\">@{}</a>",
                escape(&person.href),
                escape(&person.name),
                escape(&person.handle)
            )
            .into(),
        ));
        rest = m.end;
    }
    if rest < text.len() {
        out.push(Event::Text(text[rest..].to_string().into()));
    }
    out
}

fn render_all(source: &str, team_keys: &[String], people: &[Person]) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut in_link = 0usize;
    let mut in_code_block = false;
    let events = Parser::new_ext(source, options).flat_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => vec![Event::Text(raw)],
        Event::Start(tag) => {
            match &tag {
                Tag::Link { .. } | Tag::Image { .. } => in_link += 1,
                Tag::CodeBlock(_) => in_code_block = true,
                _ => {}
            }
            vec![Event::Start(tag)]
        }
        Event::End(tag) => {
            match tag {
                TagEnd::Link | TagEnd::Image => in_link = in_link.saturating_sub(1),
                TagEnd::CodeBlock => in_code_block = false,
                _ => {}
            }
            vec![Event::End(tag)]
        }
        Event::Text(text) if in_link == 0 && !in_code_block && !team_keys.is_empty() => {
            identifiers(&text, team_keys)
                .into_iter()
                .map(|piece| match piece {
                    Piece::Text(t) => Event::Text(t.to_string().into()),
                    Piece::Ident(id) => {
                        Event::InlineHtml(format!("<a href=\"/tasks/{id}\">{id}</a>").into())
                    }
                })
                .collect()
        }
        Event::Text(text) if in_link == 0 && !in_code_block && !people.is_empty() => {
            mention_events(&text, people)
        }
        Event::Code(code) if in_link == 0 && is_identifier(&code, team_keys) => {
            vec![Event::InlineHtml(
                format!("<a href=\"/tasks/{code}\"><code>{code}</code></a>").into(),
            )]
        }
        other => vec![other],
    });
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, events);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("a", ["class", "title"])
        .add_tags(["input"])
        .clean(&out)
        .to_string()
}

/// Plain text (a tool's one-line summary) as escaped HTML, with task identifiers linked.
pub fn linked_text(text: &str, team_keys: &[String]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for piece in identifiers(text, team_keys) {
        match piece {
            Piece::Text(t) => escape_into(&mut out, t),
            Piece::Ident(id) => out.push_str(&format!("<a href=\"/tasks/{id}\">{id}</a>")),
        }
    }
    out
}

/// `text` as HTML text: `&`, `<`, `>` and quotes escaped.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Text(&'a str),
    /// `ENG-12`: only ASCII letters, digits and one dash, safe in HTML as is.
    Ident(&'a str),
}

fn is_identifier(s: &str, team_keys: &[String]) -> bool {
    matches!(identifiers(s, team_keys).as_slice(), [Piece::Ident(id)] if *id == s)
}

/// Splits text around the task identifiers of the given teams: an uppercase team key, a
/// dash and a number without leading zero, not glued to other letters or digits.
fn identifiers<'a>(text: &'a str, team_keys: &[String]) -> Vec<Piece<'a>> {
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out = Vec::new();
    let mut start = 0; // of the pending text
    let mut i = 0;
    while i < bytes.len() {
        let at_boundary = i == 0 || !(word(bytes[i - 1]) || bytes[i - 1] == b'-');
        if at_boundary && bytes[i].is_ascii_uppercase() {
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_ascii_uppercase() || bytes[j].is_ascii_digit()) {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b'-' {
                let mut k = j + 1;
                while k < bytes.len() && bytes[k].is_ascii_digit() {
                    k += 1;
                }
                let digits = k - j - 1;
                let ends = k == bytes.len() || !(word(bytes[k]) || bytes[k] == b'-');
                if (1..=9).contains(&digits)
                    && bytes[j + 1] != b'0'
                    && ends
                    && team_keys.iter().any(|key| key.as_str() == &text[i..j])
                {
                    if start < i {
                        out.push(Piece::Text(&text[start..i]));
                    }
                    out.push(Piece::Ident(&text[i..k]));
                    start = k;
                    i = k;
                    continue;
                }
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    if start < text.len() {
        out.push(Piece::Text(&text[start..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{linked_text, render, render_linked};

    #[test]
    fn renders_common_markdown() {
        let html = render(
            "# Title\n\nSome **bold** and `code`.\n\n- [x] done\n- a [link](https://example.com)",
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<strong>bold</strong>"));
        assert!(html.contains("<code>code</code>"));
        assert!(html.contains("href=\"https://example.com\""));
        assert!(html.contains("rel=\"noopener noreferrer nofollow\""));
        assert!(html.contains("checked"), "{html}");
    }

    #[test]
    fn task_identifiers_of_the_users_teams_become_links() {
        let keys = vec!["ENG".to_string(), "DES".to_string()];
        let html = render_linked(
            "Moved **ENG-12** and ENG-3, see `DES-2`; not UTF-8, ENG-0, XENG-4, ENG-5a, [ENG-7](https://x.test) or\n\n```\nENG-9\n```",
            &keys,
        );
        assert!(html.contains("<strong><a href=\"/tasks/ENG-12\" rel=\"noopener noreferrer nofollow\">ENG-12</a></strong>"), "{html}");
        assert!(html.contains("<a href=\"/tasks/ENG-3\""), "{html}");
        assert!(html.contains("<a href=\"/tasks/DES-2\" rel=\"noopener noreferrer nofollow\"><code>DES-2</code></a>"), "{html}");
        for no in [
            "UTF-8\"",
            "ENG-0\"",
            "XENG-4",
            "ENG-5a\"",
            "/tasks/ENG-7",
            "/tasks/ENG-9",
        ] {
            assert!(!html.contains(&format!("/tasks/{no}")), "{no}: {html}");
        }
        assert!(html.contains("href=\"https://x.test\""));
        assert_eq!(
            linked_text("Found ENG-1 <b>“x”</b>", &keys),
            "Found <a href=\"/tasks/ENG-1\">ENG-1</a> &lt;b&gt;“x”&lt;/b&gt;"
        );
        assert_eq!(render_linked("ENG-1", &[]), "<p>ENG-1</p>\n");
    }

    #[test]
    fn mentions_of_people_who_can_see_become_links_others_stay_text() {
        let people = [super::Person {
            handle: "alice".into(),
            name: "Alice".into(),
            href: "/team/ENG/tasks?assignee=alice%40orgn.test".into(),
        }];
        let html = super::render_mentions(
            "Hi @alice and @dana, mail alice@orgn.test; `@alice` [x @alice](https://x.test)",
            &people,
        );
        assert_eq!(html.matches("class=\"mention\"").count(), 1, "{html}");
        assert!(
            html.contains(">@alice</a> and @dana, mail alice@orgn.test"),
            "{html}"
        );
        assert!(
            html.contains("href=\"/team/ENG/tasks?assignee=alice%40orgn.test\""),
            "{html}"
        );
        assert!(html.contains("<code>@alice</code>"), "{html}");
        // Characters markdown might treat as emphasis split the text: still one handle.
        let people = [super::Person {
            handle: "al_x".into(),
            name: "Al".into(),
            href: "/x".into(),
        }];
        let html = super::render_mentions("cc @al_x, and *@al_x*", &people);
        assert_eq!(html.matches(">@al_x</a>").count(), 2, "{html}");
    }

    #[test]
    fn script_tags_show_as_text() {
        let html = render("Hello <script>alert('x')</script> world\n\n<script>alert(1)</script>");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;alert("), "{html}");
    }

    /// The opening tags of an HTML fragment, lower-cased: what a browser would act on.
    fn tags(html: &str) -> Vec<String> {
        html.split('<')
            .skip(1)
            .filter_map(|t| t.split_once('>').map(|(tag, _)| tag.to_lowercase()))
            .collect()
    }

    #[test]
    fn no_script_survives_links_images_or_attributes() {
        for source in [
            "[click](javascript:alert(1))",
            "![x](javascript:alert(1))",
            "<img src=x onerror=alert(1)>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "<svg onload=alert(1)>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<div>\n<script>alert(1)</script>\n</div>",
        ] {
            let html = render(source);
            for tag in tags(&html) {
                let name = tag
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .trim_start_matches('/');
                assert!(
                    !["script", "img", "svg", "iframe", "div", "style"].contains(&name)
                        || name == "img" && !tag.contains("javascript"),
                    "{source} -> {html}"
                );
                assert!(
                    !tag.contains("javascript:") && !tag.contains("data:text/html"),
                    "{source} -> {html}"
                );
                assert!(
                    !tag.split_whitespace()
                        .skip(1)
                        .any(|attr| attr.starts_with("on")),
                    "{source} -> {html}"
                );
            }
        }
    }
}
