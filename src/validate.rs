//! Running the rules on a value: jquery-validation's methods, with its "empty optional
//! fields pass" rule and its length counting.

use core::cmp::Ordering;

use crate::number;
use crate::options::PageFacts;
use crate::rules::{FieldRules, Method, Param, Rule, RuleSet};

/// A field's value as the rules see it.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// The text value (for a choice field, the first chosen value or "").
    pub text: &'a str,
    /// For checkboxes, radios and multi-selects: how many are chosen.
    pub count: Option<usize>,
}

impl<'a> Input<'a> {
    /// A text field's value.
    pub fn text(text: &'a str) -> Input<'a> {
        Input { text, count: None }
    }
}

/// What a rule needs from outside the value: the page (browser) or the submission
/// (server).
pub trait Env {
    /// The value of the field `selector` names, for `equalTo`.
    fn equal_to(&self, selector: &str) -> Option<String>;
    /// Whether the whole of `value` matches the regular expression `source`.
    fn pattern(&self, source: &str, value: &str) -> bool;
    /// The browser's own verdict for a `step` rule, where the browser has one (a date or
    /// time input, whose step is in days, seconds or months: `validity.stepMismatch`); by
    /// default none, and the rule computes it.
    fn step(&self, _value: &str) -> Option<bool> {
        None
    }
    /// The control's default value (its `value` attribute): the HTML standard's step base
    /// when there is no `min`. None by default (the server has no markup).
    fn default_value(&self) -> Option<String> {
        None
    }
    /// `Number(text)`: by default [`crate::js_number`]; the browser asks the JS engine.
    fn number(&self, text: &str) -> f64 {
        number::js_number(text)
    }
    /// Whether `value` matches jquery-validation's expression for `method`: `email`, `url`
    /// or `number` (see [`expression`]). By default the expression written out in Rust
    /// ([`crate::is_valid_email`], [`crate::is_valid_url`], the number grammar); the
    /// browser runs the expression itself with the JS engine's `RegExp`.
    fn expression(&self, method: Method, value: &str) -> bool {
        match method {
            Method::Email => crate::email::is_valid_email(value),
            Method::Url => crate::url::is_valid_url(value),
            Method::DateIso => crate::formats::is_date_iso(value),
            _ => is_number(value),
        }
    }
    /// jquery-validation's `date`: whether `!/Invalid|NaN/.test(new Date(value).toString())`,
    /// which only a JS engine answers (each engine's legacy date parser accepts its own
    /// set of strings). The browser asks its engine; by default `false` (no Rust parser
    /// gives an engine's verdict, and the server refuses a rules file using `date`).
    fn date(&self, _value: &str) -> bool {
        false
    }
    /// Whether `value` matches `\.(list)$` case-insensitively, `list` already with `|`
    /// for `,` (additional-methods' `extension`). By default [`crate::has_extension`], for
    /// the plain lists it reads; the browser runs the expression with its `RegExp`.
    fn extension(&self, list: &str, value: &str) -> bool {
        crate::formats::has_extension(list, value)
    }
    /// How many of the fields `selector` names are filled, for `require_from_group`; `None`
    /// when the selector can't be followed (then the rule fails). None by default.
    fn group_filled(&self, _selector: &str) -> Option<usize> {
        None
    }
    /// `remote`'s verdict for `value`: the browser asks the URL (and counts a check still
    /// in flight as passed until its answer); by default `true`: on the server the rule's
    /// own check is these same rules (`GET …/validate`), or another service's that the
    /// server does not ask.
    fn remote(&self, _rule: &Rule, _value: &str) -> bool {
        true
    }
    /// A custom method's verdict (`addMethod`): the page's function decides, empty fields
    /// included (it calls `this.optional(element)` itself). By default `false`: the server
    /// has no custom method (a rules file naming one is refused as an unknown rule).
    fn custom(&self, _rule: &Rule, _value: &str) -> bool {
        false
    }
}

/// jquery-validation 1.22's `number` expression, verbatim.
pub const NUMBER_PATTERN: &str = r#"^(?:-?\d+|-?\d{1,3}(?:,\d{3})+)?(?:-?\.\d+)?$"#;

/// jquery-validation's regular expression for `method` and its flags, for the three
/// methods it defines by one: `email`, `url` (case-insensitive), `dateISO` and `number`.
pub fn expression(method: Method) -> Option<(&'static str, &'static str)> {
    match method {
        Method::Email => Some((crate::email::PATTERN, "")),
        Method::Url => Some((crate::url::PATTERN, "i")),
        Method::DateIso => Some((crate::formats::DATE_ISO_PATTERN, "")),
        Method::Number => Some((NUMBER_PATTERN, "")),
        _ => None,
    }
}

/// The failed rule of a field and its message.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// The field's name.
    pub field: String,
    /// The method that failed.
    pub method: Method,
    /// What the user is told.
    pub message: String,
}

