//! The request: `fetch`, cross-origin, redirects refused, timed out. Promise callbacks, not
//! `async`: an async runtime (wasm-bindgen-futures, which gloo-net's `send` needs) would
//! weigh more than the rest of the transport together.

use super::js::{Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::dom::{error, get, set};
use super::options::entries;

#[wasm_bindgen]
extern "C" {
    /// Request headers.
    pub type Headers;
    /// `new Headers()`.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Headers;
    /// `headers.set(name, value)`: throws on a name or value HTTP does not allow.
    #[wasm_bindgen(method, catch)]
    pub fn set(this: &Headers, name: &str, value: &str) -> Result<(), JsValue>;
    /// `AbortSignal.timeout(ms)`.
    #[wasm_bindgen(js_namespace = AbortSignal, js_name = timeout)]
    fn abort_after(ms: u32) -> JsValue;
    /// `fetch(url, init)`: a bad URL rejects, as a network failure does.
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_with_init(url: &JsValue, init: &Object) -> Promise;
    /// A `Response` or a `Promise`, seen only through the two methods used here.
    #[wasm_bindgen(extends = Promise)]
    pub type Pending;
    /// `response.text()`.
    #[wasm_bindgen(method, js_name = text)]
    fn response_text(response: &Pending) -> Promise;
    /// `promise.then(fulfilled, rejected)`, with callbacks that return a value (js-sys's
    /// `then2` takes ones that return nothing).
    #[wasm_bindgen(method, js_name = then)]
    pub fn then_both(promise: &Pending, fulfilled: &JsValue, rejected: &JsValue) -> Promise;
}

/// How a request ended.
pub enum Outcome {
    /// A 2xx; the body, parsed as JSON when it is JSON.
    Accepted(JsValue),
    /// A 422 naming fields: its `errors` object (`{field: message}`), and the error to
    /// report.
    Rejected(JsValue, JsValue),
    /// Anything else: a JS `Error` with a `kind`.
    Failed(JsValue),
}

/// `n` in decimal, by JavaScript (no `core::fmt` in the wasm).
pub fn decimal(n: u32) -> String {
    super::dom::number_text(&JsValue::from(n))
}

/// Starts the POST of `body` to `url`: the promise of the response.
pub fn post(url: &JsValue, headers: &Headers, body: &JsValue, timeout_ms: u32) -> Promise {
    let init = Object::new();
    set(&init, "method", &"POST".into());
    set(&init, "mode", &"cors".into());
    set(&init, "redirect", &"manual".into());
    set(&init, "signal", &abort_after(timeout_ms));
    set(&init, "body", body);
    set(&init, "headers", headers);
    fetch_with_init(url, &init)
}

/// The response's status, or the redirect error: with `mode: "cors"` and `redirect:
/// "manual"`, the only response with status 0 is the opaque-redirect one.
pub fn status(response: &JsValue) -> Result<u16, JsValue> {
    let status = get(response, "status").as_f64().unwrap_or(0.0) as u16;
    if status == 0 || (300..400).contains(&status) {
        return Err(error(
            "redirect",
            "corsform: the server answered with a redirect",
        ));
    }
    Ok(status)
}

/// The promise of the response's body text.
pub fn text(response: &JsValue) -> Promise {
    response.unchecked_ref::<Pending>().response_text()
}

/// What a failed `fetch` or body read means: an abort is the timeout, anything else is
/// the network or CORS.
pub fn failure(err: &JsValue, timeout_ms: u32) -> JsValue {
    let name = get(err, "name");
    if super::dom::is(&name, "TimeoutError") || super::dom::is(&name, "AbortError") {
        error(
            "timeout",
            &crate::cat(&["corsform: no answer within ", &decimal(timeout_ms), " ms"]),
        )
    } else {
        error(
            "network",
            "corsform: the request failed (network error, or refused by CORS)",
        )
    }
}

/// What a response with `status` and body `text` means.
pub fn outcome(status: u16, text: JsValue) -> Outcome {
    // The text stays a JS string: parsed there, never copied into the wasm.
    let data = super::js::json_parse(&text).unwrap_or(text);
    if (200..300).contains(&status) {
        return Outcome::Accepted(data);
    }
    let err = error(
        "status",
        &crate::cat(&[
            "corsform: the server answered HTTP ",
            &decimal(status.into()),
        ]),
    );
    set(&err, "status", &JsValue::from(status));
    set(&err, "data", &data);
    let errors = get(&data, "errors");
    if status == 422 && entries(&errors).any(|(_, message)| message.as_string().is_some()) {
        set(&err, "kind", &"invalid".into());
        Outcome::Rejected(errors, err)
    } else {
        Outcome::Failed(err)
    }
}
