//! The `options` object of `bind(form, options)`, read once, at bind, into typed values.
//!
//! `rules` and `messages` are read into the core's shapes ([`RulesOptions`]) by this small
//! reader over js-sys, not by serde-wasm-bindgen's deserializer, which would weigh more
//! than the rest of the client (see BENCHMARKS.md). Errors name the path and what was
//! expected: `rules.message.minlength must be a number, not a string`.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, Headers};

use super::field::{Look, Slot};
use crate::options::{Entries, FieldMessagesSpec, FieldRulesSpec, ParamSpec};
use crate::OptionsError;

/// The default `timeout`, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u32 = 15_000;

/// The options `bind` knows, in the order [`Options::read`] takes them. (The `.d.ts`'s
/// `CorsformOptions` is checked against this list by a test, and [`KNOWN_OPTIONS`] too.)
pub const OPTION_NAMES: [&str; 37] = [
    "rules",
    "messages",
    "panels",
    "url",
    "headers",
    "timeout",
    "beforeSend",
    "success",
    "error",
    "ignore",
    "submitHandler",
    "invalidHandler",
    "focusInvalid",
    "errorClass",
    "validClass",
    "errorElement",
    "highlight",
    "unhighlight",
    "errorPlacement",
    "onfocusout",
    "onkeyup",
    "onclick",
    "normalizer",
    "focusCleanup",
    "groups",
    "pendingClass",
    "errorContainer",
    "errorLabelContainer",
    "wrapper",
    "showErrors",
    "onsubmit",
    "ignoreTitle",
    "escapeHtml",
    "onfocusin",
    "ariaDescribedByCleanup",
    "debug",
    "customElements",
];

/// [`OPTION_NAMES`] as an error message lists them.
pub const KNOWN_OPTIONS: &str =
    "rules, messages, panels, url, headers, timeout, beforeSend, success, error, ignore, \
     submitHandler, invalidHandler, focusInvalid, errorClass, validClass, errorElement, \
     highlight, unhighlight, errorPlacement, onfocusout, onkeyup, onclick, normalizer, \
     focusCleanup, groups, pendingClass, errorContainer, errorLabelContainer, wrapper, \
     showErrors, onsubmit, ignoreTitle, escapeHtml, onfocusin, ariaDescribedByCleanup, debug, \
     customElements";

/// The seed's four panels, each optional.
#[derive(Default)]
pub struct Panels {
    /// Holds the form; hidden while sending and after success.
    pub main: Option<Element>,
    /// Shown while the request is in flight.
    pub sending: Option<Element>,
    /// Shown when the server accepted the submission.
    pub success: Option<Element>,
    /// Shown when it could not be delivered.
    pub error: Option<Element>,
}

/// A field's entry of `messages`: its name, the entry in the core's shapes, and its
/// functions by method name.
pub type FieldMessages = (String, FieldMessagesSpec, Vec<(String, Function)>);

