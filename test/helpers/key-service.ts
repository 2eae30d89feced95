// Test helper: a KeyService over any KeyStore with a controllable clock and a
// store that counts its calls, for the key-service tests here and the keystore tests in test/.

import { KeyCache } from "../../internal/keys/cache.js";
import { type DeletionOptions, KeyService, ringLoader } from "../../internal/keys/key-service.js";
import type { KeyStore } from "../../internal/keystore/keystore.js";

/** A KeyStore that counts every call by method and passes it on. */
export interface CountingStore extends KeyStore {
  counts: { get: number; create: number; delete: number; list: number };
  /** Names read, in order. */
  reads: string[];
}

export function countingStore(inner: KeyStore): CountingStore {
  const counts = { get: 0, create: 0, delete: 0, list: 0 };
  const reads: string[] = [];
  return {
    kind: inner.kind,
    ...(inner.racyCreate === undefined ? {} : { racyCreate: inner.racyCreate }),
    counts,
    reads,
    create(name, value, signal) {
      counts.create++;
      return inner.create(name, value, signal);
    },
    get(name, signal) {
      counts.get++;
      reads.push(name);
      return inner.get(name, signal);
    },
    delete(name, signal) {
      counts.delete++;
      return inner.delete(name, signal);
    },
    list(prefix, startAt, limit, signal) {
      counts.list++;
      return inner.list(prefix, startAt, limit, signal);
    },
    status: (signal) => inner.status(signal),
    close: () => inner.close(),
  };
}

export interface TestService {
  keys: KeyService;
  store: CountingStore;
  cache: KeyCache<unknown>;
  failures: { op: string; name: string; err: unknown }[];
  /** The service's clock (ms); tests move it. */
  clock: { now: number };
  close(): void;
}

export interface TestServiceOptions {
  deletion?: DeletionOptions;
  refreshMs?: number;
}

/** A service over `inner` (shared stores make replicas), with its own cache and clock. */
export function serviceOn(inner: KeyStore, opts: TestServiceOptions = {}): TestService {
  const store = countingStore(inner);
  const clock = { now: Date.UTC(2026, 0, 1) };
  const now = () => clock.now;
  const cache = new KeyCache(store, ringLoader(store, now), {
    anyMs: 0,
    unusedMs: 0,
    offlineMs: 0,
    probeMs: 0,
  });
  const failures: TestService["failures"] = [];
  const keys = new KeyService({
    store,
    cache,
    defaultAlgorithm: "AES256",
    onFailure: (op, name, err) => void failures.push({ op, name, err }),
    now,
    refreshMs: opts.refreshMs ?? 0,
    ...(opts.deletion ? { deletion: opts.deletion } : {}),
  });
  return { keys, store, cache, failures, clock, close: () => cache.close() };
}
