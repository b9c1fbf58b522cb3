//! Checking a case's expectations against its execution: each expectation that does not hold
//! becomes a [`CaseFailure`] naming it, with the differences by JSON pointer.

use super::file::{Assertion, Expect, ValueExpect};
use super::matcher::{Mode, render};
use super::payload::Payload;
use super::record::Record;
use super::results::CaseFailure;
use crate::data::roots::StaticRoots;
use crate::engine::Outcome;
use serde_json::{Value, json};

/// The execution as `assertions` see it: `{"status", "output", "error", "cause",
/// "elapsedSeconds", "path", "states"}`.
pub fn document(outcome: &Outcome, record: &Record) -> Value {
    let mut doc = record.to_json();
    if let Some(m) = doc.as_object_mut() {
        m.insert("status".into(), json!(outcome.status.as_str()));
        m.insert(
            "output".into(),
            outcome.output.clone().unwrap_or(Value::Null),
        );
        m.insert("error".into(), json!(outcome.error));
        m.insert("cause".into(), json!(outcome.cause));
        m.insert("elapsedSeconds".into(), json!(elapsed_seconds(outcome)));
    }
    doc
}

/// The execution's duration on its (virtual) clock, in seconds.
pub fn elapsed_seconds(outcome: &Outcome) -> f64 {
    (outcome.ended.0 - outcome.started.0) as f64 / 1e9
}

/// The value of each operand a JSONata assertion compared, one line each:
/// `\n  $count(path) is 4`.
fn compared(text: &str, doc: &Value) -> String {
    let none = serde_json::Map::new();
    let mut out = String::new();
    for operand in super::operands::operands(text) {
        let Ok(e) = crate::data::jsonata::Expression::compile(operand) else {
            continue;
        };
        let shown = match e.evaluate_document(Some(doc), &none, &StaticRoots::default()) {
            Ok(Some(v)) => super::mismatch::show(&v),
            Ok(None) => "undefined (it selects nothing)".to_string(),
            Err(err) => format!("an error: {err}"),
        };
        out.push_str(&format!("\n  `{operand}` is {shown}"));
    }
    out
}

/// `FAILED (Order.Invalid: the order failed validation)`: the status, and the error and cause
/// when there are any.
fn ended(outcome: &Outcome) -> String {
    let why = match (&outcome.error, &outcome.cause) {
        (Some(err), Some(c)) => format!(" ({err}: {c})"),
        (Some(err), None) => format!(" ({err})"),
        (None, Some(c)) => format!(" ({c})"),
        _ => String::new(),
    };
    format!("{}{why}", outcome.status.as_str())
}

fn fail(out: &mut Vec<CaseFailure>, expectation: impl Into<String>, message: impl Into<String>) {
    out.push(CaseFailure {
        expectation: expectation.into(),
        message: message.into(),
    });
}

fn value(out: &mut Vec<CaseFailure>, name: &str, e: &ValueExpect, actual: Option<&Value>) {
    match actual {
        Some(v) => {
            let m = e.matcher.check(v, e.mode);
            if !m.is_empty() {
                fail(out, name, render(&m));
            }
        }
        None => fail(out, name, "  (no value: the state did not produce one)"),
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".into()
    } else {
        names.join(" → ")
    }
}

/// Where two paths first differ, for people.
fn path_diff(expected: &[String], actual: &[String]) -> String {
    let i = expected
        .iter()
        .zip(actual)
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(actual.len()));
    let at = |p: &[String]| p.get(i).cloned().unwrap_or_else(|| "(end)".into());
    format!(
        "  expected: {}\n  actual:   {}\n  first difference at step {}: expected {}, found {}",
        list(expected),
        list(actual),
        i + 1,
        at(expected),
        at(actual)
    )
}

/// Whether `wanted` appears in `actual` in order (not necessarily adjacent); the index of the
/// first wanted name not found otherwise.
fn subsequence(wanted: &[String], actual: &[String]) -> Result<(), usize> {
    let mut it = actual.iter();
    for (i, w) in wanted.iter().enumerate() {
        if !it.any(|a| a == w) {
            return Err(i);
        }
    }
    Ok(())
}

