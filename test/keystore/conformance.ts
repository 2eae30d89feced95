// The keystore conformance suite (kes-api.md §8.1): one vitest suite every KeyStore backend runs
// (mem, fs, the Vault test server, a real Vault). Each test gets a fresh, empty store from `open`
// and calls its cleanup. This file must never depend on a particular backend.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KeyExistsError, KeyNotFoundError } from "../../internal/errors.js";
import type { KeyStore } from "../../internal/keystore/keystore.js";
import { LIST_PAGE_SIZE } from "../../internal/limits.js";
import { registerRingCases } from "./ring-conformance.js";

export interface ConformanceOptions {
  /** Whether `delete` of a missing key throws KeyNotFoundError (Vault cannot tell). Default true. */
  deleteMissingReports?: boolean;
  /** How many keys the big paging test creates. Default 2,500 (more than two default pages). */
  bigListCount?: number;
  /** How many creates run at once while filling the big listing. Default 50. */
  createConcurrency?: number;
  /** Whether two connections creating one name at once get exactly one winner. Default true. */
  atomicCreate?: boolean;
}

export interface OpenedStore {
  store: KeyStore;
  cleanup: () => Promise<void>;
  /** Opens a second connection to the same store (another replica); closed by the suite. */
  twin?: () => Promise<KeyStore>;
}

