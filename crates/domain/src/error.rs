use thiserror::Error;

/// Every way an operation can fail, in words a user can act on.
///
/// `NotFound` is also the answer for things that exist but are outside the actor's
/// teams: the caller must not be able to tell the two apart.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// The whole message, e.g. `Task ENG-9 not found`.
    #[error("{0}")]
    NotFound(String),
    /// The input is wrong; the message says how, and lists valid choices where there are some.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    /// Known to the actor, but not theirs to do (e.g. admin-only operations).
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unauthenticated(String),
    /// Too much of this kind of work at once; the same request may succeed in a moment.
    #[error("{0}")]
    Busy(String),
    /// A fault of ours, not of the caller. Details go to the log, not to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

pub fn not_found(what: impl std::fmt::Display) -> Error {
    Error::NotFound(format!("{what} not found"))
}

pub fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

/// "Status "Doing" not found in ENG; valid: Backlog, Todo" — an error that saves a round trip.
pub fn unknown_choice<S: AsRef<str>>(kind: &str, given: &str, scope: &str, valid: &[S]) -> Error {
    let list: Vec<&str> = valid.iter().map(|s| s.as_ref()).collect();
    let scope = if scope.is_empty() {
        String::new()
    } else {
        format!(" in {scope}")
    };
    if list.is_empty() {
        Error::NotFound(format!(
            "{kind} \"{given}\" not found{scope}; there are none"
        ))
    } else {
        Error::NotFound(format!(
            "{kind} \"{given}\" not found{scope}; valid: {}",
            list.join(", ")
        ))
    }
}
