//! Reading `/proc`: who a process is (pid + start time + uid), who belongs to a process group,
//! and which processes carry a session's marker in their environment.
//!
//! The environment marker is how a session's processes are found even after they leave its process
//! group: Xpra starts Xvfb in a group of its own, and a child may `setsid` away, but both inherit
//! the environment Xpra was started with.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// A process, named so that a reused pid cannot be mistaken for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProcIdentity {
    pub pid: i32,
    /// Clock ticks after boot, from `/proc/PID/stat` field 22.
    pub start_time: u64,
    pub uid: u32,
}

/// A snapshot of the fields of one process that teardown decisions need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    pub identity: ProcIdentity,
    pub ppid: i32,
    pub pgid: i32,
    pub comm: String,
    /// True for zombies and dead processes: they hold a pid but run nothing.
    pub defunct: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ProcError {
    #[error("failed to read /proc/{pid}: {source}")]
    Read {
        pid: i32,
        #[source]
        source: procfs::ProcError,
    },
    #[error("failed to read /proc/sys/kernel/random/boot_id: {0}")]
    BootId(#[source] std::io::Error),
}

impl ProcIdentity {
    /// True while a live (not zombie) process with this pid, start time and uid exists.
    pub fn is_alive(&self) -> bool {
        matches!(process_info(self.pid), Some(info) if info.identity == *self && !info.defunct)
    }
}

fn read(process: &procfs::process::Process) -> Option<ProcessInfo> {
    let stat = process.stat().ok()?;
    let uid = process.uid().ok()?;
    Some(ProcessInfo {
        identity: ProcIdentity { pid: stat.pid, start_time: stat.starttime, uid },
        ppid: stat.ppid,
        pgid: stat.pgrp,
        comm: stat.comm,
        defunct: matches!(stat.state, 'Z' | 'X' | 'x'),
    })
}

/// The current state of `pid`, or `None` when no such process exists.
pub fn process_info(pid: i32) -> Option<ProcessInfo> {
    procfs::process::Process::new(pid).ok().as_ref().and_then(read)
}

/// Every process visible in `/proc`. Processes that vanish during the scan are skipped.
pub fn scan() -> Vec<ProcessInfo> {
    let Ok(all) = procfs::process::all_processes() else { return Vec::new() };
    all.filter_map(Result::ok).filter_map(|p| read(&p)).collect()
}

/// Live (non-zombie) members of process group `pgid`.
pub fn group_members(pgid: i32) -> Vec<ProcessInfo> {
    scan().into_iter().filter(|p| p.pgid == pgid && !p.defunct).collect()
}

/// Live processes of user `uid` whose environment has `key` set to a value that `matches`.
pub fn find_by_env(uid: u32, key: &str, matches: impl Fn(&[u8]) -> bool) -> Vec<ProcessInfo> {
    let Ok(all) = procfs::process::all_processes() else { return Vec::new() };
    all.filter_map(Result::ok)
        .filter(|p| p.uid().is_ok_and(|u| u == uid))
        .filter(|p| {
            p.environ().is_ok_and(|env| {
                env.get(OsStr::new(key)).is_some_and(|v| matches(v.as_bytes()))
            })
        })
        .filter_map(|p| read(&p))
        .filter(|p| !p.defunct)
        .collect()
}

/// This boot's id: pids and start times only mean something within one boot.
pub fn boot_id() -> Result<String, ProcError> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_owned())
        .map_err(ProcError::BootId)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_alive_and_a_changed_start_time_is_not() {
        let me = process_info(std::process::id() as i32).expect("own /proc entry");
        assert!(me.identity.is_alive());
        let reused = ProcIdentity { start_time: me.identity.start_time + 1, ..me.identity };
        assert!(!reused.is_alive());
    }

    #[test]
    fn finds_a_child_by_its_environment_marker() {
        let marker = format!("test-{}", std::process::id());
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .env("FL_SYS_TEST_MARKER", &marker)
            .spawn()
            .unwrap();
        // Until the child has exec'd, /proc/PID/environ is still the parent's (no marker).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let found = loop {
            let found = find_by_env(crate::current_uid(), "FL_SYS_TEST_MARKER", |v| v == marker.as_bytes());
            if !found.is_empty() || std::time::Instant::now() > deadline {
                break found;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].identity.pid as u32, child.id());
    }
}
