//! The grammar of an intrinsic call: `States.Name(arg, arg, ...)` where an argument is a
//! quoted string (with `\'`, `\{`, `\}`, `\\` escapes), a number, `true`/`false`/`null`,
//! a path (`$.x`, `$$.x`, `$var.x`) or a nested call.

use crate::data::jsonpath::Path;
use serde_json::Value;
use std::fmt;

/// AWS allows at most this many nested calls in one field.
pub const MAX_NESTING: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Format,
    StringToJson,
    JsonToString,
    JsonMerge,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

impl Func {
    const ALL: [(&'static str, Func); 18] = [
        ("States.Format", Func::Format),
        ("States.StringToJson", Func::StringToJson),
        ("States.JsonToString", Func::JsonToString),
        ("States.JsonMerge", Func::JsonMerge),
        ("States.Array", Func::Array),
        ("States.ArrayPartition", Func::ArrayPartition),
        ("States.ArrayContains", Func::ArrayContains),
        ("States.ArrayRange", Func::ArrayRange),
        ("States.ArrayGetItem", Func::ArrayGetItem),
        ("States.ArrayLength", Func::ArrayLength),
        ("States.ArrayUnique", Func::ArrayUnique),
        ("States.Base64Encode", Func::Base64Encode),
        ("States.Base64Decode", Func::Base64Decode),
        ("States.Hash", Func::Hash),
        ("States.MathRandom", Func::MathRandom),
        ("States.MathAdd", Func::MathAdd),
        ("States.StringSplit", Func::StringSplit),
        ("States.UUID", Func::Uuid),
    ];

    pub fn from_name(name: &str) -> Option<Func> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| *n)
            .unwrap_or("States.?")
    }
}

/// A compiled intrinsic call.
#[derive(Debug, Clone)]
pub struct Call {
    pub func: Func,
    pub args: Vec<Arg>,
}

#[derive(Debug, Clone)]
pub enum Arg {
    Literal(Value),
    Path(Path),
    Call(Call),
}

impl Call {
    /// Every path the call reads, nested calls included.
    pub fn paths(&self) -> Vec<&Path> {
        let mut out = Vec::new();
        for a in &self.args {
            match a {
                Arg::Path(p) => out.push(p),
                Arg::Call(c) => out.extend(c.paths()),
                Arg::Literal(_) => {}
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntrinsicSyntaxError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for IntrinsicSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.offset + 1)
    }
}

/// Whether a string looks like an intrinsic call (so `"k.$"` values can be told from paths).
pub fn looks_like_call(s: &str) -> bool {
    s.trim_start().starts_with("States.")
}

pub fn parse_call(src: &str) -> Result<Call, IntrinsicSyntaxError> {
    let mut p = P { src, pos: 0 };
    p.ws();
    let call = p.call(1)?;
    p.ws();
    if p.pos < src.len() {
        return p.err("unexpected text after the closing `)`");
    }
    Ok(call)
}

struct P<'a> {
    src: &'a str,
    pos: usize,
}

