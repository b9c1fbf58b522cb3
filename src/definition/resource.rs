//! Task resources: what a `Resource` ARN names and which integration pattern it asks for.
//!
//! Shapes (AWS developer guide, "Service integrations"):
//! `arn:aws:states:::SERVICE:ACTION[.sync|.sync:2|.waitForTaskToken]`,
//! `arn:aws:states:::aws-sdk:SERVICE:ACTION[...]`, `arn:aws:lambda:REGION:ACCOUNT:function:NAME`,
//! `arn:aws:states:REGION:ACCOUNT:activity:NAME`.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceKind {
    /// `arn:aws:lambda:...:function:NAME[:QUALIFIER]`: the result is the function's payload.
    LambdaFunction {
        function: String,
    },
    Activity {
        name: String,
    },
    /// An optimised integration (`lambda:invoke`, `ecs:runTask`, `sqs:sendMessage`, ...).
    Service {
        service: String,
        action: String,
    },
    /// An AWS SDK integration (`aws-sdk:s3:getObject`).
    AwsSdk {
        service: String,
        action: String,
    },
    /// Anything else: accepted as written and left to the handlers.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    RequestResponse,
    Sync,
    Sync2,
    WaitForTaskToken,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub arn: String,
    pub kind: ResourceKind,
    pub pattern: Pattern,
}

impl Resource {
    pub fn parse(arn: &str) -> Resource {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let other = Resource {
            arn: arn.to_string(),
            kind: ResourceKind::Other,
            pattern: Pattern::RequestResponse,
        };
        if parts.len() < 6 || parts[0] != "arn" {
            return other;
        }
        let (service, rest) = (parts[2], parts[5]);
        match service {
            "lambda" if rest.starts_with("function:") => Resource {
                arn: arn.to_string(),
                kind: ResourceKind::LambdaFunction {
                    function: rest["function:".len()..].to_string(),
                },
                pattern: Pattern::RequestResponse,
            },
            "states" if rest.starts_with("activity:") => Resource {
                arn: arn.to_string(),
                kind: ResourceKind::Activity {
                    name: rest["activity:".len()..].to_string(),
                },
                pattern: Pattern::RequestResponse,
            },
            // Integrations are written `arn:aws:states:::SERVICE:ACTION`; AWS also accepts
            // them with the region and account filled in (definitions copied from a
            // deployed machine), so those are read the same way.
            "states" if !rest.starts_with("stateMachine:") && !rest.starts_with("execution:") => {
                let (body, pattern) = if let Some(b) = rest.strip_suffix(".waitForTaskToken") {
                    (b, Pattern::WaitForTaskToken)
                } else if let Some(b) = rest.strip_suffix(".sync:2") {
                    (b, Pattern::Sync2)
                } else if let Some(b) = rest.strip_suffix(".sync") {
                    (b, Pattern::Sync)
                } else {
                    (rest, Pattern::RequestResponse)
                };
                let kind = if let Some(sdk) = body.strip_prefix("aws-sdk:") {
                    match sdk.split_once(':') {
                        Some((s, a)) if !s.is_empty() && !a.is_empty() => ResourceKind::AwsSdk {
                            service: s.to_string(),
                            action: a.to_string(),
                        },
                        _ => ResourceKind::Other,
                    }
                } else {
                    match body.split_once(':') {
                        Some((s, a)) if !s.is_empty() && !a.is_empty() => ResourceKind::Service {
                            service: s.to_string(),
                            action: a.to_string(),
                        },
                        _ => ResourceKind::Other,
                    }
                };
                Resource {
                    arn: arn.to_string(),
                    kind,
                    pattern,
                }
            }
            _ => other,
        }
    }

    /// The history-event family of this resource: `LambdaFunction`, `Activity` or `Task`.
    pub fn event_family(&self) -> &'static str {
        match self.kind {
            ResourceKind::LambdaFunction { .. } => "LambdaFunction",
            ResourceKind::Activity { .. } => "Activity",
            _ => "Task",
        }
    }

    /// The `resourceType` and `resource` AWS writes into Task history events.
    pub fn event_names(&self) -> (String, String) {
        match &self.kind {
            ResourceKind::Service { service, action } => {
                let suffix = match self.pattern {
                    Pattern::RequestResponse => "",
                    Pattern::Sync => ".sync",
                    Pattern::Sync2 => ".sync:2",
                    Pattern::WaitForTaskToken => ".waitForTaskToken",
                };
                (service.clone(), format!("{action}{suffix}"))
            }
            ResourceKind::AwsSdk { service, action } => {
                (format!("aws-sdk:{service}"), action.clone())
            }
            _ => (String::new(), self.arn.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_resources() {
        let r = Resource::parse("arn:aws:states:::lambda:invoke.waitForTaskToken");
        assert_eq!(
            r.kind,
            ResourceKind::Service {
                service: "lambda".into(),
                action: "invoke".into()
            }
        );
        assert_eq!(r.pattern, Pattern::WaitForTaskToken);
        let r = Resource::parse("arn:aws:states:::ecs:runTask.sync");
        assert_eq!(r.pattern, Pattern::Sync);
        let r = Resource::parse("arn:aws:states:::aws-sdk:s3:getObject");
        assert_eq!(
            r.kind,
            ResourceKind::AwsSdk {
                service: "s3".into(),
                action: "getObject".into()
            }
        );
        let r = Resource::parse("arn:aws:lambda:us-east-1:123:function:f");
        assert_eq!(
            r.kind,
            ResourceKind::LambdaFunction {
                function: "f".into()
            }
        );
        assert_eq!(r.event_family(), "LambdaFunction");
        let r = Resource::parse("arn:aws:states:us-east-1:123:activity:a");
        assert_eq!(r.kind, ResourceKind::Activity { name: "a".into() });
        assert_eq!(Resource::parse("activity_arn").kind, ResourceKind::Other);
        let r = Resource::parse("arn:aws:states:us-east-1:123456789012:aws-sdk:s3:getObject");
        assert_eq!(
            r.kind,
            ResourceKind::AwsSdk {
                service: "s3".into(),
                action: "getObject".into()
            }
        );
        let r = Resource::parse(
            "arn:aws:states:us-east-1:123456789012:athena:startQueryExecution.sync",
        );
        assert_eq!(r.pattern, Pattern::Sync);
    }
}
