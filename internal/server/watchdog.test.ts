// The route-timeout watchdog: expires what is past its deadline exactly once, never what was
// deleted first, and stops its interval once nothing is watched.

import { expect, it } from "vitest";
import { WATCHDOG_TICK_MS } from "../limits.js";
import { Watchdog } from "./watchdog.js";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("expires items past their deadline once, leaves the others, and skips deleted ones", async () => {
  const expired: string[] = [];
  const dog = new Watchdog<{ deadline: number; name: string }>((i) => expired.push(i.name));
  const now = performance.now();
  const late = { deadline: now + 10, name: "late" };
  const far = { deadline: now + 60_000, name: "far" };
  const done = { deadline: now + 10, name: "done" };
  dog.add(late);
  dog.add(far);
  dog.add(done);
  dog.delete(done);
  await wait(10 + WATCHDOG_TICK_MS * 4);
  expect(expired).toEqual(["late"]);
  expect(dog.size).toBe(1);
  dog.delete(far);
  await wait(WATCHDOG_TICK_MS * 3);
  expect(expired).toEqual(["late"]);
  dog.close();
});

it("stops ticking when nothing is watched and starts again on the next add", async () => {
  const expired: number[] = [];
  const dog = new Watchdog<{ deadline: number }>(() => expired.push(1));
  dog.add({ deadline: performance.now() });
  await wait(WATCHDOG_TICK_MS * 4);
  expect(expired.length).toBe(1);
  dog.add({ deadline: performance.now() });
  await wait(WATCHDOG_TICK_MS * 4);
  expect(expired.length).toBe(2);
  dog.close();
});
