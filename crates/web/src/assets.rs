//! The stylesheet and the scripts, compiled into the binary. `app.css`, `app.js` and `live.js` keep
//! their URLs between builds, so they are cached for a day, then revalidated. The vendored
//! libraries (`assets/vendor/`, from the npm registry, with their licences) carry their
//! version in their URL, so a browser may keep them for a year without asking again.

use axum::http::header;
use axum::response::IntoResponse;

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");
const LIVE_JS: &str = include_str!("../assets/live.js");
const CACHE: &str = "public, max-age=86400";
const CACHE_VERSIONED: &str = "public, max-age=31536000, immutable";
const JS_TYPE: &str = "text/javascript; charset=utf-8";

/// htmx (npm `htmx.org`): server-rendered fragments swapped into the page.
pub const HTMX_PATH: &str = "/assets/vendor/htmx-2.0.11.min.js";
const HTMX: &str = include_str!("../assets/vendor/htmx-2.0.11.min.js");
/// htmx's Server-Sent Events extension (npm `htmx-ext-sse`): live pages.
pub const HTMX_SSE_PATH: &str = "/assets/vendor/htmx-ext-sse-2.2.4.min.js";
const HTMX_SSE: &str = include_str!("../assets/vendor/htmx-ext-sse-2.2.4.min.js");

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
            (header::CONTENT_TYPE, JS_TYPE),
            (header::CACHE_CONTROL, CACHE),
        ],
        JS,
    )
}

/// What the live pages need beside htmx (`assets/live.js`).
pub async fn live_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, JS_TYPE),
            (header::CACHE_CONTROL, CACHE),
        ],
        LIVE_JS,
    )
}

pub async fn htmx() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, JS_TYPE),
            (header::CACHE_CONTROL, CACHE_VERSIONED),
        ],
        HTMX,
    )
}

pub async fn htmx_sse() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, JS_TYPE),
            (header::CACHE_CONTROL, CACHE_VERSIONED),
        ],
        HTMX_SSE,
    )
}
