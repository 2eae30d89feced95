// Tests of the key cache (kes-api.md §9): single flight, no caching of failures, any/unused
// expiry, offline probing and offline caching, delete/clear, independence of names, close.

import { afterEach, describe, expect, it, vi } from "vitest";
import { KeyNotFoundError, KeystoreUnreachableError } from "../errors.js";
import type { KeyStore, KeystoreStatus, ListPage } from "../keystore/keystore.js";
import { type CacheOptions, KeyCache } from "./cache.js";

/** A scriptable store: values in a map, optional gates per name, a switchable status. */
class FakeStore implements KeyStore {
  readonly kind = "fake";
  values = new Map<string, string>([
    ["a", "A"],
    ["b", "B"],
  ]);
  gates = new Map<string, Promise<void>>();
  failGet = 0;
  statusFails = false;
  statusHangs = false;
  getCalls = 0;
  statusCalls = 0;

  async get(name: string, signal?: AbortSignal): Promise<string> {
    this.getCalls++;
    const gate = this.gates.get(name);
    if (gate) await abortable(gate, signal);
    if (this.failGet > 0) {
      this.failGet--;
      throw new Error("store broke");
    }
    const v = this.values.get(name);
    if (v === undefined) throw new KeyNotFoundError(name);
    return v;
  }
  async status(signal?: AbortSignal): Promise<KeystoreStatus> {
    this.statusCalls++;
    if (this.statusHangs) await abortable(new Promise<void>(() => {}), signal);
    if (this.statusFails) throw new KeystoreUnreachableError("down");
    return { latencyNs: 1n };
  }
  async create(): Promise<void> {}
  async delete(): Promise<void> {}
  async list(): Promise<ListPage> {
    return { names: [], continueAt: "" };
  }
  async close(): Promise<void> {}
}

function abortable(p: Promise<void>, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    p.then(resolve, reject);
  });
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

let clock = 0;
const caches: KeyCache<unknown>[] = [];
function makeCache(store: KeyStore, opts: Partial<CacheOptions> = {}): KeyCache<string> {
  const cache = new KeyCache(store, (name, raw) => `${name}=${raw}`, {
    anyMs: 0,
    unusedMs: 0,
    offlineMs: 0,
    probeMs: 0,
    now: () => clock,
    ...opts,
  });
  caches.push(cache);
  return cache;
}

afterEach(() => {
  for (const c of caches.splice(0)) c.close();
  vi.useRealTimers();
  clock = 0;
});

describe("KeyCache loads", () => {
  it("serves 100 concurrent gets of one name with one store load", async () => {
    const store = new FakeStore();
    const g = gate();
    store.gates.set("a", g.promise);
    const cache = makeCache(store);
    const pending = Array.from({ length: 100 }, () => cache.get("a"));
    g.open();
    expect(new Set(await Promise.all(pending))).toEqual(new Set(["a=A"]));
    expect(await cache.get("a")).toBe("a=A");
    expect(cache.stats()).toEqual({ size: 1, loads: 1 });
    expect(store.getCalls).toBe(1);
  });

  it("peeks at cached entries only, without a store call, and respects expiry", async () => {
    const store = new FakeStore();
    const cache = makeCache(store, { anyMs: 1000 });
    expect(cache.peek("a")).toBeUndefined();
    expect(store.getCalls).toBe(0);
    await cache.get("a");
    expect(cache.peek("a")).toBe("a=A");
    expect(store.getCalls).toBe(1);
    clock = 2000;
    expect(cache.peek("a")).toBeUndefined();
  });

  it("does not cache errors, not-found or decode failures", async () => {
    const store = new FakeStore();
    const cache = makeCache(store);
    store.failGet = 1;
    await expect(cache.get("a")).rejects.toThrow("store broke");
    expect(await cache.get("a")).toBe("a=A");
    await expect(cache.get("nope")).rejects.toBeInstanceOf(KeyNotFoundError);
    await expect(cache.get("nope")).rejects.toBeInstanceOf(KeyNotFoundError);
    const bad = new KeyCache(
      store,
      () => {
        throw new Error("bad encoding");
      },
      { anyMs: 0, unusedMs: 0, offlineMs: 0, probeMs: 0 },
    );
    await expect(bad.get("b")).rejects.toThrow("bad encoding");
    await expect(bad.get("b")).rejects.toThrow("bad encoding");
    expect(bad.stats()).toEqual({ size: 0, loads: 2 });
    expect(cache.stats()).toEqual({ size: 1, loads: 4 });
  });

  it("shares one failure among concurrent waiters", async () => {
    const store = new FakeStore();
    const g = gate();
    store.gates.set("a", g.promise);
    store.failGet = 1;
    const cache = makeCache(store);
    const results = Array.from({ length: 5 }, () => cache.get("a"));
    g.open();
    for (const r of results) await expect(r).rejects.toThrow("store broke");
    expect(store.getCalls).toBe(1);
  });

  it("lets a waiter retry when the leader's own signal aborted the load", async () => {
    const store = new FakeStore();
    const g = gate();
    store.gates.set("a", g.promise);
    const cache = makeCache(store);
    const ctl = new AbortController();
    const leader = cache.get("a", ctl.signal);
    const waiter = cache.get("a");
    ctl.abort();
    await expect(leader).rejects.toThrow();
    g.open();
    expect(await waiter).toBe("a=A");
    expect(store.getCalls).toBe(2);
  });

  it("lets a waiter give up without cancelling the load for others", async () => {
    const store = new FakeStore();
    const g = gate();
    store.gates.set("a", g.promise);
    const cache = makeCache(store);
    const leader = cache.get("a");
    const ctl = new AbortController();
    const quitter = cache.get("a", ctl.signal);
    ctl.abort();
    await expect(quitter).rejects.toThrow();
    g.open();
    expect(await leader).toBe("a=A");
    expect(store.getCalls).toBe(1);
  });

  it("never blocks one name on another name's load", async () => {
    const store = new FakeStore();
    store.gates.set("a", new Promise<void>(() => {}));
    const cache = makeCache(store);
    void cache.get("a").catch(() => undefined);
    expect(await cache.get("b")).toBe("b=B");
  });
});

