//! `CorsformError`: what a failed submission, or a bad option, is reported as to the page.

use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

/// What went wrong, as the page switches on it (`err.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
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

/// A corsform error: a JS `Error` with the message, plus these properties.
#[derive(Debug, Serialize)]
pub struct CorsformError {
    /// What went wrong.
    pub kind: Kind,
    /// The HTTP status, for `status` and a server's `invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The server's answer (parsed JSON, else its text), when there was one.
    #[serde(
        with = "serde_wasm_bindgen::preserve",
        skip_serializing_if = "JsValue::is_undefined"
    )]
    pub data: JsValue,
    /// The `Error`'s message, starting with `corsform: `.
    #[serde(skip)]
    pub message: String,
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
        if let Ok(props) = serde_wasm_bindgen::to_value(self) {
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
