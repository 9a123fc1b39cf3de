//! The browser suite: wasm-bindgen-test in headless Chrome and Firefox (`cargo xtask
//! test`), against a real corsform-server and an HTTP fixture on other loopback origins.
#![cfg(target_arch = "wasm32")]

use corsform::web::{bind, serialize, BindOptions, Controller, FormRef};
use corsform::{Input, Method, Param, Rule};
use js_sys::{Function, Promise, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

const NOT_VIA_XTASK: &str =
    "run the browser tests with `cargo xtask test`, which starts the servers";

fn api() -> &'static str {
    match option_env!("CORSFORM_TEST_API") {
        Some(v) => v,
        None => panic!("{NOT_VIA_XTASK}"),
    }
}
fn fixture() -> &'static str {
    match option_env!("CORSFORM_TEST_FIXTURE") {
        Some(v) => v,
        None => panic!("{NOT_VIA_XTASK}"),
    }
}
fn closed_port_url() -> String {
    [
        match option_env!("CORSFORM_TEST_CLOSED") {
            Some(v) => v,
            None => panic!("{NOT_VIA_XTASK}"),
        },
        "/contact",
    ]
    .concat()
}
fn unique() -> String {
    let n = (js_sys::Math::random() * 1e12) as u64;
    n.to_string()
}

// ---- page helpers -------------------------------------------------------------------

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

// ---- page errors ---------------------------------------------------------------------

/// The page's uncaught errors and unhandled rejections, as `window` reports them
/// (`error` and `unhandledrejection` events): recorded from the first `mount` on, and any
/// of them fails the test that was running (checked when its markup is dropped, and again
/// when the next test mounts, for one that surfaced after its test ended).
const PAGE_ERRORS_JS: &str = r#"
if (!window.__pageErrors) {
  window.__pageErrors = [];
  const text = (x) => String(x) + ((x && x.stack) ? "\n" + x.stack : "");
  window.addEventListener("error", (e) => window.__pageErrors.push("uncaught: " + text(e.error ?? e.message)));
  window.addEventListener("unhandledrejection", (e) => window.__pageErrors.push("unhandled rejection: " + text(e.reason)));
}
const out = window.__pageErrors.splice(0);
return out;
"#;

/// Installs the page-error recorder (once) and takes what it recorded since the last call.
fn take_page_errors() -> Vec<String> {
    let f = Function::new_no_args(PAGE_ERRORS_JS);
    let list: js_sys::Array = f.call0(&JsValue::NULL).unwrap().unchecked_into();
    list.iter()
        .map(|e| e.as_string().unwrap_or_default())
        .collect()
}

/// Fails unless the page reported no uncaught error or unhandled rejection.
fn assert_no_page_errors(when: &str) {
    let errors = take_page_errors();
    assert!(errors.is_empty(), "page errors {when}: {errors:#?}");
}

/// Markup added to the page for one test, removed when dropped (even on failure); the
/// test fails if the page reported an uncaught error or an unhandled rejection meanwhile.
struct Mounted(Element);
impl Drop for Mounted {
    fn drop(&mut self) {
        self.0.remove();
        if !std::thread::panicking() {
            assert_no_page_errors("during this test");
        }
    }
}
fn mount(html: &str) -> Mounted {
    assert_no_page_errors("after the previous test ended");
    // A failed test aborts without running drops: clear what it left behind.
    let left = document().query_selector_all("body > .test-mount").unwrap();
    for i in 0..left.length() {
        left.item(i)
            .unwrap()
            .dyn_into::<Element>()
            .unwrap()
            .remove();
    }
    let div = document().create_element("div").unwrap();
    div.set_class_name("test-mount");
    div.set_inner_html(html);
    document().body().unwrap().append_child(&div).unwrap();
    Mounted(div)
}

/// More markup for the same test, keeping what is mounted.
fn mount_more(html: &str) -> Mounted {
    let div = document().create_element("div").unwrap();
    div.set_inner_html(html);
    document().body().unwrap().append_child(&div).unwrap();
    Mounted(div)
}

fn el(selector: &str) -> Element {
    document()
        .query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no element {selector}"))
}
fn input(selector: &str) -> HtmlInputElement {
    el(selector).dyn_into().unwrap()
}
fn visible(selector: &str) -> bool {
    let style = web_sys::window()
        .unwrap()
        .get_computed_style(&el(selector))
        .unwrap()
        .unwrap();
    style.get_property_value("display").unwrap() != "none"
}
fn error_text(id: &str) -> Option<String> {
    let label = document().get_element_by_id(&[id, "-error"].concat())?;
    let shown = web_sys::window()
        .unwrap()
        .get_computed_style(&label)
        .unwrap()
        .unwrap();
    (shown.get_property_value("display").unwrap() != "none")
        .then(|| label.text_content().unwrap_or_default())
}

/// Types `value` into a field as a user does: the value changes and `input` fires.
fn type_into(selector: &str, value: &str) {
    let e = el(selector);
    if let Some(i) = e.dyn_ref::<HtmlInputElement>() {
        i.set_value(value);
    } else {
        e.dyn_ref::<HtmlTextAreaElement>().unwrap().set_value(value);
    }
    let init = web_sys::InputEventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::InputEvent::new_with_event_init_dict("input", &init).unwrap();
    e.dispatch_event(&ev).unwrap();
}
/// Leaves a field: `focusout` as the browser fires it when focus moves on.
fn leave(selector: &str) {
    leave_to(selector, None);
}
/// Leaves a field for `to` (the event's `relatedTarget`).
fn leave_to(selector: &str, to: Option<&str>) {
    let init = web_sys::FocusEventInit::new();
    init.set_bubbles(true);
    init.set_related_target(to.map(el).as_ref().map(|e| e.as_ref()));
    let ev = web_sys::FocusEvent::new_with_focus_event_init_dict("focusout", &init).unwrap();
    el(selector).dispatch_event(&ev).unwrap();
}
fn click(selector: &str) {
    el(selector).dyn_into::<HtmlElement>().unwrap().click();
}

async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}
/// Waits until `cond` holds, at most `ms`.
async fn until(ms: i32, cond: impl Fn() -> bool) -> bool {
    let mut waited = 0;
    while !cond() {
        if waited >= ms {
            return false;
        }
        sleep(20).await;
        waited += 20;
    }
    true
}

fn options(json: &str) -> JsValue {
    JSON::parse(json).unwrap_or_else(|_| panic!("bad JSON in test: {json}"))
}
fn set(target: &JsValue, key: &str, value: &JsValue) {
    Reflect::set(target, &key.into(), value).unwrap();
}
fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap()
}
/// `bind(form, opts)` called from JavaScript: the controller, or the error it threw.
fn try_bind(form: &str, opts: JsValue) -> Result<Controller, JsValue> {
    let binds = move |form: JsValue| {
        let opts = opts.clone().unchecked_into::<BindOptions>();
        bind(form.unchecked_into::<FormRef>(), Some(opts)).map(JsValue::from)
    };
    call_from_js(binds, form).map(JsCast::unchecked_into)
}
fn bind_ok(form: &str, opts: JsValue) -> Controller {
    try_bind(form, opts).unwrap_or_else(|e| panic!("bind failed: {:?}", e))
}
fn bind_error(form: &str, opts: JsValue) -> String {
    match try_bind(form, opts) {
        Ok(_) => panic!("bind should have failed"),
        Err(e) => get(&e, "message").as_string().unwrap(),
    }
}
/// A JS function storing its argument on `window[name]`.
fn recorder(name: &str) -> Function {
    Function::new_with_args("x", &["window.", name, " = x; return undefined;"].concat())
}
fn recorded(name: &str) -> JsValue {
    get(&web_sys::window().unwrap().into(), name)
}
async fn fixture_count(id: &str) -> u32 {
    let w = web_sys::window().unwrap();
    let resp: web_sys::Response =
        JsFuture::from(w.fetch_with_str(&[fixture(), "/count/", id].concat()))
            .await
            .unwrap()
            .dyn_into()
            .unwrap();
    let json = JsFuture::from(resp.json().unwrap()).await.unwrap();
    get(&json, "count").as_f64().unwrap() as u32
}

/// The seed's contact popup, its panels hidden by the page's CSS as in 2011 (as children
/// of the popup: the invalid fields get the class `error` too, as jquery-validation gives
/// it to them).
fn seed_page(action: &str) -> Mounted {
    mount(&format!(
        r#"<style>#contact-popup > .sending, #contact-popup > .success, #contact-popup > .error {{ display: none; }}</style>
        <div id="contact-popup">
          <div class="main">
            <form id="contact" action="{action}" method="post">
              <label for="subject">Subject</label> <input type="text" name="subject" id="subject">
              <label for="from">From</label> <input type="text" name="from" id="from">
              <label for="message">Message</label> <textarea name="message" id="message"></textarea>
              <input type="submit" id="send" value="Send">
            </form>
          </div>
          <div class="sending">Sending…</div>
          <div class="success">Thank you, your message was sent.</div>
          <div class="error">Sorry, it could not be sent.</div>
        </div>"#
    ))
}

/// The seed's options, verbatim, plus `extra` top-level entries.
fn seed_options(extra: &str) -> JsValue {
    options(&format!(
        r##"{{"rules": {{"subject": "required", "from": {{"email": true}}, "message": "required"}},
            "panels": {{"main": "#contact-popup .main", "sending": "#contact-popup .sending",
                        "success": "#contact-popup .success", "error": "#contact-popup .error"}}{extra}}}"##
    ))
}

fn fill_valid() {
    type_into("#subject", "Hello");
    type_into("#from", "visitor@example.com");
    type_into("#message", "A message\nover two lines");
}

// ---- binding and validation ---------------------------------------------------------

#[wasm_bindgen_test]
async fn seed_markup_and_options_send_and_show_success() {
    let _page = seed_page(api());
    // `null`, like a missing option, means the default: the form's action, 15 s, ….
    bind_ok(
        "#contact",
        seed_options(r#", "url": null, "timeout": null, "headers": null, "success": null"#),
    );
    fill_valid();
    click("#send");
    assert!(
        until(5000, || visible("#contact-popup > .success")).await,
        "success panel never shown"
    );
    assert!(!visible("#contact-popup > .main"));
    assert!(!visible("#contact-popup > .sending"));
    assert!(!visible("#contact-popup > .error"));
}

#[wasm_bindgen_test]
async fn submit_promise_resolves_with_the_servers_answer() {
    let _page = seed_page(api());
    let c = bind_ok("#contact", seed_options(""));
    fill_valid();
    let answer = JsFuture::from(promise(c.submit()))
        .await
        .expect("submit resolves");
    assert_eq!(get(&answer, "ok"), JsValue::TRUE);
    assert!(get(&answer, "id").as_f64().unwrap() >= 1.0);
}

/// The recorder behind every test's page-error check sees what a listener throws (a test
/// of the check itself: without it, a re-entered callback would pass unseen).
#[wasm_bindgen_test]
async fn the_page_error_check_sees_a_throwing_listener_and_a_rejection() {
    let _ = take_page_errors();
    let target = document().create_element("div").unwrap();
    let thrower = Function::new_no_args("throw new Error('thrown by a listener')");
    target
        .add_event_listener_with_callback("ping", &thrower)
        .unwrap();
    target
        .dispatch_event(&web_sys::Event::new("ping").unwrap())
        .unwrap();
    let _ = Promise::reject(&"rejected, unhandled".into());
    sleep(50).await;
    let errors = take_page_errors();
    assert!(
        errors.iter().any(|e| e.contains("thrown by a listener")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("rejected, unhandled")),
        "{errors:?}"
    );
}

/// The demo's first click: Send with every field empty, the button focused as a mouse
/// press leaves it. Focusing the first invalid field fires `focusout` on the button while
/// corsform's submit listener runs; that must re-enter nothing and throw nothing (the
/// page-error check fails the test otherwise). Then the same by keyboard: Enter in a field.
#[wasm_bindgen_test]
async fn empty_send_with_the_button_focused_throws_nothing() {
    let id = unique();
    let _page = seed_page(&[fixture(), "/echo/", &id].concat());
    bind_ok("#contact", seed_options(""));
    el("#send")
        .dyn_into::<HtmlElement>()
        .unwrap()
        .focus()
        .unwrap();
    set(&web_sys::window().unwrap().into(), "focusouts", &0.into());
    let count = Function::new_no_args("window.focusouts += 1");
    el("#contact")
        .add_event_listener_with_callback("focusout", &count)
        .unwrap();
    click("#send");
    sleep(100).await;
    assert_eq!(document().active_element(), Some(el("#subject")));
    assert!(
        recorded("focusouts").as_f64().unwrap_or(0.0) >= 1.0,
        "the focus left the button while the submit was handled (the case being tested)"
    );
    assert_no_page_errors("on an empty Send with the button focused");
    assert_eq!(
        error_text("subject").as_deref(),
        Some("This field is required.")
    );
    // By keyboard: Enter in a field submits the form (`requestSubmit`, as implicit
    // submission does), with the focus in another field.
    el("#message")
        .dyn_into::<HtmlElement>()
        .unwrap()
        .focus()
        .unwrap();
    el("#contact")
        .dyn_into::<web_sys::HtmlFormElement>()
        .unwrap()
        .request_submit()
        .unwrap();
    sleep(100).await;
    assert_eq!(document().active_element(), Some(el("#subject")));
    assert_no_page_errors("on an empty implicit submission");
    assert_eq!(fixture_count(&id).await, 0, "nothing is sent while invalid");
}

#[wasm_bindgen_test]
async fn empty_required_fields_show_messages_focus_first_and_send_nothing() {
    let id = unique();
    let _page = seed_page(&[fixture(), "/echo/", &id].concat());
    bind_ok("#contact", seed_options(""));
    click("#send");
    sleep(200).await;
    assert_eq!(
        error_text("subject").as_deref(),
        Some("This field is required.")
    );
    assert_eq!(
        error_text("message").as_deref(),
        Some("This field is required.")
    );
    assert_eq!(error_text("from"), None, "an empty optional field passes");
    let subject = el("#subject");
    assert_eq!(
        subject.get_attribute("aria-invalid").as_deref(),
        Some("true")
    );
    assert!(subject
        .get_attribute("aria-describedby")
        .unwrap()
        .split(' ')
        .any(|t| t == "subject-error"));
    assert_eq!(
        document().active_element(),
        Some(subject),
        "focus goes to the first invalid field"
    );
    assert!(visible("#contact-popup > .main"));
    assert_eq!(
        fixture_count(&id).await,
        0,
        "no request for an invalid form"
    );
}

#[wasm_bindgen_test]
async fn lazy_until_left_then_eager_after_submit() {
    let _page = seed_page(&[fixture(), "/echo/", &unique()].concat());
    bind_ok("#contact", seed_options(""));
    type_into("#from", "not-an-email");
    assert_eq!(
        error_text("from"),
        None,
        "no message while typing the first time"
    );
    leave("#from");
    assert_eq!(
        error_text("from").as_deref(),
        Some("Please enter a valid email address.")
    );
    type_into("#from", "now@valid.example");
    assert_eq!(
        error_text("from"),
        None,
        "an invalid field is re-checked on each input"
    );
    assert_eq!(
        el("#from").get_attribute("aria-invalid").as_deref(),
        Some("false")
    );

    leave("#subject");
    assert_eq!(
        error_text("subject"),
        None,
        "leaving an empty field untouched says nothing"
    );
    click("#send");
    sleep(100).await;
    assert!(error_text("subject").is_some());
    type_into("#subject", "x");
    assert_eq!(
        error_text("subject"),
        None,
        "after a submit, input clears the message"
    );
    type_into("#subject", "");
    assert_eq!(
        error_text("subject").as_deref(),
        Some("This field is required.")
    );
}

#[wasm_bindgen_test]
fn leaving_a_field_for_a_submit_button_of_the_form_waits_for_the_submit() {
    let _page = seed_page("/x");
    // A submit button outside the form, tied to it by `form=`, one whose unknown type
    // makes it a submit button, a button that does not submit, and one of another form.
    let _more = mount_more(
        r#"<button id="outside" form="contact">Send</button>
        <button id="odd" type="Sendit" form="contact">Send</button>
        <button id="plain" type="BUTTON" form="contact">Help</button>
        <form id="other"><button id="other-send">Send</button></form>"#,
    );
    let c = bind_ok("#contact", seed_options(""));
    type_into("#from", "not-an-email");
    for to in ["#send", "#outside", "#odd"] {
        leave_to("#from", Some(to));
        assert_eq!(error_text("from"), None, "leaving for {to}");
    }
    c.destroy();
    for (to, why) in [
        ("#plain", "a button that does not submit"),
        ("#other-send", "another form's button"),
    ] {
        // Bound afresh: no message yet, and the field not yet invalid.
        let c = bind_ok("#contact", seed_options(""));
        leave_to("#from", Some(to));
        assert_eq!(
            error_text("from").as_deref(),
            Some("Please enter a valid email address."),
            "{why} is just another element"
        );
        c.destroy();
    }
}

#[wasm_bindgen_test]
fn html_attributes_give_rules_and_messages_override_them() {
    let _page = mount(
        r#"<form id="attrs" action="/x">
          <input id="a" name="a" required minlength="3">
          <input id="b" name="b" type="email">
          <input id="c" name="c" type="number" min="1" max="10" step="0.5">
          <input id="d" name="d" type="url">
          <input id="e" name="e" pattern="[a-z]+" data-msg-pattern="Lowercase only.">
          <input id="f" name="f" maxlength="4" title="Four at most.">
          <input id="g" name="g" data-msg="Digits, please.">
          <input id="h" name="h" required>
          <input id="i" name="i" data-msg-equalto="Type a again." data-msg-minlength="unused">
          <input id="j" name="j" required data-msg-required="" data-msg="Fill j in.">
        </form>"#,
    );
    let c = bind_ok(
        "#attrs",
        options(
            r##"{"rules": {"g": {"digits": true}, "a": {"minlength": 5}, "h": {"required": false}, "i": {"equalTo": "#a"}}, "messages": {"a": {"minlength": "At least {0}, you wrote too little."}}}"##,
        ),
    );
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("#a", "abcd", Some("At least 5, you wrote too little.")),
        ("#b", "a@b", None),
        ("#d", "http://localhost", Some("Please enter a valid URL.")),
        ("#e", "ABC", Some("Lowercase only.")),
        ("#f", "abcde", Some("Four at most.")),
        ("#g", "12a", Some("Digits, please.")),
        // `required: false` in the options removes the attribute's rule.
        ("#h", "", None),
        // jQuery's data() reads `data-msg-equalto` for `equalTo`.
        ("#i", "abc", Some("Type a again.")),
        // An empty `data-msg-RULE` is passed over, as jquery-validation's `||` does.
        ("#j", "", Some("Fill j in.")),
    ];
    for (sel, value, _) in cases {
        input(sel).set_value(value);
    }
    input("#c").set_value("10.5");
    assert!(!c.validate());
    for (sel, _, want) in cases {
        assert_eq!(error_text(&sel[1..]).as_deref(), *want, "{sel}");
    }
    assert_eq!(
        error_text("c").as_deref(),
        Some("Please enter a value less than or equal to 10.")
    );
    input("#c").set_value("2.25");
    c.validate();
    assert_eq!(
        error_text("c").as_deref(),
        Some("Please enter a multiple of 0.5.")
    );
    input("#a").set_value("");
    c.validate();
    assert_eq!(error_text("a").as_deref(), Some("This field is required."));
}

