//! Helpers shared by the server's integration tests (a test file uses them with
//! `mod common;`) and, for `listening`, by the xtask.

pub mod backend;
pub mod listening;
pub mod postgres;

/// A 429's `Retry-After`, in whole seconds (RFC 9110 §10.2.3, the delay form); panics when
/// it is missing or not a number.
#[allow(dead_code)] // not every test file answers 429s
pub fn retry_after(headers: &axum::http::HeaderMap) -> u64 {
    let value = headers.get("retry-after").expect("a Retry-After header");
    value.to_str().unwrap().parse().unwrap()
}
