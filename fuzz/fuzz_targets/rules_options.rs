//! `RuleSet::from_options` on arbitrary JSON, converted by corsform-server's own `--rules`
//! reader (`corsform_server::rules::to_value`); then the rules it accepts are run on a
//! submission. Neither may panic.
#![no_main]

use corsform::{RuleSet, Value};
use corsform_server::rules::to_value;
use libfuzzer_sys::fuzz_target;

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
