//! Orgn's integration tests, one binary: each module is one area, and they share the
//! harness (`support`), the HTTP client (`http`), the browser (`browser`) and the scripted
//! LLM server (`llm_stub`). One binary links the whole stack once instead of once per area.
//!
//! Run one area with its module path: `cargo test -p orgn --test it mcp::`.

mod browser;
mod http;
mod llm_stub;
mod support;

mod assistant;
mod cli;
mod core;
mod graph;
mod graph_web;
mod hardening;
mod hardening_assistant;
mod hardening_corpus;
mod hardening_data;
mod inbox;
mod inbox_web;
mod jobs;
mod live;
mod mcp;
mod oauth;
mod postgres;
mod web;
mod web_assistant;
mod web_edits;
mod web_keys;
mod web_powers;
