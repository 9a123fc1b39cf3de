//! `CorsformError`: what a failed submission, or a bad option, is reported as to the page.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::field::Verdict;
use wasm_bindgen::{JsCast, JsValue};

/// What went wrong, as the page switches on it (`err.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The form has errors: found in the page, or in a server's 422 put on the fields.
    Invalid,
    /// A submission is already being sent.
    Busy,
    /// `beforeSend` returned `false`, or a `corsform:beforesend` listener cancelled.
    Cancelled,
    /// The request failed: the network, or refused by CORS.
    Network,
    /// No answer within `timeout` milliseconds.
    Timeout,
    /// The server answered with a redirect, which is never followed.
    Redirect,
    /// Any other non-2xx answer.
    Status,
    /// A bad option given to `bind` or `serialize`.
    Options,
}

impl Kind {
    /// Its name, as `err.kind` holds it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Invalid => "invalid",
            Kind::Busy => "busy",
            Kind::Cancelled => "cancelled",
            Kind::Network => "network",
            Kind::Timeout => "timeout",
            Kind::Redirect => "redirect",
            Kind::Status => "status",
            Kind::Options => "options",
        }
    }
}

/// A corsform error: a JS `Error` with the message, plus these properties.
#[derive(Debug)]
pub struct CorsformError {
    /// What went wrong.
    pub kind: Kind,
    /// The HTTP status, for `status` and a server's `invalid`.
    pub status: Option<u16>,
    /// The server's answer (parsed JSON, else its text), when there was one.
    pub data: JsValue,
    /// The `Error`'s message, starting with `corsform: `.
    pub message: String,
}

/// A JS value handed over as it is.
struct Preserved<'a>(&'a JsValue);

impl Serialize for Preserved<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_wasm_bindgen::preserve::serialize(self.0, s)
    }
}

/// The error's own properties, `kind`, `status` (when there is one) and `data` (when
/// there is one), as a map: serde-wasm-bindgen writes a map's keys as they come, where a
/// struct's field names go through its cache of interned strings.
impl Serialize for CorsformError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("kind", self.kind.name())?;
        if let Some(status) = self.status {
            map.serialize_entry("status", &status)?;
        }
        if !self.data.is_undefined() {
            map.serialize_entry("data", &Preserved(&self.data))?;
        }
        map.end()
    }
}

impl CorsformError {
    /// An error of `kind` with `message` (to which `corsform: ` is prefixed).
    pub fn new(kind: Kind, message: &str) -> CorsformError {
        CorsformError {
            kind,
            status: None,
            data: JsValue::UNDEFINED,
            message: ["corsform: ", message].concat(),
        }
    }

    /// The JS `Error` the page receives: `message`, and `kind`, `status`, `data` as own
    /// properties (the `Serialize` fields, through serde-wasm-bindgen).
    pub fn to_js(&self) -> JsValue {
        let err = js_sys::Error::new(&self.message);
        let to_js = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
        if let Ok(props) = self.serialize(&to_js) {
            js_sys::Object::assign(&err, props.unchecked_ref());
        }
        err.into()
    }
}

impl From<crate::OptionsError> for CorsformError {
    fn from(e: crate::OptionsError) -> CorsformError {
        CorsformError::new(Kind::Options, &e.0)
    }
}

impl From<CorsformError> for JsValue {
    fn from(e: CorsformError) -> JsValue {
        e.to_js()
    }
}

/// jquery-validation's `errorMap` (`{name: message}`) and `errorList` (`[{message,
/// element, method}]`, `method` left out for a message the server or the page gave) of
/// the failed `verdicts`, in their order: the arguments of a page's `showErrors`
/// (<https://jqueryvalidation.org/validate/#showerrors>). `element` is the field's first
/// control, from `element_of(name)`.
pub fn error_map_and_list(
    verdicts: &[(String, Verdict)],
    element_of: impl Fn(&str) -> Option<web_sys::HtmlElement>,
) -> (JsValue, JsValue) {
    let mut failed = Vec::new();
    for (name, v) in verdicts {
        if let Verdict::Invalid(method, message) = v {
            failed.push(ErrorItem {
                name,
                message,
                element: element_of(name).map_or(JsValue::UNDEFINED, JsValue::from),
                method: method.map(crate::Method::name),
            });
        }
    }
    let to_js = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
    let map = ErrorMap(&failed).serialize(&to_js).unwrap_or_default();
    let list = failed.serialize(&to_js).unwrap_or_default();
    (map, list)
}

/// One failed field: an item of `errorList`, an entry of `errorMap`.
struct ErrorItem<'a> {
    name: &'a str,
    message: &'a str,
    element: JsValue,
    method: Option<&'static str>,
}

/// `{message, element, method}`, as a map (see [`CorsformError`]'s).
impl Serialize for ErrorItem<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("message", self.message)?;
        map.serialize_entry("element", &Preserved(&self.element))?;
        if let Some(method) = self.method {
            map.serialize_entry("method", method)?;
        }
        map.end()
    }
}

/// `{name: message}` of the items.
struct ErrorMap<'a>(&'a [ErrorItem<'a>]);

impl Serialize for ErrorMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for item in self.0 {
            map.serialize_entry(item.name, item.message)?;
        }
        map.end()
    }
}
