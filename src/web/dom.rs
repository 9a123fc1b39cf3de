//! Small typed helpers over web-sys: finding elements, reading a control's value the way
//! jQuery's `val()` does, showing and hiding whatever the page's stylesheet says.
//!
//! Properties are read and written with `Reflect` by name (`get`, `set`, `text`, `flag`)
//! rather than with web-sys's typed getters: each typed getter is one more import and one
//! more JS shim in `pkg/`, these are two for all of them.

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CssStyleDeclaration, Document, Element, HtmlElement};

#[wasm_bindgen]
extern "C" {
    /// The page's document.
    #[wasm_bindgen(thread_local_v2, js_name = document)]
    static DOCUMENT: Document;
    /// `Function.prototype`: a function that does nothing, for promises whose rejection
    /// is already reported elsewhere.
    #[wasm_bindgen(thread_local_v2, js_namespace = Function, js_name = prototype)]
    pub static NOOP: js_sys::Function;
    /// `getComputedStyle(el)`.
    #[wasm_bindgen(js_name = getComputedStyle)]
    fn computed_style(el: &Element) -> CssStyleDeclaration;
}

/// The page's document.
pub fn document() -> Document {
    DOCUMENT.with(Document::clone)
}

/// `target[key]`, `undefined` if it cannot be read.
pub fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `target[key] = value`.
pub fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// `target[key]` as a string, empty if it is not one.
pub fn text(target: &JsValue, key: &str) -> String {
    get(target, key).as_string().unwrap_or_default()
}

/// `target[key] === true`.
pub fn flag(target: &JsValue, key: &str) -> bool {
    get(target, key).as_bool() == Some(true)
}

/// A JS number as JavaScript's `String(n)` writes it (`5`, `0.01`, `1e+21`): no float
/// formatting in the wasm.
pub fn number_text(n: &JsValue) -> String {
    n.unchecked_ref::<js_sys::Number>()
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

/// The items of an array or array-like (an `HTMLCollection`, a form's `elements`).
pub fn values(list: &JsValue) -> impl Iterator<Item = JsValue> {
    let list = Array::from(list);
    (0..list.length()).map(move |i| list.get(i))
}

/// The items of an array-like of elements.
pub fn items(list: &JsValue) -> impl Iterator<Item = Element> {
    values(list).map(JsCast::unchecked_into)
}

/// The first element matching `selector`; a bad selector is reported as no match.
pub fn query(selector: &str) -> Option<Element> {
    document().query_selector(selector).ok().flatten()
}

/// Whether `el` is an HTML element named `tag` (lower case).
pub fn is_tag(el: &Element, tag: &str) -> bool {
    tag_name(el).eq_ignore_ascii_case(tag)
}

/// `el.tagName`.
pub fn tag_name(el: &Element) -> String {
    text(el, "tagName")
}

/// Which kind of form control.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Input,
    Select,
    TextArea,
}

/// A form control that can carry a value: `<input>`, `<select>` or `<textarea>`.
pub struct Control {
    el: Element,
    tag: Tag,
}

impl Control {
    /// `el` as a control that can carry a value (input, select, textarea).
    pub fn of(el: &Element) -> Option<Control> {
        let tag = match tag_name(el).to_ascii_lowercase().as_str() {
            "input" => Tag::Input,
            "select" => Tag::Select,
            "textarea" => Tag::TextArea,
            _ => return None,
        };
        Some(Control {
            el: el.clone(),
            tag,
        })
    }

    /// The element.
    pub fn element(&self) -> &Element {
        &self.el
    }

    /// The control's `type` (`text`, `checkbox`, `select-one`, `textarea`, …).
    pub fn kind(&self) -> String {
        text(&self.el, "type")
    }

    fn input_of_kind(&self, kinds: &[&str]) -> bool {
        self.tag == Tag::Input && kinds.contains(&self.kind().as_str())
    }

    /// A checkbox or radio.
    pub fn is_checkable(&self) -> bool {
        self.input_of_kind(&["checkbox", "radio"])
    }

    /// A button-like input that carries no value of its own.
    pub fn is_button(&self) -> bool {
        self.input_of_kind(&["submit", "button", "image", "reset", "file"])
    }

