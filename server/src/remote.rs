//! `GET <form path>/validate?NAME=VALUE`: jquery-validation's `remote` protocol
//! (<https://jqueryvalidation.org/remote-method/>) answered with the form's own rules, so
//! that `remote: true` checks a field on the server as the visitor types.
//!
//! The first pair of the query names the field; the other pairs are the rest of the form
//! as far as the page sends it (`remote`'s `data` option), for `equalTo`. The answer is
//! `200` with the JSON `true` when the field passes, or its message as a JSON string:
//! the message a `POST` of the same values would give in its `422`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderName, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Json;
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;

use crate::{limit, overlong, Config, Rules, PREFLIGHT_MAX_AGE};

/// How many remote checks a client may make per submission the rate limit allows: one
/// per pause in typing, over a form's fields.
pub const CHECKS_PER_SUBMISSION: u32 = 10;

/// What a check needs from its form.
struct Remote {
    rules: Rules,
    max_fields: usize,
    max_field_len: usize,
}

/// The `GET` route of one form's checks: CORS for the form's origins, its limits, and a
/// rate limit of its own, [`CHECKS_PER_SUBMISSION`] times the form's (none when the
/// form has none).
pub fn route(config: &Config) -> MethodRouter {
    let mut check: MethodRouter<Arc<Remote>> = get(validate);
    let per_minute = config.rate_limit.saturating_mul(CHECKS_PER_SUBMISSION);
    if let Some(limit) = limit::layer(per_minute, &config.proxies) {
        check = check.layer(limit);
    }
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(config.allow_origins.clone()))
        .allow_methods([Method::GET])
        .allow_headers([HeaderName::from_static("x-requested-with")])
        .max_age(PREFLIGHT_MAX_AGE);
    let timeout = TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.timeout);
    check = check.layer(timeout);
    check = check.layer(cors);
    check.with_state(Arc::new(Remote {
        rules: config.rules.clone(),
        max_fields: config.max_fields,
        max_field_len: config.max_field_len,
    }))
}

async fn validate(State(remote): State<Arc<Remote>>, uri: Uri) -> Response {
    let refuse = |status: StatusCode, message: &str| {
        (status, Json(json!({"ok": false, "error": message}))).into_response()
    };
    let query = uri.query().unwrap_or("").as_bytes();
    let pairs = match corsform::decode(query) {
        Ok(pairs) => pairs,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e.message()),
    };
    if pairs.len() > remote.max_fields {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "too many fields");
    }
    if let Some(why) = overlong(&pairs, remote.max_field_len) {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, &why);
    }
    let Some((name, _)) = pairs.first() else {
        return refuse(StatusCode::BAD_REQUEST, "ask ?NAME=VALUE");
    };
    let failures = remote.rules.check(&pairs);
    match failures.into_iter().find(|f| f.field == *name) {
        None => Json(json!(true)).into_response(),
        Some(failure) => Json(json!(failure.message)).into_response(),
    }
}
