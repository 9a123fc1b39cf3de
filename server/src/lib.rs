#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod config;
pub mod connections;
pub mod export;
pub mod limit;
pub mod mail;
pub mod origin;
pub mod outbox;
pub mod pages;
pub mod pattern;
pub mod proxy;
pub mod remote;
pub mod retention;
pub mod rules;
pub mod store;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, ORIGIN, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use corsform::Failure;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use mail::Mail;
pub use origin::{parse_origin, parse_redirect};
pub use outbox::Outbox;
pub use rules::Rules;
pub use store::{Delivery, Store, StoreError, Submission};

/// A configuration error: the server refuses to start and prints this one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The request header that carries a client's idempotency key
/// (draft-ietf-httpapi-idempotency-key-header): a submission with the same key to the
/// same form within a day is answered with the first one's id and stored once.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// The hidden field that may carry the idempotency key instead (a plain form post cannot
/// set headers); never stored. The header wins when both are sent.
pub const IDEMPOTENCY_FIELD: &str = "_idempotency_key";
/// The longest accepted idempotency key, in bytes.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;
/// The default form's name: its answers `/contact` and `/f/contact`.
pub const DEFAULT_FORM: &str = "contact";

/// The origins allowed by default: the demo site that `cargo xtask demo` serves.
pub const DEFAULT_ORIGINS: [&str; 2] = ["http://127.0.0.1:8080", "http://localhost:8080"];
/// The default largest accepted body: 64 KiB.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;
/// The default largest number of `name=value` pairs.
pub const DEFAULT_MAX_FIELDS: usize = 100;
/// The default longest accepted field name or value, in characters.
pub const DEFAULT_MAX_FIELD_LEN: usize = 10_000;
/// The default `--rate-limit`: submissions per minute per client address.
pub const DEFAULT_RATE_LIMIT: u32 = 10;
/// The default honeypot field's name (Formspree's convention).
pub const DEFAULT_HONEYPOT: &str = "_gotcha";
/// How long a preflight answer may be cached by the browser (Chrome caps it at 7200 s).
pub const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// One form: everything [`app`] needs; [`Config::new`] gives the defaults. [`site`] takes
/// several.
#[derive(Clone, Debug)]
pub struct Config {
    /// The form's name: it answers `POST /f/NAME`; stored with each submission, `{form}`
    /// in the mail's subject.
    pub name: String,
    /// How many days its submissions (and their notifications) are kept; `None`: until
    /// deleted with `corsform-server delete`.
    pub retain_days: Option<u32>,
    /// The exact origins whose pages may post (checked with [`parse_origin`]).
    pub allow_origins: Vec<HeaderValue>,
    /// What a submission must satisfy.
    pub rules: Rules,
    /// Where submissions go.
    pub store: Store,
    /// Where a plain (no-JS) form post is sent after it is stored.
    pub redirect: HeaderValue,
    /// Where a plain form post is sent when it is incomplete or malformed.
    pub redirect_invalid: HeaderValue,
    /// The largest accepted body, in bytes.
    pub max_body: usize,
    /// The largest accepted number of `name=value` pairs.
    pub max_fields: usize,
    /// The longest accepted field name or value, in characters.
    pub max_field_len: usize,
    /// A field that people leave empty (it is hidden) and bots fill in: a submission with
    /// it non-empty is answered as a success and dropped. The field itself is never
    /// checked or stored. `None`: no honeypot.
    pub honeypot: Option<String>,
    /// Submissions per minute per client address; 0 = no limit.
    pub rate_limit: u32,
    /// How long one request may take, body and commit included.
    pub timeout: Duration,
    /// The reverse proxies trusted to say who the client is, for the rate limit.
    pub proxies: proxy::Proxies,
    /// The notification e-mail; `None`: submissions are stored only. With it, each
    /// submission is committed with its notification, which an [`Outbox`] sends.
    pub mail: Option<Arc<Mail>>,
}

