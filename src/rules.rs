//! jquery-validation's rules: read from the `rules` / `messages` options (or the server's
//! `--rules` file, the same JSON) and from HTML attributes, with its default English
//! messages.

use crate::messages::{Lang, Messages};
use crate::number::{self, Parse};
use crate::options::{
    Entries, FieldMessagesSpec, FieldRulesSpec, PageFacts, ParamSpec, RulesFile, RulesOptions,
};

/// Defines [`Method`] and its table from one list: each method's variant, option name,
/// default message and whether it takes no parameter (a flag, `true`). Adding a method is
/// one line here plus its check in `validate::check` (an exhaustive `match`); the names in
/// error messages ([`KNOWN_METHODS`]) and the TypeScript union ([`RULE_NAME_TS`]) come
/// from the same list.
macro_rules! methods {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $flag:literal, $message:literal;)*) => {
        /// A validation method: jquery-validation's built-ins plus `pattern` from its
        /// additional-methods.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Method {
            $($(#[$doc])* $variant,)*
        }

        /// Every method in jquery-validation's order: name, default message, flag.
        const METHODS: &[(Method, &str, &str, bool)] =
            &[$((Method::$variant, $name, $message, $flag),)*];

        /// The method names, as an error message lists them: `required, email, …`.
        pub const KNOWN_METHODS: &str = concat_names!($($name),*);

        /// The TypeScript declaration of the method names' union, for the `.d.ts`.
        pub const RULE_NAME_TS: &str = concat!(
            "/** jquery-validation's method names. */\nexport type RuleName = never"
            $(, "\n  | \"", $name, "\"")*, ";\n"
        );
    };
}

/// `"a, b, c"` from `"a", "b", "c"`.
macro_rules! concat_names {
    ($first:literal $(, $rest:literal)*) => { concat!($first $(, ", ", $rest)*) };
}

methods! {
    /// A value is present (for checkboxes, radios and multi-selects: one is chosen).
    Required = "required", true, "This field is required.";
    /// A valid e-mail address, by the browser's own grammar.
    Email = "email", true, "Please enter a valid email address.";
    /// A public http, https or ftp URL.
    Url = "url", true, "Please enter a valid URL.";
    /// A date as the JS engine's `Date` parses it (<https://jqueryvalidation.org/date-method/>,
    /// deprecated there): `!/Invalid|NaN/.test(new Date(value).toString())`. The browser
    /// asks its engine; the server, which has none, refuses a rules file that uses it.
    Date = "date", true, "Please enter a valid date.";
    /// `YYYY-MM-DD` or `YYYY/M/D` (<https://jqueryvalidation.org/dateISO-method/>): its
    /// expression, [`crate::DATE_ISO_PATTERN`]. `type=date` gives this rule.
    DateIso = "dateISO", true, "Please enter a valid date (ISO).";
    /// A decimal number, optionally with `,` thousands separators.
    Number = "number", true, "Please enter a valid number.";
    /// Only the digits 0–9.
    Digits = "digits", true, "Please enter only digits.";
    /// At least N characters (or N choices).
    MinLength = "minlength", false, "Please enter at least {0} characters.";
    /// At most N characters (or N choices).
    MaxLength = "maxlength", false, "Please enter no more than {0} characters.";
    /// Between N and M characters.
    RangeLength = "rangelength", false, "Please enter a value between {0} and {1} characters long.";
    /// A number greater than or equal to N.
    Min = "min", false, "Please enter a value greater than or equal to {0}.";
    /// A number less than or equal to N.
    Max = "max", false, "Please enter a value less than or equal to {0}.";
    /// A number between N and M.
    Range = "range", false, "Please enter a value between {0} and {1}.";
    /// A multiple of N.
    Step = "step", false, "Please enter a multiple of {0}.";
    /// The same value as the field a selector names.
    EqualTo = "equalTo", false, "Please enter the same value again.";
    /// The whole value matches a regular expression.
    Pattern = "pattern", false, "Invalid format.";
    /// A file name ending in one of the extensions of a list (additional-methods'
    /// `extension`): `true` for `png|jpe?g|gif`, or the list, `|` or `,` between them,
    /// case ignored.
    Extension = "extension", false, "Please enter a value with a valid extension.";
    /// `[n, selector]`: at least `n` of the fields the selector names in the form are
    /// filled (additional-methods' `require_from_group`; checked even when this field is
    /// empty).
    RequireFromGroup = "require_from_group", false, "Please fill at least {0} of these fields.";
}

