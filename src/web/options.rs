//! The `options` object of `bind(form, options)`, read and checked once, at bind.

use super::dom::{self, Element};
use super::js::{Array, Function, Object};
use super::send::Headers;
use crate::rules::OptionsError;
use crate::value::Value;
use wasm_bindgen::{JsCast, JsValue};

/// The default `timeout`, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u32 = 15_000;

/// The four panels of the seed's popup, each optional.
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

/// Everything `bind` was told.
pub struct Options {
    /// `rules` and `messages`: objects (or `undefined`), read field by field at bind
    /// (`FieldRules::read_rules`, `read_messages`).
    pub rules: [JsValue; 2],
    /// From `panels`.
    pub panels: Panels,
    /// `url`, else the form's `action`.
    pub url: Option<String>,
    /// The request headers: the content type, and `X-Requested-With: XMLHttpRequest`
    /// unless `headers` replaced it.
    pub headers: Headers,
    /// Milliseconds before the request is aborted.
    pub timeout: u32,
    /// `beforeSend(body)`: returning `false` cancels.
    pub before_send: Option<Function>,
    /// `success(data)`.
    pub success: Option<Function>,
    /// `error(err)`.
    pub error: Option<Function>,
}

const KNOWN: &str = "rules, messages, panels, url, headers, timeout, beforeSend, success, error";

fn fail(parts: &[&str]) -> OptionsError {
    OptionsError::new(parts)
}

/// What a JS value is, as an error message says it: "a string", "an array", ….
fn kind_of(v: &JsValue) -> &'static str {
    if dom::is_nullish(v) {
        "null"
    } else if v.as_bool().is_some() {
        "a boolean"
    } else if v.is_string() {
        "a string"
    } else if v.as_f64().is_some() {
        "a number"
    } else if Array::is_array(v) {
        "an array"
    } else if v.is_function() {
        "a function"
    } else {
        "an object"
    }
}

/// `Ok(())` if `ok`, else "`name` must be `what`, not (what `v` is)".
fn expect(ok: bool, name: &str, what: &str, v: &JsValue) -> Result<(), OptionsError> {
    match ok {
        true => Ok(()),
        false => Err(fail(&[name, " must be ", what, ", not ", kind_of(v)])),
    }
}

/// A JS value as the shared [`Value`] tree the rules are read from.
pub fn to_value(v: &JsValue) -> Value {
    if dom::is_nullish(v) {
        Value::Null
    } else if let Some(b) = v.as_bool() {
        Value::Bool(b)
    } else if let Some(s) = v.as_string() {
        Value::String(s)
    } else if v.as_f64().is_some() {
        Value::Number(dom::number_text(v))
    } else if Array::is_array(v) {
        let mut items = Vec::new();
        for x in dom::values(v) {
            items.push(to_value(&x));
        }
        Value::Array(items)
    } else if v.is_object() {
        let mut fields = Vec::new();
        for (k, x) in entries(v) {
            fields.push((k, to_value(&x)));
        }
        Value::Object(fields)
    } else {
        Value::Function
    }
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
fn object(
    name: &str,
    v: &JsValue,
) -> Result<impl Iterator<Item = (String, JsValue)>, OptionsError> {
    expect(v.is_object() && !Array::is_array(v), name, "an object", v)?;
    Ok(entries(v))
}

/// An element given as a selector or as the element itself.
pub fn element(what: &str, v: &JsValue) -> Result<Element, OptionsError> {
    if let Some(el) = v.dyn_ref::<Element>() {
        return Ok(el.clone());
    }
    expect(v.is_string(), what, "a selector or an element", v)?;
    let selector = v.as_string().unwrap_or_default();
    dom::query(&selector).ok_or_else(|| fail(&[what, ": no element matches \"", &selector, "\""]))
}

impl Options {
    /// Reads `options` (`undefined` and `null` mean all defaults).
    pub fn read(options: &JsValue) -> Result<Options, OptionsError> {
        let mut o = Options {
            rules: [JsValue::UNDEFINED, JsValue::UNDEFINED],
            panels: Panels::default(),
            url: None,
            headers: headers(&JsValue::UNDEFINED)?,
            timeout: DEFAULT_TIMEOUT_MS,
            before_send: None,
            success: None,
            error: None,
        };
        if dom::is_nullish(options) {
            return Ok(o);
        }
        for (key, v) in object("options", options)? {
            o.set(&key, v)?;
        }
        Ok(o)
    }

    /// Reads option `key` (one place the partly read options are dropped on an error, not
    /// one per error).
    fn set(&mut self, key: &str, v: JsValue) -> Result<(), OptionsError> {
        let callback = match key {
            "rules" | "messages" => {
                let plain = v.is_object() && !Array::is_array(&v);
                expect(plain || dom::is_nullish(&v), key, "an object", &v)?;
                self.rules[usize::from(key == "messages")] = v;
                return Ok(());
            }
            "panels" => {
                self.panels = panels(&v)?;
                return Ok(());
            }
            "url" => {
                expect(v.is_string(), key, "a string", &v)?;
                self.url = v.as_string();
                return Ok(());
            }
            "headers" => {
                self.headers = headers(&v)?;
                return Ok(());
            }
            "timeout" => {
                let ms = v.as_f64().filter(|ms| *ms >= 1.0 && *ms <= 2_147_483_647.0);
                expect(ms.is_some(), key, "a number of milliseconds above 0", &v)?;
                self.timeout = ms.unwrap_or_default() as u32;
                return Ok(());
            }
            "beforeSend" => &mut self.before_send,
            "success" => &mut self.success,
            "error" => &mut self.error,
            _ => return Err(fail(&["unknown option \"", key, "\" (known: ", KNOWN, ")"])),
        };
        if !dom::is_nullish(&v) {
            expect(v.is_function(), key, "a function", &v)?;
            *callback = Some(v.unchecked_into());
        }
        Ok(())
    }
}

/// The request headers: the urlencoded content type, then `given` (which may replace it),
/// or `X-Requested-With: XMLHttpRequest` when `given` is `undefined` or `null`. Fails on what is
/// not an object of strings, and on a name or value `fetch` would refuse.
fn headers(given: &JsValue) -> Result<Headers, OptionsError> {
    let h = Headers::new();
    // Constant, valid names and values: these cannot throw.
    let _ = h.set(
        "Content-Type",
        "application/x-www-form-urlencoded; charset=UTF-8",
    );
    if dom::is_nullish(given) {
        let _ = h.set("X-Requested-With", "XMLHttpRequest");
        return Ok(h);
    }
    for (name, value) in object("headers", given)? {
        let at = crate::cat(&["headers.", &name]);
        expect(value.is_string(), &at, "a string", &value)?;
        h.set(&name, &value.as_string().unwrap_or_default())
            .map_err(|_| fail(&[&at, ": not a valid HTTP header"]))?;
    }
    Ok(h)
}

fn panels(v: &JsValue) -> Result<Panels, OptionsError> {
    let mut p = Panels::default();
    for (key, value) in object("panels", v)? {
        let slot = match key.as_str() {
            "main" => &mut p.main,
            "sending" => &mut p.sending,
            "success" => &mut p.success,
            "error" => &mut p.error,
            _ => {
                return Err(fail(&[
                    "unknown panel \"",
                    &key,
                    "\" (known: main, sending, success, error)",
                ]))
            }
        };
        if !dom::is_nullish(&value) {
            *slot = Some(element(&crate::cat(&["panels.", &key]), &value)?);
        }
    }
    Ok(p)
}
