//! Ids as types of their own. Every stored thing is numbered by its table, and an id of one
//! kind is never a valid id of another: with `TaskId` and `TeamId` distinct types, passing a
//! team where a task is expected (or swapping two arguments) does not compile. An id is made
//! from a number only where numbers come from outside the type system: storage reading a
//! row, a front end parsing a path or a form.

use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What every id type is: a number of its own kind. For code that reads or writes ids of any
/// kind alike (storage's row conversions).
pub trait RawId: Copy {
    fn from_raw(raw: i64) -> Self;
    fn raw(self) -> i64;
}

macro_rules! id_types {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(raw: i64) -> Self {
                Self(raw)
            }
            /// The number, for storage and for URLs.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl RawId for $name {
            fn from_raw(raw: i64) -> Self {
                Self(raw)
            }
            fn raw(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map(Self)
            }
        }
    )*};
}

id_types! {
    UserId;
    TeamId;
    TaskId;
    StatusId;
    LabelId;
    ProjectId;
    MilestoneId;
    CycleId;
    CommentId;
    DocId;
    BulkChangeId;
    JobId;
    ConversationId;
    NotificationId;
}
