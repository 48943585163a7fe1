//! Orgn's domain: what a workspace holds, the rules that keep it consistent, and the
//! access rule. It knows nothing of HTTP, MCP or SQL: front ends call [`Workspace`], and a
//! storage backend implements [`store::Store`].

pub mod access;
pub mod changes;
pub mod clock;
pub mod cursor;
pub mod error;
pub mod ids;
pub mod model;
pub mod secrets;
pub mod store;
mod workspace;

pub use access::Actor;
pub use cursor::Page;
pub use error::{Error, Result};
pub use workspace::*;
