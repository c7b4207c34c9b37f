//! Firefox's finished downloads, moved from a session into the user's downloads folder.
//!
//! Firefox saves into a staging directory inside the session (`browser.download.dir`). While a
//! download runs it holds an empty placeholder under the final name and the data in a `.part`
//! file next to it (measured on Firefox ESR 153); it finishes by renaming the `.part` onto the
//! final name. We move a file out only once it is finished, so the user's folder never holds a
//! partial file under a final name: a download cut short by a stop stays in the staging
//! directory and goes with the session. A name already taken in the folder gets ` (1)`, ` (2)`…:
//! nothing the user has is replaced. A symlink is left in its place so Firefox's own downloads
//! panel still opens the file.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use fl_api::Download;
use fl_sys::{DirEvents, rename_no_replace};
use tokio::io::unix::AsyncFd;

/// Names a download may take before we give up on it (`name (999).ext`).
const MAX_CANDIDATES: usize = 1000;

/// One session's staging directory and the folder its downloads go to.
#[derive(Debug, Clone)]
pub struct Downloads {
    staging: PathBuf,
    target: PathBuf,
}

impl Downloads {
    pub fn new(staging: PathBuf, target: PathBuf) -> Self {
        Self { staging, target }
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Moves out every finished download still in the staging directory: what a stop does once
    /// Firefox is gone, and a watch does when it begins. A finished download is a regular file
    /// that is not a `.part` and not empty (an empty one is a placeholder of a download still
    /// running or cut short; an empty download is reported by the watch, which sees its rename).
    pub fn collect(&self) -> Vec<Download> {
        let Ok(entries) = std::fs::read_dir(&self.staging) else { return Vec::new() };
        let mut names: Vec<OsString> = entries
            .filter_map(Result::ok)
            .filter(|e| e.metadata().is_ok_and(|m| m.is_file() && m.len() > 0))
            .map(|e| e.file_name())
            .collect();
        names.sort();
        names.iter().filter_map(|name| self.take(name)).collect()
    }

    /// Starts watching the staging directory (from here on no rename into it is missed); call
    /// within a tokio runtime.
    pub fn watch(&self) -> std::io::Result<Watch> {
        let events = DirEvents::moved_in(&self.staging).and_then(register)?;
        Ok(Watch { downloads: self.clone(), events })
    }

    /// Moves one finished file out of staging; logs and returns `None` when it cannot.
    fn take(&self, name: &OsStr) -> Option<Download> {
        if is_partial(name) {
            return None;
        }
        let from = self.staging.join(name);
        let meta = std::fs::symlink_metadata(&from).ok().filter(std::fs::Metadata::is_file)?;
        match self.move_out(&from, name) {
            Ok(to) => {
                // Firefox's downloads panel opens the file through the name it knows.
                if let Err(e) = std::os::unix::fs::symlink(&to, &from) {
                    tracing::debug!("no link left for {}: {e}", from.display());
                }
                tracing::info!(path = %to.display(), bytes = meta.len(), "download finished");
                Some(Download {
                    name: to.file_name().unwrap_or(name).to_string_lossy().into_owned(),
                    path: to.display().to_string(),
                    size: meta.len(),
                    finished_at: now_rfc3339(),
                })
            }
            Err(e) => {
                tracing::warn!("cannot move the download {} into {}: {e}", from.display(), self.target.display());
                None
            }
        }
    }

    fn move_out(&self, from: &Path, name: &OsStr) -> std::io::Result<PathBuf> {
        ensure_private_dir(&self.target)?;
        match place(from, &self.target, name) {
            Err(e) if e.raw_os_error() == Some(fl_sys::Errno::EXDEV as i32) => self.copy_out(from, name),
            other => other,
        }
    }

    /// Across file systems: copy under a hidden name in the folder, then rename that into place.
    fn copy_out(&self, from: &Path, name: &OsStr) -> std::io::Result<PathBuf> {
        let mut hidden = OsString::from(".");
        hidden.push(name);
        hidden.push(format!(".firefox-launcher-{}", std::process::id()));
        let tmp = self.target.join(hidden);
        let copied = copy_new(from, &tmp).and_then(|()| place(&tmp, &self.target, name));
        if copied.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        let to = copied?;
        std::fs::remove_file(from)?;
        Ok(to)
    }
}

/// A registered watch on one staging directory (see [`Downloads::watch`]).
#[derive(Debug)]
pub struct Watch {
    downloads: Downloads,
    events: AsyncFd<DirEvents>,
}

impl Watch {
    /// Hands each finished download to `found` (first those already there), until the staging
    /// directory is removed (the session's teardown) or cannot be read.
    pub async fn run(self, mut found: impl FnMut(Download)) {
        let Self { downloads, events } = self;
        downloads.collect().into_iter().for_each(&mut found);
        loop {
            let Ok(mut ready) = events.readable().await else { return };
            match ready.get_inner().read() {
                Ok(names) => names.iter().filter_map(|name| downloads.take(name)).for_each(&mut found),
                Err(_) => return,
            }
            ready.clear_ready();
        }
    }
}

fn register(events: DirEvents) -> std::io::Result<AsyncFd<DirEvents>> {
    // Safety: `DirEvents` owns its inotify descriptor until it is dropped, which the `AsyncFd`
    // does, and `as_raw_fd` always returns that same descriptor.
    unsafe { AsyncFd::register_with_interest(events, tokio::io::Interest::READABLE) }.map_err(std::io::Error::from)
}

fn is_partial(name: &OsStr) -> bool {
    name.as_bytes().ends_with(b".part")
}

/// Renames `from` into `dir` under `name`, or the first of `name (1)`, `name (2)`… that is free.
fn place(from: &Path, dir: &Path, name: &OsStr) -> std::io::Result<PathBuf> {
    for candidate in candidates(name).take(MAX_CANDIDATES) {
        let to = dir.join(&candidate);
        match rename_no_replace(from, &to) {
            Ok(()) => return Ok(to),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, format!("{MAX_CANDIDATES} names taken")))
}

/// `data.csv`, `data (1).csv`, `data (2).csv`…; the extension is what follows the last dot.
fn candidates(name: &OsStr) -> impl Iterator<Item = OsString> + '_ {
    let path = Path::new(name);
    let stem = path.file_stem().unwrap_or(name);
    let ext = path.extension();
    std::iter::once(name.to_owned()).chain((1..).map(move |n| {
        let mut candidate = stem.to_owned();
        candidate.push(format!(" ({n})"));
        if let Some(ext) = ext {
            candidate.push(".");
            candidate.push(ext);
        }
        candidate
    }))
}

