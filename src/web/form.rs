//! A bound form: its fields and their rules, error messages on the page, the submit flow
//! and the panels.

use std::cell::Cell;
use std::rc::Rc;

use super::js::{Function, Object, Promise, RegExp};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::dom::{
    self, error, flag, get, hide, set, set_token, show, text, values, Control, Element, Event,
};
use super::options::{self, entries, Options};
use super::refuse;
use super::send::{self, Outcome};
use crate::rules::{attribute_rules, FieldRules, Method, OptionsError, Param, Rule};
use crate::validate::{check_field, Env, Input};

/// The controls that submit a form: a button is one unless its type is `button` or
/// `reset` (a missing or unknown type makes it a submit button).
const SUBMITS: &str =
    "button:not([type=button i],[type=reset i]),input:is([type=submit i],[type=image i])";

/// Every callback handed to JS, listeners and promise reactions alike. `Fn`, never
/// `FnMut`: JS may call a callback while it is already running (focusing the first invalid
/// field inside the submit listener dispatches `focusout` to that same listener at once),
/// and wasm-bindgen refuses to re-enter an `FnMut` closure ("closure invoked recursively").
/// The state the callbacks share is in `Cell`s, never borrowed across a call into JS.
type Callback = Closure<dyn Fn(JsValue) -> JsValue>;

/// The form's events corsform listens to, all with one listener.
const EVENTS: [&str; 4] = ["submit", "focusout", "input", "change"];

/// One named field (a radio group is one field) with its rules.
struct Field {
    controls: Vec<Control>,
    rules: FieldRules,
    /// Its `pattern` rule's expression, anchored.
    pattern: Option<RegExp>,
    /// The `<label class="error">` after the field, once it was needed. (`Cell`s here
    /// and in `Bound`: no borrow flags to check.)
    label: Cell<Option<Element>>,
    /// Invalid at a submit: validated on every input from then on.
    submitted: Cell<bool>,
    /// Its error is showing.
    invalid: Cell<bool>,
}

impl Field {
    /// Runs the field's rules and shows or clears its message. True when valid.
    fn check(&self) -> bool {
        let first = &self.controls[0];
        // The value the rules see, and for choice fields how many are chosen.
        let mut text = String::new();
        let mut count = None;
        if first.is_checkable() {
            // The first checked control's value ("" when none is checked).
            let mut checked = 0;
            for c in self.controls.iter().rev() {
                if c.checked() {
                    text = c.rule_value();
                    checked += 1;
                }
            }
            count = Some(checked);
        } else {
            text = first.rule_value();
            if first.is_multiple() {
                count = Some(first.values().len());
            }
        }
        let failed = check_field(&self.rules, Input { text: &text, count }, self);
        match failed {
            Some(rule) => self.show_error(
                &self
                    .rules
                    .message_or(rule, self.page_message(rule).as_deref()),
            ),
            None => self.clear_error(),
        }
        failed.is_none()
    }

    /// The field's own message for `rule`, as jquery-validation reads it when it needs one:
    /// `data-msg-RULE` (`getAttribute` lower-cases the name, as jQuery's data() reads
    /// `data-msg-equalto` for `equalTo`), else `data-msg`, else `title`; empty ones skipped.
    fn page_message(&self, rule: &Rule) -> Option<String> {
        let el = self.controls[0].element();
        let own = |name: &str| el.get_attribute(name).filter(|t| !t.is_empty());
        own(&crate::cat(&["data-msg-", rule.method.name()]))
            .or_else(|| own("data-msg"))
            .or_else(|| own("title"))
    }

    /// The message's `<label>`, made and put after the field when first needed.
    fn label(&self) -> Element {
        if let Some(l) = self.label.take() {
            self.label.set(Some(l.clone()));
            return l;
        }
        let el = self.controls[0].element();
        let id = el.get_attribute("id").filter(|s| !s.is_empty());
        let label = dom::create_element("label");
        let id_or_name = id.as_deref().unwrap_or(&self.rules.name);
        let label_id = crate::cat(&[id_or_name, "-error"]);
        label.set_attribute("id", &label_id);
        label.set_attribute("class", "error");
        // Announced when it appears as the user leaves a field, not only on submit.
        label.set_attribute("aria-live", "polite");
        if let Some(id) = &id {
            label.set_attribute("for", id);
        }
        el.after(&label);
        // Each control is described by the message from now on (empty while valid).
        for c in &self.controls {
            set_token(c.element(), "aria-describedby", &label_id, true);
        }
        self.label.set(Some(label.clone()));
        label
    }

