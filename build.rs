//! Links the `asl` binary as a position-dependent executable on Linux with glibc.
//!
//! A position-independent executable has tens of thousands of relative relocations (most of
//! them in the AWS SDK) that the loader applies, page by page, at every start; a fixed-address
//! executable has none, which takes about half a millisecond off every run
//! (docs/PERFORMANCE.md). This gives the conventional, dynamically linked build
//! (`cargo build --release`, `cargo install`) that much with no extra flags and nothing more
//! than the C compiler every Rust build on Linux already links with. The shipped binaries
//! (scripts/release.sh) go further: static, with `relocation-model=static`, which on glibc
//! this `-no-pie` merely repeats. musl targets are left alone: there rustc links static-pie
//! by default, which `-no-pie` would contradict, and the release script's flags make them
//! fixed-address. The library and its tests are unaffected.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
