// Two replicas rotating one key at once on a store whose create is check-then-write (Vault K/V
// v1, `racyCreate`): the later write wins, even when it lands after the first writer's create has
// returned. The first writer must notice (ring-store.ts, RACY_CREATE_SETTLE_MS) and use the
// winner's version, or the DEKs it seals under its own lost version can never be decrypted.

import { afterEach, describe, expect, it } from "vitest";
import { serviceOn, type TestService } from "../../test/helpers/key-service.js";
import { KeyExistsError } from "../errors.js";
import type { KeyStore } from "../keystore/keystore.js";
import { connectMem } from "../keystore/mem/mem-store.js";
import { RACY_CREATE_SETTLE_MS } from "../limits.js";

const ctx = Buffer.from("ctx");
let open: TestService[] = [];
afterEach(() => {
  for (const s of open) s.close();
  open = [];
});

/**
 * A mem store with K/V v1's create: check, then write (overwriting). `hold(name)` makes the next
 * create of `name` pause between its check and its write until `release()` is called.
 */
function racyStore(racyCreate: boolean) {
  const mem = connectMem();
  const values = new Map<string, string>();
  let held: { name: string; checked: () => void; go: Promise<void> } | undefined;
  let release = () => {};
  const store: KeyStore = {
    kind: "racy",
    racyCreate,
    async create(name, value) {
      if (values.has(name)) throw new KeyExistsError(name);
      if (held?.name === name) {
        const h = held;
        held = undefined;
        h.checked();
        await h.go;
      }
      values.set(name, value);
    },
    async get(name, signal) {
      const v = values.get(name);
      return v ?? mem.get(name, signal);
    },
    async delete(name) {
      values.delete(name);
    },
    list: (p, s, l, sig) => mem.list(p, s, l, sig),
    status: (sig) => mem.status(sig),
    close: () => mem.close(),
  };
  const hold = (name: string) =>
    new Promise<void>((checked) => {
      const go = new Promise<void>((r) => {
        release = r;
      });
      held = { name, checked, go };
    });
  return { store, hold, release: () => release() };
}

describe("rotation on a check-then-write store", () => {
  it.each([
    [true, "uses the winner's version when its write lands after ours returned"],
    [false, "(control, racyCreate unset) keeps its own version: the race is lost unseen"],
  ] as const)("racyCreate %s: %s", async (racy, _what) => {
    const { store, hold, release } = racyStore(racy);
    const a = serviceOn(store);
    const b = serviceOn(store);
    open.push(a, b);
    await a.keys.create("k", "me");
    await b.keys.describe("k"); // b has the one-version ring cached, as a replica would
    // b checks for k.v2 (absent) and pauses before writing; a then makes k.v2 and returns.
    const bChecked = hold("k.v2");
    const bRotate = b.keys.rotate("k", "b");
    await bChecked;
    const aRotate = a.keys.rotate("k", "a");
    // b's write lands while a waits RACY_CREATE_SETTLE_MS (or after a returned, unset).
    setTimeout(release, RACY_CREATE_SETTLE_MS / 4);
    const [ra, rb] = await Promise.all([aRotate, bRotate]);
    expect([ra.version, rb.version]).toEqual([2, 2]);
    const dek = await a.keys.generate("k", ctx);
    expect(dek.version).toBe(2);
    const opened = await (async () => b.keys.decrypt("k", dek.ciphertext, ctx))().then(
      (p) => p.equals(dek.plaintext),
      () => false,
    );
    // With racyCreate, a adopted b's version 2, so b opens a's DEK; without it a sealed under
    // its own, overwritten version 2, which nobody can open any more.
    expect(opened).toBe(racy);
  });
});
