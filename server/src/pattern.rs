//! `pattern` rules matched as the browser matches them: the HTML standard compiles a
//! `pattern` as `^(?:source)$` with JavaScript's `v` flag
//! (<https://html.spec.whatwg.org/multipage/input.html#compiled-pattern-regular-expression>),
//! and this module writes such a source as an expression of the `regex` crate with the
//! same meaning, or says why it cannot.
//!
//! What differs between the two is written out: `.` is any code point but a line
//! terminator (`\n`, `\r`, U+2028, U+2029); `\d`, `\w` and `\b` are ASCII; `\s` is
//! JavaScript's white space and line terminators; every literal is one code point.
//! `\p{…}` takes ECMAScript's names. What JavaScript refuses with the `v` flag (an unescaped
//! `-` or `(` in a class, `\-` or `\a` outside one, a lone `{`) is refused, as is what the
//! `regex` crate cannot match: look-around, back-references, `\q{…}` and the properties
//! of strings (`\p{RGI_Emoji}`).

/// The `regex` crate's expression for the JavaScript `v`-flag pattern `source` (without
/// the anchors), or why there is none.
pub fn translate(source: &str) -> Result<String, String> {
    let mut parser = Parser {
        chars: source.chars().collect(),
        at: 0,
        out: String::new(),
    };
    parser.disjunction()?;
    match parser.peek() {
        None => Ok(parser.out),
        Some(c) => Err(format!("unexpected {c:?}")),
    }
}

/// JavaScript's `\s`: WhiteSpace and LineTerminator (ECMA-262 §22.2.2.9).
const SPACE: &str = r"\t\n\x0B\x0C\r\x20\xA0\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";

/// The binary properties ECMAScript's `\p{…}` takes (ECMA-262, table "Binary Unicode
/// property aliases"), each in every spelling it allows; the `regex` crate knows them.
const BINARY: &[&str] = &[
    "ASCII",
    "ASCII_Hex_Digit",
    "AHex",
    "Alphabetic",
    "Alpha",
    "Any",
    "Assigned",
    "Bidi_Control",
    "Bidi_C",
    "Bidi_Mirrored",
    "Bidi_M",
    "Case_Ignorable",
    "CI",
    "Cased",
    "Changes_When_Casefolded",
    "CWCF",
    "Changes_When_Casemapped",
    "CWCM",
    "Changes_When_Lowercased",
    "CWL",
    "Changes_When_NFKC_Casefolded",
    "CWKCF",
    "Changes_When_Titlecased",
    "CWT",
    "Changes_When_Uppercased",
    "CWU",
    "Dash",
    "Default_Ignorable_Code_Point",
    "DI",
    "Deprecated",
    "Dep",
    "Diacritic",
    "Dia",
    "Emoji",
    "Emoji_Component",
    "EComp",
    "Emoji_Modifier",
    "EMod",
    "Emoji_Modifier_Base",
    "EBase",
    "Emoji_Presentation",
    "EPres",
    "Extended_Pictographic",
    "ExtPict",
    "Extender",
    "Ext",
    "Grapheme_Base",
    "Gr_Base",
    "Grapheme_Extend",
    "Gr_Ext",
    "Hex_Digit",
    "Hex",
    "IDS_Binary_Operator",
    "IDSB",
    "IDS_Trinary_Operator",
    "IDST",
    "ID_Continue",
    "IDC",
    "ID_Start",
    "IDS",
    "Ideographic",
    "Ideo",
    "Join_Control",
    "Join_C",
    "Logical_Order_Exception",
    "LOE",
    "Lowercase",
    "Lower",
    "Math",
    "Noncharacter_Code_Point",
    "NChar",
    "Pattern_Syntax",
    "Pat_Syn",
    "Pattern_White_Space",
    "Pat_WS",
    "Quotation_Mark",
    "QMark",
    "Radical",
    "Regional_Indicator",
    "RI",
    "Sentence_Terminal",
    "STerm",
    "Soft_Dotted",
    "SD",
    "Terminal_Punctuation",
    "Term",
    "Unified_Ideograph",
    "UIdeo",
    "Uppercase",
    "Upper",
    "Variation_Selector",
    "VS",
    "White_Space",
    "space",
    "XID_Continue",
    "XIDC",
    "XID_Start",
    "XIDS",
];

