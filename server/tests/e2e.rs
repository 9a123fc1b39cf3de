//! End to end, as a visitor lives it: the demo page (www/ and pkg/) on one loopback origin,
//! the real corsform-server on another, in headless Chromium and Firefox over WebDriver.
//!
//! Each scenario runs in both browsers (`chromium::…`, `firefox::…`), each in a fresh
//! browser with its own server and database. The accessibility checks (axe-core) run in
//! Chromium. pkg/ must have been built (`cargo xtask build`; `cargo xtask test` does it).

mod common;
#[path = "mail/sink.rs"]
mod sink;
#[path = "e2e/support.rs"]
mod support;

use serde_json::{json, Value};
use support::{eventually, redirector, Kind, Page, Setup};

const REQUIRED: &str = "This field is required.";
const BAD_EMAIL: &str = "Please enter a valid email address.";

fn fields(row: &Value) -> &Value {
    &row["fields"]
}

/// A valid submission shows the success panel and is in the store.
async fn valid_submission_shows_success_and_is_stored(page: Page) {
    let s = Setup::start(&[]);
    page.open(&s.page()).await;
    page.fill_valid("First line\nsecond line").await;
    page.click_send().await;
    page.panels(&["success"]).await;
    let rows = s.api.export();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["origin"], json!(s.site.origin));
    assert_eq!(
        fields(&rows[0]),
        &json!({"subject": "Hello from the e2e test", "from": "visitor@example.com",
                "message": "First line\r\nsecond line"}),
        "stored as sent: jQuery's serialize() sends line breaks as CRLF"
    );
}

/// With `--smtp`, the submission reaches the site owner's mailbox (an SMTP server on
/// loopback) with the visitor's address as `Reply-To:` and the fields in the body.
async fn valid_submission_is_mailed_with_reply_to(page: Page) {
    let smtp = sink::Sink::accepting().await;
    let url = smtp.url();
    let s = Setup::start(&[
        "--smtp",
        &url,
        "--mail-from",
        "forms@example.org",
        "--mail-to",
        "owner@example.org",
        "--subject",
        "Contact: {subject}",
    ]);
    page.open(&s.page()).await;
    page.fill_valid("First line\nsecond line").await;
    page.click_send().await;
    page.panels(&["success"]).await;
    smtp.wait_for(support::PATIENCE, |received| !received.is_empty())
        .await;
    let received = smtp.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, ["owner@example.org"]);
    let bytes = received[0].message();
    let mail = mailparse::parse_mail(&bytes).unwrap();
    use mailparse::MailHeaderMap;
    let header = |name| mail.headers.get_first_value(name).unwrap_or_default();
    assert_eq!(header("From"), "forms@example.org");
    assert_eq!(header("Reply-To"), "visitor@example.com");
    assert_eq!(header("Subject"), "Contact: Hello from the e2e test");
    let text = mail.get_body().unwrap().replace("\r\n", "\n");
    assert!(
        text.starts_with(
            "subject: Hello from the e2e test\nfrom: visitor@example.com\nmessage:\n  First line\n  second line\n"
        ),
        "{text}"
    );
    eventually("export shows the message sent", || {
        let rows = s.api.export();
        rows[0]["delivery"]["state"] == "sent" && rows[0]["delivery"]["attempts"] == 1
    })
    .await;
}

/// Empty required fields and a bad address are reported in the page, without a request;
/// correcting them clears the messages and the form goes through.
async fn client_side_errors_then_correction(page: Page) {
    let s = Setup::start(&[]);
    page.open(&s.page()).await;
    page.click_send().await;
    page.field_error("subject", Some(REQUIRED)).await;
    page.field_error("message", Some(REQUIRED)).await;
    page.field_error("from", None).await;
    assert_eq!(
        page.focused().await,
        "subject",
        "the first invalid field has the focus"
    );
    page.panels(&["main"]).await;

    page.type_into("from", "not-an-address").await;
    page.keys("\u{e004}").await; // Tab: leaving the field checks it
    page.field_error("from", Some(BAD_EMAIL)).await;

    page.type_into("subject", "Corrected").await;
    page.field_error("subject", None).await;
    page.clear("from").await;
    page.type_into("from", "visitor@example.com").await;
    page.field_error("from", None).await;
    page.type_into("message", "Now complete").await;
    page.field_error("message", None).await;
    assert!(s.api.export().is_empty(), "nothing was sent while invalid");

    page.click_send().await;
    page.panels(&["success"]).await;
    let rows = s.api.export();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(fields(&rows[0])["from"], "visitor@example.com");
}

