//! Local command handler: a Task state answered by a program on this machine.
//!
//! The protocol (documented for users in `docs/handlers.md`):
//!
//! - **stdin**: the task's effective input (after InputPath and Parameters/Arguments) as one
//!   line of JSON, then end of file;
//! - **stdout**: on exit status 0, the whole of stdout is the task's result (one JSON value;
//!   empty stdout is `null`);
//! - **named errors**: exit with a non-zero status and print `{"Error": "Name", "Cause": "..."}`
//!   on stdout: the task fails with that error, so Retry and Catch see it;
//! - any other non-zero exit (or death by a signal) fails the task with `States.TaskFailed`
//!   and the tail of stderr as the cause;
//! - **environment**: `ASL_STATE_NAME`, `ASL_RESOURCE`, `ASL_CONTEXT` (the context object as
//!   JSON), `ASL_CREDENTIALS` (when the state sets `Credentials`), for `.waitForTaskToken`
//!   resources `ASL_TASK_TOKEN`, and `ASL_CALLBACK_ENDPOINT` whenever the run listens for
//!   callbacks (a command may answer a token it finds in its input).
//!
//! The program runs in its own process group: when the task is abandoned (TimeoutSeconds, a
//! failed sibling branch, Ctrl-C, SIGTERM) the future is dropped and the whole group gets
//! SIGKILL; when the program exits, whatever it left running in its group gets SIGKILL too,
//! so a background child neither outlives the task nor keeps it waiting on stdout.
//! A program that cannot be started is a configuration fault, not a task failure: no Catch
//! can hide it.
//!
//! Commands only ever come from the user's handler configuration or flags, never from a
//! state machine definition.

use crate::engine::{Failure, Fault, TaskError, TaskHandler, TaskRequest};
use futures::future::BoxFuture;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Stdio;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How much of stderr becomes the cause of a `States.TaskFailed`.
const STDERR_TAIL: usize = 4096;

/// A program, its extra environment and its working directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    /// Program and arguments; never empty.
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
}

impl CommandSpec {
    /// `sh -c LINE` in the current directory: the form of `--local STATE=LINE`.
    pub fn shell(line: &str) -> CommandSpec {
        CommandSpec {
            argv: vec!["sh".into(), "-c".into(), line.into()],
            env: Vec::new(),
            cwd: None,
        }
    }

    /// The command as people read it, for messages.
    pub fn shown(&self) -> String {
        self.argv.join(" ")
    }
}

/// Runs one program per Task invocation.
pub struct CommandHandler {
    spec: CommandSpec,
    /// `http://127.0.0.1:PORT` of the callback server, passed to `.waitForTaskToken` commands.
    callback_endpoint: Option<String>,
}

impl CommandHandler {
    pub fn new(spec: CommandSpec, callback_endpoint: Option<String>) -> Self {
        CommandHandler {
            spec,
            callback_endpoint,
        }
    }

