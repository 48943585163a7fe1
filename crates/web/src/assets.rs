//! The stylesheet and the scripts, compiled into the binary. `app.css`, `app.js`, `live.js`, `keys.js` and the icons keep
//! their URLs between builds, so they are cached for a day, then revalidated. The vendored
//! libraries (`assets/vendor/`, from the npm registry, with their licences) carry their
//! version in their URL, so a browser may keep them for a year without asking again.

use axum::http::header;
use axum::response::IntoResponse;

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");
const LIVE_JS: &str = include_str!("../assets/live.js");
const KEYS_JS: &str = include_str!("../assets/keys.js");
const FAVICON_ICO: &[u8] = include_bytes!("../assets/favicon.ico");
const FAVICON_SVG: &str = include_str!("../assets/favicon.svg");
const CACHE: &str = "public, max-age=86400";
const CACHE_VERSIONED: &str = "public, max-age=31536000, immutable";
const JS_TYPE: &str = "text/javascript; charset=utf-8";

/// htmx (npm `htmx.org`): server-rendered fragments swapped into the page.
pub const HTMX_PATH: &str = "/assets/vendor/htmx-2.0.11.min.js";
const HTMX: &str = include_str!("../assets/vendor/htmx-2.0.11.min.js");
/// htmx's Server-Sent Events extension (npm `htmx-ext-sse`): live pages.
pub const HTMX_SSE_PATH: &str = "/assets/vendor/htmx-ext-sse-2.2.4.min.js";
const HTMX_SSE: &str = include_str!("../assets/vendor/htmx-ext-sse-2.2.4.min.js");

/// A compiled-in file, with its type and how long browsers may keep it.
fn serve(
    content_type: &'static str,
    cache: &'static str,
    body: &'static [u8],
) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, cache),
        ],
        body,
    )
}

pub async fn css() -> impl IntoResponse {
    serve("text/css; charset=utf-8", CACHE, CSS.as_bytes())
}

pub async fn js() -> impl IntoResponse {
    serve(JS_TYPE, CACHE, JS.as_bytes())
}

/// What the live pages need beside htmx (`assets/live.js`).
pub async fn live_js() -> impl IntoResponse {
    serve(JS_TYPE, CACHE, LIVE_JS.as_bytes())
}

/// The command palette and the keyboard (`assets/keys.js`).
pub async fn keys_js() -> impl IntoResponse {
    serve(JS_TYPE, CACHE, KEYS_JS.as_bytes())
}

/// `/favicon.ico`, which browsers ask for whatever the page links.
pub async fn favicon_ico() -> impl IntoResponse {
    serve("image/x-icon", CACHE, FAVICON_ICO)
}

/// The icon the pages link, sharp at any size.
pub async fn favicon_svg() -> impl IntoResponse {
    serve("image/svg+xml", CACHE, FAVICON_SVG.as_bytes())
}

pub async fn htmx() -> impl IntoResponse {
    serve(JS_TYPE, CACHE_VERSIONED, HTMX.as_bytes())
}

pub async fn htmx_sse() -> impl IntoResponse {
    serve(JS_TYPE, CACHE_VERSIONED, HTMX_SSE.as_bytes())
}
