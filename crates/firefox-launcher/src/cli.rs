//! Command-line arguments and what each subcommand calls.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "firefox-launcher", version, about = "Real Firefox sessions (Xpra) next to Jupyter")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Where sessions and the runtime file live.
    #[arg(long, global = true, env = "FIREFOX_LAUNCHER_HOME")]
    home: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service.
    Serve(ServeArgs),
    /// List the sessions of the running service.
    List(Output),
    /// Start a session (waits until Firefox is on screen).
    Start {
        /// The page Firefox opens; `-` reads it from standard input, which keeps an address with a
        /// code or token in it off this command's command line (every local user can read those).
        url: Option<String>,
        /// Run Firefox on the persistent profile (logins, cookies, history kept across sessions).
        #[arg(long)]
        persistent: bool,
        /// Which way text may cross: both, to-firefox, from-firefox, off (default: the service's).
        #[arg(long)]
        clipboard: Option<fl_api::Clipboard>,
        /// Where finished downloads go (default: the service's).
        #[arg(long)]
        downloads: Option<PathBuf>,
        /// No sound for this session.
        #[arg(long)]
        no_audio: bool,
        #[command(flatten)]
        output: Output,
    },
    /// Check what sessions need on this machine (xpra and its version, Xvfb, Firefox, /dev/shm,
    /// the client's bundle) and name the package for each missing piece. Exits 1 when one is missing.
    Doctor {
        #[command(flatten)]
        tools: ToolArgs,
        #[command(flatten)]
        output: Output,
    },
    /// Stop a session.
    Stop {
        port: u16,
        #[command(flatten)]
        output: Output,
    },
}

#[derive(Debug, Args)]
struct Output {
    /// Print the API's JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Where the tools a session runs are (shared by `serve` and `doctor`).
#[derive(Debug, Args)]
struct ToolArgs {
    /// The xpra executable.
    #[arg(long, env = "FIREFOX_LAUNCHER_XPRA", default_value = "/usr/bin/xpra")]
    xpra: PathBuf,
    /// The Firefox executable (default: firefox, then firefox-esr, on PATH).
    #[arg(long, env = "FIREFOX_LAUNCHER_FIREFOX")]
    firefox: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Listen on 127.0.0.1:PORT (0: any free port).
    #[arg(long, conflicts_with = "unix_socket")]
    port: Option<u16>,
    /// Listen on a unix socket instead of TCP.
    #[arg(long)]
    unix_socket: Option<PathBuf>,
    /// Seconds between SIGTERM and SIGKILL when a session stops (fractions allowed).
    #[arg(long, env = "FIREFOX_LAUNCHER_CLEANUP_TIMEOUT", default_value = "3")]
    cleanup_timeout: f64,
    /// Seconds a session may take to become ready.
    #[arg(long, env = "FIREFOX_LAUNCHER_READY_TIMEOUT", default_value = "60")]
    ready_timeout: f64,
    #[command(flatten)]
    tools: ToolArgs,
    /// The page a session opens when the request names none.
    #[arg(long, default_value = "about:blank")]
    default_url: String,
    /// Stop a session after this many seconds with no client connected (0: never).
    #[arg(long, env = "FIREFOX_LAUNCHER_IDLE_TIMEOUT", default_value = "3600")]
    idle_timeout: f64,
    /// How many sessions may run at once; more get 429.
    #[arg(long, env = "FIREFOX_LAUNCHER_MAX_SESSIONS", default_value = "4")]
    max_sessions: usize,
    /// Sessions to keep started and unclaimed, so a start is answered at once.
    #[arg(long, env = "FIREFOX_LAUNCHER_WARM", default_value = "0")]
    warm: usize,
    /// Also give sessions this variable of serve's environment (repeatable). Sessions otherwise get
    /// only PATH, HOME, locale, TZ, proxy and CA settings; names holding TOKEN, SECRET, PASSWORD,
    /// KEY or CREDENTIAL, and FIREFOX_LAUNCHER_*, JUPYTERHUB_*, JPY_* are never passed.
    #[arg(long, value_name = "NAME", env = "FIREFOX_LAUNCHER_PASS_ENV", value_delimiter = ',')]
    pass_env: Vec<String>,
    /// Where Firefox's finished downloads go (created 0700 when missing; default ~/Downloads).
    #[arg(long, env = "FIREFOX_LAUNCHER_DOWNLOADS")]
    downloads: Option<PathBuf>,
    /// Which way text may cross between the user's browser and Firefox, unless a request says:
    /// both, to-firefox, from-firefox, off.
    #[arg(long, env = "FIREFOX_LAUNCHER_CLIPBOARD", default_value = "both")]
    clipboard: fl_api::Clipboard,
    /// Forward Firefox's sound to the browser (a PulseAudio of each session's own), unless a
    /// request says no: on, off. Where pulseaudio or GStreamer is missing sessions go without, and
    /// the log says why.
    #[arg(long, env = "FIREFOX_LAUNCHER_AUDIO", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set, default_value = "on")]
    audio: bool,
    /// Where Firefox's file dialog opens, so uploads start from the Jupyter workspace (default:
    /// serve's working directory, which is Jupyter's when jupyter-server-proxy starts it).
    #[arg(long, env = "FIREFOX_LAUNCHER_WORKSPACE")]
    workspace: Option<PathBuf>,
    #[command(flatten)]
    picture: PictureArgs,
    /// Keep running (and keep sessions) when the process that started `serve` exits.
    #[arg(long)]
    no_follow_parent: bool,
    /// Debug logs (also FIREFOX_LAUNCHER_DEBUG=1).
    #[arg(long, env = "FIREFOX_LAUNCHER_DEBUG", value_parser = clap::builder::BoolishValueParser::new(), default_value = "false")]
    debug: bool,
    /// Do not wait for Firefox's X11 window to call a session ready. Only for fake xpra test
    /// doubles that have no X server.
    #[arg(long, hide = true, env = "FIREFOX_LAUNCHER_NO_WINDOW_CHECK")]
    no_window_check: bool,
}

/// How the picture is encoded and decoded; defaults chosen by `scripts/bench --only stream-tune`
/// (BENCHMARKS.md). A session page's query string may still set `video` and `encoding`.
#[derive(Debug, Args)]
struct PictureArgs {
    /// Offer Xpra video (H.264, VP8, VP9), decoded by the browser's WebCodecs where it has them
    /// (a secure context: https, or http on localhost); without them the page offers pictures only.
    /// auto: video from Xpra 4 on, pictures only on Xpra 3.1 (faster there); true; false.
    #[arg(long, env = "FIREFOX_LAUNCHER_VIDEO", default_value = "auto", num_args = 0..=1, default_missing_value = "true")]
    video: fl_session_page::Video,
    /// The encoding the client asks for first: auto, jpeg, webp, png.
    #[arg(long, env = "FIREFOX_LAUNCHER_ENCODING", default_value = "auto")]
    encoding: fl_session_page::Encoding,
    /// Xpra's picture quality, 1-100, or auto (Xpra adapts it to the link).
    #[arg(long, env = "FIREFOX_LAUNCHER_QUALITY", default_value = "auto")]
    quality: fl_session::Level,
    /// The lowest quality automatic quality may choose.
    #[arg(long, env = "FIREFOX_LAUNCHER_MIN_QUALITY", default_value = "30")]
    min_quality: fl_session::Level,
    /// Xpra's encoding speed (CPU per frame against size), 1-100, or auto.
    #[arg(long, env = "FIREFOX_LAUNCHER_SPEED", default_value = "auto")]
    speed: fl_session::Level,
    /// The lowest speed automatic speed may choose.
    #[arg(long, env = "FIREFOX_LAUNCHER_MIN_SPEED", default_value = "70")]
    min_speed: fl_session::Level,
}

impl PictureArgs {
    fn split(&self) -> (fl_session::Picture, fl_session_page::ClientDefaults) {
        let picture = fl_session::Picture { quality: self.quality, min_quality: self.min_quality, speed: self.speed, min_speed: self.min_speed };
        (picture, fl_session_page::ClientDefaults { video: self.video, encoding: self.encoding })
    }
}

impl Cli {
    pub fn debug(&self) -> bool {
        matches!(&self.command, Command::Serve(a) if a.debug)
    }
}

fn seconds(value: f64, what: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value).with_context(|| format!("{what} must be a non-negative number of seconds, got {value}"))
}