    async fn run(&self, request: TaskRequest) -> Result<Value, TaskError> {
        let spec = &self.spec;
        let Some((program, args)) = spec.argv.split_first() else {
            return Err(Fault::new(format!(
                "the command for state `{}` is empty",
                request.state_name
            ))
            .into());
        };
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .env("ASL_STATE_NAME", &request.state_name)
            .env("ASL_RESOURCE", &request.resource.arn)
            .env("ASL_CONTEXT", request.context.to_string());
        #[cfg(unix)]
        cmd.process_group(0);
        if let Some(c) = &request.credentials {
            cmd.env("ASL_CREDENTIALS", c.to_string());
        }
        if let Some(t) = &request.task_token {
            cmd.env("ASL_TASK_TOKEN", t);
        }
        // Any command may answer a token it was given in its input (a child execution's
        // worker calling back for its parent), so the endpoint is there whenever it runs.
        if let Some(e) = &self.callback_endpoint {
            cmd.env("ASL_CALLBACK_ENDPOINT", e);
        }
        for (k, v) in &spec.env {
            cmd.env(k, v);
        }
        if let Some(d) = &spec.cwd {
            cmd.current_dir(d);
        }
        let mut child = cmd.spawn().map_err(|e| {
            Fault::new(format!(
                "cannot start the command `{}` for state `{}`{}: {e}",
                spec.shown(),
                request.state_name,
                spec.cwd
                    .as_ref()
                    .map(|d| format!(" in `{}`", d.display()))
                    .unwrap_or_default()
            ))
        })?;
        // Kills the whole group if this future is dropped before the program ends.
        let pid = child.id();
        let mut group = GroupGuard(pid);
        let input = format!("{}\n", request.input);
        let mut stdin = child.stdin.take();
        let mut stdout = child.stdout.take();
        let mut stderr = child.stderr.take();
        let write = async {
            if let Some(mut s) = stdin.take() {
                // A program that does not read its input closes the pipe early: not an error.
                let _ = s.write_all(input.as_bytes()).await;
                let _ = s.shutdown().await;
            }
        };
        // A program that floods stdout is stopped at the cap, not read into memory whole.
        let read_out = async {
            let mut buf = Vec::new();
            if let Some(s) = stdout.as_mut() {
                let _ = s.take(STDOUT_CAP + 1).read_to_end(&mut buf).await;
            }
            if buf.len() as u64 > STDOUT_CAP {
                kill_group(pid);
            }
            buf
        };
        // Of stderr only the end is shown: keep a bounded tail of it.
        let read_err = async {
            let mut buf = Vec::new();
            if let Some(s) = stderr.as_mut() {
                let mut chunk = [0u8; 8192];
                while let Ok(n) = s.read(&mut chunk).await {
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.len() > 2 * STDERR_KEEP {
                        buf.drain(..buf.len() - STDERR_KEEP);
                    }
                }
            }
            buf
        };
        // When the program ends, what it left running in its group ends too: a background
        // child would otherwise hold stdout open and the task would wait for it.
        let exited = async {
            let status = child.wait().await;
            kill_group(pid);
            status
        };
        let (((), out, err), status) =
            tokio::join!(async { tokio::join!(write, read_out, read_err) }, exited);
        group.0 = None;
        if out.len() as u64 > STDOUT_CAP {
            return Err(TaskError::Failed(Failure::new(
                "States.DataLimitExceeded",
                format!(
                    "the command `{}` of state `{}` wrote more than {} MiB on stdout; it was stopped",
                    spec.shown(),
                    request.state_name,
                    STDOUT_CAP >> 20
                ),
            )));
        }
        let status = status.map_err(|e| {
            Fault::new(format!(
                "cannot wait for the command `{}` of state `{}`: {e}",
                spec.shown(),
                request.state_name
            ))
        })?;
        interpret(status.code(), &out, &err).map_err(TaskError::Failed)
    }
}

impl TaskHandler for CommandHandler {
    fn name(&self) -> &str {
        "command"
    }

    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, Result<Value, TaskError>> {
        Box::pin(self.run(request))
    }
}

/// The most a command may write on stdout (a task result is at most 256 KiB on AWS; this
/// leaves room for `--no-payload-limit`).
const STDOUT_CAP: u64 = 64 << 20;
/// How much of the end of stderr is kept for the failure's cause.
const STDERR_KEEP: usize = 64 << 10;

/// Sends SIGKILL to the process group of `pid`.
fn kill_group(pid: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) has no memory effects; a group that is already gone gives ESRCH.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    #[cfg(not(unix))]
    let _ = pid;
}

/// Sends SIGKILL to the process group on drop, unless disarmed (`.0 = None`).
struct GroupGuard(Option<u32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(pid) = self.0.and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: kill(2) has no memory effects; a group that is already gone gives ESRCH.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
}

/// Turns an exit status (`None`: killed by a signal), stdout and stderr into the task's answer.
fn interpret(code: Option<i32>, out: &[u8], err: &[u8]) -> Result<Value, Failure> {
    let text = String::from_utf8_lossy(out);
    if code == Some(0) {
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        return serde_json::from_str(&text).map_err(|e| {
            Failure::new(
                "States.TaskFailed",
                format!("the command's stdout is not JSON ({e}): {}", tail(&text)),
            )
        });
    }
    if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&text)
        && let Some(Value::String(error)) = m.get("Error")
    {
        let cause = match m.get("Cause") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        };
        return Err(Failure {
            error: error.clone(),
            cause,
        });
    }
    let how = match code {
        Some(c) => format!("the command exited with status {c}"),
        None => "the command was killed by a signal".to_string(),
    };
    let stderr = String::from_utf8_lossy(err);
    let stderr = tail(stderr.trim_end());
    Err(Failure::new(
        "States.TaskFailed",
        if stderr.is_empty() {
            how
        } else {
            format!("{how}: {stderr}")
        },
    ))
}

