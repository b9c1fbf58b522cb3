//! AWS's API models, embedded: what every AWS operation takes and returns, read from the
//! bundle `scripts/gen-aws-models` writes from botocore's service models (`models/`).
//!
//! [`bundle`] knows the index (one line per service the Step Functions AWS SDK integration
//! supports: its integration name, error prefix, protocol, endpoint names) and inflates a
//! service's model the first time it is asked for, once per process; a run that calls no
//! AWS API never touches the compressed models. [`Service`] is one model: its operations and
//! their shapes, read in place from the model's JSON (botocore's own layout, without the
//! documentation), with [`Shape`] and [`Member`] as views over it.

mod bundle;
mod service;

pub use bundle::{
    Entry, Protocol, entries, entry, inflate, load, partition_suffix, retired, rule_set_host,
    unknown_service,
};
pub use service::{Member, Operation, Service, Shape};

#[cfg(test)]
mod tests {
    /// Every details member the engine and the server write into a history event is one
    /// AWS's `HistoryEvent` has: a member AWS never sends (`ParallelStateFailed` with
    /// details, once) is dropped by every SDK reading `asl serve`, so a history read through
    /// the API would differ from the same run's `--history` file.
    #[test]
    fn history_event_details_written_are_members_of_aws_history_event() {
        let service = super::load("sfn")
            .expect("Step Functions is in the bundle")
            .expect("its model inflates");
        let event = service.shape("HistoryEvent").expect("HistoryEvent");
        let members: Vec<&str> = event.members().map(|m| m.name).collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut written = std::collections::BTreeSet::new();
        let mut stack = vec![root.join("engine"), root.join("server")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read src dir").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("read source");
                for piece in text.split('"').skip(1).step_by(2) {
                    // Whole names only: `{kind}EventDetails` built by format is not one.
                    if piece.len() > "EventDetails".len()
                        && piece.ends_with("EventDetails")
                        && piece.chars().all(|c| c.is_ascii_alphanumeric())
                    {
                        written.insert(piece.to_string());
                    }
                }
            }
        }
        assert!(written.len() > 10, "found only {written:?}");
        let foreign: Vec<_> = written
            .iter()
            .filter(|w| !members.contains(&w.as_str()))
            .collect();
        assert!(foreign.is_empty(), "not in AWS's HistoryEvent: {foreign:?}");
    }
}
