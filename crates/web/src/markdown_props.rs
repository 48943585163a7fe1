//! Property tests of markdown rendering: whatever people write (hostile HTML, links,
//! identifiers, any text), rendering never panics and no script survives: no `<script`,
//! no event-handler attribute, no `javascript:` or `data:` link, no `<iframe`, `<object`,
//! `<style` or `srcdoc`.

use proptest::prelude::*;

use crate::markdown::{linked_text, render, render_linked};

/// Pieces of hostile markup and of markdown, to be glued in any order.
const PIECES: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//x.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "[link](javascript:alert(1))",
    "[link](  javascript:alert(1) )",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "![img](x\" onerror=\"alert(1))",
    "<iframe src=//x.example></iframe>",
    "<object data=x></object>",
    "<style>body{}</style>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<iframe srcdoc=\"<script>alert(1)</script>\">",
    "<!-- <script>alert(1)</script> -->",
    "`<script>`",
    "```\n<script>alert(1)</script>\n```",
    "ENG-12",
    "**ENG-1**",
    "- [x] done",
    "| a | b |\n|---|---|\n| <script> | x |",
    "&lt;script&gt;",
    "\u{0}\u{202e}",
    "\n\n",
    " ",
    "<",
    ">",
    "\"",
];

fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        proptest::sample::select(PIECES).prop_map(str::to_string),
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

/// What would run in a browser, if anything: looked for in the tags only (escaped text has
/// no `<`), as a browser reads them.
fn script_in(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let forbidden = [
        "script", "iframe", "object", "embed", "style", "svg", "math", "base", "form",
    ];
    for tag in lower.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if forbidden.contains(&name.as_str()) {
            return Some(format!("a <{name}> tag"));
        }
        for attribute in tag.split([' ', '\n', '\t', '/']).skip(1) {
            let (key, value) = attribute.split_once('=').unwrap_or((attribute, ""));
            let value = value.trim_matches(['"', '\'']).trim();
            if key.starts_with("on") || key == "style" || key == "srcdoc" {
                return Some(format!("a {key} attribute"));
            }
            if (key == "href" || key == "src")
                && (value.starts_with("javascript:") || value.starts_with("data:"))
            {
                return Some(format!("a {value} link"));
            }
        }
    }
    None
}

proptest! {
    #[test]
    fn no_script_survives_rendering(text in hostile_text()) {
        let keys = vec!["ENG".to_string()];
        for html in [render(&text), render_linked(&text, &keys), linked_text(&text, &keys)] {
            prop_assert!(script_in(&html).is_none(), "{:?} in {html:?} from {text:?}", script_in(&html));
        }
    }
}

#[test]
fn the_detector_sees_what_it_looks_for() {
    assert_eq!(script_in("<p>ok</p>"), None);
    assert_eq!(script_in("<p>on=1 one onerror= x &lt;script&gt;</p>"), None);
    assert!(script_in("<img src=x onerror=alert(1)>").is_some());
    assert!(script_in("<a href=\"javascript:x\">").is_some());
    assert!(script_in("<SCRIPT>").is_some());
}
