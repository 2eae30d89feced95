// The client library's key-lifecycle calls against the real server over mTLS (fs keystore, 7-day
// deletion window): versions on generate/encrypt/decrypt/hmac, rotate and versions, envelopes
// sealed before and after rotations, rewrapStream, configure, disable/enable, delete/restore/purge.

import { describe, expect, it } from "vitest";
import { useLifecycleEnv } from "../../test/cli/lifecycle-env.js";
import { keyVersionOfEnvelope, openEnvelope, sealEnvelope } from "./envelope.js";
import { ErrDecrypt, ErrKeyNotFound, isError, KeyfrontError } from "./errors.js";
import { rewrapStream } from "./rewrap-stream.js";

const env = useLifecycleEnv("keyfront-client-lifecycle-");

describe("KeyfrontClient key lifecycle", () => {
  it("envelopes sealed before and after rotations all open; a retired version is refused", async () => {
    const kf = env.client;
    await kf.createKey("env-a");
    const data = Buffer.from("the same data, three key versions");
    const sealed: Buffer[] = [];
    for (let i = 0; i < 3; i++) {
      sealed.push(await sealEnvelope(kf, "env-a", data, "bucket/object"));
      if (i < 2) expect((await kf.rotateKey("env-a")).version).toBe(i + 2);
    }
    expect(sealed.map((e) => keyVersionOfEnvelope(e))).toEqual([1, 2, 3]);
    for (const e of sealed)
      expect((await openEnvelope(kf, e, "bucket/object")).equals(data)).toBe(true);

    const settings = await kf.configureKey("env-a", { min_decryption_version: 2 });
    expect(settings).toMatchObject({ name: "env-a", min_decryption_version: 2 });
    const err = await openEnvelope(kf, sealed[0] as Buffer, "bucket/object").catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KeyfrontError);
    expect((err as KeyfrontError).message).toBe(
      "decryption failed: key version 1 is retired (minimum decryption version is 2)",
    );
    expect((await openEnvelope(kf, sealed[1] as Buffer, "bucket/object")).equals(data)).toBe(true);
  });

  it("version fields: answers name the version, requests pick one", async () => {
    const kf = env.client;
    await kf.createKey("ver-a");
    const h1 = await kf.hmacVersioned("ver-a", "message");
    expect(h1.version).toBe(1);
    await kf.rotateKey("ver-a");
    const list = await kf.keyVersions("ver-a");
    expect(list).toMatchObject({ name: "ver-a", latest: 2, min_decryption_version: 1 });
    expect(list.versions.map((v) => [v.version, v.state])).toEqual([
      [1, "active"],
      [2, "current"],
    ]);
    const e2 = await kf.encryptVersioned("ver-a", "text");
    const e1 = await kf.encryptVersioned("ver-a", "text", undefined, { version: 1 });
    expect([e2.version, e1.version]).toEqual([2, 1]);
    expect((await kf.decrypt("ver-a", e1.ciphertext, undefined, { version: 1 })).toString()).toBe(
      "text",
    );
    const wrong = await kf
      .decrypt("ver-a", e1.ciphertext, undefined, { version: 2 })
      .catch((e: unknown) => e);
    expect(isError(wrong, ErrDecrypt)).toBe(true);
    expect((await kf.generateKey("ver-a", "ctx", undefined, 1)).version).toBe(1);
    expect((await kf.generateKey("ver-a")).version).toBe(2);
    const h2 = await kf.hmacVersioned("ver-a", "message");
    const pinned = await kf.hmacVersioned("ver-a", "message", { version: 1 });
    expect(h2.version).toBe(2);
    expect(h2.hmac.equals(h1.hmac)).toBe(false);
    expect(pinned.hmac.equals(h1.hmac)).toBe(true);
    const missing = await kf
      .encrypt("ver-a", "x", undefined, { version: 9 })
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 400, message: "invalid key version" });
    await expect(kf.encrypt("ver-a", "x", undefined, { version: 0 })).rejects.toThrow(RangeError);
    const info = await kf.describeKey("ver-a");
    expect(info).toMatchObject({
      name: "ver-a",
      version: 2,
      enabled: true,
      min_decryption_version: 1,
    });
  });

  it("rewrapStream re-seals a stream under the newest version, in order", async () => {
    const kf = env.client;
    await kf.createKey("rws-a");
    const made = [];
    for (let i = 0; i < 40; i++) {
      const context = i % 3 === 0 ? undefined : `ctx-${i}`;
      const d = await kf.generateKey("rws-a", context);
      made.push({ ciphertext: d.ciphertext, context, plaintext: d.plaintext });
    }
    await kf.rotateKey("rws-a");
    let i = 0;
    for await (const r of rewrapStream(kf, "rws-a", made, { concurrency: 8 })) {
      expect(r.item).toBe(made[i]);
      expect(r.version).toBe(2);
      const plain = await kf.decrypt("rws-a", r.ciphertext, r.item.context, { version: 2 });
      expect(plain.equals(r.item.plaintext)).toBe(true);
      i++;
    }
    expect(i).toBe(40);
  });

  it("disable/enable, delete/restore, purge", async () => {
    const kf = env.client;
    await kf.createKey("st-a");
    const d = await kf.generateKey("st-a");
    await kf.disableKey("st-a");
    await expect(kf.decrypt("st-a", d.ciphertext)).rejects.toMatchObject({
      status: 409,
      message: "key is disabled",
    });
    await kf.enableKey("st-a");
    expect((await kf.decrypt("st-a", d.ciphertext)).equals(d.plaintext)).toBe(true);
    await kf.deleteKey("st-a");
    const hidden = await kf.describeKey("st-a").catch((e: unknown) => e);
    expect(isError(hidden, ErrKeyNotFound)).toBe(true);
    await kf.restoreKey("st-a");
    expect((await kf.decrypt("st-a", d.ciphertext)).equals(d.plaintext)).toBe(true);
    await expect(kf.purgeKey("st-a")).rejects.toMatchObject({
      status: 400,
      message: "key is not pending deletion",
    });
    await kf.deleteKey("st-a");
    await kf.purgeKey("st-a");
    await expect(kf.restoreKey("st-a")).rejects.toMatchObject({
      status: 404,
      message: ErrKeyNotFound.message,
    });
  });
});