/// Every expectation of `e` that `outcome` and `record` do not meet.
pub fn check(e: &Expect, outcome: &Outcome, record: &Record) -> Vec<CaseFailure> {
    let mut out = Vec::new();
    if let Some(s) = &e.status
        && s != outcome.status.as_str()
    {
        fail(
            &mut out,
            "status",
            format!("  expected {s}, found {}", ended(outcome)),
        );
    }
    for (name, m, actual) in [
        ("error", &e.error, &outcome.error),
        ("cause", &e.cause, &outcome.cause),
    ] {
        if let Some(m) = m {
            let v = actual.as_ref().map(|s| json!(s)).unwrap_or(Value::Null);
            let diff = m.check(&v, Mode::Exact);
            if !diff.is_empty() {
                fail(&mut out, name, render(&diff));
            }
        }
    }
    if let Some(o) = &e.output {
        let name = match o.mode {
            Mode::Exact => "output",
            Mode::Subset => "outputContains",
        };
        match &outcome.output {
            Some(v) => value(&mut out, name, o, Some(v)),
            None => fail(
                &mut out,
                name,
                format!("  the execution has no output: it ended {}", ended(outcome)),
            ),
        }
    }
    if let Some(pe) = &e.path {
        let path = if pe.top_level {
            record.top_level_path()
        } else {
            record.path()
        };
        let wanted = &pe.names;
        let scope = if pe.top_level {
            "\n  (compared with the top-level states only)"
        } else {
            ""
        };
        if pe.contains && pe.consecutive {
            let found =
                wanted.is_empty() || path.windows(wanted.len()).any(|w| w == wanted.as_slice());
            if !found {
                let why = if subsequence(wanted, &path).is_ok() {
                    "were entered in that order, but with other states between them"
                } else {
                    "were not entered in that order"
                };
                fail(
                    &mut out,
                    pe.key(),
                    format!(
                        "  {} {why}: expected one right after another\n  actual: {}{scope}",
                        list(wanted),
                        list(&path)
                    ),
                );
            }
        } else if pe.contains {
            if let Err(i) = subsequence(wanted, &path) {
                fail(
                    &mut out,
                    pe.key(),
                    format!(
                        "  `{}` (step {} of the expected subsequence) was not entered in order\n  actual: {}{scope}",
                        wanted[i],
                        i + 1,
                        list(&path)
                    ),
                );
            }
        } else if wanted != &path {
            fail(
                &mut out,
                pe.key(),
                format!("{}{scope}", path_diff(wanted, &path)),
            );
        }
    }
    for (name, s) in &e.states {
        let visits: Vec<_> = record.select(name).collect();
        let label = format!("states.{name}");
        if let Some(n) = s.entered
            && visits.len() as u64 != n
        {
            fail(
                &mut out,
                format!("{label}.entered"),
                format!("  expected {n} visits, found {}", visits.len()),
            );
        }
        if s.entered_at_all && visits.is_empty() {
            fail(
                &mut out,
                format!("{label}.entered"),
                "  expected the state to be entered, it never was",
            );
        }
        if s.input.is_none() && s.output.is_none() && s.variables.is_none() {
            continue;
        }
        let Some((_, v)) = visits.get(s.visit) else {
            fail(
                &mut out,
                label,
                format!(
                    "  the state has no visit {} (it was entered {} time{}; visits count from 0)",
                    s.visit,
                    visits.len(),
                    if visits.len() == 1 { "" } else { "s" }
                ),
            );
            continue;
        };
        let at = if s.visit > 0 {
            format!("{label}[visit {}]", s.visit)
        } else {
            label.clone()
        };
        if let Some(x) = &s.input {
            value(&mut out, &format!("{at}.input"), x, Some(&v.input.value()));
        }
        if let Some(x) = &s.output {
            value(
                &mut out,
                &format!("{at}.output"),
                x,
                v.output.as_ref().map(Payload::value).as_ref(),
            );
        }
        if let Some(x) = &s.variables {
            let vars = v.variables.clone().map(Value::Object);
            value(&mut out, &format!("{at}.variables"), x, vars.as_ref());
        }
    }
    for (name, c) in &e.calls {
        let calls: Vec<&Value> = record.select(name).flat_map(|(_, v)| &v.calls).collect();
        let label = format!("calls.{name}");
        if let Some(n) = c.count
            && calls.len() as u64 != n
        {
            fail(
                &mut out,
                format!("{label}.count"),
                format!("  expected {n} calls, found {}", calls.len()),
            );
        }
        for (i, x) in c.inputs.iter().enumerate() {
            match calls.get(i) {
                Some(v) => value(&mut out, &format!("{label}[{i}].input"), x, Some(v)),
                None => fail(
                    &mut out,
                    format!("{label}[{i}].input"),
                    format!(
                        "  there is no call {i} (the state was called {} time{}; calls count from 0)",
                        calls.len(),
                        if calls.len() == 1 { "" } else { "s" }
                    ),
                ),
            }
        }
    }
    for (name, r) in &e.retries {
        let visits: Vec<_> = record.select(name).collect();
        let retries: Vec<&(usize, String)> = visits.iter().flat_map(|(_, v)| &v.retries).collect();
        let label = format!("retries.{name}");
        if let Some(n) = r.count
            && retries.len() as u64 != n
        {
            let errors: Vec<String> = retries
                .iter()
                .map(|(rule, e)| format!("rule #{rule} on {e}"))
                .collect();
            fail(
                &mut out,
                format!("{label}.count"),
                format!(
                    "  expected {n} retries, found {}{}",
                    retries.len(),
                    if errors.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", errors.join(", "))
                    }
                ),
            );
        }
        if let Some(rule) = r.rule {
            if retries.is_empty() {
                fail(
                    &mut out,
                    format!("{label}.rule"),
                    format!("  expected retries by rule #{rule}, found no retry"),
                );
            } else if let Some((other, e)) = retries.iter().find(|(x, _)| *x != rule) {
                fail(
                    &mut out,
                    format!("{label}.rule"),
                    format!(
                        "  expected every retry by rule #{rule}, found one by rule #{other} (on {e})"
                    ),
                );
            }
        }
        if let Some(x) = r.exhausted {
            let found = visits.iter().find_map(|(_, v)| v.exhausted);
            if found.is_some() != x {
                fail(
                    &mut out,
                    format!("{label}.exhausted"),
                    match found {
                        Some(rule) => format!(
                            "  expected no exhausted Retry rule, found rule #{rule} exhausted"
                        ),
                        None => {
                            "  expected a Retry rule to run out of attempts, none did".to_string()
                        }
                    },
                );
            }
        }
    }
    for (name, c) in &e.caught {
        let caught = record.select(name).find_map(|(_, v)| v.caught.clone());
        let label = format!("caught.{name}");
        match (&c.clause, caught) {
            (None, None) => {}
            (None, Some((clause, err))) => fail(
                &mut out,
                label,
                format!("  expected no Catch, found clause #{clause} catching {err}"),
            ),
            (Some(want), None) => fail(
                &mut out,
                label,
                format!("  expected Catch clause #{want} to catch, nothing was caught"),
            ),
            (Some(want), Some((clause, err))) => {
                if *want != clause {
                    fail(
                        &mut out,
                        format!("{label}.clause"),
                        format!(
                            "  expected clause #{want}, found clause #{clause} (catching {err})"
                        ),
                    );
                }
                if let Some(m) = &c.error {
                    let diff = m.check(&json!(err), Mode::Exact);
                    if !diff.is_empty() {
                        fail(&mut out, format!("{label}.error"), render(&diff));
                    }
                }
            }
        }
    }
    for (name, n, _) in &e.iterations {
        let found = record.iterations(name) as u64;
        if found != *n {
            fail(
                &mut out,
                format!("iterations.{name}"),
                format!("  expected {n} iterations, found {found}"),
            );
        }
    }
    for (name, branches, _) in &e.branches {
        for (i, wanted) in branches.iter().enumerate() {
            let actual = record.inner_path(name, i);
            if wanted != &actual {
                fail(
                    &mut out,
                    format!("branches.{name}[{i}]"),
                    path_diff(wanted, &actual),
                );
            }
        }
        let started = record.iterations(name);
        if started != branches.len() {
            fail(
                &mut out,
                format!("branches.{name}"),
                format!("  expected {} branches, found {started}", branches.len()),
            );
        }
    }
    if let Some(m) = &e.elapsed {
        let secs = elapsed_seconds(outcome);
        let diff = m.check(&json!(secs), Mode::Exact);
        if !diff.is_empty() {
            fail(&mut out, "elapsedSeconds", render(&diff));
        }
    }
    if !e.assertions.is_empty() {
        let doc = document(outcome, record);
        for (i, (a, _)) in e.assertions.iter().enumerate() {
            let label = format!("assertions[{i}]");
            match a {
                Assertion::Jsonata { expression, text } => {
                    let none = serde_json::Map::new();
                    match expression.evaluate_document(Some(&doc), &none, &StaticRoots::default()) {
                        Ok(Some(Value::Bool(true))) => {}
                        Ok(v) => fail(
                            &mut out,
                            label,
                            format!(
                                "  `{text}` gave {}, not true{}",
                                v.map(|v| v.to_string()).unwrap_or_else(|| "nothing".into()),
                                compared(text, &doc)
                            ),
                        ),
                        Err(err) => fail(
                            &mut out,
                            label,
                            format!("  `{text}` could not be evaluated: {err}"),
                        ),
                    }
                }
                Assertion::JsonPath { path, text, equals } => match path.select(&doc) {
                    Ok(v) => {
                        let diff = equals.check(&v, Mode::Exact);
                        if !diff.is_empty() {
                            fail(&mut out, label, format!("  `{text}`:\n{}", render(&diff)));
                        }
                    }
                    Err(err) => fail(
                        &mut out,
                        label,
                        format!("  `{text}` selects nothing: {err}"),
                    ),
                },
            }
        }
    }
    out
}