    fn show_error(&self, message: &str) {
        let label = self.label();
        set(&label, "textContent", &JsValue::from_str(message));
        show(&label);
        for c in &self.controls {
            c.element().set_attribute("aria-invalid", "true");
        }
        self.invalid.set(true);
    }

    fn clear_error(&self) {
        if let Some(label) = self.label.take() {
            set(&label, "textContent", &JsValue::from_str(""));
            hide(&label);
            self.label.set(Some(label));
        }
        for c in &self.controls {
            c.element().set_attribute("aria-invalid", "false");
        }
        self.invalid.set(false);
    }
}

/// The state behind a controller.
pub struct Bound {
    form: Element,
    fields: Vec<Field>,
    /// What `bind` was told, its rules already merged into `fields`.
    opts: Options,
    had_novalidate: bool,
    /// A request is in flight.
    sending: Cell<bool>,
    /// While sending: the submit buttons disabled meanwhile, and the response's status.
    buttons: Cell<Vec<Element>>,
    status: Cell<u16>,
    /// The request in flight was started by the page's submit, not `controller.submit()`:
    /// nothing waits on its promise, so it resolves even when the request fails (a
    /// rejection there would be unhandled).
    quiet: Cell<bool>,
    /// The one listener of the form's events (see `EVENTS`), kept to be removed by
    /// `destroy`.
    listener: Cell<Option<Callback>>,
    /// The promise reactions of the request's stage in flight (the response, then its
    /// body): dropped when the next stage's replace them, or when the request ends.
    reactions: Cell<Option<(Callback, Callback)>>,
}

/// The elements of `form` (`form.elements`), in document order.
fn elements(form: &Element) -> dom::Items {
    values(&get(form, "elements"))
}

/// The body jQuery would send for `form`, `submitter` (the clicked button) last.
pub fn serialize(form: &Element, submitter: Option<&Element>) -> String {
    let mut body = String::new();
    for el in elements(form) {
        let Some(c) = Control::of(el.unchecked_ref()) else {
            continue;
        };
        let name = c.name();
        if name.is_empty() || c.disabled() || c.is_button() || (c.is_checkable() && !c.checked()) {
            continue;
        }
        for v in &c.values() {
            crate::encode::push_pair(&mut body, &name, v);
        }
    }
    if let Some(b) = submitter {
        let name = b.get_attribute("name").unwrap_or_default();
        if !name.is_empty() {
            crate::encode::push_pair(&mut body, &name, &text(b, "value"));
        }
    }
    body
}

/// The page, as the rules of one field see it.
impl Env for Field {
    fn equal_to(&self, selector: &str) -> Option<String> {
        dom::query(selector)
            .and_then(|el| Control::of(&el))
            .map(|c| c.rule_value())
    }
    fn pattern(&self, _source: &str, value: &str) -> bool {
        self.pattern.as_ref().is_some_and(|re| re.test(value))
    }
    /// jquery-validation's own expression, run by the JS engine. Built at each check, like
    /// the literal in jquery-validation's method: the engines keep compiled expressions by
    /// source and flags.
    fn expression(&self, method: Method, value: &str) -> bool {
        let (source, flags) = crate::validate::expression(method).unwrap_or_default();
        RegExp::new(source, flags).is_ok_and(|re| re.test(value))
    }
}