/// Length as the browser and jquery-validation count it: UTF-16 code units, `\r` not
/// counted (a textarea's value has bare `\n`; the wire has `\r\n`).
pub fn length(text: &str) -> usize {
    text.chars()
        .filter(|&c| c != '\r')
        .map(char::len_utf16)
        .sum()
}

fn is_number(s: &str) -> bool {
    // /^(?:-?\d+|-?\d{1,3}(?:,\d{3})+)?(?:-?\.\d+)?$/, on bytes (no char-boundary checks).
    let b = s.as_bytes();
    let digits = |i: usize| {
        b[i.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let sign = usize::from(b.first() == Some(&b'-'));
    let lead = digits(sign);
    let mut i = 0;
    if lead > 0 {
        i = sign + lead;
        // Thousands separators after 1-3 digits: groups of exactly three.
        while lead <= 3 && b.get(i) == Some(&b',') && digits(i + 1) == 3 {
            i += 4;
        }
    }
    // Then `-?\.\d+` to the end, or nothing after a whole part.
    let dot = i + usize::from(b.get(i) == Some(&b'-'));
    match b.get(dot) == Some(&b'.') {
        true => {
            let d = digits(dot + 1);
            d > 0 && dot + 1 + d == b.len()
        }
        false => i > 0 && i == b.len(),
    }
}

fn compare(value: &str, rule: &Rule, n: usize, env: &(impl Env + ?Sized)) -> Option<Ordering> {
    match &rule.param {
        Param::Text(t) => Some(value.cmp(t.as_str())),
        _ => env
            .number(value)
            .partial_cmp(&rule.num(n, &|t| env.number(t))),
    }
}

/// The HTML standard's step check (§ 4.10.5.3.9, "step mismatch"): `value` is `base` plus a
/// whole number of steps, `base` being `min`, else the default value, else 0. Computed on
/// scaled integers, with as many decimal places as the value, the step and the base have
/// (`1e-7` counts 7), so that `0.0000001` steps and `17 + 5n` are exact.
fn step_ok(value: &str, rule: &Rule, base: Option<&str>, env: &(impl Env + ?Sized)) -> bool {
    let Param::Numbers(p) = &rule.param else {
        return false;
    };
    let parse = |t: &str| env.number(t);
    let base = base.filter(|b| parse(b).is_finite()).unwrap_or("0");
    let places = [value, &p[0], base]
        .iter()
        .map(|t| number::decimal_places(t, &parse))
        .max()
        .unwrap_or(0);
    let to_int = |n: f64| number::js_round(n * number::pow10(places));
    let from_base = to_int(parse(value)) - to_int(parse(base));
    number::is_multiple(from_base, to_int(rule.num(0, &parse)))
}

/// Whether `rule` passes for `input` (a `step` counting from 0; see [`check_field`]).
pub fn check(rule: &Rule, input: Input<'_>, env: &(impl Env + ?Sized)) -> bool {
    check_from(rule, input, None, env)
}

/// [`check`], a `step` counting from `base`.
fn check_from(
    rule: &Rule,
    input: Input<'_>,
    base: Option<&str>,
    env: &(impl Env + ?Sized),
) -> bool {
    let present = match input.count {
        Some(n) => n > 0,
        None => !input.text.is_empty(),
    };
    let len = || input.count.unwrap_or_else(|| length(input.text));
    let v = input.text;
    let num = |n: usize| rule.num(n, &|t| env.number(t));
    match rule.method {
        Method::Required => present,
        // jquery-validation compares even an empty value with the other field.
        Method::EqualTo => match &rule.param {
            Param::Text(sel) => env.equal_to(sel).is_some_and(|other| other == v),
            _ => false,
        },
        // additional-methods' `require_from_group` does not ask `this.optional`: an empty
        // field of the group fails while too few are filled.
        Method::RequireFromGroup => match &rule.param {
            Param::Group(n, selector) => env
                .group_filled(selector)
                .is_some_and(|filled| filled as f64 >= env.number(n)),
            _ => false,
        },
        Method::Custom(_) => env.custom(rule, v),
        _ if !present => true, // optional and empty: every other rule passes
        Method::Remote => env.remote(rule, v),
        Method::Email | Method::Url | Method::Number | Method::DateIso => {
            env.expression(rule.method, v)
        }
        Method::Date => env.date(v),
        Method::Extension => match &rule.param {
            Param::Text(list) => env.extension(&list.replace(',', "|"), v),
            _ => env.extension(crate::formats::DEFAULT_EXTENSIONS, v),
        },
        Method::Digits => v.bytes().all(|b| b.is_ascii_digit()),
        // `length >= param`: false against NaN, as in JavaScript.
        Method::MinLength => len() as f64 >= num(0),
        Method::MaxLength => len() as f64 <= num(0),
        Method::RangeLength => {
            let l = len() as f64;
            l >= num(0) && l <= num(1)
        }
        Method::Min => compare(v, rule, 0, env).is_some_and(Ordering::is_ge),
        Method::Max => compare(v, rule, 0, env).is_some_and(Ordering::is_le),
        Method::Range => {
            compare(v, rule, 0, env).is_some_and(Ordering::is_ge)
                && compare(v, rule, 1, env).is_some_and(Ordering::is_le)
        }
        Method::Step => env.step(v).unwrap_or_else(|| step_ok(v, rule, base, env)),
        Method::Pattern => match &rule.param {
            Param::Text(source) => env.pattern(source, v),
            _ => false,
        },
    }
}

/// The first rule of `field` that `input` fails, if any.
pub fn check_field<'r>(
    field: &'r FieldRules,
    input: Input<'_>,
    env: &(impl Env + ?Sized),
) -> Option<&'r Rule> {
    // The step base: a number `min`, else the default value (HTML's step base).
    let min = field
        .rules
        .iter()
        .find(|r| r.method == Method::Min && matches!(r.param, Param::Numbers(_)))
        .and_then(|r| r.arg(0));
    let default = env.default_value();
    let base = min.or(default.as_deref());
    field
        .rules
        .iter()
        .find(|rule| !check_from(rule, input, base, env))
}