/// The server's rules are stricter than the page's: its 422 is shown on the field.
async fn server_422_is_shown_on_the_field(page: Page) {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.json");
    std::fs::write(
        &rules,
        r#"{"rules": {"subject": "required", "from": {"email": true},
                      "message": {"required": true, "minlength": 20}},
            "messages": {"message": {"minlength": "Please write at least {0} characters."}}}"#,
    )
    .unwrap();
    let s = Setup::start(&["--rules", rules.to_str().unwrap()]);
    page.open(&s.page()).await;
    page.fill_valid("Too short").await;
    page.click_send().await;
    page.field_error("message", Some("Please write at least 20 characters."))
        .await;
    page.panels(&["main"]).await;
    assert_eq!(page.focused().await, "message");
    assert!(s.api.export().is_empty());

    page.type_into("message", ", now long enough").await;
    page.click_send().await;
    page.panels(&["success"]).await;
    assert_eq!(
        fields(&s.api.export()[0])["message"],
        "Too short, now long enough"
    );
}

/// With the server down the error panel shows and the input stays; once it is back the
/// same form goes through.
async fn server_down_then_retry_succeeds(page: Page) {
    let mut s = Setup::start(&[]);
    page.open(&s.page()).await;
    s.api.stop();
    page.fill_valid("Sent while the server was down").await;
    page.click_send().await;
    page.panels(&["main", "error"]).await;
    let state = page.state().await;
    assert_eq!(
        state["values"],
        json!({"subject": "Hello from the e2e test", "from": "visitor@example.com",
               "message": "Sent while the server was down"}),
        "the input is kept"
    );
    assert_eq!(
        page.focused().await,
        "error",
        "the error panel has the focus"
    );
    let role = page
        .js(
            "return document.querySelector('#contact-popup > .error').getAttribute('role')",
            vec![],
        )
        .await;
    assert_eq!(role, "alert", "the error panel is announced");

    s.api.restart();
    page.click_send().await;
    page.panels(&["success"]).await;
    let rows = s.api.export();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        fields(&rows[0])["message"],
        "Sent while the server was down"
    );
}

/// An API that does not allow the page's origin: the browser blocks it, the error panel
/// shows, nothing is stored.
async fn disallowed_origin_shows_the_error_panel(page: Page) {
    let s = Setup::start_with_other_origin();
    page.open(&s.page()).await;
    page.fill_valid("From an origin the API does not know")
        .await;
    page.click_send().await;
    page.panels(&["main", "error"]).await;
    assert!(s.api.export().is_empty());
}

