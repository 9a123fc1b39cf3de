//! Small typed helpers over web-sys: finding elements, reading a control's value the way
//! jQuery's `val()` does, showing and hiding whatever the page's stylesheet says.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Document, Element, HtmlElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement,
};

/// The page's document.
pub fn document() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a document")
}

/// The first element matching `selector`; a bad selector is reported as no match.
pub fn query(selector: &str) -> Option<Element> {
    document().query_selector(selector).ok().flatten()
}

/// A form control, by kind.
pub enum Control {
    /// `<input>`.
    Input(HtmlInputElement),
    /// `<select>`.
    Select(HtmlSelectElement),
    /// `<textarea>`.
    TextArea(HtmlTextAreaElement),
}

impl Control {
    /// `el` as a control that can carry a value (input, select, textarea).
    pub fn of(el: &Element) -> Option<Control> {
        if let Some(i) = el.dyn_ref::<HtmlInputElement>() {
            Some(Control::Input(i.clone()))
        } else if let Some(s) = el.dyn_ref::<HtmlSelectElement>() {
            Some(Control::Select(s.clone()))
        } else {
            el.dyn_ref::<HtmlTextAreaElement>()
                .map(|t| Control::TextArea(t.clone()))
        }
    }

    /// The element.
    pub fn element(&self) -> &Element {
        match self {
            Control::Input(i) => i,
            Control::Select(s) => s,
            Control::TextArea(t) => t,
        }
    }

    /// The control's `type` (`text`, `checkbox`, `select-one`, `textarea`, …).
    pub fn kind(&self) -> String {
        match self {
            Control::Input(i) => i.type_(),
            Control::Select(s) => s.type_(),
            Control::TextArea(_) => "textarea".into(),
        }
    }

    /// A checkbox or radio.
    pub fn is_checkable(&self) -> bool {
        matches!(self, Control::Input(i) if matches!(i.type_().as_str(), "checkbox" | "radio"))
    }

    /// A button-like input that carries no value of its own.
    pub fn is_button(&self) -> bool {
        matches!(self, Control::Input(i) if matches!(i.type_().as_str(), "submit" | "button" | "image" | "reset" | "file"))
    }

    /// Whether the control is checked (checkable inputs only).
    pub fn checked(&self) -> bool {
        matches!(self, Control::Input(i) if i.checked())
    }

    /// `name`.
    pub fn name(&self) -> String {
        self.element().get_attribute("name").unwrap_or_default()
    }

    /// `:disabled`, fieldsets included.
    pub fn disabled(&self) -> bool {
        self.element().matches(":disabled").unwrap_or(false)
    }

    /// jQuery's `val()`: the values this control contributes (several for a multiple
    /// select, none for an unselected one), `\r` removed.
    pub fn values(&self) -> Vec<String> {
        match self {
            Control::Select(s) => {
                let options = s.options();
                let mut out = Vec::new();
                for i in 0..options.length() {
                    let Some(o) = options.item(i) else { continue };
                    let in_disabled_group = o
                        .parent_element()
                        .is_some_and(|p| p.tag_name() == "OPTGROUP" && p.has_attribute("disabled"));
                    if o.has_attribute("disabled") || in_disabled_group {
                        continue;
                    }
                    if let Some(o) = o.dyn_ref::<web_sys::HtmlOptionElement>() {
                        if o.selected() {
                            out.push(o.value());
                            if !s.multiple() {
                                break;
                            }
                        }
                    }
                }
                out
            }
            Control::Input(i) => vec![strip_cr(i.value())],
            Control::TextArea(t) => vec![strip_cr(t.value())],
        }
    }

    /// The value the rules see: jquery-validation's `elementValue` (`"NaN"` for a number
    /// input holding something that is not a number).
    pub fn rule_value(&self) -> String {
        if let Control::Input(i) = self {
            if i.type_() == "number" && i.validity().bad_input() {
                return "NaN".into();
            }
        }
        self.values().into_iter().next().unwrap_or_default()
    }
}

fn strip_cr(s: String) -> String {
    if s.contains('\r') {
        s.replace('\r', "")
    } else {
        s
    }
}

/// Shows `el` even if the page's stylesheet hides it (what jQuery's `show()` does with an
/// inline style): an inline `display` wins over the stylesheet, `revert` gives the
/// element's own default (block for a div, inline for a label).
pub fn show(el: &Element) {
    let _ = el.remove_attribute("hidden");
    let Some(h) = el.dyn_ref::<HtmlElement>() else {
        return;
    };
    let style = h.style();
    let _ = style.remove_property("display");
    let hidden = web_sys::window()
        .and_then(|w| w.get_computed_style(el).ok().flatten())
        .and_then(|c| c.get_property_value("display").ok())
        .is_some_and(|d| d == "none");
    if hidden {
        let _ = style.set_property_with_priority("display", "revert", "important");
    }
}

/// Hides `el`, whatever the page's stylesheet says.
pub fn hide(el: &Element) {
    if let Some(h) = el.dyn_ref::<HtmlElement>() {
        let _ = h
            .style()
            .set_property_with_priority("display", "none", "important");
    }
}

/// Focuses `el` if it can take focus.
pub fn focus(el: &Element) {
    if let Some(h) = el.dyn_ref::<HtmlElement>() {
        let _ = h.focus();
    }
}

/// Adds `token` to the space-separated attribute `name` (e.g. `aria-describedby`).
pub fn add_token(el: &Element, name: &str, token: &str) {
    let current = el.get_attribute(name).unwrap_or_default();
    if !current.split_ascii_whitespace().any(|t| t == token) {
        let joined = if current.trim().is_empty() {
            token.to_owned()
        } else {
            [current.trim(), token].join(" ")
        };
        let _ = el.set_attribute(name, &joined);
    }
}

/// Removes `token` from the space-separated attribute `name`, and the attribute if empty.
pub fn remove_token(el: &Element, name: &str, token: &str) {
    let Some(current) = el.get_attribute(name) else {
        return;
    };
    let rest: Vec<&str> = current
        .split_ascii_whitespace()
        .filter(|t| *t != token)
        .collect();
    let _ = if rest.is_empty() {
        el.remove_attribute(name)
    } else {
        el.set_attribute(name, &rest.join(" "))
    };
}

/// A JavaScript `Error` with `message`, and a `kind` property the page can switch on.
pub fn error(kind: &str, message: &str) -> JsValue {
    let e = js_sys::Error::new(message);
    let _ = js_sys::Reflect::set(&e, &JsValue::from_str("kind"), &JsValue::from_str(kind));
    e.into()
}
