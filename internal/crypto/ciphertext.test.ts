import { describe, expect, it } from "vitest";
import { DecryptError } from "../errors.js";
import { decrypt, sealWith } from "./aead.js";
import type { Algorithm } from "./algorithm.js";
import { encodeJsonCiphertext, encodeMsgpackCiphertext, parseCiphertext } from "./ciphertext.js";
import type { KeyVersion } from "./key-version.js";
import { ZERO_TIMESTAMP } from "./timestamp.js";

const seq = (n: number, from = 0) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (from + i) & 0xff));
const keyOf = (algorithm: Algorithm): KeyVersion => ({
  key: seq(32, 7),
  algorithm,
  hmacKey: undefined,
  createdAt: ZERO_TIMESTAMP,
  createdBy: "",
});
const AES = keyOf("AES256");
const CHACHA = keyOf("ChaCha20");
const ctx = Buffer.from('{"bucket":"b","object":"o"}');
const DEK = seq(32, 200);
const KEY_ID = "14eb17ae0d5d6e5ff4bea4ed3b963589";

// A raw ciphertext of the 32-byte DEK and its parts.
function sealedParts(kv: KeyVersion) {
  const raw = sealWith(kv, DEK, ctx, seq(28, 0x40));
  return { raw, sealed: raw.subarray(0, 48), iv: raw.subarray(48, 64), nonce: raw.subarray(64) };
}
const hdr = (...bytes: number[]) => Buffer.from(bytes);
const str = (s: string) => Buffer.from(s, "latin1");

describe("MessagePack ciphertexts (kes-api.md §7.5.2)", () => {
  const { sealed, iv, nonce } = sealedParts(AES);
  // The layout of the `kes key dek` example: fixstr alg, str8 key ID, bin8 IV/nonce/sealed.
  const example = Buffer.concat([
    hdr(0x95, 0xb1),
    str("AES256-GCM_SHA256"),
    hdr(0xd9, 0x20),
    str(KEY_ID),
    hdr(0xc4, 0x10),
    iv,
    hdr(0xc4, 0x0c),
    nonce,
    hdr(0xc4, 0x30),
    sealed,
  ]);

  it("encodes the smallest forms, as KES did", () => {
    const encoded = encodeMsgpackCiphertext({
      algorithm: "AES256-GCM_SHA256",
      keyId: KEY_ID,
      iv,
      nonce,
      sealed,
    });
    expect(encoded).toEqual(example);
  });

  it("decrypts the example layout", () => {
    expect(decrypt(AES, example, ctx)).toEqual(DEK);
    expect(parseCiphertext(example)).toEqual({ sealed, iv, nonce });
  });

  it.each(["AES256-GCM_SHA256", "XCHACHA20-POLY1305", "AES256", "ChaCha20"])(
    "accepts algorithm %s and ignores it in favour of the key's type",
    (algorithm) => {
      for (const kv of [AES, CHACHA]) {
        const p = sealedParts(kv);
        const c = encodeMsgpackCiphertext({ algorithm, keyId: KEY_ID, ...p });
        expect(decrypt(kv, c, ctx)).toEqual(DEK);
      }
    },
  );

  it("accepts str16/str32 and bin16/bin32 forms and an empty key ID", () => {
    const c = Buffer.concat([
      hdr(0x95, 0xda, 0x00, 0x06),
      str("AES256"),
      hdr(0xdb, 0, 0, 0, 0),
      hdr(0xc5, 0x00, 0x10),
      iv,
      hdr(0xc6, 0, 0, 0, 0x0c),
      nonce,
      hdr(0xc5, 0x00, 0x30),
      sealed,
    ]);
    expect(decrypt(AES, c, ctx)).toEqual(DEK);
    const big = encodeMsgpackCiphertext({
      algorithm: "AES256",
      keyId: "",
      iv,
      nonce,
      sealed: Buffer.alloc(300),
    });
    expect(big.subarray(0, 9)).toEqual(hdr(0x95, 0xa6, ...str("AES256"), 0xa0));
    expect(parseCiphertext(big)?.sealed).toHaveLength(300);
  });

  const good = { algorithm: "AES256", keyId: KEY_ID, iv, nonce, sealed };
  it.each<[string, Buffer]>([
    ["IV of 15 bytes", encodeMsgpackCiphertext({ ...good, iv: iv.subarray(1) })],
    ["IV of 17 bytes", encodeMsgpackCiphertext({ ...good, iv: Buffer.concat([iv, hdr(0)]) })],
    ["nonce of 24 bytes", encodeMsgpackCiphertext({ ...good, nonce: seq(24) })],
    ["a trailing byte", Buffer.concat([example, hdr(0)])],
    ["unknown algorithm", encodeMsgpackCiphertext({ ...good, algorithm: "AES-256-GCM" })],
    ["lower-case algorithm", encodeMsgpackCiphertext({ ...good, algorithm: "aes256" })],
    ["truncated", example.subarray(0, example.length - 1)],
    ["bin as algorithm", Buffer.concat([hdr(0x95, 0xc4, 6), str("AES256"), example.subarray(19)])],
    ["str as IV", Buffer.concat([example.subarray(0, 53), hdr(0xb0), example.subarray(55)])],
    ["an empty sealed part", encodeMsgpackCiphertext({ ...good, sealed: Buffer.alloc(0) })],
    [
      "a sealed part shorter than a tag",
      encodeMsgpackCiphertext({ ...good, sealed: sealed.subarray(0, 15) }),
    ],
    ["str8 length past the end", Buffer.concat([hdr(0x95, 0xd9, 0xff), seq(40)])],
    [
      "bin32 length past the end",
      Buffer.concat([example.subarray(0, 53), hdr(0xc6, 0xff, 0xff, 0xff, 0xff), seq(40)]),
    ],
  ])("rejects %s with DecryptError", (_, c) => {
    expect(() => decrypt(AES, c, ctx)).toThrow(DecryptError);
  });
});

