//! The rules the server checks: the seed's contact rules or a `--rules` file (the JSON the
//! JS `rules`/`messages` options take), run by the root crate, with `pattern` rules
//! compiled once by the `regex` crate.

use std::collections::HashMap;
use std::path::Path;

use corsform::{Failure, Method, Param, RuleSet, RulesFile};
use regex::Regex;

use crate::ConfigError;

/// A rule set ready to check submissions: every `pattern` rule's expression is compiled.
#[derive(Clone, Debug)]
pub struct Rules {
    set: RuleSet,
    patterns: HashMap<String, Regex>,
}

/// Why the server cannot give `rule` the browser's verdict, if it cannot: `date` (only a JS
/// engine's `Date` parser knows what it accepts), an `extension` list that is not plain
/// ([`corsform::simple_extensions`]), a `require_from_group` selector it cannot follow
/// without the page ([`corsform::group_members`]).
fn cannot_check(rule: &corsform::Rule, set: &RuleSet) -> Option<String> {
    match (rule.method, &rule.param) {
        (Method::Date, _) => Some(
            "the server cannot check `date`: jquery-validation's `date` is whatever the \
             browser's Date parser accepts, which differs between engines (jquery-validation \
             deprecates it); use \"dateISO\""
                .into(),
        ),
        (Method::Extension, Param::Text(list)) if corsform::simple_extensions(list).is_none() => {
            Some(format!(
                "{list:?}: the server matches extensions made of letters, digits, `_`, `-` \
                 and `?`, between `|` or `,`"
            ))
        }
        (Method::RequireFromGroup, Param::Group(_, selector))
            if corsform::group_members(selector, &set.page).is_none() =>
        {
            Some(format!(
                "{selector:?}: the server cannot follow this selector; use \".class\" (with \
                 \"classes\" listing its fields), \"#id\" or \"[name='NAME']\", between commas"
            ))
        }
        _ => None,
    }
}

impl Rules {
    /// Compiles the `pattern` rules of `set` as the browser does, `^(?:source)$` with
    /// JavaScript's `v` flag, into the `regex` crate's terms ([`crate::pattern`]); a
    /// source JavaScript refuses, or whose meaning that crate cannot match, is an error. So is
    /// an `equalTo` selector the server cannot follow without the page: anything but
    /// `#id` and `[name=…]` ([`corsform::selector_field_name`]), and what `cannot_check`
    /// names: `date`, an `extension` list or a `require_from_group` selector it cannot
    /// match as the browser does.
    pub fn new(set: RuleSet) -> Result<Rules, ConfigError> {
        let mut patterns = HashMap::new();
        for field in &set.fields {
            for rule in &field.rules {
                if let (Method::EqualTo, Param::Text(selector)) = (rule.method, &rule.param) {
                    if corsform::selector_field_name(selector).is_none() {
                        return Err(ConfigError(format!(
                            "rules.{}.equalTo {selector:?}: the server cannot follow this \
                             selector; use \"#id\" (with \"ids\" naming the id's field when \
                             the id is not the name) or \"[name='NAME']\"",
                            field.name
                        )));
                    }
                }
                if let Some(why) = cannot_check(rule, &set) {
                    let name = rule.method.name();
                    return Err(ConfigError(format!("rules.{}.{name}: {why}", field.name)));
                }
                if let (Method::Pattern, Param::Text(source)) = (rule.method, &rule.param) {
                    let refuse = |why: &str| {
                        ConfigError(format!(
                            "rules.{}.pattern {source:?} is not a valid regular expression \
                             as the server reads it (JavaScript's v flag): {why}",
                            field.name
                        ))
                    };
                    let rust = crate::pattern::translate(source).map_err(|e| refuse(&e))?;
                    let regex = Regex::new(&format!("^(?:{rust})$")).map_err(|e| {
                        let first = e.to_string();
                        let first = first.lines().last().unwrap_or("").trim();
                        refuse(first.strip_prefix("error: ").unwrap_or(first))
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

    /// Reads a `--rules` file: `{"rules": {…}, "messages": {…}, "choices": […], "ids":
    /// {…}}`, each key optional ([`RulesFile`]).
    pub fn from_file(path: &Path) -> Result<Rules, ConfigError> {
        let where_ =
            |e: &dyn std::fmt::Display| ConfigError(format!("--rules {}: {e}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| where_(&e))?;
        Rules::from_json(&text).map_err(|e| where_(&e))
    }

    /// Reads the JSON of a `--rules` file into the shapes the browser's options have
    /// ([`corsform::RulesOptions`]) and what the page says about its fields
    /// ([`corsform::PageFacts`]), then checks every rule as `bind` does.
    pub fn from_json(text: &str) -> Result<Rules, ConfigError> {
        let file: RulesFile = serde_json::from_str(text).map_err(|e| {
            ConfigError(match e.classify() {
                serde_json::error::Category::Data => e.to_string(),
                _ => format!("invalid JSON: {e}"),
            })
        })?;
        let set = RuleSet::from_rules_file(&file).map_err(|e| ConfigError(e.to_string()))?;
        Rules::new(set)
    }

    /// The rule set.
    pub fn set(&self) -> &RuleSet {
        &self.set
    }

    /// The fields whose `minlength`, `maxlength` or `rangelength` count characters when
    /// their name is sent once: those not in the rules file's `"choices"`. A group of
    /// checkboxes or a `<select multiple>` with one choice made sends its name once, and
    /// the server can't tell it from a text field; named in `"choices"`, its choices are
    /// counted, as the page counts them.
    pub fn lengths_counting_characters(&self) -> Vec<&str> {
        let lengths = [Method::MinLength, Method::MaxLength, Method::RangeLength];
        let mut names = Vec::new();
        for field in &self.set.fields {
            let counts_length = field.rules.iter().any(|r| lengths.contains(&r.method));
            if counts_length && !self.set.page.choices.contains(&field.name) {
                names.push(field.name.as_str());
            }
        }
        names
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(json: &str) -> String {
        Rules::from_json(json).unwrap_err().0
    }

    /// `date`, a list of extensions that is not plain and a group selector the server
    /// cannot follow are refused at start-up; what it can check is checked.
    #[test]
    fn new_methods_refused_or_checked_as_the_browser_does() {
        let date = refusal(r#"{"rules": {"d": "date"}}"#);
        assert!(
            date.starts_with("rules.d.date: ") && date.contains("dateISO"),
            "{date}"
        );
        let ext = refusal(r#"{"rules": {"f": {"extension": "[a-z]+"}}}"#);
        assert!(ext.starts_with("rules.f.extension: \"[a-z]+\""), "{ext}");
        let group = refusal(r#"{"rules": {"a": {"require_from_group": [1, ".g"]}}}"#);
        assert!(
            group.contains("\".g\": the server cannot follow"),
            "{group}"
        );
        let rules = Rules::from_json(
            r#"{"rules": {"d": "dateISO", "f": {"extension": "pdf,docx?"},
                          "a": {"require_from_group": [1, ".g"]},
                          "b": {"require_from_group": [1, ".g"]}},
                "classes": {"g": ["a", "b"]}}"#,
        )
        .unwrap();
        let pairs = |p: &[(&str, &str)]| {
            p.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        let failed = |p: &[(&str, &str)]| {
            rules
                .check(&pairs(p))
                .into_iter()
                .map(|f| f.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            failed(&[("d", "2020-1-5"), ("f", "CV.DOC"), ("b", "x")]),
            [] as [&str; 0]
        );
        assert_eq!(
            failed(&[("d", "5.1.2020"), ("f", "cv.odt")]),
            ["d", "f", "a", "b"]
        );
    }
}