#[wasm_bindgen_test]
fn every_rule_with_its_default_message() {
    let _page = mount(
        r#"<form id="all" action="/x">
          <input id="pw" name="pw" value="secret">
          <input id="t" name="t">
        </form>"#,
    );
    let cases: &[(&str, &str, &str)] = &[
        (r#""required""#, "", "This field is required."),
        (
            r#"{"email": true}"#,
            "a@",
            "Please enter a valid email address.",
        ),
        (
            r#"{"url": true}"#,
            "example.com",
            "Please enter a valid URL.",
        ),
        (
            r#"{"number": true}"#,
            "1,00",
            "Please enter a valid number.",
        ),
        (r#"{"digits": true}"#, "1.5", "Please enter only digits."),
        (
            r#"{"minlength": 3}"#,
            "ab",
            "Please enter at least 3 characters.",
        ),
        (
            r#"{"maxlength": 2}"#,
            "abc",
            "Please enter no more than 2 characters.",
        ),
        (
            r#"{"rangelength": [2, 3]}"#,
            "abcd",
            "Please enter a value between 2 and 3 characters long.",
        ),
        (
            r#"{"min": 5}"#,
            "4.9",
            "Please enter a value greater than or equal to 5.",
        ),
        (
            r#"{"max": 5}"#,
            "5.1",
            "Please enter a value less than or equal to 5.",
        ),
        (
            r#"{"range": [1, 3]}"#,
            "0",
            "Please enter a value between 1 and 3.",
        ),
        // An array is read as `String(array)` writes it: nested arrays flattened, null as
        // nothing.
        (
            r#"{"range": [[1], null, "3"]}"#,
            "0",
            "Please enter a value between 1 and 3.",
        ),
        (
            r#"{"step": 0.25}"#,
            "0.3",
            "Please enter a multiple of 0.25.",
        ),
        (
            r##"{"equalTo": "#pw"}"##,
            "secrет",
            "Please enter the same value again.",
        ),
        (r#"{"pattern": "\\d{3}"}"#, "12", "Invalid format."),
    ];
    for (rule, value, message) in cases {
        let c = bind_ok(
            "#all",
            options(&[r#"{"rules": {"t": "#, rule, "}}"].concat()),
        );
        input("#t").set_value(value);
        assert!(!c.validate(), "{rule} should reject {value:?}");
        assert_eq!(error_text("t").as_deref(), Some(*message), "{rule}");
        c.destroy();
    }
    let c = bind_ok(
        "#all",
        options(r##"{"rules": {"t": {"equalTo": "#pw", "pattern": "s.*t"}}}"##),
    );
    input("#t").set_value("secret");
    assert!(c.validate());
    c.destroy();
}

#[wasm_bindgen_test]
fn messages_are_text_never_html() {
    let _page = mount(r#"<form id="m" action="/x"><input id="q" name="q"></form>"#);
    let c = bind_ok(
        "#m",
        options(
            r#"{"rules": {"q": "required"}, "messages": {"q": "<img src=x onerror=alert(1)> & <b>bold</b>"}}"#,
        ),
    );
    assert!(!c.validate());
    let label = el("#q-error");
    assert_eq!(
        label.text_content().unwrap(),
        "<img src=x onerror=alert(1)> & <b>bold</b>"
    );
    assert_eq!(label.child_element_count(), 0);
}

#[wasm_bindgen_test]
fn checkboxes_radios_and_selects_count_choices() {
    let _page = mount(
        r#"<form id="ch" action="/x">
          <input type="checkbox" name="topics" id="t1" value="a"><input type="checkbox" name="topics" value="b">
          <input type="radio" name="size" id="s1" value="s"><input type="radio" name="size" value="m">
          <select name="pick" id="pick"><option value="">Choose</option><option value="x">X</option></select>
        </form>"#,
    );
    let c = bind_ok(
        "#ch",
        options(
            r#"{"rules": {"topics": {"required": true, "minlength": 2}, "size": "required", "pick": "required"}}"#,
        ),
    );
    assert!(!c.validate());
    assert_eq!(
        error_text("topics").as_deref(),
        Some("This field is required.")
    );
    assert_eq!(
        error_text("size").as_deref(),
        Some("This field is required.")
    );
    assert_eq!(
        error_text("pick").as_deref(),
        Some("This field is required.")
    );
    input("#t1").set_checked(true);
    input("#s1").set_checked(true);
    el("#pick")
        .dyn_into::<web_sys::HtmlSelectElement>()
        .unwrap()
        .set_value("x");
    assert!(!c.validate());
    assert_eq!(
        error_text("topics").as_deref(),
        Some("Please enter at least 2 characters.")
    );
    assert_eq!(error_text("size"), None);
    assert_eq!(error_text("pick"), None);
}

#[wasm_bindgen_test]
fn bad_options_fail_at_bind_naming_the_problem() {
    let _page = seed_page("/x");
    let cases: &[(&str, &str, &str)] = &[
        (
            "#contact",
            r#"{"rules": {"subject": "requird"}}"#,
            "unknown rule \"requird\"",
        ),
        (
            "#contact",
            r#"{"rules": {"subject": {"minlength": "ten"}}}"#,
            "rules.subject.minlength must be a number",
        ),
        (
            "#contact",
            r#"{"rules": {"subject": {"range": [true, 3]}}}"#,
            "rules.subject.range must be [min, max], not an array",
        ),
        (
            "#contact",
            r#"{"rules": {"subjct": "required"}}"#,
            "the form has no field named \"subjct\"",
        ),
        (
            "#contact",
            r#"{"messages": {"mesage": "Say something."}}"#,
            "messages.mesage: the form has no field named \"mesage\"",
        ),
        (
            "#contact",
            r#"{"rules": ["subject"]}"#,
            "rules must be an object, not an array",
        ),
        (
            "#contact",
            r#"{"rules": {"subject": {"pattern": "("}}}"#,
            "invalid regular expression",
        ),
        (
            "#contact",
            r#"{"panels": {"sending": ".nope"}}"#,
            "panels.sending: no element matches \".nope\"",
        ),
        (
            "#contact",
            r#"{"panels": {"loading": ".main"}}"#,
            "unknown panel \"loading\"",
        ),
        (
            "#contact",
            r#"{"timeout": "soon"}"#,
            "timeout must be a number",
        ),
        (
            "#contact",
            r#"{"headers": {"X-Bad Header": "1"}}"#,
            "headers",
        ),
        (
            "#contact",
            r#"{"success": 3}"#,
            "success must be a function",
        ),
        // Of two wrong options, the first read is named (`errorClass` before `timeout`,
        // `timeout` before `success`).
        (
            "#contact",
            r#"{"timeout": "soon", "errorClass": 1}"#,
            "errorClass must be a string, not a number",
        ),
        (
            "#contact",
            r#"{"success": 3, "timeout": "soon"}"#,
            "timeout must be a number",
        ),
        ("#nope", r#"{}"#, "form: no element matches \"#nope\""),
        ("#contact-popup", r#"{}"#, "not a <form>"),
    ];
    for (form, opts, want) in cases {
        let got = bind_error(form, options(opts));
        assert!(
            got.starts_with("corsform: ") && got.contains(want),
            "{opts}: {got}"
        );
    }
}

#[wasm_bindgen_test]
fn destroy_removes_everything_bind_added() {
    let _page = seed_page("/x");
    let form = el("#contact");
    let c = bind_ok("#contact", seed_options(""));
    assert!(form.has_attribute("novalidate"));
    assert!(!c.validate());
    c.destroy();
    assert!(document().get_element_by_id("subject-error").is_none());
    let subject = el("#subject");
    assert_eq!(subject.get_attribute("aria-invalid"), None);
    assert_eq!(subject.get_attribute("aria-describedby"), None);
    assert!(!form.has_attribute("novalidate"));
    // No longer listening: a submit is not cancelled (a listener on the window records
    // that, then stops the navigation), and leaving an invalid field says nothing.
    Function::new_no_args(
        "window.__seen = undefined; window.addEventListener('submit', e => { \
         window.__seen = e.defaultPrevented; e.preventDefault(); }, { once: true });",
    )
    .call0(&JsValue::NULL)
    .unwrap();
    click("#send");
    assert_eq!(
        recorded("__seen"),
        JsValue::FALSE,
        "submit must not be intercepted after destroy"
    );
    type_into("#from", "not-an-email");
    leave("#from");
    assert!(document().get_element_by_id("from-error").is_none());
}

// ---- the same verdicts as the browser and as jquery-validation ----------------------

struct NoPage;
impl corsform::Env for NoPage {
    fn equal_to(&self, _: &str) -> Option<String> {
        None
    }
    fn pattern(&self, _: &str, _: &str) -> bool {
        false
    }
}

#[wasm_bindgen_test]
fn email_verdicts_equal_the_browsers_own_check() {
    let samples = [
        "a@b",
        "user@example.com",
        "first.last+tag@sub.example.co.uk",
        ".a.@x",
        "a@-b.com",
        "a@b-.com",
        "a@b..com",
        "a@b.com.",
        "a b@c",
        "\"q\"@example.com",
        "a@[127.0.0.1]",
        "josé@example.com",
        "a@ex_ample.com",
        "  padded@example.com  ",
        "a@b@c",
        "@b",
        "a@",
        "x@1.2.3.4",
        "UPPER@EXAMPLE.COM",
        "a@b\n",
        "tab\t@x",
        "a@xn--mnchen-3ya.de",
        "!#$%&'*+/=?^_`{|}~-@x",
        "a@b.c-d.e",
        "a@0",
        "a@a.-b",
        "a@é.com",
    ];
    let field = document()
        .create_element("input")
        .unwrap()
        .dyn_into::<HtmlInputElement>()
        .unwrap();
    field.set_type("email");
    for s in samples {
        field.set_value(s);
        let value = field.value(); // the browser's sanitized value, what the rules see
        let browser = !field.validity().type_mismatch();
        let ours = value.is_empty() || corsform::is_valid_email(&value);
        let domain_is_ascii = value.rsplit('@').next().is_some_and(|d| d.is_ascii());
        if domain_is_ascii {
            assert_eq!(ours, browser, "{s:?} (sanitized {value:?})");
        } else {
            // Firefox accepts an internationalized domain (it converts it to punycode);
            // Chrome and the HTML standard's grammar do not, and neither does corsform.
            assert!(!ours, "{s:?}");
        }
    }
}

/// `controller.submit()`'s promise as js-sys's `Promise`, to await it.
fn promise(p: impl Into<JsValue>) -> Promise {
    p.into().unchecked_into()
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The JS engine's own `Number(text)`.
    #[wasm_bindgen(js_name = Number)]
    fn engine_number(text: &str) -> f64;
}

#[wasm_bindgen_test]
fn the_servers_number_parse_equals_the_js_engines() {
    // Both sides read numbers with `js_number`; it must agree with the engine's `Number()`.
    let samples = [
        "",
        " ",
        "0",
        "-0",
        "12",
        "  12\n",
        "\u{a0}7\u{feff}",
        "1.5",
        ".5",
        "5.",
        "+5",
        "-.5",
        "1e3",
        "1E+3",
        "2e-3",
        "1e400",
        "-1e400",
        "1e-400",
        "0.1",
        "0.30000000000000004",
        "9007199254740993",
        "123456789012345678901234567890",
        "0x1F",
        "0X1f",
        "0o17",
        "0b101",
        "0x",
        "-0x10",
        "+0x10",
        "0b2",
        "Infinity",
        "-Infinity",
        "+Infinity",
        "infinity",
        "inf",
        "NaN",
        "nan",
        "abc",
        "1,000",
        "1e",
        "1e+",
        "--1",
        "+-1",
        ".",
        "1.2.3",
        "1 2",
        "1_000",
        "e5",
        "0.0000001",
        "4.35",
        "1.0000000000000002",
        "2.2250738585072014e-308",
        "4.9e-324",
        "1.7976931348623157e308",
        "1.7976931348623159e308",
        "٣",
        "\u{2003}3\u{3000}",
    ];
    for s in samples {
        let (ours, engine) = (corsform::js_number(s), engine_number(s));
        assert!(
            ours.to_bits() == engine.to_bits() || (ours.is_nan() && engine.is_nan()),
            "Number({s:?}): {ours} against {engine}"
        );
    }
}

/// jquery-validation 1.22's expressions, run by the browser's RegExp engine.
const JQ_URL: &str = r#"^(?:(?:(?:https?|ftp):)?\/\/)(?:(?:[^\]\[?\/<~#`!@$^&*()+=}|:";',>{ ]|%[0-9A-Fa-f]{2})+(?::(?:[^\]\[?\/<~#`!@$^&*()+=}|:";',>{ ]|%[0-9A-Fa-f]{2})*)?@)?(?:(?!(?:10|127)(?:\.\d{1,3}){3})(?!(?:169\.254|192\.168)(?:\.\d{1,3}){2})(?!172\.(?:1[6-9]|2\d|3[0-1])(?:\.\d{1,3}){2})(?:[1-9]\d?|1\d\d|2[01]\d|22[0-3])(?:\.(?:1?\d{1,2}|2[0-4]\d|25[0-5])){2}(?:\.(?:[1-9]\d?|1\d\d|2[0-4]\d|25[0-4]))|(?:(?:[a-z0-9\u00a1-\uffff][a-z0-9\u00a1-\uffff_-]{0,62})?[a-z0-9\u00a1-\uffff]\.)+(?:[a-z\u00a1-\uffff]{2,}\.?))(?::\d{2,5})?(?:[/?#]\S*)?$"#;
const JQ_NUMBER: &str = r#"^(?:-?\d+|-?\d{1,3}(?:,\d{3})+)?(?:-?\.\d+)?$"#;
const JQ_EMAIL: &str = r#"^[a-zA-Z0-9.!#$%&'*+\/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"#;

fn same_as_regex(source: &str, flags: &str, method: Method, samples: &[&str]) {
    let re = js_sys::RegExp::new(source, flags);
    let rule = Rule {
        method,
        param: Param::Flag,
    };
    for s in samples {
        let ours = corsform::validate::check(&rule, Input::text(s), &NoPage);
        assert_eq!(ours, re.test(s), "{method:?} {s:?}");
    }
}

#[wasm_bindgen_test]
fn url_verdicts_equal_jquery_validations_regex() {
    let long = format!("http://{}.com", "a".repeat(64));
    let longer = format!("http://{}.com", "a".repeat(65));
    let samples = [
        "http://example.com",
        "https://www.example.com/path?q=1#top",
        "HTTPS://EXAMPLE.COM",
        "ftp://ftp.example.org/f",
        "//example.com/x",
        "http://user:pass@example.com:8080/",
        "http://user@example.com",
        "http://1.2.3.4",
        "http://223.255.255.254/x",
        "http://example.com.",
        "http://münchen.de",
        "http://a_b.example.com",
        "http://localhost",
        "http://10.0.0.1",
        "http://127.0.0.1:8080",
        "http://192.168.1.1",
        "http://172.16.0.1",
        "http://172.160.0.1",
        "http://169.254.1.1",
        "http://1.2.3.255",
        "http://224.0.0.1",
        "http://example.c",
        "http://example.com:1",
        "http://example.com:123456",
        "http://exa mple.com",
        "http://example.com/a b",
        "mailto:a@example.com",
        "http://-example.com",
        "http://example-.com",
        "http://example..com",
        "http://example.com1",
        "javascript://example.com",
        "http://x.y.z.example.museum",
        "http://a.b--c.de",
        "http://@example.com",
        "http://u:@example.com",
        "http://u:p:q@example.com",
        "http://u%20@example.com",
        "http://[::1]/",
        "http://example.com?x",
        "http://example.com#",
        "http://ex.com:80/p\u{a0}q",
        "http://😀.example.com",
        "http://a.😀😀",
        "http://100.1.1.1",
        "http://127.0.0.1.example.com",
        "http://10.1.1",
        "http://1.2.3",
        "http://1.2.3.4.5",
        "http://05.1.1.1",
        "http://1.05.1.1",
        "http://1.1.1.05",
        &long,
        &longer,
    ];
    same_as_regex(JQ_URL, "i", Method::Url, &samples);
    // The browser build runs the crate's copy of the expression; the server runs the
    // transcription checked here.
    assert_eq!(corsform::URL_PATTERN, JQ_URL);
    let generated = generated_urls(20_000);
    let generated: Vec<&str> = generated.iter().map(String::as_str).collect();
    same_as_regex(JQ_URL, "i", Method::Url, &generated);
    let re = js_sys::RegExp::new(JQ_URL, "i");
    let valid = generated.iter().filter(|s| re.test(s)).count();
    assert!(valid > 1_000, "only {valid} generated URLs are valid");
}

/// `n` URL-like strings from a fixed seed: schemes, user-info, dotted quads at the edges
/// of the excluded ranges, host labels of every character class (and at 63/64 units),
/// ports and paths with JavaScript's white space.
fn generated_urls(n: usize) -> Vec<String> {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |k: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % k as u64) as usize
    };
    let schemes = [
        "http://", "https://", "HTTPS://", "ftp://", "//", "http:/", "", "mailto:",
    ];
    let users = [
        "", "", "", "user@", "u:p@", "u:@", ":p@", "a b@", "\u{e9}@", "%zz@", "u:p:q@",
    ];
    let octets = [
        "0", "1", "9", "10", "127", "169", "254", "192", "168", "172", "16", "31", "32", "15",
        "223", "224", "255", "256", "00", "01", "001", "099", "100", "199", "249", "250", "1000",
        "",
    ];
    let a63 = "a".repeat(63);
    let a62 = "b".repeat(62);
    let label_parts = [
        "a",
        "ab",
        "com",
        "x1",
        "\u{e9}",
        "\u{fc}",
        "-",
        "_",
        "9",
        "Z",
        "\u{a1}",
        "\u{a0}",
        "\u{80}",
        "\u{1f600}",
        &a63,
        &a62,
        "\u{3000}",
        "\u{212a}",
        "%",
        "~",
    ];
    let ends = [
        "",
        "",
        ":80",
        ":8",
        ":123456",
        ":",
        ":8080",
        ".",
        "/",
        "/a b",
        "/x",
        "?q=1",
        "#f",
        "/\u{3000}",
        "/\u{a0}",
        "/\u{1f600}",
        "/\u{2028}",
        "x",
    ];
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = String::new();
        s.push_str(schemes[next(schemes.len())]);
        s.push_str(users[next(users.len())]);
        // A dotted quad (sometimes with an octet too few or too many), or host labels.
        let ip = next(2) == 0;
        let parts = if ip {
            3 + next(3)
        } else {
            1 + next(3) + next(2)
        };
        for p in 0..parts {
            if p > 0 {
                s.push('.');
            }
            if ip {
                s.push_str(octets[next(octets.len())]);
            } else {
                for _ in 0..1 + next(2) {
                    let plain = next(3) > 0;
                    s.push_str(if plain {
                        "ab"
                    } else {
                        label_parts[next(label_parts.len())]
                    });
                }
            }
        }
        s.push_str(ends[next(ends.len())]);
        out.push(s);
    }
    out
}

#[wasm_bindgen_test]
fn number_digits_and_email_verdicts_equal_jquery_validations_regexes() {
    let numbers = [
        "1",
        "-1",
        "1.5",
        ".5",
        "-.5",
        "1,000",
        "-12,345.67",
        "123,456,789",
        "0.0",
        "1.",
        "1,00",
        "1234,567",
        "abc",
        "1e3",
        "+1",
        "1.2.3",
        "-",
        " 1",
        "1,000,",
        "5-.5",
        "--1",
        "1,234,56",
        "12,345",
        "1234",
    ];
    same_as_regex(JQ_NUMBER, "", Method::Number, &numbers);
    same_as_regex(
        r"^\d+$",
        "",
        Method::Digits,
        &["0", "0123", "1.5", "-1", "١٢", "12a"],
    );
    let emails = [
        "a@b", "a@b.c", "a@-b", "a@b-", "a.b@c", "a@b..c", "é@x", "a@x.y.", "a@[1]",
    ];
    same_as_regex(JQ_EMAIL, "", Method::Email, &emails);
    // The browser build runs the crate's copies of the expressions; the server runs the
    // transcriptions checked here, on generated strings too.
    assert_eq!(corsform::NUMBER_PATTERN, JQ_NUMBER);
    assert_eq!(corsform::EMAIL_PATTERN, JQ_EMAIL);
    for (source, method, atoms) in [
        (JQ_NUMBER, Method::Number, NUMBER_ATOMS),
        (JQ_EMAIL, Method::Email, EMAIL_ATOMS),
    ] {
        let generated = generated(0x9e37_79b9_7f4a_7c15, atoms, 20_000);
        let generated: Vec<&str> = generated.iter().map(String::as_str).collect();
        same_as_regex(source, "", method, &generated);
        let re = js_sys::RegExp::new(source, "");
        let valid = generated.iter().filter(|s| re.test(s)).count();
        assert!(
            valid > 1_000,
            "only {valid} generated {method:?} values are valid"
        );
    }
}

/// Pieces of numbers: signs, points, separators and digit runs that make or break
/// jquery-validation's thousands grouping, and what is no part of a number.
const NUMBER_ATOMS: &[&str] = &[
    "-", ".", ",", "1", "12", "123", "1234", "0", ",000", ",00", ",0000", "e", " ", "+", "x",
    "\u{663}", "1", "23", ".5",
];

/// Pieces of e-mail addresses: every character the local part allows and some it does
/// not, `@`, labels of 1, 61 to 64 characters, hyphens at either end, dots.
const EMAIL_ATOMS: &[&str] = &[
    "a",
    "Z",
    "0",
    ".",
    "!#$%&'*+/=?^_`{|}~-",
    "\u{e9}",
    " ",
    "(",
    "\"",
    ",",
    ":",
    "[",
    "@",
    "@",
    "@",
    "@b",
    "@b.c",
    "@x-y.z",
    "-",
    "b-",
    "-c",
    ".d",
    "..",
    "_",
    "ab1",
    "@a.b.c.d",
    ".aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", // 61
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", // 63
    "aa",
    "x",
    "y",
    "z",
    "@ex.com",
    "@mail.example",
    "b",
    "c",
];

/// `n` strings of 1 to 7 of `atoms`, from `seed`.
fn generated(mut seed: u64, atoms: &[&str], n: usize) -> Vec<String> {
    let mut next = move |k: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % k as u64) as usize
    };
    (0..n)
        .map(|_| {
            let count = 1 + next(7);
            (0..count).map(|_| atoms[next(atoms.len())]).collect()
        })
        .collect()
}

#[wasm_bindgen_test]
fn lengths_count_as_the_browser_does() {
    let ta = document()
        .create_element("textarea")
        .unwrap()
        .dyn_into::<HtmlTextAreaElement>()
        .unwrap();
    for s in ["abc", "😀", "a\nb", "a\r\nb\rc", "é\u{301}", "中文😀x"] {
        ta.set_value(s);
        assert_eq!(
            corsform::validate::length(&ta.value()),
            ta.text_length() as usize,
            "{s:?}"
        );
    }
}

// ---- serialization ------------------------------------------------------------------

const SERIALIZE_FORM: &str = r#"<form id="ser" action="">
  <input name="text" value="a b+c&d=e">
  <input name="empty" value="">
  <textarea name="ta">line1
line2</textarea>
  <input type="checkbox" name="cb" value="yes" checked><input type="checkbox" name="cb" value="no">
  <input type="checkbox" name="cbdefault" checked>
  <input type="radio" name="r" value="1"><input type="radio" name="r" value="2" checked>
  <select name="one"><option>first</option><option value="v2" selected>Second</option></select>
  <select name="multi" multiple><option value="a" selected>A</option><option value="b">B</option><option value="c" selected>C</option><option value="d" selected disabled>D</option><optgroup disabled><option value="e" selected>E</option></optgroup></select>
  <input name="disabled" value="x" disabled>
  <fieldset disabled><input name="infs" value="x"></fieldset>
  <input type="file" name="file">
  <input type="submit" name="sub" id="sub" value="Go">
  <button name="btn" value="b" type="button">B</button>
  <input type="hidden" name="hid" value="h">
  <input name="uni" value="é €😀 ~*'()!">
  <input value="noname">
</form>"#;

/// What jQuery 3's `$("#ser").serialize()` gives, with `%20` as `+` as `$.ajax` sends it.
const SERIALIZED: &str = "text=a+b%2Bc%26d%3De&empty=&ta=line1%0D%0Aline2&cb=yes&cbdefault=on&r=2&one=v2&multi=a&multi=c&hid=h&uni=%C3%A9+%E2%82%AC%F0%9F%98%80+~*'()!";

/// `bind` and `serialize`, as JavaScript calls them: what they return, or the error they
/// throw.
fn call_from_js(
    f: impl Fn(JsValue) -> Result<JsValue, JsValue> + 'static,
    arg: &str,
) -> Result<JsValue, JsValue> {
    let f = wasm_bindgen::closure::Closure::<dyn Fn(JsValue) -> Result<JsValue, JsValue>>::new(f);
    let outcome = Function::new_with_args(
        "f, arg",
        "try { return { value: f(arg) }; } catch (error) { return { error }; }",
    )
    .call2(&JsValue::NULL, f.as_ref(), &arg.into())
    .unwrap();
    match Reflect::has(&outcome, &"error".into()).unwrap() {
        true => Err(get(&outcome, "error")),
        false => Ok(get(&outcome, "value")),
    }
}

#[wasm_bindgen_test]
fn bind_and_serialize_throw_their_errors_to_javascript() {
    let _page = mount(SERIALIZE_FORM);
    let binds = |form: JsValue| {
        let options = js_sys::Object::new().unchecked_into::<BindOptions>();
        bind(form.unchecked_into::<FormRef>(), Some(options)).map(JsValue::from)
    };
    let serializes = |form: JsValue| serialize(form.unchecked_into::<FormRef>()).map(JsValue::from);
    let err = call_from_js(binds, "#nowhere").unwrap_err();
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&err, "kind"), "options");
    assert_eq!(
        get(&err, "message"),
        "corsform: form: no element matches \"#nowhere\""
    );
    let controller = call_from_js(binds, "#ser").unwrap();
    Reflect::get(&controller, &"destroy".into())
        .unwrap()
        .unchecked_into::<Function>()
        .call0(&controller)
        .unwrap();
    let err = call_from_js(serializes, "#ser input").unwrap_err();
    assert_eq!(get(&err, "kind"), "options");
    assert_eq!(
        get(&err, "message"),
        "corsform: form: the element is a <input>, not a <form>"
    );
    assert_eq!(call_from_js(serializes, "#ser").unwrap(), SERIALIZED);
}

#[wasm_bindgen_test]
fn serialize_is_jquerys_serialize() {
    let _page = mount(SERIALIZE_FORM);
    assert_eq!(
        serialize(JsValue::from_str("#ser").unchecked_into()).unwrap(),
        SERIALIZED
    );
}

#[wasm_bindgen_test]
async fn the_body_sent_is_serialize_plus_the_clicked_button_with_xrw_and_urlencoded() {
    let _page = mount(SERIALIZE_FORM);
    let id = unique();
    let opts = options(&format!(r#"{{"url": "{}/echo/{id}"}}"#, fixture()));
    set(&opts, "success", &recorder("__sent"));
    bind_ok("#ser", opts);
    click("#sub");
    assert!(
        until(5000, || recorded("__sent").is_object()).await,
        "no answer from the echo"
    );
    let sent = recorded("__sent");
    assert_eq!(
        get(&sent, "body").as_string().unwrap(),
        [SERIALIZED, "&sub=Go"].concat()
    );
    assert_eq!(get(&sent, "xrw").as_string().unwrap(), "XMLHttpRequest");
    assert_eq!(
        get(&sent, "type").as_string().unwrap(),
        "application/x-www-form-urlencoded; charset=UTF-8"
    );
}

// ---- transport, panels, failures ----------------------------------------------------

async fn expect_error_panel(kind: &str) -> JsValue {
    assert!(
        until(8000, || visible("#contact-popup > .error")).await,
        "error panel never shown ({kind})"
    );
    assert!(
        !visible("#contact-popup > .success"),
        "success must not show ({kind})"
    );
    assert!(!visible("#contact-popup > .sending"));
    assert!(
        visible("#contact-popup > .main"),
        "the form comes back for a retry"
    );
    assert_eq!(input("#subject").value(), "Hello", "input kept");
    assert_eq!(
        el("#message")
            .dyn_into::<HtmlTextAreaElement>()
            .unwrap()
            .value(),
        "A message\nover two lines"
    );
    assert!(
        until(1000, || recorded("__failed").is_object()).await,
        "error callback not called"
    );
    let err = recorded("__failed");
    assert_eq!(get(&err, "kind").as_string().as_deref(), Some(kind));
    set(
        &web_sys::window().unwrap().into(),
        "__failed",
        &JsValue::UNDEFINED,
    );
    err
}

fn failing_page(url: &str, extra: &str) -> Mounted {
    let page = seed_page(url);
    let opts = seed_options(extra);
    set(&opts, "error", &recorder("__failed"));
    bind_ok("#contact", opts);
    fill_valid();
    page
}

#[wasm_bindgen_test]
async fn a_redirect_is_an_error_not_a_success() {
    let _page = failing_page(&[fixture(), "/redirect"].concat(), "");
    click("#send");
    expect_error_panel("redirect").await;
}

#[wasm_bindgen_test]
async fn a_500_shows_the_error_panel() {
    let _page = failing_page(&[fixture(), "/status/500"].concat(), "");
    click("#send");
    let err = expect_error_panel("status").await;
    assert_eq!(get(&err, "status").as_f64(), Some(500.0));
}

#[wasm_bindgen_test]
async fn a_cors_refusal_shows_the_error_panel() {
    let _page = failing_page(&[fixture(), "/nocors"].concat(), "");
    click("#send");
    expect_error_panel("network").await;
}

#[wasm_bindgen_test]
async fn a_server_that_is_down_shows_the_error_panel_and_a_retry_works() {
    let _page = failing_page(&closed_port_url(), "");
    click("#send");
    expect_error_panel("network").await;
    // The visitor retries once the API is back: here, the form is pointed at it.
    el("#contact").set_attribute("action", api()).unwrap();
    click("#send");
    assert!(
        until(5000, || visible("#contact-popup > .success")).await,
        "retry did not succeed"
    );
    assert!(!visible("#contact-popup > .error"));
}

#[wasm_bindgen_test]
async fn a_server_dying_mid_request_shows_the_error_panel_and_a_retry_works() {
    let _page = failing_page(&[fixture(), "/drop"].concat(), "");
    click("#send");
    expect_error_panel("network").await;
    el("#contact").set_attribute("action", api()).unwrap();
    click("#send");
    assert!(
        until(5000, || visible("#contact-popup > .success")).await,
        "retry did not succeed"
    );
}

#[wasm_bindgen_test]
async fn the_timeout_aborts_the_request() {
    let _page = failing_page(&[fixture(), "/stall"].concat(), r#", "timeout": 300"#);
    click("#send");
    let err = expect_error_panel("timeout").await;
    assert!(get(&err, "message").as_string().unwrap().contains("300 ms"));
}

/// Binds the seed page's form with `opts` (its `error` recording in `__rejected`) and
/// sends what the page accepts and the real server refuses (with its seed rules): `from`
/// is not an e-mail address.
fn send_what_the_server_refuses(opts: JsValue) {
    set(&opts, "error", &recorder("__rejected"));
    bind_ok("#contact", opts);
    type_into("#subject", "Hello");
    type_into("#from", "not an address");
    type_into("#message", "Hi");
    click("#send");
}

#[wasm_bindgen_test]
async fn a_422_puts_the_servers_messages_on_the_fields() {
    // The page checks nothing; the real server runs the seed rules.
    let _page = seed_page(api());
    let opts = options(
        r##"{"panels": {"main": "#contact-popup .main", "sending": "#contact-popup .sending",
            "success": "#contact-popup .success", "error": "#contact-popup .error"}}"##,
    );
    send_what_the_server_refuses(opts);
    assert!(
        until(5000, || error_text("from").is_some()).await,
        "server message not shown"
    );
    assert_eq!(
        error_text("from").as_deref(),
        Some("Please enter a valid email address.")
    );
    assert_eq!(
        el("#from").get_attribute("aria-invalid").as_deref(),
        Some("true")
    );
    assert!(visible("#contact-popup > .main"));
    assert!(
        !visible("#contact-popup > .error"),
        "a 422 is not a delivery failure"
    );
    assert!(!visible("#contact-popup > .success"));
    assert_eq!(document().active_element(), Some(el("#from")));
    assert_eq!(input("#from").value(), "not an address", "input kept");
    assert_eq!(
        get(&recorded("__rejected"), "kind").as_string().as_deref(),
        Some("invalid")
    );
    assert_eq!(get(&recorded("__rejected"), "status").as_f64(), Some(422.0));
}

/// With a `showErrors` option, a 422's messages go to it, as the page's own
/// `validator.showErrors(errors)` would have shown them, and corsform shows nothing itself.
#[wasm_bindgen_test]
async fn a_422_goes_through_the_show_errors_option() {
    let _page = seed_page(api());
    let opts = options(r#"{"focusInvalid": false}"#);
    set(&opts, "showErrors", &show_errors_recorder("s422", false));
    send_what_the_server_refuses(opts);
    assert!(
        until(5000, || last_shown("s422").0.contains("from")).await,
        "showErrors not called with the server's message: {:?}",
        last_shown("s422")
    );
    assert_eq!(
        last_shown("s422").0,
        r#"[{"from":"Please enter a valid email address."},[["Please enter a valid email address.","from",null]],1]"#
    );
    assert_eq!(
        error_text("from"),
        None,
        "shown by the page's showErrors only"
    );
    assert_eq!(get(&recorded("__rejected"), "status").as_f64(), Some(422.0));
}

#[wasm_bindgen_test]
async fn one_request_at_a_time_and_the_button_is_disabled_meanwhile() {
    let id = unique();
    let _page = seed_page(&[fixture(), "/slow/", &id].concat());
    let c = bind_ok("#contact", seed_options(""));
    fill_valid();
    click("#send");
    click("#send");
    sleep(50).await;
    assert!(
        input("#send").disabled(),
        "submit button disabled while sending"
    );
    assert!(visible("#contact-popup > .sending"));
    let busy = JsFuture::from(promise(c.submit()))
        .await
        .expect_err("a second submit while sending");
    assert_eq!(get(&busy, "kind").as_string().as_deref(), Some("busy"));
    assert!(until(5000, || visible("#contact-popup > .success")).await);
    assert!(!input("#send").disabled(), "button enabled again");
    assert_eq!(fixture_count(&id).await, 1, "exactly one request");
}

#[wasm_bindgen_test]
async fn before_send_can_cancel_and_events_fire() {
    let id = unique();
    let _page = seed_page(&[fixture(), "/echo/", &id].concat());
    let opts = seed_options("");
    set(
        &opts,
        "beforeSend",
        &Function::new_with_args("body", "window.__body = body; return false;"),
    );
    let c = bind_ok("#contact", opts);
    fill_valid();
    let cancelled = JsFuture::from(promise(c.submit()))
        .await
        .expect_err("cancelled");
    assert_eq!(
        get(&cancelled, "kind").as_string().as_deref(),
        Some("cancelled")
    );
    assert_eq!(
        recorded("__body").as_string().unwrap(),
        "subject=Hello&from=visitor%40example.com&message=A+message%0D%0Aover+two+lines"
    );
    assert_eq!(fixture_count(&id).await, 0);
    c.destroy();

    let c = bind_ok("#contact", seed_options(""));
    let listener = recorder("__event");
    el("#contact")
        .add_event_listener_with_callback("corsform:success", &listener)
        .unwrap();
    JsFuture::from(promise(c.submit())).await.expect("sent");
    let event = recorded("__event");
    assert_eq!(
        get(&event, "type").as_string().as_deref(),
        Some("corsform:success")
    );
    assert_eq!(get(&get(&event, "detail"), "ok"), JsValue::TRUE);
}

#[wasm_bindgen_test]
async fn panels_show_even_when_the_stylesheet_forces_them_hidden() {
    let _page = seed_page(api());
    let _css = mount_more(
        "<style>#contact-popup .success { display: none !important; } .error-free { }</style>",
    );
    bind_ok("#contact", seed_options(""));
    fill_valid();
    click("#send");
    assert!(
        until(5000, || visible("#contact-popup > .success")).await,
        "success hidden by !important CSS"
    );
    let shown = web_sys::window()
        .unwrap()
        .get_computed_style(&el("#contact-popup > .success"))
        .unwrap()
        .unwrap();
    assert_eq!(
        shown.get_property_value("display").unwrap(),
        "block",
        "a div shows as a block"
    );
}

// ---- against the real jQuery 3.7.1 and jquery-validation 1.22.1 (npm, by setup) --------

const JQUERY_JS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/xtask/npm/node_modules/jquery/dist/jquery.min.js"
));
const VALIDATE_JS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/xtask/npm/node_modules/jquery-validation/dist/jquery.validate.min.js"
));

