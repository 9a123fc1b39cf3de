//! A bound form: its fields, the one listener of its events, and the submit flow from
//! validation to the panels.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, EventTarget, FocusEvent, HtmlFormElement, SubmitEvent};

use super::error::{CorsformError, Kind};
use super::field::{self, Answer, Control, Field, Verdict};
use super::options::{Options, Trigger};
use super::serialize::{elements, items, serialize};
use super::submit::{self, Outcome};
use crate::rules::{Method, OptionsError, Param};

/// The controls that submit a form: a button is one unless its type is `button` or
/// `reset` (a missing or unknown type makes it a submit button).
const SUBMITS: &str =
    "button:not([type=button i],[type=reset i]),input:is([type=submit i],[type=image i])";

/// The form's events corsform listens to, all with one listener.
const EVENTS: [&str; 5] = ["submit", "focusout", "input", "change", "focusin"];

/// An event listener for [`EVENTS`] on a target, removed from it when dropped.
///
/// The closure is `Fn`, never `FnMut`: the browser may call a listener while it is already
/// running (focusing the first invalid field inside the submit listener dispatches
/// `focusout` to this same listener at once), and wasm-bindgen refuses to re-enter an
/// `FnMut` closure. What it calls holds no borrow across a call into the page.
struct Listener {
    target: EventTarget,
    closure: Closure<dyn Fn(Event)>,
}

impl Listener {
    fn new(target: &EventTarget, f: impl Fn(Event) + 'static) -> Listener {
        let closure = Closure::<dyn Fn(Event)>::new(f);
        for event in EVENTS {
            let _ =
                target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        }
        Listener {
            target: target.clone(),
            closure,
        }
    }
}

