//! Links the `asl` binary as a position-dependent executable on Linux with glibc.
//!
//! A position-independent executable has tens of thousands of relative relocations (most of
//! them in the AWS SDK) that the loader applies, page by page, at every start; a fixed-address
//! executable has none, which takes about half a millisecond off every run
//! (docs/PERFORMANCE.md). `.cargo/config.toml` already asks for a static, fixed-address link;
//! this keeps the binary fixed-address when a build overrides those flags to link
//! dynamically. (musl links static-pie by default, which `-no-pie` would contradict.) The
//! library and its tests are unaffected.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