impl Bound {
    /// Binds `options` to `form`: reads the fields' attribute rules, checks every option.
    pub fn new(form: Element, opts: Options) -> Rc<Bound> {
        let mut fields: Vec<Field> = Vec::new();
        for el in elements(&form) {
            let Some(c) = Control::of(el.unchecked_ref()) else {
                continue;
            };
            let name = c.name();
            if name.is_empty() || c.is_button() || c.is("input[type=hidden i]") {
                continue;
            }
            if let Some(f) = fields.iter_mut().find(|f| f.rules.name == name) {
                f.controls.push(c);
                continue;
            }
            let el = c.element().clone();
            let type_attr = el.get_attribute("type");
            let rules = FieldRules {
                name,
                rules: attribute_rules::<JsValue>(type_attr.as_deref(), |a| el.get_attribute(a)),
                messages: Vec::new(),
            };
            fields.push(Field {
                controls: vec![c],
                rules,
                pattern: None,
                label: Cell::new(None),
                submitted: Cell::new(false),
                invalid: Cell::new(false),
            });
        }
        // The options' rules override the attributes'. (Messages: the options', then the
        // element's own, read when one is needed: `Field::page_message`.)
        for &k in &[options::RULES, options::MESSAGES] {
            let section = options::NAMES[k];
            for (name, spec) in entries(&opts.given[k]) {
                let Some(f) = fields.iter_mut().find(|f| f.rules.name == name) else {
                    refuse(OptionsError::format(
                        "{0}.{1}: the form has no field named \"{1}\"",
                        &[section, &name],
                    ));
                };
                let Ok(()) = f.rules.read(k == options::MESSAGES, &spec);
            }
        }
        for f in &mut fields {
            // A field has one `pattern` rule at most: its expression, compiled once.
            for r in &f.rules.rules {
                if let (Method::Pattern, Param::Text(source)) = (r.method, &r.param) {
                    let anchored = crate::cat(&["^(?:", source, ")$"]);
                    let re = RegExp::new(&anchored, "").unwrap_or_else(|_| {
                        refuse(OptionsError::format(
                            "rules.{0}.pattern: invalid regular expression \"{1}\"",
                            &[&f.rules.name, source],
                        ))
                    });
                    f.pattern = Some(re);
                }
            }
        }
        let had_novalidate = flag(&form, "noValidate");
        set(&form, "noValidate", &JsValue::TRUE);
        let bound = Rc::new(Bound {
            form,
            fields,
            opts,
            had_novalidate,
            sending: Cell::new(false),
            buttons: Cell::new(Vec::new()),
            status: Cell::new(0),
            quiet: Cell::new(false),
            listener: Cell::new(None),
            reactions: Cell::new(None),
        });
        Bound::listen(&bound);
        bound
    }

    /// A callback for JS that runs `f` on this form. Every callback is this one closure
    /// type: one vtable and one call shim in the wasm.
    fn callback(self: &Rc<Self>, f: fn(&Rc<Bound>, JsValue) -> JsValue) -> Callback {
        let me = self.clone();
        Closure::new(move |v: JsValue| f(&me, v))
    }

    /// The controller `bind` returns: `{validate, submit, destroy}`, closures that JS owns
    /// (and frees when the page lets go of the controller).
    pub fn controller(self: &Rc<Self>) -> super::Controller {
        let o = Object::new();
        let method = |name: &str, f: fn(&Rc<Bound>, JsValue) -> JsValue| {
            set(&o, name, &self.callback(f).into_js_value());
        };
        method("validate", |me, _| me.validate().into());
        method("submit", |me, _| {
            me.submit(None, false)
                .unwrap_or_else(|err| Promise::reject(&err))
                .into()
        });
        method("destroy", |me, _| {
            me.destroy();
            JsValue::UNDEFINED
        });
        o.unchecked_into()
    }

    fn listen(this: &Rc<Bound>) {
        let closure = this.callback(|me, e| {
            me.on_event(e.unchecked_into());
            JsValue::UNDEFINED
        });
        for event in &EVENTS {
            this.form.add_event_listener(event, closure.as_ref());
        }
        this.listener.set(Some(closure));
    }

    fn on_event(self: &Rc<Self>, e: Event) {
        let kind = get(&e, "type");
        if !dom::is(&kind, "submit") {
            return self.revalidate(&e, dom::is(&kind, "focusout"));
        }
        e.prevent_default();
        // The button clicked (an element), or null.
        let submitter = get(&e, "submitter");
        let submitter = (!dom::is_nullish(&submitter)).then(|| submitter.unchecked_ref());
        // The outcome reaches the page through the callbacks and events (the promise only
        // matters to `controller.submit()`).
        let _ = self.submit(submitter, true);
    }

    /// jquery-validation's lazy-then-eager: a field is checked as the user leaves it if it
    /// has a value or was invalid at a submit, and on every input once it was invalid.
    fn revalidate(&self, e: &Event, leaving: bool) {
        // The control's `name`, as jquery-validation reads it (`element.name`).
        let name = text(&get(e, "target"), "name");
        let Some(f) = self.fields.iter().find(|f| f.rules.name == name) else {
            return;
        };
        // Leaving a field for a submit button of this form (its form owner; then it is an
        // element): the submit checks everything, and a message appearing now would move
        // the button under the pointer, losing the click.
        let to = get(e, "relatedTarget");
        let to_submit = leaving
            && get(&to, "form").loose_eq(&self.form)
            && to.unchecked_ref::<Element>().matches(SUBMITS);
        if to_submit {
            return;
        }
        let eager = f.submitted.get() || f.invalid.get();
        let first = &f.controls[0];
        if eager || (leaving && !first.is_checkable() && !first.rule_value().is_empty()) {
            f.check();
        }
    }