impl Listener {
    /// Stops listening (removing a listener that is not there does nothing).
    fn remove(&self) {
        for event in EVENTS {
            let _ = self
                .target
                .remove_event_listener_with_callback(event, self.closure.as_ref().unchecked_ref());
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Which panels a stage of the submission shows.
#[derive(Clone, Copy)]
enum Stage {
    /// The request is in flight: only `sending`.
    Sending,
    /// Accepted: only `success`, focused.
    Accepted,
    /// The server refused some fields: the form again.
    Rejected,
    /// Not delivered: the form and `error`, focused.
    Failed,
}

/// The state behind a controller.
pub struct Bound {
    form: HtmlFormElement,
    /// The fields as the last validation saw them ([`Bound::refresh`]).
    fields: RefCell<Vec<Field>>,
    opts: Options,
    had_novalidate: bool,
    /// A request is in flight.
    sending: Cell<bool>,
    /// While sending: the submit buttons disabled meanwhile.
    buttons: RefCell<Vec<Element>>,
    /// The `Idempotency-Key` of the current fill of the form: made at its first attempt,
    /// sent again with every retry, dropped once the server accepted it.
    fill_key: RefCell<Option<String>>,
    /// The controller `bind` returned (`undefined` until then).
    controller: RefCell<JsValue>,
    /// The listener of the form's events, until `destroy`.
    listener: RefCell<Option<Listener>>,
    /// The `remote` checks in flight, each a promise resolved with its answer handled
    /// (a submit waits for them); emptied when none is left in flight.
    asking: RefCell<Vec<js_sys::Promise>>,
    /// How many `remote` checks are in flight.
    in_flight: Cell<u32>,
    /// The form is being read ([`Bound::refresh`]): the page's functions that reading
    /// calls (`depends`) see the fields as they were, and can't start another read.
    reading: Cell<bool>,
    /// The verdicts last handed to the page's `showErrors`, by field name: what the
    /// controller's `defaultShowErrors()` shows.
    shown: RefCell<Vec<(String, Verdict)>>,
}

impl Bound {
    /// Binds `opts` to `form`: the fields and their attribute rules, then the options'
    /// rules and messages over them. Refuses rules for a field the form doesn't have.
    pub fn new(form: HtmlFormElement, opts: Options) -> Result<Rc<Bound>, OptionsError> {
        let fields = scan(&form, &opts, true)?;
        let had_novalidate = form.no_validate();
        form.set_no_validate(true);
        let bound = Rc::new(Bound {
            form,
            fields: RefCell::new(fields),
            opts,
            had_novalidate,
            sending: Cell::new(false),
            buttons: RefCell::new(Vec::new()),
            fill_key: RefCell::new(None),
            controller: RefCell::new(JsValue::UNDEFINED),
            listener: RefCell::new(None),
            asking: RefCell::new(Vec::new()),
            in_flight: Cell::new(0),
            reading: Cell::new(false),
            shown: RefCell::new(Vec::new()),
        });
        let me = bound.clone();
        let listener = Listener::new(&bound.form, move |e| me.on_event(e));
        *bound.listener.borrow_mut() = Some(listener);
        Ok(bound)
    }

    /// The controller `bind` returns: `{validate, submit, send, showErrors, element,
    /// rules, numberOfInvalids, defaultShowErrors, resetForm, destroy}`, closures over this form
    /// that JS owns (freed when the page lets go of the controller).
    pub fn controller(self: &Rc<Self>) -> JsValue {
        let o = js_sys::Object::new();
        let method = |name: &str, f: Closure<dyn Fn(JsValue) -> JsValue>| {
            let _ = js_sys::Reflect::set(&o, &name.into(), &f.into_js_value());
        };
        // `this` of submitHandler and an argument of invalidHandler.
        *self.controller.borrow_mut() = o.clone().into();
        let me = self.clone();
        method("validate", Closure::new(move |_| me.validate().into()));
        // `send` is the same future as `submit`'s, without validating or `submitHandler`.
        for (name, validating) in [("submit", true), ("send", false)] {
            let me = self.clone();
            method(
                name,
                Closure::new(move |_| {
                    let submitting = me.clone().submit(None, None, validating);
                    wasm_bindgen_futures::future_to_promise(submitting).into()
                }),
            );
        }
        let me = self.clone();
        method(
            "numberOfInvalids",
            Closure::new(move |_| {
                let fields = me.fields.borrow();
                let mut n = 0u32;
                for f in fields.iter() {
                    n += u32::from(f.failed.get());
                }
                JsValue::from(n)
            }),
        );
        let me = self.clone();
        method(
            "showErrors",
            Closure::new(move |errors| {
                let mut verdicts = Vec::new();
                for (name, m) in super::options::entries(&errors) {
                    if let Some(m) = m.as_string() {
                        verdicts.push((name, Verdict::Invalid(None, m)));
                    }
                }
                let _ = me.show_given(verdicts, false);
                JsValue::UNDEFINED
            }),
        );
        let me = self.clone();
        let rules = Closure::<dyn Fn(JsValue, JsValue, JsValue) -> Result<JsValue, JsValue>>::new(
            move |target, command, argument| {
                me.rules(&target, &command, &argument)
                    .map_err(|e| CorsformError::from(e).to_js())
            },
        );
        let _ = js_sys::Reflect::set(&o, &"rules".into(), &rules.into_js_value());
        let me = self.clone();
        method(
            "element",
            Closure::new(move |target| me.element(&target).into()),
        );
        // The methods that act and answer nothing.
        let acts = [
            ("defaultShowErrors", Bound::show_again as fn(&Bound)),
            ("resetForm", Bound::reset_form),
            ("destroy", Bound::destroy),
        ];
        for (name, act) in acts {
            let me = self.clone();
            method(
                name,
                Closure::new(move |_| {
                    act(&me);
                    JsValue::UNDEFINED
                }),
            );
        }
        o.into()
    }

    fn on_event(self: &Rc<Self>, e: Event) {
        if e.type_() != "submit" {
            self.revalidate(&e);
            return self.ask_remote();
        }
        e.prevent_default();
        // A `submit` event is a SubmitEvent; `submitter` is the button that was pressed.
        let submitter = e
            .unchecked_ref::<SubmitEvent>()
            .submitter()
            .map(Element::from);
        // The outcome reaches the page through the callbacks and events; nothing waits on
        // this submission's result.
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let validating = me.opts.on_submit;
            let _ = me.submit(submitter, Some(e), validating).await;
        });
    }

    /// jquery-validation's lazy-then-eager: a field is checked as the user leaves it if it
    /// has a value or was invalid at a submit, and on every input once it was invalid.
    fn revalidate(&self, e: &Event) {
        let Some(target) = e.target() else {
            return;
        };
        // The control's `name` attribute, as its field is named (a control's `name`
        // property reflects it; a contenteditable has only the attribute).
        let name = target
            .dyn_ref::<Element>()
            .and_then(|t| t.get_attribute("name"))
            .unwrap_or_default();
        // jquery-validation's onfocusin, onfocusout, onkeyup (here: each `input`) and
        // onclick (here: `change`, which checkboxes, radios and selects fire): `false` turns
        // one off, a function replaces it, called with the control and the event.
        let trigger = match e.type_().as_str() {
            "focusin" => &self.opts.on_focusin,
            "focusout" => &self.opts.on_focusout,
            "input" => &self.opts.on_keyup,
            _ => &self.opts.on_click,
        };
        match trigger {
            Trigger::Off => return,
            Trigger::Call(f) => {
                let controller = self.controller.borrow().clone();
                if let Err(thrown) = f.call2(&controller, &target, e) {
                    report(&thrown);
                }
                return;
            }
            Trigger::Default => {}
        }
        if e.type_() == "focusin" {
            // jquery-validation's `focusCleanup`: the message hides as the field is entered.
            if self.opts.look.focus_cleanup {
                let fields = self.fields.borrow();
                if let Some(f) = fields
                    .iter()
                    .find(|f| f.rules.name == name && f.invalid.get())
                {
                    f.clear_error();
                }
            }
            return;
        }
        let leaving = e.type_() == "focusout";
        // Leaving a field for a submit button of this form: the submit checks everything,
        // and a message appearing now would move the button under the pointer, losing the
        // click.
        // Only a `focusout` (a FocusEvent) has a `relatedTarget`: where the focus goes.
        let to = leaving
            .then(|| e.unchecked_ref::<FocusEvent>().related_target())
            .flatten()
            .and_then(|t| t.dyn_into::<Element>().ok());
        let to_submit = to.is_some_and(|to| {
            let owner = js_sys::Reflect::get(&to, &"form".into()).unwrap_or_default();
            let form: &JsValue = self.form.as_ref();
            leaving && owner == *form && to.matches(SUBMITS).unwrap_or(false)
        });
        if to_submit {
            return;
        }
        self.refresh();
        let fields = self.fields.borrow();
        let Some(f) = fields.iter().find(|f| f.rules.name == name) else {
            return;
        };
        if f.ignored(&self.opts.ignore) {
            return;
        }
        let eager = f.submitted.get() || f.invalid.get();
        let first = &f.controls[0];
        if eager || (leaving && !first.is_checkable() && !first.rule_value().is_empty()) {
            // jquery-validation's `groups`: the group's other fields checked already are
            // checked again first, so that the message shown is this field's if it fails.
            let mut verdicts = Vec::new();
            if let Some(group) = &f.slot().group {
                for other in fields.iter() {
                    let again = other.slot().group.as_ref() == Some(group)
                        && other.rules.name != f.rules.name
                        && (other.submitted.get() || other.invalid.get())
                        && !other.ignored(&self.opts.ignore);
                    if again {
                        verdicts.push((other.rules.name.clone(), other.verdict()));
                    }
                }
            }
            verdicts.push((f.rules.name.clone(), f.verdict()));
            // The fields whose `equalTo` names this one and that were checked already
            // are checked again: "the same value again" may hold, or not, now. And
            // additional-methods' `require_from_group`: checking a field of a group checks
            // every field its selector matches in the form.
            let el: &Element = f.element();
            let mut groups: Vec<&str> = Vec::new();
            for r in &f.rules.rules {
                if let Param::Group(_, selector) = &r.param {
                    groups.push(selector);
                }
            }
            for other in fields.iter() {
                if other.rules.name == f.rules.name {
                    continue;
                }
                let checked = other.submitted.get() || other.invalid.get();
                let mut points_here = false;
                if checked {
                    for r in &other.rules.rules {
                        if let (Method::EqualTo, Param::Text(selector)) = (r.method, &r.param) {
                            points_here |= el.matches(selector).unwrap_or(false);
                        }
                    }
                }
                let mut in_group = false;
                for g in &groups {
                    in_group |= other.element().matches(g).unwrap_or(false);
                }
                if (points_here || in_group) && !other.ignored(&self.opts.ignore) {
                    verdicts.push((other.rules.name.clone(), other.verdict()));
                }
            }
            self.show(&verdicts);
        }
    }

    /// Reads the fields again: the page may have added, removed or changed controls and
    /// their attributes since `bind` (jquery-validation reads them at each validation too).
    /// A field that stays keeps its message and its state; one that went takes its
    /// message with it. Skipped while the fields are in use further up the stack.
    fn refresh(&self) {
        if self.reading.replace(true) {
            return;
        }
        // The fields are not borrowed while `scan` calls the page's functions.
        let fresh = scan(&self.form, &self.opts, false);
        self.reading.set(false);
        let (Ok(mut fresh), Ok(mut fields)) = (fresh, self.fields.try_borrow_mut()) else {
            return;
        };
        let mut old = std::mem::take(&mut *fields);
        for f in &mut fresh {
            if let Some(i) = old.iter().position(|o| o.rules.name == f.rules.name) {
                f.take_state(old.swap_remove(i));
            }
        }
        for gone in &old {
            gone.unbind();
        }
        *fields = fresh;
    }

    /// Moves the focus to the field of the first failed verdict (jquery-validation's
    /// `focusInvalid`: `errorList[0]`), once no field is borrowed (focusing dispatches
    /// focus events to the listener at once).
    fn focus_first_invalid(&self, verdicts: &[(String, Verdict)]) {
        if !self.opts.focus_invalid {
            return;
        }
        let Some((name, _)) = verdicts
            .iter()
            .find(|(_, v)| matches!(v, Verdict::Invalid(..)))
        else {
            return;
        };
        let first = self.field_element(name);
        if let Some(el) = first {
            field::focus(&el);
        }
    }

    /// The first control of the field `name`, if the form has it.
    fn field_element(&self, name: &str) -> Option<web_sys::HtmlElement> {
        let fields = self.fields.borrow();
        let field = fields.iter().find(|f| f.rules.name == name);
        field.map(|f| f.element().clone())
    }

    /// Shows `verdicts` (each a field's, by name) as jquery-validation's `showErrors`
    /// does: through the page's `showErrors(errorMap, errorList)` when it gave one, `this`
    /// being the controller (whose `defaultShowErrors()` shows them as corsform does,
    /// and which has them as `errorMap` and `errorList` too), else at once.
    /// (<https://jqueryvalidation.org/validate/#showerrors>)
    fn show(&self, verdicts: &[(String, Verdict)]) {
        let Some(page) = &self.opts.show_errors else {
            return self.default_show(verdicts);
        };
        let (map, list) =
            super::error::error_map_and_list(verdicts, |name| self.field_element(name));
        *self.shown.borrow_mut() = verdicts.to_vec();
        let controller = self.controller.borrow().clone();
        let _ = js_sys::Reflect::set(&controller, &"errorMap".into(), &map);
        let _ = js_sys::Reflect::set(&controller, &"errorList".into(), &list);
        if let Err(thrown) = page.call2(&controller, &map, &list) {
            report(&thrown);
        }
    }

    /// jquery-validation's `defaultShowErrors`: each verdict shown on its field.
    fn default_show(&self, verdicts: &[(String, Verdict)]) {
        let fields = self.fields.borrow();
        for (name, verdict) in verdicts {
            if let Some(f) = fields.iter().find(|f| f.rules.name == *name) {
                f.show(verdict);
            }
        }
    }

    /// The controller's `defaultShowErrors()`: the verdicts last handed to the page's
    /// `showErrors`, shown as corsform shows them.
    fn show_again(&self) {
        let verdicts = self.shown.borrow().clone();
        self.default_show(&verdicts);
    }

    /// Messages given from outside the rules (the page's `showErrors({name: message})`,
    /// a 422's `errors`), for the fields the form has, shown as [`Bound::show`] does. With
    /// `failed` (a 422), each field counts as failed and is checked from then on as one
    /// that failed; jquery-validation's `showErrors(errors)` changes neither.
    fn show_given(&self, given: Vec<(String, Verdict)>, failed: bool) -> Vec<(String, Verdict)> {
        let fields = self.fields.borrow();
        let mut verdicts = Vec::new();
        for f in fields.iter() {
            if let Some((name, verdict)) = given.iter().find(|(name, _)| *name == f.rules.name) {
                if failed {
                    f.failed.set(true);
                    f.submitted.set(true);
                }
                verdicts.push((name.clone(), verdict.clone()));
            }
        }
        drop(fields);
        self.show(&verdicts);
        verdicts
    }

    /// Asks the `remote` checks the last checks wanted: `GET URL?NAME=VALUE…` (for
    /// `remote: true`, beside where the form posts: `URL/validate`), the field marked with
    /// jquery-validation's `pendingClass` meanwhile.
    fn ask_remote(self: &Rc<Self>) {
        for f in self.fields.borrow().iter() {
            let mut check = f.remote.borrow_mut();
            if check.answer != Answer::Wanted {
                continue;
            }
            check.answer = Answer::Pending;
            let (key, body) = (check.url.clone(), check.body.clone());
            let url = match key.starts_with('?') {
                true => [&self.url(), "/validate", &key].concat(),
                false => key.clone(),
            };
            let (me, name, el) = (self.clone(), f.rules.name.clone(), f.element().clone());
            let _ = el.class_list().add_1(&self.opts.pending_class);
            self.in_flight.set(self.in_flight.get() + 1);
            let controller = web_sys::AbortController::new().ok();
            let signal = controller.as_ref().map(web_sys::AbortController::signal);
            check.abort = controller;
            let asking = async move {
                let answer = submit::ask(&url, body.as_deref(), signal, me.opts.timeout_ms).await;
                me.answered(&name, &key, body.as_deref(), answer, &el);
                Ok(JsValue::UNDEFINED)
            };
            let promise = wasm_bindgen_futures::future_to_promise(asking);
            self.asking.borrow_mut().push(promise);
        }
    }

    /// The `remote` answer for `name`'s request (`key` its URL, and `body`): kept, and
    /// the field checked again with it, unless the field asks something else by now (a
    /// stale or aborted answer is dropped) or the form was unbound. The `pendingClass`
    /// stays while the field awaits a newer answer.
    fn answered(
        self: &Rc<Self>,
        name: &str,
        key: &str,
        body: Option<&str>,
        answer: Answer,
        el: &Element,
    ) {
        let left = self.in_flight.get() - 1;
        self.in_flight.set(left);
        if left == 0 {
            self.asking.borrow_mut().clear();
        }
        let mut fresh = false;
        let mut asking = false;
        let bound = self.listener.borrow().is_some();
        let fields = self.fields.try_borrow();
        let field = match (&fields, bound) {
            (Ok(fields), true) => fields.iter().find(|f| f.rules.name == name),
            _ => None,
        };
        if let Some(f) = field {
            let mut check = f.remote.borrow_mut();
            fresh = check.url == key
                && check.body.as_deref() == body
                && check.answer == Answer::Pending;
            if fresh {
                check.answer = answer;
            }
            asking = check.answer == Answer::Pending;
        }
        if !asking {
            let _ = el.class_list().remove_1(&self.opts.pending_class);
        }
        match field {
            Some(f) if fresh => {
                if !f.ignored(&self.opts.ignore) {
                    self.show(&[(f.rules.name.clone(), f.verdict())]);
                }
            }
            _ => return,
        }
        drop(fields);
        self.ask_remote();
    }

    /// Validates every field (asking the `remote` checks it needs), shows every message,
    /// focuses the first invalid field.
    pub fn validate(self: &Rc<Self>) -> bool {
        self.refresh();
        let fields = self.fields.borrow();
        // Which fields are left out, read before any message is written (jquery-validation
        // too filters the form's elements first): `:hidden` needs the layout, which each
        // write would make the browser compute again. A field without rules is left out too,
        // as jquery-validation's `elements()` leaves it: it gets no `validClass`.
        let mut ignored = Vec::new();
        for f in fields.iter() {
            ignored.push(f.rules.rules.is_empty() || f.ignored(&self.opts.ignore));
        }
        let mut verdicts = Vec::new();
        for (f, ignored) in fields.iter().zip(ignored) {
            let verdict = match ignored {
                // A field left out now loses the message it showed.
                true => {
                    f.failed.set(false);
                    match f.invalid.get() {
                        true => Verdict::Valid,
                        false => continue,
                    }
                }
                false => f.verdict(),
            };
            verdicts.push((f.rules.name.clone(), verdict));
        }
        drop(fields);
        let valid = !verdicts
            .iter()
            .any(|(_, v)| matches!(v, Verdict::Invalid(..)));
        self.show(&verdicts);
        self.focus_first_invalid(&verdicts);
        self.ask_remote();
        valid
    }

    /// jquery-validation's `element(element)`: checks the field of `target` (an element,
    /// or a selector of one in the document) and shows its verdict; whether it is valid.
    /// A field left out (`ignore`, disabled) or a target that is none of the form's fields
    /// is valid. (<https://jqueryvalidation.org/Validator.element/>)
    fn element(self: &Rc<Self>, target: &JsValue) -> bool {
        let Some((name, _)) = named(target) else {
            return true;
        };
        self.refresh();
        let fields = self.fields.borrow();
        let field = fields.iter().find(|f| f.rules.name == name);
        let Some(f) = field.filter(|f| !f.ignored(&self.opts.ignore)) else {
            return true;
        };
        let verdict = f.verdict();
        let valid = !matches!(verdict, Verdict::Invalid(..));
        let verdicts = [(name, verdict)];
        drop(fields);
        self.show(&verdicts);
        self.ask_remote();
        valid
    }

    /// jquery-validation's `$(element).rules(command, argument)`
    /// (<https://jqueryvalidation.org/rules/>) for the field of `target` (an element, or a
    /// selector of one in the document): `"add"` and `"remove"` change the field's entry of
    /// the `rules` option ([`Options::edit_rules`]; `"remove"` answers what it took out);
    /// then, and without a command, answers the field's rules as a validation now reads
    /// them, `{method: param}` (`required` first, `remote` last; a rule whose `depends`
    /// fails left out), or `undefined` for a target that is none of the form's fields.
    /// Throws, changing nothing, on rules `bind` would refuse.
    fn rules(
        self: &Rc<Self>,
        target: &JsValue,
        command: &JsValue,
        argument: &JsValue,
    ) -> Result<JsValue, OptionsError> {
        // jquery-validation changes the rules of the element's form (`element.form`): the
        // element must be one of this form's fields, as `scan` finds them.
        let Some((name, el)) =
            named(target).filter(|(_, el)| controls(&self.form, &self.opts.custom).contains(el))
        else {
            return Ok(JsValue::UNDEFINED);
        };
        if let Some(command) = command.as_string() {
            if let Some(taken) = self.opts.edit_rules(&name, &el, &command, argument)? {
                return Ok(taken);
            }
        }
        self.refresh();
        let Ok(fields) = self.fields.try_borrow() else {
            return Ok(JsValue::UNDEFINED);
        };
        let Some(f) = fields.iter().find(|f| f.rules.name == name) else {
            return Ok(JsValue::UNDEFINED);
        };
        let rules = js_sys::Object::new();
        for r in &f.rules.rules {
            let name = JsValue::from(r.method.name());
            let _ = js_sys::Reflect::set(&rules, &name, &field::param_js(&r.param));
        }
        Ok(rules.into())
    }

    /// jquery-validation's `resetForm()`: the messages, marks and classes corsform added
    /// taken out, the containers hidden, and every field as if never checked (checked
    /// again only once left with a value, its `remote` answers forgotten); the form stays
    /// bound. (<https://jqueryvalidation.org/Validator.resetForm/>)
    fn reset_form(&self) {
        for f in self.fields.borrow().iter() {
            f.unbind();
            f.submitted.set(false);
            f.failed.set(false);
            let check = std::mem::take(&mut *f.remote.borrow_mut());
            if let Some(asked) = check.abort {
                asked.abort();
            }
        }
        self.opts.look.containers.iter().for_each(field::hide);
    }

    /// Validates, waiting for the `remote` answers a valid form still needs (as
    /// jquery-validation holds a submit until its pending requests are answered): whether
    /// the form is valid with them.
    async fn validate_and_wait(self: &Rc<Self>) -> bool {
        let mut valid = self.validate();
        while valid && self.fields.borrow().iter().any(|f| f.pending.get()) {
            let waiting: js_sys::Array = self.asking.borrow().iter().collect();
            if waiting.length() == 0 {
                break;
            }
            let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::all(&waiting)).await;
            valid = self.validate();
        }
        valid
    }

