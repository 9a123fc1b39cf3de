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
/// from the same list. A method a page adds at run time (`addMethod`) is
/// [`Method::Custom`], named in a registry of its own ([`Method::add`]).
macro_rules! methods {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $flag:literal, $message:literal;)*) => {
        /// A validation method: jquery-validation's built-ins plus `pattern` from its
        /// additional-methods.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Method {
            $($(#[$doc])* $variant,)*
            /// A method the page added with `addMethod`, by its number in the registry
            /// ([`Method::add`]): run by the browser only (the server knows none, and
            /// refuses a rules file naming one as an unknown rule).
            Custom(u16),
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
    /// The answer of a URL asked `GET URL?NAME=VALUE` (<https://jqueryvalidation.org/remote-method/>):
    /// `true` or `"true"` passes, a string is the message, `false` the default one with
    /// the value as `{0}`. `true` for corsform-server's own check (`ACTION/validate`), a
    /// URL, or `{url, data}`. Asked by the browser; the server lets it pass (its own check
    /// is these same rules).
    Remote = "remote", false, "Please fix this field.";
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

/// A method added at run time: its name, and whether a class of that name gives the rule.
type Added = (&'static str, bool);

std::thread_local! {
    /// The methods the page added (`addMethod`), numbered in the order added.
    static ADDED: core::cell::RefCell<Vec<Added>> = const { core::cell::RefCell::new(Vec::new()) };
}

impl Method {
    /// The built-in methods, in the order attribute rules are read.
    pub fn all() -> impl Iterator<Item = Method> {
        METHODS.iter().map(|m| m.0)
    }

    /// The built-in methods the page did not replace, then the ones it added, in the
    /// order jquery-validation's `$.validator.methods` lists them.
    pub fn registered() -> Vec<Method> {
        ADDED.with(|a| {
            let added = a.borrow();
            let mut methods = Vec::new();
            for (method, name, _, _) in METHODS {
                if !added.iter().any(|a| a.0 == *name) {
                    methods.push(*method);
                }
            }
            for i in 0..added.len() {
                methods.push(Method::Custom(i as u16));
            }
            methods
        })
    }

    /// The method `name` names: one the page added under that name, else the built-in
    /// one, as the options spell it (`equalTo`, `minlength`, …).
    pub fn from_name(name: &str) -> Option<Method> {
        let added = ADDED.with(|a| a.borrow().iter().position(|a| a.0 == name));
        match added {
            Some(i) => Some(Method::Custom(i as u16)),
            None => METHODS.iter().find(|m| m.1 == name).map(|m| m.0),
        }
    }

    /// jquery-validation's `$.validator.addMethod(name, …)`, as far as the rules go: the
    /// method `name` from now on (the same one when `name` was added before; a built-in's
    /// name is replaced by it, as in jquery-validation). `class_rule`: a class `name` gives
    /// the rule (jquery-validation's `addClassRules`, for a method of fewer than three
    /// parameters).
    pub fn add(name: &str, class_rule: bool) -> Method {
        ADDED.with(|a| {
            let mut added = a.borrow_mut();
            let i = match added.iter().position(|a| a.0 == name) {
                Some(i) => i,
                None => {
                    added.push((String::leak(name.to_owned()), false));
                    added.len() - 1
                }
            };
            added[i].1 = class_rule;
            Method::Custom(i as u16)
        })
    }

    fn entry(self) -> (&'static str, &'static str, bool) {
        match self {
            Method::Custom(i) => ADDED.with(|a| (a.borrow()[usize::from(i)].0, "", false)),
            m => METHODS
                .iter()
                .find(|e| e.0 == m)
                .map_or(("", "", false), |e| (e.1, e.2, e.3)),
        }
    }

    /// The option name: `required`, `equalTo`, … (a custom method's, as added).
    pub fn name(self) -> &'static str {
        self.entry().0
    }

    /// jquery-validation's default English message, `{0}` and `{1}` still in it (empty for
    /// a custom method: its message is the page's).
    pub fn default_message(self) -> &'static str {
        self.entry().1
    }

    fn is_flag(self) -> bool {
        self.entry().2
    }

    /// A class of this method's name gives the rule (jquery-validation's `classRules`):
    /// the built-ins without a parameter, and the custom methods added so.
    fn is_class_rule(self) -> bool {
        match self {
            Method::Custom(i) => ADDED.with(|a| a.borrow()[usize::from(i)].1),
            m => m.is_flag(),
        }
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
    /// `remote`'s URL (empty for `true`: corsform-server's check beside the form's
    /// `action`, `ACTION/validate`), the other pairs its `data` adds to the query, and
    /// whether the query is POSTed as a form-encoded body rather than sent in a GET's URL.
    Remote(String, Vec<(String, String)>, bool),
    /// A custom method's parameter, as given (the page's method receives it).
    Custom(ParamSpec),
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
            Param::Remote(url, ..) => (i == 0).then_some(url.as_str()),
            // jquery-validation's `format`: an array's items, else the value itself.
            Param::Custom(ParamSpec::List(items)) => items.get(i).and_then(ParamSpec::text),
            Param::Custom(p) => p.text().filter(|_| i == 0),
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
    /// `$.extend` does), keeping `required` first and `remote` last (as jquery-validation's
    /// `rules()` orders them).
    pub fn set(&mut self, rule: Rule) {
        let remote = self.rules.iter().position(|r| r.method == Method::Remote);
        match self.rules.iter_mut().find(|r| r.method == rule.method) {
            Some(r) => r.param = rule.param,
            None if rule.method == Method::Required => self.rules.insert(0, rule),
            None => self.rules.insert(remote.unwrap_or(self.rules.len()), rule),
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
    /// method (HTML keeps attribute names in lower case, so `data-rule-equalto`), `data`
    /// giving its value as jQuery's `data()` reads the attribute ([`data_value`]; an empty
    /// one is `true`). A value the method refuses gives no rule, as for the HTML
    /// attributes.
    pub fn apply_data_rules(
        &mut self,
        type_attr: Option<&str>,
        data: impl Fn(&str) -> Option<ParamSpec>,
        parse: Parse,
    ) {
        for method in Method::registered() {
            let name = ["data-rule-", &method.name().to_ascii_lowercase()].concat();
            // jquery-validation's `normalizeAttributeRule`: `false` and `null` give no rule
            // (and leave an attribute's rule in place).
            let given =
                data(&name).filter(|v| !matches!(v, ParamSpec::Bool(false) | ParamSpec::Null));
            if let Some(given) = given.and_then(|v| as_attribute(method, v, type_attr, parse)) {
                let _ = self.apply_rule(method.name(), &given, parse);
            }
        }
    }

    /// The method `name` names, in `section` (`rules` or `messages`) of this field.
    pub fn method(&self, section: &str, name: &str) -> Result<Method, OptionsError> {
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
        Method::Remote => (remote(v), "true, a URL or {url, data}"),
        Method::Custom(_) => (Some(Param::Custom(v.clone())), ""),
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

/// `remote`'s `true`, `"url"` or `{url, data: {name: value}, method: "POST"}` (the data's
/// values as `String(v)` writes them; `method`, or its older name `type`, as `$.ajax`
/// reads them, in any case; other keys, jQuery's other `$.ajax` settings, are not read).
fn remote(v: &ParamSpec) -> Option<Param> {
    let text = |v: Option<&ParamSpec>| v.and_then(ParamSpec::text).map(str::to_owned);
    match v {
        ParamSpec::Bool(true) => Some(Param::Remote(String::new(), Vec::new(), false)),
        ParamSpec::Text(url) => Some(Param::Remote(url.clone(), Vec::new(), false)),
        ParamSpec::Object(Entries(entries)) => {
            let get = |key: &str| entries.iter().find(|(k, _)| k == key).map(|(_, v)| v);
            let mut data = Vec::new();
            if let Some(ParamSpec::Object(Entries(given))) = get("data") {
                for (k, v) in given {
                    data.push((k.clone(), text(Some(v)).unwrap_or_default()));
                }
            }
            let verb = text(get("method")).or_else(|| text(get("type")));
            let url = text(get("url")).unwrap_or_default();
            // Without a URL, corsform-server's own check, which is a GET.
            let post = !url.is_empty() && verb.is_some_and(|v| v.eq_ignore_ascii_case("post"));
            Some(Param::Remote(url, data, post))
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
        RuleSet::from_options(&RulesOptions::seed()).expect("the seed rules are valid")
    }
}

/// Whether an input of type `type_attr` reads numbers as numbers (no type, `number`,
/// `range`, `text`); other types (dates) compare as text.
fn numeric_type(type_attr: Option<&str>) -> bool {
    type_attr.is_none_or(|t| matches!(t, "number" | "range" | "text"))
}

/// An attribute's value for a custom method, as jquery-validation's
/// `normalizeAttributeRule` reads it: a method whose name has `min`, `max` or `step` in it
/// takes `Number(value)` on an input that reads numbers (none when that is `NaN`); other
/// values as they are.
fn as_attribute(
    method: Method,
    v: ParamSpec,
    type_attr: Option<&str>,
    parse: Parse,
) -> Option<ParamSpec> {
    let name = method.name().as_bytes();
    // `/min|max|step/.test(method)`, compared by bytes: the wasm needs no substring search.
    let has = |w: &str| name.windows(w.len()).any(|part| part == w.as_bytes());
    let numeric = matches!(method, Method::Custom(_))
        && ["min", "max", "step"].iter().any(|w| has(w))
        && numeric_type(type_attr);
    if !numeric {
        return Some(v);
    }
    let text = match &v {
        ParamSpec::Bool(b) => (if *b { "1" } else { "0" }).to_owned(),
        ParamSpec::Null => "0".to_owned(),
        other => other.numeral()?,
    };
    (!parse(&text).is_nan()).then_some(ParamSpec::Number(text))
}

/// jQuery's `data()` reading of a `data-*` attribute's `text` (its `getData`), as
/// jquery-validation's `dataRules` takes it: `"true"`, `"false"` and `"null"` as those
/// values, `""` as `true`, a number written as `String(number)` writes it (`number`
/// gives that text for `text`, if a number) as the number, text in braces or brackets as
/// the JSON it is (`json`, `None` when it does not parse), anything else as the text.
pub fn data_value(
    text: String,
    number: impl Fn(&str) -> Option<String>,
    json: impl Fn(&str) -> Option<ParamSpec>,
) -> ParamSpec {
    let braced = |open, close| text.starts_with(open) && text.ends_with(close);
    match text.as_str() {
        "true" | "" => ParamSpec::Bool(true),
        "false" => ParamSpec::Bool(false),
        "null" => ParamSpec::Null,
        _ if number(&text).as_deref() == Some(&text) => ParamSpec::Number(text),
        _ if braced('{', '}') || braced('[', ']') => json(&text).unwrap_or(ParamSpec::Text(text)),
        _ => ParamSpec::Text(text),
    }
}

/// jquery-validation's `classRules`: each class of `classes` (split at spaces) that names
/// a method without a parameter (`required`, `email`, `url`, `date`, `dateISO`, `number`,
/// `digits`) or a method the page added as a class rule ([`Method::add`]) gives that
/// rule, with `true` (`parse` reads numbers, as for the other rules).
pub fn class_rules(classes: &str, parse: Parse) -> Vec<Rule> {
    let mut out = FieldRules::default();
    for class in crate::pieces(classes, |c| c == ' ') {
        let Some(method) = Method::from_name(class) else {
            continue;
        };
        if method.is_class_rule() {
            let given = ParamSpec::Bool(true);
            if let Ok(Some(param)) = param(method, &given, parse) {
                out.set(Rule { method, param });
            }
        }
    }
    out.rules
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
    let numeric_type = numeric_type(type_attr);
    for method in Method::registered() {
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
            Some(v) => match as_attribute(method, ParamSpec::Text(v), type_attr, parse) {
                Some(v) => v,
                None => continue,
            },
        };
        if let Ok(Some(param)) = param(method, &given, parse) {
            rules.push(Rule { method, param });
        }
    }
    // `remote` last, as jquery-validation's `rules()` puts it.
    if let Some(i) = rules.iter().position(|r| r.method == Method::Remote) {
        let remote = rules.remove(i);
        rules.push(remote);
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
            None,
            |n| {
                let text = attrs.iter().find(|(k, _)| *k == n)?.1.to_owned();
                Some(data_value(text, |_| None, |_| None))
            },
            &js_number,
        );
        // `"false"` gives no rule and leaves the attribute's, as jquery-validation does.
        let methods: Vec<Method> = f.rules.iter().map(|r| r.method).collect();
        assert_eq!(
            methods,
            [
                Method::Required,
                Method::Email,
                Method::MinLength,
                Method::EqualTo
            ]
        );
    }
}

#[cfg(test)]
mod added_and_remote_tests {
    use super::*;
    use crate::number::js_number;
    use crate::validate::{check_field, Env, Input};

    struct Server;
    impl Env for Server {
        fn equal_to(&self, _: &str) -> Option<String> {
            None
        }
        fn pattern(&self, _: &str, _: &str) -> bool {
            false
        }
    }

    /// `remote` takes `true`, a URL or `{url, data}`, always runs last, and passes where
    /// no page asks it (the server: its own check is these rules).
    #[test]
    fn remote_is_last_and_passes_on_the_server() {
        let options: RulesOptions = serde_json::from_str(
            r#"{"rules": {"a": {"remote": {"url": "/check", "data": {"x": 1, "y": "z"}}, "minlength": 2},
                          "b": {"remote": true}, "c": {"remote": "/c"},
                          "d": {"remote": {"url": "/d", "type": "post"}},
                          "e": {"remote": {"url": "/e", "method": "POST", "type": "get"}},
                          "f": {"remote": {"url": "/f", "method": "GET", "type": "post"}}}}"#,
        )
        .unwrap();
        let set = RuleSet::from_options(&options).unwrap();
        let a = set.field("a").unwrap();
        assert_eq!(a.rules[0].method, Method::MinLength);
        let data = vec![("x".into(), "1".into()), ("y".into(), "z".into())];
        assert_eq!(
            a.rules[1].param,
            Param::Remote("/check".into(), data, false)
        );
        let remote = |name: &str| set.field(name).unwrap().rules[0].param.clone();
        assert_eq!(remote("b"), Param::Remote(String::new(), vec![], false));
        assert_eq!(remote("c"), Param::Remote("/c".into(), vec![], false));
        // `$.ajax`: `method` first, then `type`.
        assert_eq!(remote("d"), Param::Remote("/d".into(), vec![], true));
        assert_eq!(remote("e"), Param::Remote("/e".into(), vec![], true));
        assert_eq!(remote("f"), Param::Remote("/f".into(), vec![], false));
        assert_eq!(check_field(a, Input::text("abc"), &Server), None);
        assert_eq!(
            check_field(a, Input::text("a"), &Server).unwrap().method,
            Method::MinLength
        );
        let bad = serde_json::from_str(r#"{"rules": {"a": {"remote": 5}}}"#).unwrap();
        assert_eq!(
            RuleSet::from_options(&bad).unwrap_err().0,
            "rules.a.remote must be true, a URL or {url, data}, not a number"
        );
    }

    /// A method added at run time is known by its name from then on (on this thread: the
    /// server adds none), in rules, data-rule-* and classes when added so; its parameter is
    /// kept as given; without a page to run it, it fails.
    #[test]
    fn an_added_method_is_a_rule_by_its_name() {
        assert_eq!(Method::from_name("phoneUK"), None);
        let m = Method::add("phoneUK", true);
        assert_eq!(Method::add("phoneUK", true), m, "the same method again");
        assert_eq!(
            (Method::from_name("phoneUK"), m.name()),
            (Some(m), "phoneUK")
        );
        assert!(Method::registered().contains(&m));
        assert_eq!(class_rules("x phoneUK required", &js_number).len(), 2);
        let mut f = FieldRules::default();
        let spec = FieldRulesSpec::Params(Entries(vec![(
            "phoneUK".into(),
            ParamSpec::List(vec![ParamSpec::Number("2".into())]),
        )]));
        f.apply_rules(&spec, &js_number).unwrap();
        assert_eq!(
            f.rules[0].param,
            Param::Custom(ParamSpec::List(vec![ParamSpec::Number("2".into())]))
        );
        assert_eq!(f.rules[0].arg(0), Some("2"));
        assert!(
            check_field(&f, Input::text(""), &Server).is_some(),
            "the server has no such method"
        );
        // Added without the class rule (three parameters): a class gives nothing.
        Method::add("phoneUK", false);
        assert!(class_rules("phoneUK", &js_number).is_empty());
    }

    /// jQuery's `data()` reading, and a method named with `min` reading a number.
    #[test]
    fn data_values_as_jquery_reads_them() {
        let read = |t: &str| {
            let number = |t: &str| Some(js_number(t).to_string()).filter(|n| n == t);
            let json = |t: &str| serde_json::from_str(t).ok();
            data_value(t.into(), number, json)
        };
        assert_eq!(read(""), ParamSpec::Bool(true));
        assert_eq!(read("null"), ParamSpec::Null);
        assert_eq!(read("3"), ParamSpec::Number("3".into()));
        assert_eq!(read("3.0"), ParamSpec::Text("3.0".into()));
        assert_eq!(
            read("[2,5]"),
            ParamSpec::List(vec![
                ParamSpec::Number("2".into()),
                ParamSpec::Number("5".into())
            ])
        );
        assert_eq!(read("[2,"), ParamSpec::Text("[2,".into()));
        let m = Method::add("minWords", false);
        let list = ParamSpec::List(vec![ParamSpec::Number("3".into())]);
        assert_eq!(
            as_attribute(m, list.clone(), None, &js_number),
            Some(ParamSpec::Number("3".into()))
        );
        assert_eq!(
            as_attribute(m, ParamSpec::Text("x".into()), None, &js_number),
            None
        );
        assert_eq!(
            as_attribute(m, list.clone(), Some("date"), &js_number),
            Some(list)
        );
    }
}
