// The scheduler over the real key service on the mem store, with a test clock: what is due is
// rotated or purged, exactly once, never before its time, by whichever replica comes first (two
// schedulers on one store make one version), at most SCHEDULER_ACTIONS_PER_TICK actions per tick
// and SCHEDULER_KEYS_PER_TICK keys read per page of a pass.

import { afterEach, describe, expect, it, vi } from "vitest";
import { serviceOn } from "../../test/helpers/key-service.js";
import type { KeyStore } from "../keystore/keystore.js";
import { connectMem } from "../keystore/mem/mem-store.js";
import {
  SCHEDULER_ACTIONS_PER_TICK,
  SCHEDULER_KEYS_PER_TICK,
  SCHEDULER_MAX_TICK_MS,
  SCHEDULER_MIN_TICK_MS,
  SCHEDULER_PASS_INTERVAL_MS,
} from "../limits.js";
import { KeyScheduler } from "./scheduler.js";
import { SCHEDULER_IDENTITY, schedulerTarget } from "./scheduler-target.js";

const DAY = 86_400_000;

/** One replica: a key service and a scheduler on `store`, both on `clock`. */
function replica(
  store: KeyStore,
  clock: { now: () => number },
  opts: { windowMs?: number; configured?: [string, number][]; jitter?: number } = {},
) {
  const service = serviceOn(store, { deletion: { windowMs: opts.windowMs ?? 0, decrypt: "deny" } });
  // the service's clock is the test clock
  Object.defineProperty(service.clock, "now", { get: clock.now });
  const { keys } = service;
  const lines: string[] = [];
  const scheduler = new KeyScheduler({
    target: schedulerTarget(keys, store, clock.now),
    configured: new Map(opts.configured ?? []),
    log: {
      info: (_f, msg) => void lines.push(msg),
      warn: (_f, msg) => void lines.push(`WARN ${msg}`),
    },
    now: clock.now,
    jitter: (max) => Math.min(max, opts.jitter ?? 0),
  });
  return { keys, scheduler, lines };
}

/**
 * The test clock: Date itself, faked (timers stay real), so that the service's clock and the
 * creation times it stamps on new versions agree; it moves only when the test says.
 */
function testClock() {
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
  return {
    now: () => Date.now(),
    advance: (ms: number) => vi.setSystemTime(Date.now() + ms),
  };
}
afterEach(() => {
  vi.useRealTimers();
});

