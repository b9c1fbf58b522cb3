//! The table of Step Functions' *optimized integrations* that are calls to an API of an AWS
//! service model: `arn:aws:states:::SERVICE:ACTION[.sync|.waitForTaskToken]` → which model
//! operation is called, which integration patterns AWS offers, how parameters and results
//! differ from the plain API call, and how a `.sync` job is followed to its end.
//!
//! # Where the facts come from
//!
//! The AWS Step Functions Developer Guide: "Integrating optimized services with Step Functions"
//! (integrate-optimized, the list of services and their patterns), "Discover service integration
//! patterns in Step Functions" (connect-to-resource, what `.sync` and an aborted `.sync` do),
//! and each service's page: "Perform DynamoDB CRUD operations with Step Functions"
//! (connect-ddb), "Call Amazon SNS" (connect-sns), "Send messages to Amazon SQS" (connect-sqs),
//! "Add EventBridge events with Step Functions" (connect-eventbridge), "Run Athena queries with
//! Step Functions" (connect-athena), "Run AWS Batch workloads with Step Functions"
//! (connect-batch), "Start an AWS Glue job with Step Functions" (connect-glue), "Start AWS Glue
//! DataBrew jobs with Step Functions" (connect-databrew), "Create and manage Amazon SageMaker AI
//! jobs with Step Functions" (connect-sagemaker), "Manage AWS CodeBuild builds with Step
//! Functions" (connect-codebuild), "Create and manage Amazon EMR clusters with Step Functions"
//! (connect-emr), "Create and manage Amazon EMR clusters on EKS with AWS Step Functions"
//! (connect-emr-eks), "Create and manage Amazon EMR Serverless applications with Step
//! Functions" (connect-emr-serverless), "Invoke and customize Amazon Bedrock models with Step
//! Functions" (connect-bedrock), "Create an AWS Elemental MediaConvert job with Step Functions"
//! (connect-mediaconvert) and "Create and manage Amazon EKS clusters with Step Functions"
//! (connect-eks). The operations a `.sync` polls and the one it calls to stop a job are named
//! nowhere but in those pages' "IAM policies for calling …" sections (the `Run a Job (.sync)`
//! policy grants exactly the start, describe and stop actions); the shapes of `.sync` results
//! come from the guide's sample projects ("Start an Athena query", "Manage a Batch job",
//! "Manage an Amazon EMR job", "Build a CodeBuild project", "Train a machine learning model",
//! the SageMaker labeling/processing examples) and its ResultSelector example (the output of
//! `elasticmapreduce:createCluster.sync`). Results of DynamoDB, SNS, SQS and EventBridge tasks
//! are confirmed by AWS-recorded executions.
//!
//! Whatever no page states is marked `// inferred: …` on its entry (status enumerations come
//! from the service's API reference, which is a fact about the API but not about what Step
//! Functions treats as the end of a job).
//!
//! # Spelling of names and pointers
//!
//! Every member name and JSON pointer in this table (`args` members, pointers into parameters
//! and answers, `status`, `output`, `json_text`, [`Adjust`]) is spelled as the *state* sees it:
//! Step Functions writes every structure member of every service in PascalCase ("Parameters in
//! Step Functions are expressed in PascalCase, even when the native service API is camelCase"),
//! i.e. the model's member name with its first letter upper-cased (`build.id` of CodeBuild is
//! `/Build/Id`; CodeBuild's `ids` is `Ids`). Only structure members are renamed: map keys
//! (tags, hyper-parameters, DynamoDB attribute names) are data and stay as they are. Converting
//! to and from the model's own member names is the model-driven client's job.
//!
//! JSON pointers follow RFC 6901; a `*` segment stands for every element of an array. `""` is
//! the whole document.
//!
//! # Common behaviour
//!
//! * A service error fails the state with `{error_prefix}.{ExceptionName}`; AWS-recorded causes
//!   read `"{message} (Service: {ServiceName}; Status Code: {status}; Error Code: {code};
//!   Request ID: {id}; Proxy: null)"` (DynamoDB: `DynamoDB.AmazonDynamoDBException` for a
//!   `ValidationException`, Step Functions: `StepFunctions.StateMachineDoesNotExistException`),
//!   and an endpoint that cannot be reached fails with `{prefix}.SdkClientException`, cause
//!   `"Unable to execute HTTP request: …"` (recorded for SQS). connect-ddb: the optimized
//!   DynamoDB prefix is `DynamoDB`, the AWS SDK integration's is `DynamoDb`.
//! * `.sync` (connect-to-resource): the task waits for the job; if the state is aborted (the
//!   execution is stopped, another branch of a Parallel or an iteration of a Map fails) Step
//!   Functions makes a best-effort attempt to stop the job with [`SyncJob::stop`]. Polling is
//!   documented only for EMR, EMR on EKS ("a hard-coded 60 seconds job polling frequency for
//!   the first 10 minutes and 300 seconds after that") and `eks:runJob` (about once a minute,
//!   slowing to once every five minutes).
//! * Express workflows support only request-response: `.sync` and `.waitForTaskToken` are for
//!   Standard workflows.
//! * `.waitForTaskToken` sends the same request; the result is what `SendTaskSuccess` passes.
//!
//! # Not in this table
//!
//! Integrations that are not one call over a model: `lambda:invoke`, `ecs:runTask` and
//! `states:startExecution` (asl runs them in `lambda.rs`, `ecs.rs`, `sfn.rs`),
//! `apigateway:invoke`, `http:invoke`, `eks:call` and `eks:runJob` (HTTP calls to an API
//! Gateway stage, an HTTPS endpoint through an EventBridge connection, and a Kubernetes API
//! server: `http_task.rs`, `eks.rs`). No entry here has a `.sync:2`: `states:startExecution` is the only integration
//! that offers it.

pub(crate) use super::batched::Many;

/// Which integration patterns AWS offers for an optimized integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Patterns {
    /// The bare resource: call the API, the result is its answer.
    pub request_response: bool,
    /// `.sync`: start a job and wait for its end ([`Optimized::sync`] says how).
    pub sync: bool,
    /// `.sync:2` (only `states:startExecution` has it, which is not in this table).
    pub sync2: bool,
    /// `.waitForTaskToken`.
    pub callback: bool,
}

/// Request-response only.
const RR: Patterns = Patterns {
    request_response: true,
    sync: false,
    sync2: false,
    callback: false,
};

/// Request-response and `.sync`.
const RR_SYNC: Patterns = Patterns {
    request_response: true,
    sync: true,
    sync2: false,
    callback: false,
};

/// Request-response and `.waitForTaskToken`.
const RR_CALLBACK: Patterns = Patterns {
    request_response: true,
    sync: false,
    sync2: false,
    callback: true,
};