/// Everything `bind` was told, checked.
pub struct Options {
    /// `rules`, each field's entry as the page gave it: functions and `depends` are
    /// evaluated for the element at each validation ([`field_rules`]). The controller's
    /// `rules("add" | "remove", …)` changes them ([`Options::edit_rules`]).
    pub rules: RefCell<Vec<(String, JsValue)>>,
    /// `messages`, each field's entry in the core's shapes, and its function-valued
    /// entries apart: `(method, function(parameters, element))`; the first entry of a
    /// field that has a message for a method wins.
    pub messages: RefCell<Vec<FieldMessages>>,
    /// `panels`.
    pub panels: Panels,
    /// `url`: where to POST, instead of the form's `action`.
    pub url: Option<String>,
    /// The request headers: the content type, and `X-Requested-With: XMLHttpRequest`
    /// unless `headers` replaced it.
    pub headers: Headers,
    /// `timeout`, in milliseconds.
    pub timeout_ms: u32,
    /// `beforeSend(body)`: returning `false` cancels.
    pub before_send: Option<Function>,
    /// `success(data)`.
    pub success: Option<Function>,
    /// `error(err)`.
    pub error: Option<Function>,
    /// `ignore`: which fields are not validated.
    pub ignore: Ignore,
    /// The header that carries each fill's idempotency key: `Idempotency-Key` with the
    /// default headers, none when `headers` replaced them.
    pub idempotency: Option<&'static str>,
    /// `submitHandler(form, event)`: called on a valid submit instead of sending; `this`
    /// is the controller, whose `send()` sends.
    pub submit_handler: Option<Function>,
    /// `invalidHandler(event, controller)`: called on an invalid submit.
    pub invalid_handler: Option<Function>,
    /// `focusInvalid`: the first invalid field gets the focus (default true).
    pub focus_invalid: bool,
    /// `errorClass`, `validClass`, `errorElement`, `highlight`, `unhighlight`,
    /// `errorPlacement`, `success`.
    pub look: std::rc::Rc<Look>,
    /// `onfocusout`, `onkeyup` (each `input`), `onclick` (each `change`).
    pub on_focusout: Trigger,
    /// See [`Options::on_focusout`].
    pub on_keyup: Trigger,
    /// See [`Options::on_focusout`].
    pub on_click: Trigger,
    /// `onfocusin` (each `focusin`): its default hides the message with `focusCleanup`.
    pub on_focusin: Trigger,
    /// `groups`: each grouped field's name and its group's message slot.
    pub groups: Vec<(String, Rc<Slot>)>,
    /// `pendingClass`: a control's class while its `remote` check is asked (`"pending"`).
    pub pending_class: String,
    /// `showErrors(errorMap, errorList)`: shows the verdicts instead of corsform, `this`
    /// being the controller (whose `defaultShowErrors()` shows them as corsform would).
    pub show_errors: Option<Function>,
    /// `onsubmit`: a submit validates first (default true); `false` sends without
    /// validating (jquery-validation then leaves the submit to the page).
    pub on_submit: bool,
    /// `debug`: a submit validates and shows the messages, and is never sent nor given
    /// to `submitHandler` (jquery-validation's debug mode, for trying a form's rules).
    pub debug: bool,
    /// `customElements`: its selectors, each after a comma (`",my-input,x-editor"`), or
    /// "": the elements they select in the form are validated too.
    pub custom: String,
}

impl Options {
    /// Where the message of the field `name` goes: its group's slot, or one of its own.
    pub fn slot(&self, name: &str) -> Rc<Slot> {
        let group = self.groups.iter().rev().find(|(n, _)| n == name);
        group.map_or_else(Rc::default, |(_, slot)| slot.clone())
    }

