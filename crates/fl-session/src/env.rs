//! The environment a session starts with: an allowlist of the service's own, never all of it.
//!
//! `serve` runs in Jupyter's environment, which holds secrets: JupyterHub's API token
//! (`JUPYTERHUB_API_TOKEN`, `JPY_API_TOKEN`), our own `FIREFOX_LAUNCHER_TOKEN`, and whatever the
//! user exported (`AWS_SECRET_ACCESS_KEY`, ...). Every process of a session can read its
//! environment, and Firefox runs web pages; so Xpra (and through it Xvfb and Firefox) starts from
//! an empty environment plus what a desktop session needs: `PATH`, `HOME`, the user's name and
//! shell, locale and time zone, `TMPDIR` (often a per-job scratch directory on clusters), the
//! proxy settings Firefox reads on Linux (a proxy URL may hold the user's proxy login, which
//! Firefox needs to reach the web), and OpenSSL's CA bundle paths. The session's own variables
//! (its marker, `XAUTHORITY`, `XDG_*`, ...) are added on top by the command builder.
//!
//! Tool-specific CA variables (`REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS`) have
//! no reader inside a session (Firefox uses its own certificate store) and are left out; the
//! operator adds any name on purpose with `--pass-env`. Names that look like secrets are refused
//! whatever asks for them, `--pass-env` included.

use std::ffi::OsString;

/// Passed when the service has them.
const ALLOWED: &[&str] = &[
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR",
    "http_proxy", "https_proxy", "no_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
    "SSL_CERT_FILE", "SSL_CERT_DIR",
];
/// Passed when the service has them: the locale categories.
const ALLOWED_PREFIXES: &[&str] = &["LC_"];
/// Never passed (compared case-insensitively): the service's own settings and JupyterHub's.
const REFUSED_PREFIXES: &[&str] = &["FIREFOX_LAUNCHER_", "JUPYTERHUB_", "JPY_"];
/// Never passed (anywhere in the name, case-insensitively): what secrets are called.
const REFUSED_WORDS: &[&str] = &["TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL"];

/// True for a name that must never reach a session, even when asked for with `--pass-env`.
pub fn is_refused_env(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    REFUSED_PREFIXES.iter().any(|p| upper.starts_with(p)) || REFUSED_WORDS.iter().any(|w| upper.contains(w))
}

fn is_allowed(name: &str, pass: &[String]) -> bool {
    let listed = ALLOWED.contains(&name)
        || ALLOWED_PREFIXES.iter().any(|p| name.starts_with(p))
        || pass.iter().any(|p| p == name);
    listed && !is_refused_env(name)
}

/// The entries of `parent` (the service's environment) a session inherits: the allowlist plus
/// the names in `pass`, minus every refused name. Names that are not UTF-8 are dropped.
pub fn session_env(parent: impl IntoIterator<Item = (OsString, OsString)>, pass: &[String]) -> Vec<(OsString, OsString)> {
    parent.into_iter().filter(|(name, _)| name.to_str().is_some_and(|n| is_allowed(n, pass))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    fn env(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs.iter().map(|(k, v)| (OsString::from(k), OsString::from(v))).collect()
    }

    fn names(kept: &[(OsString, OsString)]) -> Vec<&str> {
        kept.iter().map(|(k, _)| k.to_str().unwrap()).collect()
    }

    #[test]
    fn keeps_the_allowlist_and_drops_the_rest() {
        let parent = env(&[
            ("PATH", "/usr/bin"),
            ("HOME", "/home/u"),
            ("LC_TIME", "de_DE.UTF-8"),
            ("TZ", "Europe/Berlin"),
            ("https_proxy", "http://proxy:3128"),
            ("NO_PROXY", "localhost"),
            ("SSL_CERT_FILE", "/etc/ssl/ca.pem"),
            ("LD_PRELOAD", "/tmp/evil.so"),
            ("PYTHONPATH", "/opt/conda/lib"),
            ("DISPLAY", ":0"),
            ("XDG_RUNTIME_DIR", "/run/user/1000"),
            ("REQUESTS_CA_BUNDLE", "/etc/ssl/ca.pem"),
        ]);
        let kept = session_env(parent, &[]);
        assert_eq!(names(&kept), ["PATH", "HOME", "LC_TIME", "TZ", "https_proxy", "NO_PROXY", "SSL_CERT_FILE"]);
        assert_eq!(kept[3].1, "Europe/Berlin");
    }

    #[test]
    fn refuses_secrets_even_when_asked_for() {
        let parent = env(&[
            ("FIREFOX_LAUNCHER_TOKEN", "t"),
            ("FIREFOX_LAUNCHER_PASS_ENV", "MY_SECRET"),
            ("JUPYTERHUB_API_TOKEN", "t"),
            ("JUPYTERHUB_USER", "u"),
            ("JPY_API_TOKEN", "t"),
            ("MY_SECRET", "s"),
            ("some_password", "p"),
            ("AWS_ACCESS_KEY_ID", "k"),
            ("GOOGLE_APPLICATION_CREDENTIALS", "/c.json"),
            ("LC_API_KEY", "k"),
            ("FOO_PASSTHROUGH", "1"),
        ]);
        let pass: Vec<String> = parent.iter().map(|(k, _)| k.to_str().unwrap().to_owned()).collect();
        assert_eq!(names(&session_env(parent, &pass)), ["FOO_PASSTHROUGH"]);
    }

    #[test]
    fn pass_adds_exact_names_only() {
        let parent = env(&[("FOO", "1"), ("FOOBAR", "2"), ("foo", "3")]);
        assert_eq!(names(&session_env(parent, &["FOO".into()])), ["FOO"]);
    }

    #[test]
    fn drops_names_that_are_not_utf8() {
        let parent = vec![(OsString::from_vec(b"PATH\xff".to_vec()), OsString::from("x")), (OsString::from("PATH"), OsString::from("/bin"))];
        assert_eq!(names(&session_env(parent, &["PATH\u{fffd}".into()])), ["PATH"]);
    }

    #[test]
    fn refusal_is_case_insensitive() {
        for name in ["github_token", "Api_Key", "jpy_x", "firefox_launcher_home", "db_passwd"] {
            assert!(is_refused_env(name), "{name}");
        }
        for name in ["PATH", "TZ", "FOO_PASSTHROUGH", "XAUTHORITY", "FL_SESSION_MARKER"] {
            assert!(!is_refused_env(name), "{name}");
        }
    }
}
