//! The data flow of Pass, Task, Parallel and Map states, in the order of the specification,
//! with Retry and Catch around the part AWS retries.
//!
//! JSONPath: `InputPath` -> [ `Parameters` -> action -> `Assign` (reads the raw result) ->
//! `ResultSelector` -> `ResultPath` (into the raw input) ] -> `OutputPath`.
//! JSONata: [ `Arguments` -> action -> `Assign` and `Output` (both read `$states.result`,
//! with the variables as they were before the state) ].
//! The bracketed part is what a retrier repeats; a catcher's output skips `OutputPath`.

use super::execution::{Exec, StateCx, StepOut, Thread};
use super::failure::{Failure, Stop};
use super::probe::Step;
use super::retry;
use crate::data::reference_path;
use crate::definition::{Catcher, Filter, Kind, QueryLanguage, ResultPath, error_name};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// What one attempt produced.
enum Attempt {
    /// The output before `OutputPath`.
    Output(Value, Option<Map<String, Value>>),
    /// The selected result, for `ResultPath` to place into the raw input.
    Place(Value, Option<Map<String, Value>>),
}

impl Exec {
    pub(crate) async fn process(
        &self,
        cx: &StateCx<'_>,
        raw: Value,
        th: &mut Thread,
    ) -> Result<StepOut, Stop> {
        let s = cx.state;
        if let Kind::Map(m) = &s.kind
            && Self::takes_items(cx, m)
        {
            self.show(cx, Step::InputPath, &raw);
            let result = Box::pin(self.map_taking_items(cx, m, raw, th)).await?;
            return match self.conclude(cx, &Value::Null, result, th, 0)? {
                Attempt::Output(output, assigned) => self.finish(cx, output, assigned, th),
                // `takes_items` asks for a `ResultPath` that replaces the input.
                Attempt::Place(selected, assigned) => self.finish(cx, selected, assigned, th),
            };
        }
        let effective = self.effective(cx, &raw, th)?;
        if s.language == QueryLanguage::JsonPath {
            self.show(cx, Step::InputPath, &effective);
        }
        let retriers = s.kind.retriers();
        // Without Retry or Catch nothing needs the raw input after a successful action, so
        // ResultPath can write into it instead of into a copy (a large payload carried
        // through many states would otherwise be copied at each one).
        let movable = retriers.is_empty() && s.kind.catchers().is_empty();
        let mut counts = vec![0u64; retriers.len()];
        let mut retry_count = 0u64;
        let placed = loop {
            let outcome = match self.attempt(cx, &raw, &effective, th, retry_count).await {
                Ok(Attempt::Output(output, assigned)) => Ok((output, assigned)),
                Ok(Attempt::Place(selected, assigned)) if movable => break (selected, assigned),
                Ok(Attempt::Place(selected, assigned)) => self
                    .place(cx, raw.clone(), selected)
                    .map(|output| (output, assigned)),
                Err(e) => Err(e),
            };
            match outcome {
                Ok((output, assigned)) => return self.finish(cx, output, assigned, th),
                Err(Stop::Failed(f)) => {
                    if error_name::is_terminal(&f.error) {
                        return Err(Stop::Failed(f));
                    }
                    let unit = self.random_unit();
                    if let Some((rule, delay)) =
                        retry::next_delay(retriers, &mut counts, &f.error, unit)
                    {
                        if let Some(p) = &self.probe {
                            p.retried(cx.visit, rule, &f);
                        }
                        Box::pin(self.sleep(th, delay)).await?;
                        retry_count += 1;
                        continue;
                    }
                    if let Some(p) = &self.probe
                        && let Some(rule) = retriers.iter().position(|r| r.matches(&f.error))
                    {
                        p.exhausted(cx.visit, rule, &f);
                    }
                    let catchers = s.kind.catchers();
                    if let Some(i) = catchers.iter().position(|c| c.matches(&f.error)) {
                        if let Some(p) = &self.probe {
                            p.caught(cx.visit, i, &f);
                        }
                        return self.caught(cx, &catchers[i], &raw, f, th);
                    }
                    return Err(Stop::Failed(f));
                }
                Err(other) => return Err(other),
            }
        };
        drop(effective);
        let (selected, assigned) = placed;
        let output = self.place(cx, raw, selected)?;
        self.finish(cx, output, assigned, th)
    }

    /// Tells the probe, if there is one, what a step of the data flow made.
    pub(crate) fn show(&self, cx: &StateCx<'_>, step: Step, value: &Value) {
        if let Some(p) = &self.probe {
            p.step(cx.visit, step, value);
        }
    }

    /// `OutputPath` (JSONPath), and the step's result.
    fn finish(
        &self,
        cx: &StateCx<'_>,
        output: Value,
        assigned: Option<Map<String, Value>>,
        th: &Thread,
    ) -> Result<StepOut, Stop> {
        let s = cx.state;
        if s.language == QueryLanguage::JsonPath {
            self.show(cx, Step::ResultPath, &output);
        }
        let output = match (s.language, &s.io.output_path) {
            (QueryLanguage::Jsonata, _) | (_, Filter::All) => output,
            (QueryLanguage::JsonPath, f) => self.filter(cx, f, &output, &th.scope)?.into_owned(),
        };
        Ok(StepOut {
            next: s.next,
            output,
            assigned,
        })
    }