describe("KeyCache expiry (checked on read)", () => {
  // Each step: [clock ms, whether this get must hit the cache].
  const cases: [string, Partial<CacheOptions>, [number, boolean][]][] = [
    [
      "no expiry",
      {},
      [
        [0, false],
        [1e9, true],
      ],
    ],
    [
      "any",
      { anyMs: 1000 },
      [
        [0, false],
        [999, true],
        [1000, false],
        [1999, true],
      ],
    ],
    [
      "unused",
      { unusedMs: 1000 },
      [
        [0, false],
        [900, true],
        [1800, true],
        [2900, false],
      ],
    ],
    [
      "any beats use",
      { anyMs: 1000, unusedMs: 600 },
      [
        [0, false],
        [500, true],
        [1000, false],
      ],
    ],
  ];
  it.each(cases)("%s", async (_label, opts, steps) => {
    const store = new FakeStore();
    const cache = makeCache(store, opts);
    let loads = 0;
    for (const [at, hit] of steps) {
      clock = at;
      expect(await cache.get("a")).toBe("a=A");
      if (!hit) loads++;
      expect(store.getCalls, `at ${at}`).toBe(loads);
    }
  });
});

describe("KeyCache timers", () => {
  it("sweeps unused entries between unused/2 and unused after last use", async () => {
    vi.useFakeTimers();
    const cache = makeCache(new FakeStore(), { unusedMs: 1000, now: () => Date.now() });
    await cache.get("a");
    await vi.advanceTimersByTimeAsync(499);
    expect(cache.stats().size).toBe(1);
    await vi.advanceTimersByTimeAsync(501);
    expect(cache.stats().size).toBe(0);
  });

  it("sweeps entries older than any", async () => {
    vi.useFakeTimers();
    const cache = makeCache(new FakeStore(), { anyMs: 1000, now: () => Date.now() });
    await cache.get("a");
    await vi.advanceTimersByTimeAsync(999);
    expect(cache.stats().size).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(cache.stats().size).toBe(0);
  });

  it("goes offline on a failed probe, keeps entries for offlineMs, and comes back", async () => {
    vi.useFakeTimers();
    const store = new FakeStore();
    const opts = { anyMs: 1000, offlineMs: 5000, probeMs: 100, now: () => Date.now() };
    const cache = makeCache(store, opts);
    await cache.get("a");
    store.statusFails = true;
    await vi.advanceTimersByTimeAsync(100);
    expect(cache.offline).toBe(true);
    const calls = store.statusCalls;
    await expect(cache.status()).rejects.toThrow(
      new KeystoreUnreachableError("keystore is offline"),
    );
    expect(store.statusCalls).toBe(calls);
    await vi.advanceTimersByTimeAsync(4000); // any (1000) has long passed; offline keeps it
    expect(await cache.get("a")).toBe("a=A");
    expect(store.getCalls).toBe(1);
    await vi.advanceTimersByTimeAsync(1000); // offlineMs since going offline
    expect(await cache.get("a")).toBe("a=A"); // expired: loaded again (the store may answer)
    expect(store.getCalls).toBe(2);
    await vi.advanceTimersByTimeAsync(6000); // the reloaded entry's own offline period, swept
    expect(cache.stats().size).toBe(0);
    store.statusFails = false;
    await vi.advanceTimersByTimeAsync(100);
    expect(cache.offline).toBe(false);
    expect((await cache.status()).latencyNs).toBe(1n);
  });

  it("probes again on a status request while offline, at most once a second", async () => {
    vi.useFakeTimers();
    const store = new FakeStore();
    store.statusFails = true;
    const cache = makeCache(store, { probeMs: 5000, now: () => Date.now() });
    await vi.advanceTimersByTimeAsync(5000);
    expect(cache.offline).toBe(true);
    store.statusFails = false;
    const calls = store.statusCalls;
    await expect(cache.status()).rejects.toBeInstanceOf(KeystoreUnreachableError); // < 1 s
    expect(store.statusCalls).toBe(calls);
    await vi.advanceTimersByTimeAsync(1000); // no background probe before 10 s
    expect((await cache.status()).latencyNs).toBe(1n);
    expect(cache.offline).toBe(false);
  });

  it("expires normally while offline when offline caching is disabled", async () => {
    vi.useFakeTimers();
    const store = new FakeStore();
    store.statusFails = true;
    const cache = makeCache(store, { anyMs: 1000, probeMs: 100, now: () => Date.now() });
    await cache.get("a");
    await vi.advanceTimersByTimeAsync(1000);
    expect(cache.offline).toBe(true);
    expect(cache.stats().size).toBe(0);
    await expect(cache.status()).rejects.toBeInstanceOf(KeystoreUnreachableError);
  });

  it("treats a probe that hangs past its interval as offline", async () => {
    const store = new FakeStore();
    store.statusHangs = true;
    const cache = makeCache(store, { probeMs: 20, now: () => Date.now() });
    await vi.waitFor(() => expect(cache.offline).toBe(true), { timeout: 2000, interval: 10 });
  });

  it("does not go offline when close cancels a probe", async () => {
    vi.useFakeTimers();
    const store = new FakeStore();
    store.statusHangs = true;
    const cache = makeCache(store, { probeMs: 100_000, now: () => Date.now() });
    await vi.advanceTimersByTimeAsync(100_000);
    expect(store.statusCalls).toBe(1);
    cache.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(cache.offline).toBe(false);
  });

  it("stops every timer on close", async () => {
    vi.useFakeTimers();
    const store = new FakeStore();
    const before = vi.getTimerCount();
    const opts = { anyMs: 1000, unusedMs: 1000, offlineMs: 1000, probeMs: 100 };
    const cache = makeCache(store, opts);
    expect(vi.getTimerCount()).toBeGreaterThan(before);
    cache.close();
    expect(vi.getTimerCount()).toBe(before);
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.statusCalls).toBe(0);
  });
});

describe("KeyCache delete and clear", () => {
  it("drops one entry or all of them", async () => {
    const store = new FakeStore();
    const cache = makeCache(store);
    await cache.get("a");
    await cache.get("b");
    cache.delete("a");
    expect(cache.stats().size).toBe(1);
    await cache.get("a");
    await cache.get("b");
    expect(store.getCalls).toBe(3);
    cache.clear();
    expect(cache.stats().size).toBe(0);
  });

  it("keeps a load in flight during delete/clear out of the cache", async () => {
    for (const drop of ["delete", "clear"] as const) {
      const store = new FakeStore();
      const g = gate();
      store.gates.set("a", g.promise);
      const cache = makeCache(store);
      const pending = cache.get("a");
      if (drop === "delete") cache.delete("a");
      else cache.clear();
      g.open();
      expect(await pending).toBe("a=A");
      expect(cache.stats().size, drop).toBe(0);
    }
  });
});
