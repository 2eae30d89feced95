// The restart backoff of a worker slot: at once the first time, then doubling up to the cap, and
// starting over once a worker stayed up long enough.
import { describe, expect, it } from "vitest";
import {
  WORKER_RESTART_BASE_MS,
  WORKER_RESTART_MAX_MS,
  WORKER_STABLE_MS,
} from "../../internal/limits.js";
import { restartDelay, restartGapNote } from "./workers.js";

describe("restartDelay", () => {
  it("restarts at once, then backs off exponentially to the cap", () => {
    const slot = { id: 1, startedAt: 0, failures: 0 };
    const delays = Array.from({ length: 12 }, () => restartDelay(slot, 1));
    expect(delays.slice(0, 4)).toEqual([
      0,
      WORKER_RESTART_BASE_MS,
      2 * WORKER_RESTART_BASE_MS,
      4 * WORKER_RESTART_BASE_MS,
    ]);
    expect(delays.at(-1)).toBe(WORKER_RESTART_MAX_MS);
    expect([...delays].sort((a, b) => a - b)).toEqual(delays);
  });

  it("starts over after a worker stayed up for WORKER_STABLE_MS", () => {
    const slot = { id: 1, startedAt: 0, failures: 5 };
    expect(restartDelay(slot, WORKER_STABLE_MS - 1)).toBeGreaterThan(0);
    slot.startedAt = 1_000;
    expect(restartDelay(slot, 1_000 + WORKER_STABLE_MS)).toBe(0);
  });
});

describe("restartGapNote", () => {
  it("says no worker runs only when none does and no other slot comes back sooner", () => {
    const none = "; no worker is running until then";
    expect(restartGapNote(250, 0, Number.POSITIVE_INFINITY)).toBe(none);
    expect(restartGapNote(250, 0, 8_000)).toBe(none);
    expect(restartGapNote(0, 0, Number.POSITIVE_INFINITY)).toBe("");
    expect(restartGapNote(8_000, 1, Number.POSITIVE_INFINITY)).toBe("");
    expect(restartGapNote(8_000, 0, 0)).toBe("");
  });
});
