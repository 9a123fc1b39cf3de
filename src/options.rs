//! The shapes of the `rules` and `messages` options, as a page passes them to `bind` (and
//! to jquery-validation's `.validate()`), and as the server reads them from its `--rules`
//! file with serde_json: one definition for both.
//!
//! ```
//! let options: corsform::RulesOptions = serde_json::from_str(r#"{
//!     "rules": {"subject": "required", "message": {"required": true, "minlength": 10}},
//!     "messages": {"message": {"minlength": "At least {0} characters, please."}}
//! }"#).unwrap();
//! let set = corsform::RuleSet::from_options(&options).unwrap();
//! assert_eq!(set.field("message").unwrap().rules.len(), 2);
//! ```
//!
//! These types say what the JSON may look like; what each value must be (a number for
//! `minlength`, a known method name, …) is checked by [`crate::RuleSet::from_options`],
//! whose errors name the path: `rules.message.minlength must be a number, not a string`.
//! In the browser the same types are filled by a small reader over the JS values
//! (`web::options`), not by serde's deserializer.

use core::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// An object's entries in their order, as JavaScript's `Object.entries` lists them (and
/// jquery-validation applies rules in that order). `null` reads as no entries.
#[derive(Clone, Debug, PartialEq)]
pub struct Entries<T>(pub Vec<(String, T)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(core::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Entries<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Entries::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Entries::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    out.push(entry);
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_any(V(core::marker::PhantomData))
    }
}

/// `{"rules": {...}, "messages": {...}}`: both optional, nothing else allowed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RulesOptions {
    /// Each field's rules, by field name.
    pub rules: Entries<FieldRulesSpec>,
    /// Each field's messages, by field name.
    pub messages: Entries<FieldMessagesSpec>,
}

impl RulesOptions {
    /// The seed's contact form: `subject` and `message` required, `from` an e-mail
    /// address.
    pub fn seed() -> RulesOptions {
        let names = |t: &str| FieldRulesSpec::Names(t.to_owned());
        RulesOptions {
            rules: Entries(vec![
                ("subject".to_owned(), names("required")),
                ("from".to_owned(), names("email")),
                ("message".to_owned(), names("required")),
            ]),
            messages: Entries::default(),
        }
    }
}

/// What the page's markup says about its fields and the rules do not, which the browser
/// reads from the DOM and the server must be told: which fields are choices, and which
/// id names which field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageFacts {
    /// The names of the fields whose values are choices (a group of checkboxes, a
    /// `<select multiple>`): `minlength`/`maxlength` count the values sent, as
    /// jquery-validation counts the boxes ticked, even when one is sent.
    pub choices: Vec<String>,
    /// Element ids and the names of their fields (`{"contact_email": "contact[email]"}`),
    /// for `equalTo: "#contact_email"`.
    pub ids: Entries<String>,
    /// Class names and the names of their elements' fields, a name once per element
    /// (`{"productinfo": ["partnumber", "description"]}`), for `require_from_group: [1,
    /// ".productinfo"]`.
    pub classes: Entries<Vec<String>>,
}

/// The server's `--rules` file: the JS options' `rules` and `messages` ([`RulesOptions`])
/// and the [`PageFacts`] the browser reads from the page, `{"rules": {...}, "messages":
/// {...}, "choices": ["topics"], "ids": {"contact_email": "contact[email]"}, "classes":
/// {"productinfo": ["partnumber", "description"]}, "lang": "de"}`; each key optional,
/// nothing else allowed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RulesFile {
    /// `rules` and `messages`.
    pub options: RulesOptions,
    /// `choices`, `ids` and `classes`.
    pub page: PageFacts,
    /// `lang`: the language of the default messages (`"de"`, `"pt-BR"`: see
    /// [`crate::Lang::from_code`]); English when absent.
    pub lang: Option<String>,
}

/// Reads [`RulesOptions`]' keys, and with `page` also [`PageFacts`]' keys.
struct RulesVisitor {
    page: bool,
}

