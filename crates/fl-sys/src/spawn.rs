//! The one piece of `fork`-to-`exec` code: handing a pipe's write end to a child as a fixed fd.
//!
//! Xvfb reports the display it picked through `-displayfd N`; Xpra forwards `--displayfd=N` to it.
//! The pipe is created close-on-exec so no other child inherits it; only in the child, between
//! fork and exec, is it duplicated onto the fixed number, which clears close-on-exec on the copy.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use nix::fcntl::OFlag;

/// A close-on-exec pipe.
#[derive(Debug)]
pub struct Pipe {
    pub read: OwnedFd,
    pub write: OwnedFd,
}

impl Pipe {
    pub fn new() -> std::io::Result<Self> {
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
        Ok(Self { read, write })
    }
}

/// Makes `fd` available as `target` in the child that `command` spawns.
pub fn move_fd_in_child(command: &mut std::process::Command, fd: &OwnedFd, target: RawFd) {
    use std::os::unix::process::CommandExt;
    let source = fd.as_raw_fd();
    // Safety: the closure runs in the forked child before exec and only calls dup2(2) or fcntl(2),
    // which are async-signal-safe; it allocates nothing and touches no lock.
    unsafe {
        command.pre_exec(move || {
            let ok = if source == target {
                // dup2 onto itself keeps close-on-exec set; clear it instead.
                nix::libc::fcntl(source, nix::libc::F_SETFD, 0) >= 0
            } else {
                nix::libc::dup2(source, target) >= 0
            };
            if ok { Ok(()) } else { Err(std::io::Error::last_os_error()) }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_child_writes_to_the_fixed_fd_and_the_parent_reads_it() {
        let pipe = Pipe::new().unwrap();
        let mut command = std::process::Command::new("sh");
        command.args(["-c", "echo 7 >&3"]);
        move_fd_in_child(&mut command, &pipe.write, 3);
        let status = command.status().unwrap();
        drop(pipe.write);
        let mut out = String::new();
        std::fs::File::from(pipe.read).read_to_string(&mut out).unwrap();
        assert!(status.success());
        assert_eq!(out, "7\n");
    }
}
