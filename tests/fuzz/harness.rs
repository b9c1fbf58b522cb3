//! The fuzz loop: deterministic cases, a panic count, a watchdog for hangs, and a note of the
//! case being run when the process dies (a stack overflow aborts it).
//!
//! Case `i` of target `t` is generated from its own seed (`FUZZ_SEED`, the target's name and
//! `i`), so any case is replayed alone with `FUZZ_CASE=i` (it prints the input first).

use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Cases per target when `FUZZ_CASES` is not set: enough for `cargo test` to reach every
/// generator's branches, few enough to keep CI fast.
const DEFAULT_CASES: u64 = 300;

/// Stack of the thread that runs the inputs: the binary runs its work on the main thread,
/// whose stack is 8 MiB on Linux.
const STACK: usize = 8 << 20;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// FNV-1a, to give each target its own stream of seeds.
fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn rng_for(seed: u64, target: &str, case: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed ^ hash(target) ^ case.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// What the abort handler prints: the target and case running when the process died.
mod crash_note {
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

    static NAME_PTR: AtomicUsize = AtomicUsize::new(0);
    static NAME_LEN: AtomicUsize = AtomicUsize::new(0);
    pub static CASE: AtomicU64 = AtomicU64::new(0);
    pub static SEED: AtomicU64 = AtomicU64::new(0);

    pub fn set_target(name: &'static str) {
        NAME_PTR.store(name.as_ptr() as usize, Ordering::SeqCst);
        NAME_LEN.store(name.len(), Ordering::SeqCst);
    }

    #[cfg(unix)]
    pub fn install() {
        extern "C" fn on_abort(_: libc::c_int) {
            // Only async-signal-safe calls: write(2) of bytes formatted on the stack.
            let mut buf = [0u8; 256];
            let mut n = 0;
            let mut put = |bytes: &[u8], n: &mut usize| {
                for &b in bytes {
                    if *n < buf.len() {
                        buf[*n] = b;
                        *n += 1;
                    }
                }
            };
            fn digits(mut v: u64, out: &mut [u8; 20]) -> usize {
                let mut i = out.len();
                loop {
                    i -= 1;
                    out[i] = b'0' + (v % 10) as u8;
                    v /= 10;
                    if v == 0 {
                        return i;
                    }
                }
            }
            put(b"\nfuzz: CRASH in target `", &mut n);
            let (p, l) = (
                NAME_PTR.load(Ordering::SeqCst),
                NAME_LEN.load(Ordering::SeqCst),
            );
            if p != 0 {
                // SAFETY: set_target stored a &'static str's pointer and length.
                put(
                    unsafe { std::slice::from_raw_parts(p as *const u8, l) },
                    &mut n,
                );
            }
            let mut d = [0u8; 20];
            put(b"` at FUZZ_SEED=", &mut n);
            let i = digits(SEED.load(Ordering::SeqCst), &mut d);
            put(&d[i..], &mut n);
            put(b" FUZZ_CASE=", &mut n);
            let i = digits(CASE.load(Ordering::SeqCst), &mut d);
            put(&d[i..], &mut n);
            put(b"\n", &mut n);
            // SAFETY: writing a stack buffer to stderr.
            unsafe {
                libc::write(2, buf.as_ptr().cast(), n);
                libc::signal(libc::SIGABRT, libc::SIG_DFL);
            }
        }
        // SAFETY: installs a handler that only calls async-signal-safe functions.
        unsafe {
            libc::signal(
                libc::SIGABRT,
                on_abort as extern "C" fn(libc::c_int) as libc::sighandler_t,
            );
        }
    }

    #[cfg(not(unix))]
    pub fn install() {}
}

/// The outcome of one target's run.
pub struct Report {
    pub inputs: u64,
    pub panics: Vec<(u64, String)>,
    pub slowest: Duration,
}

/// Runs `cases` generated inputs through `run`, each under the watchdog's `limit`.
///
/// A panic is counted and the loop goes on; a hang (an input still running after `limit`)
/// prints the case and its input and ends the process, since a stuck thread cannot be
/// stopped. Fails the test when anything panicked.
pub fn fuzz<I: Debug + 'static>(
    target: &'static str,
    limit: Duration,
    generate: fn(&mut SmallRng) -> I,
    run: fn(&I),
) {
    quiet_panics();
    let seed = env_u64("FUZZ_SEED").unwrap_or(0);
    if let Some(case) = env_u64("FUZZ_CASE") {
        let input = generate(&mut rng_for(seed, target, case));
        eprintln!("fuzz {target}: FUZZ_SEED={seed} FUZZ_CASE={case}, input:\n{input:#?}");
        run(&input);
        eprintln!("fuzz {target}: case {case} ran without a panic");
        return;
    }
    let cases = env_u64("FUZZ_CASES").unwrap_or(DEFAULT_CASES);
    let hang = Duration::from_millis(env_u64("FUZZ_HANG_MS").unwrap_or(limit.as_millis() as u64));
    // Inputs slower than this are named as they finish (not a failure: see `hang`).
    let slow_ms = env_u64("FUZZ_SLOW_MS").unwrap_or(1000);
    let started = Instant::now();
    let busy_since = Arc::new(AtomicU64::new(u64::MAX));
    let current = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (busy_since, current, done) = (busy_since.clone(), current.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
                let since = busy_since.load(Ordering::SeqCst);
                if since == u64::MAX {
                    continue;
                }
                let now = started.elapsed().as_millis() as u64;
                if now.saturating_sub(since) > hang.as_millis() as u64 {
                    let case = current.load(Ordering::SeqCst);
                    let input = generate(&mut rng_for(seed, target, case));
                    let shown = format!("{input:?}");
                    eprintln!(
                        "\nfuzz: HANG in target `{target}`: case {case} ran over {} ms \
                         (replay: FUZZ_SEED={seed} FUZZ_CASE={case}); input (first 2000 chars): {}",
                        hang.as_millis(),
                        shown.chars().take(2000).collect::<String>()
                    );
                    std::process::exit(3);
                }
            }
        })
    };
    crash_note::install();
    crash_note::set_target(target);
    crash_note::SEED.store(seed, Ordering::SeqCst);
    let worker = {
        let (busy_since, current) = (busy_since.clone(), current.clone());
        std::thread::Builder::new()
            .name(format!("fuzz-{target}"))
            .stack_size(STACK)
            .spawn(move || {
                // Panics are counted here, not printed by the default hook for each case.
                let mut report = Report {
                    inputs: 0,
                    panics: Vec::new(),
                    slowest: Duration::ZERO,
                };
                for case in 0..cases {
                    let input = generate(&mut rng_for(seed, target, case));
                    current.store(case, Ordering::SeqCst);
                    crash_note::CASE.store(case, Ordering::SeqCst);
                    let t = Instant::now();
                    busy_since.store(started.elapsed().as_millis() as u64, Ordering::SeqCst);
                    let outcome = catch_unwind(AssertUnwindSafe(|| run(&input)));
                    busy_since.store(u64::MAX, Ordering::SeqCst);
                    let took = t.elapsed();
                    report.slowest = report.slowest.max(took);
                    if took.as_millis() as u64 > slow_ms {
                        eprintln!(
                            "fuzz {target}: slow input, FUZZ_CASE={case} took {} ms",
                            took.as_millis()
                        );
                    }
                    report.inputs += 1;
                    if let Err(p) = outcome {
                        let msg = p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        if report.panics.len() < 20 {
                            report.panics.push((case, msg));
                        } else {
                            report.panics.push((case, String::new()));
                        }
                    }
                }
                report
            })
            .expect("spawn the fuzz worker")
    };
    let report = worker
        .join()
        .expect("the fuzz worker itself does not panic");
    done.store(true, Ordering::SeqCst);
    let _ = watchdog.join();
    eprintln!(
        "fuzz {target}: {} inputs, {} panics, 0 hangs, slowest input {} ms, wall {:.1} s (FUZZ_SEED={seed})",
        report.inputs,
        report.panics.len(),
        report.slowest.as_millis(),
        started.elapsed().as_secs_f64()
    );
    if !report.panics.is_empty() {
        let shown: Vec<String> = report
            .panics
            .iter()
            .take(20)
            .map(|(case, msg)| format!("  FUZZ_CASE={case}: {msg}"))
            .collect();
        panic!(
            "fuzz {target}: {} inputs panicked (replay one with FUZZ_SEED={seed} FUZZ_CASE=n):\n{}",
            report.panics.len(),
            shown.join("\n")
        );
    }
}

/// Silences the default panic hook's message for panics on fuzz worker threads (they are
/// counted and reported together); others keep it.
pub fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let on_worker = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("fuzz-"));
            if !on_worker || std::env::var_os("FUZZ_CASE").is_some() {
                default(info);
            }
        }));
    });
}
