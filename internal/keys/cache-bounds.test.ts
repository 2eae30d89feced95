// Tests of the key cache's bounds: at most `maxKeys` entries with least-recently-used eviction
// (a scripted case and a seeded model check against a reference LRU), and status probes that
// leave nothing behind on the cache's long-lived signal or on their own signal once they end.

import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { KeyNotFoundError } from "../errors.js";
import type { KeyStore, KeystoreStatus, ListPage } from "../keystore/keystore.js";
import { CACHE_MAX_KEYS } from "../limits.js";
import { type CacheOptions, KeyCache } from "./cache.js";

/** Every name "k<i>" exists; counts loads per name; status can be made to hang. */
class CountingStore implements KeyStore {
  readonly kind = "counting";
  loads = new Map<string, number>();
  statusSignals: AbortSignal[] = [];
  statusHangs = false;

  async get(name: string): Promise<string> {
    if (!name.startsWith("k")) throw new KeyNotFoundError(name);
    this.loads.set(name, (this.loads.get(name) ?? 0) + 1);
    return name.toUpperCase();
  }
  async status(signal?: AbortSignal): Promise<KeystoreStatus> {
    if (signal) {
      this.statusSignals.push(signal);
      // A store that hooks onto the probe's signal, as an HTTP client does.
      signal.addEventListener("abort", () => {}, { once: true });
    }
    if (this.statusHangs) await new Promise(() => {});
    return { latencyNs: 1n };
  }
  async create(): Promise<void> {}
  async delete(): Promise<void> {}
  async list(): Promise<ListPage> {
    return { names: [], continueAt: "" };
  }
  async close(): Promise<void> {}
}

const caches: KeyCache<unknown>[] = [];
function makeCache(store: KeyStore, opts: Partial<CacheOptions> = {}): KeyCache<string> {
  const cache = new KeyCache(store, (_name, raw) => raw, {
    anyMs: 0,
    unusedMs: 0,
    offlineMs: 0,
    probeMs: 0,
    ...opts,
  });
  caches.push(cache);
  return cache;
}

afterEach(() => {
  for (const c of caches.splice(0)) c.close();
  vi.useRealTimers();
});

describe("KeyCache count bound (LRU)", () => {
  it("defaults to CACHE_MAX_KEYS and never holds more than maxKeys entries", async () => {
    expect(CACHE_MAX_KEYS).toBe(100_000);
    const cache = makeCache(new CountingStore(), { maxKeys: 3 });
    for (let i = 0; i < 10; i++) await cache.get(`k${i}`);
    expect(cache.stats().size).toBe(3);
  });

  it("evicts the least recently used entry, a hit counting as a use", async () => {
    const store = new CountingStore();
    const cache = makeCache(store, { maxKeys: 3 });
    for (const n of ["ka", "kb", "kc"]) await cache.get(n);
    expect(cache.peek("ka")).toBe("KA"); // ka is now the most recently used; kb the least
    await cache.get("kd"); // evicts kb
    expect(cache.peek("kb")).toBeUndefined();
    expect(["ka", "kc", "kd"].map((n) => cache.peek(n))).toEqual(["KA", "KC", "KD"]);
    await cache.get("kb"); // a miss: loaded again, evicting ka (the least recently used now)
    expect(store.loads.get("kb")).toBe(2);
    expect(cache.peek("ka")).toBeUndefined();
    expect(store.loads.get("ka")).toBe(1);
  });

  it("agrees with a reference LRU on 2,000 seeded random operations", async () => {
    let seed = 0x2545f491;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    for (const maxKeys of [1, 2, 7, 32]) {
      const store = new CountingStore();
      const cache = makeCache(store, { maxKeys });
      const model: string[] = []; // least recently used first
      for (let op = 0; op < 2000; op++) {
        const name = `k${rand(maxKeys * 3)}`;
        const action = rand(3);
        if (action === 0) {
          cache.delete(name);
          const at = model.indexOf(name);
          if (at >= 0) model.splice(at, 1);
          continue;
        }
        const before = store.loads.get(name) ?? 0;
        if (action === 1 && cache.peek(name) === undefined) {
          expect(model).not.toContain(name);
          continue;
        }
        await cache.get(name);
        const missed = (store.loads.get(name) ?? 0) > before;
        expect(missed).toBe(action === 2 && !model.includes(name));
        if (model.includes(name)) model.splice(model.indexOf(name), 1);
        model.push(name);
        if (model.length > maxKeys) model.shift();
        expect(cache.stats().size).toBe(model.length);
      }
      for (const name of model) expect(cache.peek(name)).toBe(name.toUpperCase());
    }
  });
});

describe("KeyCache status probes", () => {
  it("leave no listener on the cache's lifetime signal and end with their own signal aborted", async () => {
    vi.useFakeTimers();
    const store = new CountingStore();
    const cache = makeCache(store, { probeMs: 10 });
    for (let i = 0; i < 200; i++) {
      await vi.advanceTimersByTimeAsync(10);
      expect(getEventListeners(cache.lifetime, "abort")).toHaveLength(0);
    }
    expect(store.statusSignals.length).toBeGreaterThanOrEqual(200);
    for (const signal of store.statusSignals) {
      expect(signal.aborted).toBe(true);
      expect(getEventListeners(signal, "abort")).toHaveLength(0);
    }
  });

  it("hold one listener on the lifetime signal while a probe runs, none after close", async () => {
    vi.useFakeTimers();
    const store = new CountingStore();
    store.statusHangs = true;
    const cache = makeCache(store, { probeMs: 1000 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(getEventListeners(cache.lifetime, "abort")).toHaveLength(1);
    // The probe times out (its own timer) and the next ones run: one listener at most.
    for (let i = 0; i < 20; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      expect(getEventListeners(cache.lifetime, "abort").length).toBeLessThanOrEqual(1);
    }
    expect(store.statusSignals.length).toBeGreaterThanOrEqual(10);
    expect(cache.offline).toBe(true);
    cache.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(getEventListeners(cache.lifetime, "abort")).toHaveLength(0);
    expect(store.statusSignals.every((s) => s.aborted)).toBe(true);
  });
});
