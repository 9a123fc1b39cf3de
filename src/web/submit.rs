//! The request: a cross-origin POST through gloo-net, with `X-Requested-With`, redirects
//! refused and a timeout, and what its answer means.

use gloo_net::http::Request;
use wasm_bindgen::JsValue;
use web_sys::{AbortSignal, RequestMode, RequestRedirect, ResponseType};

use super::error::{CorsformError, Kind};
use super::field::Answer;

/// How a request ended.
pub enum Outcome {
    /// A 2xx; the body, parsed as JSON when it is JSON.
    Accepted(JsValue),
    /// A 422 naming fields: its `errors` object (`{field: message}`), and the error to
    /// report.
    Rejected(JsValue, CorsformError),
    /// Anything else.
    Failed(CorsformError),
}

/// POSTs `body` to `url` (resolved against the page's URL), as `$.ajax` with
/// `crossDomain` did: `mode: "cors"`, and `redirect: "manual"` so that a 3xx is never
/// followed (a script can't see where it leads; it arrives as an opaque redirect, status
/// 0). Aborted after `timeout_ms` milliseconds.
pub async fn post(url: &str, headers: &web_sys::Headers, body: String, timeout_ms: u32) -> Outcome {
    // The request is made with web-sys's `RequestInit` and handed to gloo-net, which
    // sends it: gloo-net's `RequestBuilder` would also parse the URL to merge query
    // parameters this POST never has.
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(headers);
    init.set_mode(RequestMode::Cors);
    init.set_redirect(RequestRedirect::Manual);
    init.set_signal(Some(&AbortSignal::timeout_with_u32(timeout_ms)));
    init.set_body(&body.into());
    let response = match web_sys::Request::new_with_str_and_init(url, &init) {
        Ok(request) => Request::from(request).send().await,
        // A URL `fetch` can't use: reported as `fetch` reports it, a network error.
        Err(_) => return Outcome::Failed(failure(None, timeout_ms)),
    };
    let response = match response {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(failure(Some(&e), timeout_ms)),
    };
    let status = response.status();
    if response.type_() == ResponseType::Opaqueredirect
        || status == 0
        || (300..400).contains(&status)
    {
        return Outcome::Failed(CorsformError::new(
            Kind::Redirect,
            "the server answered with a redirect",
        ));
    }
    match response.text().await {
        Ok(text) => outcome(status, &text),
        Err(e) => Outcome::Failed(failure(Some(&e), timeout_ms)),
    }
}

/// `$.ajax`'s default `Content-Type`, a form-encoded body's.
pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=UTF-8";

/// jquery-validation's `remote` request (<https://jqueryvalidation.org/remote-method/>):
/// `GET url`, or with a `body` a `POST url` of that form-encoded body, as `$.ajax` sends
/// them with `dataType: "json"` (its `Accept`; no `X-Requested-With` cross-origin, so no
/// preflight). The answer: `true` or `"true"`
/// passes, a string is the message, anything else (`false`, `null`) the rule's own
/// message; no usable answer ([`Answer::Unanswered`]) after `timeout_ms` milliseconds, a
/// network or CORS failure, a non-2xx, a body that is not JSON, or once `abort` (the
/// field's `AbortController`'s signal: a newer value asks instead) is aborted.
pub async fn ask(
    url: &str,
    body: Option<&str>,
    abort: Option<AbortSignal>,
    timeout_ms: u32,
) -> Answer {
    let init = web_sys::RequestInit::new();
    if let Ok(headers) = web_sys::Headers::new() {
        let _ = headers.set("Accept", "application/json, text/javascript, */*; q=0.01");
        if let Some(body) = body {
            init.set_method("POST");
            let _ = headers.set("Content-Type", CONTENT_TYPE);
            init.set_body(&body.into());
        }
        init.set_headers(&headers);
    }
    init.set_mode(RequestMode::Cors);
    let timeout = AbortSignal::timeout_with_u32(timeout_ms);
    // `AbortSignal.any` (Chrome 116, Firefox 124, Safari 17.4); without it, the timeout
    // alone, and a stale answer is dropped when it comes.
    let any = js_sys::Reflect::get(&js_sys::global(), &"AbortSignal".into())
        .and_then(|c| js_sys::Reflect::get(&c, &"any".into()))
        .is_ok_and(|f| f.is_function());
    let signal = match abort {
        Some(abort) if any => AbortSignal::any(&js_sys::Array::of2(&abort, &timeout)),
        _ => timeout,
    };
    init.set_signal(Some(&signal));
    let Ok(request) = web_sys::Request::new_with_str_and_init(url, &init) else {
        return Answer::Unanswered;
    };
    let Ok(response) = Request::from(request).send().await else {
        return Answer::Unanswered;
    };
    let text = match response.ok() {
        true => response.text().await.ok(),
        false => None,
    };
    let Some(answer) = text.and_then(|t| js_sys::JSON::parse(&t).ok()) else {
        return Answer::Unanswered;
    };
    match answer.as_string() {
        Some(t) if t == "true" => Answer::Valid,
        _ if answer == JsValue::TRUE => Answer::Valid,
        Some(message) => Answer::Invalid(message),
        None => Answer::Invalid(String::new()),
    }
}

/// 128 random bits from the browser's `crypto.getRandomValues`, in hex: an
/// `Idempotency-Key`.
pub fn random_key() -> String {
    let mut bytes = [0u8; 16];
    if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut key = String::new();
    for b in bytes {
        key.push(char::from(HEX[usize::from(b >> 4)]));
        key.push(char::from(HEX[usize::from(b & 15)]));
    }
    key
}

/// `n` in decimal, as JavaScript writes it (`String(n)`).
pub fn decimal(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

/// What a failed `fetch` or body read means: an abort is the timeout; anything else is
/// the network or CORS (a bad URL too, as `fetch` reports it).
fn failure(e: Option<&gloo_net::Error>, timeout_ms: u32) -> CorsformError {
    match e {
        Some(gloo_net::Error::JsError(js))
            if js.name == "TimeoutError" || js.name == "AbortError" =>
        {
            CorsformError::new(
                Kind::Timeout,
                &["no answer within ", &decimal(timeout_ms.into()), " ms"].concat(),
            )
        }
        _ => CorsformError::new(
            Kind::Network,
            "the request failed (network error, or refused by CORS)",
        ),
    }
}

/// What an answer with `status` and body `text` means.
fn outcome(status: u16, text: &str) -> Outcome {
    let data = js_sys::JSON::parse(text).unwrap_or_else(|_| JsValue::from_str(text));
    if (200..300).contains(&status) {
        return Outcome::Accepted(data);
    }
    let mut err = CorsformError::new(
        Kind::Status,
        &["the server answered HTTP ", &decimal(status.into())].concat(),
    );
    err.status = Some(status);
    err.data = data.clone();
    let errors = match data.is_object() {
        true => js_sys::Reflect::get(&data, &"errors".into()).unwrap_or(JsValue::UNDEFINED),
        false => JsValue::UNDEFINED,
    };
    let names_fields = errors.is_object()
        && super::options::entries(&errors)
            .iter()
            .any(|(_, message)| message.is_string());
    if status == 422 && names_fields {
        err.kind = Kind::Invalid;
        Outcome::Rejected(errors, err)
    } else {
        Outcome::Failed(err)
    }
}
