// Tests of the versioned ciphertext format (versioned.ts): the exact bytes of a fixed vector, the
// header codec, and Wycheproof-style negative cases — every single-bit flip, every truncation, a
// changed version, format or magic, a wrong key or context — each failing with the one
// DecryptError, and never read as a KES ciphertext.

import { describe, expect, it } from "vitest";
import { DecryptError } from "../errors.js";
import { decrypt, sealWith } from "./aead.js";
import type { Algorithm } from "./algorithm.js";
import type { KeyVersion } from "./key-version.js";
import { ZERO_TIMESTAMP } from "./timestamp.js";
import {
  claimedVersion,
  openVersioned,
  sealVersioned,
  VERSIONED_HEADER_BYTES,
  VERSIONED_OVERHEAD_BYTES,
  versionedHeader,
} from "./versioned.js";

const seq = (n: number, from = 0) => Buffer.from(Array.from({ length: n }, (_, i) => from + i));
const keyOf = (algorithm: Algorithm, key = seq(32)): KeyVersion => ({
  key,
  algorithm,
  hmacKey: seq(32, 100),
  createdAt: ZERO_TIMESTAMP,
  createdBy: "",
});
const R28 = Buffer.concat([seq(16), seq(12)]);
const ALGORITHMS: Algorithm[] = ["AES256", "ChaCha20"];

