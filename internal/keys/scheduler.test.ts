// The scheduler's decisions and bounds against a scripted target with a test clock: what is due
// is rotated or purged, exactly once, never before its time, at most SCHEDULER_ACTIONS_PER_TICK
// per sweep and SCHEDULER_KEYS_PER_TICK keys examined, continuing where the last sweep stopped.

import { describe, expect, it } from "vitest";
import {
  SCHEDULER_ACTIONS_PER_TICK,
  SCHEDULER_KEYS_PER_TICK,
  SCHEDULER_MAX_TICK_MS,
  SCHEDULER_MIN_TICK_MS,
} from "../limits.js";
import { type KeySchedule, KeyScheduler, type SchedulerTarget } from "./scheduler.js";

const DAY = 86_400_000;

class FakeKeys implements SchedulerTarget {
  keys = new Map<string, KeySchedule>();
  lists = 0;
  constructor(private readonly now: () => number) {}
  add(name: string, s: Partial<KeySchedule> = {}): void {
    this.keys.set(name, {
      latestVersion: 1,
      latestCreatedMs: 0,
      rotateMs: 0,
      purgeAtMs: undefined,
      ...s,
    });
  }
  async list(startAt: string, limit: number) {
    this.lists++;
    const all = [...this.keys.keys()].sort().filter((n) => n >= startAt);
    const names = all.slice(0, limit);
    return { names, continueAt: all[limit] ?? "" };
  }
  async schedule(name: string) {
    const s = this.keys.get(name);
    return s === undefined ? undefined : { ...s };
  }
  async rotate(name: string, latest: number) {
    const s = this.keys.get(name);
    if (s === undefined || s.latestVersion !== latest) return undefined; // another replica won
    s.latestVersion++;
    s.latestCreatedMs = this.now();
    return s.latestVersion;
  }
  async purge(name: string) {
    const s = this.keys.get(name);
    if (s?.purgeAtMs === undefined || s.purgeAtMs > this.now()) return false;
    this.keys.delete(name);
    return true;
  }
}

function setup(configured: [string, number][] = []) {
  let t = 1_000 * DAY;
  const clock = { now: () => t, advance: (ms: number) => (t += ms) };
  const keys = new FakeKeys(clock.now);
  const lines: string[] = [];
  const log = {
    info: (_f: Record<string, unknown>, msg: string) => lines.push(msg),
    warn: (_f: Record<string, unknown>, msg: string) => lines.push(`WARN ${msg}`),
  };
  const scheduler = new KeyScheduler({
    target: keys,
    configured: new Map(configured),
    log,
    now: clock.now,
  });
  return { clock, keys, lines, scheduler };
}