/// The id or name an `equalTo` selector points at, when it is `#id`, `[name=name]` or
/// `[name="name"]` (with an optional tag before the bracket): how the server, which has
/// no page, follows `equalTo`. `None` for any other selector (a class, a combinator, a
/// CSS escape), which the server refuses at start-up.
pub fn selector_field_name(selector: &str) -> Option<&str> {
    let s = selector.trim();
    if let Some(id) = s.strip_prefix('#') {
        let plain = |c: char| !c.is_whitespace() && !".#[]:>+~,()\\*=\"'".contains(c);
        return (!id.is_empty() && id.chars().all(plain)).then_some(id);
    }
    let at = s.find("[name=")?;
    if !s[..at].bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let inner = s[at + 6..].strip_suffix(']')?;
    let unquoted = [b'"', b'\''].iter().find_map(|&q| {
        let q = char::from(q);
        inner.strip_prefix(q)?.strip_suffix(q)
    });
    match unquoted {
        Some(name) if !name.contains(['"', '\'', '\\']) => Some(name),
        None if !inner.is_empty() && !inner.contains(['"', '\'', '\\', ']', ' ']) => Some(inner),
        _ => None,
    }
}

/// The id Rails (`form_with`) and Symfony give the control of a bracketed name:
/// `contact[email]` is `contact_email`, `user[address][city]` is `user_address_city`
/// (`][` and then every character but `-`, `:`, `.` and ASCII letters and digits become
/// `_`, and one trailing `_` goes). How the server follows `equalTo: "#contact_email"` to
/// the field `contact[email]` when its rules file does not map the id.
pub fn conventional_id(name: &str) -> String {
    let mut id: String = name
        .replace("][", "_")
        .chars()
        .map(|c| match c {
            '-' | ':' | '.' => c,
            c if c.is_ascii_alphanumeric() => c,
            _ => '_',
        })
        .collect();
    if id.ends_with('_') {
        id.pop();
    }
    id
}

