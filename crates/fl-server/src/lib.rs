//! The `firefox-launcher serve` service.
//!
//! [`app`] is the HTTP surface as a function of [`AppState`]; [`serve`] binds it, writes the
//! runtime file, and on SIGTERM/SIGINT stops accepting, stops this service's own sessions, and
//! exits. Sessions are owned by one supervisor task each ([`supervisor`]); the state only maps
//! ports to handles for talking to those tasks.

mod accept;
mod activity;
mod api;
mod app;
mod auth;
mod clock;
mod command;
mod control;
mod credentials;
mod error;
mod events;
mod guard;
mod page;
mod lifecycle;
mod metrics;
mod pool;
mod proxy;
mod recovery;
mod relay;
mod runtime;
mod serve;
mod state;
mod supervisor;
mod title;

pub use accept::{Accept, ConnectionLimits, serve_connections};
pub use app::app;
pub use error::{ApiError, ServeError};
pub use runtime::{read_runtime_file, runtime_file_path};
pub use serve::{Listen, ServeOptions, serve};
pub use state::{AppState, StateOptions};