fn home(cli_home: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match cli_home {
        Some(home) => Ok(home),
        None => Ok(dirs::home_dir().context("cannot tell the home directory; pass --home")?.join(".firefox-launcher")),
    }
}

fn token_from_env() -> anyhow::Result<Option<String>> {
    match std::env::var("FIREFOX_LAUNCHER_TOKEN") {
        Ok(t) if t.is_empty() => Ok(None),
        Ok(t) if t.bytes().all(|b| b.is_ascii_graphic() && b != b';' && b != b',') => Ok(Some(t)),
        Ok(_) => bail!("FIREFOX_LAUNCHER_TOKEN must be printable ASCII without spaces, ';' or ','"),
        Err(_) => Ok(None),
    }
}

fn default_downloads() -> anyhow::Result<PathBuf> {
    Ok(dirs::home_dir().context("cannot tell the home directory; pass --downloads")?.join("Downloads"))
}

fn absolute(path: PathBuf, what: &str) -> anyhow::Result<PathBuf> {
    let path = std::path::absolute(&path).with_context(|| format!("{what} {}", path.display()))?;
    if path.to_str().is_none() {
        bail!("{what} {}: the path must be UTF-8", path.display());
    }
    Ok(path)
}

async fn serve(args: ServeArgs, home: PathBuf) -> anyhow::Result<()> {
    // Missing binaries are reported on each start (they may be installed later), not fatal here.
    let ToolArgs { xpra, firefox } = args.tools;
    let firefox = firefox.or_else(fl_session::find_firefox).unwrap_or_else(|| "/usr/bin/firefox-esr".into());
    for binary in [&xpra, &firefox] {
        if !fl_session::is_executable(binary) {
            tracing::warn!("{} is missing: sessions cannot start until it is installed", binary.display());
        }
    }
    let (picture, client_defaults) = args.picture.split();
    let session = fl_session::SessionConfig {
        xpra,
        firefox,
        ready_timeout: seconds(args.ready_timeout, "--ready-timeout")?,
        grace: seconds(args.cleanup_timeout, "--cleanup-timeout")?,
        require_window: !args.no_window_check,
        children: Default::default(),
        pass_env: args.pass_env,
        picture,
        xpra_version: Default::default(),
    };
    // Read now, off the way of the start (a Python start-up); sessions wait for it if they must.
    let probe = session.clone();
    tokio::task::spawn_blocking(move || match probe.xpra_version() {
        Ok(version) => tracing::info!("xpra {version} at {}", probe.xpra.display()),
        Err(e) => tracing::warn!("{e}: sessions cannot start"),
    });
    for name in session.pass_env.iter().filter(|n| fl_session::is_refused_env(n)) {
        tracing::warn!("--pass-env {name}: refused, a name like that never reaches a session");
    }
    let listen = match (args.unix_socket, args.port) {
        (Some(path), _) => fl_server::Listen::Unix(path),
        (None, port) => fl_server::Listen::Tcp(port.unwrap_or(0)),
    };
    let state = fl_server::StateOptions {
        session,
        token: token_from_env()?,
        default_url: args.default_url,
        idle_timeout: seconds(args.idle_timeout, "--idle-timeout")?,
        max_sessions: args.max_sessions,
        warm: args.warm,
        client_defaults,
        downloads: absolute(args.downloads.map_or_else(default_downloads, Ok)?, "--downloads")?,
        clipboard: args.clipboard,
        audio: audio_default(args.audio),
        workspace: absolute(args.workspace.map_or_else(|| std::env::current_dir().context("the working directory"), Ok)?, "--workspace")?,
        persistent_profile: home.join("profile"),
    };
    let follow_parent = !args.no_follow_parent;
    fl_server::serve(fl_server::ServeOptions { listen, home, state, follow_parent }).await?;
    Ok(())
}