/// Request-response, `.sync` and `.waitForTaskToken`.
const RR_SYNC_CALLBACK: Patterns = Patterns {
    request_response: true,
    sync: true,
    sync2: false,
    callback: true,
};

/// One optimized integration: `arn:aws:states:::{service}:{action}`.
#[derive(Debug)]
pub(crate) struct Optimized {
    /// The ARN's service: `"dynamodb"`, `"elasticmapreduce"`, `"emr-containers"`, ….
    pub service: &'static str,
    /// The ARN's action, without the pattern suffix: `"putItem"`.
    pub action: &'static str,
    /// The AWS SDK integration's name of the API's service (`arn:aws:states:::aws-sdk:{model}:…`),
    /// which names the botocore model: `"dynamodb"`, `"emr"`, `"emrcontainers"`,
    /// `"bedrockruntime"`, ….
    pub model: &'static str,
    /// The API operation as the model names it: `"PutItem"`.
    pub operation: &'static str,
    /// The prefix of the errors the API's exceptions raise, as Step Functions names them:
    /// `"DynamoDB"` (`DynamoDB.ResourceNotFoundException`).
    pub error_prefix: &'static str,
    /// The patterns AWS offers for this action.
    pub patterns: Patterns,
    /// The request-response result (and a `.sync` result that is the start call's answer, see
    /// [`START_ANSWER`]) adds `SdkHttpMetadata` (`AllHttpHeaders`: name → [values],
    /// `HttpHeaders`: name → value, `HttpStatusCode`) and `SdkResponseMetadata` (`RequestId`).
    pub metadata: bool,
    /// Parameters that may be given as JSON and are sent as their JSON text (a string is sent
    /// as it is): JSON pointers into the parameters, `*` for every array element.
    pub json_text: &'static [&'static str],
    /// How parameters and result differ from the plain API call, applied in order (parameter
    /// changes before the call, result changes after it).
    pub adjust: &'static [Adjust],
    /// What `.sync` waits for (`None` when [`Patterns::sync`] is false).
    pub sync: Option<SyncJob>,
}

/// A difference between the optimized integration and the plain API call.
#[derive(Debug)]
pub(crate) enum Adjust {
    /// Parameters: the value at `from` moves to `to`.
    Rename {
        from: &'static str,
        to: &'static str,
    },
    /// Parameters: the value at `from` moves to `to` as a one-element array.
    Wrap {
        from: &'static str,
        to: &'static str,
    },
    /// Parameters: resolve an id from a name before the call. Call `list` (same model) with
    /// `args` (sources as in [`SyncJob::args`], `request:` pointing into the parameters; every
    /// page of the answer), find in the array at `items` the element whose member `key` equals
    /// the parameter at `name`, remove `name` from the parameters and put the element's member
    /// `id` at `to`.
    IdByName {
        list: &'static str,
        args: &'static [(&'static str, &'static str)],
        items: &'static str,
        key: &'static str,
        name: &'static str,
        id: &'static str,
        to: &'static str,
    },
    /// Parameters: set the value at `at` (created with its parents) to the JSON text `json`.
    Set {
        at: &'static str,
        json: &'static str,
    },
    /// Parameters, `.sync` only: append the JSON text `json` to the array at `at` (created
    /// with its parents).
    AppendOnSync {
        at: &'static str,
        json: &'static str,
    },
    /// Parameters: every element of the array at `entries` gets the state machine ARN and
    /// the execution ARN appended to its `Resources` array (created if missing).
    AppendExecutionResources { entries: &'static str },
    /// Parameters and result: Bedrock's `Input` / `Output` (connect-bedrock). `Input.S3Uri`:
    /// the body is read from that S3 object instead of `Body` (not both; without
    /// `ContentType` the object's content type is used). `Output.S3Uri`: the answer's body is
    /// written to that S3 object and replaced in the result by a reference to it
    /// (`{"S3Uri": …}`; the shape of the reference is not documented). Neither member is sent
    /// to the API. The API handler does both around the call (`bedrock.rs`).
    BedrockS3Io,
    /// Result: the value at `from` moves to `to`.
    RenameResult {
        from: &'static str,
        to: &'static str,
    },
    /// Result: the first element of the array at `from` replaces it, at `to`.
    UnwrapResult {
        from: &'static str,
        to: &'static str,
    },
    /// Result: the parameter at `from` is copied into the result at `to`.
    CopyParameter {
        from: &'static str,
        to: &'static str,
    },
    /// Result: the blob at `at` is the payload's text and is given as JSON (parsed).
    ParseResult { at: &'static str },
    /// Result: when the number at `count` is greater than zero the state fails with `error`,
    /// the cause being the whole answer as JSON text.
    FailWhenPositive {
        count: &'static str,
        error: &'static str,
    },
    /// The call is retried internally while the build (batch) is still being finalised after
    /// a stop (connect-codebuild; how often and how long is not documented).
    RetryWhileStopping,
}

/// Where `.sync` takes its result from when it is the start call's answer (after
/// [`Optimized::adjust`]), not the describe answer.
pub(crate) const START_ANSWER: &str = "start:";

/// How a `.sync` job is followed to its end.
///
/// Argument sources (`args`, [`SyncJob::stop`], [`Adjust::IdByName`]): a JSON pointer into the
/// start call's answer (after [`Optimized::adjust`]); `request:` + a pointer into the start
/// call's parameters (after `adjust`); `literal:` + JSON text for a constant. A member written
/// `Name[]` takes a one-element array of the value.
#[derive(Debug)]
pub(crate) struct SyncJob {
    /// The operation polled (same model as the start call): `"GetQueryExecution"`.
    pub describe: &'static str,
    /// Its input.
    pub args: &'static [(&'static str, &'static str)],
    /// When the describe answer is a list: which element is the job. `status` and `output`
    /// then point into that element.
    pub pick: Option<Pick>,
    /// JSON pointer of the status in the describe answer (or the picked element).
    pub status: &'static str,
    /// Statuses that end the task successfully.
    pub succeeded: &'static [&'static str],
    /// Terminal statuses that fail the state with [`SyncJob::error`].
    pub failed: &'static [&'static str],
    /// The exception (code) of the describe call meaning the resource is gone, which ends a
    /// deletion successfully.
    pub gone: Option<&'static str>,
    /// The error a failed job raises. For every entry `States.TaskFailed`, whose cause is the
    /// `output` part of the last describe answer as JSON text — inferred from LocalStack (Batch,
    /// Glue; and what `states:startExecution.sync` does); no page documents a failed job's
    /// error or cause.
    pub error: &'static str,
    /// JSON pointer of the part of the describe answer `.sync` returns (`""` for all of it), or
    /// [`START_ANSWER`].
    pub output: &'static str,
    /// When not empty, the output is returned as `{output_key: output}`.
    pub output_key: &'static str,
    /// The operation AWS calls to stop the job when the state is aborted, and its input.
    pub stop: Option<(&'static str, &'static [(&'static str, &'static str)])>,
    /// When the describe operation takes many jobs at once: how it lists them. Waits on it
    /// then share one poller (`batched.rs`); `status` and `output` still read element 0.
    pub many: Option<Many>,
}

