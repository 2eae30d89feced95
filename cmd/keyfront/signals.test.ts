// Tests of the SIGHUP reload queue: runs never overlap, a trigger during a run queues exactly one
// more run (several coalesce), and a failing run does not stop later ones.

import { describe, expect, it } from "vitest";
import { coalesced } from "./signals.js";

function gate() {
  let open = () => {};
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

describe("coalesced", () => {
  it("queues triggers during a run into one more run, never overlapping", async () => {
    const gates = [gate(), gate()];
    let active = 0;
    let runs = 0;
    const q = coalesced(async () => {
      expect(++active).toBe(1);
      await gates[runs++]?.promise;
      active--;
    });
    q.trigger();
    q.trigger();
    q.trigger();
    expect(runs).toBe(1);
    gates[0]?.open();
    await new Promise((r) => setTimeout(r, 0));
    expect(runs).toBe(2);
    gates[1]?.open();
    await q.idle();
    expect(runs).toBe(2);
    q.trigger();
    await q.idle();
    expect(runs).toBe(3);
  });

  it("keeps going after a run that fails", async () => {
    let runs = 0;
    const q = coalesced(async () => {
      runs++;
      throw new Error("bad config");
    });
    q.trigger();
    q.trigger();
    await q.idle();
    expect(runs).toBe(2);
  });
});
