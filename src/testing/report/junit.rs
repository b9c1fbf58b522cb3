//! JUnit XML for CI: one `<testsuite>` per test file, one `<testcase>` per case, in the shape
//! GitLab's test reports and GitHub's JUnit report actions read (the de-facto schema of
//! Jenkins' `junit` plugin: `testsuites` > `testsuite` > `testcase` with `failure`, `skipped`,
//! `system-out`, `system-err`).

use crate::testing::results::{CaseReport, CaseStatus, FileReport};
use std::fmt::Write;
use std::time::Duration;

/// The whole run as a JUnit XML document. A failed case holds a `<failure>` whose `message` is
/// its first failure's expectation and first line, and whose text is every failure; warnings
/// go in `<system-out>`, the trace in `<system-err>`, a case's `description` in a
/// `<property>`; the definition's warnings (`asl validate`'s) in the suite's `<system-out>`.
pub fn junit(files: &[FileReport], total: Duration) -> String {
    let count = |status| files.iter().map(|f| f.count(status)).sum::<usize>();
    let tests: usize = files.iter().map(|f| f.cases.len()).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // `write!` into a String cannot fail.
    let _ = writeln!(
        out,
        "<testsuites name=\"asl test\" tests=\"{tests}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\">",
        count(CaseStatus::Failed),
        count(CaseStatus::Skipped),
        seconds(total)
    );
    for file in files {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\">",
            escape(&file.path),
            file.cases.len(),
            file.count(CaseStatus::Failed),
            file.count(CaseStatus::Skipped),
            seconds(file.duration)
        );
        for case in &file.cases {
            testcase(&mut out, file, case);
        }
        if !file.definition_warnings.is_empty() {
            let text: Vec<&str> = file
                .definition_warnings
                .iter()
                .map(|w| w.rendered.as_str())
                .collect();
            let _ = writeln!(
                out,
                "    <system-out>{}</system-out>",
                escape_text(&text.join("\n"))
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn testcase(out: &mut String, file: &FileReport, case: &CaseReport) {
    let line = case
        .line
        .map(|l| format!(" line=\"{l}\""))
        .unwrap_or_default();
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\"{line} time=\"{}\"",
        escape(&case.name),
        escape(&file.machine),
        escape(&file.path),
        seconds(case.duration)
    );
    let mut body = String::new();
    if let Some(d) = &case.description {
        let _ = writeln!(
            body,
            "      <properties>\n        <property name=\"description\" value=\"{}\"/>\n      </properties>",
            escape(d)
        );
    }
    match case.status {
        CaseStatus::Passed => {}
        CaseStatus::Skipped => body.push_str("      <skipped/>\n"),
        CaseStatus::Failed => {
            let (message, kind) = match case.failures.first() {
                Some(first) => (
                    match first.message_lines().first() {
                        Some(line) => format!("{}: {line}", first.expectation),
                        None => first.expectation.clone(),
                    },
                    first.expectation.as_str(),
                ),
                None => ("failed".to_string(), "failed"),
            };
            let _ = writeln!(
                body,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                escape(&message),
                escape(kind),
                escape_text(&case.failure_text())
            );
        }
    }
    // Artifacts as `[[ATTACHMENT|path]]` lines, which GitLab and Jenkins show with the case.
    let out_lines: Vec<String> = case
        .warnings
        .iter()
        .cloned()
        .chain(case.artifacts.iter().map(|a| format!("[[ATTACHMENT|{a}]]")))
        .collect();
    if !out_lines.is_empty() {
        let _ = writeln!(
            body,
            "      <system-out>{}</system-out>",
            escape_text(&out_lines.join("\n"))
        );
    }
    if let Some(trace) = &case.trace {
        let _ = writeln!(
            body,
            "      <system-err>{}</system-err>",
            escape_text(trace)
        );
    }
    if body.is_empty() {
        out.push_str("/>\n");
    } else {
        let _ = write!(out, ">\n{body}    </testcase>\n");
    }
}

/// Seconds with three decimals, as JUnit's `time` attributes hold them.
fn seconds(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// `s` made safe for an XML 1.0 attribute value: the five special characters as entities,
/// tab/newline/CR as character references (a parser would turn them into spaces), and
/// characters XML 1.0 forbids dropped.
fn escape(s: &str) -> String {
    escape_with(s, true)
}

/// `s` made safe for XML 1.0 text: as [`escape`], but tabs and newlines stay as they are.
fn escape_text(s: &str) -> String {
    escape_with(s, false)
}

fn escape_with(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' if !attribute => out.push(c),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            // A parser turns a literal CR into a newline, even in text.
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
    out
}

/// XML 1.0's `Char` production (Rust's `char` already excludes the surrogates).
fn is_xml_char(c: char) -> bool {
    !(c < '\u{20}' || c == '\u{FFFE}' || c == '\u{FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::results::CaseFailure;

    /// A parsed XML element: just enough of XML to check the document's structure.
    #[derive(Debug)]
    struct Element {
        name: String,
        attrs: Vec<(String, String)>,
        children: Vec<Element>,
        text: String,
    }

    impl Element {
        fn attr(&self, name: &str) -> Option<&str> {
            self.attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        }

        fn need(&self, name: &str) -> &str {
            self.attr(name)
                .unwrap_or_else(|| panic!("<{}> has no `{name}`", self.name))
        }

        fn all(&self, name: &str) -> Vec<&Element> {
            self.children.iter().filter(|c| c.name == name).collect()
        }

        fn has(&self, name: &str) -> bool {
            self.children.iter().any(|c| c.name == name)
        }
    }

    /// Parses a document of elements, attributes, text and the five entities plus numeric
    /// character references; panics on anything malformed.
    fn parse(xml: &str) -> Element {
        let prolog = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
        let rest = xml.strip_prefix(prolog).expect("the XML declaration first");
        let mut chars: Vec<char> = rest.chars().collect();
        chars.reverse(); // a stack: pop() takes the next character
        let root = element(&mut chars);
        let trailing: String = chars.into_iter().rev().collect();
        assert!(trailing.trim().is_empty(), "after the root: {trailing:?}");
        root
    }

    fn element(s: &mut Vec<char>) -> Element {
        skip_space(s);
        assert_eq!(s.pop(), Some('<'));
        let name = word(s);
        let mut attrs = Vec::new();
        loop {
            skip_space(s);
            match s.last() {
                Some('/') => {
                    s.pop();
                    assert_eq!(s.pop(), Some('>'));
                    return Element {
                        name,
                        attrs,
                        children: Vec::new(),
                        text: String::new(),
                    };
                }
                Some('>') => {
                    s.pop();
                    break;
                }
                _ => {
                    let attr = word(s);
                    assert_eq!(s.pop(), Some('='), "after attribute {attr}");
                    assert_eq!(s.pop(), Some('"'), "opening {attr}");
                    let mut raw = String::new();
                    loop {
                        match s.pop() {
                            Some('"') => break,
                            Some('<') => panic!("raw `<` in attribute {attr}"),
                            Some(c) => raw.push(c),
                            None => panic!("unterminated attribute {attr}"),
                        }
                    }
                    assert!(attrs.iter().all(|(n, _)| n != &attr), "duplicate {attr}");
                    attrs.push((attr, unescape(&raw)));
                }
            }
        }
        let mut children = Vec::new();
        let mut raw = String::new();
        loop {
            match s.last() {
                Some('<') if s.len() >= 2 && s[s.len() - 2] == '/' => {
                    s.pop();
                    s.pop();
                    let closing = word(s);
                    assert_eq!(closing, name, "closing tag");
                    assert_eq!(s.pop(), Some('>'));
                    return Element {
                        name,
                        attrs,
                        children,
                        text: unescape(&raw),
                    };
                }
                Some('<') => children.push(element(s)),
                Some(_) => raw.extend(s.pop()),
                None => panic!("unclosed <{name}>"),
            }
        }
    }

    fn skip_space(s: &mut Vec<char>) {
        while s.last().is_some_and(|c| c.is_whitespace()) {
            s.pop();
        }
    }

    fn word(s: &mut Vec<char>) -> String {
        let mut w = String::new();
        while let Some(&c) = s.last() {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                w.push(c);
                s.pop();
            } else {
                break;
            }
        }
        assert!(!w.is_empty(), "a name expected");
        w
    }

    fn unescape(raw: &str) -> String {
        let mut out = String::new();
        let mut rest = raw;
        while let Some(i) = rest.find('&') {
            out.push_str(&rest[..i]);
            let end = rest[i..].find(';').expect("an entity ends with `;`") + i;
            let entity = &rest[i + 1..end];
            let c = match entity {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let code = entity.strip_prefix('#').expect("a known entity");
                    code.parse::<u32>()
                        .ok()
                        .and_then(char::from_u32)
                        .expect("a character reference")
                }
            };
            out.push(c);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn case(name: &str, status: CaseStatus) -> CaseReport {
        CaseReport {
            name: name.into(),
            description: None,
            line: Some(3),
            status,
            duration: Duration::from_millis(12),
            execution_status: Some("SUCCEEDED".into()),
            failures: Vec::new(),
            warnings: Vec::new(),
            trace: None,
            artifacts: Vec::new(),
        }
    }

    fn run() -> Vec<FileReport> {
        let mut failed = case("rejects bad orders", CaseStatus::Failed);
        failed.line = None;
        failed.failures = vec![
            CaseFailure {
                expectation: "output".into(),
                message: "  /id: missing (expected a string matching /^ord-/)\n  /debug: unexpected key (found true)".into(),
            },
            CaseFailure {
                expectation: "status".into(),
                message: "expected SUCCEEDED, found FAILED".into(),
            },
        ];
        failed.warnings = vec!["mock `Charge` was never used".into()];
        failed.trace = Some("Validate: input {}\nCharge: <no mock>".into());
        vec![
            FileReport {
                path: "tests/order.test.yaml".into(),
                machine: "OrderFlow".into(),
                definition: "order.asl.json".into(),
                cases: vec![
                    case("happy path", CaseStatus::Passed),
                    failed,
                    case("later", CaseStatus::Skipped),
                ],
                duration: Duration::from_millis(1234),
                definition_warnings: Vec::new(),
            },
            FileReport {
                path: "tests/empty.test.json".into(),
                machine: "Empty".into(),
                definition: "empty.asl.json".into(),
                cases: vec![case("only", CaseStatus::Passed)],
                duration: Duration::from_micros(500),
                definition_warnings: Vec::new(),
            },
        ]
    }

    #[test]
    fn the_document_has_the_junit_shape_with_consistent_counts() {
        let xml = junit(&run(), Duration::from_millis(2500));
        let root = parse(&xml);
        assert_eq!(root.name, "testsuites");
        assert_eq!(root.need("name"), "asl test");
        assert_eq!(root.need("time"), "2.500");
        assert_eq!(root.need("errors"), "0");

        let suites = root.all("testsuite");
        assert_eq!(suites.len(), 2);
        let (mut tests, mut failures, mut skipped) = (0, 0, 0);
        for suite in &suites {
            let cases = suite.all("testcase");
            let failed = cases.iter().filter(|c| c.has("failure")).count();
            let skips = cases.iter().filter(|c| c.has("skipped")).count();
            assert_eq!(suite.need("tests"), cases.len().to_string());
            assert_eq!(suite.need("failures"), failed.to_string());
            assert_eq!(suite.need("skipped"), skips.to_string());
            assert_eq!(suite.need("errors"), "0");
            for c in &cases {
                assert!(!c.need("name").is_empty());
                assert_eq!(
                    c.need("classname"),
                    if suite.need("name").contains("order") {
                        "OrderFlow"
                    } else {
                        "Empty"
                    }
                );
                assert_eq!(c.need("file"), suite.need("name"));
                assert!(c.need("time").parse::<f64>().is_ok());
                for f in c.all("failure") {
                    assert!(!f.need("message").is_empty());
                }
            }
            tests += cases.len();
            failures += failed;
            skipped += skips;
        }
        assert_eq!((tests, failures, skipped), (4, 1, 1));
        assert_eq!(root.need("tests"), tests.to_string());
        assert_eq!(root.need("failures"), failures.to_string());
        assert_eq!(root.need("skipped"), skipped.to_string());

        let order = suites[0];
        assert_eq!(order.need("name"), "tests/order.test.yaml");
        assert_eq!(order.need("time"), "1.234");
        assert_eq!(suites[1].need("time"), "0.001");
        let cases = order.all("testcase");
        assert_eq!(cases[0].need("line"), "3");
        assert_eq!(cases[0].need("time"), "0.012");
        assert!(cases[0].children.is_empty());
        assert_eq!(cases[1].attr("line"), None);
    }

    #[test]
    fn a_failed_case_carries_every_failure_warnings_and_trace() {
        let root = parse(&junit(&run(), Duration::ZERO));
        let failed = root.all("testsuite")[0].all("testcase")[1];
        let failure = failed.all("failure")[0];
        assert_eq!(
            failure.need("message"),
            "output: /id: missing (expected a string matching /^ord-/)"
        );
        assert_eq!(failure.need("type"), "output");
        assert_eq!(
            failure.text,
            "output:\n  /id: missing (expected a string matching /^ord-/)\n  /debug: unexpected key (found true)\nstatus: expected SUCCEEDED, found FAILED"
        );
        assert_eq!(
            failed.all("system-out")[0].text,
            "mock `Charge` was never used"
        );
        assert_eq!(
            failed.all("system-err")[0].text,
            "Validate: input {}\nCharge: <no mock>"
        );
        let skipped = root.all("testsuite")[0].all("testcase")[2];
        assert!(skipped.has("skipped"));
        assert!(!skipped.has("failure"));
    }

    #[test]
    fn special_and_forbidden_characters_are_escaped_or_dropped() {
        let mut files = run();
        files[0].cases[0].name = "a \"<b>\" & 'c'".into();
        files[0].machine = "M&M's <1>".into();
        files[0].cases[1].failures[0].message =
            "bell\u{7} \"quoted\" <x> & tab\tcr\rend\u{FFFF}".into();
        let xml = junit(&files, Duration::ZERO);
        assert!(xml.contains("name=\"a &quot;&lt;b&gt;&quot; &amp; &apos;c&apos;\""));
        assert!(!xml.contains('\u{7}') && !xml.contains('\u{FFFF}') && !xml.contains('\r'));
        let root = parse(&xml);
        let cases = root.all("testsuite")[0].all("testcase");
        assert_eq!(cases[0].need("name"), "a \"<b>\" & 'c'");
        assert_eq!(cases[0].need("classname"), "M&M's <1>");
        let failure = cases[1].all("failure")[0];
        // A lone CR is kept, as a character reference, not turned into a line break.
        assert_eq!(
            failure.need("message"),
            "output: bell \"quoted\" <x> & tab\tcr\rend"
        );
        assert!(
            failure
                .text
                .starts_with("output: bell \"quoted\" <x> & tab\tcr\rend\nstatus: "),
            "{:?}",
            failure.text
        );
    }

    #[test]
    fn an_empty_run_is_a_valid_document() {
        let root = parse(&junit(&[], Duration::ZERO));
        assert_eq!(root.need("tests"), "0");
        assert!(root.children.is_empty());
    }
}
