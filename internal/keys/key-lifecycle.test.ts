// Tests of the key service's version and lifecycle contract (design.md §3, §5) on the mem store:
// rotate, versions, describe, configure, enable/disable, delete with and without a window,
// restore, purge, the scheduler's rotateIfDue/purgeIfDue with a controlled clock, rewrap, and
// the warm path's zero keystore reads whatever the version.

import { afterEach, describe, expect, it } from "vitest";
import { serviceOn, type TestService } from "../../test/helpers/key-service.js";
import { decrypt } from "../crypto/aead.js";
import { decodeKeyVersion } from "../crypto/key-encoding.js";
import { formatTimestamp } from "../crypto/timestamp.js";
import { claimedVersion } from "../crypto/versioned.js";
import { ApiError } from "../errors.js";
import type { KeyStore } from "../keystore/keystore.js";
import { connectMem } from "../keystore/mem/mem-store.js";

const DAY = 86_400_000;
const ctx = Buffer.from('{"bucket":"b"}');
let open: TestService[] = [];
afterEach(() => {
  for (const s of open) s.close();
  open = [];
});
function svc(store: KeyStore, opts: Parameters<typeof serviceOn>[1] = {}): TestService {
  const s = serviceOn(store, opts);
  open.push(s);
  return s;
}

async function apiError(p: unknown): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("no error");
}
const detail = (e: ApiError) => e.headers["X-Keyfront-Detail"];

describe("rotate and versions", () => {
  it("adds versions; new DEKs use the newest, every version still decrypts", async () => {
    const mem = connectMem();
    const { keys } = svc(mem);
    await keys.create("k", "me");
    const d1 = await keys.generate("k", ctx);
    expect(d1.version).toBe(1);
    // Version 1 is KES's: its raw ciphertext opens with the stored value as KES reads it.
    const v1 = decodeKeyVersion(await mem.get("k"));
    expect(decrypt(v1, d1.ciphertext, ctx).equals(d1.plaintext)).toBe(true);
    const r = await keys.rotate("k", "rotator");
    expect(r.version).toBe(2);
    expect(r.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await keys.rotate("k", "rotator")).version).toBe(3);
    const d3 = await keys.generate("k", ctx);
    expect(d3.version).toBe(3);
    expect(claimedVersion(d3.ciphertext)).toBe(3);
    expect(keys.decrypt("k", d1.ciphertext, ctx)).toEqual(d1.plaintext);
    expect(keys.decrypt("k", d3.ciphertext, ctx)).toEqual(d3.plaintext);
    const list = await keys.versions("k");
    expect(list.latest).toBe(3);
    expect(list.versions.map((v) => [v.version, v.state, v.createdBy])).toEqual([
      [1, "active", "me"],
      [2, "active", "rotator"],
      [3, "current", "rotator"],
    ]);
    const desc = await keys.describe("k");
    expect(desc).toMatchObject({ name: "k", version: 3, createdBy: "me", enabled: true });
    expect(desc.versions).toEqual(list.versions);
    // Only keys are listed, never their records.
    expect((await keys.list("", "", 0)).names).toEqual(["k"]);
    expect((await mem.list("", "", 0)).names).toEqual(["k"]);
  });

  it("encrypts and HMACs with a requested version, which must exist and not be retired", async () => {
    const { keys } = svc(connectMem());
    await keys.create("k", "me");
    await keys.rotate("k", "me");
    const e1 = await keys.encrypt("k", Buffer.from("p"), ctx, undefined, 1);
    expect(e1.version).toBe(1);
    expect(claimedVersion(e1.ciphertext)).toBeUndefined();
    const h1 = await keys.hmac("k", Buffer.from("m"), undefined, 1);
    const h2 = await keys.hmac("k", Buffer.from("m"));
    expect(h2.version).toBe(2);
    expect(h1.hmac.equals(h2.hmac)).toBe(false);
    for (const v of [0, 3, 99]) {
      expect(
        (
          await apiError(
            Promise.resolve().then(() => keys.encrypt("k", Buffer.from("p"), ctx, undefined, v)),
          )
        ).message,
      ).toBe("invalid key version");
    }
    const d = keys.decryptVersioned("k", e1.ciphertext, ctx);
    expect(d).toMatchObject({ version: 1 });
    expect(
      (
        await apiError(
          Promise.resolve().then(() => keys.decrypt("k", e1.ciphertext, ctx, undefined, 2)),
        )
      ).message,
    ).toBe("decryption failed: ciphertext is not authentic");
  });

  it("rewraps any version to the newest without returning the plaintext", async () => {
    const { keys } = svc(connectMem());
    await keys.create("k", "me");
    const d1 = await keys.generate("k", ctx);
    await keys.rotate("k", "me");
    await keys.rotate("k", "me");
    const w = await keys.rewrap("k", d1.ciphertext, ctx);
    expect(w).toEqual({ ciphertext: expect.any(Buffer), version: 3 });
    expect(Object.keys(w).sort()).toEqual(["ciphertext", "version"]);
    expect(keys.decrypt("k", w.ciphertext, ctx)).toEqual(d1.plaintext);
    const forged = Buffer.from(d1.ciphertext);
    forged[3] = (forged[3] as number) ^ 1;
    expect((await apiError(keys.rewrap("k", forged, ctx))).status).toBe(400);
  });
});

