#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod encode;
pub mod rules;
pub mod validate;
pub mod value;

mod email;
mod number;
mod url;

/// The browser build: `bind`, `serialize` and the `Controller` they return.
#[cfg(all(feature = "web", target_arch = "wasm32"))]
pub mod web;

pub use email::{is_valid_email, PATTERN as EMAIL_PATTERN};
pub use encode::{decode, encode, DecodeError};
pub use number::js_number;
pub use rules::{FieldRules, Method, OptionsError, Param, Rule, RuleSet};
pub use url::{is_valid_url, PATTERN as URL_PATTERN};
pub use validate::{check_field, expression, Env, Failure, Input, NUMBER_PATTERN};
pub use value::Value;

/// `c == b'.'`, as a function: every split at dots shares one `split` in the wasm.
pub(crate) fn is_dot(c: &u8) -> bool {
    *c == b'.'
}

/// The non-empty pieces of `s` between the characters where `sep` matches. One `split`
/// in the wasm for every caller: the separator is a function pointer, not a closure type
/// of its own.
pub(crate) fn pieces(s: &str, sep: fn(char) -> bool) -> impl Iterator<Item = &str> {
    s.split(sep).filter(|p| !p.is_empty())
}

/// `parts` joined, as `[a, b].concat()` would, without its generic join, which weighs
/// several hundred bytes of wasm.
pub(crate) fn cat(parts: &[&str]) -> String {
    let mut out = String::new();
    for p in parts {
        out.push_str(p);
    }
    out
}
