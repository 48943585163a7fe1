//! Orgn's storage: every line of SQL in the project lives in this crate. Each backend
//! implements the domain's `Store` port.

pub mod sqlite;

pub use sqlite::SqliteStore;
