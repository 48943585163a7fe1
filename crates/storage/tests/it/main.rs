//! Storage's integration tests, in one binary (one link, not three).

mod group_commit;
mod migrations;
mod parity;
mod postgres;
mod status_counts;
