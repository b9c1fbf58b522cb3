//! The command line: one file per subcommand, rendering in `render.rs`, exit codes decided in
//! one place ([`CliError::code`]).
//!
//! stdout carries data only (the execution output, `--format json` reports); messages for
//! people go to stderr.

mod aws_args;
mod completions;
mod error;
mod eval;
mod graph;
mod man;
mod overlay;
mod record;
#[cfg(feature = "aws")]
mod remote;
mod render;
mod run;
mod serve;
mod stdout;
#[cfg(feature = "aws")]
mod step_functions;
mod test;
mod trace;
mod validate;

pub use error::CliError;

use clap::{ArgMatches, Args, FromArgMatches, Parser, Subcommand};
use std::ffi::OsString;
use std::process::ExitCode;

const ABOUT: &str =
    "Run, validate and test AWS Step Functions (Amazon States Language) state machines locally.";

const AFTER_HELP: &str = "\
Examples:
  asl run asl-samples/hello.asl.json --input '{\"name\": \"Ada\"}'
  asl run pipeline.asl.json --input-file input.json --mock-config mocks.json --test-case HappyPath
  asl eval --jsonata '$sum(items.price)' --input-file order.json
  asl validate machine.asl.json template.yaml --format json
  asl test asl-samples --coverage --junit junit.xml
  asl graph machine.asl.json -o machine.html
  asl record history.json --definition machine.asl.json --out incident/
  asl run machine.asl.json --replay history.json
  asl run machine.asl.json --remote --role-arn ROLE --compare-local
  asl completions bash > ~/.local/share/bash-completion/completions/asl

Exit codes: 0 success, 1 the execution (or the evaluation) failed or `validate` found an invalid\ndefinition or an `asl test` case failed, 2 usage or input error: a bad flag, an unreadable or malformed file, an invalid\ndefinition given to `run`; 3 a replay (`run --replay`, `record`) departed from its record; 4 `run --remote --compare-local`: AWS and asl differ.";

#[derive(Parser, Debug)]
#[command(name = "asl", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands. Their arguments are described by each one's `Args` derive; the list
/// below ([`SUBCOMMANDS`]) names them with their one-line help and defers building their
/// arguments until clap enters one (`Command::defer`): `asl run` builds `run`'s arguments
/// only, not all nine subcommands' (a quarter of a short run's start-up instructions), while
/// `--help`, completions and the manual page (which build the whole tree) see every one.
#[derive(Debug)]
pub enum Command {
    Run(Box<run::RunArgs>),
    Eval(eval::EvalArgs),
    Validate(validate::ValidateArgs),
    Test(Box<test::TestArgs>),
    Graph(graph::GraphArgs),
    Record(record::RecordArgs),
    Serve(serve::ServeArgs),
    Completions(completions::CompletionsArgs),
    Man(man::ManArgs),
}

/// One subcommand: its name, its one-line help (without a final period, as clap's derive
/// writes a doc comment), how its arguments are added, and how its parsed arguments become
/// a [`Command`].
struct Sub {
    name: &'static str,
    about: &'static str,
    args: fn(clap::Command) -> clap::Command,
    build: fn(&mut ArgMatches) -> Result<Command, clap::Error>,
}

const SUBCOMMANDS: [Sub; 9] = [
    Sub {
        name: "run",
        about: "Run a state machine on an input and print its output",
        args: run::RunArgs::augment_args,
        build: |m| {
            Ok(Command::Run(Box::new(run::RunArgs::from_arg_matches_mut(
                m,
            )?)))
        },
    },
    Sub {
        name: "eval",
        about: "Evaluate a JSONata expression, JSONPath path or intrinsic call against a JSON document",
        args: eval::EvalArgs::augment_args,
        build: |m| Ok(Command::Eval(eval::EvalArgs::from_arg_matches_mut(m)?)),
    },
    Sub {
        name: "validate",
        about: "Check definitions against every rule AWS enforces, without running them",
        args: validate::ValidateArgs::augment_args,
        build: |m| {
            Ok(Command::Validate(
                validate::ValidateArgs::from_arg_matches_mut(m)?,
            ))
        },
    },
    Sub {
        name: "test",
        about: "Run declarative tests (*.test.yaml / *.test.json) with coverage and CI reports",
        args: test::TestArgs::augment_args,
        build: |m| {
            Ok(Command::Test(Box::new(
                test::TestArgs::from_arg_matches_mut(m)?,
            )))
        },
    },
    Sub {
        name: "graph",
        about: "Draw a state machine as SVG, HTML, Graphviz dot or a mermaid flowchart",
        args: graph::GraphArgs::augment_args,
        build: |m| Ok(Command::Graph(graph::GraphArgs::from_arg_matches_mut(m)?)),
    },
    Sub {
        name: "record",
        about: "Turn an execution's history (AWS's or `asl run --history`'s) into a test `asl test` \
                runs: the recorded answers as mocks, what the execution did as expectations",
        args: record::RecordArgs::augment_args,
        build: |m| {
            Ok(Command::Record(record::RecordArgs::from_arg_matches_mut(
                m,
            )?))
        },
    },
    Sub {
        name: "serve",
        about: "Serve the Step Functions API on localhost (a drop-in for Step Functions Local)",
        args: serve::ServeArgs::augment_args,
        build: |m| Ok(Command::Serve(serve::ServeArgs::from_arg_matches_mut(m)?)),
    },
    Sub {
        name: "completions",
        about: "Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout",
        args: completions::CompletionsArgs::augment_args,
        build: |m| {
            Ok(Command::Completions(
                completions::CompletionsArgs::from_arg_matches_mut(m)?,
            ))
        },
    },
    Sub {
        name: "man",
        about: "Print the manual page (roff) on stdout: `asl man | man -l -`",
        args: man::ManArgs::augment_args,
        build: |m| Ok(Command::Man(man::ManArgs::from_arg_matches_mut(m)?)),
    },
];