    /// `ResultPath` (JSONPath): the selected result placed into the raw input.
    fn place(&self, cx: &StateCx<'_>, raw: Value, selected: Value) -> Result<Value, Stop> {
        match &cx.state.io.result_path {
            ResultPath::Replace => Ok(selected),
            ResultPath::Discard => Ok(raw),
            ResultPath::At(p) => {
                reference_path::write(raw, p, selected).map_err(|e| self.data_failure(cx, e))
            }
        }
    }

    /// One try of the retried part: the output before `OutputPath`, or the result still to be
    /// placed by `ResultPath`; and the variables to assign.
    async fn attempt(
        &self,
        cx: &StateCx<'_>,
        raw: &Value,
        effective: &Value,
        th: &mut Thread,
        retry_count: u64,
    ) -> Result<Attempt, Stop> {
        let s = cx.state;
        let token = match &s.kind {
            Kind::Task(t) if t.resource.pattern == crate::definition::Pattern::WaitForTaskToken => {
                Some(
                    match self.given_for(cx).and_then(|g| g.task_token.clone()) {
                        Some(given) => given,
                        None => self.task_token(),
                    },
                )
            }
            _ => None,
        };
        let params = self.parameters(cx, effective, th, retry_count, token.as_deref())?;
        if !matches!(s.kind, Kind::Map(_)) {
            self.show(cx, Step::Parameters, &params);
        }
        let result = match &s.kind {
            Kind::Pass { result } => pass_result(cx, result, params),
            // The futures of actions that can wait are boxed: held inline, their size would
            // make every state's step future as large, and every Pass or Choice pay to set it up.
            Kind::Task(t) => {
                Box::pin(self.task(
                    cx,
                    t,
                    params.into_owned(),
                    effective,
                    th,
                    retry_count,
                    token.as_deref(),
                ))
                .await?
            }
            Kind::Parallel(p) => Box::pin(self.parallel(cx, p, &params, th)).await?,
            Kind::Map(m) => Box::pin(self.map(cx, m, effective, th, retry_count)).await?,
            _ => params.into_owned(),
        };
        self.show(cx, Step::Result, &result);
        self.conclude(cx, raw, result, th, retry_count)
    }

    /// A Pass state, which has nothing to wait for, no Retry and no Catch: [`Exec::process`]
    /// without the futures.
    pub(crate) fn pass(
        &self,
        cx: &StateCx<'_>,
        result: &Option<Value>,
        raw: Value,
        th: &mut Thread,
    ) -> Result<StepOut, Stop> {
        let s = cx.state;
        // A Pass that hands its input on unchanged moves it instead of copying it (a probe
        // is shown every step instead).
        if self.probe.is_none()
            && matches!(s.io.input_path, Filter::All)
            && s.io.parameters.is_none()
        {
            match s.language {
                QueryLanguage::JsonPath
                    if result.is_none() && matches!(s.io.result_path, ResultPath::Replace) =>
                {
                    // The input is the result, which `Assign` reads and `ResultPath` keeps.
                    let (Attempt::Output(output, assigned) | Attempt::Place(output, assigned)) =
                        self.conclude(cx, &Value::Null, raw, th, 0)?;
                    return self.finish(cx, output, assigned, th);
                }
                QueryLanguage::Jsonata if s.io.output.is_none() => {
                    // A Pass has no `$states.result`; without `Output` its output is its input.
                    let (Attempt::Output(_, assigned) | Attempt::Place(_, assigned)) =
                        self.conclude(cx, &raw, Value::Null, th, 0)?;
                    return self.finish(cx, raw, assigned, th);
                }
                _ => {}
            }
        }
        let effective = self.effective(cx, &raw, th)?;
        let params = self.parameters(cx, &effective, th, 0, None)?;
        if self.probe.is_some() && s.language == QueryLanguage::JsonPath {
            self.show(cx, Step::InputPath, &effective);
            self.show(cx, Step::Parameters, &params);
        }
        let result = pass_result(cx, result, params);
        self.show(cx, Step::Result, &result);
        match self.conclude(cx, &raw, result, th, 0)? {
            Attempt::Output(output, assigned) => self.finish(cx, output, assigned, th),
            Attempt::Place(selected, assigned) => {
                drop(effective);
                let output = self.place(cx, raw, selected)?;
                self.finish(cx, output, assigned, th)
            }
        }
    }