impl<'de> Visitor<'de> for RulesVisitor {
    type Value = RulesFile;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object {\"rules\": {...}, \"messages\": {...}}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RulesFile, A::Error> {
        const OPTIONS: &[&str] = &["rules", "messages"];
        const FILE: &[&str] = &["rules", "messages", "choices", "ids", "classes", "lang"];
        let mut out = RulesFile::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "rules" => out.options.rules = map.next_value()?,
                "messages" => out.options.messages = map.next_value()?,
                "choices" if self.page => out.page.choices = map.next_value()?,
                "ids" if self.page => out.page.ids = map.next_value()?,
                "classes" if self.page => out.page.classes = map.next_value()?,
                "lang" if self.page => out.lang = map.next_value()?,
                _ => {
                    let known = if self.page { FILE } else { OPTIONS };
                    return Err(de::Error::unknown_field(&key, known));
                }
            }
        }
        Ok(out)
    }
}

impl<'de> Deserialize<'de> for RulesOptions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let file = d.deserialize_map(RulesVisitor { page: false })?;
        Ok(file.options)
    }
}

impl<'de> Deserialize<'de> for RulesFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RulesVisitor { page: true })
    }
}

/// One field's entry in `rules`.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldRulesSpec {
    /// `"required email"`: method names between white space, each with `true`.
    Names(String),
    /// `{"required": true, "minlength": 3}`: each method with its parameter.
    Params(Entries<ParamSpec>),
    /// Anything else (refused by [`crate::RuleSet::from_options`], naming what it is).
    Other(ParamSpec),
}

/// One field's entry in `messages`.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldMessagesSpec {
    /// One message for every rule of the field.
    All(String),
    /// A message per method: `{"minlength": "At least {0}"}`; each should be a string.
    PerMethod(Entries<ParamSpec>),
    /// Anything else (refused, naming what it is).
    Other(ParamSpec),
}

/// A rule's parameter as given: jquery-validation takes `true`, a number, a string (a
/// selector, a pattern, a number's text) or an array (`[min, max]`).
#[derive(Clone, Debug, PartialEq)]
pub enum ParamSpec {
    /// `null` (JSON) or `undefined` / `null` (JS).
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as JavaScript's `String(n)` writes it (`5`, not `5.0`): so that `{0}` in
    /// a message shows what the page would show.
    Number(String),
    /// A string.
    Text(String),
    /// An array.
    List(Vec<ParamSpec>),
    /// An object.
    Object(Entries<ParamSpec>),
    /// A value JSON has no word for (a function, in the browser): what it is, for the
    /// error that refuses it.
    Other(&'static str),
}

impl ParamSpec {
    /// What the value is, as an error message says it: "a string", "an array", ….
    pub fn kind(&self) -> &'static str {
        match self {
            ParamSpec::Null => "null",
            ParamSpec::Bool(_) => "a boolean",
            ParamSpec::Number(_) => "a number",
            ParamSpec::Text(_) => "a string",
            ParamSpec::List(_) => "an array",
            ParamSpec::Object(_) => "an object",
            ParamSpec::Other(kind) => kind,
        }
    }

    /// A string's, a number's or a boolean's text, as `String(v)` writes it; `None` for
    /// the others.
    pub fn text(&self) -> Option<&str> {
        match self {
            ParamSpec::Number(t) | ParamSpec::Text(t) => Some(t),
            ParamSpec::Bool(b) => Some(if *b { "true" } else { "false" }),
            _ => None,
        }
    }

    /// The text a number parameter is read from, as JavaScript's `String(v)` gives it: a
    /// string's, a number's, or an array's items joined with commas (nested arrays
    /// flattened, `null` as nothing). `None` for anything else.
    pub fn numeral(&self) -> Option<String> {
        match self {
            ParamSpec::Number(t) | ParamSpec::Text(t) => Some(t.clone()),
            ParamSpec::List(items) => {
                let mut text = String::new();
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        text.push(',');
                    }
                    match v {
                        ParamSpec::Null => {}
                        ParamSpec::Bool(true) => text.push_str("true"),
                        ParamSpec::Bool(false) => text.push_str("false"),
                        ParamSpec::Object(_) => text.push_str("[object Object]"),
                        _ => text.push_str(&v.numeral().unwrap_or_default()),
                    }
                }
                Some(text)
            }
            _ => None,
        }
    }
}

