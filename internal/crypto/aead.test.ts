import { describe, expect, it } from "vitest";
import { DecryptError } from "../errors.js";
import { decrypt, encrypt, sealWith } from "./aead.js";
import type { Algorithm } from "./algorithm.js";
import type { KeyVersion } from "./key-version.js";
import { ZERO_TIMESTAMP } from "./timestamp.js";

const seq = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i));
const keyOf = (algorithm: Algorithm, key: Buffer = seq(32)): KeyVersion => ({
  key,
  algorithm,
  hmacKey: undefined,
  createdAt: ZERO_TIMESTAMP,
  createdBy: "",
});
const ALGORITHMS: Algorithm[] = ["AES256", "ChaCha20"];
const R28 = Buffer.concat([seq(16), seq(12)]);
const hello = Buffer.from("hello");
const ctx = Buffer.from("ctx");
const none = Buffer.alloc(0);

describe("kes-api.md §7.2 vectors", () => {
  it.each<[Algorithm, string]>([
    [
      "AES256",
      "a0c9ed00531110488470596c609ef7cc6d7a2443b7000102030405060708090a0b0c0d0e0f000102030405060708090a0b",
    ],
    [
      "ChaCha20",
      "8dbd05af139fe44ab037a7e9738e1eecd3a879ce98000102030405060708090a0b0c0d0e0f000102030405060708090a0b",
    ],
  ])("%s", (algorithm, hex) => {
    const kv = keyOf(algorithm);
    expect(sealWith(kv, hello, ctx, R28).toString("hex")).toBe(hex);
    expect(decrypt(kv, Buffer.from(hex, "hex"), ctx)).toEqual(hello);
  });

  it("AES256 vector in base64", () => {
    expect(sealWith(keyOf("AES256"), hello, ctx, R28).toString("base64")).toBe(
      "oMntAFMREEiEcFlsYJ73zG16JEO3AAECAwQFBgcICQoLDA0ODwABAgMEBQYHCAkKCw==",
    );
  });
});

describe.each(ALGORITHMS)("%s", (algorithm) => {
  const kv = keyOf(algorithm, Buffer.alloc(32, 0x5a));

  it.each([0, 1, 15, 16, 17, 32, 1000, 70_000])("round-trips %d bytes", (n) => {
    const plaintext = Buffer.alloc(n, 0xab);
    const c = encrypt(kv, plaintext, ctx);
    expect(c).toHaveLength(n + 44);
    // Buffer.equals: vitest's deep equality is slow on large buffers.
    expect(decrypt(kv, c, ctx).equals(plaintext)).toBe(true);
    expect(decrypt(kv, Uint8Array.from(c), ctx).equals(plaintext)).toBe(true);
  });

  it("round-trips with an empty context and a Uint8Array plaintext", () => {
    const c = encrypt(kv, new Uint8Array([1, 2, 3]), none);
    expect(decrypt(kv, c, new Uint8Array(0))).toEqual(Buffer.from([1, 2, 3]));
  });

  it("draws a fresh IV and nonce per call", () => {
    const a = encrypt(kv, hello, ctx);
    const b = encrypt(kv, hello, ctx);
    expect(a.subarray(-28)).not.toEqual(b.subarray(-28));
    expect(a.subarray(0, 5)).not.toEqual(b.subarray(0, 5));
  });

  it("fails with the wrong context, key or algorithm", () => {
    const c = encrypt(kv, hello, ctx);
    expect(() => decrypt(kv, c, Buffer.from("ctX"))).toThrow(DecryptError);
    expect(() => decrypt(kv, c, none)).toThrow(DecryptError);
    expect(() => decrypt(keyOf(algorithm, Buffer.alloc(32, 0x5b)), c, ctx)).toThrow(DecryptError);
    const other = algorithm === "AES256" ? "ChaCha20" : "AES256";
    expect(() => decrypt(keyOf(other, kv.key), c, ctx)).toThrow(DecryptError);
    const withoutContext = encrypt(kv, hello, none);
    expect(() => decrypt(kv, withoutContext, ctx)).toThrow(DecryptError);
  });

  it("fails when any bit of sealed, tag, IV or nonce is flipped", () => {
    const c = encrypt(kv, Buffer.from("sixteen byte msg"), ctx);
    for (let i = 0; i < c.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const bad = Buffer.from(c);
        bad[i] = (bad[i] as number) ^ bit;
        expect(() => decrypt(kv, bad, ctx), `byte ${i}`).toThrow(DecryptError);
      }
    }
  });

  it("fails when truncated, extended or empty", () => {
    const c = encrypt(kv, hello, ctx);
    for (let n = 0; n < c.length; n++) {
      expect(() => decrypt(kv, c.subarray(0, n), ctx), `length ${n}`).toThrow(DecryptError);
      expect(() => decrypt(kv, c.subarray(c.length - n), ctx), `suffix ${n}`).toThrow(DecryptError);
    }
    expect(() => decrypt(kv, Buffer.concat([c, Buffer.alloc(1)]), ctx)).toThrow(DecryptError);
  });

  it("empty plaintext gives a 44-byte ciphertext that still authenticates", () => {
    const c = encrypt(kv, none, ctx);
    expect(c).toHaveLength(44);
    expect(decrypt(kv, c, ctx)).toHaveLength(0);
    expect(() => decrypt(kv, c, none)).toThrow(DecryptError);
  });
});

describe("sealWith", () => {
  it("requires exactly 28 random bytes", () => {
    expect(() => sealWith(keyOf("AES256"), hello, ctx, Buffer.alloc(27))).toThrow(RangeError);
  });

  it("differs between AES256 and ChaCha20 for the same inputs", () => {
    const a = sealWith(keyOf("AES256"), hello, ctx, R28);
    const c = sealWith(keyOf("ChaCha20"), hello, ctx, R28);
    expect(a.subarray(0, 21)).not.toEqual(c.subarray(0, 21));
  });
});
