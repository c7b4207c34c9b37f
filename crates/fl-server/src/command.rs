//! What a handler may ask of a session's owning task ([`crate::supervisor`]).
//!
//! Its own module so that the state, which keeps each session's sender, and the supervisor, which
//! receives, both depend on it and not on each other.

use fl_api::StopSummary;
use tokio::sync::oneshot;

#[derive(Debug)]
pub(crate) enum Command {
    Stop { reason: &'static str, reply: oneshot::Sender<StopSummary> },
    /// Hand a warm-pool session to a user, sending its Firefox to `url`.
    Claim { url: String, reply: oneshot::Sender<std::io::Result<()>> },
}