fn copy_new(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut src = std::fs::File::open(from)?;
    let mut dst = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(to)?;
    std::io::copy(&mut src, &mut dst)?;
    dst.sync_all()
}

/// Creates the downloads folder (0700) when it is missing; fails when something else is there.
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(std::io::Error::new(std::io::ErrorKind::NotADirectory, format!("{} is not a directory", dir.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir),
        Err(e) => Err(e),
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn setup() -> (tempfile::TempDir, Downloads) {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("staging")).unwrap();
        let downloads = Downloads::new(tmp.path().join("staging"), tmp.path().join("home/Downloads"));
        (tmp, downloads)
    }

    #[test]
    fn only_finished_files_leave_staging_and_nothing_is_replaced() {
        let (tmp, d) = setup();
        let staging = tmp.path().join("staging");
        std::fs::write(staging.join("data.csv"), b"a,b\n").unwrap();
        // A download still running: its empty placeholder and its data.
        std::fs::write(staging.join("big.iso"), b"").unwrap();
        std::fs::write(staging.join("big.Xy12AbCd.iso.part"), b"half").unwrap();
        ensure_private_dir(d.target()).unwrap();
        std::fs::write(d.target().join("data.csv"), b"the user's own").unwrap();

        let moved = d.collect();
        assert_eq!(moved.len(), 1, "{moved:?}");
        assert_eq!(moved[0].name, "data (1).csv");
        assert_eq!(moved[0].size, 4);
        assert_eq!(std::fs::read(d.target().join("data (1).csv")).unwrap(), b"a,b\n");
        assert_eq!(std::fs::read(d.target().join("data.csv")).unwrap(), b"the user's own");
        assert!(!d.target().join("big.iso").exists() && !d.target().join("big.Xy12AbCd.iso.part").exists());
        assert_eq!(std::fs::read_link(staging.join("data.csv")).unwrap(), d.target().join("data (1).csv"));
        assert!(d.collect().is_empty(), "the link left behind is not a second download");
    }

    #[test]
    fn a_missing_folder_is_created_private() {
        let (tmp, d) = setup();
        std::fs::write(tmp.path().join("staging/x.txt"), b"x").unwrap();
        assert_eq!(d.collect().len(), 1);
        let mode = std::fs::metadata(d.target()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        std::fs::remove_dir_all(d.target()).unwrap();
        std::fs::write(d.target(), b"a file where the folder should be").unwrap();
        std::fs::write(tmp.path().join("staging/y.txt"), b"y").unwrap();
        assert!(d.collect().is_empty());
        assert!(tmp.path().join("staging/y.txt").is_file(), "a download that cannot move stays where it is");
    }

    #[test]
    fn names_are_numbered_before_the_extension() {
        let names: Vec<_> = candidates(OsStr::new("a.tar.gz")).take(3).collect();
        assert_eq!(names, ["a.tar.gz", "a.tar (1).gz", "a.tar (2).gz"]);
        let names: Vec<_> = candidates(OsStr::new("README")).take(2).collect();
        assert_eq!(names, ["README", "README (1)"]);
    }

    #[tokio::test]
    async fn the_watch_moves_a_download_when_firefox_renames_it_into_place() {
        let (tmp, d) = setup();
        let staging = tmp.path().join("staging");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let watch = d.watch().unwrap();
        let watcher = tokio::spawn(watch.run(move |found| tx.send(found).unwrap()));
        std::fs::write(staging.join("<img src=x onerror=alert(1)>.csv"), b"").unwrap();
        std::fs::write(staging.join("<img src=x onerror=alert(1)>.ABCDEFGH.csv.part"), b"1,2\n").unwrap();
        std::fs::write(staging.join("empty.txt.part"), b"").unwrap();
        std::fs::rename(staging.join("<img src=x onerror=alert(1)>.ABCDEFGH.csv.part"), staging.join("<img src=x onerror=alert(1)>.csv")).unwrap();
        std::fs::rename(staging.join("empty.txt.part"), staging.join("empty.txt")).unwrap();
        let first = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
        let second = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
        assert_eq!((first.name.as_str(), first.size), ("<img src=x onerror=alert(1)>.csv", 4));
        assert_eq!((second.name.as_str(), second.size), ("empty.txt", 0), "an empty download is finished too once renamed");
        assert_eq!(std::fs::read(d.target().join("<img src=x onerror=alert(1)>.csv")).unwrap(), b"1,2\n");
        std::fs::remove_dir_all(&staging).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), watcher).await.expect("the watch ends with its directory").unwrap();
    }
}