/// General_Category values and their aliases (ECMA-262, table "Value aliases").
const CATEGORIES: &[&str] = &[
    "C",
    "Other",
    "Cc",
    "Control",
    "cntrl",
    "Cf",
    "Format",
    "Cn",
    "Unassigned",
    "Co",
    "Private_Use",
    "Cs",
    "Surrogate",
    "L",
    "Letter",
    "LC",
    "Cased_Letter",
    "Ll",
    "Lowercase_Letter",
    "Lm",
    "Modifier_Letter",
    "Lo",
    "Other_Letter",
    "Lt",
    "Titlecase_Letter",
    "Lu",
    "Uppercase_Letter",
    "M",
    "Mark",
    "Combining_Mark",
    "Mc",
    "Spacing_Mark",
    "Me",
    "Enclosing_Mark",
    "Mn",
    "Nonspacing_Mark",
    "N",
    "Number",
    "Nd",
    "Decimal_Number",
    "digit",
    "Nl",
    "Letter_Number",
    "No",
    "Other_Number",
    "P",
    "Punctuation",
    "punct",
    "Pc",
    "Connector_Punctuation",
    "Pd",
    "Dash_Punctuation",
    "Pe",
    "Close_Punctuation",
    "Pf",
    "Final_Punctuation",
    "Pi",
    "Initial_Punctuation",
    "Po",
    "Other_Punctuation",
    "Ps",
    "Open_Punctuation",
    "S",
    "Symbol",
    "Sc",
    "Currency_Symbol",
    "Sk",
    "Modifier_Symbol",
    "Sm",
    "Math_Symbol",
    "So",
    "Other_Symbol",
    "Z",
    "Separator",
    "Zl",
    "Line_Separator",
    "Zp",
    "Paragraph_Separator",
    "Zs",
    "Space_Separator",
];

struct Parser {
    chars: Vec<char>,
    at: usize,
    out: String,
}