describe("versioned ciphertext format", () => {
  it("lays out header ‖ sealed ‖ tag ‖ IV ‖ nonce, with the header as AAD", () => {
    const kv = keyOf("AES256");
    const ct = sealVersioned(kv, 2, Buffer.from("hello"), Buffer.from("ctx"), R28);
    expect(ct.subarray(0, 8).toString("hex")).toBe("6b66760100000002");
    expect(ct.length).toBe(5 + VERSIONED_OVERHEAD_BYTES);
    expect(ct.subarray(-28).equals(R28)).toBe(true);
    // The same AEAD output as KES's raw format with AAD = header ‖ context (kes-api.md §7.2).
    const raw = ct.subarray(VERSIONED_HEADER_BYTES);
    const aad = Buffer.concat([ct.subarray(0, 8), Buffer.from("ctx")]);
    expect(decrypt(kv, raw, aad).toString()).toBe("hello");
    // Pinned bytes, computed independently (Python cryptography: HMAC-SHA256 subkey, AESGCM with
    // AAD = header ‖ "ctx"): a change of the format must be a deliberate one.
    expect(ct.toString("hex")).toBe(
      "6b66760100000002a0c9ed0053b18b4eff8d9e0927fedb1fafe3ac5005000102030405060708090a0b0c0d0e0f000102030405060708090a0b",
    );
  });

  it("opens the pinned bytes, its header and context given to the AEAD one after the other", () => {
    const ct = Buffer.from(
      "6b66760100000002a0c9ed0053b18b4eff8d9e0927fedb1fafe3ac5005000102030405060708090a0b0c0d0e0f000102030405060708090a0b",
      "hex",
    );
    expect(openVersioned(keyOf("AES256"), 2, ct, Buffer.from("ctx")).toString()).toBe("hello");
  });

  it.each(ALGORITHMS)(
    "opens with %s what KES's raw format sealed under AAD = header ‖ context as one buffer",
    (algorithm) => {
      const kv = keyOf(algorithm);
      for (const [version, context] of [
        [2, ""],
        [9, "c"],
        [0xffff_ffff, '{"bucket":"b","object":"o"}'],
      ] as const) {
        const header = versionedHeader(version);
        const pt = seq(37);
        const raw = sealWith(kv, pt, Buffer.concat([header, Buffer.from(context)]), R28);
        const ct = Buffer.concat([header, raw]);
        expect(openVersioned(kv, version, ct, Buffer.from(context)).equals(pt)).toBe(true);
        // A Uint8Array view that is not a Buffer opens the same.
        const view = new Uint8Array(ct.buffer, ct.byteOffset, ct.length);
        expect(openVersioned(kv, version, view, Buffer.from(context)).equals(pt)).toBe(true);
      }
    },
  );

  it.each(ALGORITHMS)("round-trips with %s at versions 2, 300 and 2^32-1", (algorithm) => {
    const kv = keyOf(algorithm);
    for (const version of [2, 300, 0xffff_ffff]) {
      for (const size of [0, 1, 32, 1000]) {
        const pt = seq(size).map((b) => b ^ 0x5a);
        const ct = sealVersioned(kv, version, pt, Buffer.from("c"));
        expect(claimedVersion(ct)).toBe(version);
        expect(openVersioned(kv, version, ct, Buffer.from("c")).equals(Buffer.from(pt))).toBe(true);
      }
    }
  });

  it("refuses to write versions that have no versioned form", () => {
    for (const v of [0, 1, -1, 1.5, 2 ** 32, Number.NaN]) {
      expect(() => versionedHeader(v), String(v)).toThrow(RangeError);
    }
  });

  it("claims no version for headers it does not define", () => {
    const body = Buffer.alloc(44);
    const cases: [string, Buffer][] = [
      ["version 0", Buffer.from("6b66760100000000", "hex")],
      ["version 1", Buffer.from("6b66760100000001", "hex")],
      ["format 0", Buffer.from("6b66760000000002", "hex")],
      ["format 2", Buffer.from("6b66760200000002", "hex")],
      ["magic kfw", Buffer.from("6b66770100000002", "hex")],
      ["msgpack byte", Buffer.from("9566760100000002", "hex")],
      ["json byte", Buffer.from("7b66760100000002", "hex")],
    ];
    for (const [what, header] of cases) {
      expect(claimedVersion(Buffer.concat([header, body])), what).toBeUndefined();
    }
    const good = Buffer.concat([versionedHeader(2), body]);
    expect(claimedVersion(good)).toBe(2);
    expect(claimedVersion(good.subarray(0, good.length - 1))).toBeUndefined();
    expect(claimedVersion(Buffer.alloc(0))).toBeUndefined();
  });

  describe.each(ALGORITHMS)("negative cases (%s)", (algorithm) => {
    const kv = keyOf(algorithm);
    const ctx = Buffer.from('{"bucket":"b"}');
    const ct = sealVersioned(kv, 7, Buffer.from("sixteen byte msg"), ctx, R28);
    const fails = (c: Uint8Array, k = kv, v = 7, context = ctx) =>
      expect(() => openVersioned(k, v, c, context)).toThrow(DecryptError);

    it("fails on every single-bit flip, header included", () => {
      for (let i = 0; i < ct.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const c = Buffer.from(ct);
          c[i] = (c[i] as number) ^ (1 << bit);
          fails(c);
          fails(c, kv, claimedVersion(c) ?? 7);
        }
      }
    });

    it("fails on every truncation and on appended bytes", () => {
      for (let n = 0; n < ct.length; n++) fails(ct.subarray(0, n));
      fails(Buffer.concat([ct, Buffer.from([0])]));
    });

    it("fails with another version, key or context", () => {
      fails(ct, kv, 8);
      fails(ct, keyOf(algorithm, seq(32, 1)));
      fails(ct, keyOf(algorithm === "AES256" ? "ChaCha20" : "AES256"));
      fails(ct, kv, 7, Buffer.from('{"bucket":"c"}'));
      fails(ct, kv, 7, Buffer.alloc(0));
      const moved = Buffer.from(ct);
      moved.writeUInt32BE(8, 4);
      fails(moved, kv, 8);
    });

    it("is never a KES ciphertext of the same key, whatever AAD", () => {
      for (const aad of [ctx, Buffer.alloc(0), Buffer.concat([ct.subarray(0, 8), ctx])]) {
        expect(() => decrypt(kv, ct, aad)).toThrow(DecryptError);
      }
    });
  });
});
