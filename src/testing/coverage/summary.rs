//! The coverage summary people read after `asl test`: a table per definition and the items
//! no case reached.

use super::category::Category;
use super::{Coverage, scaled_percent};
use std::fmt::Write;

/// How many uncovered items the summary names before it only counts the rest.
const LISTED: usize = 50;

/// A plain-text table: covered/total and percent per category, the headline percentage
/// (states and branch items; transitions are shown but not counted in it), then the uncovered
/// items by name, at most 50 of them.
pub fn summary(coverage: &Coverage, definition_label: &str) -> String {
    let mut out = format!("Coverage of {definition_label}\n");
    let rows = Category::ALL
        .iter()
        .map(|c| (c.label(), coverage.totals(*c)))
        .chain([("total", coverage.headline())]);
    for (label, (covered, total)) in rows {
        let counts = format!("{covered}/{total}");
        let _ = write!(
            out,
            "  {label:<16}{counts:>9}  {:>7}",
            percent_text(covered, total)
        );
        if label == "total" {
            out.push_str("  (states and branch items)");
        }
        out.push('\n');
    }
    let uncovered: Vec<&str> = coverage.uncovered().map(|i| i.name.as_str()).collect();
    if uncovered.is_empty() {
        return out;
    }
    let _ = writeln!(out, "Uncovered ({}):", uncovered.len());
    for name in uncovered.iter().take(LISTED) {
        let _ = writeln!(out, "  {name}");
    }
    if uncovered.len() > LISTED {
        let _ = writeln!(out, "  … and {} more", uncovered.len() - LISTED);
    }
    out
}

/// `83.3 %` (see [`scaled_percent`]); `-` for a category with no items.
fn percent_text(covered: usize, total: usize) -> String {
    match scaled_percent(covered, total, 10) {
        Some(tenths) => format!("{}.{} %", tenths / 10, tenths % 10),
        None => "-".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Hit;
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn table_then_headline_then_uncovered_names() {
        let mut c = Coverage::new(structure(RETRY));
        c.add([
            Hit::State {
                state: "/States/CallApi".into(),
            },
            Hit::Edge {
                from: "/States/CallApi".into(),
                to: "/States/Done".into(),
            },
            Hit::State {
                state: "/States/Done".into(),
            },
            Hit::RetryRecovered {
                state: "/States/CallApi".into(),
                rule: 0,
            },
        ]);
        let expected = "\
Coverage of retry.asl.json
  states                2/3   66.7 %
  transitions           1/2   50.0 %
  choice rules          0/0        -
  catch clauses         0/1    0.0 %
  retry outcomes        1/3   33.3 %
  branches              0/0        -
  total                 3/7   42.9 %  (states and branch items)
Uncovered (5):
  state HandleError
  edge CallApi -> HandleError
  Catch #0 of CallApi (States.TaskFailed -> HandleError)
  Retry #0 of CallApi (States.Timeout) exhausted
  Retry #1 of CallApi (Busy, States.Permissions) exhausted
";
        assert_eq!(summary(&c, "retry.asl.json"), expected);
    }

    #[test]
    fn lists_fifty_uncovered_items_then_counts_the_rest() {
        let states: Vec<String> = (0..60)
            .map(|i| format!(r#""S{i}": {{"Type": "Pass", "Next": "S{}"}}"#, i + 1))
            .chain([r#""S60": {"Type": "Succeed"}"#.to_string()])
            .collect();
        let text = format!(r#"{{"StartAt": "S0", "States": {{{}}}}}"#, states.join(","));
        let c = Coverage::new(structure(&text));
        let text = summary(&c, "long");
        assert!(text.contains("Uncovered (121):\n  state S0\n"));
        assert_eq!(
            text.lines().filter(|l| l.starts_with("  state S")).count(),
            50
        );
        assert!(text.ends_with("  … and 71 more\n"));
    }

    #[test]
    fn percent_keeps_100_and_0_for_full_and_none() {
        assert_eq!(percent_text(0, 0), "-");
        assert_eq!(percent_text(999, 1000), "99.9 %");
        assert_eq!(percent_text(9999, 10000), "99.9 %");
        assert_eq!(percent_text(1, 10000), "0.1 %");
        assert_eq!(percent_text(2, 3), "66.7 %");
        assert_eq!(percent_text(29, 100), "29.0 %");
        assert_eq!(percent_text(5, 5), "100.0 %");
    }
}
