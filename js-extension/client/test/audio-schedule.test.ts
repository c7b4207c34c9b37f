/**
 * The player's clock (src/audio/schedule.ts), pure arithmetic: pieces back to back after a
 * target buffer, a fresh target after the queue ran dry, and the bound: a burst beyond maxSec is
 * dropped until the queue is back at the target, so the delay never stays high.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_SCHEDULE, IDLE, place, queued, type ScheduleState } from "../src/audio/schedule.js";

const P = { targetSec: 0.08, maxSec: 0.3 };
const D = 0.02;
const close = (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${a} ≈ ${b}`);

describe("audio schedule", () => {
  it("the defaults are the documented 80 ms target and 300 ms bound", () => {
    assert.deepEqual(DEFAULT_SCHEDULE, P);
  });

  it("the first piece starts a target after now; the next ones back to back", () => {
    let s: ScheduleState = IDLE;
    const a = place(s, 10, D, P);
    close(a.at, 10.08);
    s = a.state;
    const b = place(s, 10.005, D, P);
    close(b.at, 10.1);
    const c = place(b.state, 10.01, D, P);
    close(c.at, 10.12);
    close(queued(c.state, 10.01), 0.13);
    assert.equal(queued(IDLE, 5), 0);
  });

  it("a steady stream at the playback rate keeps the target delay", () => {
    let s: ScheduleState = IDLE;
    let now = 0;
    for (let i = 0; i < 500; i++) {
      const p = place(s, now, D, P);
      assert.notEqual(p.at, null);
      s = p.state;
      now += D;
    }
    close(queued(s, now - D), P.targetSec + D);
  });

  it("after the queue ran dry, the target is built up again (no piece in the past)", () => {
    const a = place(IDLE, 1, D, P);
    const late = place(a.state, 2, D, P); // a 1 s stall
    close(late.at, 2.08);
    assert.ok(late.at! > 2);
  });

  it("a burst beyond the bound is dropped down to the target, then plays back to back again", () => {
    let s = place(IDLE, 0, D, P).state;
    const at: Array<number | null> = [];
    for (let i = 0; i < 30; i++) {
      const p = place(s, 0.001, D, P); // 30 pieces at once
      at.push(p.at);
      s = p.state;
    }
    const kept = at.filter((x) => x !== null).length;
    // queued after the first piece: 0.1; pieces fit until it exceeds 0.3 (11 more), then drops
    assert.equal(kept, 11);
    assert.ok(queued(s, 0.001) <= P.maxSec + D + 1e-9);
    assert.equal(s.catchingUp, true);
    // still dropping while above the target, even below the bound
    const mid = place(s, 0.15, D, P);
    assert.equal(mid.at, null);
    // at the target again: back to back, no gap
    const next = s.next;
    const back = place(mid.state, next - P.targetSec + 0.001, D, P);
    close(back.at, next);
    assert.equal(back.state.catchingUp, false);
  });

  it("a sender whose clock runs 2% fast never makes the delay grow past the bound", () => {
    let s: ScheduleState = IDLE;
    let now = 0;
    let maxQueued = 0;
    let drops = 0;
    for (let i = 0; i < 20_000; i++) {
      const p = place(s, now, D, P);
      if (p.at === null) drops++;
      s = p.state;
      maxQueued = Math.max(maxQueued, queued(s, now));
      now += D / 1.02;
    }
    assert.ok(maxQueued <= P.maxSec + D + 1e-9, `max queued ${maxQueued}`);
    assert.ok(drops > 0 && drops < 20_000 * 0.03, `drops ${drops}`);
  });

  it("nonsense durations and clocks are dropped without touching the state", () => {
    const s = place(IDLE, 0, D, P).state;
    for (const [now, d] of [[0, 0], [0, -1], [0, NaN], [NaN, D], [Infinity, D], [0, Infinity]] as const) {
      const p = place(s, now, d, P);
      assert.equal(p.at, null);
      assert.equal(p.state, s);
    }
  });
});
