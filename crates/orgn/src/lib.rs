//! The `orgn` binary's library: the command line, the application that wires the domain,
//! storage, web app and MCP server together, and the demo workspace.

pub mod app;
pub mod bench;
pub mod cli;
pub mod demo;

pub use app::{Application, ServeConfig};