/// The fields a `require_from_group` selector names, as the server follows it without the
/// page: between commas, `.class` (the names the rules file's `classes` lists for it, a
/// name once per element, as jquery-validation counts elements), `#id` or `[name=…]`
/// ([`selector_field_name`]). Each as (name or id, whether an id). `None` when a piece is
/// anything else or a class the file does not list: the server refuses it at start-up.
pub fn group_members<'a>(selector: &'a str, page: &'a PageFacts) -> Option<Vec<(&'a str, bool)>> {
    let mut out = Vec::new();
    for piece in selector.split(',').map(str::trim) {
        if let Some(class) = piece.strip_prefix('.') {
            let (_, names) = page.classes.0.iter().find(|(c, _)| c == class)?;
            out.extend(names.iter().map(|n| (n.as_str(), false)));
        } else {
            out.push((selector_field_name(piece)?, piece.starts_with('#')));
        }
    }
    Some(out)
}

struct Submitted<'a> {
    pairs: &'a [(String, String)],
    page: &'a PageFacts,
    ids: &'a [(String, String)],
    pattern: &'a dyn Fn(&str, &str) -> bool,
}

impl Submitted<'_> {
    /// The name of the field whose element has the id `id`: the rules file's `ids` say,
    /// else a field named `id`, else the one field whose [`conventional_id`] it is.
    fn name_of_id<'s>(&'s self, id: &'s str) -> &'s str {
        if let Some((_, name)) = self.ids.iter().find(|(i, _)| i == id) {
            return name;
        }
        let names = self.pairs.iter().map(|(n, _)| n.as_str());
        if names.clone().any(|n| n == id) {
            return id;
        }
        let mut conventional = names.filter(|n| conventional_id(n) == id);
        match (conventional.next(), conventional.next()) {
            (Some(name), None) => name,
            _ => id,
        }
    }
}

impl Env for Submitted<'_> {
    fn equal_to(&self, selector: &str) -> Option<String> {
        let mut name = selector_field_name(selector)?;
        if selector.trim().starts_with('#') {
            name = self.name_of_id(name);
        }
        Some(
            self.pairs
                .iter()
                .find(|(n, _)| n == name)
                .map_or(String::new(), |(_, v)| v.clone()),
        )
    }
    fn pattern(&self, source: &str, value: &str) -> bool {
        (self.pattern)(source, value)
    }
    /// The group's fields that were sent with a value that is not empty.
    fn group_filled(&self, selector: &str) -> Option<usize> {
        let members = group_members(selector, self.page)?;
        let filled = |name: &str| self.pairs.iter().any(|(n, v)| n == name && !v.is_empty());
        let names = members.into_iter().map(|(name, id)| match id {
            true => self.name_of_id(name),
            false => name,
        });
        Some(names.filter(|n| filled(n)).count())
    }
}