describe("KeyScheduler.sweep", () => {
  it("rotates a key when its own period has passed, once, and says when to look again", async () => {
    const { clock, keys, lines, scheduler } = setup();
    keys.add("k", { latestCreatedMs: clock.now(), rotateMs: 90 * DAY });
    keys.add("plain", { latestCreatedMs: 0 });
    clock.advance(90 * DAY - 1);
    let r = await scheduler.sweep();
    expect(r.rotated).toEqual([]);
    expect(r.nextDelayMs).toBe(SCHEDULER_MIN_TICK_MS); // due in 1 ms: the shortest tick
    clock.advance(1);
    r = await scheduler.sweep();
    expect(r.rotated).toEqual([{ name: "k", version: 2 }]);
    expect(r.nextDelayMs).toBe(SCHEDULER_MAX_TICK_MS); // next due in 90 days
    r = await scheduler.sweep();
    expect(r.rotated).toEqual([]);
    expect(keys.keys.get("k")?.latestVersion).toBe(2);
    expect(lines).toEqual(["key scheduler: rotated key 'k' to version 2"]);
  });

  it("takes the config's period when the key has none of its own; the key's own wins", async () => {
    const { clock, keys, scheduler } = setup([
      ["cfg", 10 * DAY],
      ["own", 10 * DAY],
    ]);
    keys.add("cfg", { latestCreatedMs: clock.now() });
    keys.add("own", { latestCreatedMs: clock.now(), rotateMs: 30 * DAY });
    clock.advance(10 * DAY);
    const r = await scheduler.sweep();
    expect(r.rotated).toEqual([{ name: "cfg", version: 2 }]);
  });

  it("a replica that lost the race makes nothing", async () => {
    const { clock, keys, scheduler } = setup();
    keys.add("k", { latestCreatedMs: clock.now(), rotateMs: DAY });
    clock.advance(DAY);
    // the other replica read the key before this one rotated it
    const stale = await keys.schedule("k");
    const other = new KeyScheduler({
      target: {
        list: (a, b) => keys.list(a, b),
        schedule: async () => stale,
        rotate: (n, l) => keys.rotate(n, l),
        purge: (n) => keys.purge(n),
      },
      configured: new Map(),
      log: { info: () => {}, warn: () => {} },
      now: clock.now,
    });
    expect((await scheduler.sweep()).rotated).toEqual([{ name: "k", version: 2 }]);
    expect((await other.sweep()).rotated).toEqual([]);
    expect(keys.keys.get("k")?.latestVersion).toBe(2);
  });

  it("purges a key pending deletion only once its window has ended", async () => {
    const { clock, keys, lines, scheduler } = setup();
    keys.add("gone", { purgeAtMs: clock.now() + 7 * DAY });
    clock.advance(7 * DAY - 1);
    expect((await scheduler.sweep()).purged).toEqual([]);
    expect(keys.keys.has("gone")).toBe(true);
    clock.advance(1);
    expect((await scheduler.sweep()).purged).toEqual(["gone"]);
    expect(keys.keys.has("gone")).toBe(false);
    expect(lines).toEqual(["key scheduler: purged key 'gone' (its deletion window ended)"]);
  });

  it("a pending key is never rotated, even when its period has passed", async () => {
    const { clock, keys, scheduler } = setup([["k", DAY]]);
    keys.add("k", { latestCreatedMs: 0, rotateMs: DAY, purgeAtMs: clock.now() + DAY });
    expect((await scheduler.sweep()).rotated).toEqual([]);
  });

  it("does at most SCHEDULER_ACTIONS_PER_TICK actions per sweep and continues after them", async () => {
    const { clock, keys, scheduler } = setup();
    const n = SCHEDULER_ACTIONS_PER_TICK + 5;
    for (let i = 0; i < n; i++) keys.add(`k${String(i).padStart(4, "0")}`, { rotateMs: DAY });
    clock.advance(DAY);
    const first = await scheduler.sweep();
    expect(first.rotated).toHaveLength(SCHEDULER_ACTIONS_PER_TICK);
    expect(first.passDone).toBe(false);
    expect(first.nextDelayMs).toBe(SCHEDULER_MIN_TICK_MS);
    const second = await scheduler.sweep();
    expect(second.rotated.map((r) => r.name)).toEqual(
      [...keys.keys.keys()].sort().slice(SCHEDULER_ACTIONS_PER_TICK),
    );
    expect(second.passDone).toBe(true);
  });

  it("examines at most SCHEDULER_KEYS_PER_TICK keys per sweep", async () => {
    const { keys, scheduler } = setup();
    for (let i = 0; i < SCHEDULER_KEYS_PER_TICK + 1; i++)
      keys.add(`k${String(i).padStart(5, "0")}`);
    const first = await scheduler.sweep();
    expect(first.examined).toBe(SCHEDULER_KEYS_PER_TICK);
    expect(first.passDone).toBe(false);
    const second = await scheduler.sweep();
    expect(second.examined).toBe(1);
    expect(second.passDone).toBe(true);
  });

  it("a key that cannot be read is logged and skipped; the others are still served", async () => {
    const { clock, keys, lines, scheduler } = setup();
    keys.add("a", { rotateMs: DAY });
    keys.add("b", { rotateMs: DAY });
    const schedule = keys.schedule.bind(keys);
    keys.schedule = async (name: string) => {
      if (name === "a") throw new Error("keystore hiccup");
      return schedule(name);
    };
    clock.advance(DAY);
    const r = await scheduler.sweep();
    expect(r.failed).toBe(1);
    expect(r.rotated).toEqual([{ name: "b", version: 2 }]);
    expect(lines[0]).toBe("WARN key scheduler: cannot check key 'a'");
  });
});

describe("KeyScheduler timer", () => {
  it("sweeps at start and after a nudge, and stop() ends it", async () => {
    const { keys, scheduler } = setup();
    keys.add("k");
    scheduler.start();
    for (let i = 0; i < 200 && keys.lists === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(keys.lists).toBe(1);
    scheduler.nudge();
    for (let i = 0; i < 300 && keys.lists === 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(keys.lists).toBe(2);
    await scheduler.stop();
    scheduler.nudge();
    await new Promise((r) => setTimeout(r, SCHEDULER_MIN_TICK_MS + 100));
    expect(keys.lists).toBe(2);
  });
});