    /// jquery-validation's `$(element).rules(command, argument)`
    /// (<https://jqueryvalidation.org/rules/>) on the field `name`'s entries of `rules` and
    /// `messages`:
    /// - `"add"`: `argument`'s rules (an object, or method names between white space)
    ///   merged over the field's entry of `rules`, and its `messages` (an object, or one
    ///   string for every method) before the field's other messages; answers `None`. The
    ///   rules are checked for `element` as `bind` checks them: an unknown method, a
    ///   parameter of the wrong type or a message that is not a string is an error, and
    ///   changes nothing.
    /// - `"remove"`: without `argument`, the field's entry of `rules` taken out; with method
    ///   names between white space, those methods taken out of it. Answers what was
    ///   taken out, `{method: param}`. Rules from the element's attributes stay.
    ///
    /// Any other command changes nothing and answers `None`.
    pub fn edit_rules(
        &self,
        name: &str,
        element: &Element,
        command: &str,
        argument: &JsValue,
    ) -> Result<Option<JsValue>, OptionsError> {
        // Not borrowed while the page's functions run (`depends`, which may call `rules()`).
        let given = self
            .rules
            .borrow()
            .iter()
            .find(|(n, _)| n == name)
            .map(|r| r.1.clone());
        // jquery-validation's `normalizeRule`: `"required email"` is `{required: true,
        // email: true}`; an object is copied (the page's own is left as it is).
        let merge = |into: &Object, v: &JsValue| match v.as_string() {
            Some(names) => {
                for method in crate::pieces(&names, crate::number::is_js_space) {
                    let _ = js_sys::Reflect::set(into, &method.into(), &JsValue::TRUE);
                }
            }
            None if is_plain_object(v) => {
                Object::assign(into, v.unchecked_ref());
            }
            None => {}
        };
        let entry = Object::new();
        if let Some(v) = &given {
            merge(&entry, v);
        }
        let taken = match command {
            "add" => {
                merge(&entry, argument);
                let key = &JsValue::from("messages");
                let given = js_sys::Reflect::get(&entry, key).unwrap_or_default();
                let _ = js_sys::Reflect::delete_property(&entry, key);
                let mut check = crate::FieldRules {
                    name: name.to_owned(),
                    ..Default::default()
                };
                check.apply_rules(&field_rules(&entry, element), &super::field::js_number)?;
                let field = Object::new();
                if !is_nullish(&given) {
                    let _ = js_sys::Reflect::set(&field, &name.into(), &given);
                }
                let mut e = Reader::default();
                let added = messages(&mut e, &field);
                if let Some(first) = e.first {
                    return Err(first);
                }
                for (_, spec, calls) in &added {
                    check.apply_messages(spec)?;
                    for (method, _) in calls {
                        check.method("messages", method)?;
                    }
                }
                // Before the field's earlier messages: the ones added win, as `$.extend`.
                self.messages.borrow_mut().splice(0..0, added);
                None
            }
            "remove" => match argument.as_string().filter(|m| !m.is_empty()) {
                None => {
                    self.rules.borrow_mut().retain(|(n, _)| n != name);
                    return Ok(Some(entry.into()));
                }
                Some(methods) => {
                    let taken = Object::new();
                    for method in crate::pieces(&methods, crate::number::is_js_space) {
                        let method = &JsValue::from(method);
                        let v = js_sys::Reflect::get(&entry, method).unwrap_or_default();
                        let _ = js_sys::Reflect::set(&taken, method, &v);
                        let _ = js_sys::Reflect::delete_property(&entry, method);
                    }
                    Some(taken.into())
                }
            },
            _ => return Ok(None),
        };
        let mut rules = self.rules.borrow_mut();
        match rules.iter_mut().find(|(n, _)| n == name) {
            Some(r) => r.1 = entry.into(),
            None => rules.push((name.to_owned(), entry.into())),
        }
        Ok(taken)
    }
}

/// jquery-validation's `groups`: `{group: "first last"}` (names between white space) or
/// `{group: ["first", "last"]}`; a field named in two groups is in the last.
fn groups(e: &mut Reader, v: &JsValue) -> Vec<(String, Rc<Slot>)> {
    let mut out = Vec::new();
    for (group, names) in e.object("groups", v) {
        // `names.split(/\s/)` for a string, the array's items (its strings) for an array.
        let mut list = Vec::new();
        match names.as_string() {
            Some(text) => {
                for name in crate::pieces(&text, crate::number::is_js_space) {
                    list.push(name.to_owned());
                }
            }
            None if Array::is_array(&names) => {
                for name in names.unchecked_ref::<Array>().iter() {
                    if let Some(name) = name.as_string() {
                        list.push(name);
                    }
                }
            }
            None => {
                e.must(
                    &["groups.", &group].concat(),
                    "a string of field names",
                    &names,
                );
                continue;
            }
        }
        let slot = Rc::new(Slot::group(group));
        for name in list {
            out.push((name, slot.clone()));
        }
    }
    out
}

/// jquery-validation's `customElements`: an array of selectors of elements validated
/// besides the form's controls and `[contenteditable]` ones, read as [`Options::custom`].
fn custom_elements(e: &mut Reader, v: &JsValue) -> String {
    let mut custom = String::new();
    if is_nullish(v) {
        return custom;
    }
    if !Array::is_array(v) {
        e.must("customElements", "an array of selectors", v);
        return custom;
    }
    let list: &Array = v.unchecked_ref();
    for i in 0..list.length() {
        let selector = list.get_unchecked(i);
        match selector.as_string() {
            Some(selector) => {
                custom.push(',');
                custom.push_str(&selector);
            }
            None => {
                let at = super::submit::decimal(f64::from(i));
                e.must(
                    &["customElements[", &at, "]"].concat(),
                    "a selector",
                    &selector,
                );
            }
        }
    }
    custom
}

