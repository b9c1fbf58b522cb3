//! Links the `asl` binary as a position-dependent executable on Linux.
//!
//! A position-independent executable has tens of thousands of relative relocations (most of
//! them in the AWS SDK) that the dynamic loader applies, page by page, at every start; a
//! fixed-address executable has none, which takes about half a millisecond off every run
//! (docs/PERFORMANCE.md). The library and its tests are unaffected.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
