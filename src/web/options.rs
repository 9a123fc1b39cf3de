//! The `options` object of `bind(form, options)`, read and checked once, at bind.

use super::dom::{self, Element};
use super::js::{Array, Object};
use super::refuse;
use super::send::Headers;
use crate::rules::OptionsError;
use crate::value::Spec;
use wasm_bindgen::{JsCast, JsValue};

/// The default `timeout`, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u32 = 15_000;

/// The options `bind` knows, in the order of the `given` array: [`RULES`], [`MESSAGES`], ….
pub const NAMES: [&str; 9] = [
    "rules",
    "messages",
    "panels",
    "url",
    "headers",
    "timeout",
    "beforeSend",
    "success",
    "error",
];
/// Where each option is in [`Options::given`] (the order of [`NAMES`]): `rules`.
pub const RULES: usize = 0;
/// `messages`.
pub const MESSAGES: usize = 1;
const PANELS: usize = 2;
const URL: usize = 3;
const HEADERS: usize = 4;
const TIMEOUT: usize = 5;
/// `beforeSend(body)`: returning `false` cancels.
pub const BEFORE_SEND: usize = 6;
/// `success(data)`.
pub const SUCCESS: usize = 7;
/// `error(err)`.
pub const ERROR: usize = 8;

/// The seed's four panels, in the order of [`Options::panels`].
const PANEL_NAMES: [&str; 4] = ["main", "sending", "success", "error"];
/// Holds the form; hidden while sending and after success.
pub const MAIN: usize = 0;
/// Shown while the request is in flight.
pub const SENDING: usize = 1;
/// Shown when the server accepted the submission.
pub const ACCEPTED: usize = 2;
/// Shown when it could not be delivered.
pub const FAILED: usize = 3;

/// Everything `bind` was told.
pub struct Options {
    /// Each option as given, checked (`undefined` where not given or `null`), indexed by
    /// [`RULES`], [`MESSAGES`], … . `rules` and `messages` are read field by field at bind
    /// (`FieldRules::read_rules`, `read_messages`); the callbacks are functions.
    pub given: [JsValue; 9],
    /// From `panels`, indexed by [`MAIN`], [`SENDING`], [`ACCEPTED`], [`FAILED`].
    pub panels: [Option<Element>; 4],
    /// The request headers: the content type, and `X-Requested-With: XMLHttpRequest`
    /// unless `headers` replaced it.
    pub headers: Headers,
}

/// Unless `ok`, throws "`name` must be `what`, not (what `v` is)".
fn expect(ok: bool, name: &str, what: &str, v: &JsValue) {
    if !ok {
        refuse(crate::rules::must(&[name], what, v.kind()));
    }
}

/// The rules and messages are read from the options' JS values themselves, one level at a
/// time, as the server reads its `Value` tree.
impl Spec for JsValue {
    /// Thrown where found ([`refuse`]).
    type Error = core::convert::Infallible;
    fn error(e: OptionsError) -> core::convert::Infallible {
        refuse(e)
    }
    fn text(&self) -> Option<String> {
        self.as_string()
    }
    fn numeral(&self) -> Option<String> {
        let numeral =
            self.as_string().is_some() || self.as_f64().is_some() || Array::is_array(self);
        numeral.then(|| dom::number_text(self))
    }
    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
    fn entries(&self) -> Option<impl Iterator<Item = (String, JsValue)>> {
        is_plain_object(self).then(|| entries(self))
    }
    fn kind(&self) -> &'static str {
        if dom::is_nullish(self) {
            "null"
        } else if self.as_bool().is_some() {
            "a boolean"
        } else if self.as_string().is_some() {
            "a string"
        } else if self.as_f64().is_some() {
            "a number"
        } else if Array::is_array(self) {
            "an array"
        } else if self.is_object() {
            "an object"
        } else {
            "a function"
        }
    }
    fn of_text(text: String) -> JsValue {
        JsValue::from_str(&text)
    }
    fn yes() -> JsValue {
        JsValue::TRUE
    }
}

/// An object that is not an array.
fn is_plain_object(v: &JsValue) -> bool {
    v.is_object() && !Array::is_array(v)
}

/// An object's own enumerable `[key, value]` pairs, in order (none for what is not an
/// object).
pub fn entries(v: &JsValue) -> impl Iterator<Item = (String, JsValue)> {
    // Not an object: the entries of an empty one (`Object.entries` would list a string's
    // characters, and throw on `null`).
    let pairs = match v.is_object() {
        true => Object::entries(v),
        false => Object::entries(&Object::new()),
    };
    dom::values(&pairs).map(|pair| {
        let pair: Array = pair.unchecked_into();
        (pair.get(0).as_string().unwrap_or_default(), pair.get(1))
    })
}