/// A literal code point as the `regex` crate reads it anywhere: `\x{…}`.
fn literal(c: char) -> String {
    format!("\\x{{{:X}}}", u32::from(c))
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }
    fn peek2(&self) -> Option<char> {
        self.chars.get(self.at + 1).copied()
    }
    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        self.at += usize::from(hit);
        hit
    }
    fn next(&mut self) -> Result<char, String> {
        let c = self.peek().ok_or("the pattern ends too early")?;
        self.at += 1;
        Ok(c)
    }

    fn disjunction(&mut self) -> Result<(), String> {
        loop {
            self.alternative()?;
            if !self.eat('|') {
                return Ok(());
            }
            self.out.push('|');
        }
    }

    fn alternative(&mut self) -> Result<(), String> {
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                return Ok(());
            }
            let quantifiable = self.term()?;
            let start = self.at;
            if self.quantifier()? {
                if !quantifiable {
                    return Err("a quantifier after an assertion".into());
                }
                let text: String = self.chars[start..self.at].iter().collect();
                self.out.push_str(&text);
            }
        }
        Ok(())
    }

    /// One term; whether a quantifier may follow it.
    fn term(&mut self) -> Result<bool, String> {
        let c = self.next()?;
        match c {
            '^' | '$' => self.out.push(c),
            '.' => self.out.push_str(r"[^\n\r\x{2028}\x{2029}]"),
            '(' => {
                if self.eat('?') {
                    match (self.next()?, self.peek()) {
                        (':', _) => {}
                        ('<', Some(c)) if c != '=' && c != '!' => {
                            let name_ok = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
                            let start = self.at;
                            while self.peek().is_some_and(name_ok) {
                                self.at += 1;
                            }
                            if self.at == start || !self.eat('>') {
                                return Err("a malformed group name".into());
                            }
                        }
                        _ => return Err("look-around and modifiers are not supported".into()),
                    }
                }
                self.out.push_str("(?:");
                self.disjunction()?;
                if !self.eat(')') {
                    return Err("an unclosed group".into());
                }
                self.out.push(')');
            }
            '[' => {
                let class = self.class()?;
                self.out.push_str(&class);
            }
            '\\' => return self.escape_outside(),
            '*' | '+' | '?' | '{' | '}' | ']' | ')' => {
                return Err(format!("{c:?} with nothing to repeat or match"))
            }
            c => self.out.push_str(&literal(c)),
        }
        Ok(!matches!(c, '^' | '$'))
    }

    /// A quantifier, if one follows, checked; whether there was one.
    fn quantifier(&mut self) -> Result<bool, String> {
        match self.peek() {
            Some('*' | '+' | '?') => self.at += 1,
            Some('{') => {
                self.at += 1;
                let low = self.number().ok_or("a lone '{'")?;
                let high = match self.eat(',') {
                    true if self.peek() == Some('}') => None,
                    true => Some(self.number().ok_or("a malformed {n,m}")?),
                    false => Some(low),
                };
                if !self.eat('}') {
                    return Err("a malformed {n,m}".into());
                }
                if high.is_some_and(|high| high < low) {
                    return Err("numbers out of order in {n,m}".into());
                }
            }
            _ => return Ok(false),
        }
        self.eat('?');
        if matches!(self.peek(), Some('*' | '+' | '?' | '{')) {
            return Err("a quantifier with nothing to repeat".into());
        }
        Ok(true)
    }

    fn number(&mut self) -> Option<u64> {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
        let digits: String = self.chars[start..self.at].iter().collect();
        digits.parse().ok()
    }

    /// After `\` outside a class; whether a quantifier may follow.
    fn escape_outside(&mut self) -> Result<bool, String> {
        match self.peek() {
            Some('b') => self.out.push_str(r"(?-u:\b)"),
            Some('B') => self.out.push_str(r"(?-u:\B)"),
            _ => {
                let class = self.escape()?;
                self.out.push_str(&class);
                return Ok(true);
            }
        }
        self.at += 1;
        Ok(false)
    }

    /// After `\`, but `\b` and `\B`: a class (`[0-9]`) or a literal, for the `regex` crate.
    fn escape(&mut self) -> Result<String, String> {
        let c = self.next()?;
        let class = match c {
            'd' => "[0-9]".to_owned(),
            'D' => "[^0-9]".to_owned(),
            'w' => "[0-9A-Za-z_]".to_owned(),
            'W' => "[^0-9A-Za-z_]".to_owned(),
            's' => format!("[{SPACE}]"),
            'S' => format!("[^{SPACE}]"),
            'p' | 'P' => return self.property(c == 'P'),
            _ => return self.character_escape(c).map(literal),
        };
        Ok(class)
    }

    /// `\p{…}` or `\P{…}` with ECMAScript's names.
    fn property(&mut self, negated: bool) -> Result<String, String> {
        if !self.eat('{') {
            return Err("\\p without {…}".into());
        }
        let start = self.at;
        while self.peek().is_some_and(|c| c != '}') {
            self.at += 1;
        }
        let name: String = self.chars[start..self.at].iter().collect();
        if !self.eat('}') {
            return Err("an unclosed \\p{…}".into());
        }
        let rust = match name.split_once('=') {
            Some(("General_Category" | "gc", value)) if CATEGORIES.contains(&value) => {
                value.to_owned()
            }
            Some(("Script" | "sc", value)) if is_name(value) => format!("sc={value}"),
            Some(("Script_Extensions" | "scx", value)) if is_name(value) => format!("scx={value}"),
            None if CATEGORIES.contains(&name.as_str()) || BINARY.contains(&name.as_str()) => {
                name.clone()
            }
            _ => return Err(format!("\\p{{{name}}} is not supported")),
        };
        Ok(format!("\\{}{{{rust}}}", if negated { 'P' } else { 'p' }))
    }

    /// The character a character escape stands for (after `\` and its first letter `c`).
    fn character_escape(&mut self, c: char) -> Result<char, String> {
        let code = match c {
            't' => 9,
            'n' => 10,
            'v' => 11,
            'f' => 12,
            'r' => 13,
            '0' if !self.peek().is_some_and(|c| c.is_ascii_digit()) => 0,
            'c' => match self.next()? {
                l if l.is_ascii_alphabetic() => u32::from(l) % 32,
                _ => return Err("a malformed \\c".into()),
            },
            'x' => self.hex(2)?,
            'u' if self.eat('{') => {
                let start = self.at;
                while self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                    self.at += 1;
                }
                let digits: String = self.chars[start..self.at].iter().collect();
                if digits.is_empty() || !self.eat('}') {
                    return Err("a malformed \\u{…}".into());
                }
                u32::from_str_radix(&digits, 16).map_err(|_| "\\u{…} out of range")?
            }
            'u' => {
                let high = self.hex(4)?;
                let pair = (0xD800..0xDC00).contains(&high)
                    && self.chars.get(self.at..self.at + 2) == Some(&['\\', 'u']);
                let saved = self.at;
                self.at += 2;
                match pair.then(|| self.hex(4)) {
                    Some(Ok(low)) if (0xDC00..0xE000).contains(&low) => {
                        0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    }
                    _ => {
                        self.at = saved;
                        high
                    }
                }
            }
            '^' | '$' | '\\' | '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|'
            | '/' => u32::from(c),
            '1'..='9' | 'k' => return Err("back-references are not supported".into()),
            _ => return Err(format!("\\{c} is not an escape with the v flag")),
        };
        char::from_u32(code).ok_or_else(|| "a lone surrogate can never match".to_owned())
    }

    fn hex(&mut self, n: usize) -> Result<u32, String> {
        let digits: String = self
            .chars
            .get(self.at..self.at + n)
            .unwrap_or(&[])
            .iter()
            .collect();
        match (digits.len() == n, u32::from_str_radix(&digits, 16)) {
            (true, Ok(v)) if digits.chars().all(|c| c.is_ascii_hexdigit()) => {
                self.at += n;
                Ok(v)
            }
            _ => Err(format!("a malformed \\x or \\u escape near {digits:?}")),
        }
    }

    /// A `v`-mode class after its `[`: a union (with ranges), or operands joined by `&&`
    /// or by `--`; nested classes allowed.
    fn class(&mut self) -> Result<String, String> {
        let negated = self.eat('^');
        let mut items: Vec<String> = Vec::new();
        let mut op: Option<&str> = None;
        loop {
            match (self.peek(), self.peek2()) {
                (None, _) => return Err("an unclosed class".into()),
                (Some(']'), _) => {
                    self.at += 1;
                    break;
                }
                (Some(a @ ('&' | '-')), Some(b)) if a == b && !items.is_empty() => {
                    let this = if a == '&' { "&&" } else { "--" };
                    if op.is_some_and(|op| op != this) || (op.is_none() && items.len() > 1) {
                        return Err("set operations mixed without brackets".into());
                    }
                    op = Some(this);
                    self.at += 2;
                    items.push(self.operand()?);
                }
                _ if op.is_some() => return Err("set operations mixed without brackets".into()),
                _ => {
                    let item = self.operand()?;
                    // A range: two single characters around `-`.
                    if self.peek() == Some('-') && self.peek2() != Some('-') {
                        let Some(low) = single(&item) else {
                            return Err("a range from a class".into());
                        };
                        self.at += 1;
                        let high = self.operand()?;
                        let Some(high) = single(&high) else {
                            return Err("a range to a class".into());
                        };
                        if high < low {
                            return Err("a range out of order".into());
                        }
                        items.push(format!("{}-{}", literal(low), literal(high)));
                    } else {
                        items.push(item);
                    }
                }
            }
        }
        let not = if negated { "^" } else { "" };
        Ok(match op {
            // The regex crate's classes never match nothing by brackets alone.
            None if items.is_empty() && negated => r"[\x{0}-\x{10FFFF}]".to_owned(),
            None if items.is_empty() => r"[^\x{0}-\x{10FFFF}]".to_owned(),
            None => format!("[{not}{}]", items.concat()),
            Some(op) => {
                let bracketed: Vec<String> = items.iter().map(|i| bracket(i)).collect();
                format!("[{not}{}]", bracketed.join(op))
            }
        })
    }

    /// One operand of a class: a nested class, a class escape or one character (as
    /// `\x{…}`).
    fn operand(&mut self) -> Result<String, String> {
        let c = self.next()?;
        match c {
            '[' => self.class(),
            '\\' => match self.peek() {
                Some('b') => {
                    self.at += 1;
                    Ok(literal('\u{8}'))
                }
                Some('q') => Err("\\q{…} is not supported".into()),
                Some(p) if "&-!#%,:;<=>@`~".contains(p) => {
                    self.at += 1;
                    Ok(literal(p))
                }
                _ => self.escape(),
            },
            '(' | ')' | '{' | '}' | '/' | '-' | '|' | ']' => {
                Err(format!("{c:?} must be escaped in a class with the v flag"))
            }
            c if self.peek() == Some(c) && "&!#$%*+,.:;<=>?@^`~".contains(c) => {
                Err(format!("{c:?}{c:?} is reserved in a class with the v flag"))
            }
            c => Ok(literal(c)),
        }
    }
}

