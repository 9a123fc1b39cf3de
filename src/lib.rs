#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod encode;
pub mod messages;
pub mod options;
pub mod rules;
pub mod validate;

mod email;
mod formats;
mod number;
mod url;

/// The browser build: `bind`, `serialize` and the `Controller` they return.
#[cfg(all(feature = "web", target_arch = "wasm32"))]
pub mod web;

pub use email::{is_valid_email, PATTERN as EMAIL_PATTERN};
pub use encode::{decode, encode, DecodeError};
pub use formats::{
    has_extension, is_date_iso, simple_extensions, DATE_ISO_PATTERN, DEFAULT_EXTENSIONS,
};
pub use messages::{default_message, Lang, Messages};
pub use number::{js_number, js_number_text};
pub use options::{
    Entries, FieldMessagesSpec, FieldRulesSpec, PageFacts, ParamSpec, RulesFile, RulesOptions,
};
pub use rules::{FieldRules, Method, OptionsError, Param, Rule, RuleSet, KNOWN_METHODS};
pub use url::{is_valid_url, PATTERN as URL_PATTERN};
pub use validate::{
    check_field, conventional_id, expression, group_members, selector_field_name, Env, Failure,
    Input, NUMBER_PATTERN,
};

/// `c == b'.'`: the separator of a domain's labels.
pub(crate) fn is_dot(c: &u8) -> bool {
    *c == b'.'
}

/// The non-empty pieces of `s` between the characters where `sep` matches.
pub(crate) fn pieces(s: &str, sep: fn(char) -> bool) -> impl Iterator<Item = &str> {
    s.split(sep).filter(|p| !p.is_empty())
}
