//! `src/xpra31_sound.py` against Debian's Xpra 3.1.3 itself: its sound process's send path (real
//! `subprocess_callee` and `Protocol`, driven by `xpra31_queue_probe.py`) leaves a packet behind
//! as shipped and none once mended, and the script runs Xpra as Xpra's own script would.
//! Debian's `xpra` and `/usr/bin/python3` are required: without them these tests fail.

use std::path::{Path, PathBuf};
use std::process::Command;

const PYTHON: &str = "/usr/bin/python3";
const XPRA: &str = "/usr/bin/xpra";

fn here(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn run(args: &[&Path]) -> String {
    let out = Command::new(PYTHON).args(args).output().unwrap_or_else(|e| panic!("{PYTHON}: {e}"));
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{PYTHON} {args:?}: {}\n{stdout}\n{stderr}", out.status);
    stdout.trim().to_string()
}

fn probe(mode: &str) -> serde_json::Value {
    let out = run(&[&here("tests/xpra31_queue_probe.py"), &here("src/xpra31_sound.py"), Path::new(mode)]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("probe output {out:?}: {e}"))
}

#[test]
fn xpra_3_1_s_sound_queue_keeps_a_packet_back_as_shipped_and_none_once_mended() {
    // The control: the probe sees the loss the script is there for (two packets sent in one
    // turn, one reaches the writer).
    let shipped = probe("as-shipped");
    assert_eq!(shipped["written"], serde_json::json!(["warm-up", "new-buffer"]), "as shipped: {shipped}");
    let mended = probe("mended");
    assert_eq!(mended["mended"], true, "{mended}");
    assert_eq!(mended["written"], serde_json::json!(["warm-up", "new-buffer", "info"]), "mended: {mended}");
}

#[test]
fn the_script_runs_xpra_with_its_arguments() {
    let version = run(&[&here("src/xpra31_sound.py"), Path::new(XPRA), Path::new("--version")]);
    assert!(version.starts_with("xpra v3.1"), "{version}");
}
