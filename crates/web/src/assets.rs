//! The stylesheet and the script, compiled into the binary. Their URLs do not change
//! between builds, so they are cached for a day, then revalidated.

use axum::http::header;
use axum::response::IntoResponse;

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");
const CACHE: &str = "public, max-age=86400";

pub async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        CSS,
    )
}

pub async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        JS,
    )
}

const KEYS_JS: &str = include_str!("../assets/keys.js");
const FAVICON_ICO: &[u8] = include_bytes!("../assets/favicon.ico");
const FAVICON_SVG: &str = include_str!("../assets/favicon.svg");

/// A compiled-in file of this type, cached like the others.
fn cached(content_type: &'static str, body: &'static [u8]) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, CACHE),
        ],
        body,
    )
}

/// The command palette and the keyboard (`assets/keys.js`).
pub async fn keys_js() -> impl IntoResponse {
    cached("text/javascript; charset=utf-8", KEYS_JS.as_bytes())
}

/// `/favicon.ico`, which browsers ask for whatever the page links.
pub async fn favicon_ico() -> impl IntoResponse {
    cached("image/x-icon", FAVICON_ICO)
}

/// The icon the pages link, sharp at any size.
pub async fn favicon_svg() -> impl IntoResponse {
    cached("image/svg+xml", FAVICON_SVG.as_bytes())
}
