// raceAbort: the signal's reason wins, and the raced promise never becomes an unhandled rejection
// when the signal had already aborted (nobody else may be waiting on it).

import { afterEach, expect, it } from "vitest";
import { raceAbort } from "./sleep.js";

const unhandled: unknown[] = [];
const record = (reason: unknown) => void unhandled.push(reason);
afterEach(() => {
  process.off("unhandledRejection", record);
  unhandled.length = 0;
});

it("rejects with the reason of a signal that had already aborted", async () => {
  const stop = new AbortController();
  stop.abort(new Error("client went away"));
  await expect(raceAbort(new Promise(() => {}), stop.signal)).rejects.toThrow("client went away");
});

it("leaves no unhandled rejection when the raced promise fails after an early abort", async () => {
  process.on("unhandledRejection", record);
  const stop = new AbortController();
  stop.abort(new Error("client went away"));
  let fail: (err: Error) => void = () => {};
  const login = new Promise<string>((_, reject) => {
    fail = reject;
  });
  await expect(raceAbort(login, stop.signal)).rejects.toThrow("client went away");
  fail(new Error("vault: login failed"));
  // Node reports unhandled rejections after the microtask queue drains: give it two macrotasks.
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  expect(unhandled).toEqual([]);
});
