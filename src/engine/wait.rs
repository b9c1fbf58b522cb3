//! The Wait state: how long, from `Seconds(Path)` or `Timestamp(Path)`, then sleep on the
//! path's clock.

use super::execution::{Exec, StateCx, StepOut, Thread, seconds_at, shown};
use super::failure::Stop;
use crate::data::roots::{DataError, read};
use crate::data::timestamp;
use crate::definition::{Dynamic, QueryLanguage, Wait};
use serde_json::Value;
use std::time::Duration;

impl Exec {
    pub(crate) async fn wait(
        &self,
        cx: &StateCx<'_>,
        w: &Wait,
        input: Value,
        th: &mut Thread,
    ) -> Result<StepOut, Stop> {
        let s = cx.state;
        let eff = match s.language {
            QueryLanguage::JsonPath => self.filter_owned(cx, &s.io.input_path, input, &th.scope)?,
            QueryLanguage::Jsonata => input,
        };
        if s.language == QueryLanguage::JsonPath {
            self.show(cx, super::probe::Step::InputPath, &eff);
        }
        let duration = {
            let roots = self.roots(cx, &eff, &th.scope, 0);
            let r: Result<Duration, DataError> = match w {
                Wait::Seconds(Dynamic::Fixed(n)) => Ok(Duration::from_secs(*n)),
                Wait::Seconds(Dynamic::Path(p)) => match read(p, &roots) {
                    Ok(v) => seconds_at("SecondsPath", p, &v).map(Duration::from_secs),
                    Err(_) => Err(DataError::runtime(format!(
                        "The SecondsPath parameter does not reference an input value: {p}"
                    ))),
                },
                Wait::Seconds(Dynamic::Expr(e)) => e.evaluate_field(&roots, "Seconds").and_then(|v| {
                    v.as_u64().map(Duration::from_secs).ok_or_else(|| {
                        DataError::query(format!(
                            "The JSONata expression '{}' specified for the field 'Seconds' returned an unexpected result type. Expected 'integer', but was '{}' for value: {v}",
                            e.source(),
                            crate::data::jsonata::type_name(&v)
                        ))
                    })
                }),
                Wait::Timestamp(Dynamic::Fixed(t)) => Ok(self.until(*t, th)),
                Wait::Timestamp(Dynamic::Path(p)) => match read(p, &roots) {
                    Ok(v) => match v.as_str().and_then(timestamp::parse) {
                        Some(t) => Ok(self.until(t, th)),
                        None => Err(DataError::runtime(format!(
                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {p} == {}",
                            shown(&v)
                        ))),
                    },
                    Err(_) => Err(DataError::runtime(format!(
                        "The TimestampPath parameter does not reference an input value: {p}"
                    ))),
                },
                Wait::Timestamp(Dynamic::Expr(e)) => e.evaluate_field(&roots, "Timestamp").and_then(|v| {
                    match v.as_str().and_then(timestamp::parse) {
                        Some(t) => Ok(self.until(t, th)),
                        None => Err(DataError::query(format!(
                            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}",
                            shown(&v)
                        ))),
                    }
                }),
                Wait::Seconds(Dynamic::Intrinsic(_)) | Wait::Timestamp(Dynamic::Intrinsic(_)) => Ok(Duration::ZERO),
            };
            r.map_err(|e| self.data_failure(cx, e))?
        };
        self.sleep(th, duration).await?;
        let (output, assigned) = match s.language {
            QueryLanguage::JsonPath => {
                let assigned = match &s.assign {
                    Some(t) => Some(self.assign(cx, t, &self.roots(cx, &eff, &th.scope, 0))?),
                    None => None,
                };
                (
                    self.filter_owned(cx, &s.io.output_path, eff, &th.scope)?,
                    assigned,
                )
            }
            QueryLanguage::Jsonata => {
                let roots = self.roots(cx, &eff, &th.scope, 0);
                let assigned = match &s.assign {
                    Some(t) => Some(self.assign(cx, t, &roots)?),
                    None => None,
                };
                let output = match &s.io.output {
                    Some(t) => t.eval(&roots).map_err(|e| self.data_failure(cx, e))?,
                    None => eff.clone(),
                };
                (output, assigned)
            }
        };
        Ok(StepOut {
            next: s.next,
            output,
            assigned,
        })
    }

    fn until(&self, t: timestamp::Instant, th: &Thread) -> Duration {
        let now = self.clock.now(&th.time);
        let nanos = t.0 - now.0;
        if nanos <= 0 {
            Duration::ZERO
        } else {
            Duration::from_nanos(nanos.min(u64::MAX as i128) as u64)
        }
    }
}
