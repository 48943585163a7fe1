//! Markdown written by people (descriptions, comments, docs) to safe HTML.
//!
//! Two guards: raw HTML in the source is shown as text, never passed through, and the
//! result is cleaned by ammonia (which also drops `javascript:` links and event attributes).
//! No script from user content can run, whatever the content.

use pulldown_cmark::{Event, Options, Parser, html};

pub fn render(source: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(source, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, events);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tags(["input"])
        .clean(&out)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

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
