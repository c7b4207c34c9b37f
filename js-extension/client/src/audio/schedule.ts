/**
 * When each decoded piece of sound plays: pure arithmetic on the AudioContext's clock (seconds),
 * so it is tested without a browser.
 *
 * Pieces are laid back to back. The first piece of a stream, and the first after the queue ran
 * dry, starts `targetSec` after now: that much sound is kept queued ahead of the speakers to ride
 * out the network's jitter. Xpra has no flow control (it never waits for us), so after a stall a
 * burst arrives at once, and a sender whose clock runs a little fast fills the queue slowly: once
 * more than `maxSec` is queued, incoming pieces are dropped until the queue is back down to the
 * target. What is already queued still plays (no gap, no click from cutting a piece); the sound
 * skips forward once, and the delay is back to the target instead of staying high.
 */

export interface ScheduleParams {
  /** Sound queued ahead of the speakers at a (re)start, seconds. */
  readonly targetSec: number;
  /** More than this queued: drop until the target is reached again. */
  readonly maxSec: number;
}

export const DEFAULT_SCHEDULE: ScheduleParams = { targetSec: 0.08, maxSec: 0.3 };

export interface ScheduleState {
  /** Where the next piece would start on the context's clock; -1: nothing queued yet. */
  readonly next: number;
  /** Dropping to catch up (set above maxSec, cleared at or below targetSec). */
  readonly catchingUp: boolean;
}

export const IDLE: ScheduleState = { next: -1, catchingUp: false };

export interface Placement {
  /** Context time to start this piece at; null: drop it. */
  readonly at: number | null;
  readonly state: ScheduleState;
}

/** Seconds queued ahead of `now` (0 when idle or run dry). */
export function queued(state: ScheduleState, now: number): number {
  return state.next < 0 ? 0 : Math.max(0, state.next - now);
}

/** Where a piece of `duration` seconds arriving at `now` plays, and the state after it. */
export function place(state: ScheduleState, now: number, duration: number, p: ScheduleParams = DEFAULT_SCHEDULE): Placement {
  if (!(duration > 0) || !Number.isFinite(duration) || !Number.isFinite(now)) return { at: null, state };
  // Idle, or the queue ran dry (the piece would start in the past): build the target up again.
  if (state.next < 0 || state.next < now) {
    const at = now + p.targetSec;
    return { at, state: { next: at + duration, catchingUp: false } };
  }
  const ahead = state.next - now;
  let catchingUp = state.catchingUp;
  if (ahead > p.maxSec) catchingUp = true;
  else if (ahead <= p.targetSec) catchingUp = false;
  if (catchingUp) return { at: null, state: { next: state.next, catchingUp } };
  return { at: state.next, state: { next: state.next + duration, catchingUp } };
}
