//! Structure-aware generators: random JSON trees, JSONPath, reference paths, intrinsic calls,
//! JSONata expressions and payload templates written from their grammars, value mutations of
//! real definitions, a YAML writer, text mutations, and deep nesting.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Map, Value, json};

pub type G = SmallRng;

/// One of `xs`, taken by value.
pub fn one<T>(g: &mut G, mut xs: Vec<T>) -> T {
    let i = g.gen_range(0..xs.len());
    xs.swap_remove(i)
}

pub fn pick<'a, T: ?Sized>(g: &mut G, xs: &'a [&'a T]) -> &'a T {
    xs[g.gen_range(0..xs.len())]
}

fn chance(g: &mut G, n: u32) -> bool {
    g.gen_ratio(1, n)
}

/// Names that definitions, paths and expressions use, and a few awkward ones.
const NAMES: &[&str] = &[
    "a",
    "b",
    "c",
    "items",
    "id",
    "0",
    "1",
    "x",
    "Payload",
    "input",
    "value",
    "name",
    "",
    " ",
    "é",
    "ü名",
    "a.b",
    "a b",
    "'",
    "\"",
    "\\",
    "$",
    "@",
    "*",
    "..",
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    "length",
    "Execution",
    "State",
    "Map",
    "Item",
    "Index",
    "Value",
    "errorInfo",
];

const INTERESTING_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "2",
    "3",
    "7",
    "10",
    "1000",
    "1001",
    "2147483647",
    "-2147483648",
    "4294967296",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "1e308",
    "-1e308",
    "1e-320",
    "0.5",
    "1.5",
    "-2.5",
    "3.0",
    "1E3",
    "123456789012345678901234567890",
];

pub fn number(g: &mut G) -> Value {
    serde_json::from_str(pick(g, INTERESTING_NUMBERS)).unwrap_or(Value::Null)
}

const STRINGS: &[&str] = &[
    "",
    "a",
    "abc",
    "hello world",
    "2016-03-14T01:59:00Z",
    "2016-03-14T01:59:00.123+01:00",
    "not a date",
    "{}",
    "[]",
    "{\"a\":1}",
    "[1,2,3]",
    "null",
    "true",
    "42",
    "-1.5",
    "aGVsbG8=",
    "!!!",
    "\u{0}",
    "\u{1F600}",
    "é",
    "\\",
    "'",
    "\"",
    "{",
    "}",
    "{}{}",
    "$.a",
    "$$.Execution.Id",
    "$x",
    "{% 1 + 1 %}",
    "{%%}",
    "States.ALL",
    "States.TaskFailed",
    "arn:aws:lambda:us-east-1:123456789012:function:f",
    "arn:aws:states:::lambda:invoke",
    "arn:aws:states:::states:startExecution.sync:2",
    "arn:aws:states:::ecs:runTask.sync",
    "arn:aws:states:::s3:getObject",
    "MD5",
    "SHA-1",
    "SHA-256",
    "SHA-384",
    "SHA-512",
    "JSONPath",
    "JSONata",
];

pub fn string(g: &mut G) -> String {
    if chance(g, 4) {
        let n = g.gen_range(0..12);
        (0..n)
            .map(|_| match g.gen_range(0..4) {
                0 => char::from(g.gen_range(0x20u8..0x7f)),
                1 => char::from_u32(g.gen_range(0..0x3000)).unwrap_or('x'),
                _ => char::from(g.gen_range(b'a'..=b'e')),
            })
            .collect()
    } else {
        pick(g, STRINGS).to_string()
    }
}

pub fn name(g: &mut G) -> String {
    if chance(g, 6) {
        string(g)
    } else {
        pick(g, NAMES).to_string()
    }
}