    /// Puts the server's messages (`errors`: `{field: message}`) on the fields it names
    /// and the page shows; returns the others' messages, in the server's order.
    fn show_server_errors(&self, errors: &JsValue) -> Vec<String> {
        let mut messages = Vec::new();
        for (name, message) in super::options::entries(errors) {
            if let Some(message) = message.as_string() {
                messages.push((name, message));
            }
        }
        let fields = self.fields.borrow();
        let mut unplaced = Vec::new();
        for (name, message) in &messages {
            let shown = fields
                .iter()
                .find(|f| f.rules.name == *name)
                .filter(|f| !f.ignored(&self.opts.ignore));
            if shown.is_none() {
                unplaced.push(message.clone());
            }
        }
        drop(fields);
        let mut given = Vec::new();
        for (name, message) in messages {
            given.push((name, Verdict::Invalid(None, message)));
        }
        let verdicts = self.show_given(given, true);
        self.focus_first_invalid(&verdicts);
        unplaced
    }

    /// Lists `messages` in the error panel (a `<ul class="corsform-errors">` at its end,
    /// replacing the previous one), as text.
    fn list_in_error_panel(&self, messages: &[String]) {
        let Some(panel) = &self.opts.panels.error else {
            return;
        };
        if let Ok(Some(old)) = panel.query_selector(":scope > ul.corsform-errors") {
            old.remove();
        }
        let Some(document) = panel.owner_document() else {
            return;
        };
        let Ok(list) = document.create_element("ul") else {
            return;
        };
        let _ = list.set_attribute("class", "corsform-errors");
        for m in messages {
            if let Ok(item) = document.create_element("li") {
                item.set_text_content(Some(m));
                let _ = list.append_child(&item);
            }
        }
        let _ = panel.append_child(&list);
    }