/// What one of jquery-validation's `onfocusout`, `onkeyup`, `onclick` options says.
pub enum Trigger {
    /// Not given: jquery-validation's lazy-then-eager checks.
    Default,
    /// `false`: no check on that event.
    Off,
    /// A function, called instead with the control and the event (`this`: the
    /// controller).
    Call(Function),
}

/// jquery-validation's `ignore` option: a selector list of the fields not validated,
/// `":hidden"` by default (fields the page hides: no layout box). `":hidden"` is jQuery's
/// own pseudo-class, kept apart; the other selectors are CSS.
#[derive(Default)]
pub struct Ignore {
    /// `:hidden` is in the list.
    pub hidden: bool,
    /// The other selectors, joined with commas; empty for none.
    pub selectors: String,
}

impl Ignore {
    /// Reads a selector list.
    fn parse(list: &str) -> Ignore {
        let mut ignore = Ignore::default();
        // Each selector without the white space around it (JavaScript's `\s`, which
        // holds CSS's).
        let space = crate::number::is_js_space;
        for part in crate::pieces(list, |c| c == ',')
            .map(|p| p.trim_matches(space))
            .filter(|p| !p.is_empty())
        {
            if part == ":hidden" {
                ignore.hidden = true;
            } else {
                if !ignore.selectors.is_empty() {
                    ignore.selectors.push(',');
                }
                ignore.selectors.push_str(part);
            }
        }
        ignore
    }
}

/// "`path` must be `what`, not (what `v` is)".
fn must(path: &str, what: &str, v: &JsValue) -> OptionsError {
    OptionsError::format("{0} must be {1}, not {2}", &[path, what, param(v).kind()])
}

fn is_nullish(v: &JsValue) -> bool {
    v.is_null() || v.is_undefined()
}

/// An object that is neither an array nor a function.
fn is_plain_object(v: &JsValue) -> bool {
    v.is_object() && !Array::is_array(v) && !v.is_function()
}

/// An object's own enumerable `[key, value]` pairs, in order.
pub fn entries(v: &JsValue) -> Vec<(String, JsValue)> {
    let mut out = Vec::new();
    for pair in Object::entries(v.unchecked_ref()).iter() {
        let pair: Array = pair.unchecked_into();
        let key = pair.get_unchecked(0).as_string().unwrap_or_default();
        out.push((key, pair.get_unchecked(1)));
    }
    out
}

/// The entries of the option at `path`, which must be a plain object (or `null`).
fn object(path: &str, v: &JsValue) -> Result<Vec<(String, JsValue)>, OptionsError> {
    match v {
        v if is_nullish(v) => Ok(Vec::new()),
        v if is_plain_object(v) => Ok(entries(v)),
        v => Err(must(path, "an object", v)),
    }
}

/// A JS value as a rule's parameter; numbers as `String(n)` writes them.
pub fn param(v: &JsValue) -> ParamSpec {
    if is_nullish(v) {
        ParamSpec::Null
    } else if let Some(b) = v.as_bool() {
        ParamSpec::Bool(b)
    } else if let Some(s) = v.as_string() {
        ParamSpec::Text(s)
    } else if let Some(n) = v.as_f64() {
        ParamSpec::Number(super::submit::decimal(n))
    } else if Array::is_array(v) {
        let mut items = Vec::new();
        for item in v.unchecked_ref::<Array>().iter() {
            items.push(param(&item));
        }
        ParamSpec::List(items)
    } else if v.is_function() {
        ParamSpec::Other("a function")
    } else if v.is_object() {
        let mut fields = Vec::new();
        for (k, v) in entries(v) {
            fields.push((k, param(&v)));
        }
        ParamSpec::Object(Entries(fields))
    } else {
        ParamSpec::Other("a symbol")
    }
}

/// A parameter back as a JS value, for a custom method: numbers by the engine's
/// `Number`, arrays and plain objects rebuilt.
pub fn to_js(p: &ParamSpec) -> JsValue {
    match p {
        ParamSpec::Null | ParamSpec::Other(_) => JsValue::NULL,
        ParamSpec::Bool(b) => JsValue::from_bool(*b),
        ParamSpec::Number(t) => super::field::js_number(t).into(),
        ParamSpec::Text(t) => t.into(),
        ParamSpec::List(items) => items.iter().map(to_js).collect::<Array>().into(),
        ParamSpec::Object(Entries(entries)) => {
            let o = Object::new();
            for (k, v) in entries {
                let _ = js_sys::Reflect::set(&o, &k.into(), &to_js(v));
            }
            o.into()
        }
    }
}