/// A random JSON tree of at most `depth` levels.
pub fn json(g: &mut G, depth: u32) -> Value {
    let k = if depth == 0 {
        g.gen_range(0..4)
    } else {
        g.gen_range(0..7)
    };
    match k {
        0 => Value::Null,
        1 => Value::Bool(g.r#gen()),
        2 => {
            if chance(g, 2) {
                json!(g.gen_range(-5i64..20))
            } else {
                number(g)
            }
        }
        3 => Value::String(string(g)),
        4 => Value::Array((0..g.gen_range(0..5)).map(|_| json(g, depth - 1)).collect()),
        _ => {
            let mut m = Map::new();
            for _ in 0..g.gen_range(0..5) {
                m.insert(name(g), json(g, depth - 1));
            }
            Value::Object(m)
        }
    }
}

/// A document that paths are likely to find things in.
pub fn document(g: &mut G) -> Value {
    let mut v = json(g, 4);
    if chance(g, 2) {
        v = json!({
            "a": json(g, 2), "b": [1, 2, {"a": 3, "b": "x"}, [4, 5]],
            "items": (0..g.gen_range(0..6)).map(|i| json!({"id": i, "x": json(g, 1)})).collect::<Vec<_>>(),
            "x": json(g, 3), "0": "zero",
        });
    }
    v
}

// ---------------------------------------------------------------- JSONPath and filters

fn path_name(g: &mut G) -> String {
    // A name usable after a dot: mostly identifiers, sometimes anything.
    if chance(g, 8) {
        name(g)
    } else {
        pick(
            g,
            &[
                "a",
                "b",
                "c",
                "items",
                "id",
                "x",
                "length",
                "Payload",
                "Execution",
                "Id",
                "Input",
            ],
        )
        .to_string()
    }
}

fn quoted(g: &mut G, s: &str) -> String {
    let q = if chance(g, 2) { '\'' } else { '"' };
    let body: String = s
        .chars()
        .flat_map(|c| {
            if c == q || c == '\\' {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect();
    format!("{q}{body}{q}")
}

fn filter_operand(g: &mut G, depth: u32) -> String {
    match g.gen_range(0..8) {
        0 | 1 => format!("@.{}", path_name(g)),
        2 => format!("@{}", steps(g, depth.saturating_sub(1), 2)),
        3 => pick(g, INTERESTING_NUMBERS).to_string(),
        4 => {
            let s = string(g);
            quoted(g, &s)
        }
        5 => pick(
            g,
            &[
                "true",
                "false",
                "null",
                "@",
                "$.a",
                "$['b'][0]",
                "[1,2]",
                "['a','b']",
            ],
        )
        .to_string(),
        6 => format!("@.{}.length()", path_name(g)),
        _ => format!("$.{}", path_name(g)),
    }
}

fn filter(g: &mut G, depth: u32) -> String {
    if depth == 0 || chance(g, 3) {
        let op = pick(
            g,
            &[
                "==", "!=", "<", "<=", ">", ">=", "=~", "in", "nin", "subsetof", "anyof", "noneof",
                "size", "empty", "===", "<>", "",
            ],
        );
        let rhs = if op == "=~" {
            pick(g, &["/a.*/", "/^x$/i", "/[/", "/(a+)+$/", "/\\d+/", "'x'"]).to_string()
        } else {
            filter_operand(g, depth)
        };
        if op.is_empty() {
            return filter_operand(g, depth);
        }
        return format!("{} {op} {rhs}", filter_operand(g, depth));
    }
    match g.gen_range(0..4) {
        0 => format!("({})", filter(g, depth - 1)),
        1 => format!("!({})", filter(g, depth - 1)),
        2 => format!("{} && {}", filter(g, depth - 1), filter(g, depth - 1)),
        _ => format!("{} || {}", filter(g, depth - 1), filter(g, depth - 1)),
    }
}

fn step(g: &mut G, depth: u32) -> String {
    match g.gen_range(0..16) {
        0..=4 => format!(".{}", path_name(g)),
        5 => format!("[{}]", {
            let n = name(g);
            quoted(g, &n)
        }),
        6 => format!("[{}]", g.gen_range(-3i32..6)),
        7 => pick(
            g,
            &[
                "[*]",
                ".*",
                "..*",
                "[-1:]",
                "[:2]",
                "[1:]",
                "[::2]",
                "[0:3:-1]",
                "[0,1]",
                "[1:0]",
                "[0:-1]",
                "['a','b']",
            ],
        )
        .to_string(),
        8 => format!("..{}", path_name(g)),
        9 => format!("[?({})]", filter(g, depth)),
        10 => pick(
            g,
            &[
                "[(@.length-1)]",
                ".length()",
                ".min()",
                ".max()",
                ".avg()",
                ".sum()",
                ".stddev()",
                ".keys()",
                ".first()",
                ".last()",
                ".concat('x')",
                ".append(1)",
                ".size()",
            ],
        )
        .to_string(),
        11 => format!("[{}]", pick(g, INTERESTING_NUMBERS)),
        12 => format!("[{}:{}]", g.gen_range(-4i32..5), g.gen_range(-4i32..5)),
        13 => pick(
            g,
            &[
                ".", "[", "]", "..", "[?(", ")", "'", "[']", "[\"a]", " ", "[ 0 ]", "[0 ,1]",
                ".a b",
            ],
        )
        .to_string(),
        _ => format!(".{}", path_name(g)),
    }
}

fn steps(g: &mut G, depth: u32, max: u32) -> String {
    (0..g.gen_range(0..=max)).map(|_| step(g, depth)).collect()
}

/// A JSONPath, mostly well formed, often not.
pub fn jsonpath(g: &mut G) -> String {
    let root = pick(
        g,
        &[
            "$",
            "$",
            "$",
            "$$",
            "$$.Execution",
            "$$.Map.Item",
            "$x",
            "$var",
            "$states",
            "@",
            "",
            "$ ",
        ],
    );
    let p = format!("{root}{}", steps(g, 2, 5));
    mutate_rarely(g, p, PATH_TOKENS)
}

const PATH_TOKENS: &[&str] = &[
    "$", "$$", ".", "..", "[", "]", "*", "?(", ")", "@", "'", "\"", ",", ":", "-", "0", "a", "\\",
    " ", "(", "!",
];

/// A reference path (what ResultPath takes): definite steps, sometimes not.
pub fn reference_path(g: &mut G) -> String {
    let mut p = String::from(pick(g, &["$", "$", "$", "$$", "$x", ""]));
    for _ in 0..g.gen_range(0..5) {
        p.push_str(&match g.gen_range(0..8) {
            0..=3 => format!(".{}", path_name(g)),
            4 => format!("[{}]", {
                let n = name(g);
                quoted(g, &n)
            }),
            5 => format!("[{}]", g.gen_range(-2i32..5)),
            6 => pick(
                g,
                &["[*]", "..a", "[0:1]", "[?(@.a)]", "['a','b']", ".length()"],
            )
            .to_string(),
            _ => format!("[{}]", pick(g, INTERESTING_NUMBERS)),
        });
    }
    mutate_rarely(g, p, PATH_TOKENS)
}

// ---------------------------------------------------------------- intrinsic functions

const FUNCS: &[&str] = &[
    "States.Format",
    "States.StringToJson",
    "States.JsonToString",
    "States.JsonMerge",
    "States.Array",
    "States.ArrayPartition",
    "States.ArrayContains",
    "States.ArrayRange",
    "States.ArrayGetItem",
    "States.ArrayLength",
    "States.ArrayUnique",
    "States.Base64Encode",
    "States.Base64Decode",
    "States.Hash",
    "States.MathRandom",
    "States.MathAdd",
    "States.StringSplit",
    "States.UUID",
    "States.Nope",
    "States.format",
    "States.",
];

fn intrinsic_literal(g: &mut G) -> String {
    match g.gen_range(0..6) {
        0 => {
            // A string literal with the escapes AWS allows (\' \{ \} \\) and braces.
            let parts = [
                "a",
                "{}",
                "\\'",
                "\\{",
                "\\}",
                "\\\\",
                " ",
                "x{}y",
                "é",
                "{",
                "}",
                ",",
                ")",
                "\\n",
                "SHA-256",
                "MD5",
                "{\"a\":1}",
                "[1,2]",
                "aGk=",
            ];
            let n = g.gen_range(0..5);
            let body: String = (0..n).map(|_| parts[g.gen_range(0..parts.len())]).collect();
            format!("'{body}'")
        }
        1 => pick(g, INTERESTING_NUMBERS).to_string(),
        2 => format!("{}", g.gen_range(-3i32..12)),
        3 => pick(
            g,
            &[
                "true",
                "false",
                "null",
                "'SHA-256'",
                "'MD5'",
                "'SHA-1'",
                "'SHA-384'",
                "'SHA-512'",
            ],
        )
        .to_string(),
        _ => pick(
            g,
            &["'", "\"a\"", "-", "1.", ".5", "0x10", "1e400", "nul", "''"],
        )
        .to_string(),
    }
}

fn intrinsic_arg(g: &mut G, depth: u32) -> String {
    match g.gen_range(0..10) {
        0..=3 => intrinsic_literal(g),
        4..=6 => {
            let root = pick(g, &["$", "$", "$$", "$x", "$var"]);
            format!("{root}{}", steps(g, 1, 3))
        }
        _ if depth > 0 => intrinsic(g, depth - 1),
        _ => intrinsic_literal(g),
    }
}

/// An intrinsic call, nested up to `depth` calls deep.
pub fn intrinsic(g: &mut G, depth: u32) -> String {
    let f = pick(g, FUNCS);
    let n = g.gen_range(0..5);
    let sep = pick(g, &[", ", ",", " , ", ",  "]);
    let args: Vec<String> = (0..n).map(|_| intrinsic_arg(g, depth)).collect();
    format!("{f}({})", args.join(sep))
}

pub fn intrinsic_text(g: &mut G) -> String {
    let s = intrinsic(g, 3);
    mutate_rarely(
        g,
        s,
        &[
            "(", ")", ",", "'", "\\", "$", ".", "States.", " ", "{}", "\\'",
        ],
    )
}

// ---------------------------------------------------------------- JSONata

const JSONATA_FUNCS: &[&str] = &[
    "$sum",
    "$count",
    "$max",
    "$min",
    "$average",
    "$string",
    "$number",
    "$boolean",
    "$not",
    "$substring",
    "$substringBefore",
    "$substringAfter",
    "$uppercase",
    "$lowercase",
    "$length",
    "$trim",
    "$pad",
    "$contains",
    "$split",
    "$join",
    "$replace",
    "$match",
    "$keys",
    "$lookup",
    "$merge",
    "$sort",
    "$reverse",
    "$append",
    "$exists",
    "$distinct",
    "$shuffle",
    "$zip",
    "$spread",
    "$each",
    "$sift",
    "$map",
    "$filter",
    "$reduce",
    "$single",
    "$type",
    "$abs",
    "$floor",
    "$ceil",
    "$round",
    "$power",
    "$sqrt",
    "$formatNumber",
    "$formatBase",
    "$formatInteger",
    "$parseInteger",
    "$now",
    "$millis",
    "$toMillis",
    "$fromMillis",
    "$base64encode",
    "$base64decode",
    "$encodeUrl",
    "$decodeUrl",
    "$encodeUrlComponent",
    "$eval",
    "$error",
    "$assert",
    "$partition",
    "$range",
    "$hash",
    "$random",
    "$uuid",
    "$parse",
    "$nope",
];

fn jsonata_atom(g: &mut G) -> String {
    match g.gen_range(0..12) {
        0 => pick(g, INTERESTING_NUMBERS).to_string(),
        1 => format!("{}", g.gen_range(-3i32..10)),
        2 => {
            let s = string(g);
            quoted(g, &s)
        }
        3 => pick(
            g,
            &[
                "true", "false", "null", "$", "$$", "*", "**", "%", "[]", "{}", "()",
            ],
        )
        .to_string(),
        4..=6 => {
            let mut s = String::from(pick(
                g,
                &[
                    "$states.input",
                    "$states.input",
                    "$states.context",
                    "$states.result",
                    "$states.errorOutput",
                    "$x",
                    "$y",
                    "$var",
                    "$f",
                ],
            ));
            for _ in 0..g.gen_range(0..3) {
                s.push('.');
                s.push_str(pick(
                    g,
                    &[
                        "a",
                        "b",
                        "items",
                        "x",
                        "id",
                        "`a b`",
                        "*",
                        "Execution",
                        "Id",
                    ],
                ));
            }
            s
        }
        7 => pick(
            g,
            &[
                "a",
                "b.c",
                "items.x",
                "`weird name`",
                "x[0]",
                "$states.input.items[id > 1]",
            ],
        )
        .to_string(),
        8 => pick(g, &["/a+/", "/^x$/i", "/(a+)+$/", "/[/"]).to_string(),
        _ => pick(
            g,
            &[
                "$states.input.a",
                "$states.input.b",
                "$states.input.items",
                "$x",
            ],
        )
        .to_string(),
    }
}

/// A JSONata expression of at most `depth` levels.
pub fn jsonata(g: &mut G, depth: u32) -> String {
    if depth == 0 || chance(g, 4) {
        return jsonata_atom(g);
    }
    let d = depth - 1;
    match g.gen_range(0..18) {
        0..=2 => {
            let op = pick(
                g,
                &[
                    "+", "-", "*", "/", "%", "&", "=", "!=", "<", "<=", ">", ">=", "and", "or",
                    "in", "..", "~>", "?:", "??",
                ],
            );
            if op == ".." {
                return format!("[{}..{}]", jsonata(g, d), jsonata(g, d));
            }
            format!("{} {op} {}", jsonata(g, d), jsonata(g, d))
        }
        3 | 4 => {
            let f = pick(g, JSONATA_FUNCS);
            let n = g.gen_range(0..4);
            let args: Vec<String> = (0..n).map(|_| jsonata(g, d)).collect();
            format!("{f}({})", args.join(", "))
        }
        5 => format!("function($v, $i) {{ {} }}", jsonata(g, d)),
        6 => format!("({}; {})", jsonata(g, d), jsonata(g, d)),
        7 => format!("$x := {}", jsonata(g, d)),
        8 => format!("{} ? {} : {}", jsonata(g, d), jsonata(g, d), jsonata(g, d)),
        9 => format!(
            "{{{}: {}}}",
            {
                let n = name(g);
                quoted(g, &n)
            },
            jsonata(g, d)
        ),
        10 => format!("[{}, {}]", jsonata(g, d), jsonata(g, d)),
        11 => format!("{}[{}]", jsonata(g, d), jsonata(g, d)),
        12 => format!("{}.{}", jsonata(g, d), jsonata(g, d)),
        13 => format!("-{}", jsonata(g, d)),
        14 => format!("{}^(>{})", jsonata(g, d), jsonata(g, d)),
        15 => pick(
            g,
            &[
                // Recursion: unbounded, mutual, deep-but-finite. (Unbounded *tail* recursion
                // runs into the 10 s wall-clock bound instead of the depth bound, too slow for
                // a fuzz loop: tests/fuzz.rs pins it once.)
                "($f := function($n) { 1 + $f($n + 1) }; $f(0))",
                "($f := function($n) { $n <= 0 ? 0 : 1 + $f($n - 1) }; $f(100000))",
                "($f := function($n) { $n <= 0 ? 0 : $f($n - 1) }; $f(100000))",
                "($a := function($n) { 1 + $b($n) }; $b := function($n) { 1 + $a($n) }; $a(1))",
                "($f := function($n) { [$f($n), $f($n)] }; $f(1))",
                "$string($states.input)",
                "$states.input ~> $keys",
                "$map([1..5], function($v) { $v * 2 })",
                "$reduce([1..100], function($a, $b) { $a + $b })",
                "$range(0, 10, 3)",
                "$range(0, 100000000, 1)",
                "[1..10000001]",
                // Long enough for a filter rebinding a variable to a closure over it to make a
                // chain that overflowed the stack when dropped (docs/fuzzing.md, findings).
                "[1..100000]",
                "$pad('x', 1000000)",
                "$formatNumber(12345.6, '#,##0.00')",
                "$eval('1 + $eval(\"2\")')",
                "$parse('{\"a\": [1, 2]}')",
                "$hash('x', 'SHA-256')",
                "$partition([1,2,3], 0)",
                "$partition([1,2,3], -1)",
                "$states.input.items[0]",
                "$sort($states.input.items, function($l, $r) { $l.id > $r.id })",
                "$match('aaaa', /(a+)+b/)",
                "$replace('abc', /b*/, 'x')",
                "$toMillis('2020-01-01T00:00:00Z')",
                "$fromMillis(1e300)",
                "$formatInteger(1e20, 'w')",
                "$formatBase(255, 37)",
                "$states.input | $ | {'n': 1} |",
            ],
        )
        .to_string(),
        16 => format!("$lookup({}, {})", jsonata(g, d), {
            let n = name(g);
            quoted(g, &n)
        }),
        _ => format!("({})", jsonata(g, d)),
    }
}

pub fn jsonata_text(g: &mut G) -> String {
    let e = jsonata(g, 4);
    mutate_rarely(
        g,
        e,
        &[
            "(", ")", "[", "]", "{", "}", "$", ".", ",", ";", ":=", "'", "\"", "function", "?",
            ":", "~>", "|", "/", "`", "..", "*", "**", "%",
        ],
    )
}

// ---------------------------------------------------------------- payload templates

/// A payload template: an object with `"k.$"` fields holding paths and intrinsic calls.
pub fn jsonpath_template(g: &mut G, depth: u32) -> Value {
    let mut m = Map::new();
    for _ in 0..g.gen_range(0..5) {
        let k = name(g);
        match g.gen_range(0..7) {
            0 | 1 => {
                m.insert(format!("{k}.$"), Value::String(jsonpath(g)));
            }
            2 => {
                m.insert(format!("{k}.$"), Value::String(intrinsic_text(g)));
            }
            3 if depth > 0 => {
                m.insert(k, jsonpath_template(g, depth - 1));
            }
            4 if depth > 0 => {
                let items = (0..g.gen_range(0..3))
                    .map(|_| jsonpath_template(g, depth - 1))
                    .collect();
                m.insert(k, Value::Array(items));
            }
            5 => {
                m.insert(format!("{k}.$"), json(g, 1));
            }
            _ => {
                m.insert(k, json(g, 2));
            }
        }
    }
    Value::Object(m)
}

/// A JSONata field template: any JSON with `{% … %}` strings in it.
pub fn jsonata_template(g: &mut G, depth: u32) -> Value {
    match g.gen_range(0..6) {
        0 | 1 => Value::String(format!("{{%{}%}}", jsonata(g, 3))),
        2 if depth > 0 => {
            let mut m = Map::new();
            for _ in 0..g.gen_range(0..4) {
                m.insert(name(g), jsonata_template(g, depth - 1));
            }
            Value::Object(m)
        }
        3 if depth > 0 => Value::Array(
            (0..g.gen_range(0..4))
                .map(|_| jsonata_template(g, depth - 1))
                .collect(),
        ),
        4 => Value::String(
            pick(
                g,
                &[
                    "{%%}",
                    "{% %}",
                    "{%",
                    "%}",
                    "{% $states.input %} ",
                    " {% 1 %}",
                    "{% {% 1 %} %}",
                ],
            )
            .to_string(),
        ),
        _ => json(g, 2),
    }
}

// ---------------------------------------------------------------- definitions

/// A fragment of ASL: a value that a definition field might hold.
pub fn asl_fragment(g: &mut G) -> Value {
    match g.gen_range(0..16) {
        0 => Value::String(jsonpath(g)),
        1 => Value::String(reference_path(g)),
        2 => Value::String(intrinsic_text(g)),
        3 => Value::String(format!("{{%{}%}}", jsonata(g, 3))),
        4 => jsonpath_template(g, 2),
        5 => jsonata_template(g, 2),
        6 => {
            json!({"Type": pick(g, &["Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map", "Nope"]), "End": true})
        }
        7 => {
            json!({"Variable": jsonpath(g), pick(g, &["StringEquals", "NumericGreaterThan", "IsPresent", "BooleanEquals", "TimestampLessThan", "StringMatches", "NumericEqualsPath", "IsNull"]): json(g, 0), "Next": name(g)})
        }
        8 => {
            json!({"And": [{"Variable": "$.a", "IsPresent": true}, {"Not": {"Variable": "$.b", "StringEquals": "x"}}], "Next": name(g)})
        }
        9 => {
            json!([{"ErrorEquals": [pick(g, &["States.ALL", "States.Timeout", "Custom", "States.TaskFailed"])], "IntervalSeconds": number(g), "MaxAttempts": number(g), "BackoffRate": number(g), "MaxDelaySeconds": number(g), "JitterStrategy": pick(g, &["FULL", "NONE", "x"])}])
        }
        10 => {
            json!([{"ErrorEquals": ["States.ALL"], "Next": name(g), "ResultPath": reference_path(g)}])
        }
        11 => json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
        12 => {
            json!({"ProcessorConfig": {"Mode": pick(g, &["DISTRIBUTED", "INLINE", "x"]), "ExecutionType": pick(g, &["STANDARD", "EXPRESS"])}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}})
        }
        13 => {
            json!({"Resource": pick(g, &["arn:aws:states:::s3:getObject", "arn:aws:states:::s3:listObjectsV2"]), "ReaderConfig": {"InputType": pick(g, &["CSV", "JSON", "JSONL", "MANIFEST", "x"]), "CSVHeaderLocation": "FIRST_ROW", "MaxItems": number(g)}, "Arguments": {"Bucket": "b", "Key": "k"}, "Parameters": {"Bucket": "b", "Key": "k"}})
        }
        14 => number(g),
        _ => json(g, 2),
    }
}

const ASL_KEYS: &[&str] = &[
    "Type",
    "Next",
    "End",
    "StartAt",
    "States",
    "Comment",
    "QueryLanguage",
    "TimeoutSeconds",
    "TimeoutSecondsPath",
    "HeartbeatSeconds",
    "HeartbeatSecondsPath",
    "InputPath",
    "OutputPath",
    "ResultPath",
    "Parameters",
    "ResultSelector",
    "Arguments",
    "Output",
    "Assign",
    "Result",
    "Resource",
    "Retry",
    "Catch",
    "Choices",
    "Default",
    "Condition",
    "Seconds",
    "SecondsPath",
    "Timestamp",
    "TimestampPath",
    "Error",
    "ErrorPath",
    "Cause",
    "CausePath",
    "Branches",
    "Iterator",
    "ItemProcessor",
    "ItemsPath",
    "Items",
    "ItemSelector",
    "MaxConcurrency",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentage",
    "ToleratedFailureCount",
    "ToleratedFailurePercentagePath",
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "Label",
    "Credentials",
    "Version",
    "Variable",
    "ProcessorConfig",
    "MaxItemsPerBatch",
    "BatchInput",
    "MaxInputBytesPerBatch",
    "Not",
    "And",
    "Or",
    "ErrorEquals",
    "Parameters.$",
    "Bucket.$",
    "Key.$",
];

/// Every JSON pointer-like route into `v` (as index paths), up to `limit` of them.
fn routes(v: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>, limit: usize) {
    if out.len() >= limit {
        return;
    }
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                at.push(Step::Key(k.clone()));
                routes(c, at, out, limit);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                at.push(Step::Index(i));
                routes(c, at, out, limit);
                at.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn at<'a>(v: &'a Value, route: &[Step]) -> Option<&'a Value> {
    let mut cur = v;
    for s in route {
        cur = match (s, cur) {
            (Step::Key(k), Value::Object(m)) => m.get(k)?,
            (Step::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn at_mut<'a>(v: &'a mut Value, route: &[Step]) -> Option<&'a mut Value> {
    let mut cur = v;
    for s in route {
        cur = match (s, cur) {
            (Step::Key(k), Value::Object(m)) => m.get_mut(k)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Mutates a JSON value in place: `n` edits at random places, each replacing, deleting,
/// adding, copying or retyping a node with ASL-shaped values.
pub fn mutate_value(g: &mut G, v: &mut Value, n: u32) {
    for _ in 0..n {
        let mut all = Vec::new();
        routes(v, &mut Vec::new(), &mut all, 4000);
        let route = all[g.gen_range(0..all.len())].clone();
        let donor = all[g.gen_range(0..all.len())].clone();
        let donor_value = at(v, &donor).cloned();
        let Some(node) = at_mut(v, &route) else {
            continue;
        };
        match g.gen_range(0..10) {
            0 | 1 => *node = asl_fragment(g),
            2 => *node = json(g, 2),
            3 => {
                if let Some(d) = donor_value {
                    *node = d;
                }
            }
            4 => match node {
                Value::Object(m) if !m.is_empty() => {
                    let i = g.gen_range(0..m.len());
                    if let Some(k) = m.keys().nth(i).cloned() {
                        m.remove(&k);
                    }
                }
                Value::Array(a) if !a.is_empty() => {
                    let i = g.gen_range(0..a.len());
                    a.remove(i);
                }
                _ => *node = Value::Null,
            },
            5 | 6 => {
                if let Value::Object(m) = node {
                    let k = if chance(g, 4) {
                        name(g)
                    } else {
                        pick(g, ASL_KEYS).to_string()
                    };
                    m.insert(k, asl_fragment(g));
                } else if let Value::Array(a) = node {
                    a.push(asl_fragment(g));
                }
            }
            7 => {
                // Retype a leaf: strings to numbers, numbers to strings, and so on.
                *node = match node.take() {
                    Value::String(s) => s.parse::<f64>().map(|f| json!(f)).unwrap_or(json!([s])),
                    Value::Number(n) => Value::String(n.to_string()),
                    Value::Bool(b) => json!(if b { 1 } else { 0 }),
                    Value::Null => json!({}),
                    Value::Array(a) => a.into_iter().next().unwrap_or(Value::Null),
                    Value::Object(m) => Value::Array(m.into_iter().map(|(_, x)| x).collect()),
                };
            }
            8 => {
                // Copy a state (or any member) under a new name, so graphs grow.
                if let Value::Object(m) = node
                    && !m.is_empty()
                {
                    let i = g.gen_range(0..m.len());
                    if let Some((_, x)) = m.iter().nth(i) {
                        let x = x.clone();
                        m.insert(name(g), x);
                    }
                }
            }
            _ => {
                if let Value::String(s) = node {
                    *s = pick(
                        g,
                        &[
                            "Pass",
                            "Task",
                            "Choice",
                            "Wait",
                            "Succeed",
                            "Fail",
                            "Parallel",
                            "Map",
                            "JSONata",
                            "JSONPath",
                            "$",
                            "$.a",
                            "States.ALL",
                        ],
                    )
                    .to_string();
                } else {
                    *node = Value::String(name(g));
                }
            }
        }
    }
}

// ---------------------------------------------------------------- YAML

/// Writes `v` as block YAML, with flow collections, quoting styles and CloudFormation short
/// tags mixed in at random.
pub fn yaml(g: &mut G, v: &Value) -> String {
    let mut out = String::new();
    yaml_node(g, v, 0, &mut out, true);
    out
}

fn yaml_scalar(g: &mut G, v: &Value) -> String {
    match v {
        Value::String(s) => {
            let plain_ok = !s.is_empty()
                && s.chars().all(|c| {
                    c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' || c == ' '
                })
                && !s.starts_with(' ')
                && !s.ends_with(' ')
                && !matches!(
                    s.as_str(),
                    "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "~"
                )
                && s.parse::<f64>().is_err();
            if plain_ok && chance(g, 2) {
                s.clone()
            } else if !s.contains('\'') && !s.chars().any(char::is_control) && chance(g, 2) {
                format!("'{s}'")
            } else {
                serde_json::to_string(s).unwrap_or_default()
            }
        }
        other => other.to_string(),
    }
}

fn yaml_node(g: &mut G, v: &Value, indent: usize, out: &mut String, top: bool) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if !m.is_empty() && !chance(g, 12) => {
            if !top {
                out.push('\n');
            }
            for (k, x) in m {
                out.push_str(&pad);
                out.push_str(&yaml_scalar(g, &Value::String(k.clone())));
                out.push(':');
                if matches!(x, Value::Object(o) if !o.is_empty())
                    || matches!(x, Value::Array(a) if !a.is_empty())
                {
                    yaml_node(g, x, indent + 2, out, false);
                } else {
                    out.push(' ');
                    yaml_node(g, x, indent + 2, out, false);
                    out.push('\n');
                }
            }
        }
        Value::Array(a) if !a.is_empty() && !chance(g, 12) => {
            if !top {
                out.push('\n');
            }
            for x in a {
                out.push_str(&pad);
                out.push_str("- ");
                match x {
                    Value::Object(o) if !o.is_empty() => {
                        // The first member on the dash's line, the rest under it.
                        let mut first = true;
                        for (k, y) in o {
                            if !first {
                                out.push_str(&pad);
                                out.push_str("  ");
                            }
                            first = false;
                            out.push_str(&yaml_scalar(g, &Value::String(k.clone())));
                            out.push(':');
                            if matches!(y, Value::Object(o) if !o.is_empty())
                                || matches!(y, Value::Array(a) if !a.is_empty())
                            {
                                yaml_node(g, y, indent + 4, out, false);
                            } else {
                                out.push(' ');
                                yaml_node(g, y, indent + 4, out, false);
                                out.push('\n');
                            }
                        }
                    }
                    _ => {
                        out.push_str(&serde_json::to_string(x).unwrap_or_default());
                        out.push('\n');
                    }
                }
            }
        }
        Value::Object(_) | Value::Array(_) => {
            // A flow collection: JSON is YAML.
            if !top {
                out.push(' ');
            }
            out.push_str(&serde_json::to_string(v).unwrap_or_default());
            if !top {
                out.push('\n');
            }
        }
        scalar => out.push_str(&yaml_scalar(g, scalar)),
    }
}

/// YAML-only constructs spliced into YAML text: anchors, aliases, tags, merges, documents.
pub const YAML_TOKENS: &[&str] = &[
    "&a ",
    "*a",
    "!Sub ",
    "!Ref ",
    "!GetAtt ",
    "!Join ",
    "<<: *a\n",
    "---\n",
    "...\n",
    "? ",
    "|\n  text\n",
    ">-\n  folded\n",
    "{",
    "}",
    "[",
    "]",
    ": ",
    "- ",
    "#c\n",
    "\t",
    "!!str ",
    "!!binary ",
    "%YAML 1.2\n",
    "'",
    "\"",
    "\\",
    "\n",
    "  ",
    "~",
    "!",
    "@",
    "`",
];

/// A CloudFormation/SAM template holding `definition`, in one of the shapes `source::cfn`
/// reads.
pub fn cfn_template(g: &mut G, definition: Value) -> Value {
    let props = match g.gen_range(0..4) {
        0 => {
            json!({"Definition": definition, "DefinitionSubstitutions": {"Fn": "arn:aws:lambda:us-east-1:1:function:f", "X": "${Y}"}})
        }
        1 => json!({"DefinitionString": serde_json::to_string(&definition).unwrap_or_default()}),
        2 => {
            json!({"DefinitionString": {"Fn::Sub": serde_json::to_string(&definition).unwrap_or_default()}})
        }
        _ => {
            json!({"DefinitionString": {"Fn::Join": ["", [serde_json::to_string(&definition).unwrap_or_default()]]}})
        }
    };
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Machine": {"Type": pick(g, &["AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine"]), "Properties": props},
            "Other": {"Type": "AWS::Lambda::Function", "Properties": {}}
        }
    })
}

// ---------------------------------------------------------------- text mutation and nesting

/// Applies `n` byte-level edits to `text`, inserting tokens from `tokens` among others.
pub fn mutate_text(g: &mut G, text: &str, n: u32, tokens: &[&str]) -> String {
    let mut b: Vec<u8> = text.as_bytes().to_vec();
    for _ in 0..n {
        let len = b.len();
        let at = if len == 0 { 0 } else { g.gen_range(0..=len) };
        match g.gen_range(0..7) {
            0 => b.splice(at..at, pick(g, tokens).bytes()).for_each(drop),
            1 if len > 0 => {
                let end = (at + g.gen_range(1..16)).min(len);
                b.drain(at.min(len)..end);
            }
            2 if len > 0 => {
                let i = g.gen_range(0..len);
                b[i] = pick(g, tokens).bytes().next().unwrap_or(b' ');
            }
            3 if len > 0 => {
                // Duplicate a slice somewhere else.
                let s = g.gen_range(0..len);
                let e = (s + g.gen_range(1..64)).min(len);
                let piece: Vec<u8> = b[s..e].to_vec();
                let to = g.gen_range(0..=len);
                b.splice(to..to, piece).for_each(drop);
            }
            4 => b.truncate(at),
            5 if len > 0 => {
                let i = g.gen_range(0..len);
                b[i] = g.r#gen();
            }
            _ => b.splice(at..at, string(g).bytes()).for_each(drop),
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// Rarely (1 in 8) applies one or two text edits: a grammar-made string with a flaw.
fn mutate_rarely(g: &mut G, s: String, tokens: &[&str]) -> String {
    if chance(g, 8) {
        let n = g.gen_range(1..3);
        mutate_text(g, &s, n, tokens)
    } else {
        s
    }
}

/// A string nested `depth` deep: `open` repeated, `inner`, `close` repeated (`close` may be
/// empty, for unclosed nesting).
pub fn nested(open: &str, inner: &str, close: &str, depth: usize) -> String {
    let mut s = String::with_capacity((open.len() + close.len()) * depth + inner.len());
    for _ in 0..depth {
        s.push_str(open);
    }
    s.push_str(inner);
    for _ in 0..depth {
        s.push_str(close);
    }
    s
}

/// A nesting depth for deep inputs: from a few hundred (past any small limit) to 100 000.
pub fn deep(g: &mut G) -> usize {
    *[200usize, 1_000, 5_000, 20_000, 100_000]
        .get(g.gen_range(0..5))
        .unwrap_or(&1_000)
}