describe("KeyScheduler over the key service", () => {
  it("rotates a key when its own period has passed, once, as the scheduler", async () => {
    const clock = testClock();
    const { keys, scheduler, lines } = replica(connectMem(), clock);
    await keys.create("k", "admin");
    await keys.create("plain", "admin");
    await keys.configure("k", { rotateMs: 90 * DAY }, "admin");
    clock.advance(90 * DAY - 60_000);
    let r = await scheduler.tick();
    expect([r.examined, r.passDone, r.rotated]).toEqual([2, true, []]);
    expect(r.nextDelayMs).toBe(SCHEDULER_MAX_TICK_MS);
    clock.advance(60_000);
    r = await scheduler.tick();
    expect(r.examined).toBe(0); // no pass due: it acts on the due time it knows
    expect(r.rotated).toEqual([{ name: "k", version: 2 }]);
    expect((await scheduler.tick()).rotated).toEqual([]);
    const v = await keys.versions("k");
    expect(v.versions.map((x) => [x.version, x.createdBy])).toEqual([
      [1, "admin"],
      [2, SCHEDULER_IDENTITY],
    ]);
    expect((await keys.versions("plain")).latest).toBe(1);
    expect(lines).toEqual(["key scheduler: rotated key 'k' to version 2"]);
  });

  it("takes `keys[].rotate` when the key has no period of its own; the key's own wins", async () => {
    const clock = testClock();
    const store = connectMem();
    const { keys, scheduler } = replica(store, clock, {
      configured: [
        ["cfg", 10 * DAY],
        ["own", 10 * DAY],
      ],
    });
    await keys.create("cfg", "admin");
    await keys.create("own", "admin");
    await keys.configure("own", { rotateMs: 30 * DAY }, "admin");
    await scheduler.tick();
    clock.advance(10 * DAY);
    expect((await scheduler.tick()).rotated).toEqual([{ name: "cfg", version: 2 }]);
    expect((await keys.versions("own")).latest).toBe(1);
  });

  it("a replica waits its jitter (at most a tenth of the period) past the due time", async () => {
    const clock = testClock();
    const { keys, scheduler } = replica(connectMem(), clock, {
      configured: [["k", 10_000]],
      jitter: 5_000,
    });
    await keys.create("k", "admin");
    await scheduler.tick();
    expect(scheduler.dueAt("k")).toBe(clock.now() + 10_000 + 1_000);
    clock.advance(10_500);
    expect((await scheduler.tick()).rotated).toEqual([]);
    clock.advance(500);
    expect((await scheduler.tick()).rotated).toEqual([{ name: "k", version: 2 }]);
  });

  it("two replicas on one store make one version", async () => {
    const clock = testClock();
    const store = connectMem();
    const a = replica(store, clock, { configured: [["k", DAY]] });
    const b = replica(store, clock, { configured: [["k", DAY]] });
    await a.keys.create("k", "admin");
    await Promise.all([a.scheduler.tick(), b.scheduler.tick()]); // both learn the due time
    clock.advance(DAY);
    const [ra, rb] = await Promise.all([a.scheduler.tick(), b.scheduler.tick()]);
    expect([...ra.rotated, ...rb.rotated]).toEqual([{ name: "k", version: 2 }]);
    expect((await a.keys.versions("k")).latest).toBe(2);
  });

  it("purges a key pending deletion only once its window has ended (it knew of it by nudge)", async () => {
    const clock = testClock();
    const { keys, scheduler, lines } = replica(connectMem(), clock, { windowMs: 7 * DAY });
    await keys.create("gone", "admin");
    await keys.rotate("gone", "admin");
    expect((await scheduler.tick()).passDone).toBe(true);
    await keys.delete("gone", "admin");
    scheduler.nudge("gone");
    for (let i = 0; i < 100 && scheduler.dueAt("gone") === undefined; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(scheduler.dueAt("gone")).toBe(clock.now() + 7 * DAY);
    clock.advance(7 * DAY - 1);
    expect((await scheduler.tick()).purged).toEqual([]);
    await expect(keys.purge("gone", "admin")).resolves.toBeUndefined(); // still there to purge
    await keys.create("gone2", "admin");
    await keys.delete("gone2", "admin");
    clock.advance(SCHEDULER_PASS_INTERVAL_MS); // the next pass finds it
    expect((await scheduler.tick()).purged).toEqual([]);
    clock.advance(7 * DAY);
    expect((await scheduler.tick()).purged).toEqual(["gone2"]);
    await expect(keys.versions("gone2")).rejects.toThrow("key does not exist");
    expect(lines).toEqual(["key scheduler: purged key 'gone2' (its deletion window ended)"]);
    await scheduler.stop();
  });

  it("a key restored before its window ends is not purged", async () => {
    const clock = testClock();
    const { keys, scheduler } = replica(connectMem(), clock, { windowMs: DAY });
    await keys.create("back", "admin");
    await keys.delete("back", "admin");
    await scheduler.tick();
    await keys.restore("back", "admin");
    clock.advance(DAY);
    expect((await scheduler.tick()).purged).toEqual([]);
    expect((await keys.versions("back")).latest).toBe(1);
  });

  it("a pending key is never rotated, even when its period has passed", async () => {
    const clock = testClock();
    const { keys, scheduler } = replica(connectMem(), clock, {
      windowMs: 30 * DAY,
      configured: [["k", DAY]],
    });
    await keys.create("k", "admin");
    await keys.delete("k", "admin");
    await scheduler.tick();
    clock.advance(2 * DAY);
    expect((await scheduler.tick()).rotated).toEqual([]);
  });

  it("does at most SCHEDULER_ACTIONS_PER_TICK actions per tick; the rest follow", async () => {
    const clock = testClock();
    const n = SCHEDULER_ACTIONS_PER_TICK + 5;
    const names = Array.from({ length: n }, (_, i) => `k${String(i).padStart(4, "0")}`);
    const { keys, scheduler } = replica(connectMem(), clock, {
      configured: names.map((name) => [name, DAY]),
    });
    for (const name of names) await keys.create(name, "admin");
    await scheduler.tick();
    clock.advance(DAY);
    const first = await scheduler.tick();
    expect(first.rotated).toHaveLength(SCHEDULER_ACTIONS_PER_TICK);
    expect(first.nextDelayMs).toBe(SCHEDULER_MIN_TICK_MS);
    const second = await scheduler.tick();
    expect(second.rotated).toHaveLength(5);
    const all = [...first.rotated, ...second.rotated].map((r) => r.name).sort();
    expect(all).toEqual(names);
  });

  it("reads at most SCHEDULER_KEYS_PER_TICK keys per page of a pass", async () => {
    const clock = testClock();
    const { keys, scheduler } = replica(connectMem(), clock);
    for (let i = 0; i <= SCHEDULER_KEYS_PER_TICK; i++) {
      await keys.create(`k${String(i).padStart(5, "0")}`, "admin");
    }
    const first = await scheduler.tick();
    expect([first.examined, first.passDone, first.nextDelayMs]).toEqual([
      SCHEDULER_KEYS_PER_TICK,
      false,
      SCHEDULER_MIN_TICK_MS,
    ]);
    const second = await scheduler.tick();
    expect([second.examined, second.passDone]).toEqual([1, true]);
    expect((await scheduler.tick()).examined).toBe(0);
  });
});

describe("KeyScheduler timer", () => {
  it("ticks at start and at a due time, and stop() ends it", async () => {
    const store = connectMem();
    const clock = { now: Date.now };
    const { keys, scheduler, lines } = replica(store, clock, { configured: [["k", 1_000]] });
    await keys.create("k", "admin");
    scheduler.start();
    for (let i = 0; i < 500 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(lines).toEqual(["key scheduler: rotated key 'k' to version 2"]);
    await scheduler.stop();
    const after = lines.length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(lines.length).toBe(after);
    expect((await keys.versions("k")).latest).toBe(2);
  });
});
