//! `asl graph`: draw a definition as SVG, a self-contained HTML page, Graphviz dot or a
//! mermaid flowchart. The definition is loaded as `asl run` loads it; the drawing is
//! [`crate::graph`]'s.

use super::error::CliError;
use crate::graph::{self, Diagram};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const GRAPH_HELP: &str = "\
Examples:
  asl graph machine.asl.json -o machine.svg
  asl graph machine.asl.json -o machine.html          # click a state for its details
  asl graph template.yaml#OrderFlow --format mermaid  # paste into a GitHub Markdown file
  asl graph machine.asl.json --format dot | dot -Tpng -o machine.png

Without --format, the format follows the -o file's extension (.svg, .html/.htm, .dot/.gv,
.mmd/.mermaid/.md), else svg; without -o, the drawing goes to stdout.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A self-contained SVG image.
    Svg,
    /// One HTML file: the SVG and a side panel with a clicked state's details.
    Html,
    /// Graphviz dot text, Map and Parallel as clusters.
    Dot,
    /// A mermaid `flowchart TD`, as GitHub renders it.
    Mermaid,
}

#[derive(Args, Debug)]
#[command(after_help = GRAPH_HELP)]
pub struct GraphArgs {
    /// The definition (JSON, YAML, or a CloudFormation/SAM template as `template.yaml#LogicalId`).
    #[arg(value_name = "DEFINITION")]
    pub definition: PathBuf,
    /// What to draw (default: from the -o extension, else svg).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The format a file name asks for, by its extension.
fn format_of(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "svg" => Format::Svg,
        "html" | "htm" => Format::Html,
        "dot" | "gv" => Format::Dot,
        "mmd" | "mermaid" | "md" => Format::Mermaid,
        _ => return None,
    })
}

pub fn run(args: GraphArgs) -> Result<ExitCode, CliError> {
    let format = args
        .format
        .or_else(|| args.output.as_deref().and_then(format_of))
        .unwrap_or(Format::Svg);
    let (machine, json) = super::run::load_definition_with_json(&args.definition)?;
    let diagram = Diagram::build(&machine, &json);
    let text = match format {
        Format::Svg => graph::svg(&diagram),
        Format::Html => graph::html(&diagram),
        Format::Dot => graph::dot(&diagram),
        Format::Mermaid => graph::mermaid(&diagram),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text).map_err(|e| {
            CliError::Input(format!("{}: error: cannot write: {e}", path.display()))
        })?,
        None => super::stdout::bytes(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}