    /// Whether the control is checked (checkable inputs only).
    pub fn checked(&self) -> bool {
        self.tag == Tag::Input && flag(&self.el, "checked")
    }

    /// A `<select multiple>`.
    pub fn is_multiple(&self) -> bool {
        self.tag == Tag::Select && flag(&self.el, "multiple")
    }

    /// `name`.
    pub fn name(&self) -> String {
        self.el.get_attribute("name").unwrap_or_default()
    }

    /// `:disabled`, fieldsets included.
    pub fn disabled(&self) -> bool {
        self.el.matches(":disabled").unwrap_or(false)
    }

    /// jQuery's `val()`: the values this control contributes (several for a multiple
    /// select, none for an unselected one), `\r` removed.
    pub fn values(&self) -> Vec<String> {
        if self.tag != Tag::Select {
            let mut value = text(&self.el, "value");
            value.retain(|c| c != '\r'); // not `replace`: no char searcher in the wasm
            return vec![value];
        }
        let multiple = self.is_multiple();
        let mut out = Vec::new();
        for o in items(&get(&self.el, "options")) {
            let in_disabled_group = o.matches("optgroup[disabled] > option").unwrap_or(false);
            if o.has_attribute("disabled") || in_disabled_group || !flag(&o, "selected") {
                continue;
            }
            out.push(text(&o, "value"));
            if !multiple {
                break;
            }
        }
        out
    }

    /// The value the rules see: jquery-validation's `elementValue` (`"NaN"` for a number
    /// input holding something that is not a number).
    pub fn rule_value(&self) -> String {
        if self.input_of_kind(&["number"]) && flag(&get(&self.el, "validity"), "badInput") {
            return "NaN".into();
        }
        self.values().into_iter().next().unwrap_or_default()
    }
}

fn style(el: &Element) -> CssStyleDeclaration {
    get(el, "style").unchecked_into()
}

/// Shows `el` even if the page's stylesheet hides it (what jQuery's `show()` does with an
/// inline style): an inline `display` wins over the stylesheet, `revert` gives the
/// element's own default (block for a div, inline for a label).
pub fn show(el: &Element) {
    let _ = el.remove_attribute("hidden");
    let style = style(el);
    if style.is_undefined() {
        return;
    }
    let _ = style.remove_property("display");
    if computed_style(el)
        .get_property_value("display")
        .ok()
        .as_deref()
        == Some("none")
    {
        let _ = style.set_property_with_priority("display", "revert", "important");
    }
}

/// Hides `el`, whatever the page's stylesheet says.
pub fn hide(el: &Element) {
    let style = style(el);
    if !style.is_undefined() {
        let _ = style.set_property_with_priority("display", "none", "important");
    }
}

/// Focuses `el` if it can take focus.
pub fn focus(el: &Element) {
    if get(el, "focus").is_function() {
        el.unchecked_ref::<HtmlElement>().focus().unwrap_or(());
    }
}

/// Adds `token` to the space-separated attribute `name` (e.g. `aria-describedby`).
pub fn add_token(el: &Element, name: &str, token: &str) {
    let current = el.get_attribute(name).unwrap_or_default();
    if !current.split_ascii_whitespace().any(|t| t == token) {
        let current = current.trim();
        let joined = if current.is_empty() {
            token.to_owned()
        } else {
            [current, " ", token].concat()
        };
        let _ = el.set_attribute(name, &joined);
    }
}

/// Removes `token` from the space-separated attribute `name`, and the attribute if empty.
pub fn remove_token(el: &Element, name: &str, token: &str) {
    let Some(current) = el.get_attribute(name) else {
        return;
    };
    let mut rest = String::new();
    for t in current.split_ascii_whitespace().filter(|t| *t != token) {
        if !rest.is_empty() {
            rest.push(' ');
        }
        rest.push_str(t);
    }
    let _ = if rest.is_empty() {
        el.remove_attribute(name)
    } else {
        el.set_attribute(name, &rest)
    };
}

/// A JavaScript `Error` with `message`, and a `kind` property the page can switch on.
pub fn error(kind: &str, message: &str) -> JsValue {
    let e: JsValue = js_sys::Error::new(message).into();
    set(&e, "kind", &JsValue::from_str(kind));
    e
}