    /// Shows the panels of `stage`, hides the others; then moves the focus to the one
    /// that announces the outcome, so that screen readers read it.
    fn panels(&self, stage: Stage) {
        let p = &self.opts.panels;
        let (main, sending, success, error) = match stage {
            Stage::Sending => (false, true, false, false),
            Stage::Accepted => (false, false, true, false),
            Stage::Rejected => (true, false, false, false),
            Stage::Failed => (true, false, false, true),
        };
        for (panel, visible) in [
            (&p.main, main),
            (&p.sending, sending),
            (&p.success, success),
            (&p.error, error),
        ] {
            if let Some(el) = panel {
                match visible {
                    true => field::show(el),
                    false => field::hide(el),
                }
            }
        }
        let announced = match stage {
            Stage::Accepted => &p.success,
            Stage::Failed => &p.error,
            _ => &None,
        };
        if let Some(el) = announced {
            if !el.has_attribute("tabindex") {
                let _ = el.set_attribute("tabindex", "-1");
            }
            field::focus(el);
        }
    }

    /// Dispatches the `corsform:NAME` event on the form; false if a listener cancelled it.
    fn emit(&self, name: &str, detail: &JsValue, cancelable: bool) -> bool {
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_cancelable(cancelable);
        init.set_detail(detail);
        let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) else {
            return true;
        };
        self.form.dispatch_event(&event).unwrap_or(true)
    }

    /// Calls the callback option `f` (if given) with `arg`, the form as `this`. What it
    /// throws is the page's own error: reported as uncaught, as a jQuery callback's was,
    /// and the submission goes on.
    fn call(&self, f: &Option<Function>, arg: &JsValue) -> JsValue {
        let Some(f) = f else {
            return JsValue::UNDEFINED;
        };
        match f.call1(&self.form, arg) {
            Ok(v) => v,
            Err(thrown) => {
                report(&thrown);
                JsValue::UNDEFINED
            }
        }
    }

    /// Disables the form's submit buttons that are enabled; returns them.
    fn disable_submit_buttons(&self) -> Vec<Element> {
        let mut disabled = Vec::new();
        for el in elements(&self.form) {
            if el.matches(SUBMITS).unwrap_or(false) && !el.has_attribute("disabled") {
                let _ = el.set_attribute("disabled", "");
                disabled.push(el);
            }
        }
        disabled
    }

    /// Reports `err` to the `error` callback and as a `corsform:error` event; returns the
    /// JS error they received.
    fn fail(&self, err: CorsformError) -> JsValue {
        let err = err.to_js();
        self.call(&self.opts.error, &err);
        self.emit("corsform:error", &err, false);
        err
    }

    /// Where to POST: `url`, else the form's `action` attribute (not the `action`
    /// property, which a control named "action" shadows), else the page's own URL, as
    /// HTML's form submission says.
    fn url(&self) -> String {
        if let Some(url) = &self.opts.url {
            return url.clone();
        }
        match self.form.get_attribute("action").filter(|a| !a.is_empty()) {
            Some(action) => action,
            None => self
                .form
                .owner_document()
                .and_then(|d| d.url().ok())
                .unwrap_or_default(),
        }
    }

    /// Validates and sends `submitter`'s form: the whole flow behind a submit. Resolves
    /// with the server's answer, or fails with the JS `CorsformError` (`busy`, `invalid`,
    /// `cancelled`, or how the request failed).
    ///
    /// With a `submitHandler`, a valid submit calls it instead of sending (as
    /// jquery-validation calls it instead of the browser's submission): `this` is the
    /// controller, the arguments the form and the submit `event` (`undefined` for
    /// `controller.submit()`); it resolves with what the handler returns. An invalid submit
    /// calls `invalidHandler(event, controller)`.
    ///
    /// Without `checked`, what `controller.send()` does: [`Bound::send`] alone.
    pub async fn submit(
        self: Rc<Self>,
        submitter: Option<Element>,
        event: Option<Event>,
        checked: bool,
    ) -> Result<JsValue, JsValue> {
        if !checked {
            return self.send(submitter).await;
        }
        self.not_busy()?;
        let event: JsValue = event.map_or(JsValue::UNDEFINED, Into::into);
        // A submit button with `formnovalidate` sends without validating (HTML, and
        // jquery-validation's cancelSubmit).
        let novalidate = submitter
            .as_ref()
            .is_some_and(|b| b.has_attribute("formnovalidate"));
        if !novalidate && !self.validate_and_wait().await {
            if let Some(handler) = &self.opts.invalid_handler {
                let controller = self.controller.borrow().clone();
                if let Err(thrown) = handler.call2(&controller, &event, &controller) {
                    report(&thrown);
                }
            }
            return Err(self.fail(CorsformError::new(Kind::Invalid, "the form has errors")));
        }
        if self.opts.debug {
            web_sys::console::log_1(&"corsform: debug: the form is valid; not sent".into());
            return Ok(JsValue::UNDEFINED);
        }
        if let Some(handler) = &self.opts.submit_handler {
            let controller = self.controller.borrow().clone();
            return handler
                .call2(&controller, &self.form, &event)
                .inspect_err(report);
        }
        self.send(submitter).await
    }

    /// Sends the form as it is, without validating it or calling `submitHandler`: what
    /// `controller.send()` does (from a `submitHandler`, as `form.submit()` or `$.ajax`
    /// did in one). `beforeSend`, the panels, the callbacks and the events as for a submit.
    pub async fn send(self: Rc<Self>, submitter: Option<Element>) -> Result<JsValue, JsValue> {
        let body = self.start(submitter.as_ref())?;
        let headers = self.request_headers();
        let outcome = submit::post(&self.url(), &headers, body, self.opts.timeout_ms).await;
        self.finish(outcome)
    }

    /// The request's headers: the options', plus (with the default headers) this fill's
    /// `Idempotency-Key`, so that a retry after a lost answer is stored once
    /// (corsform-server answers it with the first submission's id).
    fn request_headers(&self) -> web_sys::Headers {
        let Some(key_header) = self.opts.idempotency else {
            return self.opts.headers.clone();
        };
        let headers = web_sys::Headers::new_with_headers(&self.opts.headers)
            .unwrap_or_else(|_| self.opts.headers.clone());
        let key = self
            .fill_key
            .borrow_mut()
            .get_or_insert_with(submit::random_key)
            .clone();
        let _ = headers.set(key_header, &key);
        headers
    }

    /// Refuses a second submission while one is being sent (`kind` `busy`).
    fn not_busy(&self) -> Result<(), JsValue> {
        match self.sending.get() {
            true => {
                let busy = CorsformError::new(Kind::Busy, "a submission is already being sent");
                Err(busy.to_js())
            }
            false => Ok(()),
        }
    }

    /// Before the request: refuses a second submission while one is in flight, asks
    /// `beforeSend` and the `corsform:beforesend` listeners, then marks the form as
    /// sending. The body to send, or the error.
    fn start(&self, submitter: Option<&Element>) -> Result<String, JsValue> {
        self.not_busy()?;
        let body = serialize(&self.form, submitter);
        let body_js = JsValue::from_str(&body);
        if self.call(&self.opts.before_send, &body_js).as_bool() == Some(false)
            || !self.emit("corsform:beforesend", &body_js, true)
        {
            return Err(CorsformError::new(Kind::Cancelled, "cancelled by beforeSend").to_js());
        }
        self.sending.set(true);
        let buttons = self.disable_submit_buttons();
        *self.buttons.borrow_mut() = buttons;
        let _ = self.form.set_attribute("aria-busy", "true");
        self.panels(Stage::Sending);
        Ok(body)
    }

    /// After the request: the form back, the panels, the callbacks and events. What the
    /// submission resolves or fails with.
    fn finish(&self, outcome: Outcome) -> Result<JsValue, JsValue> {
        self.sending.set(false);
        let buttons = self.buttons.take();
        for b in &buttons {
            let _ = b.remove_attribute("disabled");
        }
        let _ = self.form.remove_attribute("aria-busy");
        match outcome {
            Outcome::Accepted(data) => {
                // The next fill of the form is a new submission.
                self.fill_key.borrow_mut().take();
                self.panels(Stage::Accepted);
                self.call(&self.opts.success, &data);
                self.emit("corsform:success", &data, false);
                Ok(data)
            }
            Outcome::Rejected(errors, err) => {
                // The form shown first: whether a field is shown decides where its
                // message goes.
                self.panels(Stage::Rejected);
                let unplaced = self.show_server_errors(&errors);
                match unplaced.is_empty() {
                    true => {}
                    false => {
                        // Messages no field of the page can show go into the error panel,
                        // as text, so that every one reaches the visitor.
                        self.list_in_error_panel(&unplaced);
                        self.panels(Stage::Failed);
                    }
                }
                Err(self.fail(err))
            }
            Outcome::Failed(err) => {
                self.panels(Stage::Failed);
                Err(self.fail(err))
            }
        }
    }

    /// Removes the listener, the messages and the attributes `bind` added. A request in
    /// flight ends as usual.
    pub fn destroy(&self) {
        let listener = self.listener.borrow_mut().take();
        if let Some(listener) = listener {
            listener.remove();
            // Removed from the form now, freed once the current call into the wasm has
            // returned: `destroy` may run inside that very listener (a page's handler of
            // an event corsform dispatched), and a closure is never freed while it runs.
            wasm_bindgen_futures::spawn_local(async move { drop(listener) });
        }
        for f in self.fields.borrow().iter() {
            f.unbind();
        }
        // The controller's closures hold this form: let them go with the page's copy.
        *self.controller.borrow_mut() = JsValue::UNDEFINED;
        self.form.set_no_validate(self.had_novalidate);
    }
}