/// A 3xx answer is a failure, not a success (XHR would follow it silently).
async fn redirect_reply_shows_the_error_panel(page: Page) {
    let s = Setup::start(&[]);
    let (url, posts) = redirector(&s.site.origin, &s.api.contact_url());
    page.open(&s.page()).await;
    page.set_action(&format!("{url}/contact")).await;
    page.fill_valid("Answered with a redirect").await;
    page.click_send().await;
    page.panels(&["main", "error"]).await;
    assert_eq!(posts.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(s.api.export().is_empty(), "the redirect was not followed");
}

/// A double click on the button sends the form once.
async fn double_click_sends_one_request(page: Page) {
    use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
    let s = Setup::start(&[]);
    page.open(&s.page()).await;
    page.fill_valid("Double-clicked").await;
    let button = page
        .client
        .find(fantoccini::Locator::Css("#contact button[type=submit]"))
        .await
        .unwrap();
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element: button,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    page.client.perform_actions(mouse).await.unwrap();
    page.panels(&["success"]).await;
    // Give a second request, had one been sent, the time to land.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(s.api.export().len(), 1);
}

/// Two submits in the same task (a script, or a very fast double press) send one request.
async fn two_submits_at_once_send_one_request(page: Page) {
    let s = Setup::start(&[]);
    page.open(&s.page()).await;
    page.fill_valid("Submitted twice at once").await;
    page.js(
        "const f = document.querySelector('#contact'); f.requestSubmit(); f.requestSubmit();",
        vec![],
    )
    .await;
    page.panels(&["success"]).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(s.api.export().len(), 1);
}

/// Without JavaScript the same form is a plain POST: 303 to the thank-you page, stored.
async fn without_javascript_posts_and_redirects_to_thanks(page: Page) {
    let s = Setup::start(&[]);
    page.open_plain(&format!("{}/nojs.html", s.site.origin))
        .await;
    page.fill_valid("No script at all").await;
    page.click_send().await;
    let thanks = format!("{}/thanks.html", s.site.origin);
    page.until(
        "the thank-you page",
        &format!("return location.href === {};", json!(thanks)),
    )
    .await;
    let rows = s.api.export();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(fields(&rows[0])["message"], "No script at all");
}

/// The page with JavaScript turned off in the browser: the form still works.
async fn javascript_disabled_posts_and_redirects_to_thanks(page: Page) {
    let s = Setup::start(&[]);
    page.open_plain(&s.page()).await;
    page.fill_valid("JavaScript is off").await;
    page.click_send().await;
    let start = std::time::Instant::now();
    loop {
        let url = page.client.current_url().await.unwrap();
        if url.path() == "/thanks.html" {
            break;
        }
        assert!(
            start.elapsed() < support::PATIENCE,
            "still on {url} after submitting"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    eventually("the row is stored", || s.api.export().len() == 1).await;
}

/// The whole flow with the keyboard alone: Tab to the fields, type, Enter and Space; errors
/// move the focus to the field that names them, success to the status panel.
async fn keyboard_only_flow(page: Page) {
    let s = Setup::start(&[]);
    page.open(&s.page()).await;
    page.keys("\u{e004}").await; // Tab
    assert_eq!(page.focused().await, "subject");
    page.keys("\u{e007}").await; // Enter in a field submits
    page.field_error("subject", Some(REQUIRED)).await;
    assert_eq!(page.focused().await, "subject");
    let described = page
        .js(
            "const f = document.getElementById('subject'); \
             return (f.getAttribute('aria-describedby') || '').split(/\\s+/)\
               .map(id => document.getElementById(id)).filter(Boolean).map(e => e.textContent).join(' ');",
            vec![],
        )
        .await;
    assert_eq!(
        described, REQUIRED,
        "the focused field is described by its message"
    );

    page.keys("Keyboard only").await;
    page.keys("\u{e004}visitor@example.com\u{e004}Typed, tabbed, sent.")
        .await;
    page.keys("\u{e004}").await; // to the button
    let focused = page
        .js(
            "return document.activeElement.tagName + ':' + document.activeElement.type",
            vec![],
        )
        .await;
    assert_eq!(focused, "BUTTON:submit");
    page.keys(" ").await; // Space presses it
    page.panels(&["success"]).await;
    let success = page
        .js(
            "const p = document.querySelector('#contact-popup .success'); \
             return [document.activeElement === p, p.getAttribute('role'), p.getAttribute('aria-live')];",
            vec![],
        )
        .await;
    assert_eq!(
        success,
        json!([true, "status", "polite"]),
        "success is focused and announced"
    );
    assert_eq!(
        fields(&s.api.export()[0]),
        &json!({"subject": "Keyboard only", "from": "visitor@example.com",
                "message": "Typed, tabbed, sent."})
    );
}

/// The demo's first click, as a new visitor makes it: **Send message** with every field
/// empty, by mouse and then by keyboard (Tab to the button, Enter). The messages appear,
/// the focus moves to the first invalid field, and the page throws nothing: moving the
/// focus fires `focusout` on the button while corsform's submit listener is still running,
/// which once re-entered that listener ("closure invoked recursively"). The run checks the
/// page's errors after every scenario; this one checks them after each press as well.
async fn empty_send_by_mouse_then_keyboard_throws_nothing(page: Page) {
    let s = Setup::start(&[]);
    page.open(&s.page()).await;
    page.click_send().await;
    page.field_error("subject", Some(REQUIRED)).await;
    page.field_error("message", Some(REQUIRED)).await;
    assert_eq!(page.focused().await, "subject");
    page.assert_no_page_errors().await;

    page.open(&s.page()).await;
    page.keys("\u{e004}\u{e004}\u{e004}\u{e004}").await; // Tab ×4: to the button
    let focused = page
        .js(
            "return document.activeElement.tagName + ':' + document.activeElement.type",
            vec![],
        )
        .await;
    assert_eq!(focused, "BUTTON:submit");
    page.keys("\u{e007}").await; // Enter presses it
    page.field_error("subject", Some(REQUIRED)).await;
    assert_eq!(page.focused().await, "subject");
    page.assert_no_page_errors().await;
    assert!(s.api.export().is_empty(), "nothing is sent while invalid");
}

/// Runs axe-core on the page; fails listing every WCAG 2.1 A/AA violation.
async fn axe(page: &Page, state: &str) {
    let path = support::root().join("xtask/npm/node_modules/axe-core/axe.min.js");
    let source = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run `cargo xtask setup` (it installs xtask/npm)",
            path.display()
        )
    });
    page.js(&source, vec![]).await;
    let result = page
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                .then(r => done({violations: r.violations.map(v => ({id: v.id, help: v.help,
                    nodes: v.nodes.map(n => n.html + ' — ' + n.failureSummary)})), passes: r.passes.length}),
                      e => done({error: String(e)}));",
            vec![],
        )
        .await
        .unwrap();
    assert!(result.get("error").is_none(), "axe failed: {result}");
    assert!(
        result["passes"].as_u64().unwrap_or(0) > 0,
        "axe checked nothing: {result}"
    );
    assert_eq!(
        result["violations"],
        json!([]),
        "WCAG 2.1 A/AA violations with {state}"
    );
}