/// Reads any JSON value into a [`ParamSpec`].
struct ParamVisitor;

impl<'de> Visitor<'de> for ParamVisitor {
    type Value = ParamSpec;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<ParamSpec, E> {
        Ok(ParamSpec::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<ParamSpec, E> {
        Ok(ParamSpec::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<ParamSpec, E> {
        Ok(ParamSpec::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ParamSpec, E> {
        self.visit_f64(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ParamSpec, E> {
        self.visit_f64(v as f64)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<ParamSpec, E> {
        Ok(ParamSpec::Number(crate::number::js_number_text(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<ParamSpec, E> {
        Ok(ParamSpec::Text(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<ParamSpec, E> {
        Ok(ParamSpec::Text(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ParamSpec, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(ParamSpec::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ParamSpec, A::Error> {
        let mut out = Vec::new();
        while let Some(entry) = map.next_entry()? {
            out.push(entry);
        }
        Ok(ParamSpec::Object(Entries(out)))
    }
}

impl<'de> Deserialize<'de> for ParamSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ParamVisitor)
    }
}

impl<'de> Deserialize<'de> for FieldRulesSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match ParamSpec::deserialize(d)? {
            ParamSpec::Text(names) => FieldRulesSpec::Names(names),
            ParamSpec::Object(params) => FieldRulesSpec::Params(params),
            other => FieldRulesSpec::Other(other),
        })
    }
}

impl<'de> Deserialize<'de> for FieldMessagesSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match ParamSpec::deserialize(d)? {
            ParamSpec::Text(message) => FieldMessagesSpec::All(message),
            ParamSpec::Object(per_method) => FieldMessagesSpec::PerMethod(per_method),
            other => FieldMessagesSpec::Other(other),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_in_order_with_numbers_as_javascript_writes_them() {
        let o: RulesOptions = serde_json::from_str(
            r#"{"rules": {"b": "required", "a": {"min": 5.0, "range": [1, 2.50], "x": null}},
                "messages": {"a": "Bad", "b": {"required": "Say it"}}}"#,
        )
        .unwrap();
        assert_eq!(o.rules.0[0].0, "b");
        assert_eq!(o.rules.0[1].0, "a");
        let FieldRulesSpec::Params(p) = &o.rules.0[1].1 else {
            panic!("{o:?}")
        };
        let n = |t: &str| ParamSpec::Number(t.into());
        assert_eq!(p.0[0], ("min".into(), n("5")));
        assert_eq!(
            p.0[1],
            ("range".into(), ParamSpec::List(vec![n("1"), n("2.5")]))
        );
        assert_eq!(p.0[2], ("x".into(), ParamSpec::Null));
        assert_eq!(o.messages.0[0].1, FieldMessagesSpec::All("Bad".into()));
    }

    #[test]
    fn null_sections_are_empty_and_unknown_keys_refused() {
        let o: RulesOptions = serde_json::from_str(r#"{"rules": null}"#).unwrap();
        assert_eq!(o, RulesOptions::default());
        let e = serde_json::from_str::<RulesOptions>(r#"{"rule": {}}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `rule`"), "{e}");
    }

    #[test]
    fn a_rules_file_also_says_what_the_page_knows() {
        let f: RulesFile = serde_json::from_str(
            r#"{"rules": {"topics": {"maxlength": 2}}, "choices": ["topics"],
                "ids": {"contact_email": "contact[email]"}}"#,
        )
        .unwrap();
        assert_eq!(f.options.rules.0[0].0, "topics");
        assert_eq!(f.page.choices, ["topics"]);
        assert_eq!(
            f.page.ids.0,
            [("contact_email".to_string(), "contact[email]".to_string())]
        );
        let e = serde_json::from_str::<RulesOptions>(r#"{"choices": []}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `choices`"), "{e}");
        let e = serde_json::from_str::<RulesFile>(r#"{"choice": []}"#).unwrap_err();
        assert!(e.to_string().contains("`ids`"), "{e}");
    }
}
