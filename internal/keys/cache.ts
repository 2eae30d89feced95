// The key cache (kes-api.md §9): decoded keys by name in front of a KeyStore, with one store load
// per name at a time, "any"/"unused" expiry, and offline caching driven by a periodic status
// probe. It must never cache a failure or a not-found, never let one name's load block another
// name, and never log or expose a value.
//
// Deviations from KES, on purpose:
// * "any" is per entry: an entry expires `anyMs` after it was loaded, instead of KES's global
//   sweep that drops everything every `any` (so a key loaded just before a sweep lives longer).
// * The caller passes the effective numbers; keyfront applies `unused` = 30 s as documented
//   instead of KES's HEAD bug that sets `any` to 30 s (§9 "Defaults").
// Expiry is checked on every read (exact) and by one sweep timer (to free memory). The number of
// entries is bounded too (`maxKeys`): beyond it the least recently used entry is evicted.

import { KeyNotFoundError, KeystoreUnreachableError } from "../errors.js";
import type { KeyStore, KeystoreStatus } from "../keystore/keystore.js";
import {
  CACHE_MAX_KEYS,
  CACHE_OFFLINE_PROBE_MS,
  CACHE_OFFLINE_REPROBE_MS,
  CACHE_STATUS_PROBE_TIMEOUT_MS,
} from "../limits.js";
import { raceAbort } from "../sleep.js";

export interface CacheOptions {
  /** Entries expire this long after they were loaded; ≤ 0 disables. */
  anyMs: number;
  /** Entries are evicted between unusedMs/2 and unusedMs after their last use; ≤ 0 disables. */
  unusedMs: number;
  /** While offline, entries are kept (any/unused suspended) for this long; ≤ 0 disables. */
  offlineMs: number;
  /** Most entries held; beyond it the least recently used is evicted. Default CACHE_MAX_KEYS. */
  maxKeys?: number;
  /** Status probe interval; ≤ 0 disables probing. Default CACHE_OFFLINE_PROBE_MS. */
  probeMs?: number;
  /** Milliseconds clock; default performance.now (monotonic). */
  now?: () => number;
}

/**
 * How the cache loads a value when it is not a single store read: `load` reads it (throws
 * KeyNotFoundError when absent); `prefer`, if given, picks between a cached value and a freshly
 * loaded one (e.g. keeps a newer key ring that a rotation put in while an older load ran).
 */
export interface Loader<V> {
  load(name: string, signal: AbortSignal | undefined): Promise<V>;
  prefer?(cached: V, loaded: V): V;
}

interface Entry<V> {
  value: V;
  loadedAt: number;
  usedAt: number;
}

/**
 * One store load in flight for one name, shared by every caller that misses meanwhile. Once it
 * has settled it no longer holds its caller's signal (see #fetch).
 */
class Load<V> {
  promise!: Promise<V>;
  /** Cleared by delete/clear: the result must not enter the cache. */
  valid = true;
  /** The signal of the caller whose load this is; its abort does not fail the other waiters. */
  signal: AbortSignal | undefined;
  /** Whether that signal had aborted when the load settled. */
  leaderGaveUp = false;
  constructor(signal: AbortSignal | undefined) {
    this.signal = signal;
  }
}

export class KeyCache<V> {
  readonly #store: KeyStore;
  readonly #loader: Loader<V>;
  readonly #anyMs: number;
  readonly #unusedMs: number;
  readonly #offlineMs: number;
  readonly #now: () => number;
  readonly #maxKeys: number;
  /** In least-recently-used-first order: a hit moves its entry to the end. */
  readonly #entries = new Map<string, Entry<V>>();
  /** The entry last put at the recently-used end. */
  #last: Entry<V> | undefined = undefined;
  readonly #loads = new Map<string, Load<V>>();
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  readonly #closed = new AbortController();
  #offlineSince: number | undefined;
  #probing = false;
  #lastProbe = Number.NEGATIVE_INFINITY;
  #loadCount = 0;

