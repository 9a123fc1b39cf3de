//! The `options` object of `bind(form, options)`, read and checked once, at bind.

use super::dom::{self, Element};
use super::js::{Array, Function, Object};
use super::send::Headers;
use crate::rules::{OptionsError, RuleSet};
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
    /// From `rules` and `messages`.
    pub rules: RuleSet,
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

/// A JS value as the shared [`Value`] tree the rules are read from.
pub fn to_value(v: &JsValue) -> Value {
    if v.is_null() || v.is_undefined() {
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
    } else if v.is_function() {
        Value::Function
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

/// An object's own enumerable `[key, value]` pairs, in order.
pub fn entries(v: &JsValue) -> Vec<(String, JsValue)> {
    if !v.is_object() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for pair in dom::values(&Object::entries(v.unchecked_ref())) {
        let pair: Array = pair.unchecked_into();
        out.push((pair.get(0).as_string().unwrap_or_default(), pair.get(1)));
    }
    out
}

fn kind_of(v: &JsValue) -> &'static str {
    to_value(v).kind()
}

fn string(name: &str, v: &JsValue) -> Result<String, OptionsError> {
    v.as_string()
        .ok_or_else(|| fail(&[name, " must be a string, not ", kind_of(v)]))
}

/// An element given as a selector or as the element itself.
pub fn element(what: &str, v: &JsValue) -> Result<Element, OptionsError> {
    if let Some(el) = v.dyn_ref::<Element>() {
        return Ok(el.clone());
    }
    let selector = v
        .as_string()
        .ok_or_else(|| fail(&[what, " must be a selector or an element, not ", kind_of(v)]))?;
    dom::query(&selector).ok_or_else(|| fail(&[what, ": no element matches \"", &selector, "\""]))
}

fn callback(name: &str, v: &JsValue) -> Result<Option<Function>, OptionsError> {
    if v.is_null() || v.is_undefined() {
        return Ok(None);
    }
    v.dyn_ref::<Function>()
        .cloned()
        .map(Some)
        .ok_or_else(|| fail(&[name, " must be a function, not ", kind_of(v)]))
}

impl Options {
    /// Reads `options` (`undefined` and `null` mean all defaults).
    pub fn read(options: &JsValue) -> Result<Options, OptionsError> {
        let mut o = Options {
            rules: RuleSet::default(),
            panels: Panels::default(),
            url: None,
            headers: headers(&JsValue::UNDEFINED)?,
            timeout: DEFAULT_TIMEOUT_MS,
            before_send: None,
            success: None,
            error: None,
        };
        if options.is_null() || options.is_undefined() {
            return Ok(o);
        }
        if !options.is_object() || options.is_function() || Array::is_array(options) {
            return Err(fail(&["options must be an object, not ", kind_of(options)]));
        }
        let (mut rules, mut messages) = (Value::Null, Value::Null);
        for (key, v) in entries(options) {
            match key.as_str() {
                "rules" => rules = to_value(&v),
                "messages" => messages = to_value(&v),
                _ => o.set(&key, &v)?,
            }
        }
        o.rules = RuleSet::from_options(&rules, &messages)?;
        Ok(o)
    }
}

impl Options {
    /// Reads option `key` other than `rules` and `messages` (one place the partly read
    /// options are dropped on an error, not one per error).
    fn set(&mut self, key: &str, v: &JsValue) -> Result<(), OptionsError> {
        match key {
            "panels" => self.panels = panels(v)?,
            "url" => self.url = Some(string("url", v)?),
            "headers" => {
                if !v.is_object() || Array::is_array(v) {
                    return Err(fail(&["headers must be an object, not ", kind_of(v)]));
                }
                for (name, value) in entries(v) {
                    string(&crate::cat(&["headers.", &name]), &value)?;
                }
                self.headers = headers(v)?;
            }
            "timeout" => {
                let ms = v.as_f64().filter(|ms| *ms >= 1.0 && *ms <= 2_147_483_647.0);
                self.timeout = ms
                    .ok_or_else(|| fail(&["timeout must be a number of milliseconds above 0"]))?
                    as u32;
            }
            "beforeSend" => self.before_send = callback("beforeSend", v)?,
            "success" => self.success = callback("success", v)?,
            "error" => self.error = callback("error", v)?,
            _ => return Err(fail(&["unknown option \"", key, "\" (known: ", KNOWN, ")"])),
        }
        Ok(())
    }
}

fn headers(given: &JsValue) -> Result<Headers, OptionsError> {
    super::send::request_headers(given)
        .map_err(|_| fail(&["headers: a header name or value is not valid in HTTP"]))
}

fn panels(v: &JsValue) -> Result<Panels, OptionsError> {
    if !v.is_object() || Array::is_array(v) {
        return Err(fail(&["panels must be an object, not ", kind_of(v)]));
    }
    let mut p = Panels::default();
    for (key, value) in entries(v) {
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
        if !value.is_null() && !value.is_undefined() {
            *slot = Some(element(&crate::cat(&["panels.", &key]), &value)?);
        }
    }
    Ok(p)
}
