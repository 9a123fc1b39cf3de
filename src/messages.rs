//! Default messages: jquery-validation's English ones (in [`crate::Method`]'s table), ready
//! tables for German, French, Spanish, Dutch and Portuguese written for corsform, and
//! [`Messages`], the defaults a page or a rules file sets for each method (what
//! `$.extend($.validator.messages, {...})` does for jquery-validation).
//!
//! ```
//! use corsform::{Lang, Messages, Method};
//! let de = Messages::of(Lang::De);
//! assert_eq!(de.get(Method::Required), "Dieses Feld muss ausgefüllt werden.");
//! let mut page = Messages::default();
//! page.set(Method::Required, "Required!");
//! assert_eq!(page.get(Method::Required), "Required!");
//! assert_eq!(page.get(Method::Email), "Please enter a valid email address.");
//! ```
//!
//! The tables are reached only through [`Messages::of`] and [`default_message`]: a build
//! that never calls them (the browser client, unless its page asks for a table) leaves
//! them out.

use crate::rules::Method;

/// A language with a table of default messages: its ISO 639-1 code is its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English: jquery-validation's own messages.
    En,
    /// German.
    De,
    /// French.
    Fr,
    /// Spanish.
    Es,
    /// Dutch.
    Nl,
    /// Portuguese (words common to Portugal and Brazil).
    Pt,
}

impl Lang {
    /// Every language, English first.
    pub const ALL: [Lang; 6] = [Lang::En, Lang::De, Lang::Fr, Lang::Es, Lang::Nl, Lang::Pt];

    /// The codes, as an error message lists them.
    pub const CODES: &'static str = "en, de, fr, es, nl, pt";

    /// The language of a BCP 47 tag by its primary subtag, case ignored: `de`, `de-CH`,
    /// `pt_BR` and `PT` all name one. `None` for a language without a table.
    pub fn from_code(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    /// The ISO 639-1 code: `en`, `de`, ….
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::Nl => "nl",
            Lang::Pt => "pt",
        }
    }
}

/// `method`'s default message in `lang`, with `{0}` and `{1}` where jquery-validation's
/// English one has them.
pub fn default_message(method: Method, lang: Lang) -> &'static str {
    match lang {
        Lang::En => method.default_message(),
        Lang::De => de(method),
        Lang::Fr => fr(method),
        Lang::Es => es(method),
        Lang::Nl => nl(method),
        Lang::Pt => pt(method),
    }
}

fn de(method: Method) -> &'static str {
    match method {
        Method::Required => "Dieses Feld muss ausgefüllt werden.",
        Method::Email => "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
        Method::Url => "Bitte geben Sie eine gültige URL ein.",
        Method::Date => "Bitte geben Sie ein gültiges Datum ein.",
        Method::DateIso => "Bitte geben Sie ein gültiges Datum im ISO-Format ein.",
        Method::Number => "Bitte geben Sie eine gültige Zahl ein.",
        Method::Digits => "Bitte geben Sie nur Ziffern ein.",
        Method::MinLength => "Bitte geben Sie mindestens {0} Zeichen ein.",
        Method::MaxLength => "Bitte geben Sie höchstens {0} Zeichen ein.",
        Method::RangeLength => "Bitte geben Sie zwischen {0} und {1} Zeichen ein.",
        Method::Min => "Bitte geben Sie einen Wert größer oder gleich {0} ein.",
        Method::Max => "Bitte geben Sie einen Wert kleiner oder gleich {0} ein.",
        Method::Range => "Bitte geben Sie einen Wert zwischen {0} und {1} ein.",
        Method::Step => "Bitte geben Sie ein Vielfaches von {0} ein.",
        Method::EqualTo => "Bitte geben Sie denselben Wert noch einmal ein.",
        Method::Pattern => "Ungültiges Format.",
        Method::Extension => "Bitte geben Sie einen Wert mit einer gültigen Dateiendung ein.",
        Method::RequireFromGroup => "Bitte füllen Sie mindestens {0} dieser Felder aus.",
        Method::Remote => "Bitte korrigieren Sie dieses Feld.",
        // A method the page added has no table: its message is the page's.
        Method::Custom(_) => "",
    }
}

