// The record and key-ring cases of the keystore conformance suite (design.md §1): every backend
// must store the records of later versions and states (`<name>.v<N>`, `<name>.s<K>`), never list
// them, and carry the key service's rings: rotation, state changes, orphans an interrupted purge
// left behind, two replicas rotating at once, KES-written keys as version 1. Registered by
// conformance.ts inside each backend's suite; never depends on a particular backend.

import { afterEach, expect, it } from "vitest";
import { decodeKeyVersion } from "../../internal/crypto/key-encoding.js";
import { claimedVersion } from "../../internal/crypto/versioned.js";
import { KeyNotFoundError } from "../../internal/errors.js";
import {
  encodeStateRecord,
  encodeVersionRecord,
  incarnationOf,
} from "../../internal/keys/ring-records.js";
import type { KeyStore } from "../../internal/keystore/keystore.js";
import { serviceOn, type TestService } from "../helpers/key-service.js";
import { KES_VECTORS } from "../vectors/kes-vectors.js";

export interface RingCaseOptions {
  /** Opens a second connection to the same store (another replica), or undefined: use the same. */
  twin: () => Promise<KeyStore | undefined>;
  /** Whether two replicas creating one record at once get exactly one winner (no K/V v1). */
  atomicCreate: boolean;
}

const ctx = Buffer.from('{"bucket":"b","object":"o"}');
const vectors = KES_VECTORS;