  constructor(
    store: KeyStore,
    decode: ((name: string, raw: string) => V) | Loader<V>,
    opts: CacheOptions,
  ) {
    this.#store = store;
    this.#loader =
      typeof decode === "function"
        ? { load: async (name, signal) => decode(name, await store.get(name, signal)) }
        : decode;
    this.#anyMs = opts.anyMs;
    this.#unusedMs = opts.unusedMs;
    this.#offlineMs = opts.offlineMs;
    this.#now = opts.now ?? (() => performance.now());
    this.#maxKeys = Math.max(1, opts.maxKeys ?? CACHE_MAX_KEYS);
    const sweeps = [this.#anyMs, this.#unusedMs / 2, this.#offlineMs].filter((ms) => ms > 0);
    if (sweeps.length > 0) this.#every(Math.min(...sweeps), () => this.#sweep());
    const probeMs = opts.probeMs ?? CACHE_OFFLINE_PROBE_MS;
    if (probeMs > 0) this.#every(probeMs, () => void this.#probe(probeMs));
  }

  /** True after a failed status probe, until a probe succeeds. */
  get offline(): boolean {
    return this.#offlineSince !== undefined;
  }

  /** The decoded key if it is cached (marking it used), without touching the store. */
  peek(name: string): V | undefined {
    return this.#lookup(name)?.value;
  }

  /** The decoded key; loads it once however many callers ask at the same time. */
  async get(name: string, signal?: AbortSignal): Promise<V> {
    for (;;) {
      signal?.throwIfAborted();
      const hit = this.#lookup(name);
      if (hit !== undefined) return hit.value;
      let load = this.#loads.get(name);
      const leader = load === undefined;
      if (load === undefined) load = this.#startLoad(name, signal);
      try {
        return await raceAbort(load.promise, signal);
      } catch (err) {
        // A waiter whose leader gave up (its own signal) tries again itself; otherwise the
        // failure is shared by everyone waiting on this load (and is not cached).
        if (leader || signal?.aborted || !load.leaderGaveUp) throw err;
      }
    }
  }

  /**
   * Loads `name` again while its entry (if any) keeps answering `peek`, then replaces the entry
   * (through `prefer`); a key found absent is dropped. Shares a load already in flight.
   */
  refresh(name: string, signal?: AbortSignal): Promise<V> {
    return (this.#loads.get(name) ?? this.#startLoad(name, signal)).promise;
  }

  /** Puts a value just written to the store (e.g. a rotated key ring) into the cache. */
  set(name: string, value: V): void {
    const now = this.#now();
    const old = this.#entries.get(name)?.value;
    const kept = old !== undefined && this.#loader.prefer ? this.#loader.prefer(old, value) : value;
    this.#insert(name, { value: kept, loadedAt: now, usedAt: now });
  }

  /** Drops one entry (and keeps a load in flight from re-adding it). */
  delete(name: string): void {
    this.#entries.delete(name);
    const load = this.#loads.get(name);
    if (load) {
      load.valid = false;
      this.#loads.delete(name);
    }
  }

  /** Drops every entry (and keeps loads in flight from re-adding theirs). */
  clear(): void {
    this.#entries.clear();
    for (const load of this.#loads.values()) load.valid = false;
    this.#loads.clear();
  }

  /** The store's status; while offline, throws at once (kes-api.md §9, /v1/ready → 504). */
  /**
   * The store's status. While offline it probes again on demand (at most once per
   * CACHE_OFFLINE_REPROBE_MS), so /v1/ready turns healthy as soon as the store is back rather
   * than at the next background probe.
   */
  async status(signal?: AbortSignal): Promise<KeystoreStatus> {
    if (this.offline) {
      if (this.#now() - this.#lastProbe >= CACHE_OFFLINE_REPROBE_MS) {
        await this.#probe(CACHE_STATUS_PROBE_TIMEOUT_MS);
      }
      if (this.offline) throw new KeystoreUnreachableError("keystore is offline");
    }
    return this.#store.status(signal);
  }

  stats(): { size: number; loads: number } {
    return { size: this.#entries.size, loads: this.#loadCount };
  }

  /** Aborted by close(): the lifetime every probe is bound to. */
  get lifetime(): AbortSignal {
    return this.#closed.signal;
  }

  /** Stops every timer and any probe in flight. The cache still answers `get`. */
  close(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers.length = 0;
    this.#closed.abort();
  }

  #lookup(name: string): Entry<V> | undefined {
    const entry = this.#entries.get(name);
    if (entry === undefined) return undefined;
    const now = this.#now();
    if (this.#isExpired(entry, now)) {
      this.#entries.delete(name);
      return undefined;
    }
    entry.usedAt = now;
    // Most recently used last: Map iteration order is insertion order. A hit on the entry that
    // is already last does not move it (a delete + set per hit churns the Map's table).
    if (this.#last !== entry) {
      this.#entries.delete(name);
      this.#entries.set(name, entry);
      this.#last = entry;
    }
    return entry;
  }

  #startLoad(name: string, signal: AbortSignal | undefined): Load<V> {
    this.#loadCount++;
    const load = new Load<V>(signal);
    this.#loads.set(name, load); // registered before the store is called, even if it throws at once
    load.promise = this.#fetch(name, load);
    load.promise.catch(() => undefined); // waiters handle it; never an unhandled rejection
    return load;
  }

  async #fetch(name: string, load: Load<V>): Promise<V> {
    try {
      let value: V;
      try {
        value = await this.#loader.load(name, load.signal);
      } catch (err) {
        if (err instanceof KeyNotFoundError && load.valid) this.#entries.delete(name);
        throw err;
      }
      const now = this.#now();
      const old = this.#entries.get(name)?.value;
      if (old !== undefined && this.#loader.prefer) value = this.#loader.prefer(old, value);
      if (load.valid) this.#insert(name, { value, loadedAt: now, usedAt: now });
      return value;
    } finally {
      if (this.#loads.get(name) === load) this.#loads.delete(name);
      // The settled load lets go of its caller's signal (and through it the caller's request):
      // the #loads Map replaces its hash table as loads come and go, and V8 keeps each replaced
      // table pointing at the Load objects it held, and at its successor, until a mark-compact.
      load.leaderGaveUp = load.signal?.aborted ?? false;
      load.signal = undefined;
    }
  }

  /** Adds an entry as the most recently used, evicting the least recently used beyond maxKeys. */
  #insert(name: string, entry: Entry<V>): void {
    this.#entries.delete(name);
    this.#entries.set(name, entry);
    this.#last = entry;
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxKeys) break;
      this.#entries.delete(oldest);
    }
  }

