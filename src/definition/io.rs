//! The input/output fields every state shares: `InputPath`, `Parameters`/`Arguments`,
//! `ResultSelector`, `ResultPath`, `OutputPath` (JSONPath states) and `Output` (JSONata).

use crate::data::intrinsics::Call;
use crate::data::jsonata::Expression;
use crate::data::jsonpath::Path;
use crate::data::template::Template;

/// `InputPath` / `OutputPath`: absent means `$` (everything), `null` means `{}`.
#[derive(Debug, Clone, Default)]
pub enum Filter {
    #[default]
    All,
    Nothing,
    Path(Box<Path>),
}

/// `ResultPath`: absent means `$` (the result replaces the input), `null` discards the result.
#[derive(Debug, Clone, Default)]
pub enum ResultPath {
    #[default]
    Replace,
    Discard,
    At(Box<Path>),
}

/// The data-flow fields of one state. JSONPath states use the first five, JSONata states use
/// `parameters` (their `Arguments`) and `output`.
#[derive(Debug, Clone, Default)]
pub struct Io {
    pub input_path: Filter,
    pub parameters: Option<Box<Template>>,
    pub result_selector: Option<Box<Template>>,
    pub result_path: ResultPath,
    pub output_path: Filter,
    pub output: Option<Box<Template>>,
}

/// A value given literally, by a path, by an intrinsic call, or by a JSONata expression
/// (`Seconds`/`SecondsPath`, `TimeoutSeconds`/`TimeoutSecondsPath`, `MaxConcurrency`, ...).
#[derive(Debug, Clone)]
pub enum Dynamic<T> {
    Fixed(T),
    Path(Path),
    Intrinsic(Call),
    Expr(Expression),
}
