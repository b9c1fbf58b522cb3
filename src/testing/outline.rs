//! The definition as a test file sees it: each state's name, type, where it runs (at the top,
//! in a Map's iterations, in a Parallel branch) and how many Retry rules, Catch clauses and
//! branches it has. [`Outline::check`] checks every state name, qualified name, rule index
//! and branch count a test file writes against it, before anything runs: an expectation the
//! definition contradicts could never hold, or worse, would hold without checking anything
//! (`entered: 0` of a qualified name no visit can have).

use super::file::{FileError, Mock, TestFile, split_qualified};
use crate::definition::diagnostic::did_you_mean_in;
use crate::definition::{Graph, StateMachine};

/// One state of the definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateInfo {
    pub name: String,
    /// `Task`, `Map`, `Parallel`, ...
    pub kind: &'static str,
    /// The Map or Parallel state it runs in (an index into [`Outline::states`]) and, in a
    /// Parallel state, the branch; `None` at the top level.
    pub parent: Option<(usize, Option<usize>)>,
    /// A Parallel state's branch count (0 for other states).
    pub branches: usize,
    pub retries: usize,
    pub catches: usize,
}

/// Every state of a definition, nested ones included, in document order.
#[derive(Debug, Clone, Default)]
pub struct Outline {
    pub states: Vec<StateInfo>,
}

impl Outline {
    pub fn of(machine: &StateMachine) -> Outline {
        let mut o = Outline::default();
        o.add(&machine.root, None);
        o
    }

    fn add(&mut self, graph: &Graph, parent: Option<(usize, Option<usize>)>) {
        for s in &graph.states {
            let i = self.states.len();
            let parallel = matches!(s.kind, crate::definition::Kind::Parallel(_));
            let graphs = s.kind.graphs();
            self.states.push(StateInfo {
                name: s.name.clone(),
                kind: s.kind.type_name(),
                parent,
                branches: if parallel { graphs.len() } else { 0 },
                retries: s.kind.retriers().len(),
                catches: s.kind.catchers().len(),
            });
            for (b, g) in graphs.into_iter().enumerate() {
                self.add(g, Some((i, parallel.then_some(b))));
            }
        }
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.states.iter().position(|s| s.name == name)
    }

    fn names(&self) -> Vec<&str> {
        self.states.iter().map(|s| s.name.as_str()).collect()
    }

    /// `Outer[i]/Inner[j]/` for a nested state: how a path names it.
    fn qualified_example(&self, i: usize) -> String {
        let mut parts = vec![self.states[i].name.clone()];
        let mut at = self.states[i].parent;
        while let Some((p, branch)) = at {
            let index = branch.map_or("i".to_string(), |b| b.to_string());
            parts.push(format!("{}[{index}]", self.states[p].name));
            at = self.states[p].parent;
        }
        parts.reverse();
        parts.join("/")
    }