/// The last `STDERR_TAIL` bytes of `s`, cut at a character boundary.
fn tail(s: &str) -> &str {
    if s.len() <= STDERR_TAIL {
        return s;
    }
    let mut i = s.len() - STDERR_TAIL;
    while !s.is_char_boundary(i) {
        i += 1;
    }
    &s[i..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::Resource;
    use serde_json::json;

    fn request(input: Value) -> TaskRequest {
        TaskRequest {
            state_name: "S".into(),
            resource: Resource::parse("arn:aws:states:::lambda:invoke"),
            input,
            credentials: None,
            task_token: None,
            timeout: None,
            heartbeat: None,
            context: json!({"State": {"Name": "S"}}),
            submitted: None,
            started: None,
            visit: 0,
        }
    }

    fn sh(line: &str) -> CommandHandler {
        CommandHandler::new(CommandSpec::shell(line), None)
    }

    fn block<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|rt| rt.block_on(f))
            .unwrap_or_else(|e| panic!("runtime: {e}"))
    }

    #[test]
    fn interprets_exit_status_and_output() {
        assert_eq!(interpret(Some(0), b"{\"a\":1}\n", b""), Ok(json!({"a": 1})));
        assert_eq!(interpret(Some(0), b"  \n", b""), Ok(Value::Null));
        let f = interpret(Some(0), b"nope", b"").unwrap_err();
        assert_eq!(f.error, "States.TaskFailed");
        // A result may contain "Error": only a non-zero exit makes it a named error.
        assert_eq!(
            interpret(Some(0), b"{\"Error\":\"E\"}", b""),
            Ok(json!({"Error": "E"}))
        );
        let f = interpret(Some(3), b"{\"Error\":\"Busy\",\"Cause\":\"later\"}", b"x").unwrap_err();
        assert_eq!(f, Failure::new("Busy", "later"));
        let f = interpret(Some(1), b"", b"line1\nboom\n").unwrap_err();
        assert_eq!(
            f,
            Failure::new(
                "States.TaskFailed",
                "the command exited with status 1: line1\nboom"
            )
        );
        let f = interpret(None, b"", b"").unwrap_err();
        assert_eq!(
            f.cause.as_deref(),
            Some("the command was killed by a signal")
        );
    }

    #[test]
    fn keeps_the_tail_of_long_stderr() {
        let long = format!("{}é{}", "a".repeat(5000), "b".repeat(4095));
        let t = tail(&long);
        assert!(t.len() <= STDERR_TAIL && t.ends_with('b'));
    }

    #[test]
    fn feeds_stdin_and_reads_stdout() {
        let h = sh("cat");
        let v = block(h.invoke(request(json!({"x": [1, 2]})))).unwrap();
        assert_eq!(v, json!({"x": [1, 2]}));
        let h = sh("printf '%s' \"$ASL_STATE_NAME\" | sed 's/.*/\"&\"/'");
        assert_eq!(block(h.invoke(request(json!(null)))).unwrap(), json!("S"));
    }

    #[test]
    fn a_missing_program_is_a_fault_not_a_failure() {
        let h = CommandHandler::new(
            CommandSpec {
                argv: vec!["/nonexistent/asl-test-program".into()],
                env: vec![],
                cwd: None,
            },
            None,
        );
        match block(h.invoke(request(json!({})))) {
            Err(TaskError::Fault(f)) => assert!(f.message.contains("cannot start"), "{f}"),
            other => panic!("expected a fault, got {other:?}"),
        }
    }

    /// Whether `pid` names a live process (a zombie is dead: it only waits to be reaped).
    #[cfg(target_os = "linux")]
    fn alive(pid: &str) -> bool {
        std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
            .ok()
            .and_then(|s| {
                s.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().next().map(str::to_string))
            })
            .is_some_and(|state| state != "Z" && state != "X")
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_background_child_neither_outlives_the_command_nor_delays_its_result() {
        use std::time::{Duration, Instant};
        let dir = std::env::temp_dir().join(format!("asl-cmd-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let pidfile = dir.join("pid");
        let h = sh(&format!(
            "sleep 30 & echo $! > '{}'; echo 1",
            pidfile.display()
        ));
        let started = Instant::now();
        assert_eq!(block(h.invoke(request(json!({})))).unwrap(), json!(1));
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        // SIGKILL was sent before; dying takes the kernel a moment.
        let sent = Instant::now();
        while alive(&pid) {
            assert!(
                sent.elapsed() < Duration::from_secs(2),
                "the background child {pid} outlived the command"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Process groups are a Unix notion; on Windows only the direct child is killed.
    #[cfg(unix)]
    #[test]
    fn dropping_the_task_kills_the_process_group() {
        use std::time::Duration;
        let dir = std::env::temp_dir().join(format!("asl-cmd-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let marker = dir.join("survived");
        // The grandchild would write the marker after 1 s unless the group is killed.
        let line = format!("(sleep 1; touch '{}') & sleep 30", marker.display());
        let h = sh(&line);
        block(async {
            let r = tokio::time::timeout(Duration::from_millis(200), h.invoke(request(json!({}))))
                .await;
            assert!(r.is_err(), "the command should still be running");
            tokio::time::sleep(Duration::from_millis(1500)).await;
        });
        assert!(!marker.exists(), "a child of the command outlived the task");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
