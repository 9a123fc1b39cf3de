//! The two small pages a plain (no-JavaScript) form post is redirected to by default. They
//! are constant: nothing from any request is ever written into them.

use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

const THANKS: &str = r#"<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Thank you</title>
<style>body{font:1.1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}</style>
<h1>Thank you</h1>
<p>Your message has been sent.</p>
<p><a href="javascript:history.back()">Back</a> (or use your browser's Back button).</p>
</html>
"#;

const INVALID: &str = r#"<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Form incomplete</title>
<style>body{font:1.1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}</style>
<h1>The form was incomplete</h1>
<p>Your message was not sent: a required field was empty or a value was not valid
(for example the e-mail address).</p>
<p><a href="javascript:history.back()">Go back to the form</a> (or use your browser's Back
button), correct it and send it again.</p>
</html>
"#;

/// No scripts but the `history.back()` link, no framing.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; frame-ancestors 'none'";

/// `GET /thanks`: the default `--redirect` target.
pub async fn thanks() -> impl IntoResponse {
    (
        [(CONTENT_SECURITY_POLICY, CSP), (CACHE_CONTROL, "no-store")],
        Html(THANKS),
    )
}

/// `GET /invalid`: the default `--redirect-invalid` target.
pub async fn invalid() -> impl IntoResponse {
    (
        [(CONTENT_SECURITY_POLICY, CSP), (CACHE_CONTROL, "no-store")],
        Html(INVALID),
    )
}

/// The page a plain form post gets when it is refused with `status` and no redirect fits:
/// 403 (the page's origin may not post here), 404 (a path that takes no posts, or a
/// browser that navigated to one), 429 (too many posts), 500 (not stored); any other status
/// gets a general one. Constant text, as for the other pages.
pub fn refusal(status: StatusCode) -> Response {
    let (title, text) = match status {
        StatusCode::FORBIDDEN => (
            "Not sent",
            "This form may not send its messages here. Your message was not sent; \
             please contact the site another way.",
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            "Too many messages",
            "Your message was not sent: too many were sent from your address in the last \
             minute. Go back, wait a minute and send it again.",
        ),
        StatusCode::NOT_FOUND => (
            "Not found",
            "There is no page here, and nothing was sent: this server receives the \
             messages of a form at another address.",
        ),
        StatusCode::INTERNAL_SERVER_ERROR => (
            "Not sent",
            "Your message could not be saved. Go back and try again later.",
        ),
        _ => (
            "Not sent",
            "Your message was not sent. Go back and try again later.",
        ),
    };
    let page = format!(
        r#"<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font:1.1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}}</style>
<h1>{title}</h1>
<p>{text}</p>
<p><a href="javascript:history.back()">Back</a> (or use your browser's Back button).</p>
</html>
"#
    );
    (
        status,
        [(CONTENT_SECURITY_POLICY, CSP), (CACHE_CONTROL, "no-store")],
        Html(page),
    )
        .into_response()
}
