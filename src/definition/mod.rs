//! The definition: the typed, validated model of a state machine, and the loader that builds it.
//!
//! `load/` walks the parsed JSON once, checks every field of every state (unknown, missing,
//! wrong type, bad path, bad transition target), compiles paths, templates, intrinsic calls,
//! JSONata expressions and choice rules, and collects every problem as a located
//! [`Diagnostic`]. Code after loading never re-checks what the model's types promise.
//!
//! One file per principal type: [`StateMachine`] and [`Graph`] (machine.rs), [`State`]
//! (state.rs) and one file per state type, [`Retrier`]/[`Catcher`] (retry.rs), [`Resource`]
//! (resource.rs), [`ErrorName`] (error_name.rs).

mod choice;
pub mod diagnostic;
mod distributed;
pub mod error_name;
mod fail;
mod io;
mod load;
mod machine;
mod map;
mod parallel;
mod resource;
mod retry;
mod state;
mod task;
mod wait;

pub use choice::{Choice, ChoiceBranch};
pub use diagnostic::{Code, Diagnostic, Pointer, Severity};
pub use distributed::{ItemBatcher, ItemReader, ReaderConfig, ReaderResource, ResultWriter};
pub use error_name::ErrorName;
pub use fail::Fail;
pub use io::{Dynamic, Filter, Io, ResultPath};
pub use load::{LoadError, Loaded, load_owned, load_str, load_value};
pub use machine::{Graph, QueryLanguage, StateMachine};
pub use map::{ItemsSource, Map, MapMode};
pub use parallel::Parallel;
pub use resource::{Pattern, Resource, ResourceKind};
pub use retry::{Catcher, Jitter, Retrier};
pub use state::{Kind, Next, State};
pub use task::Task;
pub use wait::Wait;
