//! Helpers shared by the server's integration tests (a test file uses them with
//! `mod common;`) and, for `listening`, by the xtask.

pub mod backend;
pub mod listening;
pub mod postgres;
