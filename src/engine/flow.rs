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
use super::retry;
use crate::data::reference_path;
use crate::definition::{Catcher, Kind, QueryLanguage, ResultPath, error_name};
use serde_json::{Map, Value};
use std::borrow::Cow;

impl Exec {
    pub(crate) async fn process(
        &self,
        cx: &StateCx<'_>,
        raw: Value,
        th: &mut Thread,
    ) -> Result<StepOut, Stop> {
        let s = cx.state;
        let effective: Cow<Value> = match s.language {
            QueryLanguage::JsonPath => self.filter(cx, &s.io.input_path, &raw, &th.scope)?,
            QueryLanguage::Jsonata => Cow::Borrowed(&raw),
        };
        let retriers = s.kind.retriers();
        let mut counts = vec![0u64; retriers.len()];
        let mut retry_count = 0u64;
        loop {
            match self.attempt(cx, &raw, &effective, th, retry_count).await {
                Ok((output, assigned)) => {
                    let output = match s.language {
                        QueryLanguage::JsonPath => self
                            .filter(cx, &s.io.output_path, &output, &th.scope)?
                            .into_owned(),
                        QueryLanguage::Jsonata => output,
                    };
                    let next = s.next;
                    return Ok(StepOut {
                        next,
                        output,
                        assigned,
                    });
                }
                Err(Stop::Failed(f)) => {
                    if error_name::is_terminal(&f.error) {
                        return Err(Stop::Failed(f));
                    }
                    let unit = self.random_unit();
                    if let Some((_, delay)) =
                        retry::next_delay(retriers, &mut counts, &f.error, unit)
                    {
                        self.sleep(th, delay).await?;
                        retry_count += 1;
                        continue;
                    }
                    if let Some(c) = s.kind.catchers().iter().find(|c| c.matches(&f.error)) {
                        return self.caught(cx, c, &raw, f, th);
                    }
                    return Err(Stop::Failed(f));
                }
                Err(other) => return Err(other),
            }
        }
    }

    /// One try of the retried part. Returns the output before `OutputPath` and the variables
    /// to assign.
    async fn attempt(
        &self,
        cx: &StateCx<'_>,
        raw: &Value,
        effective: &Value,
        th: &mut Thread,
        retry_count: u64,
    ) -> Result<(Value, Option<Map<String, Value>>), Stop> {
        let s = cx.state;
        let token = match &s.kind {
            Kind::Task(t) if t.resource.pattern == crate::definition::Pattern::WaitForTaskToken => {
                Some(self.task_token())
            }
            _ => None,
        };
        let params = {
            let mut roots = self.roots(cx, effective, &th.scope, retry_count);
            roots.state.task_token = token.as_deref();
            match &s.io.parameters {
                Some(t) => t.eval(&roots).map_err(|e| self.data_failure(cx, e))?,
                None => effective.clone(),
            }
        };
        let result = match &s.kind {
            Kind::Pass { result } => match (s.language, result) {
                (QueryLanguage::JsonPath, Some(r)) => r.clone(),
                _ => params,
            },
            Kind::Task(t) => {
                self.task(cx, t, params, effective, th, retry_count, token.as_deref())
                    .await?
            }
            Kind::Parallel(p) => self.parallel(cx, p, params, th).await?,
            Kind::Map(m) => self.map(cx, m, effective, th, retry_count).await?,
            _ => params,
        };
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
                let output = match &s.io.result_path {
                    ResultPath::Replace => selected,
                    ResultPath::Discard => raw.clone(),
                    ResultPath::At(p) => reference_path::write(raw.clone(), p, selected)
                        .map_err(|e| self.data_failure(cx, e))?,
                };
                Ok((output, assigned))
            }
            QueryLanguage::Jsonata => {
                let has_result = !matches!(s.kind, Kind::Pass { .. });
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
                    Some(t) => t.eval(&roots).map_err(|e| self.data_failure(cx, e))?,
                    None => result.clone(),
                };
                Ok((output, assigned))
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
