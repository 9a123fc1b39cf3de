//! The HTTP contract, tested on `app(config)` with `oneshot`: CORS preflight, the POST's
//! answers for script and for plain form posts, bad input, storage.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
// This file uses `common::backend` (and `postgres` through it) only.
#[allow(dead_code)]
mod common;

use common::backend::{Backend, Database};
use corsform_server::{app, store, Config, Rules, Submission};
use http_body_util::BodyExt;
use tower::ServiceExt;

const SITE: &str = "http://127.0.0.1:8080";
const FORM: &str = "application/x-www-form-urlencoded";
const VALID: &str = "subject=Hi&from=a%40b.c&message=Hello+there";

struct Server {
    db: Database,
    config: Config,
}

impl Server {
    /// On SQLite, for the tests of what does not depend on the store.
    async fn new() -> Server {
        Server::on(Backend::Sqlite).await
    }

    async fn on(backend: Backend) -> Server {
        let db = backend.database().await;
        Server {
            config: Config::new(db.store.clone()),
            db,
        }
    }

    fn app(&self) -> Router {
        app(self.config.clone())
    }

    async fn rows(&self) -> Vec<Submission> {
        self.db.rows().await
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn allow_origin(&self) -> Option<&str> {
        self.header("access-control-allow-origin")
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The CORS headers every answer to the allowed site carries.
    fn assert_cors(&self) {
        assert_eq!(self.allow_origin(), Some(SITE), "{:?}", self.headers);
        assert!(varies_on_origin(&self.headers), "{:?}", self.headers);
        assert_eq!(self.header("access-control-allow-credentials"), None);
    }
}

fn varies_on_origin(headers: &HeaderMap) -> bool {
    headers.get_all("vary").iter().any(|v| {
        v.to_str()
            .unwrap()
            .split(',')
            .any(|t| t.trim().eq_ignore_ascii_case("origin"))
    })
}

fn preflight(origin: &str, request_headers: &str) -> Request<Body> {
    Request::options("/contact")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", request_headers)
        .body(Body::empty())
        .unwrap()
}

fn xhr(body: impl Into<Body>) -> Request<Body> {
    Request::post("/contact")
        .header("origin", SITE)
        .header("content-type", FORM)
        .header("x-requested-with", "XMLHttpRequest")
        .body(body.into())
        .unwrap()
}

fn plain(body: impl Into<Body>) -> Request<Body> {
    Request::post("/contact")
        .header("origin", SITE)
        .header("content-type", FORM)
        .header("sec-fetch-mode", "navigate")
        .body(body.into())
        .unwrap()
}

// ---- preflight ----

#[tokio::test]
async fn preflight_from_an_allowed_origin_allows_post_and_x_requested_with() {
    let server = Server::new().await;
    for origin in ["http://127.0.0.1:8080", "http://localhost:8080"] {
        let answer = server.send(preflight(origin, "x-requested-with")).await;
        assert!(answer.status.is_success(), "{}", answer.status);
        assert_eq!(answer.allow_origin(), Some(origin));
        assert!(varies_on_origin(&answer.headers));
        let methods = answer.header("access-control-allow-methods").unwrap();
        assert!(methods.split(',').any(|m| m.trim() == "POST"), "{methods}");
        let max_age: u32 = answer
            .header("access-control-max-age")
            .unwrap()
            .parse()
            .unwrap();
        assert!(max_age > 0 && max_age <= 7200, "{max_age}");
        assert_eq!(answer.header("access-control-allow-credentials"), None);
    }
}

/// What the browser does with the answer: every requested header name, compared without
/// regard to case, must be in `Access-Control-Allow-Headers`.
fn allows_headers(answer: &Answer, requested: &str) -> bool {
    let allowed: Vec<String> = answer
        .header("access-control-allow-headers")
        .unwrap_or("")
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    requested
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .all(|h| allowed.contains(&h))
}

#[tokio::test]
async fn preflight_allows_the_headers_in_any_case_and_spacing() {
    let server = Server::new().await;
    for requested in [
        "x-requested-with",
        "X-REQUESTED-WITH",
        "x-requested-with,content-type",
        "x-requested-with, content-type",
        "  Content-Type ,  X-Requested-With  ",
    ] {
        let answer = server.send(preflight(SITE, requested)).await;
        assert!(answer.status.is_success());
        assert_eq!(answer.allow_origin(), Some(SITE));
        assert!(
            allows_headers(&answer, requested),
            "{requested:?}: {:?}",
            answer.headers
        );
    }
}

#[tokio::test]
async fn preflight_does_not_allow_other_headers() {
    let server = Server::new().await;
    let answer = server
        .send(preflight(SITE, "x-requested-with, authorization"))
        .await;
    assert!(!allows_headers(&answer, "x-requested-with, authorization"));
}

#[tokio::test]
async fn disallowed_null_and_look_alike_origins_get_no_allow_origin() {
    let server = Server::new().await;
    for origin in [
        "http://evil.example",
        "null",
        "http://127.0.0.1:8080.evil.com",
        "http://evil127.0.0.1:8080",
        "http://127.0.0.1:8080/",
        "http://127.0.0.1:8081",
        "http://127.0.0.1:80800",
        "http://127.0.0.1",
        "https://127.0.0.1:8080",
        "HTTP://127.0.0.1:8080",
        "http://LOCALHOST:8080",
        "http://localhost:8080 ",
        "*",
    ] {
        let answer = server.send(preflight(origin, "x-requested-with")).await;
        assert_eq!(answer.allow_origin(), None, "{origin:?}");
        assert_eq!(answer.header("access-control-allow-credentials"), None);
        assert!(varies_on_origin(&answer.headers), "{origin:?}");
    }
}

#[tokio::test]
async fn configured_origins_replace_the_defaults() {
    let mut server = Server::new().await;
    server.config.allow_origins =
        vec![corsform_server::parse_origin("https://example.com").unwrap()];
    let answer = server
        .send(preflight("https://example.com", "x-requested-with"))
        .await;
    assert_eq!(answer.allow_origin(), Some("https://example.com"));
    let answer = server.send(preflight(SITE, "x-requested-with")).await;
    assert_eq!(answer.allow_origin(), None);
}

// ---- the POST from script ----

async fn xhr_post_answers_200_with_the_id_of_the_stored_row(backend: Backend) {
    let server = Server::on(backend).await;
    let answer = server.send(xhr(VALID)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.assert_cors();
    assert_eq!(answer.json(), serde_json::json!({"ok": true, "id": 1}));
    let rows = server.rows().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, 1);
    assert_eq!(rows[0].origin.as_deref(), Some(SITE));
    let pairs: Vec<(&str, &str)> = rows[0]
        .fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("subject", "Hi"),
            ("from", "a@b.c"),
            ("message", "Hello there")
        ]
    );
    let received = &rows[0].received;
    assert!(
        received.len() == 20 && received.ends_with('Z') && received.as_bytes()[10] == b'T',
        "{received}"
    );