describe("the warm path", () => {
  it("reads the keystore 0 times per generate/decrypt of any version once the key is cached", async () => {
    const { keys, store } = svc(connectMem());
    await keys.create("k", "me");
    const old = await keys.generate("k", ctx);
    await keys.rotate("k", "me");
    await keys.rotate("k", "me");
    const cts = [old.ciphertext];
    for (const v of [2, 3])
      cts.push((await keys.encrypt("k", Buffer.from("x"), ctx, undefined, v)).ciphertext);
    const before = { ...store.counts };
    for (let i = 0; i < 1000; i++) {
      const dek = keys.generate("k", ctx);
      expect(dek).not.toBeInstanceOf(Promise);
      for (const ct of cts) expect(keys.decrypt("k", ct, ctx)).not.toBeInstanceOf(Promise);
      expect(keys.generate("k", ctx, undefined, 2)).not.toBeInstanceOf(Promise);
    }
    expect(store.counts).toEqual(before);
  });
});

describe("settings", () => {
  it("retires versions below the minimum decryption version", async () => {
    const { keys } = svc(connectMem());
    await keys.create("k", "me");
    const d1 = await keys.generate("k", ctx);
    await keys.rotate("k", "me");
    const s = await keys.configure("k", { minDecryptionVersion: 2, rotateMs: 90 * DAY }, "admin");
    expect(s).toEqual({ name: "k", enabled: true, minDecryptionVersion: 2, rotateMs: 90 * DAY });
    const e = await apiError(Promise.resolve().then(() => keys.decrypt("k", d1.ciphertext, ctx)));
    expect([e.status, e.message]).toEqual([
      400,
      "decryption failed: key version 1 is retired (minimum decryption version is 2)",
    ]);
    expect((await keys.versions("k")).versions.map((v) => v.state)).toEqual(["retired", "current"]);
    expect((await apiError(keys.configure("k", { minDecryptionVersion: 3 }, "a"))).message).toBe(
      "invalid key version",
    );
    expect((await apiError(keys.configure("k", { rotateMs: -1 }, "a"))).message).toBe(
      "invalid rotation period",
    );
    await keys.configure("k", { minDecryptionVersion: 1 }, "admin");
    expect(keys.decrypt("k", d1.ciphertext, ctx)).toEqual(d1.plaintext);
  });

  it("disables and enables a key", async () => {
    const { keys } = svc(connectMem());
    await keys.create("k", "me");
    const d = await keys.generate("k", ctx);
    await keys.setEnabled("k", false, "admin");
    for (const p of [
      Promise.resolve().then(() => keys.generate("k", ctx)),
      Promise.resolve().then(() => keys.decrypt("k", d.ciphertext, ctx)),
      Promise.resolve().then(() => keys.encrypt("k", Buffer.from("p"), ctx)),
      keys.hmac("k", Buffer.from("m")),
      keys.rewrap("k", d.ciphertext, ctx),
    ]) {
      const e = await apiError(p);
      expect([e.status, e.message]).toEqual([409, "key is disabled"]);
    }
    expect((await keys.describe("k")).enabled).toBe(false);
    await keys.setEnabled("k", true, "admin");
    expect(keys.decrypt("k", d.ciphertext, ctx)).toEqual(d.plaintext);
  });
});