/// `--audio`, where the machine has what sound needs; said in the log either way.
fn audio_default(asked: bool) -> bool {
    if !asked {
        tracing::info!("sound off (--audio off)");
        return false;
    }
    match fl_session::sound::missing() {
        Some(why) => {
            tracing::warn!("sound off: {why}");
            false
        }
        None => true,
    }
}

fn doctor(tools: &ToolArgs, json: bool) -> anyhow::Result<()> {
    let setup = crate::doctor::Setup { xpra: &tools.xpra, firefox: tools.firefox.as_deref() };
    let checks = crate::doctor::run(&setup);
    let (text, all_there) = crate::doctor::render(&checks);
    print(json, &checks, |_| text);
    if !all_there {
        bail!("a piece sessions need is missing (see above)");
    }
    Ok(())
}

fn print<T: serde::Serialize>(json: bool, value: &T, text: impl FnOnce(&T) -> String) {
    if json {
        println!("{}", serde_json::to_string_pretty(value).expect("serializes"));
    } else {
        print!("{}", text(value));
    }
}

/// The first line of standard input, for `start -`.
fn url_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the address from standard input")?;
    match line.trim() {
        "" => anyhow::bail!("`start -` reads the address from standard input, which gave none"),
        url => Ok(url.to_owned()),
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let home = home(cli.home)?;
    match cli.command {
        Command::Serve(args) => return serve(args, home).await,
        Command::Doctor { tools, output } => return doctor(&tools, output.json),
        _ => {}
    }
    let client = fl_client::Client::from_home(&home)?;
    match cli.command {
        Command::Serve(_) | Command::Doctor { .. } => unreachable!("handled above"),
        Command::List(o) => print(o.json, &client.list().await?, fl_client::render_list),
        Command::Start { url, persistent, clipboard, downloads, no_audio, output } => {
            let downloads = downloads.map(|d| absolute(d, "--downloads")).transpose()?;
            let request = fl_api::CreateRequest {
                url: url.map(|u| if u == "-" { url_from_stdin() } else { Ok(u) }).transpose()?,
                profile: persistent.then_some(fl_api::Profile::Persistent),
                clipboard,
                audio: no_audio.then_some(false),
                downloads: downloads.map(|d| d.display().to_string()),
            };
            let session = client.create(&request).await?;
            let open = client.browser_url(&session);
            print(output.json, &session, |s| fl_client::render_session(s, &open));
        }
        Command::Stop { port, output } => print(output.json, &client.stop(port).await?, fl_client::render_stop),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `serve`'s flags and the libraries' defaults (what tests and embedders get) are one choice.
    #[test]
    fn picture_flags_default_to_the_libraries_defaults() {
        let cli = Cli::try_parse_from(["firefox-launcher", "serve"]).unwrap();
        let Command::Serve(args) = cli.command else { panic!("not serve") };
        assert_eq!(args.picture.split(), (fl_session::Picture::default(), fl_session_page::ClientDefaults::default()));
    }
}