impl P<'_> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, IntrinsicSyntaxError> {
        Err(IntrinsicSyntaxError {
            offset: self.pos,
            message: message.into(),
        })
    }

    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        match self.src.as_bytes().get(self.pos) {
            Some(&b) if b.is_ascii() => Some(char::from(b)),
            Some(_) => self.rest().chars().next(),
            None => None,
        }
    }

    fn ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn call(&mut self, depth: usize) -> Result<Call, IntrinsicSyntaxError> {
        if depth > MAX_NESTING {
            return self.err(format!(
                "intrinsic functions can be nested at most {MAX_NESTING} deep"
            ));
        }
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '.' {
                self.pos += 1;
            } else {
                break;
            }
        }
        let name = &self.src[start..self.pos];
        let Some(func) = Func::from_name(name) else {
            self.pos = start;
            return self.err(format!("`{name}` is not an intrinsic function"));
        };
        self.ws();
        if !self.rest().starts_with('(') {
            return self.err(format!("expected `(` after `{name}`"));
        }
        self.pos += 1;
        let mut args = Vec::new();
        self.ws();
        if self.rest().starts_with(')') {
            self.pos += 1;
            return Ok(Call { func, args });
        }
        loop {
            self.ws();
            args.push(self.arg(depth)?);
            self.ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(')') => {
                    self.pos += 1;
                    // Only States.Format's template gives `\{` and `\}` a meaning of their own.
                    for (i, a) in args.iter_mut().enumerate() {
                        if let Arg::Literal(Value::String(s)) = a
                            && !(func == Func::Format && i == 0)
                            && s.contains('\\')
                        {
                            *s = s.replace("\\{", "{").replace("\\}", "}");
                        }
                    }
                    return Ok(Call { func, args });
                }
                _ => return self.err("expected `,` or `)` after an argument"),
            }
        }
    }

    fn arg(&mut self, depth: usize) -> Result<Arg, IntrinsicSyntaxError> {
        match self.peek() {
            Some('\'') => self.string().map(|s| Arg::Literal(Value::String(s))),
            Some('$') => {
                let start = self.pos;
                let end = self.path_end();
                let text = &self.src[start..end];
                match Path::parse(text) {
                    Ok(p) => {
                        self.pos = end;
                        Ok(Arg::Path(p))
                    }
                    Err(e) => {
                        self.pos = start + e.offset;
                        self.err(format!("invalid path `{text}`: {}", e.message))
                    }
                }
            }
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E') {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                let text = &self.src[start..self.pos];
                // A plain count (the usual literal) needs no number parser; leading zeros,
                // signs, fractions and exponents take serde_json's rules.
                if text.len() < 19
                    && text.bytes().all(|b| b.is_ascii_digit())
                    && (text.len() == 1 || !text.starts_with('0'))
                    && let Ok(n) = text.parse::<u64>()
                {
                    return Ok(Arg::Literal(Value::from(n)));
                }
                match serde_json::from_str::<serde_json::Number>(text) {
                    Ok(n) => Ok(Arg::Literal(Value::Number(n))),
                    Err(_) => {
                        self.pos = start;
                        self.err("invalid number")
                    }
                }
            }
            Some(c) if c.is_ascii_alphabetic() => {
                for (word, v) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.rest().starts_with(word)
                        && !self.rest()[word.len()..]
                            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '.')
                    {
                        self.pos += word.len();
                        return Ok(Arg::Literal(v));
                    }
                }
                self.call(depth + 1).map(Arg::Call)
            }
            _ => self.err("expected an argument: a 'string', a number, a path or a call"),
        }
    }

    /// A path argument ends at a `,` or `)` outside brackets and quotes.
    fn path_end(&self) -> usize {
        let bytes = self.src.as_bytes();
        let mut i = self.pos;
        let mut depth = 0i32;
        let mut quote: Option<u8> = None;
        while i < bytes.len() {
            let b = bytes[i];
            if let Some(q) = quote {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            } else {
                match b {
                    b'\'' | b'"' => quote = Some(b),
                    b'[' | b'(' => depth += 1,
                    b']' => depth -= 1,
                    b')' if depth > 0 => depth -= 1,
                    b',' | b')' if depth == 0 => break,
                    b' ' | b'\t' | b'\n' if depth == 0 => break,
                    _ => {}
                }
            }
            i += 1;
        }
        // A backslash ending the text inside a quote skips past its end.
        i.min(bytes.len())
    }

    fn string(&mut self) -> Result<String, IntrinsicSyntaxError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return self.err("unterminated string: a `'` is missing");
            };
            self.pos += c.len_utf8();
            match c {
                '\'' => return Ok(out),
                '\\' => {
                    let Some(e) = self.peek() else {
                        return self.err("a `\\` must escape `'`, `{`, `}` or `\\`");
                    };
                    self.pos += e.len_utf8();
                    match e {
                        '\'' | '\\' => out.push(e),
                        // `\{` and `\}` stay escaped so States.Format can tell them from `{}`.
                        '{' | '}' => {
                            out.push('\\');
                            out.push(e);
                        }
                        _ => {
                            self.pos -= e.len_utf8() + 1;
                            return self.err("a `\\` must escape `'`, `{`, `}` or `\\`");
                        }
                    }
                }
                c => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the fuzzer (tests/fuzz.rs, target `intrinsic_call`): a path argument ending in
    /// an open quote and a backslash made the parser slice past the end of the text.
    #[test]
    fn a_path_ending_in_a_quoted_backslash_is_a_syntax_error() {
        for text in [
            "States.MathAdd($' , 10\\",
            "States.Array($[\"a\\",
            "States.Array($['\\",
        ] {
            let e = parse_call(text).expect_err("refused");
            assert!(e.to_string().contains("invalid path"), "{text}: {e}");
        }
    }

    #[test]
    fn parses_nested_calls_and_literals() {
        let c = parse_call("States.Format('a {} \\' b', States.MathAdd($.x, -1), true, null, 1.5)")
            .unwrap();
        assert_eq!(c.func, Func::Format);
        assert_eq!(c.args.len(), 5);
        assert!(matches!(&c.args[0], Arg::Literal(Value::String(s)) if s == "a {} ' b"));
        assert!(matches!(&c.args[1], Arg::Call(inner) if inner.func == Func::MathAdd));
        assert!(matches!(&c.args[2], Arg::Literal(Value::Bool(true))));
        assert!(matches!(&c.args[3], Arg::Literal(Value::Null)));
    }

    #[test]
    fn paths_may_hold_brackets_and_commas_in_quotes() {
        let c = parse_call("States.Array($['a,b'], $$.Execution.Id, $v[0])").unwrap();
        assert_eq!(c.paths().len(), 3);
    }

    #[test]
    fn rejects_bad_calls() {
        for bad in [
            "States.Nope()",
            "States.Format('x'",
            "States.Format('x') extra",
            "States.Format('\\x')",
            "States.Array(foo)",
        ] {
            assert!(parse_call(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn number_literals_follow_json_rules() {
        let literal = |text: &str| match parse_call(&format!("States.Array({text})")) {
            Ok(c) => match &c.args[0] {
                Arg::Literal(v) => Ok(v.clone()),
                other => panic!("{text} parsed as {other:?}"),
            },
            Err(e) => Err(e),
        };
        assert_eq!(literal("0").unwrap(), serde_json::json!(0));
        assert_eq!(literal("42").unwrap(), serde_json::json!(42));
        assert_eq!(literal("-7").unwrap(), serde_json::json!(-7));
        assert_eq!(literal("2.5").unwrap(), serde_json::json!(2.5));
        assert_eq!(literal("1e3").unwrap(), serde_json::json!(1000.0));
        assert_eq!(
            literal("18446744073709551615").unwrap(),
            serde_json::json!(u64::MAX)
        );
        assert!(literal("-0").unwrap().is_f64());
        assert!(literal("017").is_err());
        assert!(literal("1-2").is_err());
    }

    #[test]
    fn limits_nesting() {
        let mut s = String::from("$.x");
        for _ in 0..10 {
            s = format!("States.Array({s})");
        }
        assert!(parse_call(&s).is_ok());
        assert!(parse_call(&format!("States.Array({s})")).is_err());
    }
}