impl Method {
    /// All methods, in the order attribute rules are read.
    pub fn all() -> impl Iterator<Item = Method> {
        METHODS.iter().map(|m| m.0)
    }

    /// The method named `name` as the options spell it (`equalTo`, `minlength`, …).
    pub fn from_name(name: &str) -> Option<Method> {
        METHODS.iter().find(|m| m.1 == name).map(|m| m.0)
    }

    fn entry(self) -> &'static (Method, &'static str, &'static str, bool) {
        &METHODS[self as usize]
    }

    /// The option name: `required`, `equalTo`, ….
    pub fn name(self) -> &'static str {
        self.entry().1
    }

    /// jquery-validation's default English message, `{0}` and `{1}` still in it.
    pub fn default_message(self) -> &'static str {
        self.entry().2
    }

    fn is_flag(self) -> bool {
        self.entry().3
    }
}

/// A rule's parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    /// `true`, for methods that take none.
    Flag,
    /// A number (its text, e.g. `5` or `0.01`); for `range` and `rangelength`, two.
    Numbers(Vec<String>),
    /// A string: `equalTo`'s selector, `pattern`'s source, `extension`'s list, or a
    /// `min`/`max` compared as text (dates), as jquery-validation compares strings.
    Text(String),
    /// `require_from_group`'s `[n, selector]`: how many (its text) of which fields.
    Group(String, String),
}

/// One method applied to one field.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// What is checked.
    pub method: Method,
    /// With what.
    pub param: Param,
}

impl Rule {
    /// The parameter text that `{i}` in the message stands for.
    pub fn arg(&self, i: usize) -> Option<&str> {
        match &self.param {
            Param::Flag => (i == 0).then_some("true"),
            Param::Numbers(n) => n.get(i).map(String::as_str),
            Param::Text(t) => (i == 0).then_some(t.as_str()),
            Param::Group(n, selector) => [n, selector].get(i).map(|t| t.as_str()),
        }
    }

    /// The `n`th number of the parameter, as `parse` reads it.
    pub fn num(&self, n: usize, parse: Parse) -> f64 {
        match &self.param {
            Param::Numbers(v) => v.get(n).map_or(f64::NAN, |t| parse(t)),
            _ => f64::NAN,
        }
    }
}

/// Everything known about one field: its rules in the order they run, and the messages
/// that override the defaults (`None` = for every method), first match wins.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldRules {
    /// The field's `name`.
    pub name: String,
    /// The rules, `required` first.
    pub rules: Vec<Rule>,
    /// Custom messages, in priority order.
    pub messages: Vec<(Option<Method>, String)>,
}

impl FieldRules {
    /// Adds `rule`, replacing the parameter of a rule with the same method in place (as
    /// `$.extend` does) and keeping `required` first.
    pub fn set(&mut self, rule: Rule) {
        match self.rules.iter_mut().find(|r| r.method == rule.method) {
            Some(r) => r.param = rule.param,
            None if rule.method == Method::Required => self.rules.insert(0, rule),
            None => self.rules.push(rule),
        }
    }

    /// The message shown when `rule` fails: a custom one if given, else the default, with
    /// `{0}`/`{1}` (or `${0}`) replaced by the rule's parameters.
    pub fn message(&self, rule: &Rule) -> String {
        self.message_or(rule, None)
    }

