//! What the rules are read from: [`Spec`], implemented by a small JSON-shaped tree
//! ([`Value`], what the server's `--rules` file is turned into) and, in the browser, by the
//! JS value of the options itself.

use crate::rules::OptionsError;

/// A JSON value, as the server reads its `--rules` file. Numbers keep their text as
/// JavaScript's `String(n)` writes it, so that `{0}` in a message shows `5`, not `5.0`, as
/// in the browser.
#[derive(Clone, PartialEq)]
pub enum Value {
    /// `null` or `undefined`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as its text.
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, its entries in order.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The entry named `key`, if this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// What the value is, as an error message says it: "a string", "an array", ….
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

/// A value the rules and messages are read from, seen one level at a time: the server's
/// [`Value`] tree, or in the browser the option's JS value itself (no tree built in the
/// wasm).
pub trait Spec: Sized {
    /// What reading fails with: the [`OptionsError`] itself, or nothing for a reader whose
    /// errors are thrown where they are found (the browser's, `Infallible`).
    type Error;
    /// `e`, as this reader reports it.
    fn error(e: OptionsError) -> Self::Error;
    /// The text of a string.
    fn text(&self) -> Option<String>;
    /// The text a number parameter is read from: a string's, a number's (as JavaScript's
    /// `String(n)` writes it), or an array's items' joined with commas, as JavaScript's
    /// `String(array)` joins them (`null` and `undefined` as nothing).
    fn numeral(&self) -> Option<String>;
    /// A boolean.
    fn boolean(&self) -> Option<bool>;
    /// The entries of an object (not an array), in order.
    fn entries(&self) -> Option<impl Iterator<Item = (String, Self)>>;
    /// What the value is, as an error message says it: "a string", "an array", ….
    fn kind(&self) -> &'static str;
    /// A string, as an HTML attribute gives one.
    fn of_text(text: String) -> Self;
    /// `true`, as a boolean attribute gives it.
    fn yes() -> Self;
}

impl Spec for Value {
    type Error = OptionsError;
    fn error(e: OptionsError) -> OptionsError {
        e
    }
    fn text(&self) -> Option<String> {
        match self {
            Value::String(t) => Some(t.clone()),
            _ => None,
        }
    }
    fn numeral(&self) -> Option<String> {
        match self {
            Value::Number(t) | Value::String(t) => Some(t.clone()),
            Value::Array(items) => {
                let item = |v: &Value| match v {
                    Value::Null => String::new(),
                    Value::Bool(b) => b.to_string(),
                    Value::Object(_) => "[object Object]".to_owned(),
                    _ => v.numeral().unwrap_or_default(),
                };
                Some(items.iter().map(item).collect::<Vec<_>>().join(","))
            }
            _ => None,
        }
    }
    fn boolean(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn entries(&self) -> Option<impl Iterator<Item = (String, Value)>> {
        match self {
            Value::Object(entries) => Some(entries.clone().into_iter()),
            _ => None,
        }
    }
    fn kind(&self) -> &'static str {
        Value::kind(self)
    }
    fn of_text(text: String) -> Value {
        Value::String(text)
    }
    fn yes() -> Value {
        Value::Bool(true)
    }
}