/// `messages`, each field's entry in the core's shapes; a method's function
/// (`{required: function(parameters, element) {…}}`) kept apart, to be called when the
/// message is needed. A function for a whole field is read as jquery-validation's
/// `customMessage` reads it (`m.constructor === String ? m : m[method]`): by its own
/// properties, which a plain function has none of.
fn messages(e: &mut Reader, v: &JsValue) -> Vec<FieldMessages> {
    let mut messages = Vec::new();
    for (field, v) in e.object("messages", v) {
        let mut calls = Vec::new();
        let spec = if v.is_function() || is_plain_object(&v) {
            let mut texts = Vec::new();
            for (method, m) in entries(&v) {
                match m.dyn_into::<Function>() {
                    Ok(f) => calls.push((method, f)),
                    Err(m) => texts.push((method, param(&m))),
                }
            }
            FieldMessagesSpec::PerMethod(Entries(texts))
        } else {
            match param(&v) {
                ParamSpec::Text(message) => FieldMessagesSpec::All(message),
                other => FieldMessagesSpec::Other(other),
            }
        };
        messages.push((field, spec, calls));
    }
    messages
}

/// A field's entry of `rules` read for `element`, as jquery-validation's `normalizeRules`
/// reads it: a function parameter is called with the element (`required: function(el)
/// {…}`), and `{param, depends}` keeps the rule only when `depends` holds (a function of
/// the element, or a selector matching something in the form); `param` defaults to `true`.
pub fn field_rules(entry: &JsValue, element: &Element) -> FieldRulesSpec {
    match param(entry) {
        ParamSpec::Text(names) => FieldRulesSpec::Names(names),
        ParamSpec::Object(_) => {
            let mut params = Vec::new();
            for (method, v) in entries(entry) {
                let p = rule_param(&v, element, method == "remote");
                params.push((method, p));
            }
            FieldRulesSpec::Params(Entries(params))
        }
        other => FieldRulesSpec::Other(other),
    }
}

/// One rule's parameter for `element`: see [`field_rules`].
/// For `remote` (`remote` true), the functions of its `data` are called, as jQuery's
/// `$.param` calls them.
fn rule_param(v: &JsValue, element: &Element, remote: bool) -> ParamSpec {
    let given = |key: &str| {
        let v = js_sys::Reflect::get(v, &key.into()).unwrap_or_default();
        (!v.is_undefined()).then_some(v)
    };
    let mut value = v.clone();
    if is_plain_object(v) && (given("param").is_some() || given("depends").is_some()) {
        let keep = match given("depends") {
            Some(d) if d.is_function() => d
                .unchecked_ref::<Function>()
                .call1(element, element)
                .is_ok_and(|r| r.is_truthy()),
            Some(d) => d.as_string().is_some_and(|selector| {
                let form = js_sys::Reflect::get(element, &"form".into()).unwrap_or_default();
                form.dyn_ref::<Element>()
                    .and_then(|f| f.query_selector(&selector).ok().flatten())
                    .is_some()
            }),
            None => true,
        };
        if !keep {
            return ParamSpec::Bool(false);
        }
        value = given("param").unwrap_or(JsValue::TRUE);
    }
    if value.is_function() {
        value = value
            .unchecked_ref::<Function>()
            .call1(&JsValue::NULL, element)
            .unwrap_or(JsValue::FALSE);
    }
    let data = match remote && is_plain_object(&value) {
        true => js_sys::Reflect::get(&value, &"data".into()).unwrap_or_default(),
        false => JsValue::UNDEFINED,
    };
    if is_plain_object(&data) {
        let called = Object::new();
        for (k, v) in entries(&data) {
            let v = match v.dyn_ref::<Function>() {
                Some(f) => f.call0(&JsValue::NULL).unwrap_or_default(),
                None => v,
            };
            let _ = js_sys::Reflect::set(&called, &k.into(), &v);
        }
        let copy = Object::assign(&Object::new(), value.unchecked_ref());
        let _ = js_sys::Reflect::set(&copy, &"data".into(), &called);
        value = copy.into();
    }
    param(&value)
}