fn fr(method: Method) -> &'static str {
    match method {
        Method::Required => "Ce champ est obligatoire.",
        Method::Email => "Veuillez saisir une adresse e-mail valide.",
        Method::Url => "Veuillez saisir une URL valide.",
        Method::Date => "Veuillez saisir une date valide.",
        Method::DateIso => "Veuillez saisir une date valide au format ISO.",
        Method::Number => "Veuillez saisir un nombre valide.",
        Method::Digits => "Veuillez ne saisir que des chiffres.",
        Method::MinLength => "Veuillez saisir au moins {0} caractères.",
        Method::MaxLength => "Veuillez ne pas saisir plus de {0} caractères.",
        Method::RangeLength => "Veuillez saisir entre {0} et {1} caractères.",
        Method::Min => "Veuillez saisir une valeur supérieure ou égale à {0}.",
        Method::Max => "Veuillez saisir une valeur inférieure ou égale à {0}.",
        Method::Range => "Veuillez saisir une valeur comprise entre {0} et {1}.",
        Method::Step => "Veuillez saisir un multiple de {0}.",
        Method::EqualTo => "Veuillez saisir à nouveau la même valeur.",
        Method::Pattern => "Format non valide.",
        Method::Extension => "Veuillez saisir une valeur avec une extension valide.",
        Method::RequireFromGroup => "Veuillez remplir au moins {0} de ces champs.",
        Method::Remote => "Veuillez corriger ce champ.",
        // A method the page added has no table: its message is the page's.
        Method::Custom(_) => "",
    }
}

fn es(method: Method) -> &'static str {
    match method {
        Method::Required => "Este campo es obligatorio.",
        Method::Email => "Introduzca una dirección de correo electrónico válida.",
        Method::Url => "Introduzca una URL válida.",
        Method::Date => "Introduzca una fecha válida.",
        Method::DateIso => "Introduzca una fecha válida en formato ISO.",
        Method::Number => "Introduzca un número válido.",
        Method::Digits => "Introduzca solo dígitos.",
        Method::MinLength => "Introduzca al menos {0} caracteres.",
        Method::MaxLength => "Introduzca como máximo {0} caracteres.",
        Method::RangeLength => "Introduzca entre {0} y {1} caracteres.",
        Method::Min => "Introduzca un valor mayor o igual que {0}.",
        Method::Max => "Introduzca un valor menor o igual que {0}.",
        Method::Range => "Introduzca un valor entre {0} y {1}.",
        Method::Step => "Introduzca un múltiplo de {0}.",
        Method::EqualTo => "Vuelva a introducir el mismo valor.",
        Method::Pattern => "El formato no es válido.",
        Method::Extension => "Introduzca un valor con una extensión válida.",
        Method::RequireFromGroup => "Rellene al menos {0} de estos campos.",
        Method::Remote => "Corrija este campo.",
        // A method the page added has no table: its message is the page's.
        Method::Custom(_) => "",
    }
}

fn nl(method: Method) -> &'static str {
    match method {
        Method::Required => "Dit veld is verplicht.",
        Method::Email => "Vul een geldig e-mailadres in.",
        Method::Url => "Vul een geldige URL in.",
        Method::Date => "Vul een geldige datum in.",
        Method::DateIso => "Vul een geldige datum in ISO-formaat in.",
        Method::Number => "Vul een geldig getal in.",
        Method::Digits => "Vul alleen cijfers in.",
        Method::MinLength => "Vul minstens {0} tekens in.",
        Method::MaxLength => "Vul hoogstens {0} tekens in.",
        Method::RangeLength => "Vul tussen {0} en {1} tekens in.",
        Method::Min => "Vul een waarde in die groter is dan of gelijk is aan {0}.",
        Method::Max => "Vul een waarde in die kleiner is dan of gelijk is aan {0}.",
        Method::Range => "Vul een waarde tussen {0} en {1} in.",
        Method::Step => "Vul een veelvoud van {0} in.",
        Method::EqualTo => "Vul dezelfde waarde nogmaals in.",
        Method::Pattern => "Ongeldige opmaak.",
        Method::Extension => "Vul een waarde met een geldige extensie in.",
        Method::RequireFromGroup => "Vul minstens {0} van deze velden in.",
        Method::Remote => "Corrigeer dit veld.",
        // A method the page added has no table: its message is the page's.
        Method::Custom(_) => "",
    }
}

fn pt(method: Method) -> &'static str {
    match method {
        Method::Required => "Este campo é obrigatório.",
        Method::Email => "Insira um endereço de e-mail válido.",
        Method::Url => "Insira um URL válido.",
        Method::Date => "Insira uma data válida.",
        Method::DateIso => "Insira uma data válida no formato ISO.",
        Method::Number => "Insira um número válido.",
        Method::Digits => "Insira apenas dígitos.",
        Method::MinLength => "Insira pelo menos {0} caracteres.",
        Method::MaxLength => "Insira no máximo {0} caracteres.",
        Method::RangeLength => "Insira entre {0} e {1} caracteres.",
        Method::Min => "Insira um valor maior ou igual a {0}.",
        Method::Max => "Insira um valor menor ou igual a {0}.",
        Method::Range => "Insira um valor entre {0} e {1}.",
        Method::Step => "Insira um múltiplo de {0}.",
        Method::EqualTo => "Insira o mesmo valor novamente.",
        Method::Pattern => "Formato inválido.",
        Method::Extension => "Insira um valor com uma extensão válida.",
        Method::RequireFromGroup => "Preencha pelo menos {0} destes campos.",
        Method::Remote => "Corrija este campo.",
        // A method the page added has no table: its message is the page's.
        Method::Custom(_) => "",
    }
}

