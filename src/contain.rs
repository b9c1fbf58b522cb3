//! A boundary for third-party code that may panic on input `asl` hands it from a user's files.
//!
//! Some crates panic on malformed data instead of returning an error (the `parquet` crate on a
//! corrupt file: "column start and length should not be negative"). Where such a crate reads
//! what a user's files hold, [`contain`] runs the call under `catch_unwind` and turns a panic
//! into a [`Panicked`] value that the caller reports as an ordinary failure (for a
//! Distributed Map, `States.ItemReaderFailed`). The panic hook stays quiet for a contained
//! panic: its message on stderr would read as if `asl` itself had crashed. Panics anywhere
//! else (bugs in `asl`) are reported by the hook as before and still end the run.
//!
//! The data-flow code has the same need for jsonata-core (`data/jsonata`), which catches its
//! panics where it evaluates.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

thread_local! {
    /// How many [`contain`] calls this thread is inside: while above 0, the hook is quiet.
    static CONTAINED: Cell<u32> = const { Cell::new(0) };
}

/// A panic caught by [`contain`], with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Panicked(pub String);

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Runs `f`; a panic inside it becomes `Err(Panicked)` and prints nothing.
///
/// `f`'s captures are treated as unwind-safe: a caller must not use what `f` was changing when
/// it panicked (a half-updated reader) except to drop it.
pub(crate) fn contain<R>(f: impl FnOnce() -> R) -> Result<R, Panicked> {
    install_quiet_hook();
    CONTAINED.with(|c| c.set(c.get() + 1));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    CONTAINED.with(|c| c.set(c.get().saturating_sub(1)));
    outcome.map_err(|payload| {
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string());
        Panicked(text)
    })
}

/// Wraps the panic hook in place at the first call, once per process: the wrapper passes every
/// panic to the previous hook except those inside [`contain`] on the panicking thread.
fn install_quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CONTAINED.with(Cell::get) == 0 {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_is_a_value_with_its_message() {
        assert_eq!(contain(|| 7), Ok(7));
        let r: Result<(), _> = contain(|| panic!("bad {}", "input"));
        assert_eq!(r, Err(Panicked("bad input".into())));
        let r: Result<(), _> = contain(|| std::panic::panic_any(3_u8));
        assert_eq!(r, Err(Panicked("a panic without a message".into())));
        // Nested boundaries keep the hook quiet until the outermost one ends.
        let r = contain(|| contain(|| panic!("inner")).is_err());
        assert_eq!(r, Ok(true));
        assert_eq!(CONTAINED.with(Cell::get), 0);
    }
}
