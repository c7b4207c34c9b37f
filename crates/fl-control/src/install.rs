//! What a session needs for its control channel before Firefox starts: the extension in its
//! profile, two prefs in its `user.js`, and the native messaging manifest that tells Firefox
//! which program is the host.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The extension's id (its manifest's `gecko.id`); Firefox passes it to the host.
pub const EXTENSION_ID: &str = "control@firefox-launcher";
/// The native messaging host's name, as the extension asks for it.
pub const HOST_NAME: &str = "firefox_launcher_control";
/// The variable that tells the host (through Firefox's environment) where to listen.
pub const SOCKET_ENV: &str = "FL_CONTROL_SOCKET";

/// Prefs for `user.js`: load the unsigned extension from the profile without asking. Unsigned
/// add-ons load only where signing is not enforced by the build (Firefox ESR, Developer
/// Edition, Nightly, unbranded builds); elsewhere the control channel stays unconnected.
pub const USER_PREFS: &str = "\
// The control extension (fl-control): unsigned, installed in this profile by firefox-launcher.
user_pref(\"xpinstall.signatures.required\", false);
user_pref(\"extensions.autoDisableScopes\", 0);
";

const FILES: [(&str, &str); 2] = [
    ("manifest.json", include_str!("../extension/manifest.json")),
    ("background.js", include_str!("../extension/background.js")),
];

/// Puts the extension, unpacked, in `profile/extensions/<id>/`, replacing an older copy (a
/// persistent profile keeps the last one).
pub fn install_extension(profile: &Path) -> std::io::Result<()> {
    let dir = profile.join("extensions").join(EXTENSION_ID);
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir)?;
    for (name, text) in FILES {
        replace(&dir.join(name), text.as_bytes())?;
    }
    Ok(())
}

/// Writes `home/.mozilla/native-messaging-hosts/<HOST_NAME>.json`, naming `host` (this binary)
/// as the program Firefox starts. Firefox 153 reads user manifests only there, not under
/// `$XDG_CONFIG_HOME`. It names only our extension, and the host only ever relays to the socket
/// its session's environment names, so a Firefox of the user's own starts nothing from it.
pub fn write_host_manifest(home: &Path, host: &Path) -> std::io::Result<PathBuf> {
    let dir = home.join(".mozilla").join("native-messaging-hosts");
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir)?;
    let manifest = serde_json::json!({
        "name": HOST_NAME,
        "description": "firefox-launcher: relays a session's control extension to its owner",
        "path": host,
        "type": "stdio",
        "allowed_extensions": [EXTENSION_ID],
    });
    let path = dir.join(format!("{HOST_NAME}.json"));
    let text = serde_json::to_vec_pretty(&manifest).expect("a manifest serializes");
    if std::fs::read(&path).is_ok_and(|old| old == text) {
        return Ok(path);
    }
    replace(&path, &text)?;
    Ok(path)
}

/// Replaces `path` atomically (a private temp file renamed over it).
fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
    file.write_all(bytes)?;
    drop(file);
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_names_its_id_and_host_and_no_page_can_reach_it() {
        let manifest: serde_json::Value = serde_json::from_str(FILES[0].1).unwrap();
        assert_eq!(manifest["browser_specific_settings"]["gecko"]["id"], EXTENSION_ID);
        for key in ["content_scripts", "externally_connectable", "web_accessible_resources"] {
            assert!(manifest.get(key).is_none(), "{key} would open the extension to pages");
        }
        assert!(FILES[1].1.contains(&format!("\"{HOST_NAME}\"")));
    }

    #[test]
    fn install_replaces_an_older_copy_and_the_manifest_names_the_host() {
        let tmp = tempfile::tempdir().unwrap();
        let ext = tmp.path().join("extensions").join(EXTENSION_ID);
        std::fs::create_dir_all(&ext).unwrap();
        std::fs::write(ext.join("background.js"), "old").unwrap();
        install_extension(tmp.path()).unwrap();
        assert_eq!(std::fs::read_to_string(ext.join("background.js")).unwrap(), FILES[1].1);
        let path = write_host_manifest(tmp.path(), Path::new("/opt/fl/firefox-launcher")).unwrap();
        let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(manifest["path"], "/opt/fl/firefox-launcher");
        assert_eq!(manifest["allowed_extensions"], serde_json::json!([EXTENSION_ID]));
        assert_eq!(path, tmp.path().join(".mozilla/native-messaging-hosts/firefox_launcher_control.json"));
    }
}