impl RuleSet {
    /// Validates a submission (decoded `name=value` pairs) as the browser validated the
    /// form: a name sent several times, or listed in the page's `choices`, is a choice
    /// field (its length is how many values were sent), any other a text field. `pattern`
    /// matches a whole value against a `pattern` rule's expression.
    pub fn check_submission(
        &self,
        pairs: &[(String, String)],
        pattern: &dyn Fn(&str, &str) -> bool,
    ) -> Vec<Failure> {
        let env = Submitted {
            pairs,
            page: &self.page,
            ids: &self.page.ids.0,
            pattern,
        };
        let mut failures = Vec::new();
        for field in &self.fields {
            let mut values = pairs
                .iter()
                .filter(|(n, _)| *n == field.name)
                .map(|(_, v)| v.as_str());
            let first = values.next();
            let count = usize::from(first.is_some()) + values.count();
            let choice = count > 1 || self.page.choices.contains(&field.name);
            let input = Input {
                text: first.unwrap_or(""),
                count: choice.then_some(count),
            };
            if let Some(rule) = check_field(field, input, &env) {
                failures.push(Failure {
                    field: field.name.clone(),
                    method: rule.method,
                    message: field.message_in(rule, None, &self.defaults),
                });
            }
        }
        failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::attribute_rules;

    struct NoEnv;
    impl Env for NoEnv {
        fn equal_to(&self, _: &str) -> Option<String> {
            Some("same".into())
        }
        fn pattern(&self, source: &str, value: &str) -> bool {
            source == "\\d+" && value.bytes().all(|b| b.is_ascii_digit())
        }
    }

    fn rule(method: Method, param: Param) -> Rule {
        Rule { method, param }
    }
    fn nums(v: &[&str]) -> Param {
        Param::Numbers(v.iter().map(|s| s.to_string()).collect())
    }
    fn ok(r: &Rule, v: &str) -> bool {
        check(r, Input::text(v), &NoEnv)
    }

    #[test]
    fn required_counts_text_and_choices() {
        let r = rule(Method::Required, Param::Flag);
        assert!(!ok(&r, ""));
        assert!(ok(&r, " "), "jquery-validation does not trim");
        assert!(!check(
            &r,
            Input {
                text: "",
                count: Some(0)
            },
            &NoEnv
        ));
        assert!(check(
            &r,
            Input {
                text: "a",
                count: Some(1)
            },
            &NoEnv
        ));
    }

    #[test]
    fn empty_optional_fields_pass() {
        // require_from_group is checked on an empty field too (its own test below).
        let always = |m: &Method| {
            matches!(
                m,
                Method::Required | Method::EqualTo | Method::RequireFromGroup
            )
        };
        for m in Method::all().filter(|m| !always(m)) {
            let param = match m {
                Method::Pattern => Param::Text("x".into()),
                Method::Range | Method::RangeLength => nums(&["1", "2"]),
                Method::MinLength
                | Method::MaxLength
                | Method::Min
                | Method::Max
                | Method::Step => nums(&["3"]),
                _ => Param::Flag,
            };
            assert!(ok(&rule(m, param), ""), "{m:?}");
        }
    }

    #[test]
    fn lengths_count_utf16_units_without_cr() {
        assert_eq!(length("abc"), 3);
        assert_eq!(length("😀"), 2);
        assert_eq!(length("a\r\nb"), 3);
        let min = rule(Method::MinLength, nums(&["2"]));
        assert!(ok(&min, "😀"));
        assert!(!ok(&min, "é"));
        let max = rule(Method::MaxLength, nums(&["3"]));
        assert!(ok(&max, "a\r\nb"));
        assert!(!ok(&max, "abcd"));
        let range = rule(Method::RangeLength, nums(&["2", "3"]));
        assert!(ok(&range, "ab") && ok(&range, "abc") && !ok(&range, "a") && !ok(&range, "abcd"));
        assert!(check(
            &range,
            Input {
                text: "x",
                count: Some(2)
            },
            &NoEnv
        ));
    }

    #[test]
    fn number_and_digits_follow_jquery_regexes() {
        let n = rule(Method::Number, Param::Flag);
        for good in [
            "1",
            "-1",
            "1.5",
            ".5",
            "-.5",
            "1,000",
            "-12,345.67",
            "123,456,789",
            "0.0",
            "1-.5",
            "1,000-.5",
        ] {
            assert!(ok(&n, good), "{good}");
        }
        for bad in [
            "1.",
            "1,00",
            "1234,567",
            "abc",
            "1e3",
            "+1",
            "1.2.3",
            "-",
            " 1",
            "1,000,",
            "1-",
            "12,345,67",
        ] {
            assert!(!ok(&n, bad), "{bad}");
        }
        let d = rule(Method::Digits, Param::Flag);
        assert!(ok(&d, "0123") && !ok(&d, "1.5") && !ok(&d, "-1"));
    }

    #[test]
    fn min_max_range_compare_as_numbers() {
        let min = rule(Method::Min, nums(&["10"]));
        assert!(ok(&min, "10") && ok(&min, "1e2") && !ok(&min, "9.99") && !ok(&min, "abc"));
        assert!(ok(&min, " 11 "), "Number() trims");
        let max = rule(Method::Max, nums(&["-1"]));
        assert!(ok(&max, "-1") && !ok(&max, "0"));
        let range = rule(Method::Range, nums(&["1", "5"]));
        assert!(ok(&range, "1") && ok(&range, "5") && !ok(&range, "5.01") && !ok(&range, "0x10"));
        let date = rule(Method::Min, Param::Text("2020-01-01".into()));
        assert!(ok(&date, "2020-06-01") && !ok(&date, "2019-12-31"));
    }

    #[test]
    fn step_is_a_multiple_from_zero() {
        let s = rule(Method::Step, nums(&["0.01"]));
        assert!(ok(&s, "1.25") && ok(&s, "0.3") && !ok(&s, "1.255") && !ok(&s, "x"));
        // As the HTML standard (and the browser's stepMismatch) says: "3.0" is 3, a
        // multiple of 3 (jquery-validation refuses it for its decimal places).
        let s = rule(Method::Step, nums(&["3"]));
        assert!(ok(&s, "9") && ok(&s, "-3") && !ok(&s, "10") && ok(&s, "3.0"));
        // Tiny steps are exact (case 09): 1e-7 has seven decimal places.
        let s = rule(Method::Step, nums(&["1e-7"]));
        assert!(ok(&s, "1.2345678") && !ok(&s, "1.23456785"));
    }

    /// Case 09: the step counts from `min` (HTML), not from 0.
    #[test]
    fn r09_step_counts_from_min() {
        let mut f = FieldRules {
            name: "n".into(),
            ..FieldRules::default()
        };
        f.rules.push(rule(Method::Min, nums(&["17"])));
        f.rules.push(rule(Method::Step, nums(&["5"])));
        let verdict = |v: &str| check_field(&f, Input::text(v), &NoEnv).is_none();
        assert!(verdict("87") && verdict("17") && !verdict("85") && !verdict("15"));
    }

    #[test]
    fn equal_to_and_pattern_ask_the_env() {
        let e = rule(Method::EqualTo, Param::Text("#other".into()));
        assert!(ok(&e, "same") && !ok(&e, "diff") && !ok(&e, ""));
        let p = rule(Method::Pattern, Param::Text("\\d+".into()));
        assert!(ok(&p, "123") && !ok(&p, "12a"));
    }

    #[test]
    fn checks_a_submission_like_the_browser() {
        let set = RuleSet::seed();
        let pairs = |p: &[(&str, &str)]| {
            p.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        let none = |_: &str, _: &str| false;
        let ok = pairs(&[("subject", "Hi"), ("from", "a@b.c"), ("message", "Hello")]);
        assert!(set.check_submission(&ok, &none).is_empty());
        let bad = pairs(&[("subject", ""), ("from", "nope"), ("message", "x")]);
        let failures = set.check_submission(&bad, &none);
        assert_eq!(failures.len(), 2);
        assert_eq!(failures[0].field, "subject");
        assert_eq!(failures[0].message, "This field is required.");
        assert_eq!(failures[1].message, "Please enter a valid email address.");
        let missing = set.check_submission(&[], &none);
        assert_eq!(
            missing.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
            ["subject", "message"]
        );
    }

    #[test]
    fn server_follows_equal_to_selectors() {
        assert_eq!(selector_field_name("#pw"), Some("pw"));
        assert_eq!(selector_field_name("input[name=\"pw\"]"), Some("pw"));
        assert_eq!(selector_field_name(".x"), None);
        assert_eq!(selector_field_name("#a .b"), None);
        assert_eq!(selector_field_name("form [name=a]"), None);
        assert_eq!(selector_field_name("[name='a[b]']"), Some("a[b]"));
        assert_eq!(selector_field_name("[name=a]"), Some("a"));
        let options = serde_json::from_str(r##"{"rules": {"again": {"equalTo": "#pw"}}}"##);
        let set = RuleSet::from_options(&options.unwrap()).unwrap();
        let p = |a: &str| {
            vec![
                ("pw".to_string(), "x".to_string()),
                ("again".to_string(), a.to_string()),
            ]
        };
        assert!(set.check_submission(&p("x"), &|_, _| false).is_empty());
        assert_eq!(
            set.check_submission(&p("y"), &|_, _| false)[0].message,
            "Please enter the same value again."
        );
    }

    #[test]
    fn equal_to_follows_an_id_to_its_field() {
        assert_eq!(conventional_id("contact[email]"), "contact_email");
        assert_eq!(conventional_id("user[address][city]"), "user_address_city");
        assert_eq!(conventional_id("plain"), "plain");
        let rules = r##"{"rules": {"b[again]": {"equalTo": "#b_first"}, "c": {"equalTo": "#x"}},
                        "ids": {"x": "y"}}"##;
        let file: crate::RulesFile = serde_json::from_str(rules).unwrap();
        let set = RuleSet::from_rules_file(&file).unwrap();
        let p = |a: &str, c: &str| {
            [("b[first]", "v"), ("b[again]", a), ("y", "w"), ("c", c)]
                .map(|(n, v)| (n.to_string(), v.to_string()))
        };
        assert!(set.check_submission(&p("v", "w"), &|_, _| false).is_empty());
        let failures = set.check_submission(&p("x", "v"), &|_, _| false);
        let fields: Vec<_> = failures.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["b[again]", "c"]);
    }

    #[test]
    fn a_choice_field_counts_its_values_even_one() {
        let file: crate::RulesFile = serde_json::from_str(
            r#"{"rules": {"topics": {"minlength": 2, "maxlength": 2}}, "choices": ["topics"]}"#,
        )
        .unwrap();
        let set = RuleSet::from_rules_file(&file).unwrap();
        let pairs = |v: &[&str]| {
            v.iter()
                .map(|v| ("topics".to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        let methods = |v: &[&str]| {
            set.check_submission(&pairs(v), &|_, _| false)
                .iter()
                .map(|f| f.method)
                .collect::<Vec<_>>()
        };
        assert_eq!(methods(&["ab"]), [Method::MinLength]);
        assert_eq!(methods(&["a", "b"]), []);
        assert_eq!(methods(&["a", "b", "c"]), [Method::MaxLength]);
        assert_eq!(methods(&[]), [], "optional and empty");
    }

    #[test]
    fn date_iso_extension_and_date() {
        let d = rule(Method::DateIso, Param::Flag);
        assert!(ok(&d, "2020-01-05") && ok(&d, "2020/1/5") && !ok(&d, "2020-13-01"));
        let e = rule(Method::Extension, Param::Flag);
        assert!(ok(&e, "me.JPG") && ok(&e, "x.gif") && !ok(&e, "x.pdf"));
        let e = rule(Method::Extension, Param::Text("pdf,docx?".into()));
        assert!(ok(&e, "cv.doc") && ok(&e, "cv.PDF") && !ok(&e, "cv.png"));
        // Without a JS engine, `date` refuses every value (the server refuses the rule).
        assert!(!ok(&rule(Method::Date, Param::Flag), "2020-01-05"));
        let attrs = |name: &str| (name == "extension").then(|| "txt".to_string());
        let rules = attribute_rules(Some("date"), attrs, &crate::js_number);
        let methods: Vec<_> = rules.iter().map(|r| r.method).collect();
        assert_eq!(methods, [Method::DateIso, Method::Extension]);
    }

    #[test]
    fn require_from_group_counts_the_filled_fields_of_a_class() {
        let file: crate::RulesFile = serde_json::from_str(
            r##"{"rules": {"part": {"require_from_group": [2, ".info"]},
                           "desc": {"require_from_group": [2, ".info"]},
                           "x": {"require_from_group": ["1", "#x-id, [name=y]"]}},
                 "classes": {"info": ["part", "desc", "color"]}, "ids": {"x-id": "x"}}"##,
        )
        .unwrap();
        let set = RuleSet::from_rules_file(&file).unwrap();
        let fails = |p: &[(&str, &str)]| {
            let pairs: Vec<_> = p
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            set.check_submission(&pairs, &|_, _| false)
                .into_iter()
                .map(|f| (f.field, f.message))
                .collect::<Vec<_>>()
        };
        let message = "Please fill at least 2 of these fields.".to_string();
        assert_eq!(
            fails(&[("part", "a"), ("desc", ""), ("y", "1")]),
            [("part".into(), message.clone()), ("desc".into(), message)]
        );
        assert_eq!(
            fails(&[("part", ""), ("color", "c"), ("desc", "d"), ("x", "1")]),
            []
        );
        let x = fails(&[("part", "a"), ("desc", "d"), ("x", ""), ("y", "")]);
        assert_eq!(
            x,
            [("x".into(), "Please fill at least 1 of these fields.".into())]
        );
        assert_eq!(group_members(".other", &set.page), None);
        assert_eq!(group_members("form .info", &set.page), None);
        let bad = r#"{"rules": {"a": {"require_from_group": [1]}}}"#;
        let err = RuleSet::from_options(&serde_json::from_str(bad).unwrap()).unwrap_err();
        assert_eq!(
            err.0,
            "rules.a.require_from_group must be [count, selector], not an array"
        );
    }

    /// The rules file's `lang` picks the table of the 422 messages; a custom message wins.
    #[test]
    fn a_rules_files_lang_gives_its_default_messages() {
        let file: crate::RulesFile = serde_json::from_str(
            r#"{"lang": "de", "rules": {"a": {"minlength": 3}, "b": "required"},
                "messages": {"b": "Bitte b."}}"#,
        )
        .unwrap();
        let set = RuleSet::from_rules_file(&file).unwrap();
        let pairs = [("a", "x"), ("b", "")].map(|(n, v)| (n.to_string(), v.to_string()));
        let messages: Vec<_> = set
            .check_submission(&pairs, &|_, _| false)
            .into_iter()
            .map(|f| f.message)
            .collect();
        assert_eq!(
            messages,
            ["Bitte geben Sie mindestens 3 Zeichen ein.", "Bitte b."]
        );
        let file: crate::RulesFile = serde_json::from_str(r#"{"lang": "it"}"#).unwrap();
        assert_eq!(
            RuleSet::from_rules_file(&file).unwrap_err().0,
            "lang: no messages for \"it\" (there are: en, de, fr, es, nl, pt)"
        );
    }

    #[test]
    fn attribute_rules_validate_like_options() {
        let attrs = |name: &str| (name == "maxlength").then(|| "3".to_string());
        let field = FieldRules {
            name: "x".into(),
            rules: attribute_rules(Some("url"), attrs, &crate::js_number),
            messages: vec![],
        };
        assert_eq!(
            check_field(&field, Input::text("http://example.com"), &NoEnv)
                .unwrap()
                .method,
            Method::MaxLength
        );
        assert_eq!(
            check_field(&field, Input::text("abc"), &NoEnv)
                .unwrap()
                .method,
            Method::Url
        );
    }
}