  #isExpired(entry: Entry<V>, now: number): boolean {
    if (this.#offlineSince !== undefined && this.#offlineMs > 0) {
      // Offline caching: keep everything until offlineMs has passed since going offline (or
      // since the entry was loaded, for entries loaded while offline).
      return now - Math.max(this.#offlineSince, entry.loadedAt) >= this.#offlineMs;
    }
    if (this.#anyMs > 0 && now - entry.loadedAt >= this.#anyMs) return true;
    return this.#unusedMs > 0 && now - entry.usedAt >= this.#unusedMs;
  }

  /** Frees expired entries; the sweep evicts unused ones from unusedMs/2 on. */
  #sweep(): void {
    const now = this.#now();
    const keepAll = this.#offlineSince !== undefined && this.#offlineMs > 0;
    for (const [name, entry] of this.#entries) {
      const unused = !keepAll && this.#unusedMs > 0 && now - entry.usedAt >= this.#unusedMs / 2;
      if (unused || this.#isExpired(entry, now)) this.#entries.delete(name);
    }
  }

  /**
   * One status probe under its own AbortController, aborted when the cache closes or the probe
   * times out, and always at its end: nothing it hooked onto the long-lived close signal (one
   * listener, removed in `finally`) or the store hooked onto its signal outlives it. (One
   * `AbortSignal.any` per probe kept a dependant of the close signal alive per probe.)
   */
  async #probe(timeoutMs: number): Promise<void> {
    if (this.#probing) return;
    this.#probing = true;
    this.#lastProbe = this.#now();
    const probe = new AbortController();
    const onClose = () => probe.abort(this.#closed.signal.reason);
    this.#closed.signal.addEventListener("abort", onClose, { once: true });
    const timer = setTimeout(
      () => probe.abort(new KeystoreUnreachableError("keystore status probe timed out")),
      timeoutMs,
    );
    timer.unref?.();
    try {
      await raceAbort(this.#store.status(probe.signal), probe.signal);
      this.#offlineSince = undefined;
    } catch {
      // Cancellation (close) is not an outage; anything else, a timeout included, is.
      if (!this.#closed.signal.aborted && this.#offlineSince === undefined) {
        this.#offlineSince = this.#now();
      }
    } finally {
      clearTimeout(timer);
      this.#closed.signal.removeEventListener("abort", onClose);
      probe.abort(new Error("status probe ended"));
      this.#probing = false;
    }
  }

  #every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref?.();
    this.#timers.push(timer);
  }
}
