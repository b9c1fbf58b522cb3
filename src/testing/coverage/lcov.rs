//! Coverage as an LCOV tracefile, the format CI coverage services and editors read
//! (`geninfo(1)` describes it): states are lines, and Choice rules, Catch clauses and Retry
//! outcomes are branches, each at the line where the definition writes it.

use super::Coverage;
use super::category::Category;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// Finds the 1-based line of a JSON pointer in a definition's source text.
pub type LineOf<'a> = &'a dyn Fn(&str) -> Option<usize>;

/// One LCOV record per definition: `(definition file path, its coverage, pointer -> line)`.
///
/// A state is a `DA` line at its key's line (states on one line add up). A Choice rule is a
/// `BRDA` branch at its rule object, the `Default` at its member, a Catch or Retry clause at
/// its object (a Retry rule is two branches, recovered then exhausted, or only exhausted when
/// it cannot retry). The block is the owning state's position among the definition's states;
/// branches are numbered within it. A branch of a state never entered is `-`, as LCOV wants.
/// Items whose pointer has no line are left out; branch numbers stay as if they were there.
pub fn lcov(entries: &[(&str, &Coverage, LineOf<'_>)]) -> String {
    let mut out = String::new();
    for (path, coverage, line_of) in entries {
        record(&mut out, path, coverage, *line_of);
    }
    out
}

fn record(out: &mut String, path: &str, coverage: &Coverage, line_of: LineOf<'_>) {
    let _ = write!(out, "TN:\nSF:{path}\n");

    // State pointer -> (block, times entered).
    let mut states: HashMap<&str, (usize, u64)> = HashMap::new();
    let mut lines: BTreeMap<usize, u64> = BTreeMap::new();
    let state_items = coverage
        .entries()
        .filter(|(item, _)| item.category() == Category::States);
    for (block, (item, n)) in state_items.enumerate() {
        states.insert(&item.state, (block, n));
        if let Some(line) = line_of(&item.pointer) {
            let hits = lines.entry(line).or_default();
            *hits = hits.saturating_add(n);
        }
    }

    let mut numbered: HashMap<&str, usize> = HashMap::new();
    let mut branches: Vec<(usize, usize, usize, Option<u64>)> = Vec::new();
    let branch_items = coverage.entries().filter(|(item, _)| {
        matches!(
            item.category(),
            Category::ChoiceRules | Category::Catches | Category::Retries
        )
    });
    for (item, n) in branch_items {
        let Some(&(block, entered)) = states.get(item.state.as_str()) else {
            continue;
        };
        let number = numbered.entry(&item.state).or_default();
        let branch = *number;
        *number += 1;
        if let Some(line) = line_of(&item.pointer) {
            let taken = (entered > 0 || n > 0).then_some(n);
            branches.push((block, branch, line, taken));
        }
    }
    branches.sort_unstable();

    for (line, hits) in &lines {
        let _ = writeln!(out, "DA:{line},{hits}");
    }
    for (block, branch, line, taken) in &branches {
        let _ = match taken {
            Some(n) => writeln!(out, "BRDA:{line},{block},{branch},{n}"),
            None => writeln!(out, "BRDA:{line},{block},{branch},-"),
        };
    }
    let hit_lines = lines.values().filter(|n| **n > 0).count();
    let taken = branches
        .iter()
        .filter(|b| matches!(b.3, Some(n) if n > 0))
        .count();
    let _ = write!(
        out,
        "LF:{}\nLH:{hit_lines}\nBRF:{}\nBRH:{taken}\nend_of_record\n",
        lines.len(),
        branches.len()
    );
}

#[cfg(test)]
mod tests {
    use super::super::Hit;
    use super::super::fixtures::structure;
    use super::*;
    use std::sync::Arc;

    const MACHINE: &str = r#"{"StartAt": "CheckType", "States": {
      "CheckType": {"Type": "Choice", "Choices": [
          {"Variable": "$.t", "StringEquals": "a", "Next": "CallApi"},
          {"Variable": "$.t", "StringEquals": "b", "Next": "Done"}],
        "Default": "Done"},
      "CallApi": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "Retry": [{"ErrorEquals": ["States.Timeout"]}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
        "Next": "Done"},
      "Done": {"Type": "Succeed"}}}"#;

    /// A fake source: `Done` shares a line with `CallApi`, and the `Default` has none.
    fn line_of(pointer: &str) -> Option<usize> {
        let lines = [
            ("/States/CheckType", 2),
            ("/States/CheckType/Choices/0", 3),
            ("/States/CheckType/Choices/1", 4),
            ("/States/CallApi", 6),
            ("/States/CallApi/Retry/0", 7),
            ("/States/CallApi/Catch/0", 8),
            ("/States/Done", 6),
        ];
        lines.iter().find(|(p, _)| *p == pointer).map(|(_, l)| *l)
    }

    /// One parsed LCOV record.
    #[derive(Debug, Default, PartialEq)]
    struct Record {
        sf: String,
        da: Vec<(usize, u64)>,
        brda: Vec<(usize, usize, usize, String)>,
        totals: [usize; 4],
    }

    fn parse(text: &str) -> Vec<Record> {
        let mut records = Vec::new();
        let mut r = Record::default();
        for line in text.lines() {
            let (key, value) = line.split_once(':').unwrap_or((line, ""));
            let fields: Vec<&str> = value.split(',').collect();
            let num = |i: usize| fields[i].parse::<usize>().expect("a number");
            match key {
                "TN" => assert_eq!(value, ""),
                "SF" => r.sf = value.to_string(),
                "DA" => r.da.push((num(0), num(1) as u64)),
                "BRDA" => r.brda.push((num(0), num(1), num(2), fields[3].to_string())),
                "LF" => r.totals[0] = num(0),
                "LH" => r.totals[1] = num(0),
                "BRF" => r.totals[2] = num(0),
                "BRH" => r.totals[3] = num(0),
                "end_of_record" => records.push(std::mem::take(&mut r)),
                other => panic!("unexpected LCOV line `{other}`"),
            }
        }
        assert_eq!(r, Record::default(), "a record without end_of_record");
        records
    }

    fn state(pointer: &str) -> Hit {
        Hit::State {
            state: pointer.into(),
        }
    }

    #[test]
    fn lines_and_branches_parse_back() {
        let s = Arc::new(structure(MACHINE));
        let mut run = Coverage::new(Arc::clone(&s));
        run.add([
            state("/States/CheckType"),
            state("/States/CheckType"),
            Hit::Choice {
                state: "/States/CheckType".into(),
                rule: Some(0),
            },
            Hit::Choice {
                state: "/States/CheckType".into(),
                rule: None,
            },
            state("/States/CallApi"),
            Hit::RetryRecovered {
                state: "/States/CallApi".into(),
                rule: 0,
            },
            state("/States/Done"),
            state("/States/Done"),
        ]);
        let mut unrun = Coverage::new(Arc::clone(&s));
        unrun.add([state("/States/CheckType")]);

        let text = lcov(&[
            ("a.asl.json", &run, &line_of),
            ("b.asl.json", &unrun, &line_of),
        ]);
        let records = parse(&text);
        let brda = |l: usize, b: usize, n: usize, t: &str| (l, b, n, t.to_string());
        assert_eq!(
            records,
            [
                Record {
                    sf: "a.asl.json".into(),
                    // CallApi (1) and Done (2) share line 6.
                    da: vec![(2, 2), (6, 3)],
                    // Block 0 is CheckType, block 1 CallApi; the Default (branch 2) has no
                    // line. CallApi's Catch comes before its Retry outcomes.
                    brda: vec![
                        brda(3, 0, 0, "1"),
                        brda(4, 0, 1, "0"),
                        brda(8, 1, 0, "0"),
                        brda(7, 1, 1, "1"),
                        brda(7, 1, 2, "0"),
                    ],
                    totals: [2, 2, 5, 2],
                },
                Record {
                    sf: "b.asl.json".into(),
                    da: vec![(2, 1), (6, 0)],
                    // CallApi was never entered: its branches are `-`, not 0.
                    brda: vec![
                        brda(3, 0, 0, "0"),
                        brda(4, 0, 1, "0"),
                        brda(8, 1, 0, "-"),
                        brda(7, 1, 1, "-"),
                        brda(7, 1, 2, "-"),
                    ],
                    totals: [2, 1, 5, 0],
                },
            ]
        );
    }

    #[test]
    fn no_lines_known_still_makes_a_record() {
        let c = Coverage::new(structure(MACHINE));
        let text = lcov(&[("x.json", &c, &|_| None)]);
        assert_eq!(
            text,
            "TN:\nSF:x.json\nLF:0\nLH:0\nBRF:0\nBRH:0\nend_of_record\n"
        );
    }
}