    /// The effective input: `InputPath` applied (JSONPath), or the raw input (JSONata).
    fn effective<'v>(
        &self,
        cx: &StateCx<'_>,
        raw: &'v Value,
        th: &Thread,
    ) -> Result<Cow<'v, Value>, Stop> {
        match cx.state.language {
            QueryLanguage::JsonPath => self.filter(cx, &cx.state.io.input_path, raw, &th.scope),
            QueryLanguage::Jsonata => Ok(Cow::Borrowed(raw)),
        }
    }

    /// `Parameters` (or `Arguments`); without them the action reads the effective input,
    /// borrowed: a Map, a Parallel or a Pass with `Result` does not need a copy of it.
    fn parameters<'v>(
        &self,
        cx: &StateCx<'_>,
        effective: &'v Value,
        th: &Thread,
        retry_count: u64,
        token: Option<&str>,
    ) -> Result<Cow<'v, Value>, Stop> {
        Ok(match &cx.state.io.parameters {
            Some(t) => {
                let mut roots = self.roots(cx, effective, &th.scope, retry_count);
                if token.is_some() {
                    roots.state.task_token = token;
                }
                Cow::Owned(t.eval(&roots).map_err(|e| self.data_failure(cx, e))?)
            }
            None => Cow::Borrowed(effective),
        })
    }

    /// What follows the action: `Assign` and `ResultSelector` (JSONPath), or `Assign` and
    /// `Output` (JSONata).
    fn conclude(
        &self,
        cx: &StateCx<'_>,
        raw: &Value,
        result: Value,
        th: &Thread,
        retry_count: u64,
    ) -> Result<Attempt, Stop> {
        let s = cx.state;
        match s.language {
            QueryLanguage::JsonPath => {
                let assigned = match &s.assign {
                    Some(t) => Some(self.assign(
                        cx,
                        t,
                        &self.roots(cx, &result, &th.scope, retry_count),
                    )?),
                    None => None,
                };
                let selected = match &s.io.result_selector {
                    Some(t) => t
                        .eval(&self.roots(cx, &result, &th.scope, retry_count))
                        .map_err(|e| self.data_failure(cx, e))?,
                    None => result,
                };
                self.show(cx, Step::ResultSelector, &selected);
                Ok(match &s.io.result_path {
                    ResultPath::Replace => Attempt::Output(selected, assigned),
                    ResultPath::Discard | ResultPath::At(_) => Attempt::Place(selected, assigned),
                })
            }
            QueryLanguage::Jsonata => {
                let has_result = !matches!(s.kind, Kind::Pass { .. });
                let (assigned, output) = {
                    let roots = self.roots(cx, raw, &th.scope, retry_count).with_states(
                        raw,
                        has_result.then_some(&result),
                        None,
                    );
                    let assigned = match &s.assign {
                        Some(t) => Some(self.assign(cx, t, &roots)?),
                        None => None,
                    };
                    let output = match &s.io.output {
                        Some(t) => Some(t.eval(&roots).map_err(|e| self.data_failure(cx, e))?),
                        None => None,
                    };
                    (assigned, output)
                };
                // Without `Output` the result moves on: a large Map result is not copied.
                Ok(Attempt::Output(output.unwrap_or(result), assigned))
            }
        }
    }

    /// The output of a caught failure: the error output placed by the catcher's `ResultPath`
    /// (JSONPath) or shaped by its `Output` (JSONata).
    fn caught(
        &self,
        cx: &StateCx<'_>,
        c: &Catcher,
        raw: &Value,
        f: Failure,
        th: &mut Thread,
    ) -> Result<StepOut, Stop> {
        let s = cx.state;
        let error_output = f.to_error_output();
        let (output, assigned) = match s.language {
            QueryLanguage::JsonPath => {
                let assigned = match &c.assign {
                    Some(t) => {
                        Some(self.assign(cx, t, &self.roots(cx, &error_output, &th.scope, 0))?)
                    }
                    None => None,
                };
                let output = match &c.result_path {
                    ResultPath::Replace => error_output,
                    ResultPath::Discard => raw.clone(),
                    ResultPath::At(p) => reference_path::write(raw.clone(), p, error_output)
                        .map_err(|e| self.data_failure(cx, e))?,
                };
                (output, assigned)
            }
            QueryLanguage::Jsonata => {
                let roots =
                    self.roots(cx, raw, &th.scope, 0)
                        .with_states(raw, None, Some(&error_output));
                let assigned = match &c.assign {
                    Some(t) => Some(self.assign(cx, t, &roots)?),
                    None => None,
                };
                let output = match &c.output {
                    Some(t) => t.eval(&roots).map_err(|e| self.data_failure(cx, e))?,
                    None => error_output.clone(),
                };
                (output, assigned)
            }
        };
        Ok(StepOut {
            next: crate::definition::Next::To(c.next),
            output,
            assigned,
        })
    }
}

/// A Pass state's result: `Result` (JSONPath), or what `Parameters` made of the input.
fn pass_result(cx: &StateCx<'_>, result: &Option<Value>, params: Cow<Value>) -> Value {
    match (cx.state.language, result) {
        (QueryLanguage::JsonPath, Some(r)) => r.clone(),
        _ => params.into_owned(),
    }
}
