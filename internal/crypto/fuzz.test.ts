// Mutation fuzzing of every parser that reads untrusted bytes: only the documented error types
// may ever escape. Seeded PRNG, so a failure reproduces.
import { describe, expect, it } from "vitest";
import { DecryptError } from "../errors.js";
import { decrypt, sealWith } from "./aead.js";
import { encodeJsonCiphertext, encodeMsgpackCiphertext, parseCiphertext } from "./ciphertext.js";
import { decodeKeyVersion, encodeKeyVersion, InvalidKeyEncodingError } from "./key-encoding.js";
import type { KeyVersion } from "./key-version.js";

const ROUNDS = 3000;

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function mutate(seed: Buffer, rnd: () => number): Buffer {
  const int = (n: number) => Math.floor(rnd() * n);
  const b = Buffer.from(seed);
  switch (int(5)) {
    case 0: // random bytes
      return Buffer.from(Array.from({ length: int(120) }, () => int(256)));
    case 1: // flip some bytes
      for (let i = 0, n = 1 + int(4); i < n && b.length > 0; i++) b[int(b.length)] = int(256);
      return b;
    case 2: // truncate
      return b.subarray(0, int(b.length + 1));
    case 3: // insert
      return Buffer.concat([
        b.subarray(0, int(b.length + 1)),
        Buffer.from([int(256), int(256)]),
        b.subarray(int(b.length + 1)),
      ]);
    default: // keep the first byte (format marker), randomise the rest
      return Buffer.concat([
        b.subarray(0, 1),
        Buffer.from(Array.from({ length: int(80) }, () => int(256))),
      ]);
  }
}

const seq = (n: number, from = 0) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (from + i) & 0xff));
const kv: KeyVersion = {
  key: seq(32),
  algorithm: "AES256",
  hmacKey: seq(32, 32),
  createdAt: { seconds: 1_704_164_645n, nanos: 5 },
  createdBy: "abc",
};
const raw = sealWith(kv, seq(32, 99), Buffer.from("ctx"), seq(28, 1));
const parts = { sealed: raw.subarray(0, 48), iv: raw.subarray(48, 64), nonce: raw.subarray(64) };
const CIPHERTEXT_SEEDS = [
  raw,
  encodeMsgpackCiphertext({ algorithm: "AES256-GCM_SHA256", keyId: "a".repeat(32), ...parts }),
  encodeJsonCiphertext({ aead: "AES-256-GCM-HMAC-SHA-256", id: "a".repeat(32), ...parts }),
];
const encoded = encodeKeyVersion(kv);
const KEY_SEEDS = [
  Buffer.from(encoded, "base64"),
  Buffer.from(
    `{"version":"v1","bytes":"${seq(32).toString("base64")}","algorithm":"ChaCha20","created_at":"2024-01-02T03:04:05Z"}`,
  ),
];

describe("fuzz", () => {
  it("parseCiphertext never throws and returns well-formed parts", () => {
    const rnd = prng(1);
    for (let i = 0; i < ROUNDS; i++) {
      const input = mutate(CIPHERTEXT_SEEDS[i % CIPHERTEXT_SEEDS.length] as Buffer, rnd);
      const p = parseCiphertext(input);
      if (p === undefined) continue;
      expect(p.iv).toHaveLength(16);
      expect(p.nonce).toHaveLength(12);
      expect(p.sealed.length).toBeGreaterThanOrEqual(16);
    }
  });

  it("decrypt throws only DecryptError", () => {
    const rnd = prng(2);
    for (let i = 0; i < ROUNDS; i++) {
      const seed = CIPHERTEXT_SEEDS[i % CIPHERTEXT_SEEDS.length] as Buffer;
      const input = mutate(seed, rnd);
      try {
        const plaintext = decrypt(kv, input, Buffer.from("ctx"));
        expect(plaintext).toEqual(seq(32, 99)); // only an unchanged ciphertext can open
      } catch (err) {
        expect(err, input.toString("hex")).toBeInstanceOf(DecryptError);
      }
    }
  });

  it("decodeKeyVersion throws only InvalidKeyEncodingError", () => {
    const rnd = prng(3);
    for (let i = 0; i < ROUNDS; i++) {
      const seed = KEY_SEEDS[i % KEY_SEEDS.length] as Buffer;
      const bytes = mutate(seed, rnd);
      // Protobuf seeds are tried as base64 of the mutated bytes and as mutated base64 text.
      const texts =
        i % 2 === 0
          ? [bytes.toString("base64"), mutate(Buffer.from(encoded), rnd).toString("latin1")]
          : [bytes.toString("utf8")];
      for (const text of texts) {
        try {
          const got = decodeKeyVersion(text);
          expect(got.key).toHaveLength(32);
          expect(["AES256", "ChaCha20"]).toContain(got.algorithm);
          if (got.hmacKey !== undefined) expect(got.hmacKey).toHaveLength(32);
        } catch (err) {
          expect(err, JSON.stringify(text)).toBeInstanceOf(InvalidKeyEncodingError);
        }
      }
    }
  });
});