/// The default message of each method, where it is not jquery-validation's English one:
/// set from a table ([`Messages::of`]) or one by one ([`Messages::set`], what a page's
/// `setDefaults({messages: {...}})` does). `{0}` and `{1}` stand for the rule's parameters,
/// as in every message.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Messages(Vec<(Method, String)>);

impl Messages {
    /// The table of `lang` (for English, no change from the defaults).
    pub fn of(lang: Lang) -> Messages {
        let mut out = Messages::default();
        if lang != Lang::En {
            for method in Method::all() {
                out.set(method, default_message(method, lang));
            }
        }
        out
    }

    /// The table for a language tag ([`Lang::from_code`]): what a page's
    /// `messages("de")` returns. `None` for a language without one.
    pub fn for_code(tag: &str) -> Option<Messages> {
        Lang::from_code(tag).map(Messages::of)
    }

    /// Makes `template` the default message of `method`, replacing any before.
    pub fn set(&mut self, method: Method, template: &str) {
        match self.0.iter_mut().find(|(m, _)| *m == method) {
            Some((_, t)) => template.clone_into(t),
            None => self.0.push((method, template.to_owned())),
        }
    }

    /// `method`'s default message: the one set, else jquery-validation's English one.
    pub fn get(&self, method: Method) -> &str {
        self.0
            .iter()
            .find(|(m, _)| *m == method)
            .map_or(method.default_message(), |(_, t)| t.as_str())
    }

    /// The messages set, in the order they were set: `(method, template)`.
    pub fn iter(&self) -> impl Iterator<Item = (Method, &str)> {
        self.0.iter().map(|(m, t)| (*m, t.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `{n}` a template has, in order.
    fn placeholders(template: &str) -> Vec<&str> {
        ["{0}", "{1}"]
            .into_iter()
            .filter(|p| template.contains(p))
            .collect()
    }

    /// No table misses a method (the `match`es are exhaustive; this checks none is empty or
    /// left in English) and each keeps the English message's `{0}` and `{1}`.
    #[test]
    fn every_table_covers_every_method_with_its_placeholders() {
        for lang in Lang::ALL.into_iter().skip(1) {
            let table = Messages::of(lang);
            assert_eq!(table.iter().count(), Method::all().count(), "{lang:?}");
            for method in Method::all() {
                let english = method.default_message();
                let message = table.get(method);
                assert!(!message.is_empty(), "{lang:?} {method:?}");
                assert_ne!(message, english, "{lang:?} {method:?} is English");
                assert_eq!(
                    placeholders(message),
                    placeholders(english),
                    "{lang:?} {method:?}"
                );
                assert!(message.ends_with('.'), "{lang:?} {method:?}");
            }
        }
        assert_eq!(
            Lang::CODES,
            Lang::ALL.map(Lang::code).join(", "),
            "the codes listed are the languages"
        );
    }

    #[test]
    fn tags_name_a_language_by_its_primary_subtag() {
        assert_eq!(Lang::from_code("de"), Some(Lang::De));
        assert_eq!(Lang::from_code("pt-BR"), Some(Lang::Pt));
        assert_eq!(Lang::from_code("NL_be"), Some(Lang::Nl));
        assert_eq!(Lang::from_code("it"), None);
        assert_eq!(Lang::from_code(""), None);
        assert_eq!(Messages::for_code("en"), Some(Messages::default()));
        let fr = Messages::for_code("fr-CA").unwrap();
        assert_eq!(
            fr.get(Method::MinLength),
            "Veuillez saisir au moins {0} caractères."
        );
    }

    #[test]
    fn set_replaces_one_method_and_leaves_the_others() {
        let mut m = Messages::of(Lang::Es);
        m.set(Method::Required, "¡Obligatorio!");
        m.set(Method::Required, "Obligatorio.");
        assert_eq!(m.get(Method::Required), "Obligatorio.");
        assert_eq!(m.get(Method::Digits), "Introduzca solo dígitos.");
        assert_eq!(m.iter().count(), Method::all().count());
    }
}