/// An element given as a selector or as the element itself; `what` names the option.
pub fn element(what: &str, v: &JsValue) -> Result<Element, OptionsError> {
    if let Some(el) = v.dyn_ref::<Element>() {
        return Ok(el.clone());
    }
    let Some(selector) = v.as_string() else {
        return Err(must(what, "a selector or an element", v));
    };
    let found = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(&selector).ok().flatten());
    found.ok_or_else(|| OptionsError::format("{0}: no element matches \"{1}\"", &[what, &selector]))
}

/// The elements `v` names, as jQuery's `$(v)` finds them: a selector (every match), an
/// element, or a jQuery object or array of elements; none for `null`.
#[inline(never)]
fn elements(e: &mut Reader, what: &str, v: &JsValue) -> Vec<Element> {
    let list = match v {
        v if is_nullish(v) => return Vec::new(),
        v if v.is_instance_of::<Element>() => return vec![v.clone().unchecked_into()],
        v => match v.as_string() {
            Some(selector) => {
                let found = web_sys::window()
                    .and_then(|w| w.document()?.query_selector_all(&selector).ok());
                let Some(found) = found else {
                    e.keep(OptionsError::format(
                        "{0}: \"{1}\" is not a valid selector",
                        &[what, &selector],
                    ));
                    return Vec::new();
                };
                found.into()
            }
            // Array-like: a jQuery object, an array.
            None if v.is_object() => v.clone(),
            None => {
                e.must(what, "a selector, an element or a jQuery object", v);
                return Vec::new();
            }
        },
    };
    let mut out = Vec::new();
    for item in Array::from(&list).iter() {
        if let Ok(el) = item.dyn_into() {
            out.push(el);
        }
    }
    out
}

/// The panels given as `panels` (an object, or `null`).
fn panels(e: &mut Reader, v: &JsValue) -> Panels {
    let mut p = Panels::default();
    for (key, value) in e.object("panels", v) {
        let slot = match key.as_str() {
            "main" => &mut p.main,
            "sending" => &mut p.sending,
            "success" => &mut p.success,
            "error" => &mut p.error,
            _ => {
                e.keep(OptionsError::format(
                    "unknown panel \"{0}\" (known: main, sending, success, error)",
                    &[&key],
                ));
                continue;
            }
        };
        if !is_nullish(&value) {
            match element(&["panels.", &key].concat(), &value) {
                Ok(el) => *slot = Some(el),
                Err(err) => e.keep(err),
            }
        }
    }
    p
}

/// The request headers: the urlencoded content type, then `given` (which may replace it),
/// or `X-Requested-With: XMLHttpRequest` when `given` is `null`. Refuses what is not an
/// object of strings, and a name or value the Fetch standard does not allow.
fn headers(e: &mut Reader, given: &JsValue) -> Option<Headers> {
    let Ok(h) = Headers::new() else {
        e.keep(OptionsError("headers: unsupported".into()));
        return None;
    };
    let set = |e: &mut Reader, name: &str, value: &str, at: &str| {
        if h.set(name, value).is_err() {
            e.keep(OptionsError::format("{0}: not a valid HTTP header", &[at]));
        }
    };
    set(e, "Content-Type", super::submit::CONTENT_TYPE, "headers");
    if is_nullish(given) {
        set(e, "X-Requested-With", "XMLHttpRequest", "headers");
    }
    for (name, value) in e.object("headers", given) {
        let at = ["headers.", &name].concat();
        match value.as_string() {
            Some(value) => set(e, &name, &value, &at),
            None => e.must(&at, "a string", &value),
        }
    }
    Some(h)
}

/// Reads the options one by one, keeping the first error. Reading goes on after an
/// error, each wrong option taking its default (reading changes nothing on the page), so
/// that [`Options::read`] has one way out for errors, after the last option: the first
/// error in the order the options are read.
#[derive(Default)]
struct Reader {
    first: Option<OptionsError>,
}

