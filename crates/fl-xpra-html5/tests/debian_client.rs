//! The patches against the client Debian's xpra package really ships, and the refusal when its
//! files change.

use std::path::Path;

use fl_xpra_html5::{ClientError, DEBIAN_DIR, Html5Client};

fn text(client: &Html5Client, path: &str) -> String {
    String::from_utf8(client.get(path).unwrap_or_else(|| panic!("{path} is served")).body().unwrap().to_vec()).unwrap()
}

#[test]
fn debians_client_loads_patched() {
    let client = Html5Client::load(Path::new(DEBIAN_DIR), &Default::default()).expect("the packaged client patches cleanly");
    let window = text(&client, "js/Window.js");
    assert!(!window.contains("+ this.title +"), "the title bar is no longer built from the raw title");
    assert!(!window.contains(".html(decodedTitle)"));
    let index = text(&client, "");
    assert!(index.contains("js/firefox-launcher.js"));
    assert!(!index.contains(".html("));
    assert!(text(&client, "js/firefox-launcher.js").contains("Utilities.getparam"));
    assert!(client.get("connect.html").is_none(), "the connect page is not served");
    assert!(client.get("js/lib/jquery.js").is_some(), "symlinked jQuery is served");
    let csp = client.security_headers()[0].1;
    assert!(csp.contains("script-src 'self' 'sha256-"), "{csp}");
    assert!(!csp.contains("unsafe-inline'; worker") && !csp.contains("script-src 'self' 'unsafe-inline'"));
}

/// A copy of the packaged client with one file edited the way an upgrade might.
fn changed_copy(file: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp").arg("-rL").arg(format!("{DEBIAN_DIR}/.")).arg(copy.path()).status().unwrap();
    assert!(status.success());
    let path = copy.path().join(file);
    std::fs::write(&path, edit(std::fs::read_to_string(&path).unwrap())).unwrap();
    copy
}

#[test]
fn a_client_whose_sink_moved_is_refused() {
    // Positive control: an unchanged copy loads.
    let same = changed_copy("js/Window.js", |s| s);
    Html5Client::load(same.path(), &Default::default()).expect("an unchanged copy loads");

    let moved = changed_copy("js/Window.js", |s| s.replace(".html(decodedTitle)", ".html( decodedTitle )"));
    let err = Html5Client::load(moved.path(), &Default::default()).unwrap_err();
    assert!(matches!(err, ClientError::Changed { file: "js/Window.js", found: 0, expected: 1, .. }), "{err}");
    assert!(err.to_string().contains("refusing to serve it unpatched"));
}

#[test]
fn a_client_without_a_patched_file_is_refused() {
    let copy = changed_copy("js/Window.js", |s| s);
    std::fs::remove_file(copy.path().join("js/Notifications.js")).unwrap();
    let err = Html5Client::load(copy.path(), &Default::default()).unwrap_err();
    assert!(matches!(err, ClientError::Missing { file: "js/Notifications.js", .. }), "{err}");
}

/// Unpatched files stay on disk and are read per request: as they were when the service loaded
/// them, or refused once they changed (an upgrade must not mix new files with old patched ones).
#[test]
fn a_file_left_on_disk_is_served_as_loaded_and_refused_once_changed() {
    let copy = changed_copy("js/Window.js", |s| s);
    let client = Html5Client::load(copy.path(), &Default::default()).unwrap();
    let jquery = copy.path().join("js/lib/jquery.js");
    let asset = client.get("js/lib/jquery.js").unwrap();
    assert_eq!(asset.body().unwrap(), std::fs::read(&jquery).unwrap(), "served as it is on disk");

    std::fs::write(&jquery, "/* upgraded */").unwrap();
    let err = asset.body().unwrap_err();
    assert!(matches!(&err, ClientError::ChangedOnDisk { path } if path == &jquery), "{err}");
    assert!(text(&client, "js/Window.js").contains(".text(decodedTitle)"), "patched files are kept in memory");
}
