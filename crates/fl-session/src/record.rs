//! `record.json` in each session directory: what a later `serve` needs to decide, after a crash,
//! whether the session's processes are still ours, without trusting a pid alone.
//!
//! Written atomically (temp file + rename) when the directory is made, again once Xpra runs, and
//! once Xvfb is known. A pid only counts together with its start time, uid, boot id and hostname:
//! home directories are often one NFS share mounted on many nodes.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use fl_sys::ProcIdentity;
use serde::{Deserialize, Serialize};

pub const RECORD_FILE: &str = "record.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcRecord {
    pub pid: i32,
    pub start_time: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub port: u16,
    pub url: String,
    pub created_at: String,
    /// The value of the marker variable (`MARKER_ENV`) in every process of the session.
    pub marker: String,
    pub uid: u32,
    pub hostname: String,
    pub boot_id: String,
    /// The `serve` that started it.
    pub server: ProcRecord,
    pub xpra: Option<ProcRecord>,
    pub xvfb: Option<ProcRecord>,
    pub display: Option<u32>,
    /// An unclaimed warm-pool session.
    #[serde(default)]
    pub pooled: bool,
    /// What the session was asked for (profile, clipboard, folders).
    #[serde(default)]
    pub options: crate::SessionOptions,
}

impl ProcRecord {
    pub fn of(identity: ProcIdentity) -> Self {
        Self { pid: identity.pid, start_time: identity.start_time }
    }
    pub fn identity(self, uid: u32) -> ProcIdentity {
        ProcIdentity { pid: self.pid, start_time: self.start_time, uid }
    }
}

/// This process, as a record.
pub fn this_process() -> ProcRecord {
    let me = fl_sys::process_info(std::process::id() as i32).expect("our own /proc entry");
    ProcRecord::of(me.identity)
}

impl SessionRecord {
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let tmp = dir.join(".record.json.tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        file.write_all(&serde_json::to_vec_pretty(self).expect("a record serializes"))?;
        // No fsync: the rename is atomic for a crash of this process, and after a power loss
        // the boot id differs, so the record is ignored anyway.
        std::fs::rename(&tmp, dir.join(RECORD_FILE))
    }

    pub fn read(dir: &Path) -> std::io::Result<Self> {
        let bytes = std::fs::read(dir.join(RECORD_FILE))?;
        serde_json::from_slice(&bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }

    /// The Xpra process, if it still runs as the same process.
    pub fn live_xpra(&self) -> Option<ProcIdentity> {
        self.xpra.map(|x| x.identity(self.uid)).filter(ProcIdentity::is_alive)
    }

    /// Live processes carrying this session's marker, of this record's user, and its recorded
    /// Xvfb if it still runs (Xpra 6's carries no marker).
    pub fn live_processes(&self) -> Vec<fl_sys::ProcessInfo> {
        let marker = self.marker.as_bytes();
        let mut found = fl_sys::find_by_env(self.uid, crate::MARKER_ENV, |v| v == marker);
        let xvfb = self.xvfb.map(|x| x.identity(self.uid));
        if let Some(p) = xvfb.and_then(|x| fl_sys::process_info(x.pid)).filter(|p| Some(p.identity) == xvfb && !p.defunct)
            && !found.iter().any(|f| f.identity == p.identity)
        {
            found.push(p);
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_replaces_atomically() {
        let tmp = tempfile::tempdir().unwrap();
        let mut record = SessionRecord {
            port: 41000,
            url: "about:blank".into(),
            created_at: "2026-11-25T00:00:00Z".into(),
            marker: "m".into(),
            uid: 0,
            hostname: "h".into(),
            boot_id: "b".into(),
            server: this_process(),
            xpra: None,
            xvfb: None,
            display: None,
            pooled: false,
            options: crate::SessionOptions::default(),
        };
        record.write(tmp.path()).unwrap();
        record.display = Some(3);
        record.write(tmp.path()).unwrap();
        assert_eq!(SessionRecord::read(tmp.path()).unwrap(), record);
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1, "no temp file left");
    }
}
