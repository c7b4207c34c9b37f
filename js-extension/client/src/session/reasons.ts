/**
 * Which disconnect reasons end a session for good (no reconnect), in Xpra's own words
 * (3.1 xpra/net/common.py, 6.5 xpra/net/constants.py ConnectionMessage; the same strings).
 */

/** Reasons after which reconnecting cannot help: the session is gone or someone replaced us. */
const FINAL = new Set([
  "new client", //               another client took the session (we were replaced)
  "server shutdown",
  "server exit",
  "session not found error",
  "session busy",
  "detach request",
  "done",
  "idle timeout",
  "authentication failed",
  "authentication error",
  "permission error",
  "version error",
  "client request",
  "client exit",
]);

export function isFinalReason(reason: string): boolean {
  return FINAL.has(reason.trim().toLowerCase());
}