describe("JSON ciphertexts (kes-api.md §7.5.1)", () => {
  const { sealed, iv, nonce } = sealedParts(CHACHA);
  const b64 = (b: Buffer) => b.toString("base64");

  it.each([
    ["with id", { aead: "ChaCha20Poly1305", id: KEY_ID }],
    ["without id", { aead: "ChaCha20Poly1305" }],
    ["AES label on a ChaCha20 key", { aead: "AES-256-GCM-HMAC-SHA-256" }],
  ])("decrypts %s", (_, fields) => {
    const c = encodeJsonCiphertext({ ...fields, iv, nonce, sealed });
    expect(c[0]).toBe(0x7b);
    expect(decrypt(CHACHA, c, ctx)).toEqual(DEK);
  });

  it("writes the JSON-era field order", () => {
    const c = encodeJsonCiphertext({ aead: "ChaCha20Poly1305", id: "x", iv, nonce, sealed });
    expect(c.toString()).toBe(
      `{"aead":"ChaCha20Poly1305","id":"x","iv":"${b64(iv)}","nonce":"${b64(nonce)}","bytes":"${b64(sealed)}"}`,
    );
  });

  it.each<[string, string]>([
    [
      "case-insensitive keys",
      `{"AEAD":"ChaCha20Poly1305","Iv":"${b64(iv)}","NONCE":"${b64(nonce)}","Bytes":"${b64(sealed)}"}`,
    ],
    [
      "null id and unknown fields",
      `{"aead":"ChaCha20Poly1305","id":null,"x":1,"y":"[{","iv":"${b64(iv)}","nonce":"${b64(nonce)}","bytes":"${b64(sealed)}"}`,
    ],
    [
      "whitespace and line breaks in base64",
      `{"aead":"ChaCha20Poly1305",\n"iv":"${b64(iv).slice(0, 8)}\\r\\n${b64(iv).slice(8)}","nonce":"${b64(nonce)}","bytes":"${b64(sealed)}"} `,
    ],
  ])("accepts %s like Go's encoding/json", (_, text) => {
    expect(text[0]).toBe("{");
    expect(decrypt(CHACHA, Buffer.from(text), ctx)).toEqual(DEK);
  });

  const ok = {
    aead: "ChaCha20Poly1305",
    iv: b64(iv),
    nonce: b64(nonce),
    bytes: b64(sealed),
  } as Record<string, unknown>;
  const json = (patch: Record<string, unknown>) => Buffer.from(JSON.stringify({ ...ok, ...patch }));
  it.each<[string, Buffer]>([
    ["obsolete AES-256-GCM", json({ aead: "AES-256-GCM" })],
    ["unknown aead", json({ aead: "chacha20poly1305" })],
    ["missing aead", json({ aead: null })],
    ["IV of 15 bytes", json({ iv: b64(iv.subarray(1)) })],
    ["nonce of 16 bytes", json({ nonce: b64(seq(16)) })],
    ["unpadded base64", json({ iv: b64(iv).replace(/=+$/, "") })],
    ["URL-safe base64", json({ bytes: `${b64(sealed).slice(0, -4)}-_-_` })],
    ["numeric id", json({ id: 5 })],
    ["numeric iv", json({ iv: 5 })],
    ["missing bytes", json({ bytes: null })],
    ["trailing garbage", Buffer.concat([json({}), str("x")])],
    ["an array", Buffer.from(`{"a":1}`.replace("{", "[").replace("}", "]"))],
    // keyfront differs from Go here: no nested value, not even in an unknown field (item 4).
    ["a nested array in an unknown field", json({ x: [1] })],
    ["a nested object in an unknown field", json({ x: { y: "z" } })],
    ["deep nesting", json({ x: JSON.parse("[".repeat(1000) + "]".repeat(1000)) })],
    ["truncated JSON", json({}).subarray(0, 60)],
  ])("rejects %s with DecryptError", (_, c) => {
    expect(() => decrypt(CHACHA, c, ctx)).toThrow(DecryptError);
  });
});