impl Config {
    /// The defaults: the demo site's origins, the seed's rules, `/thanks` and `/invalid`.
    pub fn new(store: Store) -> Config {
        Config {
            name: DEFAULT_FORM.into(),
            retain_days: None,
            allow_origins: DEFAULT_ORIGINS
                .iter()
                .map(|o| HeaderValue::from_static(o))
                .collect(),
            rules: Rules::seed(),
            store,
            redirect: HeaderValue::from_static("/thanks"),
            redirect_invalid: HeaderValue::from_static("/invalid"),
            max_body: DEFAULT_MAX_BODY,
            max_fields: DEFAULT_MAX_FIELDS,
            max_field_len: DEFAULT_MAX_FIELD_LEN,
            honeypot: Some(DEFAULT_HONEYPOT.into()),
            rate_limit: DEFAULT_RATE_LIMIT,
            timeout: Duration::from_secs(30),
            proxies: proxy::Proxies::default(),
            mail: None,
        }
    }
}

struct Shared {
    config: Config,
}

/// The whole HTTP service for one form: `POST /contact` (and `/f/NAME`), the CORS
/// preflight, `/healthz`, `/thanks` and `/invalid`. [`site`] with one form.
pub fn app(config: Config) -> Router {
    site(vec![config])
}

/// The whole HTTP service for several forms: each one's `POST /f/NAME` with its own CORS
/// origins, rules, limits and rate limit; the first one also answers `POST /contact`.
/// `/healthz`, `/thanks`, `/invalid` and the 404s answer every form's origins.
///
/// Panics when `forms` is empty or two have the same name (the configuration refuses
/// both before).
pub fn site(forms: Vec<Config>) -> Router {
    assert!(!forms.is_empty(), "a site has at least one form");
    let cors = |origins: Vec<HeaderValue>| {
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::POST])
            .allow_headers([
                HeaderName::from_static("x-requested-with"),
                CONTENT_TYPE,
                HeaderName::from_static(IDEMPOTENCY_HEADER),
            ])
            .max_age(PREFLIGHT_MAX_AGE)
    };
    let timeout = |config: &Config| {
        TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.timeout)
    };
    let trace = TraceLayer::new_for_http()
        .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
        .on_request(())
        .on_response(DefaultOnResponse::new().level(Level::INFO));
    let mut every_origin: Vec<HeaderValue> = Vec::new();
    for origin in forms.iter().flat_map(|f| &f.allow_origins) {
        if !every_origin.contains(origin) {
            every_origin.push(origin.clone());
        }
    }
    let health = Arc::new(Health {
        store: forms[0].store.clone(),
        mail: forms.iter().any(|f| f.mail.is_some()),
    });
    let common = Router::new()
        .route("/healthz", get(healthz))
        .route("/thanks", get(pages::thanks))
        .route("/invalid", get(pages::invalid))
        .fallback(not_found)
        .with_state(health)
        // Outermost last: every response, the timeout's and the 404 included, passes
        // through the CORS layer.
        .layer(timeout(&forms[0]))
        .layer(cors(every_origin));
    let mut router = Router::new();
    for (i, config) in forms.into_iter().enumerate() {
        let path = format!("/f/{}", config.name);
        // Only the POST counts towards the limit; its 429 still passes through the CORS
        // layer.
        let mut submit = post(contact);
        if let Some(shared) = limit::Shared::for_form(&config) {
            submit = submit.layer(axum::middleware::from_fn_with_state(shared, limit::shared));
        } else if let Some(limit) = limit::layer(config.rate_limit, &config.proxies) {
            submit = submit.layer(limit);
        }
        // Outside the rate limit: its 429 becomes a page for a plain form post.
        submit = submit.layer(axum::middleware::from_fn(pages_for_navigations));
        submit = submit.layer(timeout(&config));
        submit = submit.layer(cors(config.allow_origins.clone()));
        // jquery-validation's `remote`: GET /contact/validate, /f/NAME/validate.
        let check = remote::route(&config);
        let submit = submit.with_state(Arc::new(Shared { config }));
        if i == 0 {
            router = router.route("/contact", submit.clone());
            router = router.route("/contact/validate", check.clone());
        }
        router = router.route(&path, submit);
        router = router.route(&format!("{path}/validate"), check);
    }
    router.merge(common).layer(trace)
}

