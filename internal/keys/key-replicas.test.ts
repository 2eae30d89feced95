// Tests of how a replica learns of another's changes (design.md §2, §4): a ciphertext of a version
// its cached ring lacks loads the ring again (at most once per key per VERSION_MISS_RELOAD_MS, so
// forged headers cannot flood the keystore); a used ring older than refreshMs is re-probed in the
// background (the request never waits and never reads the store) and replaced, or dropped when
// the key was purged elsewhere.

import { afterEach, describe, expect, it, vi } from "vitest";
import { serviceOn, type TestService } from "../../test/helpers/key-service.js";
import { versionedHeader } from "../crypto/versioned.js";
import { ApiError } from "../errors.js";
import type { KeyStore } from "../keystore/keystore.js";
import { connectMem } from "../keystore/mem/mem-store.js";

const ctx = Buffer.from("ctx");
let open: TestService[] = [];
afterEach(() => {
  for (const s of open) s.close();
  open = [];
});
function svc(store: KeyStore, refreshMs = 0): TestService {
  const s = serviceOn(store, { refreshMs });
  open.push(s);
  return s;
}

async function statusOf(p: () => unknown): Promise<number> {
  try {
    await p();
  } catch (err) {
    if (err instanceof ApiError) return err.status;
    throw err;
  }
  return 200;
}

describe("a ciphertext of a version this replica has not seen", () => {
  it("loads the ring again and decrypts it", async () => {
    const mem = connectMem();
    const a = svc(mem);
    const b = svc(mem);
    await a.keys.create("k", "me");
    await b.keys.generate("k", ctx); // b caches version 1
    await a.keys.rotate("k", "me");
    const dek = await a.keys.generate("k", ctx);
    expect(dek.version).toBe(2);
    const reads = b.store.counts.get;
    const opened = b.keys.decrypt("k", dek.ciphertext, ctx);
    expect(opened).toBeInstanceOf(Promise);
    expect(await opened).toEqual(dek.plaintext);
    expect(b.store.counts.get).toBeGreaterThan(reads);
    // From now on b seals with version 2 too, from its cache.
    const after = b.store.counts.get;
    expect((b.keys.generate("k", ctx) as { version: number }).version).toBe(2);
    expect(b.store.counts.get).toBe(after);
  });

  it("reloads at most once per VERSION_MISS_RELOAD_MS for forged versions", async () => {
    const mem = connectMem();
    const a = svc(mem);
    await a.keys.create("k", "me");
    await a.keys.generate("k", ctx);
    const forged = (v: number) => Buffer.concat([versionedHeader(v), Buffer.alloc(60, 1)]);
    const reads = a.store.counts.get;
    // 50 forged ciphertexts at once: one reload (3 reads: v1, v2, s1), every one refused.
    const first = await Promise.all(
      Array.from({ length: 50 }, (_, i) => statusOf(() => a.keys.decrypt("k", forged(5 + i), ctx))),
    );
    expect(first.every((s) => s === 400)).toBe(true);
    expect(a.store.counts.get - reads).toBe(3);
    // More within the window wait for the next window's one reload (the clock is frozen, so the
    // window is the real VERSION_MISS_RELOAD_MS), still one reload for all of them.
    const second = await Promise.all(
      Array.from({ length: 50 }, () => statusOf(() => a.keys.decrypt("k", forged(9), ctx))),
    );
    expect(second.every((s) => s === 400)).toBe(true);
    expect(a.store.counts.get - reads).toBe(6);
  });
});

describe("background refresh", () => {
  it("never reads the store on the request, and picks up another replica's rotation", async () => {
    const mem = connectMem();
    const a = svc(mem);
    const b = svc(mem, 30_000);
    await a.keys.create("k", "me");
    expect((await b.keys.generate("k", ctx)).version).toBe(1);
    await a.keys.rotate("k", "me");
    const reads = b.store.counts.get;
    b.clock.now += 29_999;
    expect((b.keys.generate("k", ctx) as { version: number }).version).toBe(1);
    expect(b.store.counts.get).toBe(reads); // not due yet
    b.clock.now += 1;
    // Due: the request answers from the cache at once; the probe runs after it.
    expect((b.keys.generate("k", ctx) as { version: number }).version).toBe(1);
    expect(b.store.counts.get).toBe(reads);
    await vi.waitFor(() => {
      expect((b.keys.generate("k", ctx) as { version: number }).version).toBe(2);
    });
  });

  it("confirms an unchanged ring with one cheap probe, and drops a key purged elsewhere", async () => {
    const mem = connectMem();
    const a = svc(mem);
    const b = svc(mem, 1_000);
    await a.keys.create("k", "me");
    await b.keys.generate("k", ctx);
    const reads = b.store.counts.get;
    b.clock.now += 1_000;
    b.keys.generate("k", ctx);
    await vi.waitFor(() => expect(b.store.counts.get - reads).toBe(3));
    expect(b.store.reads.slice(-3).sort()).toEqual(["k", "k.s1", "k.v2"]);
    // The probe confirmed it: the next refresh is refreshMs later, not at every request.
    b.keys.generate("k", ctx);
    await new Promise((r) => setImmediate(r));
    expect(b.store.counts.get - reads).toBe(3);
    await a.keys.delete("k", "admin");
    b.clock.now += 1_000;
    b.keys.generate("k", ctx); // still cached: answers, and starts the probe that finds it gone
    await vi.waitFor(() => expect(b.cache.stats().size).toBe(0));
    expect(await statusOf(() => b.keys.generate("k", ctx))).toBe(404);
  });
});