impl Reader {
    /// Keeps `e`, unless an error came before it.
    fn keep(&mut self, e: OptionsError) {
        self.first.get_or_insert(e);
    }

    /// Keeps "`path` must be `what`, not (what `v` is)", unless an error came before it.
    fn must(&mut self, path: &str, what: &str, v: &JsValue) {
        if self.first.is_none() {
            self.first = Some(must(path, what, v));
        }
    }

    /// The entries of the option at `path`, which must be a plain object (or `null`).
    fn object(&mut self, path: &str, v: &JsValue) -> Vec<(String, JsValue)> {
        object(path, v).unwrap_or_else(|e| {
            self.keep(e);
            Vec::new()
        })
    }

    /// A callback option: a function, or `null`.
    fn callback(&mut self, name: &str, v: &JsValue) -> Option<Function> {
        match v {
            v if is_nullish(v) => None,
            v if v.is_function() => Some(v.clone().unchecked_into()),
            v => {
                self.must(name, "a function", v);
                None
            }
        }
    }

    /// A string option (`what` says which kind), `default` when not given.
    fn text(&mut self, name: &str, what: &str, v: &JsValue, default: &str) -> String {
        match v {
            v if is_nullish(v) => default.to_owned(),
            v => v.as_string().unwrap_or_else(|| {
                self.must(name, what, v);
                String::new()
            }),
        }
    }

    /// `true` or `false`, `default` when not given.
    fn flag(&mut self, name: &str, v: &JsValue, default: bool) -> bool {
        match v {
            v if is_nullish(v) => default,
            v => v.as_bool().unwrap_or_else(|| {
                self.must(name, "true or false", v);
                false
            }),
        }
    }

    /// Refuses `list`, a selector list given as the option `name`, if the browser can't
    /// parse it: now, not at each validation.
    fn selectors(&mut self, name: &str, list: &str) {
        let probe = web_sys::window().and_then(|w| w.document());
        if let Some(document) = probe {
            if document.query_selector(list).is_err() {
                self.keep(OptionsError::format(
                    "{0}: \"{1}\" is not a valid selector",
                    &[name, list],
                ));
            }
        }
    }

    /// One of `onfocusin`, `onfocusout`, `onkeyup`, `onclick`.
    fn trigger(&mut self, name: &str, v: &JsValue) -> Trigger {
        match v {
            v if is_nullish(v) || *v == JsValue::TRUE => Trigger::Default,
            v if *v == JsValue::FALSE => Trigger::Off,
            v if v.is_function() => Trigger::Call(v.clone().unchecked_into()),
            v => {
                self.must(name, "false or a function", v);
                Trigger::Default
            }
        }
    }
}

