//! `RuleSet::from_options` on arbitrary JSON, converted as corsform-server's `--rules`
//! reader converts it (server/src/rules.rs); then the rules it accepts are run on a
//! submission. Neither may panic.
#![no_main]

use corsform::{RuleSet, Value};
use libfuzzer_sys::fuzz_target;

/// server/src/rules.rs `to_value`, with numbers as JavaScript writes them.
fn to_value(json: &serde_json::Value) -> Value {
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

/// server/src/rules.rs `js_number_text`.
fn js_number_text(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
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

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let get = |key| json.get(key).map_or(Value::Null, to_value);
    let (rules, messages) = match &json {
        serde_json::Value::Object(_) => (get("rules"), get("messages")),
        other => (to_value(other), Value::Null),
    };
    let Ok(set) = RuleSet::from_options(&rules, &messages) else {
        return;
    };
    // Every field the rules name, with a few values, plus one they do not name.
    for value in [
        "",
        "x",
        "a@b.c",
        "12",
        "-1.5",
        "http://x.y/",
        "2026-11-24",
        "ab\r\ncd",
    ] {
        let mut pairs: Vec<(String, String)> = set
            .fields
            .iter()
            .map(|f| (f.name.clone(), value.to_owned()))
            .collect();
        pairs.push(("other".into(), value.into()));
        let _ = set.check_submission(&pairs, &|_, v| v.len() % 2 == 0);
    }
});
