//! Embeds the client's bundle (`js-extension/client/dist`, made by `npm run bundle` there) into
//! the binary, so the service serves exactly the files it was built with, from memory.
//!
//! A checkout whose bundle was never built still compiles (`cargo clippy` and the Rust-only
//! suites need no Node), with an empty table: the service then answers every session page with
//! 503 `client_unavailable` and a sentence saying how to build it, and `doctor` says so. Every
//! script that builds the binary for use (`scripts/lab`, `scripts/test`, `scripts/wheel`,
//! `scripts/bench`) builds the bundle first.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rerun-if-env-changed=FIREFOX_LAUNCHER_CLIENT_DIST");
    let dist = std::env::var_os("FIREFOX_LAUNCHER_CLIENT_DIST").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("../../js-extension/client/dist")
    });
    // Watch the directory itself: its appearance (a first bundle) must rebuild this crate.
    println!("cargo::rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        collect(&dist, &dist, &mut files);
    } else {
        println!(
            "cargo::warning=no client bundle at {} (run `npm ci && npm run build && npm run bundle` in js-extension/client): \
             this build serves no session page",
            dist.display()
        );
    }
    files.sort();
    let mut table = String::from("&[\n");
    for (relative, absolute) in &files {
        println!("cargo::rerun-if-changed={}", absolute.display());
        writeln!(table, "    ({relative:?}, include_bytes!({:?})),", absolute.display().to_string()).expect("a String");
    }
    table.push(']');
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("files.rs");
    std::fs::write(out, table).expect("writing OUT_DIR/files.rs");
}

/// Every regular file under `dir`, as (path relative to `root` with `/`, absolute path).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        println!("cargo::rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.is_file() {
            let relative = path.strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
            let absolute = path.canonicalize().unwrap_or_else(|e| panic!("resolving {}: {e}", path.display()));
            files.push((relative, absolute));
        }
    }
}