/// What `/healthz` looks at.
struct Health {
    store: Store,
    mail: bool,
}

/// `GET /healthz`, for a load balancer: `200 {"ok":true}` once a write to the database
/// has committed, with mail on `"outbox":{"pending":N,"failed":M}` too; `503
/// {"ok":false,…}` when the database cannot be written (details only logged).
async fn healthz(State(health): State<Arc<Health>>) -> Response {
    let store = &health.store;
    if let Err(e) = store.check_writable().await {
        tracing::error!("health: {e}");
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database cannot be written",
        );
    }
    if !health.mail {
        return Json(json!({"ok": true})).into_response();
    }
    match store.counts().await {
        Ok((pending, failed)) => Json(json!({
            "ok": true,
            "outbox": {"pending": pending, "failed": failed},
        }))
        .into_response(),
        Err(e) => {
            tracing::error!("health: {e}");
            error(StatusCode::SERVICE_UNAVAILABLE, "the outbox cannot be read")
        }
    }
}

async fn not_found(headers: HeaderMap) -> Response {
    if is_navigation(&headers) {
        return pages::refusal(StatusCode::NOT_FOUND);
    }
    error(
        StatusCode::NOT_FOUND,
        "not found; a form is posted to /contact or /f/NAME",
    )
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"ok": false, "error": message}))).into_response()
}

/// Why a submission was not stored.
#[derive(Debug)]
enum Rejection {
    /// 403: an `Origin` that is not allowed (cross-site request forgery).
    Forbidden,
    /// 415.
    UnsupportedType,
    /// 413.
    TooLarge(Cow<'static, str>),
    /// 400.
    BadBody(&'static str),
    /// 400: an idempotency key that is empty, too long or not printable ASCII.
    BadKey,
    /// 422.
    Invalid(Vec<Failure>),
    /// 500: the database failed; details are logged only.
    Storage,
}

/// Whether the request is a navigation, a plain form post whose answer the browser shows as
/// a page, rather than a request from script (fetch or XHR), which reads a JSON answer:
/// `Sec-Fetch-Mode: navigate` (Fetch metadata, sent by every current browser), or, from a
/// browser that sends no `Sec-Fetch-*` header, an `Accept` that asks for `text/html` (as
/// navigations do and fetch's `*/*` does not). `X-Requested-With` is only ever script.
pub fn is_navigation(headers: &HeaderMap) -> bool {
    if headers.contains_key("x-requested-with") {
        return false;
    }
    match headers.get("sec-fetch-mode") {
        Some(mode) => mode.as_bytes().eq_ignore_ascii_case(b"navigate"),
        None if headers.keys().any(|k| k.as_str().starts_with("sec-fetch-")) => false,
        None => headers
            .get_all(ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|range| {
                let mut parts = range.split(';').map(str::trim);
                let essence = parts.next().unwrap_or("");
                let refused = parts.any(|p| {
                    p.strip_prefix("q=")
                        .is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q == 0.0))
                });
                essence.eq_ignore_ascii_case("text/html") && !refused
            }),
    }
}

/// A plain form post whose `Origin` is `null`: a top-level page with
/// `Referrer-Policy: no-referrer` (or a privacy browser) posting a form. A sandboxed
/// frame's post (`Sec-Fetch-Dest: iframe`) is not one of them.
fn is_null_origin_navigation(origin: &HeaderValue, headers: &HeaderMap) -> bool {
    origin == "null"
        && headers
            .get("sec-fetch-dest")
            .is_none_or(|dest| dest.as_bytes().eq_ignore_ascii_case(b"document"))
}