    /// [`Self::message`], with `page`'s message (the element's own, in the browser) between
    /// the custom ones and the default, as jquery-validation takes `data-msg-*`, `data-msg`
    /// and `title`.
    pub fn message_or(&self, rule: &Rule, page: Option<&str>) -> String {
        self.message_in(rule, page, &Messages::default())
    }

    /// [`Self::message_or`], the default being the one `defaults` gives (a language's
    /// table, or what the page set with `setDefaults({messages: {...}})`).
    pub fn message_in(&self, rule: &Rule, page: Option<&str>, defaults: &Messages) -> String {
        let template = self
            .messages
            .iter()
            .find(|(m, _)| m.is_none_or(|m| m == rule.method))
            .map(|(_, t)| t.as_str())
            .or(page)
            .unwrap_or_else(|| defaults.get(rule.method));
        format_with(template, &|i| rule.arg(i))
    }
}

impl FieldRules {
    /// Applies this field's entry of the `rules` option: `"required email"` (split at
    /// JavaScript's `\s`, as jquery-validation splits it) or `{method: param}`. A rule
    /// given `false` is removed, as jquery-validation's `normalizeRules` removes it.
    /// Numbers are read with `parse`.
    pub fn apply_rules(&mut self, spec: &FieldRulesSpec, parse: Parse) -> Result<(), OptionsError> {
        match spec {
            FieldRulesSpec::Names(names) => {
                for n in crate::pieces(names, number::is_js_space) {
                    self.apply_rule(n, &ParamSpec::Bool(true), parse)?;
                }
            }
            FieldRulesSpec::Params(Entries(params)) => {
                for (n, v) in params {
                    self.apply_rule(n, v, parse)?;
                }
            }
            FieldRulesSpec::Other(v) => {
                let path = ["rules.", &self.name];
                return Err(must(&path, "a string of rule names or an object", v.kind()));
            }
        }
        Ok(())
    }

    /// Applies this field's entry of the `messages` option: `"message"` (for every rule)
    /// or `{method: "message"}`.
    pub fn apply_messages(&mut self, spec: &FieldMessagesSpec) -> Result<(), OptionsError> {
        match spec {
            FieldMessagesSpec::All(message) => self.messages.push((None, message.clone())),
            FieldMessagesSpec::PerMethod(Entries(per_method)) => {
                for (name, v) in per_method {
                    let method = self.method("messages", name)?;
                    match v {
                        ParamSpec::Text(message) => {
                            self.messages.push((Some(method), message.clone()))
                        }
                        _ => {
                            let path = ["messages.", &self.name, ".", name];
                            return Err(must(&path, "a string", v.kind()));
                        }
                    }
                }
            }
            FieldMessagesSpec::Other(v) => {
                let path = ["messages.", &self.name];
                return Err(must(&path, "a string or an object", v.kind()));
            }
        }
        Ok(())
    }

    /// Applies jquery-validation's `dataRules`: a `data-rule-METHOD` attribute for each
    /// method (`attr` gives an attribute's value; HTML keeps attribute names in lower case,
    /// so `data-rule-equalto`), its text read as jQuery's `data()` reads it: `"true"` and
    /// `"false"` as booleans, anything else as the text itself. A value the method refuses
    /// gives no rule, as for the HTML attributes.
    pub fn apply_data_rules(&mut self, attr: impl Fn(&str) -> Option<String>, parse: Parse) {
        for method in Method::all() {
            let name = ["data-rule-", &method.name().to_ascii_lowercase()].concat();
            let Some(text) = attr(&name) else {
                continue;
            };
            let given = match text.as_str() {
                "true" => ParamSpec::Bool(true),
                "false" => ParamSpec::Bool(false),
                _ => ParamSpec::Text(text),
            };
            let _ = self.apply_rule(method.name(), &given, parse);
        }
    }

