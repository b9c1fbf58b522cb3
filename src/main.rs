//! The `asl` binary: parse the command line, run the subcommand, map the outcome to an exit code.
//!
//! On Unix, `main` is the C entry point itself (`no_main`): Rust's usual start-up would first
//! read `/proc/self/maps` to find the main thread's stack and install a stack-overflow handler,
//! which costs more than a short run of `asl` does (docs/PERFORMANCE.md). A stack overflow
//! still ends the process (by SIGSEGV). SIGPIPE is ignored as Rust's start-up does, so that
//! writing to a command that exited is an error the handler reports, not the end of `asl`.
//! The command line comes from `argv`: without its start-up, std finds it only on glibc.
//! Elsewhere (Windows) Rust's own start-up runs: none of this applies there.
#![cfg_attr(all(unix, not(test)), no_main)]

#[cfg(all(target_arch = "x86_64", any(test, target_env = "musl")))]
mod musl_mem;

/// An execution allocates many small, short-lived JSON nodes; mimalloc serves them markedly
/// faster than the system allocator, and its arenas, committed up front, let the kernel back
/// them with huge pages: a few page faults instead of thousands (docs/PERFORMANCE.md).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// mimalloc, asked for plain blocks whenever their natural alignment is enough.
///
/// The `mimalloc` crate passes every request to `mi_malloc_aligned`, whose checks cost about as
/// much again as the allocation itself and which takes a slow path whenever the next free block
/// happens to be misaligned. A block of at least `align` bytes with `align <= 16` is aligned
/// by `mi_malloc` itself (mimalloc's `mi_malloc_is_naturally_aligned`); nearly every Rust
/// allocation is such a block.
#[cfg(not(feature = "system-allocator"))]
struct MiMalloc;

#[cfg(not(feature = "system-allocator"))]
mod mi {
    use libmimalloc_sys as ffi;
    use std::alloc::{GlobalAlloc, Layout};
    use std::ffi::c_void;

    /// mimalloc's `MI_MAX_ALIGN_SIZE`: the alignment its blocks of this size or more have.
    const NATURAL: usize = 16;

    fn natural(size: usize, align: usize) -> bool {
        align <= NATURAL && align <= size
    }

    // SAFETY: every method hands the request to mimalloc, whose blocks satisfy the layout:
    // the plain calls only when the block is naturally aligned (above), the aligned ones
    // otherwise; `mi_free` and `mi_realloc` accept blocks from either kind of call.
    unsafe impl GlobalAlloc for super::MiMalloc {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: see the impl.
            unsafe {
                if natural(layout.size(), layout.align()) {
                    ffi::mi_malloc(layout.size()).cast()
                } else {
                    ffi::mi_malloc_aligned(layout.size(), layout.align()).cast()
                }
            }
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            // SAFETY: see the impl.
            unsafe {
                if natural(layout.size(), layout.align()) {
                    ffi::mi_zalloc(layout.size()).cast()
                } else {
                    ffi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
                }
            }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
            // SAFETY: see the impl.
            unsafe { ffi::mi_free(ptr.cast::<c_void>()) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: see the impl.
            unsafe {
                if natural(new_size, layout.align()) {
                    ffi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
                } else {
                    ffi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
                }
            }
        }
    }
}

/// The stack the command runs on where the C library cannot size the main thread's (musl).
#[cfg(all(target_env = "musl", not(test)))]
const MAIN_STACK: usize = 8 << 20;

#[cfg(all(unix, not(test)))]
#[unsafe(no_mangle)]
extern "C" fn main(argc: std::ffi::c_int, argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    use std::ffi::{CStr, OsStr, OsString};
    use std::io::Write;
    use std::os::unix::ffi::OsStrExt;
    use std::process::ExitCode;
    // SAFETY: setting a signal's disposition to "ignore" before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    // The command line from `argv` itself: std only finds it without Rust's start-up on glibc.
    let args: Vec<OsString> = (0..usize::try_from(argc).unwrap_or(0))
        .map(|i| {
            // SAFETY: the C runtime passes `argc` pointers to NUL-terminated strings.
            let arg = unsafe { CStr::from_ptr(*argv.add(i)) };
            OsStr::from_bytes(arg.to_bytes()).to_os_string()
        })
        .collect();
    let run = || std::panic::catch_unwind(|| asl::cli::main_from(args));
    // musl cannot tell how far the main thread's stack may grow: it reports the part mapped so
    // far. `stacker`, which the JSONata engine asks before each evaluation, then finds it
    // nearly full and moves every evaluation onto a fresh stack (three system calls each:
    // JSONata ran eight times slower). So the command runs on a stack whose bounds are known,
    // of the size glibc's main thread gets.
    #[cfg(target_env = "musl")]
    let outcome = stacker::grow(MAIN_STACK, run);
    #[cfg(not(target_env = "musl"))]
    let outcome = run();
    let status = match outcome {
        // The exit codes `asl` documents: 0, 1, 2, 3 and 4.
        Ok(code) => [0u8, 1, 2, 3, 4]
            .into_iter()
            .find(|n| ExitCode::from(*n) == code)
            .map_or(2, std::ffi::c_int::from),
        // The panic hook has printed the message; 101 is what Rust's own start-up returns.
        Err(_) => 101,
    };
    let _ = std::io::stdout().flush();
    // Everything is written: end here, without the allocator's clean-up at exit, which
    // would hand memory back page by page (splitting its huge pages) just before the
    // kernel frees the whole address space anyway.
    // SAFETY: `_exit` ends the process; stdout is flushed and stderr is unbuffered.
    unsafe { libc::_exit(status) }
}

/// Windows: Rust's start-up and exit; there is no SIGPIPE to ignore.
#[cfg(not(unix))]
fn main() -> std::process::ExitCode {
    asl::cli::main()
}