/// `_next` (Formspree's field) for a plain form post: the URL, normalized, when it is an
/// http(s) URL on one of the allowed origins; anything else is ignored.
fn next_url(pairs: &[(String, String)], allowed: &[HeaderValue]) -> Option<HeaderValue> {
    let (_, text) = pairs.iter().find(|(name, _)| name == "_next")?;
    let url = url::Url::parse(text).ok()?;
    let origin = url.origin().ascii_serialization();
    let on_allowed = matches!(url.scheme(), "http" | "https")
        && url.username().is_empty()
        && url.password().is_none()
        && allowed.iter().any(|o| o.as_bytes() == origin.as_bytes());
    on_allowed
        .then(|| HeaderValue::from_str(url.as_str()).ok())
        .flatten()
}

/// Answers a plain form post's refusal by the rate limit with a page, not JSON.
async fn pages_for_navigations(request: Request, next: Next) -> Response {
    let navigation = is_navigation(request.headers());
    let response = next.run(request).await;
    if !navigation || response.status() != StatusCode::TOO_MANY_REQUESTS {
        return response;
    }
    let mut page = pages::refusal(StatusCode::TOO_MANY_REQUESTS);
    if let Some(retry) = response.headers().get(RETRY_AFTER) {
        page.headers_mut().insert(RETRY_AFTER, retry.clone());
    }
    page
}

fn is_form_urlencoded(headers: &HeaderMap) -> bool {
    let Some(Ok(value)) = headers.get(CONTENT_TYPE).map(|v| v.to_str()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

async fn contact(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let navigation = is_navigation(request.headers());
    let outcome = shared.submit(request, navigation).await;
    let config = &shared.config;
    match outcome {
        Ok((_, Some(next))) if navigation => redirect(&next),
        Ok(_) if navigation => redirect(&config.redirect),
        Ok((id, _)) => Json(json!({"ok": true, "id": id})).into_response(),
        Err(rejection) => {
            tracing::debug!(?rejection, "submission rejected");
            match rejection {
                // A person pressed a button: a page, never raw JSON.
                Rejection::Forbidden if navigation => pages::refusal(StatusCode::FORBIDDEN),
                Rejection::Storage if navigation => {
                    pages::refusal(StatusCode::INTERNAL_SERVER_ERROR)
                }
                _ if navigation => redirect(&config.redirect_invalid),
                Rejection::Forbidden => {
                    error(StatusCode::FORBIDDEN, "this origin may not post here")
                }
                Rejection::Storage => error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the submission could not be stored; try again later",
                ),
                Rejection::UnsupportedType => error(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "the body must be application/x-www-form-urlencoded",
                ),
                Rejection::TooLarge(why) => error(StatusCode::PAYLOAD_TOO_LARGE, &why),
                Rejection::BadBody(why) => error(StatusCode::BAD_REQUEST, why),
                Rejection::BadKey => error(
                    StatusCode::BAD_REQUEST,
                    "the idempotency key must be 1 to 255 printable ASCII characters",
                ),
                Rejection::Invalid(failures) => {
                    let errors: serde_json::Map<String, serde_json::Value> = failures
                        .into_iter()
                        .map(|f| (f.field, f.message.into()))
                        .collect();
                    (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        Json(json!({"ok": false, "errors": errors})),
                    )
                        .into_response()
                }
            }
        }
    }
}

/// `303 See Other` to a configured URL (never one taken from the request).
fn redirect(location: &HeaderValue) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, location.clone())]).into_response()
}