/// Reports `thrown` as the browser reports an uncaught error (`reportError`), so that the
/// page's own error in a callback is seen, not swallowed.
pub fn report(thrown: &JsValue) {
    let global = js_sys::global();
    if let Ok(report) = js_sys::Reflect::get(&global, &"reportError".into()) {
        if let Some(report) = report.dyn_ref::<Function>() {
            let _ = report.call1(&global, thrown);
        }
    }
}

/// The elements of `form` jquery-validation's `elements()` validates, in document order:
/// its `<input>`, `<select>` and `<textarea>` controls (`form.elements`, which holds the
/// controls outside it that name it in their `form` attribute too), and the elements that
/// are `[contenteditable]` (not `"false"`) or that `custom` selects (the `customElements`
/// option's selectors, each after a comma), inside it, or outside it in `form.elements`
/// (a form-associated custom element). Each of these must belong to the form as
/// jquery-validation requires: a contenteditable's nearest `<form>` is `form`, another
/// element's `form` property (a form-associated custom element's class defines it) is
/// `form`.
fn controls(form: &HtmlFormElement, custom: &str) -> Vec<Element> {
    let mut list = Vec::new();
    let mut others = match form.query_selector_all(&["[contenteditable]", custom].concat()) {
        Ok(found) => items(&found),
        Err(_) => Vec::new(),
    };
    for el in elements(form) {
        if Control::of(&el).is_some() {
            list.push(el);
        } else if !custom.is_empty() && el.matches(&custom[1..]).unwrap_or(false) {
            others.push(el);
        }
    }
    let form: &JsValue = form.as_ref();
    for el in others {
        let editable = field::editable(&el);
        let owner = match editable {
            true => el.closest("form").ok().flatten().into(),
            false => js_sys::Reflect::get(&el, &"form".into()).unwrap_or_default(),
        };
        if owner != *form || list.contains(&el) {
            continue;
        }
        if editable {
            // jquery-validation gives a contenteditable field the `form` and `name`
            // properties a control has, which the page's callbacks may read.
            let name = el.get_attribute("name").unwrap_or_default();
            let _ = js_sys::Reflect::set(&el, &"form".into(), form);
            let _ = js_sys::Reflect::set(&el, &"name".into(), &name.into());
        }
        // Before the first one it precedes.
        let at = list.iter().position(|o| {
            el.compare_document_position(o) & web_sys::Node::DOCUMENT_POSITION_FOLLOWING != 0
        });
        list.insert(at.unwrap_or(list.len()), el);
    }
    list
}