/// How the job is found in a describe answer that lists several.
#[derive(Debug)]
pub(crate) struct Pick {
    /// Pointer of the array in the describe answer.
    pub array: &'static str,
    /// The member of an element that identifies it.
    pub key: &'static str,
    /// Source of the value it must equal (as in [`SyncJob::args`]).
    pub equals: &'static str,
}

/// An entry with no parameter or result differences and no `.sync`.
const fn op(
    service: &'static str,
    action: &'static str,
    model: &'static str,
    operation: &'static str,
    error_prefix: &'static str,
    patterns: Patterns,
    metadata: bool,
) -> Optimized {
    Optimized {
        service,
        action,
        model,
        operation,
        error_prefix,
        patterns,
        metadata,
        json_text: &[],
        adjust: &[],
        sync: None,
    }
}

/// A `.sync` that fails with `States.TaskFailed`, returns the whole describe answer and is not
/// stopped.
const fn poll(
    describe: &'static str,
    args: &'static [(&'static str, &'static str)],
    status: &'static str,
    succeeded: &'static [&'static str],
    failed: &'static [&'static str],
) -> SyncJob {
    SyncJob {
        describe,
        args,
        pick: None,
        status,
        succeeded,
        failed,
        gone: None,
        error: "States.TaskFailed",
        output: "",
        output_key: "",
        stop: None,
        many: None,
    }
}

/// SageMaker's job statuses (`TrainingJobStatus`, `TransformJobStatus`, `ProcessingJobStatus`,
/// `LabelingJobStatus`, `HyperParameterTuningJobStatus`: InProgress, Completed, Failed,
/// Stopping, Stopped, …).
const SAGEMAKER_DONE: &[&str] = &["Completed"];
const SAGEMAKER_FAILED: &[&str] = &["Failed", "Stopped"];

/// CodeBuild's `StatusType` (SUCCEEDED, FAILED, FAULT, TIMED_OUT, IN_PROGRESS, STOPPED).
const CODEBUILD_DONE: &[&str] = &["SUCCEEDED"];
const CODEBUILD_FAILED: &[&str] = &["FAILED", "FAULT", "TIMED_OUT", "STOPPED"];