    fn focus_first_invalid(&self) {
        if let Some(f) = self.fields.iter().find(|f| f.invalid.get()) {
            dom::focus(f.controls[0].element());
        }
    }

    /// Validates every field, shows every message, focuses the first invalid field.
    pub fn validate(&self) -> bool {
        let mut all = true;
        for f in &self.fields {
            if !f.check() {
                all = false;
                f.submitted.set(true);
            }
        }
        self.focus_first_invalid();
        all
    }

    /// Puts the server's messages (`errors`: `{field: message}`) on the fields it names;
    /// names that are not fields of the form are left to the `error` callback.
    fn show_server_errors(&self, errors: &JsValue) {
        for f in &self.fields {
            // Only own string values: what an object inherits is never a string.
            if let Some(message) = get(errors, &f.rules.name).as_string() {
                f.show_error(&message);
                f.submitted.set(true);
            }
        }
        self.focus_first_invalid();
    }

    /// Shows the panels whose bits `visible` sets (`1 << options::MAIN`, …), hides the
    /// others. Then, if `announced` is one of them, moves the focus to it, so that screen
    /// readers read it.
    fn panels(&self, visible: u8, announced: Option<usize>) {
        for (i, panel) in self.opts.panels.iter().enumerate() {
            if let Some(el) = panel {
                match visible >> i & 1 == 1 {
                    true => show(el),
                    false => hide(el),
                }
            }
        }
        if let Some(el) = announced.and_then(|i| self.opts.panels[i].as_ref()) {
            if !el.has_attribute("tabindex") {
                el.set_attribute("tabindex", "-1");
            }
            dom::focus(el);
        }
    }

    fn emit(&self, name: &str, detail: &JsValue, cancelable: bool) -> bool {
        self.form
            .dispatch_event(&dom::custom_event(name, detail, cancelable))
    }

    /// Calls the callback option `which` (if given) with `arg`, the form as `this`.
    fn call(&self, which: usize, arg: &JsValue) -> JsValue {
        let f = &self.opts.given[which];
        match f.is_function() {
            true => f
                .unchecked_ref::<Function>()
                .call1(&self.form, arg)
                .unwrap_or(JsValue::UNDEFINED),
            false => JsValue::UNDEFINED,
        }
    }

    /// Disables the form's submit buttons that are enabled; returns them.
    fn disable_submit_buttons(&self) -> Vec<Element> {
        let mut out = Vec::new();
        for el in elements(&self.form) {
            let el: Element = el.unchecked_into();
            if el.matches(SUBMITS) && !el.has_attribute("disabled") {
                el.set_attribute("disabled", "");
                out.push(el);
            }
        }
        out
    }

    /// Reports `err` to the `error` callback and as an event; returns it.
    fn fail(&self, err: JsValue) -> JsValue {
        self.call(options::ERROR, &err);
        self.emit("corsform:error", &err, false);
        err
    }

    /// Reports `err` ([`Self::fail`]) at the end of a request: what its promise settles
    /// with, rejected unless the request is quiet.
    fn failed(&self, err: JsValue) -> JsValue {
        let err = self.fail(err);
        match self.quiet.get() {
            true => err,
            false => Promise::reject(&err).into(),
        }
    }

    /// `promise.then(fulfilled, rejected)`, the two kept until the next stage or the end of
    /// the request. A stage's reactions run once at most, and none after it: the one that
    /// runs when the next stage replaces them is freed by JS when it returns.
    fn reaction(
        self: &Rc<Self>,
        promise: Promise,
        fulfilled: fn(&Rc<Bound>, JsValue) -> JsValue,
        rejected: fn(&Rc<Bound>, JsValue) -> JsValue,
    ) -> Promise {
        let (ok, err) = (self.callback(fulfilled), self.callback(rejected));
        let next = promise
            .unchecked_ref::<send::Pending>()
            .then_both(ok.as_ref(), err.as_ref());
        self.reactions.set(Some((ok, err)));
        next
    }