/// The element `target` names (an element, or a selector of one in the document), and
/// its `name` attribute, if it has one.
fn named(target: &JsValue) -> Option<(String, Element)> {
    let target = match target.as_string() {
        Some(selector) => web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(&selector).ok().flatten()),
        None => target.dyn_ref::<Element>().cloned(),
    }?;
    Some((target.get_attribute("name")?, target))
}

/// The form's fields now, with their rules: the HTML attributes, `data-rule-*`, then the
/// options' rules and messages. `strict` (at `bind`) refuses options naming a field the
/// form doesn't have and a `pattern` that doesn't compile; later reads pass over them (the
/// page may have removed the field; the HTML standard ignores a bad `pattern`).
fn scan(form: &HtmlFormElement, opts: &Options, strict: bool) -> Result<Vec<Field>, OptionsError> {
    let mut fields: Vec<Field> = Vec::new();
    for el in controls(form, &opts.custom) {
        let c = Control::any(&el);
        let name = c.name();
        if name.is_empty() || c.is_button() || c.input_type() == "hidden" {
            continue;
        }
        match fields.iter_mut().find(|f| f.rules.name == name) {
            Some(f) => f.controls.push(c),
            None => {
                let slot = opts.slot(&name);
                fields.push(Field::new(c, name, opts.look.clone(), slot))
            }
        }
    }
    let missing = |section: &str, name: &str| {
        OptionsError::format(
            "{0}.{1}: the form has no field named \"{1}\"",
            &[section, name],
        )
    };
    // The options' rules override the attributes'. (Messages: the options', then the
    // element's own, read when one is needed.)
    // A copy: the rules' functions may call the controller's `rules()`, which changes them.
    let rules = opts.rules.borrow().clone();
    for (name, entry) in &rules {
        match fields.iter_mut().find(|f| &f.rules.name == name) {
            Some(f) => {
                let spec = super::options::field_rules(entry, f.element());
                f.rules.apply_rules(&spec, &field::js_number)?
            }
            None if strict => return Err(missing("rules", name)),
            None => {}
        }
    }
    for (name, spec, calls) in opts.messages.borrow().iter() {
        match fields.iter_mut().find(|f| &f.rules.name == name) {
            Some(f) => {
                f.rules.apply_messages(spec)?;
                for (method, call) in calls {
                    let method = f.rules.method("messages", method)?;
                    f.message_calls.push((method, call.clone()));
                }
            }
            None if strict => return Err(missing("messages", name)),
            None => {}
        }
    }
    for f in &mut fields {
        match f.compile_pattern() {
            Err(e) if strict => return Err(e),
            _ => {}
        }
    }
    Ok(fields)
}
