//! The `firefox-launcher` binary: parses arguments, sets up logging, hands over to the libraries.

mod cli;
mod doctor;

use clap::Parser;

fn main() -> std::process::ExitCode {
    // Firefox starts this program as the control extension's native messaging host, with
    // exactly the host manifest's path and the extension's id as arguments.
    if fl_control::host::called_by_firefox(&std::env::args_os().collect::<Vec<_>>()) {
        return fl_control::host::run();
    }
    let cli = cli::Cli::parse();
    let debug = cli.debug();
    let filter = if debug { "debug" } else { "info" };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("FIREFOX_LAUNCHER_LOG").unwrap_or_else(|_| filter.into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    let result = runtime.map_err(anyhow::Error::from).and_then(|rt| rt.block_on(cli::run(cli)));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("firefox-launcher: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