pub(crate) static OPTIMIZED: &[Optimized] = &[
    // ---- DynamoDB (connect-ddb): GetItem, PutItem, DeleteItem, UpdateItem; no callback.
    // AWS-recorded: the API's answer plus the metadata, for all four.
    op(
        "dynamodb", "getItem", "dynamodb", "GetItem", "DynamoDB", RR, true,
    ),
    op(
        "dynamodb", "putItem", "dynamodb", "PutItem", "DynamoDB", RR, true,
    ),
    op(
        "dynamodb",
        "deleteItem",
        "dynamodb",
        "DeleteItem",
        "DynamoDB",
        RR,
        true,
    ),
    op(
        "dynamodb",
        "updateItem",
        "dynamodb",
        "UpdateItem",
        "DynamoDB",
        RR,
        true,
    ),
    // ---- SNS (connect-sns). AWS-recorded: `{MessageId}` + metadata; a JSON `Message` is sent
    // as its JSON text.
    Optimized {
        json_text: &["/Message"],
        ..op("sns", "publish", "sns", "Publish", "SNS", RR_CALLBACK, true)
    },
    // ---- SQS (connect-sqs). AWS-recorded: `{MD5OfMessageBody, MessageId}` (and
    // `MD5OfMessageAttributes` when attributes are sent) + metadata; a JSON `MessageBody` is sent
    // as its JSON text.
    Optimized {
        json_text: &["/MessageBody"],
        ..op(
            "sqs",
            "sendMessage",
            "sqs",
            "SendMessage",
            "SQS",
            RR_CALLBACK,
            true,
        )
    },
    // ---- EventBridge (connect-eventbridge). AWS-recorded: `{Entries: [{EventId}],
    // FailedEntryCount: 0}` without metadata; a failed entry fails the state with
    // `EventBridge.FailedEntry`, cause the whole answer (recorded). The execution and state
    // machine ARNs are appended to each entry's `Resources` (documented; inferred: the order,
    // state machine first as LocalStack does).
    Optimized {
        json_text: &["/Entries/*/Detail"],
        adjust: &[
            Adjust::AppendExecutionResources {
                entries: "/Entries",
            },
            Adjust::FailWhenPositive {
                count: "/FailedEntryCount",
                error: "EventBridge.FailedEntry",
            },
        ],
        ..op(
            "events",
            "putEvents",
            "eventbridge",
            "PutEvents",
            "EventBridge",
            RR_CALLBACK,
            false,
        )
    },
    // ---- Athena (connect-athena): the service integration APIs "are the same as the
    // corresponding Athena APIs". .sync result: the GetQueryExecution answer
    // (`$.QueryExecution.QueryExecutionId` in the "Start an Athena query" sample).
    // inferred: error prefix `Athena`; metadata.
    Optimized {
        sync: Some(SyncJob {
            stop: Some((
                "StopQueryExecution",
                &[("QueryExecutionId", "/QueryExecutionId")],
            )),
            // inferred: QueryExecutionState QUEUED|RUNNING|SUCCEEDED|FAILED|CANCELLED.
            ..poll(
                "GetQueryExecution",
                &[("QueryExecutionId", "/QueryExecutionId")],
                "/QueryExecution/Status/State",
                &["SUCCEEDED"],
                &["FAILED", "CANCELLED"],
            )
        }),
        ..op(
            "athena",
            "startQueryExecution",
            "athena",
            "StartQueryExecution",
            "Athena",
            RR_SYNC,
            true,
        )
    },
    // inferred: error prefix `Athena`; metadata.
    op(
        "athena",
        "stopQueryExecution",
        "athena",
        "StopQueryExecution",
        "Athena",
        RR,
        true,
    ),
    op(
        "athena",
        "getQueryExecution",
        "athena",
        "GetQueryExecution",
        "Athena",
        RR,
        true,
    ),
    op(
        "athena",
        "getQueryResults",
        "athena",
        "GetQueryResults",
        "Athena",
        RR,
        true,
    ),
    // ---- Batch (connect-batch): SubmitJob. .sync polls DescribeJobs, stops with TerminateJob
    // (batch-iam).
    // inferred: error prefix `Batch` (LocalStack); metadata; the `.sync` result is the job's
    // description (`Jobs[0]`, LocalStack); statuses (JobStatus SUBMITTED|PENDING|RUNNABLE|
    // STARTING|RUNNING|SUCCEEDED|FAILED); TerminateJob's required `Reason` text; the
    // `MANAGED_BY_AWS=STARTED_BY_STEP_FUNCTIONS` container variable added on `.sync`
    // (LocalStack).
    Optimized {
        adjust: &[Adjust::AppendOnSync {
            at: "/ContainerOverrides/Environment",
            json: r#"{"Name":"MANAGED_BY_AWS","Value":"STARTED_BY_STEP_FUNCTIONS"}"#,
        }],
        sync: Some(SyncJob {
            output: "/Jobs/0",
            many: Some(Many {
                member: "Jobs",
                array: "Jobs",
                key: "JobId",
            }),
            stop: Some((
                "TerminateJob",
                &[
                    ("JobId", "/JobId"),
                    ("Reason", r#"literal:"Terminated by AWS Step Functions""#),
                ],
            )),
            ..poll(
                "DescribeJobs",
                &[("Jobs[]", "/JobId")],
                "/Jobs/0/Status",
                &["SUCCEEDED"],
                &["FAILED"],
            )
        }),
        ..op(
            "batch",
            "submitJob",
            "batch",
            "SubmitJob",
            "Batch",
            RR_SYNC,
            true,
        )
    },
    // ---- Glue (connect-glue): StartJobRun; "The `JobName` field is extracted from the request
    // and inserted into the response, which normally only contains `JobRunID`". .sync polls
    // GetJobRun, stops with BatchStopJobRun (glue-iam; the page's IAM section is titled
    // "Request Response and Callback" but integrate-optimized lists no callback for Glue).
    // inferred: error prefix `Glue`; metadata; result `JobRun`; STOPPED ends the task
    // successfully and FAILED/TIMEOUT/ERROR fail it (LocalStack), EXPIRED fails it.
    Optimized {
        adjust: &[Adjust::CopyParameter {
            from: "/JobName",
            to: "/JobName",
        }],
        sync: Some(SyncJob {
            output: "/JobRun",
            stop: Some((
                "BatchStopJobRun",
                &[
                    ("JobName", "request:/JobName"),
                    ("JobRunIds[]", "/JobRunId"),
                ],
            )),
            ..poll(
                "GetJobRun",
                &[("JobName", "request:/JobName"), ("RunId", "/JobRunId")],
                "/JobRun/JobRunState",
                &["SUCCEEDED", "STOPPED"],
                &["FAILED", "TIMEOUT", "ERROR", "EXPIRED"],
            )
        }),
        ..op(
            "glue",
            "startJobRun",
            "glue",
            "StartJobRun",
            "Glue",
            RR_SYNC,
            true,
        )
    },
    // ---- Glue DataBrew (connect-databrew): StartJobRun. The sync policy (databrew-iam) grants
    // StartJobRun, ListJobRuns and StopJobRun, not DescribeJobRun: the run is found in
    // ListJobRuns by its RunId.
    // inferred: error prefix `DataBrew`; no metadata; the result (the run's entry); statuses
    // (JobRunState STARTING|RUNNING|STOPPING|STOPPED|SUCCEEDED|FAILED|TIMEOUT).
    Optimized {
        sync: Some(SyncJob {
            pick: Some(Pick {
                array: "/JobRuns",
                key: "RunId",
                equals: "/RunId",
            }),
            stop: Some((
                "StopJobRun",
                &[("Name", "request:/Name"), ("RunId", "/RunId")],
            )),
            ..poll(
                "ListJobRuns",
                &[("Name", "request:/Name")],
                "/State",
                &["SUCCEEDED"],
                &["FAILED", "TIMEOUT", "STOPPED"],
            )
        }),
        ..op(
            "databrew",
            "startJobRun",
            "databrew",
            "StartJobRun",
            "DataBrew",
            RR_SYNC,
            false,
        )
    },
    // ---- SageMaker AI (connect-sagemaker): callback "not supported". `.sync` for the five job
    // APIs; the describe and stop operations are the sync policies' (sagemaker-iam). The `.sync`
    // result is the Describe…Job answer (`$.ModelArtifacts.S3ModelArtifacts` after
    // createTrainingJob.sync in the "Train a machine learning model" sample;
    // `$.LabelingJobArn`, `$.ProcessingJobArn` in the page's examples). Error prefix
    // `SageMaker` (`SageMaker.AmazonSageMakerException` in the page's training example).
    // inferred: metadata (all nine); the statuses (API reference enumerations).
    op(
        "sagemaker",
        "createEndpoint",
        "sagemaker",
        "CreateEndpoint",
        "SageMaker",
        RR,
        true,
    ),
    op(
        "sagemaker",
        "createEndpointConfig",
        "sagemaker",
        "CreateEndpointConfig",
        "SageMaker",
        RR,
        true,
    ),
    Optimized {
        sync: Some(SyncJob {
            stop: Some((
                "StopHyperParameterTuningJob",
                &[(
                    "HyperParameterTuningJobName",
                    "request:/HyperParameterTuningJobName",
                )],
            )),
            ..poll(
                "DescribeHyperParameterTuningJob",
                &[(
                    "HyperParameterTuningJobName",
                    "request:/HyperParameterTuningJobName",
                )],
                "/HyperParameterTuningJobStatus",
                SAGEMAKER_DONE,
                SAGEMAKER_FAILED,
            )
        }),
        ..op(
            "sagemaker",
            "createHyperParameterTuningJob",
            "sagemaker",
            "CreateHyperParameterTuningJob",
            "SageMaker",
            RR_SYNC,
            true,
        )
    },
    Optimized {
        sync: Some(SyncJob {
            stop: Some((
                "StopLabelingJob",
                &[("LabelingJobName", "request:/LabelingJobName")],
            )),
            ..poll(
                "DescribeLabelingJob",
                &[("LabelingJobName", "request:/LabelingJobName")],
                "/LabelingJobStatus",
                SAGEMAKER_DONE,
                SAGEMAKER_FAILED,
            )
        }),
        ..op(
            "sagemaker",
            "createLabelingJob",
            "sagemaker",
            "CreateLabelingJob",
            "SageMaker",
            RR_SYNC,
            true,
        )
    },
    op(
        "sagemaker",
        "createModel",
        "sagemaker",
        "CreateModel",
        "SageMaker",
        RR,
        true,
    ),
    Optimized {
        sync: Some(SyncJob {
            stop: Some((
                "StopProcessingJob",
                &[("ProcessingJobName", "request:/ProcessingJobName")],
            )),
            ..poll(
                "DescribeProcessingJob",
                &[("ProcessingJobName", "request:/ProcessingJobName")],
                "/ProcessingJobStatus",
                SAGEMAKER_DONE,
                SAGEMAKER_FAILED,
            )
        }),
        ..op(
            "sagemaker",
            "createProcessingJob",
            "sagemaker",
            "CreateProcessingJob",
            "SageMaker",
            RR_SYNC,
            true,
        )
    },
    Optimized {
        sync: Some(SyncJob {
            stop: Some((
                "StopTrainingJob",
                &[("TrainingJobName", "request:/TrainingJobName")],
            )),
            ..poll(
                "DescribeTrainingJob",
                &[("TrainingJobName", "request:/TrainingJobName")],
                "/TrainingJobStatus",
                SAGEMAKER_DONE,
                SAGEMAKER_FAILED,
            )
        }),
        ..op(
            "sagemaker",
            "createTrainingJob",
            "sagemaker",
            "CreateTrainingJob",
            "SageMaker",
            RR_SYNC,
            true,
        )
    },
    Optimized {
        sync: Some(SyncJob {
            stop: Some((
                "StopTransformJob",
                &[("TransformJobName", "request:/TransformJobName")],
            )),
            ..poll(
                "DescribeTransformJob",
                &[("TransformJobName", "request:/TransformJobName")],
                "/TransformJobStatus",
                SAGEMAKER_DONE,
                SAGEMAKER_FAILED,
            )
        }),
        ..op(
            "sagemaker",
            "createTransformJob",
            "sagemaker",
            "CreateTransformJob",
            "SageMaker",
            RR_SYNC,
            true,
        )
    },
    op(
        "sagemaker",
        "updateEndpoint",
        "sagemaker",
        "UpdateEndpoint",
        "SageMaker",
        RR,
        true,
    ),
    // ---- CodeBuild (connect-codebuild): the page's table gives the patterns; the describe and
    // stop operations are the sync policies' (codebuild-iam). startBuild.sync returns
    // `{Build: …}` (`$.Build.ReportArns` in the "Build a CodeBuild project" sample).
    // inferred: error prefix `CodeBuild`; metadata; the statuses; `{BuildBatch: …}` for the
    // batch `.sync`s by analogy.
    Optimized {
        sync: Some(SyncJob {
            output: "/Builds/0",
            many: Some(Many {
                member: "Ids",
                array: "Builds",
                key: "Id",
            }),
            output_key: "Build",
            stop: Some(("StopBuild", &[("Id", "/Build/Id")])),
            ..poll(
                "BatchGetBuilds",
                &[("Ids[]", "/Build/Id")],
                "/Builds/0/BuildStatus",
                CODEBUILD_DONE,
                CODEBUILD_FAILED,
            )
        }),
        ..op(
            "codebuild",
            "startBuild",
            "codebuild",
            "StartBuild",
            "CodeBuild",
            RR_SYNC,
            true,
        )
    },
    op(
        "codebuild",
        "stopBuild",
        "codebuild",
        "StopBuild",
        "CodeBuild",
        RR,
        true,
    ),
    Optimized {
        adjust: &[Adjust::RetryWhileStopping],
        ..op(
            "codebuild",
            "batchDeleteBuilds",
            "codebuild",
            "BatchDeleteBuilds",
            "CodeBuild",
            RR,
            true,
        )
    },
    op(
        "codebuild",
        "batchGetReports",
        "codebuild",
        "BatchGetReports",
        "CodeBuild",
        RR,
        true,
    ),
    Optimized {
        sync: Some(SyncJob {
            output: "/BuildBatches/0",
            many: Some(Many {
                member: "Ids",
                array: "BuildBatches",
                key: "Id",
            }),
            output_key: "BuildBatch",
            stop: Some(("StopBuildBatch", &[("Id", "/BuildBatch/Id")])),
            ..poll(
                "BatchGetBuildBatches",
                &[("Ids[]", "/BuildBatch/Id")],
                "/BuildBatches/0/BuildBatchStatus",
                CODEBUILD_DONE,
                CODEBUILD_FAILED,
            )
        }),
        ..op(
            "codebuild",
            "startBuildBatch",
            "codebuild",
            "StartBuildBatch",
            "CodeBuild",
            RR_SYNC,
            true,
        )
    },
    op(
        "codebuild",
        "stopBuildBatch",
        "codebuild",
        "StopBuildBatch",
        "CodeBuild",
        RR,
        true,
    ),
    Optimized {
        sync: Some(SyncJob {
            output: "/BuildBatches/0",
            many: Some(Many {
                member: "Ids",
                array: "BuildBatches",
                key: "Id",
            }),
            output_key: "BuildBatch",
            stop: Some(("StopBuildBatch", &[("Id", "/BuildBatch/Id")])),
            ..poll(
                "BatchGetBuildBatches",
                &[("Ids[]", "/BuildBatch/Id")],
                "/BuildBatches/0/BuildBatchStatus",
                CODEBUILD_DONE,
                CODEBUILD_FAILED,
            )
        }),
        ..op(
            "codebuild",
            "retryBuildBatch",
            "codebuild",
            "RetryBuildBatch",
            "CodeBuild",
            RR_SYNC,
            true,
        )
    },
    Optimized {
        adjust: &[Adjust::RetryWhileStopping],
        ..op(
            "codebuild",
            "deleteBuildBatch",
            "codebuild",
            "DeleteBuildBatch",
            "CodeBuild",
            RR,
            true,
        )
    },
    // ---- EMR (connect-emr): "a customized set of APIs that wrap the underlying Amazon EMR
    // APIs"; the page's table gives each difference. "Step Functions does not terminate an
    // Amazon EMR cluster automatically if execution is stopped" (although the createCluster
    // policy grants TerminateJobFlows). The ResultSelector example shows
    // createCluster.sync's result: `{ClusterId}` + metadata.
    // inferred: error prefix `EMR`; metadata of the other actions; the statuses.
    Optimized {
        adjust: &[Adjust::RenameResult {
            from: "/JobFlowId",
            to: "/ClusterId",
        }],
        sync: Some(SyncJob {
            output: START_ANSWER,
            // "waits for the cluster to reach the WAITING state"; inferred: the failures
            // (ClusterState STARTING|BOOTSTRAPPING|RUNNING|WAITING|TERMINATING|TERMINATED|
            // TERMINATED_WITH_ERRORS).
            ..poll(
                "DescribeCluster",
                &[("ClusterId", "/ClusterId")],
                "/Cluster/Status/State",
                &["WAITING"],
                &["TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"],
            )
        }),
        ..op(
            "elasticmapreduce",
            "createCluster",
            "emr",
            "RunJobFlow",
            "EMR",
            RR_SYNC,
            true,
        )
    },
    Optimized {
        adjust: &[Adjust::Wrap {
            from: "/ClusterId",
            to: "/JobFlowIds",
        }],
        ..op(
            "elasticmapreduce",
            "setClusterTerminationProtection",
            "emr",
            "SetTerminationProtection",
            "EMR",
            RR,
            true,
        )
    },
    Optimized {
        adjust: &[Adjust::Wrap {
            from: "/ClusterId",
            to: "/JobFlowIds",
        }],
        sync: Some(SyncJob {
            // inferred: the result (TerminateJobFlows answers nothing); the failure status.
            output: START_ANSWER,
            ..poll(
                "DescribeCluster",
                &[("ClusterId", "request:/JobFlowIds/0")],
                "/Cluster/Status/State",
                &["TERMINATED"],
                &["TERMINATED_WITH_ERRORS"],
            )
        }),
        ..op(
            "elasticmapreduce",
            "terminateCluster",
            "emr",
            "TerminateJobFlows",
            "EMR",
            RR_SYNC,
            true,
        )
    },
    Optimized {
        adjust: &[
            Adjust::Rename {
                from: "/ClusterId",
                to: "/JobFlowId",
            },
            Adjust::Wrap {
                from: "/Step",
                to: "/Steps",
            },
            Adjust::UnwrapResult {
                from: "/StepIds",
                to: "/StepId",
            },
        ],
        sync: Some(SyncJob {
            // inferred: the result (the start answer, as for createCluster.sync); the statuses
            // (StepState PENDING|CANCEL_PENDING|RUNNING|COMPLETED|CANCELLED|FAILED|INTERRUPTED).
            output: START_ANSWER,
            stop: Some((
                "CancelSteps",
                &[
                    ("ClusterId", "request:/JobFlowId"),
                    ("StepIds[]", "/StepId"),
                ],
            )),
            ..poll(
                "DescribeStep",
                &[("ClusterId", "request:/JobFlowId"), ("StepId", "/StepId")],
                "/Step/Status/State",
                &["COMPLETED"],
                &["CANCELLED", "FAILED", "INTERRUPTED"],
            )
        }),
        ..op(
            "elasticmapreduce",
            "addStep",
            "emr",
            "AddJobFlowSteps",
            "EMR",
            RR_SYNC,
            true,
        )
    },
    Optimized {
        adjust: &[
            Adjust::Wrap {
                from: "/StepId",
                to: "/StepIds",
            },
            Adjust::UnwrapResult {
                from: "/CancelStepsInfoList",
                to: "/CancelStepsInfo",
            },
        ],
        ..op(
            "elasticmapreduce",
            "cancelStep",
            "emr",
            "CancelSteps",
            "EMR",
            RR,
            true,
        )
    },
    // "At runtime the `InstanceFleetId` is determined automatically by the service integration by
    // calling `ListInstanceFleets` and parsing the result." inferred: matched on the fleet's
    // `Name`, the name given as `InstanceFleetName` (the page's example).
    Optimized {
        adjust: &[Adjust::IdByName {
            list: "ListInstanceFleets",
            args: &[("ClusterId", "request:/ClusterId")],
            items: "/InstanceFleets",
            key: "Name",
            name: "/InstanceFleetName",
            id: "Id",
            to: "/InstanceFleet/InstanceFleetId",
        }],
        ..op(
            "elasticmapreduce",
            "modifyInstanceFleetByName",
            "emr",
            "ModifyInstanceFleet",
            "EMR",
            RR,
            true,
        )
    },
    // Request `{ClusterId, InstanceGroupName, InstanceGroup}`; "the `InstanceGroupId` is
    // determined automatically by the service integration by calling `ListInstanceGroups`"
    // (the page shows EMR's `ClusterId` as a list, but ModifyInstanceGroups takes one string).
    Optimized {
        adjust: &[
            Adjust::IdByName {
                list: "ListInstanceGroups",
                args: &[("ClusterId", "request:/ClusterId")],
                items: "/InstanceGroups",
                key: "Name",
                name: "/InstanceGroupName",
                id: "Id",
                to: "/InstanceGroup/InstanceGroupId",
            },
            Adjust::Wrap {
                from: "/InstanceGroup",
                to: "/InstanceGroups",
            },
        ],
        ..op(
            "elasticmapreduce",
            "modifyInstanceGroupByName",
            "emr",
            "ModifyInstanceGroups",
            "EMR",
            RR,
            true,
        )
    },
    // ---- EMR on EKS (connect-emr-eks): "the same as the corresponding Amazon EMR on EKS APIs";
    // `.sync` for DeleteVirtualCluster and StartJobRun; describe/stop from emr-eks-iam.
    // inferred: error prefix `EMRContainers`; no metadata; results; statuses.
    op(
        "emr-containers",
        "createVirtualCluster",
        "emrcontainers",
        "CreateVirtualCluster",
        "EMRContainers",
        RR,
        false,
    ),
    Optimized {
        sync: Some(SyncJob {
            output: START_ANSWER,
            // VirtualClusterState RUNNING|TERMINATING|TERMINATED|ARRESTED.
            ..poll(
                "DescribeVirtualCluster",
                &[("Id", "request:/Id")],
                "/VirtualCluster/State",
                &["TERMINATED"],
                &["ARRESTED"],
            )
        }),
        ..op(
            "emr-containers",
            "deleteVirtualCluster",
            "emrcontainers",
            "DeleteVirtualCluster",
            "EMRContainers",
            RR_SYNC,
            false,
        )
    },
    Optimized {
        sync: Some(SyncJob {
            stop: Some((
                "CancelJobRun",
                &[("Id", "/Id"), ("VirtualClusterId", "/VirtualClusterId")],
            )),
            // JobRunState PENDING|SUBMITTED|RUNNING|FAILED|CANCELLED|CANCEL_PENDING|COMPLETED.
            ..poll(
                "DescribeJobRun",
                &[("Id", "/Id"), ("VirtualClusterId", "/VirtualClusterId")],
                "/JobRun/State",
                &["COMPLETED"],
                &["FAILED", "CANCELLED"],
            )
        }),
        ..op(
            "emr-containers",
            "startJobRun",
            "emrcontainers",
            "StartJobRun",
            "EMRContainers",
            RR_SYNC,
            false,
        )
    },
    // ---- EMR Serverless (connect-emr-serverless): six APIs, each with `.sync`, no callback.
    // start/stop/deleteApplication answer `{ApplicationId}` where the API answers nothing; the
    // others have "no differences between the requests and responses". The state each `.sync`
    // waits for is documented; describe/stop from the page's IAM policies (createApplication's
    // sync policy grants DeleteApplication, startApplication's StopApplication, startJobRun's
    // CancelJobRun).
    // inferred: error prefix `EMRServerless`; no metadata; `.sync` returns the start answer
    // (the documented response); the failure states.
    Optimized {
        sync: Some(SyncJob {
            output: START_ANSWER,
            stop: Some(("DeleteApplication", &[("ApplicationId", "/ApplicationId")])),
            ..poll(
                "GetApplication",
                &[("ApplicationId", "/ApplicationId")],
                "/Application/State",
                &["CREATED"],
                &["TERMINATED"],
            )
        }),
        ..op(
            "emr-serverless",
            "createApplication",
            "emrserverless",
            "CreateApplication",
            "EMRServerless",
            RR_SYNC,
            false,
        )
    },
    Optimized {
        adjust: &[Adjust::CopyParameter {
            from: "/ApplicationId",
            to: "/ApplicationId",
        }],
        sync: Some(SyncJob {
            output: START_ANSWER,
            stop: Some((
                "StopApplication",
                &[("ApplicationId", "request:/ApplicationId")],
            )),
            ..poll(
                "GetApplication",
                &[("ApplicationId", "request:/ApplicationId")],
                "/Application/State",
                &["STARTED"],
                &["STOPPED", "TERMINATED"],
            )
        }),
        ..op(
            "emr-serverless",
            "startApplication",
            "emrserverless",
            "StartApplication",
            "EMRServerless",
            RR_SYNC,
            false,
        )
    },
    Optimized {
        adjust: &[Adjust::CopyParameter {
            from: "/ApplicationId",
            to: "/ApplicationId",
        }],
        sync: Some(SyncJob {
            output: START_ANSWER,
            ..poll(
                "GetApplication",
                &[("ApplicationId", "request:/ApplicationId")],
                "/Application/State",
                &["STOPPED"],
                &["TERMINATED"],
            )
        }),
        ..op(
            "emr-serverless",
            "stopApplication",
            "emrserverless",
            "StopApplication",
            "EMRServerless",
            RR_SYNC,
            false,
        )
    },
    Optimized {
        adjust: &[Adjust::CopyParameter {
            from: "/ApplicationId",
            to: "/ApplicationId",
        }],
        sync: Some(SyncJob {
            output: START_ANSWER,
            gone: Some("ResourceNotFoundException"),
            ..poll(
                "GetApplication",
                &[("ApplicationId", "request:/ApplicationId")],
                "/Application/State",
                &["TERMINATED"],
                &[],
            )
        }),
        ..op(
            "emr-serverless",
            "deleteApplication",
            "emrserverless",
            "DeleteApplication",
            "EMRServerless",
            RR_SYNC,
            false,
        )
    },
    Optimized {
        sync: Some(SyncJob {
            output: START_ANSWER,
            stop: Some((
                "CancelJobRun",
                &[
                    ("ApplicationId", "/ApplicationId"),
                    ("JobRunId", "/JobRunId"),
                ],
            )),
            // JobRunState SUBMITTED|PENDING|SCHEDULED|RUNNING|SUCCESS|FAILED|CANCELLING|
            // CANCELLED|QUEUED.
            ..poll(
                "GetJobRun",
                &[
                    ("ApplicationId", "/ApplicationId"),
                    ("JobRunId", "/JobRunId"),
                ],
                "/JobRun/State",
                &["SUCCESS"],
                &["FAILED", "CANCELLED"],
            )
        }),
        ..op(
            "emr-serverless",
            "startJobRun",
            "emrserverless",
            "StartJobRun",
            "EMRServerless",
            RR_SYNC,
            false,
        )
    },
    Optimized {
        sync: Some(SyncJob {
            output: START_ANSWER,
            ..poll(
                "GetJobRun",
                &[
                    ("ApplicationId", "/ApplicationId"),
                    ("JobRunId", "/JobRunId"),
                ],
                "/JobRun/State",
                &["CANCELLED"],
                &["SUCCESS", "FAILED"],
            )
        }),
        ..op(
            "emr-serverless",
            "cancelJobRun",
            "emrserverless",
            "CancelJobRun",
            "EMRServerless",
            RR_SYNC,
            false,
        )
    },
    // ---- Bedrock (connect-bedrock). integrate-optimized lists callback for Bedrock, the page
    // names no API for it (inferred: both accept `.waitForTaskToken`). InvokeModel takes `Body`
    // as JSON (sent as its text) and the extra `Input` / `Output`; its answer's `Body` is given as
    // JSON (`$.Body.results[0].outputText` in the CDK's BedrockInvokeModel example).
    // inferred: error prefix `Bedrock`; no metadata.
    Optimized {
        json_text: &["/Body"],
        adjust: &[Adjust::BedrockS3Io, Adjust::ParseResult { at: "/Body" }],
        ..op(
            "bedrock",
            "invokeModel",
            "bedrockruntime",
            "InvokeModel",
            "Bedrock",
            RR_CALLBACK,
            false,
        )
    },
    // .sync polls GetModelCustomizationJob and stops with StopModelCustomizationJob (the
    // CreateModelCustomizationJob.sync policies). inferred: result; statuses
    // (ModelCustomizationJobStatus InProgress|Completed|Failed|Stopping|Stopped).
    Optimized {
        sync: Some(SyncJob {
            stop: Some(("StopModelCustomizationJob", &[("JobIdentifier", "/JobArn")])),
            ..poll(
                "GetModelCustomizationJob",
                &[("JobIdentifier", "/JobArn")],
                "/Status",
                &["Completed"],
                &["Failed", "Stopped"],
            )
        }),
        ..op(
            "bedrock",
            "createModelCustomizationJob",
            "bedrock",
            "CreateModelCustomizationJob",
            "Bedrock",
            RR_SYNC_CALLBACK,
            false,
        )
    },
    // ---- MediaConvert (connect-mediaconvert): CreateJob; "Step Functions will add the following
    // custom tag to MediaConvert jobs: `ManagedByService: AWSStepFunctions`". .sync polls GetJob
    // and stops with CancelJob (mediaconvert-iam).
    // inferred: error prefix `MediaConvert`; no metadata; result; statuses (JobStatus
    // SUBMITTED|PROGRESSING|COMPLETE|CANCELED|ERROR).
    Optimized {
        adjust: &[Adjust::Set {
            at: "/Tags/ManagedByService",
            json: r#""AWSStepFunctions""#,
        }],
        sync: Some(SyncJob {
            stop: Some(("CancelJob", &[("Id", "/Job/Id")])),
            ..poll(
                "GetJob",
                &[("Id", "/Job/Id")],
                "/Job/Status",
                &["COMPLETE"],
                &["ERROR", "CANCELED"],
            )
        }),
        ..op(
            "mediaconvert",
            "createJob",
            "mediaconvert",
            "CreateJob",
            "MediaConvert",
            RR_SYNC,
            false,
        )
    },
    // ---- EKS (connect-eks), the Amazon EKS APIs (eks:call and eks:runJob are not model calls).
    // The page: `.sync` supported, callback "not supported" (integrate-optimized lists callback
    // for EKS: presumably eks:runJob / eks:call). "Step Functions does not terminate an Amazon
    // EKS cluster automatically if execution is stopped" (the create policies grant the
    // Delete… actions all the same). Describe operations from eks-iam. Error prefix `EKS` (the
    // page's `EKS.401`, for the Kubernetes calls).
    // inferred: no metadata; results; statuses (ClusterStatus CREATING|ACTIVE|DELETING|FAILED|
    // UPDATING|PENDING, FargateProfileStatus CREATING|ACTIVE|DELETING|CREATE_FAILED|
    // DELETE_FAILED, NodegroupStatus CREATING|ACTIVE|UPDATING|DELETING|CREATE_FAILED|
    // DELETE_FAILED|DEGRADED); a deletion ends when the describe call answers
    // ResourceNotFoundException.
    Optimized {
        sync: Some(poll(
            "DescribeCluster",
            &[("Name", "/Cluster/Name")],
            "/Cluster/Status",
            &["ACTIVE"],
            &["FAILED"],
        )),
        ..op(
            "eks",
            "createCluster",
            "eks",
            "CreateCluster",
            "EKS",
            RR_SYNC,
            false,
        )
    },
    Optimized {
        sync: Some(SyncJob {
            output: START_ANSWER,
            gone: Some("ResourceNotFoundException"),
            ..poll(
                "DescribeCluster",
                &[("Name", "request:/Name")],
                "/Cluster/Status",
                &[],
                &["FAILED"],
            )
        }),
        ..op(
            "eks",
            "deleteCluster",
            "eks",
            "DeleteCluster",
            "EKS",
            RR_SYNC,
            false,
        )
    },
    Optimized {
        sync: Some(poll(
            "DescribeFargateProfile",
            &[
                ("ClusterName", "request:/ClusterName"),
                ("FargateProfileName", "request:/FargateProfileName"),
            ],
            "/FargateProfile/Status",
            &["ACTIVE"],
            &["CREATE_FAILED"],
        )),
        ..op(
            "eks",
            "createFargateProfile",
            "eks",
            "CreateFargateProfile",
            "EKS",
            RR_SYNC,
            false,
        )
    },
    Optimized {
        sync: Some(SyncJob {
            output: START_ANSWER,
            gone: Some("ResourceNotFoundException"),
            ..poll(
                "DescribeFargateProfile",
                &[
                    ("ClusterName", "request:/ClusterName"),
                    ("FargateProfileName", "request:/FargateProfileName"),
                ],
                "/FargateProfile/Status",
                &[],
                &["DELETE_FAILED"],
            )
        }),
        ..op(
            "eks",
            "deleteFargateProfile",
            "eks",
            "DeleteFargateProfile",
            "EKS",
            RR_SYNC,
            false,
        )
    },
    Optimized {
        sync: Some(poll(
            "DescribeNodegroup",
            &[
                ("ClusterName", "request:/ClusterName"),
                ("NodegroupName", "request:/NodegroupName"),
            ],
            "/Nodegroup/Status",
            &["ACTIVE"],
            &["CREATE_FAILED"],
        )),
        ..op(
            "eks",
            "createNodegroup",
            "eks",
            "CreateNodegroup",
            "EKS",
            RR_SYNC,
            false,
        )
    },
    Optimized {
        sync: Some(SyncJob {
            output: START_ANSWER,
            gone: Some("ResourceNotFoundException"),
            ..poll(
                "DescribeNodegroup",
                &[
                    ("ClusterName", "request:/ClusterName"),
                    ("NodegroupName", "request:/NodegroupName"),
                ],
                "/Nodegroup/Status",
                &[],
                &["DELETE_FAILED"],
            )
        }),
        ..op(
            "eks",
            "deleteNodegroup",
            "eks",
            "DeleteNodegroup",
            "EKS",
            RR_SYNC,
            false,
        )
    },
];

/// The optimized integration `arn:aws:states:::{service}:{action}` (the action without its
/// `.sync` / `.waitForTaskToken` suffix), if it is one call over a service model.
pub(crate) fn find(service: &str, action: &str) -> Option<&'static Optimized> {
    OPTIMIZED
        .iter()
        .find(|o| o.service == service && o.action == action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointer_ok(p: &str) -> bool {
        p.is_empty() || p.starts_with('/')
    }

    fn source_ok(s: &str) -> bool {
        if let Some(p) = s.strip_prefix("request:") {
            pointer_ok(p)
        } else {
            s.starts_with("literal:") || pointer_ok(s)
        }
    }

    #[test]
    fn finds_entries_by_arn_parts() {
        let put = find("dynamodb", "putItem").unwrap();
        assert_eq!((put.model, put.operation), ("dynamodb", "PutItem"));
        assert!(put.metadata);
        assert!(!find("events", "putEvents").unwrap().metadata);
        let emr = find("elasticmapreduce", "addStep").unwrap();
        assert_eq!((emr.model, emr.operation), ("emr", "AddJobFlowSteps"));
        assert!(find("lambda", "invoke").is_none());
        assert!(find("dynamodb", "PutItem").is_none());
    }

    #[test]
    fn entries_are_unique_and_consistent() {
        for (i, o) in OPTIMIZED.iter().enumerate() {
            let name = format!("{}:{}", o.service, o.action);
            assert!(
                OPTIMIZED[..i]
                    .iter()
                    .all(|p| (p.service, p.action) != (o.service, o.action)),
                "{name} twice"
            );
            assert!(o.patterns.request_response, "{name}");
            assert!(!o.patterns.sync2, "{name}");
            assert_eq!(o.patterns.sync, o.sync.is_some(), "{name}");
            assert!(o.json_text.iter().all(|p| p.starts_with('/')), "{name}");
            assert!(
                o.operation.starts_with(|c: char| c.is_ascii_uppercase()),
                "{name}"
            );
            if let Some(s) = &o.sync {
                assert!(pointer_ok(s.status), "{name}");
                assert!(s.output == START_ANSWER || pointer_ok(s.output), "{name}");
                assert!(!s.succeeded.is_empty() || s.gone.is_some(), "{name}");
                assert!(s.args.iter().all(|(_, v)| source_ok(v)), "{name}");
                if let Some((_, args)) = s.stop {
                    assert!(args.iter().all(|(_, v)| source_ok(v)), "{name}");
                }
                if let Some(p) = &s.pick {
                    assert!(pointer_ok(p.array) && source_ok(p.equals), "{name}");
                }
                assert_eq!(s.error, "States.TaskFailed", "{name}");
            }
        }
    }
}

#[cfg(test)]
mod docs {
    /// docs/handlers.md lists every optimized integration the table has, and those that are
    /// not model calls (`http_task.rs`, `eks.rs`).
    #[test]
    fn the_handlers_guide_lists_every_optimized_integration() {
        let guide = include_str!("../../../docs/handlers.md");
        let others = ["apigateway:invoke", "http:invoke", "eks:call", "eks:runJob"];
        let rows = super::OPTIMIZED
            .iter()
            .map(|o| format!("| `{}:{}` |", o.service, o.action))
            .chain(others.iter().map(|o| format!("| `{o}` |")));
        for row in rows {
            assert!(guide.contains(&row), "docs/handlers.md has no row {row}");
        }
    }
}