    /// The method `name` names, in `section` (`rules` or `messages`) of this field.
    fn method(&self, section: &str, name: &str) -> Result<Method, OptionsError> {
        Method::from_name(name).ok_or_else(|| {
            OptionsError::format(
                "{0}.{1}: unknown rule \"{2}\" (known: {3})",
                &[section, &self.name, name, KNOWN_METHODS],
            )
        })
    }

    /// One `method: param` of `rules`.
    fn apply_rule(&mut self, name: &str, v: &ParamSpec, parse: Parse) -> Result<(), OptionsError> {
        let method = self.method("rules", name)?;
        match param(method, v, parse) {
            Ok(Some(param)) => self.set(Rule { method, param }),
            // At most one rule per method (`set` replaces in place): remove it, if any.
            Ok(None) => self.rules.retain(|r| r.method != method),
            Err(what) => {
                let path = ["rules.", &self.name, ".", name];
                return Err(must(&path, what, v.kind()));
            }
        }
        Ok(())
    }
}

/// jquery-validation's `$.validator.format`: `{n}` and `${n}` become `args[n]`, for each
/// `n` of `args` (one digit: there are at most two).
pub fn format_message(template: &str, args: &[&str]) -> String {
    format_with(template, &|i| args.get(i).copied())
}

/// [`format_message`] with the `n`th argument from `arg`.
fn format_with<'a>(template: &str, arg: &dyn Fn(usize) -> Option<&'a str>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.bytes().position(|b| b == b'{') {
        let b = rest.as_bytes();
        let arg = match (b.get(open + 1), b.get(open + 2)) {
            (Some(d @ b'0'..=b'9'), Some(b'}')) => arg(usize::from(d - b'0')),
            _ => None,
        };
        let head = &rest[..open];
        match arg {
            Some(arg) => {
                out.push_str(head.strip_suffix("$").unwrap_or(head));
                out.push_str(arg);
                rest = &rest[open + 3..];
            }
            None => {
                out.push_str(&rest[..open + 1]);
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Bad options, with a message that names the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionsError(pub String);

impl OptionsError {
    /// An error whose message is `template` with `{0}`, `{1}`, … replaced by `args`, as
    /// messages are formatted ([`format_message`]): the constant text in one piece.
    pub fn format(template: &str, args: &[&str]) -> OptionsError {
        OptionsError(format_message(template, args))
    }
}

impl core::fmt::Display for OptionsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OptionsError {}

/// The rules and messages of every field of a form.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleSet {
    /// The fields, in the order the options name them.
    pub fields: Vec<FieldRules>,
    /// What the page says about its fields (the server's rules file; empty in the
    /// browser, which reads the page itself).
    pub page: PageFacts,
    /// The default messages (the rules file's `lang`; English when none).
    pub defaults: Messages,
}

/// "PATH must be WHAT, not KIND", PATH being `path` joined and KIND what the value is
/// ([`ParamSpec::kind`]).
pub(crate) fn must(path: &[&str], what: &str, kind: &str) -> OptionsError {
    OptionsError::format("{0} must be {1}, not {2}", &[&path.concat(), what, kind])
}

/// The numbers a parameter gives, as their text: a number, a string of numbers between
/// commas, white space or brackets (`" 5 "`, `"[1, 5]"`, `"1,5"`, as jquery-validation
/// reads `range` and `rangelength`), or an array of those ([`ParamSpec::numeral`]). `None`
/// if any is not a number.
fn numbers(v: &ParamSpec, parse: Parse) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let separator = |c: char| c == ',' || number::is_js_space(c) || c == '[' || c == ']';
    for p in crate::pieces(&v.numeral()?, separator) {
        if !parse(p).is_finite() {
            return None;
        }
        out.push(p.to_owned());
    }
    Some(out)
}

/// `method`'s parameter given as `v`: `None` for `false` (no rule), else the parameter, or
/// what it must be.
fn param(method: Method, v: &ParamSpec, parse: Parse) -> Result<Option<Param>, &'static str> {
    let flag = match v {
        ParamSpec::Bool(b) => Some(*b),
        _ => None,
    };
    if flag == Some(false) {
        return Ok(None); // jquery-validation: `required: false` removes the rule
    }
    let text = match v {
        ParamSpec::Text(t) => Some(t.clone()),
        _ => None,
    };
    // The numbers it gives (none if any is not a number), the first, and whether it is the
    // only one.
    let nums = numbers(v, parse).unwrap_or_default();
    let first = nums.first().map_or("", String::as_str);
    let one = nums.len() == 1;
    // The parameter, or what it must be.
    let (param, what) = match method {
        _ if method.is_flag() => (flag.map(|_| Param::Flag), "true or false"),
        Method::MinLength | Method::MaxLength
            if one && !first.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (None, "a whole number of characters")
        }
        Method::Step if one && parse(first) <= 0.0 => (None, "a number above 0"),
        Method::Min | Method::Max if text.as_deref().is_some_and(|t| parse(t).is_nan()) => {
            (text.map(Param::Text), "")
        }
        Method::Range | Method::RangeLength => (
            (nums.len() == 2).then_some(Param::Numbers(nums)),
            "[min, max]",
        ),
        Method::EqualTo => (
            text.filter(|s| !s.is_empty()).map(Param::Text),
            "a selector",
        ),
        Method::Pattern => (
            text.filter(|s| !s.is_empty()).map(Param::Text),
            "a pattern string",
        ),
        // additional-methods: a string is the list, anything else the default list.
        Method::Extension => (Some(text.map_or(Param::Flag, Param::Text)), ""),
        Method::RequireFromGroup => (group(v, parse), "[count, selector]"),
        _ => (one.then_some(Param::Numbers(nums)), "a number"),
    };
    param.map(Some).ok_or(what)
}