    let answer = server.send(xhr(VALID)).await;
    assert_eq!(answer.json()["id"], 2);
}

#[tokio::test]
async fn sec_fetch_mode_cors_is_script_too() {
    let server = Server::new().await;
    let request = Request::post("/contact")
        .header("origin", SITE)
        .header("content-type", FORM)
        .header("sec-fetch-mode", "cors")
        .body(Body::from(VALID))
        .unwrap();
    let answer = server.send(request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["ok"], true);
}

#[tokio::test]
async fn x_requested_with_is_matched_without_regard_to_case() {
    let server = Server::new().await;
    let request = Request::post("/contact")
        .header("origin", SITE)
        .header("content-type", FORM)
        .header("X-REQUESTED-WITH", "xmlhttprequest")
        .body(Body::from("subject="))
        .unwrap();
    let answer = server.send(request).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn xhr_invalid_submission_is_422_with_each_field_message(backend: Backend) {
    let server = Server::on(backend).await;
    let answer = server
        .send(xhr("subject=&from=not-an-address&message="))
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    answer.assert_cors();
    assert_eq!(
        answer.json(),
        serde_json::json!({"ok": false, "errors": {
            "subject": "This field is required.",
            "from": "Please enter a valid email address.",
            "message": "This field is required.",
        }})
    );
    assert!(server.rows().await.is_empty());
}

#[tokio::test]
async fn rules_file_messages_and_patterns_apply() {
    let mut server = Server::new().await;
    server.config.rules = Rules::from_json(
        r#"{"rules": {"message": {"required": true, "maxlength": 5.0},
                      "code": {"pattern": "[0-9]+|x"}},
            "messages": {"message": {"maxlength": "At most {0} characters, please."}}}"#,
    )
    .unwrap();
    let answer = server.send(xhr("message=too+long&code=12a")).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        answer.json()["errors"],
        serde_json::json!({
            "message": "At most 5 characters, please.",
            "code": "Invalid format.",
        })
    );
    // `^(?:source)$`: the alternation does not escape the anchors.
    let answer = server.send(xhr("message=short&code=1x")).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let answer = server.send(xhr("message=short&code=12")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

async fn bad_percent_encoding_is_400(backend: Backend) {
    let server = Server::on(backend).await;
    for body in ["subject=%zz", "subject=100%", "sub%2ject=x"] {
        let answer = server.send(xhr(body)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        answer.assert_cors();
        assert_eq!(
            answer.json(),
            serde_json::json!({"ok": false, "error": "malformed percent-encoding in the form body"})
        );
    }
    assert!(server.rows().await.is_empty());
}

async fn invalid_utf8_is_400(backend: Backend) {
    let server = Server::on(backend).await;
    for body in [
        &b"subject=%FF&from=a%40b.c&message=x"[..],
        b"subject=\xff\xfe&message=x",
    ] {
        let answer = server.send(xhr(body.to_vec())).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        answer.assert_cors();
        assert_eq!(answer.json()["error"], "the form body is not UTF-8");
    }
    assert!(server.rows().await.is_empty());
}

async fn other_content_types_are_415(backend: Backend) {
    let server = Server::on(backend).await;
    for content_type in [
        Some("application/json"),
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        Some("application/x-www-form-urlencodedx"),
        None,
    ] {
        let mut request = Request::post("/contact")
            .header("origin", SITE)
            .header("x-requested-with", "XMLHttpRequest");
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let answer = server.send(request.body(Body::from(VALID)).unwrap()).await;
        assert_eq!(
            answer.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        answer.assert_cors();
        assert_eq!(answer.json()["ok"], false);
    }
    assert!(server.rows().await.is_empty());
}

#[tokio::test]
async fn content_type_parameters_and_case_are_accepted() {
    let server = Server::new().await;
    for content_type in [
        "application/x-www-form-urlencoded; charset=UTF-8",
        "Application/X-WWW-Form-Urlencoded",
        "application/x-www-form-urlencoded ;charset=utf-8",
    ] {
        let request = Request::post("/contact")
            .header("origin", SITE)
            .header("content-type", content_type)
            .header("x-requested-with", "XMLHttpRequest")
            .body(Body::from(VALID))
            .unwrap();
        let answer = server.send(request).await;
        assert_eq!(answer.status, StatusCode::OK, "{content_type}");
    }
}

async fn oversized_body_is_413_with_cors_headers(backend: Backend) {
    let server = Server::on(backend).await;
    let big = format!("{VALID}&pad={}", "a".repeat(64 * 1024));
    // Declared by Content-Length: refused before reading.
    let mut request = xhr(big.clone());
    request
        .headers_mut()
        .insert("content-length", big.len().to_string().parse().unwrap());
    let answer = server.send(request).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    answer.assert_cors();
    assert_eq!(answer.json()["ok"], false);
    // Not declared (chunked): refused while reading.
    let answer = server.send(xhr(big)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    answer.assert_cors();
    assert!(server.rows().await.is_empty());
}

#[tokio::test]
async fn a_body_of_exactly_the_limit_is_accepted() {
    let mut server = Server::new().await;
    server.config.max_body = 1000;
    let body = format!("{VALID}&pad=");
    let body = format!("{body}{}", "a".repeat(1000 - body.len()));
    assert_eq!(body.len(), 1000);
    assert_eq!(server.send(xhr(body.clone())).await.status, StatusCode::OK);
    let answer = server.send(xhr(format!("{body}a"))).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

async fn too_many_fields_is_413(backend: Backend) {
    let server = Server::on(backend).await;
    let at_limit = format!("{VALID}{}", "&x=1".repeat(97));
    assert_eq!(server.send(xhr(at_limit)).await.status, StatusCode::OK);
    let over = format!("{VALID}{}", "&x=1".repeat(98));
    let answer = server.send(xhr(over)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    answer.assert_cors();
    assert_eq!(answer.json()["error"], "the form has too many fields");
    let thousands = "x&".repeat(5000);
    assert_eq!(
        server.send(xhr(thousands)).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(server.rows().await.len(), 1);
}

async fn cr_and_lf_in_values_are_stored_verbatim(backend: Backend) {
    let server = Server::on(backend).await;
    let body = "subject=Hi%0D%0ABcc%3A+x%40y.z&from=a%40b.c&message=line+1%0D%0Aline+2%0Aend%0D";
    let answer = server.send(xhr(body)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let rows = server.rows().await;
    assert_eq!(rows[0].fields[0].1, "Hi\r\nBcc: x@y.z");
    assert_eq!(rows[0].fields[2].1, "line 1\r\nline 2\nend\r");
}

async fn a_name_sent_twice_is_kept_twice_in_order(backend: Backend) {
    let server = Server::on(backend).await;
    let answer = server.send(xhr(format!("{VALID}&topic=a&topic=b"))).await;
    assert_eq!(answer.status, StatusCode::OK);
    let line = store::export_line(&server.rows().await[0]);
    assert!(
        line.ends_with(
            r#""fields":{"subject":"Hi","from":"a@b.c","message":"Hello there","topic":["a","b"]}}"#
        ),
        "{line}"
    );
}

async fn post_from_a_disallowed_origin_is_403_without_allow_origin_and_not_stored(
    backend: Backend,
) {
    let server = Server::on(backend).await;
    for origin in [
        "http://evil.example",
        "null",
        "http://127.0.0.1:8080.evil.com",
        "http://127.0.0.1:8080/",
    ] {
        for script in [true, false] {
            // A plain post with `Origin: null` is accepted: see r18 below.
            if !script && origin == "null" {
                continue;
            }
            let mut request = if script { xhr(VALID) } else { plain(VALID) };
            request
                .headers_mut()
                .insert("origin", origin.parse().unwrap());
            let answer = server.send(request).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{origin}");
            assert_eq!(answer.allow_origin(), None);
            assert_eq!(answer.header("location"), None);
            // Script reads JSON; a person who pressed a button gets a page.
            let html = answer
                .header("content-type")
                .unwrap()
                .starts_with("text/html");
            assert_eq!(html, !script, "{origin}");
        }
    }
    assert!(server.rows().await.is_empty());
}

async fn post_without_origin_is_processed(backend: Backend) {
    let server = Server::on(backend).await;
    // curl: no Origin, no Sec-Fetch-*, no Accept asking for HTML: JSON.
    let request = Request::post("/contact")
        .header("content-type", FORM)
        .body(Body::from(VALID))
        .unwrap();
    let answer = server.send(request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["ok"], true);
    assert_eq!(server.rows().await[0].origin, None);
    // An old browser's form post: no Origin, no Sec-Fetch-*, Accept: text/html.
    let request = Request::post("/contact")
        .header("content-type", FORM)
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .body(Body::from(VALID))
        .unwrap();
    let answer = server.send(request).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header("location"), Some("/thanks"));
    assert_eq!(server.rows().await[1].origin, None);
}

#[tokio::test]
async fn xhr_is_never_answered_with_a_redirect() {
    let server = Server::new().await;
    for body in [VALID, "subject=", "subject=%zz", &"x=1&".repeat(200)] {
        let answer = server.send(xhr(body.to_owned())).await;
        assert!(!answer.status.is_redirection(), "{body}: {}", answer.status);
        assert_eq!(answer.header("location"), None);
        assert!(answer.json().get("ok").is_some());
    }
}

// ---- the plain form post ----

async fn plain_post_is_303_to_the_configured_url(backend: Backend) {
    let mut server = Server::on(backend).await;
    server.config.redirect = "https://example.com/merci.html".parse().unwrap();
    let answer = server.send(plain(VALID)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(
        answer.header("location"),
        Some("https://example.com/merci.html")
    );
    assert_eq!(server.rows().await.len(), 1);
}

async fn plain_post_with_bad_input_is_303_to_the_invalid_url(backend: Backend) {
    let mut server = Server::on(backend).await;
    server.config.redirect_invalid = "/form-incomplete".parse().unwrap();
    let big = "a".repeat(70 * 1024);
    for (content_type, body) in [
        (FORM, "subject=&from=x"),
        (FORM, "subject=%zz"),
        (FORM, "subject=%FF"),
        (FORM, big.as_str()),
        ("text/plain", VALID),
    ] {
        let mut request = plain(body.to_owned());
        request
            .headers_mut()
            .insert("content-type", content_type.parse().unwrap());
        let answer = server.send(request).await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "{content_type} {}",
            &body[..body.len().min(20)]
        );
        assert_eq!(answer.header("location"), Some("/form-incomplete"));
    }
    assert!(server.rows().await.is_empty());
}

#[tokio::test]
async fn location_is_never_taken_from_request_data() {
    let server = Server::new().await;
    for body in [
        format!("{VALID}&redirect=http%3A%2F%2Fevil.example%2F&return_to=%2F%2Fevil.example"),
        "from=http%3A%2F%2Fevil.example%2F&redirect=http%3A%2F%2Fevil.example%2F".to_owned(),
    ] {
        let mut request = plain(body);
        *request.uri_mut() = "/contact?redirect=http://evil.example/&next=//evil.example"
            .parse()
            .unwrap();
        let headers = request.headers_mut();
        headers.insert("referer", "http://evil.example/".parse().unwrap());
        headers.insert("host", "evil.example".parse().unwrap());
        headers.insert("x-forwarded-host", "evil.example".parse().unwrap());
        let answer = server.send(request).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER);
        let location = answer.header("location").unwrap();
        assert!(
            location == "/thanks" || location == "/invalid",
            "{location}"
        );
    }
}

#[tokio::test]
async fn the_default_pages_are_constant_html() {
    let server = Server::new().await;
    for (path, words) in [
        ("/thanks?x=%3Cscript%3E", "Thank you"),
        ("/invalid?x=%3Cscript%3E", "incomplete"),
    ] {
        let request = Request::get(path).body(Body::empty()).unwrap();
        let answer = server.send(request).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer
            .header("content-type")
            .unwrap()
            .starts_with("text/html"));
        assert!(answer.body.contains(words));
        assert!(answer.body.contains("history.back()"));
        assert!(!answer.body.contains("<script") && !answer.body.contains("%3C"));
    }
}

// ---- everything else ----

#[tokio::test]
async fn unknown_paths_and_methods_keep_the_cors_headers() {
    let server = Server::new().await;
    let request = Request::post("/nope")
        .header("origin", SITE)
        .body(Body::empty())
        .unwrap();
    let answer = server.send(request).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    answer.assert_cors();
    assert_eq!(answer.json()["ok"], false);
    let request = Request::get("/contact")
        .header("origin", SITE)
        .body(Body::empty())
        .unwrap();
    let answer = server.send(request).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    answer.assert_cors();
}

async fn rate_limit_is_429_with_retry_after_and_cors_headers(backend: Backend) {
    let mut server = Server::on(backend).await;
    server.config.rate_limit = 2;
    let app = server.app();
    let from = |ip: [u8; 4]| {
        let mut request = xhr(VALID);
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((ip, 40000))));
        request
    };
    for _ in 0..2 {
        let response = app.clone().oneshot(from([10, 0, 0, 1])).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    let response = app.clone().oneshot(from([10, 0, 0, 1])).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry = common::retry_after(response.headers());
    assert!((1..=60).contains(&retry));
    assert_eq!(response.headers()["access-control-allow-origin"], SITE);
    let response = app.clone().oneshot(from([10, 0, 0, 2])).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(server.rows().await.len(), 3);
}

async fn rate_limit_counts_only_posts_and_is_off_at_zero(backend: Backend) {
    let mut server = Server::on(backend).await;
    server.config.rate_limit = 1;
    let app = server.app();
    // Without ConnectInfo (oneshot), every request shares one fixed key.
    for _ in 0..3 {
        let response = app
            .clone()
            .oneshot(preflight(SITE, "x-requested-with"))
            .await;
        assert_eq!(response.unwrap().status(), StatusCode::OK);
    }
    let response = app.clone().oneshot(xhr(VALID)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.clone().oneshot(xhr(VALID)).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["ok"], false);

    server.config.rate_limit = 0;
    let app = server.app();
    for _ in 0..50 {
        let response = app.clone().oneshot(xhr(VALID)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
}

// ---- honeypot ----

async fn a_filled_honeypot_is_answered_like_a_success_and_not_stored(backend: Backend) {
    let server = Server::on(backend).await;
    let answer = server.send(xhr(VALID)).await;
    assert_eq!(answer.json(), serde_json::json!({"ok": true, "id": 1}));

    let answer = server.send(xhr(format!("{VALID}&_gotcha=buy+now"))).await;
    assert_eq!(answer.status, StatusCode::OK);
    answer.assert_cors();
    assert_eq!(answer.json(), serde_json::json!({"ok": true, "id": 2}));

    let answer = server.send(plain(format!("_gotcha=x&{VALID}"))).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header("location"), Some("/thanks"));
    assert_eq!(server.rows().await.len(), 1);
}

async fn a_filled_honeypot_is_never_validated(backend: Backend) {
    let server = Server::on(backend).await;
    let answer = server.send(xhr("_gotcha=spam&from=not-an-address")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["ok"], true);
    assert!(server.rows().await.is_empty());
}

async fn an_empty_honeypot_is_stored_without_the_honeypot_field(backend: Backend) {
    let server = Server::on(backend).await;
    let answer = server.send(xhr(format!("_gotcha=&{VALID}"))).await;
    assert_eq!(answer.status, StatusCode::OK);
    let rows = server.rows().await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].fields.iter().all(|(name, _)| name != "_gotcha"));
    assert_eq!(rows[0].fields.len(), 3);
}

async fn the_honeypot_name_is_configurable_and_can_be_off(backend: Backend) {
    let mut server = Server::on(backend).await;
    server.config.honeypot = Some("website".into());
    let answer = server.send(xhr(format!("{VALID}&website=x"))).await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = server.send(xhr(format!("{VALID}&_gotcha=x"))).await;
    assert_eq!(answer.status, StatusCode::OK);
    let rows = server.rows().await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].fields.contains(&("_gotcha".into(), "x".into())));

    server.config.honeypot = None;
    let answer = server.send(xhr(format!("{VALID}&website=x"))).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(server.rows().await.len(), 2);
}

// ---- per-field length ----

async fn a_field_over_max_field_len_is_413_naming_the_field(backend: Backend) {
    let mut server = Server::on(backend).await;
    server.config.max_field_len = 100;
    // 100 characters of 2 bytes each: counted in characters, accepted.
    let at_cap = format!("{VALID}&note={}", "%C3%A9".repeat(100));
    assert_eq!(server.send(xhr(at_cap)).await.status, StatusCode::OK);

    let over = format!("{VALID}&note={}", "a".repeat(101));
    let answer = server.send(xhr(over)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    answer.assert_cors();
    assert_eq!(
        answer.json()["error"],
        "the field \"note\" is longer than 100 characters"
    );

    let long_name = format!("{VALID}&{}=1", "n".repeat(101));
    let answer = server.send(xhr(long_name)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        answer.json()["error"],
        "a field name is longer than 100 characters"
    );
    assert_eq!(server.rows().await.len(), 1);
}

#[tokio::test]
async fn the_default_field_cap_is_10000_characters() {
    let mut server = Server::new().await;
    server.config.max_body = 100_000;
    let at_cap = format!("{VALID}&note={}", "a".repeat(10_000));
    assert_eq!(server.send(xhr(at_cap)).await.status, StatusCode::OK);
    let over = format!("{VALID}&note={}", "a".repeat(10_001));
    assert_eq!(
        server.send(xhr(over)).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

// ---- script or navigation (issue 16; cases 18 and 19 in /work/shared/cases) ----

/// A POST of the valid body with exactly these headers.
fn post_with(headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::post("/contact");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::from(VALID)).unwrap()
}

/// Case 18 (rails/rails#28299): a page with `Referrer-Policy: no-referrer` posts its form
/// without JavaScript; Chrome sends `Origin: null`. The person gets the thanks page.
async fn r18_plain_post_origin_null(backend: Backend) {
    let server = Server::on(backend).await;
    let answer = server
        .send(post_with(&[
            ("origin", "null"),
            ("content-type", FORM),
            ("sec-fetch-mode", "navigate"),
            ("sec-fetch-dest", "document"),
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-user", "?1"),
            ("upgrade-insecure-requests", "1"),
            (
                "accept",
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            ),
        ]))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header("location"), Some("/thanks"));
    assert_eq!(server.rows().await[0].origin.as_deref(), Some("null"));
}

/// The kind behind case 18: `Origin: null` is accepted only for a top-level navigation
/// (Firefox's no-referrer post, with no Sec-Fetch-* at all on an old one); script and a
/// sandboxed frame's post stay refused, and no refusal of a plain post is raw JSON.
async fn origin_null_is_accepted_only_for_a_top_level_navigation(backend: Backend) {
    let server = Server::on(backend).await;
    let accepted: [&[(&str, &str)]; 2] = [
        &[
            ("origin", "null"),
            ("content-type", FORM),
            ("sec-fetch-mode", "navigate"),
        ],
        &[
            ("origin", "null"),
            ("content-type", FORM),
            ("accept", "text/html"),
        ],
    ];
    for headers in accepted {
        let answer = server.send(post_with(headers)).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{headers:?}");
    }
    let frame = [
        ("origin", "null"),
        ("content-type", FORM),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "iframe"),
    ];
    let answer = server.send(post_with(&frame)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let script = [
        ("origin", "null"),
        ("content-type", FORM),
        ("accept", "*/*"),
    ];
    let answer = server.send(post_with(&script)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.json()["ok"], false);
    assert_eq!(server.rows().await.len(), 2);
}

/// Case 19 (formspree/formspree PR #177): Safari 16.3 fetches without X-Requested-With and
/// without Sec-Fetch-*; the script must read a 200 JSON answer, not an opaque redirect.
async fn r19_script_post_without_xrw(backend: Backend) {
    let server = Server::on(backend).await;
    let answer = server
        .send(post_with(&[
            ("origin", SITE),
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=UTF-8",
            ),
            ("accept", "*/*"),
        ]))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    answer.assert_cors();
    assert_eq!(answer.json()["ok"], true);
    assert_eq!(answer.json()["id"], server.rows().await[0].id);
}

/// The kind behind case 19: only a navigation gets HTML or a 303; everything else, stored
/// or refused, gets JSON and never a redirect.
#[tokio::test]
async fn only_a_navigation_gets_a_redirect() {
    let server = Server::new().await;
    let navigations: [&[(&str, &str)]; 4] = [
        &[("sec-fetch-mode", "navigate")],
        &[
            ("sec-fetch-mode", "navigate"),
            ("accept", "application/json"),
        ],
        &[("accept", "text/html")],
        &[("accept", "application/xhtml+xml, TEXT/HTML;q=0.9")],
    ];
    let scripts: [&[(&str, &str)]; 9] = [
        &[],
        &[("accept", "*/*")],
        &[("accept", "application/json")],
        &[("accept", "text/html;q=0, application/json")],
        &[("sec-fetch-mode", "cors"), ("accept", "text/html")],
        &[("sec-fetch-mode", "no-cors")],
        &[("sec-fetch-site", "cross-site"), ("accept", "text/html")],
        &[
            ("x-requested-with", "XMLHttpRequest"),
            ("accept", "text/html"),
        ],
        &[
            ("x-requested-with", "XMLHttpRequest"),
            ("sec-fetch-mode", "navigate"),
        ],
    ];
    for (navigation, list) in [(true, &navigations[..]), (false, &scripts[..])] {
        for extra in list {
            for body in [VALID, "subject=", "subject=%zz"] {
                let mut request = post_with(&[("origin", SITE), ("content-type", FORM)]);
                *request.body_mut() = Body::from(body);
                for (name, value) in *extra {
                    request.headers_mut().insert(*name, value.parse().unwrap());
                }
                let answer = server.send(request).await;
                assert_eq!(
                    answer.status.is_redirection(),
                    navigation,
                    "{extra:?} {body}"
                );
                if !navigation {
                    assert!(answer.json().get("ok").is_some(), "{extra:?} {body}");
                }
            }
        }
    }
}

async fn a_plain_post_to_an_unknown_path_gets_a_page_not_json(backend: Backend) {
    let server = Server::on(backend).await;
    let mut request = plain(VALID);
    *request.uri_mut() = "/contact-us".parse().unwrap();
    let answer = server.send(request).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(answer.body.contains("nothing was sent"));
    assert!(server.rows().await.is_empty());
}

async fn a_rate_limited_plain_post_gets_a_page_not_json(backend: Backend) {
    let mut server = Server::on(backend).await;
    server.config.rate_limit = 1;
    let app = server.app();
    let response = app.clone().oneshot(plain(VALID)).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = app.clone().oneshot(plain(VALID)).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let response = app.clone().oneshot(xhr(VALID)).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
}

// ---- Formspree's fields ----

#[tokio::test]
async fn next_is_honoured_for_a_plain_post_only_on_an_allowed_origin() {
    let server = Server::new().await;
    let next = |url: &str| {
        format!(
            "{VALID}&_next={}",
            url.replace(':', "%3A").replace('/', "%2F")
        )
    };
    for (url, location) in [
        (
            "http://127.0.0.1:8080/merci.html",
            "http://127.0.0.1:8080/merci.html",
        ),
        ("http://localhost:8080", "http://localhost:8080/"),
        (
            "http://127.0.0.1:8080/a?b=c#d",
            "http://127.0.0.1:8080/a?b=c#d",
        ),
        ("http://evil.example/", "/thanks"),
        ("http://127.0.0.1:8080.evil.com/", "/thanks"),
        ("http://127.0.0.1:8080@evil.com/", "/thanks"),
        ("http://user@127.0.0.1:8080/", "/thanks"),
        ("https://127.0.0.1:8080/", "/thanks"),
        ("//127.0.0.1:8080/", "/thanks"),
        ("/elsewhere", "/thanks"),
        ("javascript:alert(1)", "/thanks"),
    ] {
        let answer = server.send(plain(next(url))).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{url}");
        assert_eq!(answer.header("location"), Some(location), "{url}");
    }
    // Script: JSON as always.
    let answer = server.send(xhr(next("http://127.0.0.1:8080/x"))).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("location"), None);
}