describe("raw ciphertexts (kes-api.md §7.3)", () => {
  it.each([
    ["0x95", 0x95],
    ["0x7b", 0x7b],
  ])("still decrypt when they happen to start with %s", (_, first) => {
    // Vary the IV until the first sealed byte is the wanted one (about 1 in 256 tries).
    const r = Buffer.alloc(28);
    for (let i = 0; i < 100_000; i++) {
      r.writeUInt32BE(i, 0);
      const c = sealWith(AES, DEK, ctx, r);
      if (c[0] !== first) continue;
      expect(decrypt(AES, c, ctx)).toEqual(DEK);
      return;
    }
    throw new Error("no ciphertext with the wanted first byte found");
  });

  it("a leading space means raw, not JSON", () => {
    const p = sealedParts(CHACHA);
    const c = Buffer.concat([str(" "), encodeJsonCiphertext({ aead: "ChaCha20Poly1305", ...p })]);
    expect(() => decrypt(CHACHA, c, ctx)).toThrow(DecryptError);
  });

  it("parses into views without copying", () => {
    const { raw } = sealedParts(AES);
    const parts = parseCiphertext(raw);
    expect(parts?.sealed.buffer).toBe(raw.buffer);
    expect(parts?.sealed).toHaveLength(48);
    expect(parts?.iv).toEqual(seq(16, 0x40));
    expect(parts?.nonce).toEqual(seq(12, 0x50));
  });

  it.each([0, 1, 28, 29, 43])("a %d-byte input is not a ciphertext", (n) => {
    expect(parseCiphertext(Buffer.alloc(n, 1))).toBeUndefined();
  });

  it("44 bytes is the shortest ciphertext", () => {
    expect(parseCiphertext(Buffer.alloc(44, 1))?.sealed).toHaveLength(16);
  });
});