/// Loads jQuery and jquery-validation into the page (once) and returns `jQuery`.
fn jquery() -> Function {
    let w: JsValue = web_sys::window().unwrap().into();
    if get(&w, "jQuery").is_undefined() {
        Function::new_no_args(JQUERY_JS)
            .call0(&JsValue::NULL)
            .unwrap();
        Function::new_no_args(VALIDATE_JS)
            .call0(&JsValue::NULL)
            .unwrap();
    }
    get(&w, "jQuery").dyn_into().unwrap()
}

#[wasm_bindgen_test]
fn serialize_equals_real_jquery() {
    let _page = mount(SERIALIZE_FORM);
    let jq = jquery();
    let jq_body =
        Function::new_with_args("$", "return $('#ser').serialize().replace(/%20/g, '+');")
            .call1(&JsValue::NULL, &jq)
            .unwrap()
            .as_string()
            .unwrap();
    assert_eq!(
        serialize(JsValue::from_str("#ser").unchecked_into()).unwrap(),
        jq_body
    );
    assert_eq!(
        jq_body, SERIALIZED,
        "the expected body in this file is jQuery's"
    );
}

#[wasm_bindgen_test]
fn verdicts_and_messages_equal_real_jquery_validation() {
    let jq = jquery();
    let cases: &[(&str, &str)] = &[
        (r#""required""#, ""),
        (r#""required""#, " "),
        (r#"{"email": true}"#, "a@b"),
        (r#"{"email": true}"#, "a@"),
        (r#"{"email": true}"#, "first.last@sub.example.com"),
        (r#"{"url": true}"#, "http://example.com/x?y"),
        (r#"{"url": true}"#, "http://localhost"),
        (r#"{"url": true}"#, "//cdn.example.org"),
        (r#"{"number": true}"#, "-1,234.5"),
        (r#"{"number": true}"#, "1,00"),
        (r#"{"digits": true}"#, "0123"),
        (r#"{"digits": true}"#, "12a"),
        (r#"{"minlength": 3}"#, "ab"),
        (r#"{"minlength": 2}"#, "😀"),
        (r#"{"maxlength": 2}"#, "abc"),
        (r#"{"rangelength": [2, 3]}"#, "abcd"),
        (r#"{"min": 5}"#, "4.9"),
        (r#"{"min": 5}"#, "1e1"),
        (r#"{"max": 5}"#, "5.1"),
        (r#"{"max": 5}"#, " 5 "),
        (r#"{"range": [1, 3]}"#, "0"),
        (r#"{"range": [1, 3]}"#, "abc"),
        (r#"{"step": 0.25}"#, "0.3"),
        (r#"{"step": 0.25}"#, "1.75"),
        (r#"{"step": 3}"#, "-3"),
        (r##"{"equalTo": "#pw-c"}"##, "secret"),
        (r##"{"equalTo": "#pw-c"}"##, "other"),
        (r#"{"required": true, "minlength": 4}"#, "abc"),
        (r#"{"email": true, "maxlength": 5}"#, "abcdefgh"),
    ];
    for (rule, value) in cases {
        let _page = mount(
            r#"<form id="jqf"><input id="pw-j" name="pw" value="secret"><input id="t-j" name="t"></form>
               <form id="cff"><input id="pw-c" name="pw" value="secret"><input id="t-c" name="t"></form>"#,
        );
        let jq_rule = rule.replace("#pw-c", "#pw-j");
        let run = Function::new_with_args(
            "$, rule, value",
            "const v = $('#jqf').validate({rules: {t: JSON.parse(rule)}}); $('#t-j').val(value); \
             const ok = v.element('#t-j'); const m = ok ? null : v.errorList[0].message; v.destroy(); return [ok, ok ? null : m];",
        );
        let got = run
            .call3(&JsValue::NULL, &jq, &jq_rule.into(), &(*value).into())
            .unwrap();
        let jq_ok = js_sys::Array::from(&got).get(0).as_bool().unwrap();
        let jq_message = js_sys::Array::from(&got).get(1).as_string();
        let c = bind_ok(
            "#cff",
            options(&[r#"{"rules": {"t": "#, rule, "}}"].concat()),
        );
        input("#t-c").set_value(value);
        let ours = c.validate();
        let our_message = if ours { None } else { error_text("t-c") };
        c.destroy();
        assert_eq!(
            (ours, our_message),
            (jq_ok, jq_message),
            "rule {rule}, value {value:?}"
        );
    }
}

/// The `.d.ts`'s `CorsformOptions` declares exactly the options `bind` reads (its
/// `RuleName` union is generated from the table of methods).
#[wasm_bindgen_test]
fn the_typescript_options_are_the_options_bind_reads() {
    let source = include_str!("../src/web/mod.rs");
    let start = source
        .find("export interface CorsformOptions {")
        .expect("mod.rs declares CorsformOptions");
    let body = &source[start..];
    let body = &body[..body.find("\n}").unwrap()];
    let mut declared: Vec<&str> = body
        .lines()
        .filter_map(|l| l.trim().split_once("?:").map(|(name, _)| name))
        .collect();
    let names = corsform::web::options::OPTION_NAMES;
    assert_eq!(corsform::web::options::KNOWN_OPTIONS, names.join(", "));
    let mut read = names.to_vec();
    declared.sort_unstable();
    read.sort_unstable();
    assert_eq!(declared, read);
    for method in Method::all() {
        let quoted = ["\"", method.name(), "\""].concat();
        assert!(corsform::rules::RULE_NAME_TS.contains(&quoted), "{quoted}");
    }
}

// ---- regressions from ../shared/cases (rNN: the case's number) -------------------------

/// A form of the cases: `fields` inside, posting nowhere (a `beforeSend` returning false
/// records the body instead).
fn case_form(fields: &str) -> Mounted {
    mount(&format!(
        r#"<form id="case" action="https://api.example.test/contact" method="post">{fields}</form>"#
    ))
}
/// Binds the case form with `options` plus a `beforeSend` that stores the body in
/// `window.sent` and cancels the request.
fn bind_recording(options_json: &str) -> Controller {
    bind_ok("#case", recording(options(options_json)))
}
/// `opts` with a `beforeSend` that stores the body in `window.sent` (emptied now) and
/// cancels the request.
fn recording(opts: JsValue) -> JsValue {
    set(
        &JsValue::from(web_sys::window().unwrap()),
        "sent",
        &JsValue::NULL,
    );
    let stop = Function::new_with_args("b", "window.sent = b; return false;");
    set(&opts, "beforeSend", &stop);
    opts
}
fn sent() -> Option<String> {
    recorded("sent").as_string()
}

/// Case 01: disabled controls (own attribute, a disabled fieldset, disabled after bind) are
/// not validated, and not sent.
#[wasm_bindgen_test]
fn r01_disabled_fields_are_not_validated() {
    let _page = case_form(
        r#"<input id="subject" name="subject" value="Hello">
           <input id="company" name="company" required disabled>
           <fieldset disabled><input id="vat" name="vat" required></fieldset>
           <input id="later" name="later" required>"#,
    );
    let c = bind_ok("#case", options("{}"));
    input("#later").set_disabled(true);
    assert!(c.validate());
    for f in ["company", "vat", "later"] {
        assert_eq!(error_text(f), None, "{f}");
    }
    assert_eq!(
        serialize(JsValue::from_str("#case").unchecked_into()).unwrap(),
        "subject=Hello"
    );
}

/// Case 02: a required field the page hides (`ignore: ":hidden"`, jquery-validation's
/// default) does not block the form; `ignore: ""` validates it, a selector ignores others.
#[wasm_bindgen_test]
fn r02_hidden_fields_are_ignored_by_default() {
    let fields = r#"<input id="subject" name="subject" value="Hello">
        <div style="display:none"><input id="company" name="company" required></div>
        <input id="extra" class="skip" name="extra" required>"#;
    let _page = case_form(fields);
    let c = bind_ok("#case", options(r#"{"ignore": ":hidden, .skip"}"#));
    assert!(c.validate());
    assert_eq!(error_text("company"), None);
    c.destroy();
    drop(_page);
    let _page = case_form(fields);
    let c = bind_ok("#case", options("{}"));
    assert!(!c.validate(), "by default only :hidden is ignored");
    assert_eq!(error_text("company"), None);
    assert_eq!(
        error_text("extra").as_deref(),
        Some("This field is required.")
    );
    c.destroy();
    drop(_page);
    let _page = case_form(fields);
    let c = bind_ok("#case", options(r#"{"ignore": ""}"#));
    assert!(!c.validate(), "ignore: \"\" validates hidden fields too");
    let label = document()
        .get_element_by_id("company-error")
        .expect("a message for company");
    assert_eq!(
        label.text_content().as_deref(),
        Some("This field is required.")
    );
    assert!(bind_error("#case", options(r#"{"ignore": "[["}"#)).contains("ignore"));
}

/// Case 03: `data-rule-*` attributes give rules, as jquery-validation's dataRules.
#[wasm_bindgen_test]
fn r03_data_rule_attributes_give_rules() {
    let _page = case_form(
        r##"<input id="reply" name="reply" data-rule-required="true" data-rule-email="true" data-msg-required="We need an address to reply to.">
           <input id="nick" name="nick" value="ab" data-rule-minlength="3">
           <input id="code" name="code" value="12a" data-rule-digits="true">
           <input id="pw" name="pw" value="x"><input id="again" name="again" value="y" data-rule-equalto="#pw">
           <input id="off" name="off" required data-rule-required="false">"##,
    );
    let c = bind_ok("#case", options("{}"));
    assert!(!c.validate());
    assert_eq!(
        error_text("reply").as_deref(),
        Some("We need an address to reply to.")
    );
    assert_eq!(
        error_text("nick").as_deref(),
        Some("Please enter at least 3 characters.")
    );
    assert_eq!(
        error_text("code").as_deref(),
        Some("Please enter only digits.")
    );
    assert_eq!(
        error_text("again").as_deref(),
        Some("Please enter the same value again.")
    );
    // `data-rule-required="false"` gives no rule and leaves the attribute's, as
    // jquery-validation 1.22.1 does with the same markup.
    let _jq_page = mount_more(
        r#"<form id="jq-off"><input id="off-j" name="off" required data-rule-required="false"></form>"#,
    );
    let jq_ok = Function::new_with_args("$", "return $('#jq-off').validate().form();")
        .call1(&JsValue::NULL, &jquery())
        .unwrap();
    assert_eq!(jq_ok, JsValue::FALSE);
    assert_eq!(error_text("off"), error_text("off-j"));
    assert_eq!(
        error_text("off").as_deref(),
        Some("This field is required.")
    );
    Function::new_with_args("$", "$('#jq-off').validate().destroy();")
        .call1(&JsValue::NULL, &jquery())
        .unwrap();
}

/// Case 05: a `formnovalidate` submit button sends without validating, its name=value last.
#[wasm_bindgen_test]
async fn r05_formnovalidate_button_sends_without_validating() {
    let _page = case_form(
        r#"<input id="subject" name="subject" required>
           <button type="submit" id="send" name="intent" value="send">Send</button>
           <button type="submit" id="draft" name="intent" value="draft" formnovalidate>Save draft</button>"#,
    );
    bind_recording("{}");
    click("#draft");
    sleep(50).await;
    assert_eq!(sent().as_deref(), Some("subject=&intent=draft"));
    assert_eq!(error_text("subject"), None);
    click("#send");
    sleep(50).await;
    assert_eq!(
        error_text("subject").as_deref(),
        Some("This field is required.")
    );
}

/// Case 06: a control named `action` (or `method`) never changes where the form posts:
/// the URL is the form's `action` attribute.
#[wasm_bindgen_test]
async fn r06_a_field_named_action_does_not_change_the_url() {
    let id = unique();
    let url = [fixture(), "/echo/", &id].concat();
    let _page = mount(&format!(
        r#"<form id="case" action="{url}" method="post">
             <input type="hidden" name="action" value="contact_form">
             <input name="method" value="get"><input name="subject" value="Hello">
           </form>"#
    ));
    let c = bind_ok("#case", options("{}"));
    JsFuture::from(promise(c.submit()))
        .await
        .expect("posted to the action attribute");
    assert_eq!(fixture_count(&id).await, 1);
}

/// Case 08: `step` on time and datetime-local inputs is the browser's own (seconds from
/// the input's base): a valid time is never refused.
#[wasm_bindgen_test]
fn r08_step_on_time_inputs_is_the_browsers() {
    let _page = case_form(
        r#"<input id="t" name="t" type="time" step="900" value="09:15">
           <input id="dt" name="dt" type="datetime-local" step="1" value="2025-05-01T09:15:30">
           <input id="bad" name="bad" type="time" step="900" value="09:10">
           <input id="off" name="off" type="time" step="900" min="09:00">"#,
    );
    // Typed after the page loaded: the base is `min`, 09:00, and 09:10 is off the grid.
    input("#off").set_value("09:10");
    let c = bind_ok("#case", options("{}"));
    assert!(!c.validate());
    assert_eq!(error_text("t"), None);
    assert_eq!(error_text("dt"), None);
    assert_eq!(
        error_text("off").as_deref(),
        Some("Please enter a multiple of 900.")
    );
    // "bad" holds its own default value, which is HTML's step base when there is no
    // `min`: whatever the browser says of it, corsform says the same.
    same_verdicts_as_the_browser(&["t", "dt", "bad", "off"], |v| !v.step_mismatch());
}

/// Asserts that corsform's verdict on each field `#id` (a message shown or not) is the
/// browser's own, `valid` reading it from the field's `ValidityState`.
fn same_verdicts_as_the_browser(ids: &[&str], valid: impl Fn(&web_sys::ValidityState) -> bool) {
    for id in ids {
        let browser = valid(&input(&["#", id].concat()).validity());
        assert_eq!(
            error_text(id).is_none(),
            browser,
            "{id}: the browser's verdict"
        );
    }
}

/// Case 09: `step` counts from `min` (HTML), tiny steps are exact, on inputs and options.
#[wasm_bindgen_test]
fn r09_step_counts_from_min_and_tiny_steps_work() {
    let _page = case_form(
        r#"<input id="n1" name="n1" type="number" min="17" step="5" value="87">
           <input id="n2" name="n2" type="number" min="17" step="5" value="85">
           <input id="n3" name="n3" type="number" step="0.0000001" value="1.2345678">
           <input id="n4" name="n4">"#,
    );
    input("#n4").set_value("1.2345678");
    let opts = options("{}");
    let rules = options("{}");
    set(&rules, "n4", &options("{}"));
    set(&get(&rules, "n4"), "step", &JsValue::from_f64(0.0000001));
    set(&opts, "rules", &rules);
    let c = bind_ok("#case", opts);
    assert!(!c.validate());
    let verdicts: Vec<bool> = ["n1", "n2", "n3", "n4"]
        .iter()
        .map(|f| error_text(f).is_none())
        .collect();
    assert_eq!(verdicts, [true, false, true, true]);
    same_verdicts_as_the_browser(&["n1", "n2", "n3"], |v| !v.step_mismatch());
}

/// Case 10: `pattern` is compiled as the HTML standard says (anchored, `v` flag): `.`
/// is a code point and `\p{…}` works, as the browser's own check says.
#[wasm_bindgen_test]
fn r10_pattern_is_unicode_aware_as_the_browsers() {
    let _page = case_form(
        r#"<input id="nick" name="nick" pattern=".{1,3}" value="😀😀">
           <input id="name" name="name" pattern="\p{Lu}\p{Ll}+" value="Émile">
           <input id="ascii" name="ascii" pattern="[a-z]+" value="abc">
           <input id="long" name="long" pattern=".{1,3}" value="😀😀😀😀">"#,
    );
    let c = bind_ok("#case", options("{}"));
    c.validate();
    same_verdicts_as_the_browser(&["nick", "name", "ascii", "long"], |v| {
        !v.pattern_mismatch()
    });
    assert_eq!(error_text("nick"), None);
    assert_eq!(error_text("long").as_deref(), Some("Invalid format."));
}

/// Case 11: `type=email multiple` takes a comma-separated list, as the browser does.
#[wasm_bindgen_test]
fn r11_email_multiple_takes_a_list() {
    let _page = case_form(
        r#"<input id="cc" name="cc" type="email" multiple value="first@example.org, second@example.org">
           <input id="one" name="one" type="email" value="first@example.org">
           <input id="bad" name="bad" type="email" multiple value="first@example.org, nope">
           <input id="single" name="single" type="email" value="first@example.org, second@example.org">"#,
    );
    let c = bind_ok("#case", options("{}"));
    c.validate();
    same_verdicts_as_the_browser(&["cc", "one", "bad", "single"], |v| !v.type_mismatch());
    assert_eq!(error_text("cc"), None);
}

/// Case 13: an `<input type=image>` submitter adds `name.x=0&name.y=0`, as a browser
/// sends it, never `name=value`.
#[wasm_bindgen_test]
async fn r13_image_submitter_sends_its_coordinates() {
    let _page = case_form(
        r#"<input id="subject" name="subject" value="Hello">
           <input type="image" id="go" name="go" value="Go" alt="Send" src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7">"#,
    );
    bind_recording("{}");
    click("#go");
    sleep(50).await;
    assert_eq!(sent().as_deref(), Some("subject=Hello&go.x=0&go.y=0"));
}

/// An option corsform doesn't know (jquery-validation's many, or a typo) is named in one
/// `console.warn` and ignored; the form works with the rest (issue 15). A known option of
/// the wrong type still throws.
#[wasm_bindgen_test]
fn unknown_options_are_reported_not_thrown() {
    let _page = seed_page("/x");
    let capture = Function::new_no_args(
        "window.__warnings = []; window.__warn = console.warn; \
         console.warn = (...a) => window.__warnings.push(a.join(' '));",
    );
    let restore = Function::new_no_args("console.warn = window.__warn;");
    capture.call0(&JsValue::NULL).unwrap();
    let bound = try_bind(
        "#contact",
        seed_options(r##", "rule": {}, "bebug": true, "escapeHtml": true"##),
    );
    restore.call0(&JsValue::NULL).unwrap();
    let c = bound.expect("bind works with options it doesn't know");
    let warnings: Vec<String> = js_sys::Array::from(&recorded("__warnings"))
        .iter()
        .map(|w| w.as_string().unwrap())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("corsform: unknown option \"rule\" is ignored"),
        "{warnings:?}"
    );
    assert!(warnings[1].contains("\"bebug\""), "{warnings:?}");
    assert!(!c.validate(), "the rules given beside them apply");
    assert_eq!(
        error_text("subject").as_deref(),
        Some("This field is required.")
    );
}

/// The form may change after `bind` (issue 15): a field added later is validated with its
/// attributes and the options' rules, an attribute changed later counts, and a field
/// removed takes its message with it.
#[wasm_bindgen_test]
fn a_validation_sees_the_form_as_it_is_now() {
    let _page = case_form(r#"<input id="subject" name="subject" required>"#);
    let c = bind_ok(
        "#case",
        options(r#"{"rules": {"subject": {"minlength": 3}}}"#),
    );
    assert!(!c.validate());
    assert_eq!(
        error_text("subject").as_deref(),
        Some("This field is required.")
    );
    // Added after bind.
    let form = el("#case");
    form.insert_adjacent_html("beforeend", r#"<input id="late" name="late" required>"#)
        .unwrap();
    input("#subject").set_value("ab");
    assert!(!c.validate());
    assert_eq!(
        error_text("subject").as_deref(),
        Some("Please enter at least 3 characters."),
        "the options' rules stay"
    );
    assert_eq!(
        error_text("late").as_deref(),
        Some("This field is required.")
    );
    // Changed after bind: no longer required; removed after bind: its message goes.
    input("#late").remove_attribute("required").unwrap();
    input("#subject").set_value("abc");
    assert!(c.validate());
    assert_eq!(error_text("late"), None);
    input("#late").set_required(true);
    assert!(!c.validate());
    el("#late").remove();
    assert!(c.validate());
    assert!(
        document().get_element_by_id("late-error").is_none(),
        "the removed field's message went with it"
    );
}

/// A field whose `equalTo` names another is checked again when that other one changes,
/// once it was checked (issue 15).
#[wasm_bindgen_test]
fn equal_to_is_checked_again_when_the_other_field_changes() {
    let _page = case_form(
        r##"<input id="pw" name="pw"><input id="again" name="again" data-rule-equalto="#pw">"##,
    );
    let c = bind_ok("#case", options("{}"));
    type_into("#pw", "secret");
    type_into("#again", "secrets");
    assert!(!c.validate());
    assert_eq!(
        error_text("again").as_deref(),
        Some("Please enter the same value again.")
    );
    // Correcting the first field clears the second one's message.
    type_into("#pw", "secrets");
    leave("#pw");
    assert_eq!(error_text("again"), None);
    type_into("#pw", "other");
    leave("#pw");
    assert_eq!(
        error_text("again").as_deref(),
        Some("Please enter the same value again.")
    );
}

/// Every server error reaches the visitor (issue 15): a 422 message for a field the page
/// doesn't have goes into the error panel, as text.
#[wasm_bindgen_test]
async fn a_422_message_for_a_field_the_page_lacks_goes_into_the_error_panel() {
    // The real server runs the seed rules, which require `message`: this page has none.
    let _page = mount(&format!(
        r#"<style>#contact-popup > .error {{ display: none; }}</style>
        <div id="contact-popup">
          <div class="main"><form id="contact" action="{}" method="post">
            <input name="subject" id="subject" value="Hello"><input type="submit" id="send">
          </form></div>
          <div class="error"><p>Not sent.</p></div>
        </div>"#,
        api()
    ));
    let opts = options(
        r##"{"panels": {"main": "#contact-popup .main", "error": "#contact-popup .error"}}"##,
    );
    set(&opts, "error", &recorder("__rejected"));
    bind_ok("#contact", opts);
    click("#send");
    assert!(
        until(5000, || visible("#contact-popup > .error")).await,
        "the error panel is shown"
    );
    let items: Vec<String> = {
        let list = document()
            .query_selector_all("#contact-popup .error ul.corsform-errors > li")
            .unwrap();
        (0..list.length())
            .map(|i| list.item(i).unwrap().text_content().unwrap())
            .collect()
    };
    assert_eq!(items, ["This field is required."]);
    assert_eq!(
        get(&recorded("__rejected"), "kind").as_string().as_deref(),
        Some("invalid")
    );
}

/// Each fill of the form carries one `Idempotency-Key` (issue 17): the same on every retry
/// after a failure, a new one once the server accepted it; none when `headers` replaces
/// the defaults.
#[wasm_bindgen_test]
async fn one_idempotency_key_per_fill_kept_across_retries() {
    let _page = mount(SERIALIZE_FORM);
    let id = unique();
    let key_of = |v: &JsValue| get(v, "key").as_string().unwrap_or_default();
    // Two failed attempts (a 500 whose body echoes what was sent): the same key.
    let opts = options(&format!(r#"{{"url": "{}/fail/{id}"}}"#, fixture()));
    let c = bind_ok("#ser", opts);
    let mut keys = Vec::new();
    for _ in 0..2 {
        let err = JsFuture::from(promise(c.submit())).await.unwrap_err();
        keys.push(key_of(&get(&err, "data")));
    }
    assert_eq!(keys[0].len(), 32, "{keys:?}");
    assert!(keys[0].bytes().all(|b| b.is_ascii_hexdigit()), "{keys:?}");
    assert_eq!(keys[0], keys[1], "a retry sends the same key");
    c.destroy();
    // Accepted: the next fill gets a new key.
    let opts = options(&format!(r#"{{"url": "{}/echo/{id}"}}"#, fixture()));
    let c = bind_ok("#ser", opts);
    let first = JsFuture::from(promise(c.submit())).await.unwrap();
    let second = JsFuture::from(promise(c.submit())).await.unwrap();
    assert_eq!(key_of(&first).len(), 32);
    assert_ne!(key_of(&first), key_of(&second), "a new fill, a new key");
    c.destroy();
    // The page's own headers replace the defaults, the key with them.
    let opts = options(&format!(
        r#"{{"url": "{}/echo/{id}", "headers": {{"X-Requested-With": "XMLHttpRequest"}}}}"#,
        fixture()
    ));
    let c = bind_ok("#ser", opts);
    let sent = JsFuture::from(promise(c.submit())).await.unwrap();
    assert_eq!(key_of(&sent), "");
}

/// jquery-validation's `submitHandler` and `invalidHandler` (issue 15): a valid submit calls
/// the first instead of sending, with the controller as `this` (its `send()` sends), the
/// form and the event; an invalid one calls the second with the event and the controller.
#[wasm_bindgen_test]
async fn submit_handler_and_invalid_handler_as_jquery_validation_calls_them() {
    let id = unique();
    let _page = seed_page(&[fixture(), "/echo/", &id].concat());
    let opts = seed_options("");
    let handler = Function::new_with_args(
        "form, event",
        "window.__handled = {isController: typeof this.send === 'function', \
         form: form.id, event: event && event.type}; return this.send();",
    );
    set(&opts, "submitHandler", &handler);
    let invalid = Function::new_with_args(
        "event, controller",
        "window.__invalid = {event: event && event.type, \
         isController: typeof controller.submit === 'function'};",
    );
    set(&opts, "invalidHandler", &invalid);
    bind_ok("#contact", opts);
    click("#send");
    sleep(50).await;
    assert_eq!(
        JSON::stringify(&recorded("__invalid")).unwrap(),
        r#"{"event":"submit","isController":true}"#
    );
    assert!(
        recorded("__handled").is_undefined(),
        "not on an invalid submit"
    );
    fill_valid();
    click("#send");
    assert!(
        until(5000, || visible("#contact-popup > .success")).await,
        "send() from the handler posts as corsform does, panels included"
    );
    assert_eq!(
        JSON::stringify(&recorded("__handled")).unwrap(),
        r#"{"isController":true,"form":"contact","event":"submit"}"#
    );
    assert_eq!(fixture_count(&id).await, 1);
}

/// `errorClass`, `validClass`, `errorElement` and `focusInvalid` (issue 15), and `destroy`
/// takes the classes away.
#[wasm_bindgen_test]
fn error_class_valid_class_error_element_and_focus_invalid() {
    let _page =
        case_form(r#"<input id="a" name="a" required><input id="b" name="b" value="x" required>"#);
    let before = document().active_element();
    let c = bind_ok(
        "#case",
        options(
            r#"{"errorClass": "bad", "validClass": "ok", "errorElement": "span", "focusInvalid": false}"#,
        ),
    );
    assert!(!c.validate());
    let message = document().get_element_by_id("a-error").unwrap();
    assert_eq!(message.local_name(), "span");
    assert_eq!(message.class_name(), "bad");
    assert!(el("#a").class_list().contains("bad") && !el("#a").class_list().contains("ok"));
    assert!(el("#b").class_list().contains("ok") && !el("#b").class_list().contains("bad"));
    assert_eq!(document().active_element(), before, "focusInvalid: false");
    c.destroy();
    assert_eq!(el("#a").class_name(), "");
    assert_eq!(el("#b").class_name(), "");
    assert!(bind_error("#case", options(r#"{"errorElement": "<b>"}"#)).contains("errorElement"));
}

/// jquery-validation's `highlight`, `unhighlight`, `errorPlacement`, `success` (a class)
/// and `onfocusout`/`onkeyup` (issue 15): callbacks get DOM elements.
#[wasm_bindgen_test]
fn highlight_error_placement_success_and_the_event_options() {
    let _page = mount(
        r#"<form id="case" action="/x"><input id="a" name="a" required><div id="place"></div></form>"#,
    );
    let opts = options(r#"{"success": "ok-message"}"#);
    set(
        &opts,
        "highlight",
        &Function::new_with_args("el, e, v", "el.dataset.marked = 'bad:' + e + ':' + v;"),
    );
    set(
        &opts,
        "unhighlight",
        &Function::new_with_args("el, e, v", "el.dataset.marked = 'good';"),
    );
    set(
        &opts,
        "errorPlacement",
        &Function::new_with_args(
            "error, el",
            "document.getElementById('place').append(error);",
        ),
    );
    set(&opts, "onfocusout", &JsValue::FALSE);
    set(
        &opts,
        "onkeyup",
        &Function::new_with_args("el, event", "window.__keyup = el.id + ':' + event.type;"),
    );
    let c = bind_ok("#case", opts);
    assert!(!c.validate());
    assert_eq!(
        el("#a").get_attribute("data-marked").as_deref(),
        Some("bad:error:valid")
    );
    assert!(
        !el("#a").class_list().contains("error"),
        "highlight replaces the default"
    );
    let message = el("#place > label.error");
    assert_eq!(
        message.text_content().as_deref(),
        Some("This field is required.")
    );
    type_into("#a", "x");
    assert_eq!(recorded("__keyup").as_string().as_deref(), Some("a:input"));
    assert_eq!(
        error_text("a").as_deref(),
        Some("This field is required."),
        "onkeyup replaced: no check as the user types"
    );
    leave("#a");
    assert_eq!(
        error_text("a").as_deref(),
        Some("This field is required."),
        "onfocusout: false"
    );
    assert!(c.validate());
    assert_eq!(
        el("#a").get_attribute("data-marked").as_deref(),
        Some("good")
    );
    assert!(
        message.class_list().contains("ok-message"),
        "success as a class"
    );
}

/// Function-valued parameters and `depends` (issue 15), read at each validation as
/// jquery-validation's normalizeRules reads them.
#[wasm_bindgen_test]
fn function_parameters_and_depends_are_read_for_the_element() {
    let _page = case_form(
        r#"<input type="checkbox" id="biz" name="biz" value="yes">
           <input id="company" name="company">
           <input id="vat" name="vat" value="ab">
           <input id="ref" name="ref" value="x">"#,
    );
    let opts = options("{}");
    let rules = js_sys::Object::new();
    let company = js_sys::Object::new();
    set(
        &company,
        "required",
        &Function::new_with_args("el", "return el.form.biz.checked;"),
    );
    set(&rules, "company", &company);
    let vat = js_sys::Object::new();
    let min = js_sys::Object::new();
    set(&min, "param", &JsValue::from(3));
    set(
        &min,
        "depends",
        &Function::new_with_args("el", "return this === el && el.form.biz.checked;"),
    );
    set(&vat, "minlength", &min);
    set(&rules, "vat", &vat);
    let reference = js_sys::Object::new();
    let min = js_sys::Object::new();
    set(&min, "param", &JsValue::from(2));
    set(&min, "depends", &JsValue::from_str("#biz:checked"));
    set(&reference, "minlength", &min);
    set(&rules, "ref", &reference);
    set(&opts, "rules", &rules);
    let c = bind_ok("#case", opts);
    assert!(c.validate(), "nothing applies while biz is unchecked");
    input("#biz").set_checked(true);
    assert!(!c.validate());
    assert_eq!(
        error_text("company").as_deref(),
        Some("This field is required.")
    );
    assert_eq!(
        error_text("vat").as_deref(),
        Some("Please enter at least 3 characters.")
    );
    assert_eq!(
        error_text("ref").as_deref(),
        Some("Please enter at least 2 characters.")
    );
}

/// jquery-validation's `normalizer` and `focusCleanup` (issue 15).
#[wasm_bindgen_test]
fn normalizer_and_focus_cleanup() {
    let _page = case_form(
        r#"<input id="a" name="a" required value="   "><input id="b" name="b" required>"#,
    );
    // As jquery-validation's documentation says, focusCleanup is not combined with
    // focusInvalid (focusing the first invalid field would hide its message at once).
    let opts = options(r#"{"focusCleanup": true, "focusInvalid": false}"#);
    set(
        &opts,
        "normalizer",
        &Function::new_with_args("value", "return this.id === 'a' ? value.trim() : value;"),
    );
    let c = bind_ok("#case", opts);
    assert!(!c.validate());
    assert_eq!(
        error_text("a").as_deref(),
        Some("This field is required."),
        "white space alone, trimmed by the normalizer, is empty"
    );
    assert_eq!(error_text("b").as_deref(), Some("This field is required."));
    let init = web_sys::FocusEventInit::new();
    init.set_bubbles(true);
    let focusin = web_sys::FocusEvent::new_with_focus_event_init_dict("focusin", &init).unwrap();
    el("#b").dispatch_event(&focusin).unwrap();
    assert_eq!(
        error_text("b"),
        None,
        "focusCleanup hides the message of the field entered"
    );
    assert_eq!(error_text("a").as_deref(), Some("This field is required."));
}

// ---- issue 15: date, dateISO, extension, require_from_group against the real ones ------

const ADDITIONAL_JS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/xtask/npm/node_modules/jquery-validation/dist/additional-methods.min.js"
));

/// [`jquery()`] with jquery-validation's additional methods loaded (once).
fn jquery_additional() -> Function {
    let jq = jquery();
    let methods = get(&get(&jq, "validator"), "methods");
    if get(&methods, "extension").is_undefined() {
        Function::new_no_args(ADDITIONAL_JS)
            .call0(&JsValue::NULL)
            .unwrap();
    }
    jq
}

/// The same form bound with jquery-validation 1.22.1 (+ additional-methods) and with
/// corsform, the whole form validated: the verdict and each field's message are the same.
/// `date` is the engine's `Date` on both sides, so its verdicts are compared too.
#[wasm_bindgen_test]
fn date_dateiso_extension_and_require_from_group_equal_real_jquery_validation() {
    let jq = jquery_additional();
    let group = r#"{"a": {"require_from_group": [2, ".g"]}, "b": {"require_from_group": [2, ".g"]},
                    "c": {"require_from_group": [2, ".g"]}}"#;
    // A rule on `t` alone, with `t`'s value.
    let t = |rule: &str, value: &'static str| (format!(r#"{{"t": {rule}}}"#), ["", "", "", value]);
    let cases: Vec<(String, [&str; 4])> = vec![
        t(r#""dateISO""#, "2020-01-05"),
        t(r#""dateISO""#, "2020/1/5"),
        t(r#""dateISO""#, "2020-13-01"),
        t(r#""dateISO""#, "2020-1-32"),
        t(r#""dateISO""#, "20-01-01"),
        t(r#""dateISO""#, "2020-01-05 "),
        t(r#""date""#, "2020-01-05"),
        t(r#""date""#, "January 5, 2020"),
        t(r#""date""#, "not a date"),
        t(r#"{"extension": true}"#, "photo.JPG"),
        t(r#"{"extension": true}"#, "photo.jpeg"),
        t(r#"{"extension": true}"#, "doc.pdf"),
        t(r#"{"extension": true}"#, "png"),
        t(r#"{"extension": "pdf,docx?"}"#, "cv.DOC"),
        t(r#"{"extension": "pdf,docx?"}"#, "cv.png"),
        t(r#"{"extension": "pdf|txt"}"#, "a.b.txt"),
        (group.into(), ["x", "", "", ""]),
        (group.into(), ["x", "y", "", ""]),
        (group.into(), ["", "", "", ""]),
        (group.into(), ["x", "", "z", ""]),
    ];
    let markup = |form: &str, s: &str| {
        let input =
            |n: &str, class: &str| format!(r#"<input id="{n}-{s}" name="{n}" class="{class}">"#);
        let fields: String = [("a", "g"), ("b", "g"), ("c", "g"), ("t", "")]
            .iter()
            .map(|(n, c)| input(n, c))
            .collect();
        format!(r#"<form id="{form}">{fields}</form>"#)
    };
    let mut seen = Vec::new();
    for (rules, values) in &cases {
        let _page = mount(&[markup("jqf", "j"), markup("cff", "c")].concat());
        let fill = |s: &str| {
            for (n, v) in ["a", "b", "c", "t"].iter().zip(values) {
                input(&format!("#{n}-{s}")).set_value(v);
            }
        };
        let messages = |s: &str| ["a", "b", "c", "t"].map(|n| error_text(&format!("{n}-{s}")));
        fill("j");
        let run = Function::new_with_args(
            "$, rules",
            "const v = $('#jqf').validate({rules: JSON.parse(rules)}); return v.form();",
        );
        let jq_ok = run
            .call2(&JsValue::NULL, &jq, &rules.as_str().into())
            .unwrap()
            .as_bool()
            .unwrap();
        let jq_messages = messages("j");
        fill("c");
        let c = bind_ok("#cff", options(&format!(r#"{{"rules": {rules}}}"#)));
        let ours = c.validate();
        let our_messages = messages("c");
        c.destroy();
        Function::new_with_args("$", "$('#jqf').validate().destroy();")
            .call1(&JsValue::NULL, &jq)
            .unwrap();
        assert_eq!(
            (ours, our_messages),
            (jq_ok, jq_messages.clone()),
            "rules {rules}, values {values:?}"
        );
        seen.push((jq_ok, jq_messages));
    }
    // Both verdicts occur, and the group's message is formatted with its count.
    assert!(seen.iter().any(|s| s.0) && seen.iter().any(|s| !s.0));
    let group_fails = &seen[cases.len() - 4].1;
    let expected = Some("Please fill at least 2 of these fields.".to_string());
    assert_eq!(group_fails[1], expected);
}

/// `setDefaults({messages})` (issue 15): a page's default messages, and our ready tables,
/// for every form of the page.
#[wasm_bindgen_test]
fn set_defaults_and_the_locale_tables() {
    let _page = case_form(
        r#"<input id="a" name="a" required><input id="b" name="b" value="x" minlength="3">"#,
    );
    // What pkg/locales/de.js exports (written from the same table by `cargo xtask build`).
    let german = js_sys::Object::new();
    for m in Method::all() {
        let text = corsform::messages::default_message(m, corsform::messages::Lang::De);
        set(&german, m.name(), &text.into());
    }
    let german: JsValue = german.into();
    let defaults = js_sys::Object::new();
    set(&defaults, "messages", &german);
    corsform::web::set_defaults(defaults.unchecked_into()).unwrap();
    let c = bind_ok("#case", options("{}"));
    assert!(!c.validate());
    assert_eq!(error_text("a"), get(&german, "required").as_string());
    assert!(
        error_text("b").unwrap().contains('3'),
        "{{0}} is the parameter"
    );
    // One method set by the page, the others kept.
    corsform::web::set_defaults(
        options(r#"{"messages": {"required": "Bitte ausfüllen."}}"#).unchecked_into(),
    )
    .unwrap();
    assert!(!c.validate());
    assert_eq!(error_text("a").as_deref(), Some("Bitte ausfüllen."));
    assert!(corsform::web::set_defaults(
        options(r#"{"messages": {"requird": "x"}}"#).unchecked_into()
    )
    .is_err());
    // Back to jquery-validation's English for the tests that follow.
    let english = js_sys::Object::new();
    let table = js_sys::Object::new();
    for m in Method::all() {
        set(&table, m.name(), &m.default_message().into());
    }
    set(&english, "messages", &table);
    corsform::web::set_defaults(english.unchecked_into()).unwrap();
}

/// The visible message elements of the form `#g` as `[id, for, the id of the element
/// before it, text]`, as JSON: where jquery-validation and corsform put a group's message.
fn shown_messages() -> String {
    Function::new_no_args(
        "return JSON.stringify([...document.querySelectorAll('#g label')]
           .filter((l) => getComputedStyle(l).display !== 'none')
           .map((l) => [l.id, l.htmlFor, l.previousElementSibling && l.previousElementSibling.id, l.textContent]));",
    )
    .call0(&JsValue::NULL)
    .unwrap()
    .as_string()
    .unwrap()
}

/// jquery-validation's `groups` (issue 15): one message for several fields, after the first
/// of them that fails, the last failing field's message in it; a field left is checked
/// again with the group's fields checked before. The same steps with jquery-validation
/// 1.22.1 and with corsform, the messages on the page compared after each step.
#[wasm_bindgen_test]
fn groups_show_one_message_as_jquery_validation_does() {
    let jq = jquery();
    let opts = r#"{"groups": {"name": "first last"},
        "rules": {"first": "required", "last": {"required": true, "minlength": 3}, "age": "digits"},
        "messages": {"first": "Give your first name."}}"#;
    // Each sequence on a fresh form: values of first, last and age, then `form` (the whole
    // form) or the name of the field left.
    let sequences: &[&[(&str, &str, &str, &str)]] = &[
        &[
            ("", "", "", "form"),
            ("a", "", "", "first"),
            ("a", "abc", "", "last"),
        ],
        &[
            ("a", "", "x", "form"),
            ("", "", "x", "form"),
            ("", "abcd", "1", "form"),
        ],
        &[
            ("", "abc", "", "form"),
            ("a", "ab", "", "form"),
            ("a", "ab", "", "last"),
        ],
        &[
            ("", "ab", "", "form"),
            ("b", "ab", "", "first"),
            ("b", "abc", "", "last"),
        ],
    ];
    let markup = r#"<form id="g"><input id="first" name="first"><input id="last" name="last">
        <input id="age" name="age"></form>"#;
    let fill = |(first, last, age, _): &(&str, &str, &str, &str)| {
        input("#first").set_value(first);
        input("#last").set_value(last);
        input("#age").set_value(age);
    };
    let mut seen = Vec::new();
    for steps in sequences {
        let mut theirs = Vec::new();
        {
            let _page = mount(markup);
            let start = Function::new_with_args("$, o", "return $('#g').validate(JSON.parse(o));");
            let v = start.call2(&JsValue::NULL, &jq, &opts.into()).unwrap();
            for step in *steps {
                fill(step);
                let ok = match step.3 {
                    "form" => jq_run(&v, "return v.form();").as_bool(),
                    field => {
                        Function::new_with_args("v, s", "v.element(s);")
                            .call2(&JsValue::NULL, &v, &["#", field].concat().into())
                            .unwrap();
                        None
                    }
                };
                theirs.push((ok, shown_messages()));
            }
            jq_run(&v, "v.destroy();");
        }
        let mut ours = Vec::new();
        {
            let _page = mount(markup);
            let c = bind_ok("#g", options(opts));
            for step in *steps {
                fill(step);
                let ok = match step.3 {
                    "form" => Some(c.validate()),
                    field => {
                        leave(&["#", field].concat());
                        None
                    }
                };
                ours.push((ok, shown_messages()));
            }
            c.destroy();
            assert_eq!(shown_messages(), "[]", "destroy takes the message away");
        }
        assert_eq!(ours, theirs, "steps {steps:?}");
        seen.extend(theirs);
    }
    // The cases cover a message after each field, and the last failing field's.
    let all: String = seen.iter().map(|s| s.1.as_str()).collect();
    assert!(all.contains(r#"["name-error","name","first","This field is required."]"#));
    assert!(all.contains(r#"["name-error","name","last","Give your first name."]"#));
    assert!(all.contains(r#""age-error","age","age","Please enter only digits."]"#));
}

/// The custom methods of the `add_method` test, as a page writes them: `[name, method,
/// message]`, each given alike to jquery-validation's `$.validator.addMethod` and to
/// corsform's `addMethod`.
const CUSTOM_METHODS_JS: &str = r#"return [
  ["startsWithA", function (value, element) { return this.optional(element) || /^a/i.test(value); },
   "Must start with A."],
  ["divisibleBy", function (value, element, param) { return this.optional(element) || Number(value) % param === 0; },
   "Please enter a multiple of {0}."],
  ["minWords", function (value, element, params) { return this.optional(element) || value.trim().split(/\s+/).length >= params[0]; },
   function (params, element) { return "At least " + params[0] + " words in " + element.name + "."; }],
  ["notEmptyBox", function (value, element) { return !this.optional(element); }, "Tick one."],
  ["between", function (value, element, p) { return this.optional(element) || (value.length >= p[0] && value.length <= p[1]); },
   "Between {0} and {1}."],
];"#;

/// `addMethod` (issue 15), as jquery-validation's `$.validator.addMethod`: the same methods
/// and forms bound with jquery-validation 1.22.1 and with corsform give the same verdicts
/// and messages: from `rules`, `messages`, `data-rule-NAME` (a number, a JSON array), an
/// attribute named like the method, and a class (methods of fewer than three parameters);
/// `this.optional(element)`, `{0}` and a message function. Also `data-rule-*` values read
/// as jQuery's `data()` reads them (`"[2,5]"` is an array).
#[wasm_bindgen_test]
fn add_method_equals_real_jquery_validation() {
    let jq = jquery();
    let methods = js_sys::Array::from(
        &Function::new_no_args(CUSTOM_METHODS_JS)
            .call0(&JsValue::NULL)
            .unwrap(),
    );
    let add = Function::new_with_args("$, m", "$.validator.addMethod(m[0], m[1], m[2]);");
    for m in methods.iter() {
        add.call2(&JsValue::NULL, &jq, &m).unwrap();
        let m = js_sys::Array::from(&m);
        corsform::web::add_method(
            &m.get(0).as_string().unwrap(),
            m.get(1).unchecked_into(),
            Some(m.get(2).unchecked_into()),
        );
    }
    let opts = r#"{"rules": {"c": {"minWords": [2]}, "d": {"required": true, "divisibleBy": 5}},
                   "messages": {"d": {"divisibleBy": "Five, please ({0})."}}}"#;
    // (A checkbox's message is named after its name, as in jquery-validation.)
    let names = ["a", "b", "c", "d", "e", "f", "g", "box", "h"];
    let markup = |form: &str, s: &str| {
        format!(
            r#"<form id="{form}"><input id="a-{s}" name="a" class="startsWithA">
               <input id="b-{s}" name="b" data-rule-divisibleby="3"><input id="c-{s}" name="c">
               <input id="d-{s}" name="d"><input id="e-{s}" name="e" startswitha="true">
               <input id="f-{s}" name="f" data-rule-minwords="[3]">
               <input id="g-{s}" name="g" data-rule-rangelength="[2,5]">
               <input id="box-{s}-x" type="checkbox" name="box-{s}" value="1" class="notEmptyBox">
               <input id="h-{s}" name="h" data-rule-between="[1,3]"></form>"#
        )
    };
    let cases: &[[&str; 9]] = &[
        ["", "", "", "", "", "", "", "", ""],
        [
            "apple",
            "9",
            "two words",
            "10",
            "avocado",
            "one two three",
            "abc",
            "x",
            "ab",
        ],
        [
            "pear", "10", "one", "12", "banana", "one two", "a", "", "abcd",
        ],
        ["Ant", "0", "a b c", "5", "b", "x", "abcdef", "x", "abc"],
    ];
    let mut seen = Vec::new();
    for values in cases {
        let _page = mount(&[markup("jqf", "j"), markup("cff", "c")].concat());
        let fill = |s: &str| {
            for (n, v) in names.iter().zip(values) {
                match *n {
                    "box" => input(&format!("#box-{s}-x")).set_checked(!v.is_empty()),
                    _ => input(&format!("#{n}-{s}")).set_value(v),
                }
            }
        };
        let messages = |s: &str| names.map(|n| error_text(&format!("{n}-{s}")));
        fill("j");
        let run =
            Function::new_with_args("$, o", "return $('#jqf').validate(JSON.parse(o)).form();");
        let jq_ok = run
            .call2(&JsValue::NULL, &jq, &opts.into())
            .unwrap()
            .as_bool()
            .unwrap();
        let jq_messages = messages("j");
        Function::new_with_args("$", "$('#jqf').validate().destroy();")
            .call1(&JsValue::NULL, &jq)
            .unwrap();
        fill("c");
        let c = bind_ok("#cff", options(opts));
        let ours = c.validate();
        let our_messages = messages("c");
        c.destroy();
        assert_eq!(
            (ours, our_messages),
            (jq_ok, jq_messages.clone()),
            "values {values:?}"
        );
        seen.push(jq_messages);
    }
    // Each way of giving a custom rule failed at least once, with its own message.
    let failed = |i: usize, text: &str| seen.iter().any(|m| m[i].as_deref() == Some(text));
    assert!(failed(0, "Must start with A."), "class rule");
    assert!(failed(1, "Please enter a multiple of 3."), "data-rule-NAME");
    assert!(failed(2, "At least 2 words in c."), "message function");
    assert!(failed(3, "Five, please (5)."), "messages option");
    assert!(failed(4, "Must start with A."), "attribute");
    // jquery-validation reads a method named with "min", "max" or "step" as a number:
    // `Number([3])` is 3, and `params[0]` undefined.
    assert!(
        failed(5, "At least undefined words in f."),
        "min in the name"
    );
    assert!(failed(8, "Between 1 and 3."), "data-rule JSON");
    assert!(failed(
        6,
        "Please enter a value between 2 and 5 characters long."
    ));
    assert!(failed(7, "Tick one."), "optional() of a checkbox");
}

/// What the fixture's `/remote/ID` was asked: `[[query, accept, x-requested-with], …]`.
async fn remote_seen(id: &str) -> String {
    let w = web_sys::window().unwrap();
    let url = [fixture(), "/seen/", id].concat();
    let resp: web_sys::Response = JsFuture::from(w.fetch_with_str(&url))
        .await
        .unwrap()
        .dyn_into()
        .unwrap();
    JsFuture::from(resp.text().unwrap())
        .await
        .unwrap()
        .as_string()
        .unwrap()
}

/// A field `user` in `#jqf` bound by jquery-validation with `theirs` and in `#cff` by
/// corsform with `ours`: the page, jquery-validation's validator, corsform's controller,
/// and `v => v.element('#user-j')`.
fn remote_pair(
    jq: &Function,
    theirs: JsValue,
    ours: JsValue,
) -> (Mounted, JsValue, Controller, Function) {
    let page = mount(
        r#"<form id="jqf"><input id="user-j" name="user"></form>
           <form id="cff"><input id="user-c" name="user"></form>"#,
    );
    let v = jq_validate(jq, "#jqf", &theirs);
    let c = bind_ok("#cff", ours);
    let check_j = Function::new_with_args("v", "v.element('#user-j');");
    (page, v, c, check_j)
}

/// Options with a `remote` rule for `user` against the fixture's `/remote/ID`, `more`
/// (JSON members and a comma) in its object, and a `data` whose `extra` is a function
/// returning `x y&z`.
fn remote_options(id: &str, more: &str) -> JsValue {
    let o = options(&format!(
        r#"{{"rules": {{"user": {{"remote": {{"url": "{}/remote/{id}", {more}"data": {{}}}}}}}}}}"#,
        fixture()
    ));
    let data = get(&get(&get(&get(&o, "rules"), "user"), "remote"), "data");
    set(&data, "extra", &Function::new_no_args("return 'x y&z';"));
    o
}

/// Gives each of `values` to both fields of a [`remote_pair`] and checks them, waits for
/// both answers, and compares the messages; unbinds both. What corsform showed, by value.
async fn ask_both(
    (_page, v, c, check_j): (Mounted, JsValue, Controller, Function),
    values: &[&str],
) -> Vec<Option<String>> {
    let mut shown = Vec::new();
    for value in values {
        input("#user-j").set_value(value);
        input("#user-c").set_value(value);
        check_j.call1(&JsValue::NULL, &v).unwrap();
        c.validate();
        // Both answered (no `pending` class left), then the messages compared.
        let answered = || {
            !el("#user-j").class_list().contains("pending")
                && !el("#user-c").class_list().contains("pending")
        };
        assert!(until(3000, answered).await, "no answer for {value}");
        sleep(50).await;
        let (theirs, ours) = (error_text("user-j"), error_text("user-c"));
        assert_eq!(ours, theirs, "value {value}");
        shown.push(ours);
    }
    jq_run(&v, "v.destroy();");
    c.destroy();
    shown
}

/// `remote` with `type: "post"` (`$.ajax`'s setting; `method` is its newer name): the
/// query POSTed as a form-encoded body, a space as `+`, as jQuery 3.7.1 sends it for
/// jquery-validation 1.22.1; the same requests and messages as theirs.
#[wasm_bindgen_test]
async fn remote_posts_as_jquery_validation_does() {
    let jq = jquery();
    let (id_j, id_c) = (["pj", &unique()].concat(), ["pc", &unique()].concat());
    let opts = |id: &str| remote_options(id, r#""type": "post", "#);
    let pair = remote_pair(&jq, opts(&id_j), opts(&id_c));
    let shown = ask_both(pair, &["taken", "a b", "nope"]).await;
    assert_eq!(shown[0].as_deref(), Some("That name is taken."));
    assert_eq!(shown[1], None);
    let (theirs, ours) = (remote_seen(&id_j).await, remote_seen(&id_c).await);
    assert_eq!(ours, theirs, "the requests");
    let asked: Vec<Vec<String>> = serde_json_lite(&ours);
    assert_eq!(asked.len(), 3, "{ours}");
    assert_eq!(
        asked[1][0],
        "POST application/x-www-form-urlencoded; charset=UTF-8 user=a+b&extra=x+y%26z"
    );
    assert_eq!(asked[1][2], "", "no X-Requested-With cross-origin");
}

/// `remote` (issue 15): the same field checked by jquery-validation 1.22.1 (+ jQuery
/// 3.7.1) and by corsform against the fixture's `/remote/ID` on another origin: the same
/// requests (`GET ?user=VALUE&extra=…`, `data`'s function called, jQuery's `Accept`, no
/// `X-Requested-With`), the same messages (the answer's string; `false` the rule's own;
/// `true` and `"true"` valid), and an answer kept for its value (asked once).
#[wasm_bindgen_test]
async fn remote_asks_and_answers_as_jquery_validation_does() {
    let jq = jquery();
    let (id_j, id_c) = (["rj", &unique()].concat(), ["rc", &unique()].concat());
    let opts = |id: &str| remote_options(id, r#""#);
    let pair = remote_pair(&jq, opts(&id_j), opts(&id_c));
    let values = ["taken", "nope", "fine", "fine", "strtrue", "taken"];
    let shown = ask_both(pair, &values).await;
    assert_eq!(shown[0].as_deref(), Some("That name is taken."));
    assert_eq!(shown[1].as_deref(), Some("Please fix this field."));
    assert_eq!(shown[2], None);
    let (theirs, ours) = (remote_seen(&id_j).await, remote_seen(&id_c).await);
    assert_eq!(ours, theirs, "the requests");
    // Asked once per value in a row: `fine` twice is one request.
    let asked: Vec<Vec<String>> = serde_json_lite(&ours);
    assert_eq!(asked.len(), 5, "{ours}");
    assert_eq!(asked[0][0], "user=taken&extra=x%20y%26z");
    assert_eq!(
        asked[0][1],
        "application/json, text/javascript, */*; q=0.01"
    );
    assert_eq!(asked[0][2], "");
}

/// `JSON.parse` of an array of arrays of strings.
fn serde_json_lite(text: &str) -> Vec<Vec<String>> {
    js_sys::Array::from(&JSON::parse(text).unwrap())
        .iter()
        .map(|row| {
            js_sys::Array::from(&row)
                .iter()
                .map(|s| s.as_string().unwrap())
                .collect()
        })
        .collect()
}

/// `remote: true` is corsform-server's own check beside the form's action (`GET
/// /contact/validate?from=…`), answered with the server's rules (the seed's: `from` an
/// e-mail address): its message lands on the field, and a valid value clears it; the
/// control has the class `pendingClass` names while it is asked.
#[wasm_bindgen_test]
async fn remote_true_asks_corsform_server() {
    let _page = mount(&format!(
        r#"<form id="rs" action="{}"><input id="rs-from" name="from"></form>"#,
        api()
    ));
    let c = bind_ok(
        "#rs",
        options(r#"{"rules": {"from": {"remote": true}}, "pendingClass": "checking"}"#),
    );
    input("#rs-from").set_value("not an address");
    assert!(c.validate(), "valid while the answer is awaited");
    assert!(
        el("#rs-from").class_list().contains("checking"),
        "pendingClass"
    );
    assert!(
        until(3000, || error_text("rs-from").is_some()).await,
        "the server's message"
    );
    assert_eq!(
        error_text("rs-from").as_deref(),
        Some("Please enter a valid email address.")
    );
    assert!(!el("#rs-from").class_list().contains("checking"));
    assert!(!c.validate(), "the answer is kept for the value");
    type_into("#rs-from", "someone@example.org");
    assert!(
        until(3000, || error_text("rs-from").is_none()).await,
        "valid on the server"
    );
    c.destroy();
}

/// A submit waits for the `remote` answer it needs (as jquery-validation holds it): sent
/// after a `true`, refused after a message. A stale answer (the field changed while it was
/// asked) is dropped; a check that gets no answer (nothing listening) passes, and nothing
/// is thrown or rejected unhandled (the page-error check).
#[wasm_bindgen_test]
async fn remote_holds_the_submit_and_drops_stale_answers() {
    let id = ["rw", &unique()].concat();
    let _page = case_form(r#"<input id="user" name="user"><input id="other" name="other">"#);
    let rules = format!(
        r#"{{"rules": {{"user": {{"remote": "{}/remote/{id}"}}, "other": {{"remote": "{}/x"}}}}}}"#,
        fixture(),
        closed_port_url()
    );
    let c = bind_recording(&rules);
    input("#user").set_value("slow");
    JsFuture::from(promise(c.submit()))
        .await
        .unwrap_or(JsValue::NULL);
    assert!(
        sent().is_some_and(|b| b.starts_with("user=slow")),
        "sent after the answer"
    );
    input("#user").set_value("taken");
    let refused = JsFuture::from(promise(c.submit())).await;
    assert!(refused.is_err(), "refused by the answer");
    assert_eq!(error_text("user").as_deref(), Some("That name is taken."));
    // Stale: `slow` asked, then `taken` (answered at once); the late `true` is dropped.
    type_into("#user", "slow");
    type_into("#user", "taken");
    sleep(1200).await;
    assert_eq!(error_text("user").as_deref(), Some("That name is taken."));
    // A value valid at once, while the stale `slow` is still in flight elsewhere.
    type_into("#user", "slow");
    type_into("#user", "fine");
    assert!(until(3000, || error_text("user").is_none()).await);
    sleep(1000).await;
    assert_eq!(
        error_text("user"),
        None,
        "the late answer for slow changes nothing"
    );
    // `other`'s URL has nothing listening: unanswered, so it passes.
    input("#other").set_value("x");
    let sent_now = JsFuture::from(promise(c.submit())).await;
    assert!(
        sent_now.is_err(),
        "cancelled by beforeSend, i.e. it got that far"
    );
    assert!(sent().is_some_and(|b| b.contains("other=x")));
    c.destroy();
}

/// `remote` (issue 15): a request made stale by a newer value is aborted, as
/// jquery-validation's `abortRequest` aborts the field's previous `$.ajax`: the same steps
/// with jquery-validation 1.22.1 (+ jQuery 3.7.1) and with corsform against the fixture,
/// whose `/remote/ID` sees the connection of `slow` closed before its answer (0.7 s) in
/// both; the newer value's answer is shown, the `pending` class goes, and the abort
/// raises no page error or unhandled rejection.
#[wasm_bindgen_test]
async fn remote_aborts_a_stale_request_as_jquery_validation_does() {
    let jq = jquery();
    let (id_j, id_c) = (["aj", &unique()].concat(), ["ac", &unique()].concat());
    let opts = |id: &str| {
        options(&format!(
            r#"{{"rules": {{"user": {{"remote": "{}/remote/{id}"}}}}}}"#,
            fixture()
        ))
    };
    let (_page, v, c, check_j) = remote_pair(&jq, opts(&id_j), opts(&id_c));
    for value in ["slow", "taken"] {
        input("#user-j").set_value(value);
        input("#user-c").set_value(value);
        check_j.call1(&JsValue::NULL, &v).unwrap();
        c.validate();
        // Both requests on the wire (corsform's goes out from a task of its own; one
        // aborted before that is never sent).
        sleep(150).await;
    }
    let answered = || {
        !el("#user-j").class_list().contains("pending")
            && !el("#user-c").class_list().contains("pending")
    };
    assert!(until(3000, answered).await, "no answer for taken");
    let aborted = |id: String| async move { remote_seen(&[&id, "/aborted"].concat()).await };
    let mut waited = 0;
    while aborted(id_c.clone()).await == "[]" && waited < 2000 {
        sleep(50).await;
        waited += 50;
    }
    sleep(900).await;
    let (theirs, ours) = (aborted(id_j.clone()).await, aborted(id_c.clone()).await);
    assert_eq!(ours, theirs, "the requests aborted");
    assert_eq!(ours, r#"[["user=slow","",""]]"#);
    assert_eq!(
        remote_seen(&id_c).await,
        remote_seen(&id_j).await,
        "the requests"
    );
    assert_eq!(error_text("user-c"), error_text("user-j"));
    assert_eq!(error_text("user-c").as_deref(), Some("That name is taken."));
    assert!(answered(), "the pending class stays off");
    jq_run(&v, "v.destroy();");
    c.destroy();
    assert_no_page_errors("after the aborts");
}

/// additional-methods' `require_from_group` (issue 15): checking one field of the group
/// checks every field its selector matches, as jquery-validation does (there, by
/// `validator.element` on each): the same steps with jquery-validation 1.22.1 and with
/// corsform, each field's message compared after each step.
#[wasm_bindgen_test]
fn require_from_group_checks_its_fields_together_as_jquery_validation_does() {
    let jq = jquery_additional();
    let opts = r#"{"rules": {"a": {"require_from_group": [2, ".g"]}, "b": {"require_from_group": [2, ".g"]},
        "c": {"require_from_group": [2, ".g"], "minlength": 2}}}"#;
    let markup = r#"<form id="rg"><input id="a" name="a" class="g"><input id="b" name="b" class="g">
        <input id="c" name="c" class="g"><input id="d" name="d"></form>"#;
    // The values of a, b and c, then the field left.
    let steps: &[(&str, &str, &str, &str)] = &[
        ("x", "", "", "a"),
        ("x", "y", "", "b"),
        ("x", "", "", "b"),
        ("x", "", "z", "c"),
        ("", "", "zz", "c"),
    ];
    let fill = |(a, b, c, _): &(&str, &str, &str, &str)| {
        input("#a").set_value(a);
        input("#b").set_value(b);
        input("#c").set_value(c);
    };
    let messages = || ["a", "b", "c"].map(error_text);
    let mut theirs = Vec::new();
    {
        let _page = mount(markup);
        let v = Function::new_with_args("$, o", "return $('#rg').validate(JSON.parse(o));")
            .call2(&JsValue::NULL, &jq, &opts.into())
            .unwrap();
        for step in steps {
            fill(step);
            Function::new_with_args("v, s", "v.element(s);")
                .call2(&JsValue::NULL, &v, &["#", step.3].concat().into())
                .unwrap();
            theirs.push(messages());
        }
        jq_run(&v, "v.destroy();");
    }
    let mut ours = Vec::new();
    {
        let _page = mount(markup);
        let c = bind_ok("#rg", options(opts));
        for step in steps {
            fill(step);
            leave(&["#", step.3].concat());
            ours.push(messages());
        }
        c.destroy();
    }
    assert_eq!(ours, theirs);
    // The first step shows the message on the two fields not left too.
    let fill_message = Some("Please fill at least 2 of these fields.".to_string());
    assert_eq!(
        theirs[0],
        [fill_message.clone(), fill_message.clone(), fill_message]
    );
    assert_eq!(theirs[1], [None, None, None]);
}

/// The options of `message_functions_…`: functions in `messages`, for a method and for a
/// whole field (which jquery-validation reads by its properties), and a rule of a method
/// added without a message.
const MESSAGE_FUNCTIONS_JS: &str = r#"return {
  rules: {a: {required: true, minlength: 3}, b: {rangelength: [2, 4]}, c: {required: true, min: 5},
          d: {noMessageGiven: true}, e: "required", f: "required", g: "required",
          h: {noMessageGiven: true}},
  messages: {
    a: {required: function (p, el) { return "Need " + el.name + " (" + p + ")"; },
        minlength: function (p, el) { return el.id.slice(0, 1) + " at least " + p + " (" + typeof p + ")"; }},
    b: {rangelength: function (p) { return "between " + JSON.stringify(p); }},
    c: {required: "C plain", min: function (p) { return "min " + p + ", " + typeof this.optional; }},
    e: function () { return "a whole field's function is not called"; },
    f: Object.assign(function () { return "not called"; }, {required: "the function's property"}),
    g: {required: function () { return "the function beats data-msg"; }},
    h: {noMessageGiven: "h's own"}
  }
};"#;

/// Function-valued `messages` (issue 15), called as jquery-validation's `defaultMessage`
/// calls them (`this` the validator, with the rule's parameters and the element), and a
/// method added without a message showing jquery-validation's warning: the same forms
/// bound with jquery-validation 1.22.1 and with corsform give the same verdicts and
/// messages.
#[wasm_bindgen_test]
fn message_functions_and_a_method_without_message_equal_real_jquery_validation() {
    let jq = jquery();
    let method = Function::new_no_args(
        "return function (value, element) { return this.optional(element) || value === 'ok'; };",
    )
    .call0(&JsValue::NULL)
    .unwrap();
    Function::new_with_args("$, m", "$.validator.addMethod('noMessageGiven', m);")
        .call2(&JsValue::NULL, &jq, &method)
        .unwrap();
    corsform::web::add_method("noMessageGiven", method.unchecked_into(), None);
    let opts = || {
        Function::new_no_args(MESSAGE_FUNCTIONS_JS)
            .call0(&JsValue::NULL)
            .unwrap()
    };
    let names = ["a", "b", "c", "d", "e", "f", "g", "h"];
    let markup = |form: &str, s: &str| {
        let fields: String = names
            .iter()
            .map(|n| match *n {
                "g" => format!(r#"<input id="g-{s}" name="g" data-msg-required="from data-msg">"#),
                n => format!(r#"<input id="{n}-{s}" name="{n}">"#),
            })
            .collect();
        format!(r#"<form id="{form}">{fields}</form>"#)
    };
    let cases: &[[&str; 8]] = &[
        ["", "", "", "x", "", "", "", "x"],
        ["ab", "a", "3", "ok", "e", "f", "g", "ok"],
        ["abc", "abcde", "7", "no", "e", "f", "g", "no"],
    ];
    let mut seen = Vec::new();
    for values in cases {
        let _page = mount(&[markup("jqf", "j"), markup("cff", "c")].concat());
        let fill = |s: &str| {
            for (n, v) in names.iter().zip(values) {
                input(&format!("#{n}-{s}")).set_value(v);
            }
        };
        let messages = |s: &str| names.map(|n| error_text(&format!("{n}-{s}")));
        fill("j");
        let run = Function::new_with_args("$, o", "return $('#jqf').validate(o).form();");
        let jq_ok = run.call2(&JsValue::NULL, &jq, &opts()).unwrap().as_bool();
        let jq_messages = messages("j");
        Function::new_with_args("$", "$('#jqf').validate().destroy();")
            .call1(&JsValue::NULL, &jq)
            .unwrap();
        fill("c");
        let c = bind_ok("#cff", opts());
        let ours = c.validate();
        let our_messages = messages("c");
        c.destroy();
        assert_eq!(
            (Some(ours), our_messages),
            (jq_ok, jq_messages.clone()),
            "values {values:?}"
        );
        seen.extend(jq_messages.into_iter().flatten());
    }
    for text in [
        "Need a (true)",
        "a at least 3 (number)",
        "between [2,4]",
        "C plain",
        "min 5, function",
        "Warning: No message defined for d",
        "This field is required.",
        "the function's property",
        "the function beats data-msg",
        "h's own",
    ] {
        assert!(seen.iter().any(|m| m == text), "{text:?} not in {seen:?}");
    }
}

/// What `#box-S` shows: whether it is visible, and each of its list's items (tag,
/// visible) with its children (tag, id without the suffix, text, visible, class), as JSON.
fn error_box(s: &str) -> String {
    Function::new_with_args(
        "s",
        "const box = document.getElementById('box-' + s);
         const vis = (e) => getComputedStyle(e).display !== 'none';
         return JSON.stringify([vis(box), [...box.querySelectorAll('ul > *')].map((li) =>
           [li.tagName, vis(li), [...li.children].map((c) =>
             [c.tagName, c.id.replace('-' + s + '-', '-'), c.textContent, vis(c), c.className])])]);",
    )
    .call1(&JsValue::NULL, &s.into())
    .unwrap()
    .as_string()
    .unwrap()
}

/// jquery-validation's `errorContainer`, `errorLabelContainer` and `wrapper` (issue 15):
/// the messages put in the label container's list, each in its `<li>`, and the containers
/// shown while a field is invalid and hidden once none is: the same steps with
/// jquery-validation 1.22.1 and with corsform, what the page shows compared after each.
#[wasm_bindgen_test]
fn error_containers_and_wrapper_equal_real_jquery_validation() {
    let jq = jquery();
    let opts = |s: &str| {
        options(&format!(
            r##"{{"rules": {{"a": "required", "b": {{"required": true, "minlength": 3}}}},
                "errorContainer": "#box-{s}", "errorLabelContainer": "#box-{s} ul",
                "wrapper": "li"}}"##
        ))
    };
    let markup = |form: &str, s: &str| {
        format!(
            r#"<div id="box-{s}" style="display: none"><p>Please fix:</p><ul></ul></div>
               <form id="{form}"><input id="a-{s}" name="a"><input id="b-{s}" name="b"></form>"#
        )
    };
    let _page = mount(&[markup("jqf", "j"), markup("cff", "c")].concat());
    let v = jq_validate(&jq, "#jqf", &opts("j"));
    let c = bind_ok("#cff", opts("c"));
    let form_j = Function::new_with_args("v", "return v.form();");
    let mut seen = Vec::new();
    for (a, b) in [
        ("", ""),
        ("x", "ab"),
        ("x", "abc"),
        ("", "abc"),
        ("y", "abcd"),
    ] {
        for s in ["j", "c"] {
            input(&format!("#a-{s}")).set_value(a);
            input(&format!("#b-{s}")).set_value(b);
        }
        let theirs = form_j.call1(&JsValue::NULL, &v).unwrap().as_bool();
        let ours = c.validate();
        let (box_j, box_c) = (error_box("j"), error_box("c"));
        assert_eq!((Some(ours), &box_c), (theirs, &box_j), "values {a:?} {b:?}");
        seen.push(box_j);
    }
    jq_run(&v, "v.destroy();");
    c.destroy();
    assert!(
        seen[0].starts_with("[true,"),
        "shown with errors: {}",
        seen[0]
    );
    assert!(
        seen[0].contains(
            r#"["LI",true,[["LABEL","a-error","This field is required.",true,"error"]]]"#
        ),
        "{}",
        seen[0]
    );
    assert!(
        seen[2].starts_with("[false,"),
        "hidden once valid: {}",
        seen[2]
    );
    assert!(seen[3].starts_with("[true,"), "shown again: {}", seen[3]);
}

/// jquery-validation's `$(selector).validate(opts)`: its validator.
fn jq_validate(jq: &Function, selector: &str, opts: &JsValue) -> JsValue {
    Function::new_with_args("$, s, o", "return $(s).validate(o);")
        .call3(&JsValue::NULL, jq, &selector.into(), opts)
        .unwrap()
}

/// Runs `code` with jquery-validation's validator as `v`: what it returns.
fn jq_run(v: &JsValue, code: &str) -> JsValue {
    Function::new_with_args("v", code)
        .call1(&JsValue::NULL, v)
        .unwrap()
}

/// A `showErrors` that records its arguments and `this.numberOfInvalids()` in
/// `window.__shown[s]`, then (with `default`) calls `this.defaultShowErrors()`.
fn show_errors_recorder(s: &str, default: bool) -> Function {
    let then = if default {
        "this.defaultShowErrors();"
    } else {
        ""
    };
    Function::new_with_args(
        "map, list",
        &format!(
            "const all = (window.__shown = window.__shown || {{}});
             (all['{s}'] = all['{s}'] || []).push(JSON.stringify([map,
               list.map((i) => [i.message, i.element.name, i.method]), this.numberOfInvalids()]));
             {then}"
        ),
    )
}

/// The last arguments [`show_errors_recorder`] saw for `s`, and how many calls so far.
fn last_shown(s: &str) -> (String, u32) {
    Function::new_with_args(
        "s",
        "const l = (window.__shown || {})[s] || []; return [l[l.length - 1], l.length];",
    )
    .call1(&JsValue::NULL, &s.into())
    .map(|v| {
        let v: js_sys::Array = v.unchecked_into();
        let text = v.get(0).as_string().unwrap_or_default();
        (text, v.get(1).as_f64().unwrap_or(0.0) as u32)
    })
    .unwrap()
}

/// What the form `#se-S` shows: its inputs and message elements (tag, id without the
/// suffix, text, visible, class), as JSON.
fn shown_form(s: &str) -> String {
    Function::new_with_args(
        "s",
        "const vis = (e) => getComputedStyle(e).display !== 'none';
         return JSON.stringify([...document.querySelectorAll('#se-' + s + ' :is(input, .error)')]
           .map((e) => [e.tagName, e.id.replace('-' + s, ''), e.tagName === 'INPUT' ? '' : e.textContent,
             vis(e), e.className]));",
    )
    .call1(&JsValue::NULL, &s.into())
    .unwrap()
    .as_string()
    .unwrap()
}

/// jquery-validation's `showErrors(errorMap, errorList)` option (issue 15): called instead
/// of showing anything, `this` the validator (here the controller) with
/// `numberOfInvalids()` and `defaultShowErrors()`, after each validation of the form and
/// of one field as it is left, and by `showErrors({name: message})`. The same steps with
/// jquery-validation 1.22.1 and with corsform, with and without `defaultShowErrors()`:
/// the arguments and what the page shows compared after each. (jquery-validation's
/// leaving is its `element(el)`, which its `focusout` listener calls; corsform's is the
/// `focusout` event.)
#[wasm_bindgen_test]
fn show_errors_option_equals_real_jquery_validation() {
    let jq = jquery();
    for default in [false, true] {
        let suffix = |s: &str| [s, if default { "d" } else { "n" }].concat();
        let (j, c) = (suffix("j"), suffix("c"));
        let opts = |s: &str| {
            let o = options(
                r#"{"rules": {"a": "required", "b": {"required": true, "minlength": 3}},
                    "messages": {"b": {"minlength": "At least {0}."}}, "focusInvalid": false}"#,
            );
            set(&o, "showErrors", &show_errors_recorder(s, default));
            o
        };
        let markup = |s: &str| {
            format!(
                r#"<form id="se-{s}"><input id="a-{s}" name="a"><input id="b-{s}" name="b"></form>"#
            )
        };
        let _page = mount(&[markup(&j), markup(&c)].concat());
        let v = jq_validate(&jq, &format!("#se-{j}"), &opts(&j));
        let ctl = bind_ok(&format!("#se-{c}"), opts(&c));
        let jv = |code: &str| jq_run(&v, code);
        let values = |a: &str, b: &str| {
            for s in [&j, &c] {
                input(&format!("#a-{s}")).set_value(a);
                input(&format!("#b-{s}")).set_value(b);
            }
        };
        let same = |step: &str| {
            let (theirs, ours) = (last_shown(&j), last_shown(&c));
            assert_eq!(
                ours, theirs,
                "showErrors' arguments, {step}, default {default}"
            );
            assert_eq!(
                shown_form(&c),
                shown_form(&j),
                "the page, {step}, default {default}"
            );
            theirs.0
        };
        values("", "");
        let theirs = jv("return v.form();").as_bool();
        assert_eq!(Some(ctl.validate()), theirs);
        let first = same("both empty");
        values("x", "ab");
        assert_eq!(Some(ctl.validate()), jv("return v.form();").as_bool());
        let second = same("b too short");
        values("x", "abc");
        jv("v.element('#b-' + v.currentForm.id.slice(3));");
        leave(&format!("#b-{c}"));
        let third = same("b left, now long enough");
        jv("v.showErrors({a: 'Taken, says the server.'});");
        ctl.show_errors(&options(r#"{"a": "Taken, says the server."}"#));
        let fourth = same("showErrors({a})");
        jv("v.destroy();");
        ctl.destroy();
        assert_eq!(
            first,
            r#"[{"a":"This field is required.","b":"This field is required."},[["This field is required.","a","required"],["This field is required.","b","required"]],2]"#
        );
        assert!(
            second.contains(r#"["At least 3.","b","minlength"]"#),
            "{second}"
        );
        assert_eq!(third, "[{},[],0]");
        assert_eq!(
            fourth,
            r#"[{"a":"Taken, says the server."},[["Taken, says the server.","a",null]],0]"#
        );
    }
}

/// jquery-validation's `onsubmit: false`: a submit is not validated (jquery-validation
/// leaves it to the page; corsform sends the form, as a `formnovalidate` button does),
/// while a field is still checked as it is left.
#[wasm_bindgen_test]
async fn onsubmit_false_sends_without_validating() {
    let _page = case_form(
        r#"<input id="subject" name="subject" required>
           <button type="submit" id="send">Send</button>"#,
    );
    bind_recording(r#"{"onsubmit": false, "rules": {"subject": {"minlength": 3}}}"#);
    click("#send");
    sleep(50).await;
    assert_eq!(sent().as_deref(), Some("subject="));
    assert_eq!(error_text("subject"), None);
    type_into("#subject", "ab");
    leave("#subject");
    assert_eq!(
        error_text("subject").as_deref(),
        Some("Please enter at least 3 characters.")
    );
}

/// jquery-validation's `ignoreTitle`: with it, a field's `title` is not its message; the
/// same messages as jquery-validation 1.22.1's, with and without.
#[wasm_bindgen_test]
fn ignore_title_equals_real_jquery_validation() {
    let jq = jquery();
    for ignore in [false, true] {
        let markup = |s: &str| {
            format!(
                r#"<form id="it-{s}"><input id="n-{s}" name="n" required title="Your name, please."></form>"#
            )
        };
        let _page = mount(&[markup("j"), markup("c")].concat());
        let opts = || options(&format!(r#"{{"ignoreTitle": {ignore}}}"#));
        let v = jq_validate(&jq, "#it-j", &opts());
        let c = bind_ok("#it-c", opts());
        let theirs = jq_run(&v, "return v.form();");
        assert_eq!(Some(c.validate()), theirs.as_bool());
        let shown = error_text("n-c");
        assert_eq!(shown, error_text("n-j"), "ignoreTitle: {ignore}");
        let expected = match ignore {
            true => "This field is required.",
            false => "Your name, please.",
        };
        assert_eq!(shown.as_deref(), Some(expected));
        jq_run(&v, "v.destroy();");
        c.destroy();
    }
}

/// A `focusin` as the browser fires it when a field gets the focus.
fn enter(selector: &str) {
    let init = web_sys::FocusEventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::FocusEvent::new_with_focus_event_init_dict("focusin", &init).unwrap();
    el(selector).dispatch_event(&ev).unwrap();
}

/// jquery-validation's `onfocusin` (`false` keeps `focusCleanup` from hiding the message
/// as the field is entered) and `ariaDescribedByCleanup` (a hidden message's id taken out
/// of the field's `aria-describedby`): the same page as jquery-validation 1.22.1's after
/// each step, with and without each (`errorElement: "span"`, which jquery-validation
/// names in `aria-describedby`, where it gives a `label` a `for`).
#[wasm_bindgen_test]
fn onfocusin_and_aria_described_by_cleanup_equal_real_jquery_validation() {
    let jq = jquery();
    for (on_focusin, cleanup) in [("true", false), ("false", false), ("true", true)] {
        let markup =
            |s: &str| format!(r#"<form id="fi-{s}"><input id="n-{s}" name="n" required></form>"#);
        let _page = mount(&[markup("j"), markup("c")].concat());
        let opts = || {
            let o = options(&format!(
                r#"{{"focusCleanup": true, "focusInvalid": false, "errorElement": "span",
                    "ariaDescribedByCleanup": {cleanup}}}"#
            ));
            if on_focusin == "false" {
                set(&o, "onfocusin", &JsValue::FALSE);
            }
            o
        };
        let v = jq_validate(&jq, "#fi-j", &opts());
        let c = bind_ok("#fi-c", opts());
        let seen = |s: &str| {
            let field = el(&format!("#n-{s}"));
            let message = document()
                .get_element_by_id(&format!("n-{s}-error"))
                .filter(|m| m.text_content().unwrap_or_default() != "")
                .is_some_and(|m| visible(&format!("#{}", m.id())));
            let described = field.get_attribute("aria-describedby").unwrap_or_default();
            (message, described.replace(&format!("-{s}-"), "-"))
        };
        let step = |what: &str| {
            assert_eq!(
                seen("c"),
                seen("j"),
                "{what}, onfocusin {on_focusin}, ariaDescribedByCleanup {cleanup}"
            );
            seen("c")
        };
        jq_run(&v, "v.form();");
        c.validate();
        assert!(step("after the submit").0, "the message is shown");
        // jQuery 3.7 handles a `focusin` the page dispatches only through its `trigger`.
        Function::new_with_args("$", "$('#n-j').trigger('focusin');")
            .call1(&JsValue::NULL, &jq)
            .unwrap();
        enter("#n-c");
        let entered = step("entered");
        assert_eq!(entered.0, on_focusin == "false", "shown once entered");
        input("#n-j").set_value("x");
        input("#n-c").set_value("x");
        jq_run(&v, "v.element('#n-j');");
        leave("#n-c");
        let fixed = step("fixed and left");
        assert!(!fixed.0);
        assert_eq!(fixed.1.is_empty(), cleanup, "{fixed:?}");
        jq_run(&v, "v.destroy();");
        c.destroy();
    }
}

/// jquery-validation's `debug: true`: a submit validates and shows the messages, and a
/// valid form is neither sent nor given to `submitHandler`.
#[wasm_bindgen_test]
async fn debug_validates_and_never_sends() {
    let _page = case_form(
        r#"<input id="subject" name="subject" required>
           <button type="submit" id="send">Send</button>"#,
    );
    let w: JsValue = web_sys::window().unwrap().into();
    set(&w, "handled", &JsValue::FALSE);
    set(&w, "sent", &JsValue::NULL);
    let opts = options(r#"{"debug": true}"#);
    set(
        &opts,
        "submitHandler",
        &Function::new_no_args("window.handled = true;"),
    );
    let stop = Function::new_with_args("b", "window.sent = b; return false;");
    set(&opts, "beforeSend", &stop);
    bind_ok("#case", opts);
    click("#send");
    sleep(50).await;
    assert_eq!(
        error_text("subject").as_deref(),
        Some("This field is required.")
    );
    input("#subject").set_value("Hello");
    click("#send");
    sleep(50).await;
    assert_eq!(sent(), None, "not sent");
    assert_eq!(
        recorded("handled"),
        JsValue::FALSE,
        "submitHandler not called"
    );
    assert_eq!(error_text("subject"), None);
}

/// jquery-validation's `validator.element(element)` (one field checked, its verdict
/// returned) and `validator.resetForm()` (every message and mark taken out): the same
/// verdicts, messages, classes and `aria-invalid` as jquery-validation 1.22.1's after each
/// step.
#[wasm_bindgen_test]
fn element_and_reset_form_equal_real_jquery_validation() {
    let jq = jquery();
    let markup = |s: &str| {
        format!(
            r#"<form id="er-{s}"><input id="a-{s}" name="a" required><input id="b-{s}" name="b" required minlength="3"></form>"#
        )
    };
    let _page = mount(&[markup("j"), markup("c")].concat());
    let opts = || options(r#"{"focusInvalid": false}"#);
    let v = jq_validate(&jq, "#er-j", &opts());
    let c = bind_ok("#er-c", opts());
    let jv = |code: &str, arg: &str| {
        Function::new_with_args("v, x", code)
            .call2(&JsValue::NULL, &v, &arg.into())
            .unwrap()
    };
    let page = |s: &str| {
        ["a", "b"].map(|f| {
            let field = el(&format!("#{f}-{s}"));
            (
                error_text(&format!("{f}-{s}")),
                field.class_name(),
                field.get_attribute("aria-invalid"),
            )
        })
    };
    let same = |step: &str| {
        assert_eq!(page("c"), page("j"), "{step}");
        page("c")
    };
    let values = |b: &str| {
        input("#b-j").set_value(b);
        input("#b-c").set_value(b);
    };
    let mut verdicts = Vec::new();
    for (b, field) in [("", "a"), ("ab", "b"), ("abc", "b")] {
        values(b);
        let theirs = jv("return v.element(x);", &format!("#{field}-j")).as_bool();
        let ours = c.element(&format!("#{field}-c").into());
        assert_eq!(Some(ours), theirs, "element({field}) with b {b:?}");
        verdicts.push(ours);
        same(&format!("element({field}) with b {b:?}"));
    }
    assert_eq!(verdicts, [false, false, true]);
    let theirs = jv("return v.form();", "").as_bool();
    assert_eq!(Some(c.validate()), theirs);
    let shown = same("form()");
    assert_eq!(shown[0].0.as_deref(), Some("This field is required."));
    jv("v.resetForm();", "");
    c.reset_form();
    let reset = same("resetForm()");
    assert_eq!(reset[0], (None, String::new(), None), "{reset:?}");
    jv("v.destroy();", "");
    c.destroy();
}

/// jquery-validation's `$(element).rules("add" | "remove", …)` and `rules()` (issue 15),
/// against jquery-validation 1.22.1 on the same markup: what each call answers (the keys
/// sorted: the order of an object's keys is not compared), then the verdicts, messages
/// and classes of a validation after it. (`aria-invalid` is not compared: corsform sets it
/// at every validation, jquery-validation's `form()` at none.)
#[wasm_bindgen_test]
fn rules_add_and_remove_equal_real_jquery_validation() {
    let jq = jquery();
    let markup = |s: &str| {
        format!(
            r#"<form id="ru-{s}"><input id="a-{s}" name="a" required>
               <input id="b-{s}" name="b" minlength="2"><input id="c-{s}" name="c">
               <input id="d-{s}" name="d"><input id="e-{s}" name="e" type="number" max="9"></form>"#
        )
    };
    let _page = mount(
        &[
            markup("j"),
            markup("c"),
            r#"<input id="outside" name="a">"#.into(),
        ]
        .concat(),
    );
    let opts = || {
        options(
            r#"{"focusInvalid": false, "rules": {"b": "required", "c": {"maxlength": 6}},
                "messages": {"c": {"maxlength": "Six at most."}}}"#,
        )
    };
    let v = jq_validate(&jq, "#ru-j", &opts());
    let c = bind_ok("#ru-c", opts());
    // The answer as JSON, its keys sorted (and an array's objects' keys).
    let json = |x: &JsValue| -> String {
        Function::new_with_args(
            "x",
            "const sort = (o) => o && typeof o === 'object' && !Array.isArray(o)
               ? Object.fromEntries(Object.keys(o).sort().map((k) => [k, sort(o[k])])) : o;
             return x === undefined ? 'undefined' : JSON.stringify(sort(x));",
        )
        .call1(&JsValue::NULL, x)
        .unwrap()
        .as_string()
        .unwrap()
    };
    let theirs = |field: &str, command: &str, argument: &str| {
        let code = format!("return $('#{field}-j').rules({command}{argument});");
        json(
            &Function::new_with_args("$", &code)
                .call1(&JsValue::NULL, &jq)
                .unwrap(),
        )
    };
    let ours = |field: &str, command: &str, argument: &str| {
        let arg = |a: &str| match a.strip_prefix(", ") {
            Some(a) => Function::new_no_args(&format!("return {a};"))
                .call0(&JsValue::NULL)
                .unwrap(),
            None => JsValue::UNDEFINED,
        };
        let command = match command {
            "" => JsValue::UNDEFINED,
            c => arg(&format!(", {c}")),
        };
        let target = JsValue::from(format!("#{field}-c"));
        json(&c.rules(&target, &command, &arg(argument)).unwrap())
    };
    let page = |s: &str| {
        ["a", "b", "c", "d", "e"].map(|f| {
            let field = el(&format!("#{f}-{s}"));
            (error_text(&format!("{f}-{s}")), field.class_name())
        })
    };
    let values = |vals: [&str; 5]| {
        for s in ["j", "c"] {
            for (f, value) in ["a", "b", "c", "d", "e"].iter().zip(vals) {
                input(&format!("#{f}-{s}")).set_value(value);
            }
        }
    };
    let validate_both = |step: &str, vals: [&str; 5]| {
        values(vals);
        let theirs = jq_run(&v, "return v.form();").as_bool();
        assert_eq!(
            Some(c.validate()),
            theirs,
            "{step}: the verdict, values {vals:?}"
        );
        assert_eq!(page("c"), page("j"), "{step}: the page, values {vals:?}");
    };
    let mut answers = Vec::new();
    let mut both = |step: &str, field: &str, command: &str, argument: &str| {
        let (t, o) = (
            theirs(field, command, argument),
            ours(field, command, argument),
        );
        assert_eq!(o, t, "{step}: rules({command}{argument}) on {field}");
        answers.push(o);
    };
    // What each field has: attributes, the options' rules, both.
    for f in ["a", "b", "c", "d", "e"] {
        both("before", f, "", "");
    }
    validate_both("before", ["x", "", "", "", ""]);
    // Added: an object with messages, a string of names, a rule with `depends`.
    both(
        "add",
        "c",
        r#""add""#,
        r#", {required: true, minlength: 3, messages: {minlength: "At least {0}!", required: "Say it."}}"#,
    );
    both("add", "d", r#""add""#, r#", "required email""#);
    both(
        "add",
        "e",
        r#""add""#,
        r#", {min: {param: 2, depends: (el) => el.form.querySelector("[name=a]").value === "x"}}"#,
    );
    for f in ["b", "c", "d", "e"] {
        both("after add", f, "", "");
    }
    validate_both("after add", ["x", "", "", "", "1"]);
    validate_both("after add", ["x", "yy", "ab", "ab", "1"]);
    validate_both("after add", ["x", "yy", "abc", "a@b.co", "1"]);
    validate_both("after add", ["x", "yy", "abcdefg", "a@b.co", "3"]);
    // A rule whose `depends` fails is left out. (Not validated with it: jquery-validation
    // then takes the field's classes out as it reads its rules, which corsform doesn't.)
    values(["", "yy", "abc", "a@b.co", "1"]);
    both("depends", "e", "", "");
    // Removed: some methods, then a field's whole entry (its attributes' rules stay).
    both("remove", "c", r#""remove""#, r#", "minlength maxlength""#);
    both("remove", "b", r#""remove""#, "");
    both("remove", "a", r#""remove""#, r#", "required""#);
    both("remove", "e", r#""remove""#, r#", "min""#);
    for f in ["a", "b", "c", "d", "e"] {
        both("after remove", f, "", "");
    }
    validate_both("after remove", ["", "y", "abcdefgh", "a@b.co", "1"]);
    validate_both("after remove", ["", "", "", "", ""]);
    jq_run(&v, "v.destroy();");
    assert_eq!(
        answers[5], r#"{"maxlength":6,"minlength":3,"required":true}"#,
        "c after add"
    );
    assert_eq!(answers[12], r#"{"max":9,"number":true}"#, "e without min");
    assert_eq!(
        answers[13], r#"{"maxlength":6,"minlength":3}"#,
        "c's removed rules"
    );

    // What jquery-validation has no verdict on: an element of no field of this form, and
    // rules bind would refuse (an error, nothing changed).
    let outside = c.rules(
        &el("#outside").into(),
        &"add".into(),
        &options(r#"{"required": true}"#),
    );
    assert!(outside.unwrap().is_undefined());
    let wrong = c.rules(
        &"#d-c".into(),
        &"add".into(),
        &options(r#"{"minlength": "three"}"#),
    );
    let message = get(&wrong.unwrap_err(), "message").as_string().unwrap();
    assert_eq!(
        message,
        "corsform: rules.d.minlength must be a number, not a string"
    );
    let unknown = c.rules(
        &"#d-c".into(),
        &"add".into(),
        &options(r#"{"requierd": true}"#),
    );
    let message = get(&unknown.unwrap_err(), "message").as_string().unwrap();
    assert!(
        message.starts_with("corsform: rules.d: unknown rule \"requierd\""),
        "{message}"
    );
    let message = c.rules(
        &"#d-c".into(),
        &"add".into(),
        &options(r#"{"maxlength": 9, "messages": {"maxlength": 9}}"#),
    );
    let message = get(&message.unwrap_err(), "message").as_string().unwrap();
    assert_eq!(
        message,
        "corsform: messages.d.maxlength must be a string, not a number"
    );
    assert_eq!(
        ours("d", "", ""),
        r#"{"email":true,"required":true}"#,
        "unchanged"
    );
    c.destroy();
}

/// The controller's `rules()` and `numberOfInvalids()` called by the page while corsform
/// reads the rules (from a `depends` function, during `rules("add")` and during a
/// validation): answered, never a page error, and what `rules()` adds holds.
#[wasm_bindgen_test]
fn rules_called_from_a_depends_function_is_not_a_page_error() {
    let _page =
        mount(r#"<form id="rd"><input id="rd-x" name="x"><input id="rd-y" name="y"></form>"#);
    let c = bind_ok("#rd", options(r#"{"focusInvalid": false}"#));
    let window: JsValue = web_sys::window().unwrap().into();
    set(&window, "__c", &c);
    let depends = Function::new_with_args(
        "el",
        "window.__seen = [window.__c.rules('#rd-x'), window.__c.rules('#rd-y', 'add', 'required'),
           window.__c.numberOfInvalids()];
         return true;",
    );
    let minlength = options(r#"{"param": 2}"#);
    set(&minlength, "depends", &depends);
    let rules = options("{}");
    set(&rules, "minlength", &minlength);
    c.rules(&"#rd-x".into(), &"add".into(), &rules).unwrap();
    input("#rd-x").set_value("a");
    assert!(!c.validate());
    assert_eq!(
        error_text("rd-x").as_deref(),
        Some("Please enter at least 2 characters.")
    );
    assert_eq!(
        error_text("rd-y").as_deref(),
        Some("This field is required.")
    );
    let seen = get(&window, "__seen");
    assert!(js_sys::Array::is_array(&seen), "depends was called");
    c.destroy();
}

/// Defines the custom elements of the `customElements` tests (once per page): `cf-input`,
/// a plain one with a `value` property and, as jquery-validation needs of such an
/// element, `name` and `form` properties; `cf-face`, the same as a form-associated custom
/// element (its value in the form's own form data through `ElementInternals`, its `form`
/// its internals'); `cf-other`, like `cf-input`, which no test lists.
fn define_custom_elements() {
    Function::new_no_args(
        r#"if (customElements.get("cf-input")) return;
        class Plain extends HTMLElement {
          constructor() { super(); this._value = ""; }
          get value() { return this._value; }
          set value(v) { this._value = v; }
          get name() { return this.getAttribute("name"); }
          get form() { return this.closest("form"); }
        }
        class Associated extends HTMLElement {
          static formAssociated = true;
          constructor() { super(); this._internals = this.attachInternals(); this._value = ""; }
          get value() { return this._value; }
          set value(v) { this._value = v; this._internals.setFormValue(v); }
          get name() { return this.getAttribute("name"); }
          get form() { return this._internals.form; }
        }
        customElements.define("cf-input", Plain);
        customElements.define("cf-face", Associated);
        customElements.define("cf-other", class extends Plain {});"#,
    )
    .call0(&JsValue::NULL)
    .unwrap();
}

/// Types `value` into the element `selector` as a user does, for jquery-validation and
/// for corsform alike: the value changes (a contenteditable's text, another element's
/// `value`), then `input` (corsform's `onkeyup`) and `keyup` (jquery-validation's) fire.
fn type_in(selector: &str, value: &str) {
    let e = el(selector);
    if e.has_attribute("contenteditable") {
        e.set_text_content(Some(value));
    } else {
        set(&e, "value", &value.into());
    }
    let init = web_sys::InputEventInit::new();
    init.set_bubbles(true);
    let input = web_sys::InputEvent::new_with_event_init_dict("input", &init).unwrap();
    e.dispatch_event(&input).unwrap();
    let init = web_sys::KeyboardEventInit::new();
    init.set_bubbles(true);
    let keyup = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keyup", &init).unwrap();
    e.dispatch_event(&keyup).unwrap();
}

/// Leaves the element `selector` as the browser does: `blur` (jQuery 3.7 makes its
/// delegated `focusout`, jquery-validation's, from it), then `focusout` (corsform's).
fn leave_both(selector: &str) {
    let e = el(selector);
    for (name, bubbles) in [("blur", false), ("focusout", true)] {
        let init = web_sys::FocusEventInit::new();
        init.set_bubbles(bubbles);
        let ev = web_sys::FocusEvent::new_with_focus_event_init_dict(name, &init).unwrap();
        e.dispatch_event(&ev).unwrap();
    }
}

/// What the page shows for each of `ids` in the form suffixed `s`: its message (shown),
/// its classes, and where its message element is (the id of the element before it,
/// without the suffix). (Not `aria-invalid`, which jquery-validation's `form()` leaves
/// alone and corsform sets at every validation, nor the class `validate-equalTo-blur`,
/// jquery-validation's mark of an `equalTo` target whose `blur` it listens to.)
fn fields_shown(s: &str, ids: &[&str]) -> Vec<(Option<String>, String, String)> {
    let mut out = Vec::new();
    for id in ids {
        let field = el(&format!("#{id}-{s}"));
        let after = document()
            .get_element_by_id(&format!("{id}-{s}-error"))
            .and_then(|m| m.previous_element_sibling())
            .map(|p| p.id().replace(&format!("-{s}"), ""))
            .unwrap_or_default();
        let classes = field.class_name().replace("validate-equalTo-blur", "");
        out.push((
            error_text(&format!("{id}-{s}")),
            classes.trim().to_owned(),
            after,
        ));
    }
    out
}

/// Binds the form `#P-j` with jquery-validation and `#P-c` with corsform, both with
/// `opts()` (corsform's with a `beforeSend` that stores the body in `window.sent` and
/// cancels the request): jquery-validation's validator and corsform's controller.
fn bind_pair(jq: &Function, p: &str, opts: impl Fn() -> JsValue) -> (JsValue, Controller) {
    let v = jq_validate(jq, &format!("#{p}-j"), &opts());
    (v, bind_ok(&format!("#{p}-c"), recording(opts())))
}

/// Runs `f` for jquery-validation's form (suffix `j`), then for corsform's (`c`).
fn both(f: impl Fn(&str)) {
    f("j");
    f("c");
}

/// [`fields_shown`] for `ids`, the same in both forms after `step`.
fn same_shown(ids: &[&str], step: &str) -> Vec<(Option<String>, String, String)> {
    let ours = fields_shown("c", ids);
    assert_eq!(ours, fields_shown("j", ids), "{step}");
    ours
}

/// Validates both forms (jquery-validation's `form()`, corsform's `validate()`), which
/// must agree: the verdict.
fn validate_pair(v: &JsValue, c: &Controller) -> bool {
    let theirs = jq_run(v, "return v.form();").as_bool();
    assert_eq!(Some(c.validate()), theirs);
    theirs.unwrap()
}

/// Submits corsform's form `#P-c` (its body recorded, not sent) and checks that the body
/// is jQuery's `serialize()` of `#P-j`: that body.
async fn body_sent_is_jquerys(jq: &Function, p: &str, c: &Controller) -> Option<String> {
    let _ = JsFuture::from(c.submit()).await;
    let jq_body = Function::new_with_args("$, p", "return $('#' + p + '-j').serialize();")
        .call2(&JsValue::NULL, jq, &p.into())
        .unwrap()
        .as_string();
    assert_eq!(sent(), jq_body, "the body sent is jQuery's serialize()");
    jq_body
}

/// jquery-validation validates `[contenteditable]` elements (not `contenteditable="false"`)
/// with a name, their value being their text (issue 15): the same verdicts, messages,
/// classes and message places as jquery-validation 1.22.1's, at a
/// validation of the form, as a failed field is typed in again (jquery-validation's
/// `keyup`, corsform's `input`) and as a field is left with a value. Neither sends
/// one: the body is jQuery's `serialize()`.
#[wasm_bindgen_test]
async fn contenteditable_fields_equal_real_jquery_validation() {
    let jq = jquery();
    let markup = |s: &str| {
        format!(
            r#"<form id="ce-{s}" action="https://api.example.test/contact">
                 <div id="bio-{s}" name="bio" contenteditable required></div>
                 <div id="note-{s}" name="note" contenteditable="true" data-rule-minlength="5"></div>
                 <div id="off-{s}" name="off" contenteditable="false" required></div>
                 <div id="tag-{s}" name="tag" contenteditable></div>
                 <input id="t-{s}" name="t" value="x">
               </form>"#
        )
    };
    let _page = mount(&[markup("j"), markup("c")].concat());
    // A custom method's `this.optional(element)` reads a contenteditable's text too.
    let no_space = Function::new_with_args(
        "value, element",
        "return this.optional(element) || !/\\s/.test(value);",
    );
    Function::new_with_args(
        "$, f",
        "$.validator.addMethod('ceNoSpace', f, 'No spaces.');",
    )
    .call2(&JsValue::NULL, &jq, &no_space)
    .unwrap();
    corsform::web::add_method(
        "ceNoSpace",
        no_space.unchecked_into(),
        Some(JsValue::from("No spaces.").unchecked_into()),
    );
    let (v, c) = bind_pair(&jq, "ce", || {
        options(
            r#"{"focusInvalid": false,
                "rules": {"note": {"maxlength": 8}, "tag": {"ceNoSpace": true}}}"#,
        )
    });
    let ids = ["bio", "note", "off", "tag"];
    assert!(!validate_pair(&v, &c));
    let shown = same_shown(&ids, "the form validated, empty");
    assert_eq!(shown[0].0.as_deref(), Some("This field is required."));
    assert_eq!(shown[0].2, "bio", "the message after its element");
    assert_eq!(shown[2].0, None, "contenteditable=\"false\" is not a field");
    both(|s| type_in(&format!("#bio-{s}"), "Hello"));
    assert_eq!(same_shown(&ids, "bio typed in")[0].0, None);
    both(|s| type_in(&format!("#bio-{s}"), ""));
    let emptied = same_shown(&ids, "bio emptied");
    assert_eq!(emptied[0].0.as_deref(), Some("This field is required."));
    both(|s| type_in(&format!("#bio-{s}"), "Hi"));
    both(|s| type_in(&format!("#note-{s}"), "abc"));
    assert_eq!(same_shown(&ids, "note typed in, not left yet")[1].0, None);
    both(|s| leave_both(&format!("#note-{s}")));
    let left = same_shown(&ids, "note left");
    assert_eq!(
        left[1].0.as_deref(),
        Some("Please enter at least 5 characters.")
    );
    both(|s| type_in(&format!("#note-{s}"), "abcdefghi"));
    let long = same_shown(&ids, "note too long");
    assert_eq!(
        long[1].0.as_deref(),
        Some("Please enter no more than 8 characters."),
        "the rules option reaches it by name"
    );
    both(|s| type_in(&format!("#note-{s}"), "abcdef"));
    both(|s| type_in(&format!("#tag-{s}"), "a b"));
    both(|s| leave_both(&format!("#tag-{s}")));
    let tag = same_shown(&ids, "tag left with a space");
    assert_eq!(tag[3].0.as_deref(), Some("No spaces."));
    both(|s| type_in(&format!("#tag-{s}"), "ab"));
    assert!(validate_pair(&v, &c));
    same_shown(&ids, "the form validated, filled in");
    let body = body_sent_is_jquerys(&jq, "ce", &c).await;
    assert_eq!(body.as_deref(), Some("t=x"));
    jq_run(&v, "v.destroy();");
    c.destroy();
}

/// jquery-validation's `customElements` option (issue 15): the elements its selectors
/// select in the form are validated with their rules (attributes, `data-rule-*`, the
/// `rules` option), their value being their `value` property; a custom element it doesn't
/// list, form-associated or not, is not. The same verdicts, messages, classes and message
/// places as jquery-validation 1.22.1's; neither library sends one (the body is jQuery's
/// `serialize()`), though a form-associated element's value is in the form's own data.
#[wasm_bindgen_test]
async fn custom_elements_equal_real_jquery_validation() {
    define_custom_elements();
    let jq = jquery();
    let markup = |s: &str| {
        format!(
            r##"<style>cf-input, cf-face, cf-other {{ display: inline-block; width: 8em; }}</style>
               <form id="cx-{s}" action="https://api.example.test/contact">
                 <cf-input id="nick-{s}" name="nick" required minlength="3"></cf-input>
                 <cf-face id="code-{s}" name="code" class="checked" required></cf-face>
                 <cf-face id="free-{s}" name="free" required></cf-face>
                 <cf-other id="other-{s}" name="other" required></cf-other>
                 <input id="again-{s}" name="again" data-rule-equalto="#nick-{s}">
                 <input id="t-{s}" name="t" value="x">
               </form>"##
        )
    };
    let _page = mount(&[markup("j"), markup("c")].concat());
    let (v, c) = bind_pair(&jq, "cx", || {
        options(
            r#"{"focusInvalid": false, "customElements": ["cf-input", "cf-face.checked"],
                "rules": {"code": {"digits": true}}}"#,
        )
    });
    let ids = ["nick", "code", "free", "other", "again"];
    assert!(!validate_pair(&v, &c));
    let shown = same_shown(&ids, "the form validated, empty");
    let required = Some("This field is required.".to_owned());
    assert_eq!((&shown[0].0, &shown[1].0), (&required, &required));
    assert_eq!(shown[0].2, "nick", "the message after its element");
    assert_eq!((&shown[2].0, &shown[3].0), (&None, &None), "not listed");
    both(|s| type_in(&format!("#nick-{s}"), "ab"));
    let short = same_shown(&ids, "nick typed in, too short");
    assert_eq!(
        short[0].0.as_deref(),
        Some("Please enter at least 3 characters.")
    );
    both(|s| type_in(&format!("#nick-{s}"), "abc"));
    both(|s| type_in(&format!("#code-{s}"), "12x"));
    let code = same_shown(&ids, "code not digits");
    assert_eq!(code[0].0, None);
    assert_eq!(code[1].0.as_deref(), Some("Please enter only digits."));
    both(|s| type_in(&format!("#code-{s}"), "123"));
    same_shown(&ids, "code digits");
    // `equalTo` compares with a custom element's value, as jQuery's `val()` reads it.
    both(|s| type_in(&format!("#again-{s}"), "abd"));
    both(|s| leave_both(&format!("#again-{s}")));
    let again = same_shown(&ids, "again differs from nick");
    assert_eq!(
        again[4].0.as_deref(),
        Some("Please enter the same value again.")
    );
    both(|s| type_in(&format!("#again-{s}"), "abc"));
    assert_eq!(same_shown(&ids, "again equal to nick")[4].0, None);
    assert!(validate_pair(&v, &c));
    same_shown(&ids, "the form validated, filled in");
    let body = body_sent_is_jquerys(&jq, "cx", &c).await;
    assert_eq!(body.as_deref(), Some("again=abc&t=x"));
    let form_data = Function::new_no_args(
        "return [...new FormData(document.querySelector('#cx-c')).keys()].join();",
    )
    .call0(&JsValue::NULL)
    .unwrap();
    assert_eq!(
        form_data.as_string().as_deref(),
        Some("code,again,t"),
        "the form-associated element is in the form's own data"
    );
    jq_run(&v, "v.destroy();");
    c.destroy();
}

/// The fields in document order, as jquery-validation's `elements()` sorts them: the
/// controls, a contenteditable and a listed custom element inside the form, and
/// form-associated custom elements outside it that name it in their `form` attribute,
/// before and after it. The `showErrors` option gets the same `errorMap` and `errorList`
/// (messages, the elements' `name`, which jquery-validation gives a contenteditable too,
/// methods) from jquery-validation 1.22.1 and from corsform.
#[wasm_bindgen_test]
fn fields_of_every_kind_in_document_order_as_jquery_validation() {
    define_custom_elements();
    let jq = jquery();
    let markup = |s: &str| {
        format!(
            r#"<cf-face id="pre-{s}" name="pre" form="or-{s}" required></cf-face>
               <form id="or-{s}">
                 <input id="i-{s}" name="i" required>
                 <div id="ed-{s}" name="ed" contenteditable required></div>
                 <cf-face id="in-{s}" name="in" required></cf-face>
                 <input id="k-{s}" name="k" required>
               </form>
               <cf-face id="post-{s}" name="post" form="or-{s}" required></cf-face>"#
        )
    };
    let _page = mount(
        &[
            "<style>cf-face { display: inline-block; width: 8em; }</style>".into(),
            markup("j"),
            markup("c"),
        ]
        .concat(),
    );
    let opts = |s: &str| {
        let o = options(r#"{"focusInvalid": false, "customElements": ["cf-face"]}"#);
        set(&o, "showErrors", &show_errors_recorder(s, true));
        o
    };
    let v = jq_validate(&jq, "#or-j", &opts("orj"));
    let c = bind_ok("#or-c", opts("orc"));
    assert!(!validate_pair(&v, &c));
    let (theirs, ours) = (last_shown("orj"), last_shown("orc"));
    assert_eq!(ours, theirs, "showErrors' arguments");
    let names = Function::new_with_args(
        "json",
        "return JSON.parse(json)[1].map((i) => i[1]).join();",
    )
    .call1(&JsValue::NULL, &ours.0.into())
    .unwrap();
    assert_eq!(names.as_string().as_deref(), Some("pre,i,ed,in,k,post"));
    jq_run(&v, "v.destroy();");
    c.destroy();
}

/// `customElements` of the wrong type throws at `bind`, naming the problem; given right,
/// it is no unknown option (no warning).
#[wasm_bindgen_test]
fn custom_elements_is_read_and_checked_at_bind() {
    let _page = case_form(r#"<div name="bio" contenteditable required></div>"#);
    let cases = [
        (
            r#"{"customElements": 5}"#,
            "corsform: customElements must be an array of selectors, not a number",
        ),
        (
            r#"{"customElements": "my-input"}"#,
            "corsform: customElements must be an array of selectors, not a string",
        ),
        (
            r#"{"customElements": ["my-input", 3]}"#,
            "corsform: customElements[1] must be a selector, not a number",
        ),
        (
            r#"{"customElements": ["my-input", "a["]}"#,
            "corsform: customElements: \"my-input,a[\" is not a valid selector",
        ),
    ];
    for (opts, want) in cases {
        assert_eq!(bind_error("#case", options(opts)), want, "{opts}");
    }
    let capture = Function::new_no_args(
        "window.__warnings = []; window.__warn = console.warn; \
         console.warn = (...a) => window.__warnings.push(a.join(' '));",
    );
    capture.call0(&JsValue::NULL).unwrap();
    let bound = try_bind(
        "#case",
        options(r#"{"customElements": ["my-input"], "rules": {"bio": {"minlength": 2}}}"#),
    );
    Function::new_no_args("console.warn = window.__warn;")
        .call0(&JsValue::NULL)
        .unwrap();
    let c = bound.expect("bind reads customElements and a contenteditable's rules");
    assert_eq!(js_sys::Array::from(&recorded("__warnings")).length(), 0);
    assert!(!c.validate());
    c.destroy();
}