/** Registers the suite under `describe(label)`. */
export function describeKeyStoreConformance(
  label: string,
  open: () => Promise<OpenedStore>,
  options: ConformanceOptions = {},
): void {
  const deleteMissingReports = options.deleteMissingReports ?? true;
  const bigListCount = options.bigListCount ?? 2_500;
  const concurrency = options.createConcurrency ?? 50;

  describe(`${label} keystore conformance`, () => {
    let opened: OpenedStore | undefined;
    const store = (): KeyStore => {
      if (!opened) throw new Error("store not opened");
      return opened.store;
    };
    beforeEach(async () => {
      opened = await open();
    });
    afterEach(async () => {
      await opened?.store.close();
      await opened?.cleanup();
      opened = undefined;
    });

    it("round-trips a created key", async () => {
      await store().create("my-key", '{"bytes":"AAAA"}');
      expect(await store().get("my-key")).toBe('{"bytes":"AAAA"}');
    });

    it("never overwrites: create of an existing key fails and keeps the original", async () => {
      await store().create("k1", "original");
      await expect(store().create("k1", "replacement")).rejects.toBeInstanceOf(KeyExistsError);
      expect(await store().get("k1")).toBe("original");
    });

    it("reports a missing key on get", async () => {
      await expect(store().get("missing")).rejects.toBeInstanceOf(KeyNotFoundError);
    });

    it("finds a stored value, and answers undefined (not an error) for a missing name", async () => {
      const s = store();
      // Every backend has it: the key service reads a key's absent next records through it.
      if (s.find === undefined) throw new Error(`${label}: the store has no find()`);
      await s.create("found", "value of found");
      await s.create("rec.v2", "a version record");
      expect(await s.find("found")).toBe("value of found");
      expect(await s.find("rec.v2")).toBe("a version record");
      expect(await s.find("missing")).toBeUndefined();
      expect(await s.find("rec.v3")).toBeUndefined();
      await s.delete("found");
      expect(await s.find("found")).toBeUndefined();
    });

    it("deletes a key, after which it is gone and can be created again", async () => {
      await store().create("gone", "v1");
      await store().delete("gone");
      await expect(store().get("gone")).rejects.toBeInstanceOf(KeyNotFoundError);
      expect((await store().list("", "", 0)).names).toEqual([]);
      await store().create("gone", "v2");
      expect(await store().get("gone")).toBe("v2");
    });

    it("handles delete of a missing key", async () => {
      const result = store().delete("missing");
      if (deleteMissingReports) await expect(result).rejects.toBeInstanceOf(KeyNotFoundError);
      else await expect(result).resolves.toBeUndefined();
    });

    it("lists an empty store", async () => {
      expect(await store().list("", "", 0)).toEqual({ names: [], continueAt: "" });
      expect(await store().list("abc", "", 10)).toEqual({ names: [], continueAt: "" });
    });

    it("lists sorted, filtered by prefix and startAt", async () => {
      for (const n of ["b-1", "ab", "a-2", "A", "a-1", "_0"]) await store().create(n, n);
      const cases: [string, string, string[]][] = [
        ["", "", ["A", "_0", "a-1", "a-2", "ab", "b-1"]],
        ["a", "", ["a-1", "a-2", "ab"]],
        ["a-", "", ["a-1", "a-2"]],
        ["b", "", ["b-1"]],
        ["c", "", []],
        ["", "a-2", ["a-2", "ab", "b-1"]],
        ["a", "a-15", ["a-2", "ab"]],
        ["", "zzz", []],
      ];
      for (const [prefix, startAt, want] of cases) {
        const page = await store().list(prefix, startAt, 0);
        expect(page, `prefix=${prefix} startAt=${startAt}`).toEqual({
          names: want,
          continueAt: "",
        });
      }
    });

    it("pages with a small limit", async () => {
      const names = ["k0", "k1", "k2", "k3", "k4"];
      for (const n of names) await store().create(n, n);
      expect(await store().list("", "", 2)).toEqual({ names: ["k0", "k1"], continueAt: "k2" });
      expect(await store().list("", "k2", 2)).toEqual({ names: ["k2", "k3"], continueAt: "k4" });
      expect(await store().list("", "k4", 2)).toEqual({ names: ["k4"], continueAt: "" });
      expect(await store().list("k", "k3", 5)).toEqual({ names: ["k3", "k4"], continueAt: "" });
    });

    it(`pages through ${bigListCount} keys by startAt`, async () => {
      const all = Array.from(
        { length: bigListCount },
        (_, i) => `key-${String(i).padStart(5, "0")}`,
      );
      for (let i = 0; i < all.length; i += concurrency) {
        await Promise.all(all.slice(i, i + concurrency).map((n) => store().create(n, n)));
      }
      for (const limit of [0, 700]) {
        const seen = await collectAll(store(), "key-", limit);
        expect(seen.pages.every((size) => size <= (limit > 0 ? limit : LIST_PAGE_SIZE))).toBe(true);
        expect(seen.pages.length).toBe(
          Math.ceil(all.length / (limit > 0 ? limit : LIST_PAGE_SIZE)),
        );
        expect(seen.names).toEqual(all);
      }
      const sub = await collectAll(store(), "key-0000", 0);
      expect(sub.names).toEqual(all.filter((n) => n.startsWith("key-0000")));
    });

    it("accepts names at the edges of the name rule (§13.1)", async () => {
      const names = ["0", "_0", "a-b", "_-___---_", "0-Z", `A${"z0_-".repeat(19)}xyz`];
      expect(names.at(-1)?.length).toBe(80);
      for (const n of names) await store().create(n, `value of ${n}`);
      for (const n of names) expect(await store().get(n)).toBe(`value of ${n}`);
      expect((await store().list("", "", 0)).names).toEqual([...names].sort(byCodeUnit));
    });

    it("keeps names that differ only in case apart", async () => {
      await store().create("Key", "upper");
      await store().create("key", "lower");
      expect(await store().get("Key")).toBe("upper");
      expect(await store().get("key")).toBe("lower");
    });

    it("stores long values and every ASCII character unchanged", async () => {
      const long = `${"x".repeat(100 * 1024 - 3)}end`;
      const ascii = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join("");
      await store().create("long", long);
      await store().create("ascii", ascii);
      expect(await store().get("long")).toBe(long);
      expect(await store().get("ascii")).toBe(ascii);
    });

    it("lets exactly one of many concurrent creates of one name win", async () => {
      const values = Array.from({ length: 20 }, (_, i) => `candidate-${i}`);
      const results = await Promise.allSettled(values.map((v) => store().create("race", v)));
      const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
      expect(won).toHaveLength(1);
      for (const r of results) {
        if (r.status === "rejected") expect(r.reason).toBeInstanceOf(KeyExistsError);
      }
      expect(await store().get("race")).toBe(values[won[0] ?? -1]);
    });

    it("reports its status with a latency", async () => {
      const status = await store().status();
      expect(typeof status.latencyNs).toBe("bigint");
      expect(status.latencyNs >= 0n).toBe(true);
    });

    registerRingCases(store, {
      twin: async () => opened?.twin?.(),
      atomicCreate: options.atomicCreate ?? true,
    });

    it("honours an already aborted signal", async () => {
      const signal = AbortSignal.abort();
      await expect(store().create("aborted", "v", signal)).rejects.toThrow();
      await expect(store().get("aborted")).rejects.toBeInstanceOf(KeyNotFoundError);
    });
  });
}

async function collectAll(
  store: KeyStore,
  prefix: string,
  limit: number,
): Promise<{ names: string[]; pages: number[] }> {
  const names: string[] = [];
  const pages: number[] = [];
  let startAt = "";
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await store.list(prefix, startAt, limit);
    names.push(...page.names);
    pages.push(page.names.length);
    if (page.continueAt === "") return { names, pages };
    expect(page.continueAt > startAt).toBe(true);
    startAt = page.continueAt;
  }
  throw new Error("listing did not terminate");
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