/// `require_from_group`'s `[n, selector]`: a number (or its text) and a non-empty string.
fn group(v: &ParamSpec, parse: Parse) -> Option<Param> {
    let ParamSpec::List(items) = v else {
        return None;
    };
    match items.as_slice() {
        [n @ (ParamSpec::Number(_) | ParamSpec::Text(_)), ParamSpec::Text(selector)] => {
            let n = n.numeral().filter(|n| parse(n).is_finite())?;
            (!selector.is_empty()).then(|| Param::Group(n, selector.clone()))
        }
        _ => None,
    }
}

impl RuleSet {
    /// The field named `name`, added if missing.
    pub fn field_mut(&mut self, name: &str) -> &mut FieldRules {
        let i = match self.fields.iter().position(|f| f.name == name) {
            Some(i) => i,
            None => {
                self.fields.push(FieldRules {
                    name: name.to_owned(),
                    ..FieldRules::default()
                });
                self.fields.len() - 1
            }
        };
        &mut self.fields[i]
    }

    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&FieldRules> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Reads jquery-validation's `rules` and `messages` options: `{field: "required
    /// email"}` or `{field: {method: param}}`, and `{field: "message"}` or `{field:
    /// {method: "message"}}`. Errors name the path and what was expected:
    /// `rules.message.minlength must be a number, not a string`.
    pub fn from_options(options: &RulesOptions) -> Result<RuleSet, OptionsError> {
        let mut set = RuleSet::default();
        for (field, spec) in &options.rules.0 {
            set.field_mut(field).apply_rules(spec, &number::js_number)?;
        }
        for (field, spec) in &options.messages.0 {
            set.field_mut(field).apply_messages(spec)?;
        }
        Ok(set)
    }

    /// Reads the server's rules file: its `rules` and `messages` as [`Self::from_options`]
    /// does, what it says about the page, and its `lang`: the default messages are that
    /// language's table ([`Messages::for_code`]), an error naming the languages there are
    /// when it has none.
    pub fn from_rules_file(file: &RulesFile) -> Result<RuleSet, OptionsError> {
        let mut set = RuleSet::from_options(&file.options)?;
        set.page = file.page.clone();
        if let Some(tag) = &file.lang {
            set.defaults = Messages::for_code(tag).ok_or_else(|| {
                OptionsError::format(
                    "lang: no messages for \"{0}\" (there are: {1})",
                    &[tag, Lang::CODES],
                )
            })?;
        }
        Ok(set)
    }