describe("deletion", () => {
  it("purges at once with window 0, like KES, records included", async () => {
    const mem = connectMem();
    const { keys } = svc(mem);
    await keys.create("k", "me");
    await keys.rotate("k", "me");
    await keys.setEnabled("k", false, "me");
    await keys.delete("k", "me");
    for (const rec of ["k", "k.v2", "k.s1"]) {
      await expect(mem.get(rec)).rejects.toThrow("does not exist");
    }
    expect((await apiError(keys.describe("k"))).status).toBe(404);
    expect((await apiError(keys.delete("k", "me"))).status).toBe(404);
  });

  it("keeps a key pending deletion for the window, then purges it", async () => {
    const mem = connectMem();
    const s = svc(mem, { deletion: { windowMs: 7 * DAY, decrypt: "deny" } });
    const { keys } = s;
    await keys.create("k", "me");
    const d = await keys.generate("k", ctx);
    await keys.delete("k", "admin");
    const until = new Date(s.clock.now + 7 * DAY).toISOString().replace(".000Z", "Z");
    for (const p of [
      Promise.resolve().then(() => keys.generate("k", ctx)),
      Promise.resolve().then(() => keys.decrypt("k", d.ciphertext, ctx)),
      keys.describe("k"),
      keys.hmac("k", Buffer.from("m")),
      keys.rotate("k", "me"),
      Promise.resolve().then(() => keys.encrypt("k", Buffer.from("p"), ctx)),
    ]) {
      const e = await apiError(p);
      expect([e.status, e.message, detail(e)]).toEqual([
        404,
        "key does not exist",
        `key is pending deletion until ${until}`,
      ]);
    }
    const again = await apiError(keys.create("k", "me"));
    expect([again.status, again.message, detail(again)]).toEqual([
      400,
      "key already exists",
      `key is pending deletion until ${until}`,
    ]);
    expect(await keys.purgeIfDue("k")).toBe(false);
    s.clock.now += 7 * DAY - 1;
    expect(await keys.purgeIfDue("k")).toBe(false);
    await expect(mem.get("k")).resolves.toBeTypeOf("string");
    s.clock.now += 1;
    expect(await keys.purgeIfDue("k")).toBe(true);
    await expect(mem.get("k")).rejects.toThrow("does not exist");
    await expect(mem.get("k.s1")).rejects.toThrow("does not exist");
    await keys.create("k", "me");
    expect((await keys.describe("k")).enabled).toBe(true);
  });

  it("lets a pending key decrypt when configured, restores it, and purges only pending keys", async () => {
    const s = svc(connectMem(), { deletion: { windowMs: DAY, decrypt: "allow" } });
    const { keys } = s;
    await keys.create("k", "me");
    const d = await keys.generate("k", ctx);
    expect((await apiError(keys.restore("k", "me"))).message).toBe("key is not pending deletion");
    expect((await apiError(keys.purge("k", "me"))).message).toBe("key is not pending deletion");
    await keys.delete("k", "me");
    expect(keys.decrypt("k", d.ciphertext, ctx)).toEqual(d.plaintext);
    await keys.restore("k", "me");
    expect((await keys.generate("k", ctx)).version).toBe(1);
    await keys.delete("k", "me");
    await keys.purge("k", "admin");
    expect((await apiError(keys.describe("k"))).status).toBe(404);
  });
});

describe("scheduled rotation", () => {
  it("stamps created, imported and rotated versions with the service's clock", async () => {
    const s = svc(connectMem());
    const { keys } = s;
    s.clock.now = Date.UTC(2031, 4, 6, 7, 8, 9, 123);
    await keys.create("made", "me");
    await keys.import("brought", Buffer.alloc(32, 7), "AES256", "me");
    s.clock.now += 5 * DAY;
    await keys.rotate("made", "me");
    const createdAt = async (name: string) =>
      (await keys.load(name)).versions.map((v) => formatTimestamp(v.createdAt));
    expect(await createdAt("made")).toEqual([
      "2031-05-06T07:08:09.123Z",
      "2031-05-11T07:08:09.123Z",
    ]);
    expect(await createdAt("brought")).toEqual(["2031-05-06T07:08:09.123Z"]);
  });

  it("rotates only when the newest version is older than the period", async () => {
    const s = svc(connectMem());
    const { keys } = s;
    s.clock.now = Date.now();
    await keys.create("k", "me");
    expect(await keys.rotateIfDue("k", "scheduler")).toBeUndefined();
    await keys.configure("k", { rotateMs: 90 * DAY }, "admin");
    expect(await keys.rotateIfDue("k", "scheduler")).toBeUndefined();
    s.clock.now += 90 * DAY;
    expect((await keys.rotateIfDue("k", "scheduler"))?.version).toBe(2);
    expect(await keys.rotateIfDue("k", "scheduler")).toBeUndefined();
  });
});
