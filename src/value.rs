//! A small JSON-shaped tree: what the JS options object and the server's `--rules` file
//! are both turned into before the rules are read from them.

/// A JSON-like value. Numbers keep their text as JavaScript's `String(n)` writes it, so that
/// `{0}` in a message shows `5`, not `5.0`, and no float formatting reaches the wasm.
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
    /// A JavaScript function (or another value no option takes): kept only to be named in
    /// an error.
    Function,
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
            Value::Function => "a function",
        }
    }
}