async fn r17_healthz_is_200_once_a_write_commits_and_reports_the_outbox_with_mail(
    backend: Backend,
) {
    let mut server = Server::on(backend).await;
    let health = || Request::get("/healthz").body(Body::empty()).unwrap();
    let answer = server.send(health()).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json(), serde_json::json!({"ok": true}));

    let smtp = corsform_server::mail::Smtp::parse("smtp://127.0.0.1:9", None).unwrap();
    let from = "forms@example.org".parse().unwrap();
    let to = vec!["me@example.org".parse().unwrap()];
    server.config.mail = Some(std::sync::Arc::new(corsform_server::Mail::new(
        smtp, from, to,
    )));
    assert_eq!(server.send(xhr(VALID)).await.status, StatusCode::OK);
    let answer = server.send(health()).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        serde_json::json!({"ok": true, "outbox": {"pending": 1, "failed": 0}})
    );
}

on_both_stores!(
    xhr_post_answers_200_with_the_id_of_the_stored_row,
    xhr_invalid_submission_is_422_with_each_field_message,
    bad_percent_encoding_is_400,
    invalid_utf8_is_400,
    other_content_types_are_415,
    oversized_body_is_413_with_cors_headers,
    too_many_fields_is_413,
    cr_and_lf_in_values_are_stored_verbatim,
    a_name_sent_twice_is_kept_twice_in_order,
    post_from_a_disallowed_origin_is_403_without_allow_origin_and_not_stored,
    post_without_origin_is_processed,
    plain_post_is_303_to_the_configured_url,
    plain_post_with_bad_input_is_303_to_the_invalid_url,
    rate_limit_is_429_with_retry_after_and_cors_headers,
    rate_limit_counts_only_posts_and_is_off_at_zero,
    a_filled_honeypot_is_answered_like_a_success_and_not_stored,
    a_filled_honeypot_is_never_validated,
    an_empty_honeypot_is_stored_without_the_honeypot_field,
    the_honeypot_name_is_configurable_and_can_be_off,
    a_field_over_max_field_len_is_413_naming_the_field,
    r18_plain_post_origin_null,
    origin_null_is_accepted_only_for_a_top_level_navigation,
    r19_script_post_without_xrw,
    a_plain_post_to_an_unknown_path_gets_a_page_not_json,
    a_rate_limited_plain_post_gets_a_page_not_json,
    r17_healthz_is_200_once_a_write_commits_and_reports_the_outbox_with_mail,
);
