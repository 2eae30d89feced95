// Tests of the key service's listing cost (a complete listing is one store listing) and of what
// counts as a keystore failure: a store call cancelled because the client hung up is not one
// (never reported to the failure sink), a route timeout or a real failure is.

import { describe, expect, it } from "vitest";
import { ApiError, errTimeout } from "../errors.js";
import type { KeyStore, ListPage } from "../keystore/keystore.js";
import { connectMem } from "../keystore/mem/mem-store.js";
import { KeyCache } from "./cache.js";
import { KeyService, ringLoader } from "./key-service.js";

function serviceOver(store: KeyStore) {
  const failures: string[] = [];
  const cache = new KeyCache(store, ringLoader(store), {
    anyMs: 0,
    unusedMs: 0,
    offlineMs: 0,
    probeMs: 0,
  });
  const keys = new KeyService({
    store,
    cache,
    defaultAlgorithm: "AES256",
    onFailure: (op) => void failures.push(op),
  });
  return { keys, failures };
}

/** The mem store, counting list calls. */
function countingMem(): KeyStore & { lists: number } {
  const mem = connectMem();
  const store = Object.assign(Object.create(null) as object, mem, {
    lists: 0,
    list(prefix: string, startAt: string, limit: number, signal?: AbortSignal): Promise<ListPage> {
      store.lists++;
      return mem.list(prefix, startAt, limit, signal);
    },
  });
  return store as KeyStore & { lists: number };
}

describe("KeyService.list", () => {
  it("answers a complete listing of 5,000 names with one store listing, sorted", async () => {
    const store = countingMem();
    const names = Array.from({ length: 5000 }, (_, i) => `k-${(i * 7919) % 5000}`);
    for (const n of names) await store.create(n, "x");
    await store.create("other", "x");
    const { keys } = serviceOver(store);
    const all = await keys.list("k-", "", 0);
    expect(store.lists).toBe(1);
    expect(all).toEqual({ names: [...names].sort(), continueAt: "" });
    const rest = await keys.list("k-", "k-5", 0);
    expect(rest.names).toEqual(names.filter((n) => n >= "k-5").sort());
    const page = await keys.list("k-", "k-5", 3);
    expect(page).toEqual({ names: ["k-5", "k-50", "k-500"], continueAt: "k-501" });
  });
});

/**
 * A store whose calls wait until their signal aborts, then reject with its reason (or, with
 * `fail`, with a failure of their own).
 */
function hangingStore(fail?: Error): KeyStore {
  const wait = (signal?: AbortSignal) =>
    new Promise<never>((_, reject) => {
      signal?.addEventListener("abort", () => reject(fail ?? signal.reason), { once: true });
    });
  return {
    kind: "hanging",
    create: (_n, _v, signal) => wait(signal),
    get: (_n, signal) => wait(signal),
    delete: (_n, signal) => wait(signal),
    list: (_p, _s, _l, signal) => wait(signal),
    status: async () => ({ latencyNs: 1n }),
    close: async () => {},
  };
}

describe("KeyService failures", () => {
  const calls = (keys: KeyService, signal: AbortSignal) => [
    keys.create("a", "me", signal),
    keys.describe("a", signal),
    keys.delete("a", "me", signal),
    keys.list("", "", 0, signal),
  ];

  it("does not report a call the client's hang-up cancelled, and still answers an ApiError", async () => {
    const { keys, failures } = serviceOver(hangingStore());
    const client = new AbortController();
    const pending = calls(keys, client.signal);
    client.abort(new Error("client went away"));
    for (const p of pending) await expect(p).rejects.toBeInstanceOf(ApiError);
    expect(failures).toEqual([]);
  });

  it("reports a call cut short by the route timeout: the store was too slow", async () => {
    const { keys, failures } = serviceOver(hangingStore());
    const route = new AbortController();
    const pending = calls(keys, route.signal);
    route.abort(errTimeout());
    for (const p of pending) await expect(p).rejects.toBeInstanceOf(ApiError);
    expect(failures.sort()).toEqual(["create", "delete", "list", "read"]);
  });

  it("reports a real failure even when the client has hung up meanwhile", async () => {
    const { keys, failures } = serviceOver(hangingStore(new Error("disk broke")));
    const client = new AbortController();
    const pending = calls(keys, client.signal);
    client.abort(new Error("client went away"));
    for (const p of pending) await expect(p).rejects.toBeInstanceOf(ApiError);
    // A read stops waiting on the shared cache load the moment its client leaves (the load's
    // own outcome reaches the next reader); the direct store calls report their failure.
    expect(failures.sort()).toEqual(["create", "delete", "list"]);
  });
});