export function registerRingCases(store: () => KeyStore, options: RingCaseOptions): void {
  const services: TestService[] = [];
  const extra: KeyStore[] = [];
  afterEach(async () => {
    for (const s of services.splice(0)) s.close();
    for (const s of extra.splice(0)) await s.close();
  });
  const service = (s: KeyStore = store()) => {
    const made = serviceOn(s);
    services.push(made);
    return made.keys;
  };
  const replica = async () => {
    const twin = await options.twin();
    if (twin === undefined) return service();
    extra.push(twin);
    return service(twin);
  };
  const absent = async (name: string) =>
    expect(store().get(name)).rejects.toBeInstanceOf(KeyNotFoundError);

  it("stores version and state records and never lists them, pages staying exact", async () => {
    const names = ["a", "a.v2", "a.v10", "a.s1", "b", "b.s12", "c"];
    for (const n of names) await store().create(n, `value of ${n}`);
    for (const n of names) expect(await store().get(n)).toBe(`value of ${n}`);
    expect(await store().list("", "", 0)).toEqual({ names: ["a", "b", "c"], continueAt: "" });
    expect(await store().list("a", "", 0)).toEqual({ names: ["a"], continueAt: "" });
    expect(await store().list("", "", 1)).toEqual({ names: ["a"], continueAt: "b" });
    expect(await store().list("", "b", 1)).toEqual({ names: ["b"], continueAt: "c" });
    expect(await store().list("", "a.", 2)).toEqual({ names: ["b", "c"], continueAt: "" });
  });

  it("carries a key ring: versions and states survive into another replica's cold load", async () => {
    const a = service();
    await a.create("ring", "creator");
    const d1 = await a.generate("ring", ctx);
    await a.rotate("ring", "rotator");
    await a.configure("ring", { rotateMs: 3_600_000 }, "admin");
    await a.rotate("ring", "rotator");
    const d3 = await a.generate("ring", ctx);
    expect(claimedVersion(d3.ciphertext)).toBe(3);
    const b = await replica();
    const desc = await b.describe("ring");
    expect(desc).toMatchObject({ version: 3, rotateMs: 3_600_000, createdBy: "creator" });
    expect(await b.decrypt("ring", d1.ciphertext, ctx)).toEqual(d1.plaintext);
    expect(await b.decrypt("ring", d3.ciphertext, ctx)).toEqual(d3.plaintext);
    expect((await b.list("", "", 0)).names).toEqual(["ring"]);
    await b.delete("ring", "admin");
    for (const rec of ["ring", "ring.v2", "ring.v3", "ring.s1"]) await absent(rec);
  });

  it("takes a KES-written key as version 1 and keeps its ciphertexts after 3 rotations", async () => {
    for (const [i, v] of vectors.key_values.entries()) await store().create(`kes-${i}`, v.value);
    const keys = service();
    for (const [i] of vectors.key_values.entries()) {
      const name = `kes-${i}`;
      const before = await keys.encrypt(name, Buffer.from("kept"), ctx);
      expect(before.version).toBe(1);
      for (let r = 0; r < 3; r++) await keys.rotate(name, "me");
      expect(await keys.decrypt(name, before.ciphertext, ctx)).toEqual(Buffer.from("kept"));
      expect((await keys.generate(name, ctx)).version).toBe(4);
      // Version 1 stays exactly what KES wrote.
      expect(await store().get(name)).toBe(vectors.key_values[i]?.value);
    }
  });

  it("ignores and replaces records an interrupted purge left behind", async () => {
    const keys = service();
    await keys.create("o", "me");
    await keys.rotate("o", "me");
    await keys.rotate("o", "me");
    await keys.setEnabled("o", false, "me");
    // A purge that stopped after deleting version 1: v2, v3 and s1 are orphans now.
    await store().delete("o");
    await keys.create("o", "me");
    for (const rec of ["o.v2", "o.v3", "o.s1"]) await absent(rec);
    // Orphans a failed clean-up left: ignored by loads, replaced by the next rotation.
    const stranger = incarnationOf("an earlier key");
    const kv = decodeKeyVersion(vectors.key_values[0]?.value ?? "");
    await store().create("o.v2", encodeVersionRecord(stranger, 2, kv));
    await store().create(
      "o.s1",
      encodeStateRecord(stranger, 1, {
        enabled: false,
        minDecryptionVersion: 1,
        rotateMs: 0,
        updatedAt: "",
        updatedBy: "",
      }),
    );
    const fresh = service();
    expect(await fresh.describe("o")).toMatchObject({ version: 1, enabled: true });
    expect((await fresh.rotate("o", "me")).version).toBe(2);
    await fresh.setEnabled("o", true, "me");
    const again = service();
    expect(await again.describe("o")).toMatchObject({ version: 2, enabled: true });
  });

  it("applies concurrent state changes of two replicas one after the other", async () => {
    const a = service();
    await a.create("st", "me");
    const b = await replica();
    await Promise.all([
      a.configure("st", { rotateMs: 60_000 }, "a"),
      b.setEnabled("st", false, "b"),
      a.rotate("st", "a"),
    ]);
    const desc = await service().describe("st");
    expect(desc).toMatchObject({ rotateMs: 60_000, enabled: false, version: 2 });
    await absent("st.s3");
  });

  it.runIf(options.atomicCreate)(
    "makes one new version when two replicas rotate at once",
    async () => {
      // Each replica's write of a version record waits until both got there: both read the same
      // newest version first, so every round is a real race for one record, whatever the timing.
      let meet = rendezvous(2);
      const gate = (s: KeyStore): KeyStore => ({
        ...bind(s),
        create: async (name, value, signal) => {
          if (/\.v\d+$/.test(name)) await meet();
          return s.create(name, value, signal);
        },
      });
      const a = service(gate(store()));
      await a.create("race", "me");
      const twin = await options.twin();
      if (twin !== undefined) extra.push(twin);
      const b = service(gate(twin ?? store()));
      for (let round = 2; round <= 6; round++) {
        meet = rendezvous(2);
        const [ra, rb] = await Promise.all([a.rotate("race", "a"), b.rotate("race", "b")]);
        expect([ra.version, rb.version]).toEqual([round, round]);
        expect(ra.createdAt).toBe(rb.createdAt);
        // Both replicas now seal with the one version `round`, and each opens the other's.
        const da = await a.generate("race", ctx);
        const db = await b.generate("race", ctx);
        expect([da.version, db.version]).toEqual([round, round]);
        expect(await b.decrypt("race", da.ciphertext, ctx)).toEqual(da.plaintext);
        expect(await a.decrypt("race", db.ciphertext, ctx)).toEqual(db.plaintext);
      }
      await absent("race.v7");
    },
  );
}

/** A promise every one of `n` callers gets, resolved once the n-th has called. */
function rendezvous(n: number): () => Promise<void> {
  let arrived = 0;
  let open = () => {};
  const all = new Promise<void>((resolve) => {
    open = resolve;
  });
  return () => {
    arrived++;
    if (arrived >= n) open();
    return all;
  };
}

/** The store's methods bound to it, as a plain object that can be spread. */
function bind(s: KeyStore): KeyStore {
  return {
    kind: s.kind,
    ...(s.racyCreate === undefined ? {} : { racyCreate: s.racyCreate }),
    create: (n, v, sig) => s.create(n, v, sig),
    get: (n, sig) => s.get(n, sig),
    delete: (n, sig) => s.delete(n, sig),
    list: (p, st, l, sig) => s.list(p, st, l, sig),
    status: (sig) => s.status(sig),
    close: () => s.close(),
  };
}