/// Whether `name` may be a script's name.
fn is_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The character an operand is, when it is one (`\x{…}`).
fn single(item: &str) -> Option<char> {
    let hex = item.strip_prefix("\\x{")?.strip_suffix('}')?;
    char::from_u32(u32::from_str_radix(hex, 16).ok()?)
}

/// An operand as a class of its own, for `&&` and `--`.
fn bracket(item: &str) -> String {
    match item.starts_with('[') {
        true => item.to_owned(),
        false => format!("[{item}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Patterns, values and the verdicts of JavaScript's `new RegExp("^(?:" + pattern +
    /// ")$", "v").test(value)`, as printed by V8 (Node 20.20, the engine of Chromium).
    const VERDICTS: &[(&str, &[(&str, bool)])] = &[
        (
            "\\d+",
            &[
                ("123", true),
                ("\u{661}\u{662}\u{663}", false),
                ("12a", false),
                ("", false),
            ],
        ),
        (
            "\\w+",
            &[("abc_9", true), ("\u{e9}", false), ("ab-c", false)],
        ),
        (
            "\\s",
            &[
                (" ", true),
                ("\u{a0}", true),
                ("\u{feff}", true),
                ("\u{85}", false),
                ("\u{2028}", true),
                ("\u{9}", true),
            ],
        ),
        (
            ".{1,3}",
            &[
                ("\u{1f600}\u{1f600}\u{1f600}", true),
                ("\u{1f600}\u{1f600}\u{1f600}\u{1f600}", false),
                ("a\u{a}b", false),
                ("a\u{d}b", false),
                ("\u{2028}", false),
                ("\u{e9}", true),
            ],
        ),
        (
            "\\p{Lu}[a-z]+",
            &[
                ("\u{c9}lan", true),
                ("\u{e9}lan", false),
                ("\u{3a9}mega", true),
            ],
        ),
        (
            "\\p{Script=Greek}+",
            &[("\u{3b1}\u{3b2}\u{3b3}", true), ("abc", false)],
        ),
        (
            "[\\p{L}--[a-z]]+",
            &[("ABC", true), ("AbC", false), ("\u{c9}\u{c8}", true)],
        ),
        ("[\\w&&\\d]+", &[("123", true), ("12a", false)]),
        ("[^]", &[("x", true), ("\u{a}", true)]),
        ("[]", &[("", false), ("x", false)]),
        ("[a\\-z]+", &[("a-z", true), ("b", false)]),
        (
            "\\bfoo\\b.*",
            &[("foo bar", true), ("foobar", false), ("\u{e9}foo", false)],
        ),
        (
            "colou?r",
            &[("color", true), ("colour", true), ("colouur", false)],
        ),
        ("a|bc", &[("a", true), ("bc", true), ("abc", false)]),
        (
            "\\u{1F600}|\\uD83D\\uDE00x",
            &[("\u{1f600}", true), ("\u{1f600}x", true)],
        ),
        ("[\\u0041-\\u005A]{2}", &[("AZ", true), ("az", false)]),
        (
            "(?<year>\\d{4})-\\d{2}",
            &[("2024-01", true), ("24-01", false)],
        ),
        ("[0-9]{3,}", &[("12", false), ("1234", true)]),
        ("\\x41\\cJ", &[("A\u{a}", true), ("A", false)]),
        ("[\\s\\S]*", &[("anything\u{a}at all", true)]),
        ("\\D\\W\\S", &[("a b", true), ("a-b", true), ("1-b", false)]),
    ];

    /// Patterns V8 refuses with the `v` flag (a SyntaxError: the browser ignores such a
    /// `pattern`), or compiles but the `regex` crate cannot match (look-around,
    /// back-references, properties of strings): refused at start-up.
    const REFUSED: &[&str] = &[
        "[a-z-]",
        "\\-",
        "(?=a)a",
        "(a)\\1",
        "a{,3}",
        "[(]",
        "\\p{lu}",
        "a**",
        "{",
        "\\p{RGI_Emoji}",
        "[a&&&b]",
        "(?i:a)",
        "\\a",
        "x{2,1}",
        "[z-a]",
        "^*",
    ];

    fn compile(source: &str) -> Result<regex::Regex, String> {
        let rust = translate(source)?;
        regex::Regex::new(&format!("^(?:{rust})$")).map_err(|e| e.to_string())
    }

    #[test]
    fn patterns_match_as_javascript_v_flag_regexes_do() {
        for (source, values) in VERDICTS {
            let regex = compile(source).unwrap_or_else(|e| panic!("{source}: {e}"));
            for (value, verdict) in *values {
                assert_eq!(regex.is_match(value), *verdict, "{source} on {value:?}");
            }
        }
    }

    #[test]
    fn what_javascript_or_the_regex_crate_refuses_is_refused() {
        for source in REFUSED {
            assert!(compile(source).is_err(), "{source}");
        }
    }
}