    /// The seed's contact form: `subject` and `message` required, `from` an e-mail address.
    pub fn seed() -> RuleSet {
        let names = |t: &str| FieldRulesSpec::Names(t.to_owned());
        let options = RulesOptions {
            rules: Entries(vec![
                ("subject".to_owned(), names("required")),
                ("from".to_owned(), names("email")),
                ("message".to_owned(), names("required")),
            ]),
            messages: Entries::default(),
        };
        RuleSet::from_options(&options).expect("the seed rules are valid")
    }
}

/// The rules an element's HTML attributes give, as jquery-validation's `attributeRules`
/// reads them: `required`, `minlength`, `maxlength`, `min`, `max`, `step`, `pattern`, …
/// and `type=email|url|number`. `attr` returns an attribute's value if present. A value
/// the option would refuse gives no rule, as in jquery-validation. Numbers are read with
/// `parse`.
pub fn attribute_rules(
    type_attr: Option<&str>,
    attr: impl Fn(&str) -> Option<String>,
    parse: Parse,
) -> Vec<Rule> {
    let mut rules = Vec::new();
    // Numbers are read as numbers for these types, other types (dates) compare as text.
    let numeric_type = type_attr.is_none_or(|t| matches!(t, "number" | "range" | "text"));
    for method in Method::all() {
        let name = method.name();
        // jquery-validation: `type=date` gives `dateISO`, not `date`.
        let type_name = match method {
            Method::Date => "",
            Method::DateIso => "date",
            _ => name,
        };
        let min_max = matches!(method, Method::Min | Method::Max);
        // The attribute's value read as the option's would be.
        let given = match attr(name).filter(|v| !v.is_empty() || method == Method::Required) {
            None if method.is_flag() && type_attr == Some(type_name) => ParamSpec::Bool(true),
            None => continue,
            Some(_) if method.is_flag() => ParamSpec::Bool(true),
            // Dates and times: compared as text, whatever they look like.
            Some(v) if min_max && !numeric_type => {
                rules.push(Rule {
                    method,
                    param: Param::Text(v),
                });
                continue;
            }
            // On a number input, a `min` or `max` that is not a number gives no rule; one
            // that is is read as the option's string would be: as a number.
            Some(v) if min_max && parse(&v).is_nan() => continue,
            Some(v) => ParamSpec::Text(v),
        };
        if let Ok(Some(param)) = param(method, &given, parse) {
            rules.push(Rule { method, param });
        }
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::js_number;

    /// A value as the server's JSON gives it.
    fn json(text: &str) -> ParamSpec {
        serde_json::from_str(text).unwrap()
    }
    fn s(t: &str) -> ParamSpec {
        ParamSpec::Text(t.to_owned())
    }
    fn n(t: &str) -> ParamSpec {
        ParamSpec::Number(t.to_owned())
    }
    fn from_json(rules: &str, messages: &str) -> Result<RuleSet, OptionsError> {
        let options: RulesOptions =
            serde_json::from_str(&format!(r#"{{"rules": {rules}, "messages": {messages}}}"#))
                .unwrap();
        RuleSet::from_options(&options)
    }

    #[test]
    fn reads_the_seed_options() {
        let seed = RuleSet::seed();
        let names: Vec<&str> = seed.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["subject", "from", "message"]);
        assert_eq!(seed.field("from").unwrap().rules[0].method, Method::Email);
        assert_eq!(
            seed.field("subject").unwrap().rules[0].method,
            Method::Required
        );
    }

    #[test]
    fn keeps_required_first_and_drops_false() {
        let set = from_json(
            r#"{"x": {"email": true, "required": true, "url": false}}"#,
            "null",
        )
        .unwrap();
        let methods: Vec<Method> = set.fields[0].rules.iter().map(|r| r.method).collect();
        assert_eq!(methods, [Method::Required, Method::Email]);
    }

    #[test]
    fn false_removes_a_rule_already_there() {
        let mut f = FieldRules {
            name: "a".into(),
            rules: attribute_rules(None, |n| (n == "required").then(String::new), &js_number),
            messages: vec![],
        };
        f.apply_rules(
            &FieldRulesSpec::Params(Entries(vec![
                ("required".into(), ParamSpec::Bool(false)),
                ("digits".into(), ParamSpec::Bool(true)),
            ])),
            &js_number,
        )
        .unwrap();
        let methods: Vec<Method> = f.rules.iter().map(|r| r.method).collect();
        assert_eq!(methods, [Method::Digits]);
    }

    #[test]
    fn names_what_is_wrong() {
        let err = |rules: &str| from_json(rules, "null").unwrap_err().0;
        assert_eq!(
            err(r#"{"subject": "requird"}"#),
            format!("rules.subject: unknown rule \"requird\" (known: {KNOWN_METHODS})")
        );
        assert_eq!(
            err(r#"{"m": {"minlength": "ten"}}"#),
            "rules.m.minlength must be a number, not a string"
        );
        assert_eq!(
            err(r#"{"m": {"range": 5}}"#),
            "rules.m.range must be [min, max], not a number"
        );
        assert_eq!(
            err(r#"{"m": 1}"#),
            "rules.m must be a string of rule names or an object, not a number"
        );
        let msg_err = from_json("null", r#"{"m": {"nope": "x"}}"#).unwrap_err().0;
        assert!(msg_err.starts_with("messages.m: unknown rule \"nope\""));
        let msg_err = from_json("null", r#"{"m": {"required": 1}}"#)
            .unwrap_err()
            .0;
        assert_eq!(
            msg_err,
            "messages.m.required must be a string, not a number"
        );
    }

    #[test]
    fn number_parameters_are_trimmed_and_must_be_one_number() {
        let min = |v: ParamSpec| param(Method::Min, &v, &js_number);
        let one = |t: &str| Ok(Some(Param::Numbers(vec![t.to_owned()])));
        assert_eq!(min(s(" 5\u{a0}")), one("5"));
        assert_eq!(min(s("\u{feff}0.5\t")), one("0.5"));
        assert_eq!(min(n("1e+21")), one("1e+21"));
        let range = param(Method::Range, &s(" [ 1 ,\u{3000}5 ] "), &js_number);
        assert_eq!(
            range,
            Ok(Some(Param::Numbers(vec!["1".into(), "5".into()])))
        );
        // Arrays are read as JavaScript's `String(array)` writes them: items between
        // commas, nested arrays flattened, `null` as nothing.
        let arr = |items: &[ParamSpec]| ParamSpec::List(items.to_vec());
        let both = Ok(Some(Param::Numbers(vec!["1".into(), "5".into()])));
        assert_eq!(
            param(Method::Range, &arr(&[n("1"), s(" 5 ")]), &js_number),
            both
        );
        assert_eq!(
            param(
                Method::Range,
                &arr(&[arr(&[n("1")]), ParamSpec::Null, n("5")]),
                &js_number
            ),
            both
        );
        assert_eq!(min(arr(&[ParamSpec::Null, n("5")])), one("5"));
        for bad in [
            arr(&[ParamSpec::Bool(true), n("5")]),
            arr(&[json("{}"), n("5")]),
        ] {
            assert_eq!(param(Method::Range, &bad, &js_number), Err("[min, max]"));
        }
        for bad in ["1 2", " ", ""] {
            let mut f = FieldRules {
                name: "m".into(),
                ..FieldRules::default()
            };
            let spec = FieldRulesSpec::Params(Entries(vec![("step".into(), s(bad))]));
            let err = f.apply_rules(&spec, &js_number).unwrap_err().0;
            assert_eq!(
                err, "rules.m.step must be a number, not a string",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn formats_messages_like_jquery_validation() {
        assert_eq!(
            format_message("between {0} and {1}.", &["2", "5"]),
            "between 2 and 5."
        );
        assert_eq!(format_message("at least ${0}!", &["3"]), "at least 3!");
        assert_eq!(format_message("{x} {9} {", &["a"]), "{x} {9} {");
        // As jquery-validation's regex `\$?\{0\}`: "{00}" is not "{0}".
        assert_eq!(format_message("{00} {0}{", &["a"]), "{00} a{");
    }

    #[test]
    fn custom_messages_win_in_order() {
        let rules = r#"{"m": {"required": true, "minlength": 3}}"#;
        let messages = r#"{"m": {"minlength": "Say at least {0} things"}}"#;
        let set = from_json(rules, messages).unwrap();
        let f = &set.fields[0];
        assert_eq!(f.message(&f.rules[0]), "This field is required.");
        assert_eq!(f.message(&f.rules[1]), "Say at least 3 things");
        let all = from_json(rules, r#"{"m": "Bad {0}"}"#).unwrap();
        assert_eq!(all.fields[0].message(&all.fields[0].rules[1]), "Bad 3");
    }

    #[test]
    fn reads_html_attributes() {
        let attrs = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let r = attribute_rules(
            Some("email"),
            attrs(&[("required", ""), ("maxlength", "20")]),
            &js_number,
        );
        let methods: Vec<Method> = r.iter().map(|r| r.method).collect();
        assert_eq!(
            methods,
            [Method::Required, Method::Email, Method::MaxLength]
        );
        let r = attribute_rules(
            Some("number"),
            attrs(&[("min", "1"), ("max", "x"), ("step", "any")]),
            &js_number,
        );
        assert_eq!(
            r,
            [
                Rule {
                    method: Method::Number,
                    param: Param::Flag
                },
                Rule {
                    method: Method::Min,
                    param: Param::Numbers(vec!["1".into()])
                },
            ]
        );
        // `type=date` gives `dateISO`, as jquery-validation's attributeRules does.
        let r = attribute_rules(Some("date"), attrs(&[("min", "2020-01-01")]), &js_number);
        assert_eq!(
            r,
            [
                Rule {
                    method: Method::DateIso,
                    param: Param::Flag
                },
                Rule {
                    method: Method::Min,
                    param: Param::Text("2020-01-01".into())
                }
            ]
        );
        // Not a number type: even a numeral compares as text.
        let r = attribute_rules(Some("month"), attrs(&[("max", "5")]), &js_number);
        assert_eq!(r[0].param, Param::Text("5".into()));
        // Values the option would refuse give no rule.
        let r = attribute_rules(
            None,
            attrs(&[("minlength", "2.5"), ("step", "0"), ("range", "1")]),
            &js_number,
        );
        assert!(r.is_empty(), "{r:?}");
        assert!(attribute_rules(Some("range"), attrs(&[]), &js_number).is_empty());
    }
}

#[cfg(test)]
mod data_rule_tests {
    use super::*;
    use crate::number::js_number;

    /// jquery-validation's dataRules: `data-rule-METHOD`, "true"/"false" as booleans.
    #[test]
    fn data_rule_attributes_give_rules() {
        let mut f = FieldRules {
            name: "r".into(),
            rules: attribute_rules(None, |n| (n == "required").then(String::new), &js_number),
            messages: vec![],
        };
        let attrs = [
            ("data-rule-email", "true"),
            ("data-rule-minlength", "3"),
            ("data-rule-equalto", "#pw"),
            ("data-rule-required", "false"),
        ];
        f.apply_data_rules(
            |n| {
                attrs
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            },
            &js_number,
        );
        let methods: Vec<Method> = f.rules.iter().map(|r| r.method).collect();
        assert_eq!(methods, [Method::Email, Method::MinLength, Method::EqualTo]);
    }
}