/// The entries of option `name`, which must be a plain object (not an array).
fn object(name: &str, v: &JsValue) -> impl Iterator<Item = (String, JsValue)> {
    expect(is_plain_object(v), name, "an object", v);
    entries(v)
}

/// Where `key` is in `names`; else throws the error `unknown` says, `{0}` being `key`.
fn known(key: &str, names: &[&str], unknown: &str) -> usize {
    names
        .iter()
        .position(|n| *n == key)
        .unwrap_or_else(|| refuse(OptionsError::format(unknown, &[key])))
}

/// An element given as a selector or as the element itself.
pub fn element(what: &str, v: &JsValue) -> Element {
    // An element is a node of type 1 (`instanceof Element` would refuse one from a frame).
    if dom::get(v, "nodeType").as_f64() == Some(1.0) {
        return v.clone().unchecked_into();
    }
    expect(v.as_string().is_some(), what, "a selector or an element", v);
    let selector = v.as_string().unwrap_or_default();
    dom::query(&selector).unwrap_or_else(|| {
        refuse(OptionsError::format(
            "{0}: no element matches \"{1}\"",
            &[what, &selector],
        ))
    })
}

impl Options {
    /// Reads `options` (`undefined` and `null` mean all defaults, as they do for each
    /// option).
    pub fn read(options: &JsValue) -> Options {
        let mut given: [JsValue; 9] = Default::default();
        if !dom::is_nullish(options) {
            for (key, v) in object("options", options) {
                let i = known(
                    &key,
                    &NAMES,
                    "unknown option \"{0}\" (known: rules, messages, panels, url, headers, timeout, beforeSend, success, error)",
                );
                if dom::is_nullish(&v) {
                    continue;
                }
                let (ok, what) = match i {
                    URL => (v.as_string().is_some(), "a string"),
                    TIMEOUT => (
                        v.as_f64()
                            .is_some_and(|ms| (1.0..=2_147_483_647.0).contains(&ms)),
                        "a number of milliseconds above 0",
                    ),
                    BEFORE_SEND.. => (v.is_function(), "a function"),
                    _ => (is_plain_object(&v), "an object"),
                };
                expect(ok, &key, what, &v);
                given[i] = v;
            }
        }
        Options {
            panels: panels(&given[PANELS]),
            headers: headers(&given[HEADERS]),
            given,
        }
    }

    /// `url` (a JS string), else `form.action`.
    pub fn url(&self, form: &Element) -> JsValue {
        match dom::is_nullish(&self.given[URL]) {
            true => dom::get(form, "action"),
            false => self.given[URL].clone(),
        }
    }

    /// `timeout`, in milliseconds.
    pub fn timeout(&self) -> u32 {
        self.given[TIMEOUT]
            .as_f64()
            .map_or(DEFAULT_TIMEOUT_MS, |ms| ms as u32)
    }
}

/// The request headers: the urlencoded content type, then `given` (which may replace it),
/// or `X-Requested-With: XMLHttpRequest` when `given` is `undefined` or `null`. Fails on what is
/// not an object of strings, and on a name or value `fetch` would refuse.
fn headers(given: &JsValue) -> Headers {
    let h = Headers::new();
    // Constant, valid names and values: these cannot throw.
    let _ = h.set(
        "Content-Type",
        "application/x-www-form-urlencoded; charset=UTF-8",
    );
    if dom::is_nullish(given) {
        let _ = h.set("X-Requested-With", "XMLHttpRequest");
        return h;
    }
    for (name, value) in entries(given) {
        let at = crate::cat(&["headers.", &name]);
        expect(value.as_string().is_some(), &at, "a string", &value);
        if h.set(&name, &value.as_string().unwrap_or_default())
            .is_err()
        {
            refuse(OptionsError::format("{0}: not a valid HTTP header", &[&at]));
        }
    }
    h
}

/// The panels given as `panels` (an object, or `undefined`).
fn panels(v: &JsValue) -> [Option<Element>; 4] {
    let mut p: [Option<Element>; 4] = Default::default();
    for (key, value) in entries(v) {
        let i = known(
            &key,
            &PANEL_NAMES,
            "unknown panel \"{0}\" (known: main, sending, success, error)",
        );
        if !dom::is_nullish(&value) {
            p[i] = Some(element(&crate::cat(&["panels.", &key]), &value));
        }
    }
    p
}