    /// Every problem of `file`'s state names against this definition.
    pub fn check(&self, file: &TestFile) -> Vec<FileError> {
        let mut c = Checker {
            outline: self,
            names: self.names(),
            errors: Vec::new(),
        };
        c.mocks(&file.mocks);
        for case in &file.cases {
            c.mocks(&case.mocks);
            let e = &case.expect;
            if let Some(p) = &e.path {
                for (i, n) in p.names.iter().enumerate() {
                    let at = format!("{}/{i}", p.names_pointer);
                    c.path_name(n, &at, p.top_level, p.key());
                }
            }
            for (n, s) in &e.states {
                c.name(n, &s.pointer, &[], "");
            }
            for (n, s) in &e.calls {
                c.name(n, &s.pointer, &["Task"], "`calls`");
            }
            for (n, r) in &e.retries {
                if let Some(i) = c.name(n, &r.pointer, &["Task", "Parallel", "Map"], "`retries`")
                    && let Some(rule) = r.rule
                {
                    let have = self.states[i].retries;
                    if rule >= have {
                        c.err(
                            &format!("{}/rule", r.pointer),
                            format!(
                                "`{n}` has {have} Retry rule{} (counted from 0): there is no rule #{rule}",
                                plural(have)
                            ),
                        );
                    }
                }
            }
            for (n, x) in &e.caught {
                if let Some(i) = c.name(n, &x.pointer, &["Task", "Parallel", "Map"], "`caught`")
                    && let Some(clause) = x.clause
                {
                    let have = self.states[i].catches;
                    if clause >= have {
                        c.err(
                            &x.pointer,
                            format!(
                                "`{n}` has {have} Catch clause{} (counted from 0): there is no clause #{clause}",
                                plural(have)
                            ),
                        );
                    }
                }
            }
            for (n, _, p) in &e.iterations {
                c.name(n, p, &["Map"], "`iterations`");
            }
            for (n, branches, p) in &e.branches {
                let Some(i) = c.name(n, p, &["Parallel"], "`branches`") else {
                    continue;
                };
                let have = self.states[i].branches;
                if branches.len() != have {
                    c.err(
                        p,
                        format!(
                            "`{n}` has {have} branch{}: list one path per branch, {have} in all (found {})",
                            if have == 1 { "" } else { "es" },
                            branches.len()
                        ),
                    );
                }
                for (b, names) in branches.iter().enumerate() {
                    for (k, x) in names.iter().enumerate() {
                        c.relative(x, &format!("{p}/{b}/{k}"), (i, Some(b)));
                    }
                }
            }
        }
        c.errors
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

struct Checker<'a> {
    outline: &'a Outline,
    names: Vec<&'a str>,
    errors: Vec<FileError>,
}

impl Checker<'_> {
    fn err(&mut self, pointer: &str, message: impl Into<String>) {
        self.errors.push(FileError::new(pointer, message));
    }

    /// A state the definition has, or an error with a "did you mean".
    fn known(&mut self, name: &str, pointer: &str) -> Option<usize> {
        let found = self.outline.index(name);
        if found.is_none() {
            let hint = did_you_mean_in(name, &self.names);
            self.err(
                pointer,
                format!("the definition has no state `{name}`{hint}"),
            );
        }
        found
    }

    /// Mocks answer every call of a Task state, wherever it runs: a plain name.
    fn mocks(&mut self, mocks: &[(String, Mock)]) {
        for (state, m) in mocks {
            if let Some(segments) = split_qualified(state)
                && segments.len() > 1
            {
                self.err(
                    &m.pointer,
                    format!(
                        "a mock is keyed by the Task state's plain name: it answers every call of the state, in every iteration and branch (write `{}`, and tell calls apart with `sequence` or `conditional`)",
                        segments.last().map(|(n, _)| n.as_str()).unwrap_or_default()
                    ),
                );
                continue;
            }
            self.name(state, &m.pointer, &["Task"], "a mock");
        }
    }

    /// A plain or qualified name selecting visits: every segment exists, each nested segment
    /// runs in the one before it (in that branch of a Parallel state), the first runs at the
    /// top, and the last is of a wanted type. The last segment's state, when all holds.
    fn name(&mut self, name: &str, pointer: &str, want: &[&str], what: &str) -> Option<usize> {
        let last = self.segments(name, pointer, None)?;
        let kind = self.outline.states[last].kind;
        if !want.is_empty() && !want.contains(&kind) {
            let seg = &self.outline.states[last].name;
            self.err(
                pointer,
                format!(
                    "`{seg}` is a {kind} state; {what} names a {} state",
                    want.join(" or ")
                ),
            );
            return None;
        }
        Some(last)
    }

    /// A name in a Parallel branch's path (`branches`), relative to that branch.
    fn relative(&mut self, name: &str, pointer: &str, within: (usize, Option<usize>)) {
        self.segments(name, pointer, Some(within));
    }

    /// A name in `path` / `pathContains`: as the path names it (qualified inside Map
    /// iterations and Parallel branches), or a top-level state with `topLevel`.
    fn path_name(&mut self, name: &str, pointer: &str, top_level: bool, key: &str) {
        let Some(last) = self.segments(name, pointer, None) else {
            return;
        };
        let nested = self.outline.states[last].parent.is_some();
        if top_level && nested {
            self.err(
                pointer,
                format!(
                    "`{name}` runs inside `{}`: with `topLevel: true`, `{key}` lists only states outside any Map or Parallel state",
                    self.outline.states[self.outline.states[last].parent.map_or(0, |p| p.0)].name
                ),
            );
        } else if nested && !name.contains("]/") {
            self.err(
                pointer,
                format!(
                    "`{name}` runs inside `{}`, so a path names it with its iteration or branch (`{}`); or compare only the top-level states with `{key}: {{states: [...], topLevel: true}}`",
                    self.outline.states[self.outline.states[last].parent.map_or(0, |p| p.0)].name,
                    self.outline.qualified_example(last)
                ),
            );
        }
    }

