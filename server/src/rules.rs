//! The rules the server checks: the seed's contact rules or a `--rules` file (the JSON the
//! JS `rules`/`messages` options take), run by the root crate, with `pattern` rules
//! compiled once by the `regex` crate.

use std::collections::HashMap;
use std::path::Path;

use corsform::{Failure, Method, Param, RuleSet, Value};
use regex::Regex;

use crate::ConfigError;

/// A rule set ready to check submissions: every `pattern` rule's expression is compiled.
#[derive(Clone, Debug)]
pub struct Rules {
    set: RuleSet,
    patterns: HashMap<String, Regex>,
}

impl Rules {
    /// Compiles the `pattern` rules of `set` as jquery-validation does,
    /// `^(?:source)$`; an expression the `regex` crate cannot compile is an error.
    pub fn new(set: RuleSet) -> Result<Rules, ConfigError> {
        let mut patterns = HashMap::new();
        for field in &set.fields {
            for rule in &field.rules {
                if let (Method::Pattern, Param::Text(source)) = (rule.method, &rule.param) {
                    let regex = Regex::new(&format!("^(?:{source})$")).map_err(|e| {
                        let first = e.to_string();
                        let first = first.lines().last().unwrap_or("").trim();
                        let first = first.strip_prefix("error: ").unwrap_or(first);
                        ConfigError(format!(
                            "rules.{}.pattern {source:?} is not a valid regular expression: {first}",
                            field.name
                        ))
                    })?;
                    patterns.insert(source.clone(), regex);
                }
            }
        }
        Ok(Rules { set, patterns })
    }

    /// The seed's contact form: `subject` and `message` required, `from` an e-mail address.
    pub fn seed() -> Rules {
        Rules::new(RuleSet::seed()).expect("the seed rules have no pattern")
    }

    /// Reads a `--rules` file: `{"rules": {…}, "messages": {…}}`, either key optional.
    pub fn from_file(path: &Path) -> Result<Rules, ConfigError> {
        let where_ =
            |e: &dyn std::fmt::Display| ConfigError(format!("--rules {}: {e}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| where_(&e))?;
        Rules::from_json(&text).map_err(|e| where_(&e))
    }

    /// Reads the JSON of a `--rules` file.
    pub fn from_json(text: &str) -> Result<Rules, ConfigError> {
        let json: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ConfigError(format!("invalid JSON: {e}")))?;
        let serde_json::Value::Object(top) = &json else {
            return Err(ConfigError(
                "expected an object {\"rules\": {...}, \"messages\": {...}}".into(),
            ));
        };
        if let Some(key) = top.keys().find(|k| *k != "rules" && *k != "messages") {
            return Err(ConfigError(format!(
                "unknown key {key:?} (expected \"rules\" and \"messages\")"
            )));
        }
        let get = |key| top.get(key).map_or(Value::Null, to_value);
        let set = RuleSet::from_options(&get("rules"), &get("messages"))
            .map_err(|e| ConfigError(e.to_string()))?;
        Rules::new(set)
    }

    /// The rule set.
    pub fn set(&self) -> &RuleSet {
        &self.set
    }

    /// Checks a decoded submission; empty when it passes.
    pub fn check(&self, pairs: &[(String, String)]) -> Vec<Failure> {
        let pattern = |source: &str, value: &str| match self.patterns.get(source) {
            Some(regex) => regex.is_match(value),
            // Every pattern of the set was compiled in `new`; anything else fails closed.
            None => false,
        };
        self.set.check_submission(pairs, &pattern)
    }

    /// The visitor's address for the notification's `Reply-To:`, from an accepted
    /// submission: the first of `_replyto`, `email` (Formspree's names) and the fields
    /// these rules check with `email`, that was sent once and is a valid address by the
    /// same `email` method the browser runs (HTML's definition of a valid e-mail
    /// address). `None` when there is none: then the message has no `Reply-To:`.
    ///
    /// The only place the server reads the rules' shapes for the mail.
    pub fn reply_to<'a>(&self, fields: &'a [(String, String)]) -> Option<&'a str> {
        let checked = self.set.fields.iter().filter_map(|field| {
            let email = field.rules.iter().any(|r| r.method == Method::Email);
            email.then_some(field.name.as_str())
        });
        ["_replyto", "email"]
            .into_iter()
            .chain(checked)
            .find_map(|name| {
                let mut values = fields.iter().filter(|(n, _)| n == name);
                match (values.next(), values.next()) {
                    (Some((_, value)), None) if corsform::is_valid_email(value) => {
                        Some(value.as_str())
                    }
                    _ => None,
                }
            })
    }
}

/// Converts JSON into the root crate's value tree; numbers keep their text as JavaScript's
/// `String(n)` writes it (`5.0` → `5`).
pub fn to_value(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Number(match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() => js_number_text(f),
            _ => n.to_string(),
        }),
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(items) => Value::Array(items.iter().map(to_value).collect()),
        serde_json::Value::Object(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_value(v)))
                .collect(),
        ),
    }
}

/// JavaScript's Number::toString for a finite number: the shortest digits that round-trip,
/// in plain notation for 1e-7 < |x| < 1e21 and exponent notation outside.
pub fn js_number_text(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // `{:e}` gives the shortest round-trip digits: "1.2345e3".
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let n = exp.parse::<i32>().expect("{:e} exponent is an integer") + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat(-n as usize))
    } else {
        let e = n - 1;
        let e = if e < 0 {
            e.to_string()
        } else {
            format!("+{e}")
        };
        match digits.split_at(1) {
            (d, "") => format!("{d}e{e}"),
            (d, rest) => format!("{d}.{rest}e{e}"),
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_javascript_writes_them() {
        for (x, js) in [
            (5.0, "5"),
            (-5.0, "-5"),
            (0.5, "0.5"),
            (0.01, "0.01"),
            (1234.5, "1234.5"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (1e20, "100000000000000000000"),
            (1e-7, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (1e-6, "0.000001"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-0.0, "0"),
        ] {
            assert_eq!(js_number_text(x), js, "{x:e}");
        }
    }

    #[test]
    fn json_integers_and_floats_become_js_number_text() {
        let v = to_value(&serde_json::json!([5, 5.0, 2.50, -3]));
        let n = |t: &str| Value::Number(t.into());
        assert!(v == Value::Array(vec![n("5"), n("5"), n("2.5"), n("-3")]));
    }
}