impl Subcommand for Command {
    fn augment_subcommands(mut cmd: clap::Command) -> clap::Command {
        for sub in SUBCOMMANDS {
            cmd = cmd.subcommand(
                clap::Command::new(sub.name)
                    .about(sub.about)
                    .defer(sub.args),
            );
        }
        cmd.subcommand_required(true)
    }

    fn augment_subcommands_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_subcommands(cmd)
    }

    fn has_subcommand(name: &str) -> bool {
        SUBCOMMANDS.iter().any(|sub| sub.name == name)
    }
}

impl FromArgMatches for Command {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Self::from_arg_matches_mut(&mut matches.clone())
    }

    fn from_arg_matches_mut(matches: &mut ArgMatches) -> Result<Self, clap::Error> {
        let Some((name, mut sub)) = matches.remove_subcommand() else {
            return Err(clap::Error::raw(
                clap::error::ErrorKind::MissingSubcommand,
                "a subcommand is required",
            ));
        };
        match SUBCOMMANDS.iter().find(|s| s.name == name) {
            Some(s) => (s.build)(&mut sub),
            None => Err(clap::Error::raw(
                clap::error::ErrorKind::InvalidSubcommand,
                format!("no subcommand `{name}`"),
            )),
        }
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

/// Parses the process's command line, runs the subcommand, and turns the outcome into an exit
/// code.
pub fn main() -> ExitCode {
    main_from(std::env::args_os())
}

/// [`main`] on the given command line, the program's name first. The binary's C entry point
/// passes its `argv` here: without Rust's start-up, `std::env::args` is empty on musl (only
/// glibc hands `argv` to the initialisers std reads it in).
pub fn main_from(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(serve::jar_spellings(args.into_iter().collect())) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    let result = match cli.command {
        Command::Run(args) => run::run(*args),
        Command::Eval(args) => eval::eval(args),
        Command::Validate(args) => validate::run(args),
        Command::Test(args) => test::run(*args),
        Command::Graph(args) => graph::run(args),
        Command::Record(args) => record::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            say!("{e}");
            ExitCode::from(e.code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_deferred_tree_is_one_clap_accepts() {
        Cli::command().debug_assert();
    }

    #[test]
    fn each_subcommand_keeps_its_one_line_help_once_its_arguments_are_built() {
        let mut cmd = Cli::command();
        cmd.build();
        for sub in SUBCOMMANDS {
            let built = cmd
                .find_subcommand(sub.name)
                .and_then(|c| c.get_about())
                .map(|a| a.to_string());
            assert_eq!(built.as_deref(), Some(sub.about), "{}", sub.name);
        }
    }

    #[test]
    fn every_listed_subcommand_parses_into_its_own_variant() {
        let argv: [&[&str]; 9] = [
            &["run", "m.json"],
            &["eval", "--jsonata", "1"],
            &["validate", "m.json"],
            &["test", "dir"],
            &["graph", "m.json"],
            &["record", "h.json"],
            &["serve"],
            &["completions", "bash"],
            &["man"],
        ];
        for (args, name) in argv.iter().zip(SUBCOMMANDS.map(|s| s.name)) {
            assert_eq!(args[0], name);
            let cli = Cli::try_parse_from(std::iter::once("asl").chain(args.iter().copied()))
                .unwrap_or_else(|e| panic!("`asl {}` does not parse: {e}", args.join(" ")));
            let variant = format!("{:?}", cli.command);
            let want = name[..1].to_uppercase() + &name[1..];
            assert!(variant.starts_with(&want), "`{name}` became {variant}");
        }
    }
}