impl Shared {
    /// Stores a submission: its id, and for a navigation the `_next` URL it asked for.
    async fn submit(
        &self,
        request: Request,
        navigation: bool,
    ) -> Result<(i64, Option<HeaderValue>), Rejection> {
        let config = &self.config;
        let (parts, body) = request.into_parts();
        let mut origins = parts.headers.get_all(ORIGIN).iter();
        let origin = match (origins.next(), origins.next()) {
            (None, _) => None,
            (Some(o), None)
                if config.allow_origins.contains(o)
                    || (navigation && is_null_origin_navigation(o, &parts.headers)) =>
            {
                Some(o.to_str().map_err(|_| Rejection::Forbidden)?.to_owned())
            }
            _ => return Err(Rejection::Forbidden),
        };
        if !is_form_urlencoded(&parts.headers) {
            return Err(Rejection::UnsupportedType);
        }
        let mut pairs = read_form(body, &parts.headers, config).await?;
        let idempotency_key = idempotency_key(&parts.headers, &mut pairs)?;
        if let Some(honeypot) = &config.honeypot {
            let mut caught = false;
            pairs.retain(|(name, value)| {
                let is_honeypot = name == honeypot;
                caught |= is_honeypot && !value.is_empty();
                !is_honeypot
            });
            if caught {
                tracing::info!("honeypot field filled in: answered as stored, dropped");
                return Ok((config.store.plausible_id(), None));
            }
        }
        let failures = config.rules.check(&pairs);
        if !failures.is_empty() {
            return Err(Rejection::Invalid(failures));
        }
        let next = navigation
            .then(|| next_url(&pairs, &config.allow_origins))
            .flatten();
        let id = config
            .store
            .insert(store::NewSubmission {
                form: config.name.clone(),
                origin,
                fields: pairs,
                notify: config.mail.is_some(),
                idempotency_key,
            })
            .await
            .map_err(|e| {
                tracing::error!("{e}");
                Rejection::Storage
            })?;
        Ok((id, next))
    }
}

/// The submission's idempotency key, from the `Idempotency-Key` header or else the
/// `_idempotency_key` field; the field is removed either way (it is never stored).
fn idempotency_key(
    headers: &HeaderMap,
    pairs: &mut Vec<(String, String)>,
) -> Result<Option<String>, Rejection> {
    let mut field = None;
    pairs.retain(|(name, value)| {
        let is_key = name == IDEMPOTENCY_FIELD;
        if is_key && field.is_none() {
            field = Some(value.clone());
        }
        !is_key
    });
    let key = match headers.get(IDEMPOTENCY_HEADER) {
        Some(value) => Some(value.to_str().map_err(|_| Rejection::BadKey)?.to_owned()),
        None => field,
    };
    match key {
        Some(key)
            if key.is_empty()
                || key.len() > MAX_IDEMPOTENCY_KEY
                || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ') =>
        {
            Err(Rejection::BadKey)
        }
        key => Ok(key),
    }
}

const TOO_LARGE: Cow<'static, str> = Cow::Borrowed("the form body is too large");

async fn read_form(
    body: Body,
    headers: &HeaderMap,
    config: &Config,
) -> Result<Vec<(String, String)>, Rejection> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > config.max_body as u64) {
        return Err(Rejection::TooLarge(TOO_LARGE));
    }
    let bytes = Limited::new(body, config.max_body)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<LengthLimitError>().is_some() {
                Rejection::TooLarge(TOO_LARGE)
            } else {
                Rejection::BadBody("the request body could not be read")
            }
        })?
        .to_bytes();
    // The same pieces `decode` keeps: counted before any allocation.
    let fields = bytes
        .split(|&b| b == b'&')
        .filter(|piece| !piece.is_empty())
        .count();
    if fields > config.max_fields {
        return Err(Rejection::TooLarge("the form has too many fields".into()));
    }
    let pairs = corsform::decode(&bytes).map_err(|e| Rejection::BadBody(e.message()))?;
    match overlong(&pairs, config.max_field_len) {
        Some(why) => Err(Rejection::TooLarge(why.into())),
        None => Ok(pairs),
    }
}

/// Why a name or value of `pairs` is over `max` characters (`--max-field-len`), counted
/// as the browser's `maxlength` and jquery-validation count them
/// ([`corsform::validate::length`]): UTF-16 code units, a line break one character (the
/// wire's CRLF is the textarea's LF). `None` when none is.
pub(crate) fn overlong(pairs: &[(String, String)], max: usize) -> Option<String> {
    // UTF-8 never has fewer bytes than UTF-16 has units: most values need no count.
    let too_long = |text: &str| text.len() > max && corsform::validate::length(text) > max;
    pairs.iter().find_map(|(name, value)| {
        if too_long(name) {
            Some(format!("a field name is longer than {max} characters"))
        } else {
            too_long(value).then(|| format!("the field {name:?} is longer than {max} characters"))
        }
    })
}