impl Options {
    /// Reads `options` (`undefined` and `null` mean all defaults, as they do for each
    /// option). Refuses a value of the wrong type, naming it; an option it doesn't know is
    /// named in one `console.warn` and otherwise ignored.
    pub fn read(options: &JsValue) -> Result<Options, OptionsError> {
        let mut given: [JsValue; 37] = std::array::from_fn(|_| JsValue::UNDEFINED);
        for (key, v) in object("options", options)? {
            let Some(i) = OPTION_NAMES.iter().position(|n| *n == key) else {
                // A page written for jquery-validation passes options corsform doesn't
                // read: the form still works, and a typo stays visible in the console.
                let warning = OptionsError::format(
                    "corsform: unknown option \"{0}\" is ignored (known: {1})",
                    &[&key, KNOWN_OPTIONS],
                );
                web_sys::console::warn_1(&warning.0.into());
                continue;
            };
            given[i] = v;
        }
        let [rules, messages, panels_, url, headers_, timeout, before_send, success, error, ignore, submit_handler, invalid_handler, focus_invalid, error_class, valid_class, error_element, highlight, unhighlight, error_placement, on_focusout, on_keyup, on_click, normalizer, focus_cleanup, groups_, pending_class, error_container, error_label_container, wrapper, show_errors, on_submit, ignore_title, escape_html, on_focusin, aria_cleanup, debug, custom_elements_] =
            &given;
        let mut e = Reader::default();
        // jquery-validation's `escapeHtml`: corsform always inserts messages as text, as
        // `escapeHtml: true` does; the option is only checked.
        e.flag("escapeHtml", escape_html, false);
        let label_containers = elements(&mut e, "errorLabelContainer", error_label_container);
        let look = Look {
            error_class: e.text("errorClass", "a string", error_class, "error"),
            valid_class: e.text("validClass", "a string", valid_class, "valid"),
            error_element: e.text("errorElement", "a string", error_element, "label"),
            highlight: e.callback("highlight", highlight),
            unhighlight: e.callback("unhighlight", unhighlight),
            error_placement: e.callback("errorPlacement", error_placement),
            normalizer: e.callback("normalizer", normalizer),
            focus_cleanup: e.flag("focusCleanup", focus_cleanup, false),
            ignore_title: e.flag("ignoreTitle", ignore_title, false),
            aria_cleanup: e.flag("ariaDescribedByCleanup", aria_cleanup, false),
            // `success` is two options in one name: a string is jquery-validation's (the
            // class of a valid field's message), a function the transport's, as `$.ajax`
            // called it with the server's answer.
            success: success.as_string(),
            wrapper: e.text("wrapper", "a string", wrapper, ""),
            label_container: label_containers.first().cloned(),
            containers: [
                elements(&mut e, "errorContainer", error_container),
                label_containers,
            ]
            .concat(),
            invalid: std::cell::Cell::new(0),
        };
        let tag = |t: &str| !t.contains(|c: char| !c.is_ascii_alphanumeric() && c != '-');
        if look.error_element.is_empty() || !tag(&look.error_element) {
            e.must("errorElement", "a tag name", error_element);
        }
        if !tag(&look.wrapper) {
            e.must("wrapper", "a tag name", wrapper);
        }
        let focus_invalid = e.flag("focusInvalid", focus_invalid, true);
        let ignore = Ignore::parse(&e.text("ignore", "a selector", ignore, ":hidden"));
        if !ignore.selectors.is_empty() {
            e.selectors("ignore", &ignore.selectors);
        }
        let custom = custom_elements(&mut e, custom_elements_);
        if let Some(list) = custom.get(1..) {
            e.selectors("customElements", list);
        }
        let url = match url {
            v if is_nullish(v) => None,
            v => Some(e.text("url", "a string", v, "")),
        };
        let timeout_ms = match timeout {
            v if is_nullish(v) => DEFAULT_TIMEOUT_MS,
            v => match v.as_f64() {
                Some(ms) if (1.0..=2_147_483_647.0).contains(&ms) => ms as u32,
                _ => {
                    e.must("timeout", "a number of milliseconds above 0", v);
                    0
                }
            },
        };
        let rules = e.object("rules", rules);
        let messages = self::messages(&mut e, messages);
        let panels = panels(&mut e, panels_);
        let headers = headers(&mut e, headers_);
        let options = Options {
            rules: RefCell::new(rules),
            messages: RefCell::new(messages),
            panels,
            url,
            // `None` only after an error, when these options are dropped unused.
            headers: headers.unwrap_or_else(|| JsValue::UNDEFINED.unchecked_into()),
            timeout_ms,
            before_send: e.callback("beforeSend", before_send),
            success: match success {
                v if v.is_string() => None,
                v => e.callback("success", v),
            },
            error: e.callback("error", error),
            ignore,
            idempotency: is_nullish(headers_).then_some("Idempotency-Key"),
            submit_handler: e.callback("submitHandler", submit_handler),
            invalid_handler: e.callback("invalidHandler", invalid_handler),
            focus_invalid,
            look: std::rc::Rc::new(look),
            on_focusout: e.trigger("onfocusout", on_focusout),
            on_keyup: e.trigger("onkeyup", on_keyup),
            on_click: e.trigger("onclick", on_click),
            on_focusin: e.trigger("onfocusin", on_focusin),
            groups: groups(&mut e, groups_),
            pending_class: e.text("pendingClass", "a string", pending_class, "pending"),
            show_errors: e.callback("showErrors", show_errors),
            on_submit: e.flag("onsubmit", on_submit, true),
            debug: e.flag("debug", debug, false),
            custom,
        };
        match e.first {
            Some(first) => Err(first),
            None => Ok(options),
        }
    }
}