    /// Validates, then starts sending: the whole flow behind a submit. The promise
    /// resolves with the server's answer or rejects with a `CorsformError` (resolves with
    /// it when `quiet`: the page's own submit, which nothing waits on); an `Err` is the
    /// error of a submission that was not sent (busy, invalid, cancelled).
    pub fn submit(
        self: &Rc<Self>,
        submitter: Option<&Element>,
        quiet: bool,
    ) -> Result<Promise, JsValue> {
        if self.sending.get() {
            return Err(error(
                "busy",
                "corsform: a submission is already being sent",
            ));
        }
        if !self.validate() {
            return Err(self.fail(error("invalid", "corsform: the form has errors")));
        }
        let body = serialize(&self.form, submitter);
        let body_js = JsValue::from_str(&body);
        if self.call(options::BEFORE_SEND, &body_js).as_bool() == Some(false)
            || !self.emit("corsform:beforesend", &body_js, true)
        {
            return Err(error("cancelled", "corsform: cancelled by beforeSend"));
        }
        let url = self.opts.url(&self.form);
        self.sending.set(true);
        self.quiet.set(quiet);
        self.buttons.set(self.disable_submit_buttons());
        self.form.set_attribute("aria-busy", "true");
        self.panels(1 << options::SENDING, None);

        let response = send::post(&url, &self.opts.headers, &body_js, self.opts.timeout());
        Ok(self.reaction(response, Bound::on_response, Bound::on_failure))
    }

    /// The response arrived: its body text next, unless it is a redirect.
    fn on_response(self: &Rc<Self>, response: JsValue) -> JsValue {
        match send::status(&response) {
            Ok(status) => {
                self.status.set(status);
                self.reaction(send::text(&response), Bound::on_body, Bound::on_failure)
                    .into()
            }
            Err(err) => self.finish(Outcome::Failed(err)),
        }
    }

    /// The body arrived: success, the server's field errors, or another status.
    fn on_body(self: &Rc<Self>, text: JsValue) -> JsValue {
        let status = self.status.get();
        let outcome = send::outcome(status, text);
        self.finish(outcome)
    }

    /// `fetch` or the body read failed: the network, CORS or the timeout.
    fn on_failure(self: &Rc<Self>, err: JsValue) -> JsValue {
        self.finish(Outcome::Failed(send::failure(&err, self.opts.timeout())))
    }

    /// Ends the request: the form back, the panels, the callbacks and events. Returns
    /// what the promise settles with (a rejected promise for an error).
    fn finish(self: &Rc<Self>, outcome: Outcome) -> JsValue {
        self.sending.set(false);
        // None of this request's reactions runs after this; dropping the one running now
        // is safe (JS frees it when it returns).
        drop(self.reactions.take());
        for b in &self.buttons.take() {
            b.remove_attribute("disabled");
        }
        self.form.remove_attribute("aria-busy");
        match outcome {
            Outcome::Accepted(data) => {
                self.panels(1 << options::ACCEPTED, Some(options::ACCEPTED));
                self.call(options::SUCCESS, &data);
                self.emit("corsform:success", &data, false);
                data
            }
            Outcome::Rejected(errors, err) => {
                self.panels(1 << options::MAIN, None);
                self.show_server_errors(&errors);
                self.failed(err)
            }
            Outcome::Failed(err) => {
                let failed = options::FAILED;
                self.panels(1 << options::MAIN | 1 << failed, Some(failed));
                self.failed(err)
            }
        }
    }

    /// Removes the listeners, the messages and the attributes bind added.
    pub fn destroy(&self) {
        // A request in flight ends as usual: its reactions hold the state until then.
        if let Some(closure) = self.listener.take() {
            for event in &EVENTS {
                self.form.remove_event_listener(event, closure.as_ref());
            }
        }
        for f in &self.fields {
            // The message's label out of the page, and its id out of the controls'
            // `aria-describedby`.
            let id = f.label.take().map(|label| {
                label.remove();
                text(&label, "id")
            });
            for c in &f.controls {
                let el = c.element();
                el.remove_attribute("aria-invalid");
                if let Some(id) = &id {
                    set_token(el, "aria-describedby", id, false);
                }
            }
        }
        set(
            &self.form,
            "noValidate",
            &JsValue::from_bool(self.had_novalidate),
        );
    }
}
