// Tests of the per-state in-flight count a reload waits on before closing the old keystore.

import { describe, expect, it, vi } from "vitest";
import { InFlight } from "./state.js";

describe("InFlight", () => {
  it("is drained at once when idle, and when the last request ends", async () => {
    const f = new InFlight();
    expect(await f.drained(1_000)).toBe(true);
    const a = f.enter();
    const b = f.enter();
    let drained: boolean | undefined;
    void f.drained(60_000).then((d) => {
      drained = d;
    });
    a();
    a(); // ending twice counts once
    await Promise.resolve();
    expect([f.count, drained]).toEqual([1, undefined]);
    b();
    await vi.waitFor(() => expect(drained).toBe(true));
    expect(f.count).toBe(0);
  });

  it("gives up after its bound when a request never ends", async () => {
    vi.useFakeTimers();
    try {
      const f = new InFlight();
      f.enter();
      const drained = f.drained(5_000);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(await drained).toBe(false);
      expect(f.count).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
