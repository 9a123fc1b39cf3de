//! The body sent: jQuery 3's `$(form).serialize()`, byte for byte, plus the clicked button.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlFormElement};

use super::field::Control;

/// The elements of a DOM list (`form.elements`, a `NodeList`, an `HTMLCollection`), in
/// order, copied by one `Array.from`.
pub fn items(list: &JsValue) -> Vec<Element> {
    let mut out = Vec::new();
    for item in js_sys::Array::from(list).iter() {
        out.push(item.unchecked_into());
    }
    out
}

/// The form's controls (`form.elements`), in document order.
pub fn elements(form: &HtmlFormElement) -> Vec<Element> {
    items(&form.elements())
}

/// The body jQuery would send for `form`, then `submitter` (the clicked button) last.
/// An image button adds `NAME.x=0&NAME.y=0`. Skipped as jQuery skips them: controls without a name, disabled ones (themselves or by
/// their `<fieldset>`), buttons and file inputs, unchecked checkboxes and radios.
pub fn serialize(form: &HtmlFormElement, submitter: Option<&Element>) -> String {
    let mut body = String::new();
    for el in elements(form) {
        let Some(c) = Control::of(&el) else {
            continue;
        };
        let name = c.name();
        if name.is_empty() || c.disabled() || c.is_button() || (c.is_checkable() && !c.checked()) {
            continue;
        }
        for v in &c.values() {
            crate::encode::push_pair(&mut body, &name, v);
        }
    }
    if let Some(b) = submitter {
        let name = b.get_attribute("name").unwrap_or_default();
        if b.matches("input[type=image i]").unwrap_or(false) {
            // An image button adds the click's coordinates, `NAME.x` and `NAME.y` (`x`
            // and `y` without a name), never its value (HTML's form data set); a scripted
            // or keyboard activation clicks at 0,0.
            let prefix = if name.is_empty() {
                String::new()
            } else {
                name + "."
            };
            crate::encode::push_pair(&mut body, &[&prefix, "x"].concat(), "0");
            crate::encode::push_pair(&mut body, &[&prefix, "y"].concat(), "0");
        } else if !name.is_empty() {
            let value = js_sys::Reflect::get(b, &"value".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            crate::encode::push_pair(&mut body, &name, &value);
        }
    }
    body
}