    /// Checks the segments of `name`, the first running directly in `within` (`None`: the
    /// top level, for a qualified name); the last segment's state when all are sound.
    fn segments(
        &mut self,
        name: &str,
        pointer: &str,
        within: Option<(usize, Option<usize>)>,
    ) -> Option<usize> {
        let Some(segments) = split_qualified(name) else {
            self.err(
                pointer,
                format!("`{name}` is not a state name nor a qualified name such as `Map[0]/State`"),
            );
            return None;
        };
        let qualified = segments.len() > 1;
        let mut outer: Option<(usize, Option<usize>)> = within;
        let mut last = None;
        for (k, (seg, index)) in segments.iter().enumerate() {
            let i = self.known(seg, pointer)?;
            let info = &self.outline.states[i];
            // Where this segment must run: in the previous segment's iteration or branch, or
            // in `within`, or (a qualified name's first segment) at the top.
            if k > 0 || within.is_some() || qualified {
                let parent_ok = match (outer, info.parent) {
                    (None, None) => true,
                    (Some((p, branch)), Some((q, b))) => {
                        p == q && (branch.is_none() || b.is_none() || branch == b)
                    }
                    _ => false,
                };
                if !parent_ok {
                    let message = match (outer, info.parent) {
                        (None, Some((q, _))) => format!(
                            "`{name}`: a qualified name starts at a top-level state, and `{seg}` runs inside `{}` (name it `{}`)",
                            self.outline.states[q].name,
                            self.outline.qualified_example(i)
                        ),
                        (Some((p, Some(b))), Some((q, Some(c)))) if p == q && b != c => format!(
                            "`{name}`: `{seg}` runs in branch {c} of `{}`, not in branch {b}",
                            self.outline.states[p].name
                        ),
                        (Some((p, branch)), _) => format!(
                            "`{name}`: `{seg}` does not run inside {}`{}`{}",
                            match branch {
                                Some(b) => format!("branch {b} of "),
                                None => String::new(),
                            },
                            self.outline.states[p].name,
                            match info.parent {
                                None => " (it is a top-level state)".to_string(),
                                Some((q, _)) =>
                                    format!(" (it runs inside `{}`)", self.outline.states[q].name),
                            }
                        ),
                        (None, None) => String::new(),
                    };
                    self.err(pointer, message);
                    return None;
                }
            }
            let is_last = k + 1 == segments.len();
            if !is_last {
                let Some(index) = index else {
                    return None;
                };
                match info.kind {
                    "Parallel" if *index >= info.branches => {
                        self.err(
                            pointer,
                            format!(
                                "`{name}`: `{seg}` has {} branch{} (counted from 0): there is no branch {index}",
                                info.branches,
                                if info.branches == 1 { "" } else { "es" }
                            ),
                        );
                        return None;
                    }
                    "Parallel" => outer = Some((i, Some(*index))),
                    "Map" => outer = Some((i, None)),
                    kind => {
                        self.err(
                            pointer,
                            format!(
                                "`{seg}` is a {kind} state: only Map and Parallel states have `[index]`"
                            ),
                        );
                        return None;
                    }
                }
            }
            last = Some(i);
        }
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Top` (Task), `Fan` (Parallel: branch 0 `A`, branch 1 `Loop` (Map over `Work`)),
    /// `Each` (Map over `Step`).
    fn outline() -> Outline {
        let s = |name: &str, kind, parent, branches| StateInfo {
            name: name.into(),
            kind,
            parent,
            branches,
            retries: 1,
            catches: 1,
        };
        Outline {
            states: vec![
                s("Top", "Task", None, 0),
                s("Fan", "Parallel", None, 2),
                s("A", "Pass", Some((1, Some(0))), 0),
                s("Loop", "Map", Some((1, Some(1))), 0),
                s("Work", "Task", Some((3, None)), 0),
                s("Each", "Map", None, 0),
                s("Step", "Task", Some((5, None)), 0),
            ],
        }
    }

    fn check(expect: &str) -> Vec<String> {
        let dir = std::env::temp_dir().join(format!("asl-outline-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!("t{}.json", expect.len()));
        let text = format!(
            r#"{{"definition": "m.json", "cases": [{{"name": "a", "expect": {expect}}}]}}"#
        );
        let _ = std::fs::write(&path, &text);
        let file = TestFile::load(&path).expect("a valid test file");
        let _ = std::fs::remove_file(&path);
        outline()
            .check(&file)
            .into_iter()
            .map(|e| format!("{} {}", e.pointer, e.message))
            .collect()
    }

    #[test]
    fn qualified_names_follow_the_definition() {
        assert!(
            check(r#"{"states": {"Fan[1]/Loop[3]/Work": {"entered": 1}, "Each[9]/Step": {"entered": 1}, "Fan[0]/A": {"entered": 1}}}"#)
                .is_empty()
        );
        let e = check(
            r#"{"states": {"Fan[0]/Loop": {"entered": 0}, "Fan[2]/A": {}, "Each[0]/Work": {}, "Loop[0]/Work": {}, "Top[0]/Step": {}}}"#,
        );
        assert_eq!(e.len(), 5, "{e:#?}");
        assert!(
            e[0].contains("`Loop` runs in branch 1 of `Fan`, not in branch 0"),
            "{e:?}"
        );
        assert!(e[1].contains("there is no branch 2"), "{e:?}");
        assert!(
            e[2].contains("`Work` does not run inside `Each` (it runs inside `Loop`)"),
            "{e:?}"
        );
        assert!(
            e[3].contains(
                "starts at a top-level state, and `Loop` runs inside `Fan` (name it `Fan[1]/Loop`)"
            ),
            "{e:?}"
        );
        assert!(
            e[4].contains("only Map and Parallel states have `[index]`"),
            "{e:?}"
        );
    }

    #[test]
    fn a_parallel_states_branch_count_and_branch_paths_are_checked() {
        assert!(check(r#"{"branches": {"Fan": [["A"], ["Loop", "Loop[0]/Work"]]}}"#).is_empty());
        let e = check(r#"{"branches": {"Fan": [["Loop"]]}}"#);
        assert_eq!(e.len(), 2, "{e:#?}");
        assert!(
            e[0].contains("`Fan` has 2 branches: list one path per branch, 2 in all (found 1)"),
            "{e:?}"
        );
        assert!(
            e[1].contains("`Loop` runs in branch 1 of `Fan`, not in branch 0"),
            "{e:?}"
        );
    }

    #[test]
    fn a_path_names_nested_states_as_it_records_them() {
        assert!(check(r#"{"path": ["Top", "Each", "Each[0]/Step"]}"#).is_empty());
        let e = check(r#"{"path": ["Top", "Step"]}"#);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert!(e[0].starts_with("/cases/0/expect/path/1 "), "{e:?}");
        assert!(e[0].contains("(`Each[i]/Step`)"), "{e:?}");
        assert!(
            check(r#"{"pathContains": {"states": ["Top", "Each"], "topLevel": true}}"#).is_empty()
        );
        let e = check(r#"{"path": {"states": ["Top", "Each[0]/Step"], "topLevel": true}}"#);
        assert!(e[0].contains("with `topLevel: true`"), "{e:?}");
        assert!(e[0].starts_with("/cases/0/expect/path/states/1 "), "{e:?}");
    }

    #[test]
    fn rule_and_clause_indexes_and_types_are_checked_together() {
        let e = check(
            r#"{"retries": {"Top": {"rule": 1}}, "caught": {"Top": 2}, "iterations": {"Top": 1}, "calls": {"Wrok": 1}}"#,
        );
        assert_eq!(e.len(), 4, "{e:#?}");
        assert!(e.iter().any(|e| e.contains("there is no rule #1")), "{e:?}");
        assert!(
            e.iter().any(|e| e.contains("there is no clause #2")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|e| e.contains("`Top` is a Task state; `iterations` names a Map state")),
            "{e:?}"
        );
        assert!(e.iter().any(|e| e.contains("did you mean `Work`")), "{e:?}");
    }
}
