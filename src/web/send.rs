//! The request: gloo-net fetch, cross-origin, redirects refused, timed out.

use gloo_net::http::Request;
use js_sys::JSON;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use web_sys::{AbortSignal, Headers};

use super::dom::{error, get, set};
use super::options::entries;

/// How a request ended.
pub enum Outcome {
    /// A 2xx; the body, parsed as JSON when it is JSON.
    Accepted(JsValue),
    /// A 422 naming fields: `(field, message)` pairs, and the error to report.
    Rejected(Vec<(String, String)>, JsValue),
    /// Anything else: a JS `Error` with a `kind`.
    Failed(JsValue),
}

/// `n` in decimal, by JavaScript (no `core::fmt` in the wasm).
pub fn decimal(n: u32) -> String {
    super::dom::number_text(&JsValue::from(n))
}

/// The request headers: the urlencoded content type, then `headers` (which may replace
/// it). Fails on a name or value `fetch` would refuse.
pub fn request_headers(headers: &[(String, String)]) -> Result<Headers, JsValue> {
    let h = Headers::new()?;
    h.set(
        "Content-Type",
        "application/x-www-form-urlencoded; charset=UTF-8",
    )?;
    for (name, value) in headers {
        h.set(name, value)?;
    }
    Ok(h)
}

/// POSTs `body` to `url` and says how it went.
pub async fn post(
    url: &str,
    headers: &[(String, String)],
    body: String,
    timeout_ms: u32,
) -> Outcome {
    let failed = |e: gloo_net::Error| {
        let timed_out = matches!(&e, gloo_net::Error::JsError(j) if j.name == "TimeoutError" || j.name == "AbortError");
        Outcome::Failed(if timed_out {
            error(
                "timeout",
                &["corsform: no answer within ", &decimal(timeout_ms), " ms"].concat(),
            )
        } else {
            error(
                "network",
                "corsform: the request failed (network error, or refused by CORS)",
            )
        })
    };
    // The request is built with web-sys (gloo-net's builder formats URLs with `format!`)
    // and sent with gloo-net.
    let init = js_sys::Object::new();
    set(&init, "method", &"POST".into());
    set(&init, "mode", &"cors".into());
    set(&init, "redirect", &"manual".into());
    set(&init, "signal", &AbortSignal::timeout_with_u32(timeout_ms));
    set(&init, "body", &JsValue::from_str(&body));
    if let Ok(h) = request_headers(headers) {
        set(&init, "headers", &h);
    }
    let request = match web_sys::Request::new_with_str_and_init(url, init.unchecked_ref()) {
        Ok(r) => Request::from(r),
        Err(_) => {
            return Outcome::Failed(error("network", "corsform: the form's URL is not valid"))
        }
    };
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    // The status through the raw response: one import fewer than gloo's `status()`.
    let raw = web_sys::Response::from(response);
    let status = get(&raw, "status").as_f64().unwrap_or(0.0) as u16;
    let response = gloo_net::http::Response::from(raw);
    // With `mode: "cors"` and `redirect: "manual"`, the only response with status 0 is the
    // opaque-redirect one (reading its `type` would cost one more import).
    if status == 0 || (300..400).contains(&status) {
        return Outcome::Failed(error(
            "redirect",
            "corsform: the server answered with a redirect",
        ));
    }
    let text = match response.text().await {
        Ok(t) => t,
        Err(e) => return failed(e),
    };
    let data = JSON::parse(&text).unwrap_or_else(|_| JsValue::from_str(&text));
    if (200..300).contains(&status) {
        return Outcome::Accepted(data);
    }
    let err = error(
        "status",
        &[
            "corsform: the server answered HTTP ",
            &decimal(status.into()),
        ]
        .concat(),
    );
    set(&err, "status", &JsValue::from(status));
    set(&err, "data", &data);
    let mut fields: Vec<(String, String)> = Vec::new();
    for (name, message) in entries(&get(&data, "errors")) {
        if let Some(message) = message.as_string() {
            fields.push((name, message));
        }
    }
    if status == 422 && !fields.is_empty() {
        set(&err, "kind", &"invalid".into());
        Outcome::Rejected(fields, err)
    } else {
        Outcome::Failed(err)
    }
}
