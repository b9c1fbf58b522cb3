//! `memcpy` and `memmove` for the static musl build on x86_64.
//!
//! musl's x86_64 `memcpy` copies every block of 8 bytes or more with `rep movsq`, whose start-up
//! costs some thirty cycles; an execution makes hundreds of thousands of small copies (strings,
//! JSON nodes), and the musl binary ran the benchmark workloads 35-50 % slower than the glibc
//! one while executing fewer instructions. These copy up to 64 bytes with a few unaligned loads
//! and stores, all loads before any store (so overlapping blocks are safe, which `memmove`
//! needs), and longer blocks with `rep movsb`, which current processors run at full speed
//! (ERMS/FSRM). They are defined here, ahead of the C library in the link, so musl's are
//! never linked: both, since musl's `memmove` calls into its `memcpy`.
//!
//! No loop is written in Rust: the compiler could turn one back into a call of `memcpy`.
//! The functions are compiled, and tested, on every x86_64 target; only the musl build exports
//! them under the C names.

use core::arch::asm;
use core::ptr::{read_unaligned as load, write_unaligned as store};

/// Copies `n <= 64` bytes, loading all of them before storing any.
///
/// # Safety
/// `src` and `dst` are valid for `n` bytes.
#[inline(always)]
unsafe fn small(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: every access below lies within the first `n` bytes of `src` or `dst`.
    unsafe {
        if n >= 32 {
            let a = load(src.cast::<u128>());
            let b = load(src.add(16).cast::<u128>());
            let c = load(src.add(n - 32).cast::<u128>());
            let d = load(src.add(n - 16).cast::<u128>());
            store(dst.cast::<u128>(), a);
            store(dst.add(16).cast::<u128>(), b);
            store(dst.add(n - 32).cast::<u128>(), c);
            store(dst.add(n - 16).cast::<u128>(), d);
        } else if n >= 16 {
            let a = load(src.cast::<u128>());
            let b = load(src.add(n - 16).cast::<u128>());
            store(dst.cast::<u128>(), a);
            store(dst.add(n - 16).cast::<u128>(), b);
        } else if n >= 8 {
            let a = load(src.cast::<u64>());
            let b = load(src.add(n - 8).cast::<u64>());
            store(dst.cast::<u64>(), a);
            store(dst.add(n - 8).cast::<u64>(), b);
        } else if n >= 4 {
            let a = load(src.cast::<u32>());
            let b = load(src.add(n - 4).cast::<u32>());
            store(dst.cast::<u32>(), a);
            store(dst.add(n - 4).cast::<u32>(), b);
        } else if n > 0 {
            // 1 to 3 bytes: the first, the middle and the last cover them all.
            let a = *src;
            let b = *src.add(n / 2);
            let c = *src.add(n - 1);
            *dst = a;
            *dst.add(n / 2) = b;
            *dst.add(n - 1) = c;
        }
    }
}

/// Copies `n` bytes forwards with `rep movsb`: correct for overlapping blocks when
/// `dst < src`, as the instruction moves byte by byte in effect.
///
/// # Safety
/// `src` and `dst` are valid for `n` bytes.
#[inline(always)]
unsafe fn forwards(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the caller's promise; the direction flag is clear, as the ABI requires.
    unsafe {
        asm!("rep movsb", inout("rcx") n => _, inout("rdi") dst => _, inout("rsi") src => _,
             options(nostack, preserves_flags));
    }
}

/// The C library's `memcpy`, exported in the musl build only.
///
/// # Safety
/// As C's: `src` and `dst` valid for `n` bytes and not overlapping.
#[cfg_attr(all(target_env = "musl", not(test)), unsafe(no_mangle))]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller's promise.
    unsafe {
        if n <= 64 {
            small(dst, src, n);
        } else {
            forwards(dst, src, n);
        }
    }
    dst
}

/// The C library's `memmove`, exported in the musl build only.
///
/// # Safety
/// As C's: `src` and `dst` valid for `n` bytes.
#[cfg_attr(all(target_env = "musl", not(test)), unsafe(no_mangle))]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller's promise.
    unsafe {
        if n <= 64 {
            small(dst, src, n);
        } else if (dst as usize).wrapping_sub(src as usize) >= n {
            // `dst` below `src`, or past its end: a forward copy never reads a byte it wrote.
            forwards(dst, src, n);
        } else {
            // `dst` inside the source: copy from the end down, then restore the direction.
            asm!("std", "rep movsb", "cld",
                 inout("rcx") n => _,
                 inout("rdi") dst.add(n - 1) => _,
                 inout("rsi") src.add(n - 1) => _,
                 options(nostack));
        }
    }
    dst
}

#[cfg(test)]
mod tests {
    /// Every length up to 300 at every alignment up to 16, against the slice copy.
    #[test]
    fn memcpy_copies_every_length_and_alignment() {
        let src: Vec<u8> = (0..400u32).map(|i| (i * 7 + 3) as u8).collect();
        for n in 0..=300 {
            for (from, to) in [(0, 0), (1, 3), (7, 0), (0, 9), (15, 16)] {
                let mut dst = vec![0xAAu8; 400];
                // SAFETY: both ranges lie inside their vectors.
                let ret =
                    unsafe { super::memcpy(dst.as_mut_ptr().add(to), src.as_ptr().add(from), n) };
                assert_eq!(ret, dst.as_mut_ptr().wrapping_add(to));
                assert_eq!(
                    &dst[to..to + n],
                    &src[from..from + n],
                    "n={n} from={from} to={to}"
                );
                assert!(
                    dst[..to].iter().chain(&dst[to + n..]).all(|b| *b == 0xAA),
                    "n={n}: wrote outside"
                );
            }
        }
    }

    /// Overlapping moves both ways, against `copy_within`.
    #[test]
    fn memmove_handles_overlap_both_ways() {
        let start: Vec<u8> = (0..700u32).map(|i| (i * 13 + 1) as u8).collect();
        for n in [
            0, 1, 2, 3, 5, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 255, 256, 300,
        ] {
            for shift in [1usize, 2, 7, 8, 16, 33, 64, 65, 200] {
                for (from, to) in [(100, 100 + shift), (100 + shift, 100)] {
                    let mut ours = start.clone();
                    let mut want = start.clone();
                    want.copy_within(from..from + n, to);
                    let p = ours.as_mut_ptr();
                    // SAFETY: both ranges lie inside the vector.
                    unsafe { super::memmove(p.add(to), p.add(from), n) };
                    assert_eq!(ours, want, "n={n} from={from} to={to}");
                }
            }
        }
    }
}