/// axe-core finds no WCAG 2.1 A/AA violation on the demo: loaded, with errors shown, after
/// success. Saves a screenshot of the errors state.
async fn axe_finds_no_violations_in_any_state(page: Page) {
    let s = Setup::start(&[]);
    page.open(&s.page()).await;
    axe(&page, "the page loaded").await;

    page.type_into("subject", "Hello").await;
    page.type_into("from", "visitor at example.com").await;
    page.click_send().await;
    page.field_error("from", Some(BAD_EMAIL)).await;
    page.field_error("message", Some(REQUIRED)).await;
    axe(&page, "errors shown").await;
    screenshot(&page).await;

    page.clear("from").await;
    page.type_into("from", "visitor@example.com").await;
    page.type_into("message", "Accessible, I hope.").await;
    page.click_send().await;
    page.panels(&["success"]).await;
    axe(&page, "the success panel shown").await;
}

/// The screenshot in the README: written to www/screenshot.png when
/// `CORSFORM_SCREENSHOT=update`, else to target/e2e-screenshot.png.
async fn screenshot(page: &Page) {
    page.js(
        "document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);",
        vec![],
    )
    .await;
    let png = page.client.screenshot().await.unwrap();
    let path = if std::env::var("CORSFORM_SCREENSHOT").as_deref() == Ok("update") {
        support::root().join("www/screenshot.png")
    } else {
        support::root().join("target/e2e-screenshot.png")
    };
    std::fs::write(&path, png).unwrap();
}

macro_rules! in_browser {
    ($browser:ident, $kind:expr, $($scenario:ident),* $(,)?) => {
        mod $browser {
            $(
                #[test]
                fn $scenario() {
                    super::support::run($kind, true, super::$scenario);
                }
            )*

            #[test]
            fn javascript_disabled_posts_and_redirects_to_thanks() {
                super::support::run($kind, false, super::javascript_disabled_posts_and_redirects_to_thanks);
            }
        }
    };
}

in_browser!(
    chromium,
    super::Kind::Chromium,
    valid_submission_shows_success_and_is_stored,
    valid_submission_is_mailed_with_reply_to,
    client_side_errors_then_correction,
    server_422_is_shown_on_the_field,
    server_down_then_retry_succeeds,
    disallowed_origin_shows_the_error_panel,
    redirect_reply_shows_the_error_panel,
    double_click_sends_one_request,
    two_submits_at_once_send_one_request,
    without_javascript_posts_and_redirects_to_thanks,
    keyboard_only_flow,
    empty_send_by_mouse_then_keyboard_throws_nothing,
    axe_finds_no_violations_in_any_state,
);

in_browser!(
    firefox,
    super::Kind::Firefox,
    valid_submission_shows_success_and_is_stored,
    valid_submission_is_mailed_with_reply_to,
    client_side_errors_then_correction,
    server_422_is_shown_on_the_field,
    server_down_then_retry_succeeds,
    disallowed_origin_shows_the_error_panel,
    redirect_reply_shows_the_error_panel,
    double_click_sends_one_request,
    two_submits_at_once_send_one_request,
    without_javascript_posts_and_redirects_to_thanks,
    keyboard_only_flow,
    empty_send_by_mouse_then_keyboard_throws_nothing,
);
