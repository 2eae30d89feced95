// Property tests of version detection (design.md §2): no KES ciphertext — random bytes, the
// repo's KES vectors in all three formats, KES raw ciphertexts crafted to start with the versioned
// magic and a version the ring has — is ever taken for a versioned one, and no versioned
// ciphertext is ever taken for a KES one. Plus the retired / disabled / pending checks.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KES_VECTORS } from "../../test/vectors/kes-vectors.js";
import { decrypt, sealWith } from "../crypto/aead.js";
import { type Algorithm, parseAlgorithm } from "../crypto/algorithm.js";
import type { KeyVersion } from "../crypto/key-version.js";
import { ZERO_TIMESTAMP } from "../crypto/timestamp.js";
import { sealVersioned, versionedHeader } from "../crypto/versioned.js";
import { ApiError, DecryptError } from "../errors.js";
import type { Ring } from "./ring.js";
import { openRing, pickVersion, sealPicked } from "./ring-crypto.js";
import { DEFAULT_STATE, type KeyState } from "./ring-records.js";

const vectors = KES_VECTORS;

const keyOf = (algorithm: Algorithm, key: Uint8Array): KeyVersion => ({
  key: Buffer.from(key),
  algorithm,
  hmacKey: Buffer.alloc(32, 7),
  createdAt: ZERO_TIMESTAMP,
  createdBy: "",
});

function ringOf(versions: KeyVersion[], state: Partial<KeyState> = {}): Ring {
  return {
    name: "k",
    incarnation: "0".repeat(32),
    versions,
    state: { ...DEFAULT_STATE, ...state },
    stateSeq: 0,
    checkedAt: 0,
    refreshTriedAt: 0,
    missReloadAt: 0,
  };
}

const DECRYPT_FAILED = "decryption failed: ciphertext is not authentic";
const failsAuth = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof ApiError && err.status === 400 && err.message === DECRYPT_FAILED;
  }
  return false;
};

const algorithm = fc.constantFrom<Algorithm>("AES256", "ChaCha20");
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
/** A ring of 2–4 versions of one algorithm. */
const ring = fc
  .tuple(algorithm, fc.array(key32, { minLength: 2, maxLength: 4 }))
  .map(([alg, keys]) => ringOf(keys.map((k) => keyOf(alg, k))));

/**
 * A KES raw ciphertext under `kv` that starts with `prefix`: the AEAD output's first bytes are
 * plaintext XOR keystream, so the plaintext is chosen as prefix XOR keystream.
 */
function kesRawStartingWith(kv: KeyVersion, prefix: Buffer, tail: Uint8Array, r28: Uint8Array) {
  const ctx = Buffer.from("ctx");
  const n = prefix.length + tail.length;
  const stream = sealWith(kv, Buffer.alloc(n), ctx, r28).subarray(0, n);
  const plaintext = Buffer.concat([prefix, tail]);
  for (let i = 0; i < n; i++) plaintext[i] = (plaintext[i] as number) ^ (stream[i] as number);
  const ct = sealWith(kv, plaintext, ctx, r28);
  expect(ct.subarray(0, prefix.length).equals(prefix)).toBe(true);
  return { ct, plaintext, ctx };
}

describe("version detection (property tests)", () => {
  it("never opens random bytes, with or without a versioned header", () => {
    fc.assert(
      fc.property(ring, fc.uint8Array({ maxLength: 200 }), fc.nat(5), (r, bytes, v) => {
        const withHeader = Buffer.concat([versionedHeader(v + 2), bytes]);
        for (const ct of [Buffer.from(bytes), withHeader]) {
          expect(failsAuth(() => openRing(r, ct, Buffer.alloc(0), "deny"))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("opens a KES raw ciphertext that starts with the magic and a version the ring has as version 1", () => {
    fc.assert(
      fc.property(
        ring,
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ minLength: 28, maxLength: 28 }),
        (r, tail, r28) => {
          const v1 = r.versions[0] as KeyVersion;
          for (let v = 2; v <= r.versions.length; v++) {
            const { ct, plaintext, ctx } = kesRawStartingWith(v1, versionedHeader(v), tail, r28);
            const opened = openRing(r, ct, ctx, "deny");
            expect(opened.version).toBe(1);
            expect(opened.plaintext.equals(plaintext)).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("never takes a versioned ciphertext for a KES one, nor for another version", () => {
    fc.assert(
      fc.property(ring, fc.uint8Array({ maxLength: 64 }), (r, plaintext) => {
        const ctx = Buffer.from("ctx");
        for (let v = 2; v <= r.versions.length; v++) {
          const kv = r.versions[v - 1] as KeyVersion;
          const ct = sealVersioned(kv, v, plaintext, ctx);
          const opened = openRing(r, ct, ctx, "deny");
          expect(opened.version).toBe(v);
          expect(opened.plaintext.equals(Buffer.from(plaintext))).toBe(true);
          // Under every KES format of every version, and in a ring that lacks version v.
          for (const other of r.versions) {
            expect(() => decrypt(other, ct, ctx)).toThrow(DecryptError);
          }
          const older = ringOf(r.versions.slice(0, v - 1));
          expect(failsAuth(() => openRing(older, ct, ctx, "deny"))).toBe(true);
          expect(failsAuth(() => openRing(r, ct, ctx, "deny", v === 2 ? 3 : 2))).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("opens every KES vector (raw, MessagePack, JSON) as version 1 of a rotated key", () => {
    const all = [
      ...vectors.aead.map((v) => ({ ...v, ciphertext: Buffer.from(v.ciphertext, "hex") })),
      ...vectors.legacy_ciphertexts.map((v) => ({
        ...v,
        ciphertext: Buffer.from(v.ciphertext, "base64"),
      })),
    ];
    expect(all.length).toBeGreaterThanOrEqual(18);
    fc.assert(
      fc.property(fc.array(key32, { minLength: 1, maxLength: 3 }), (later) => {
        for (const v of all) {
          const alg = parseAlgorithm(v.algorithm) as Algorithm;
          const r = ringOf([
            keyOf(alg, Buffer.from(v.key, "hex")),
            ...later.map((k) => keyOf(alg, k)),
          ]);
          const opened = openRing(r, v.ciphertext, Buffer.from(v.context, "hex"), "deny");
          expect(opened.version).toBe(1);
          expect(opened.plaintext.toString("hex")).toBe(v.plaintext);
        }
      }),
      { numRuns: 20 },
    );
  });
});

describe("version rules", () => {
  const alg: Algorithm = "AES256";
  const keys = [1, 2, 3].map((i) => keyOf(alg, Buffer.alloc(32, i)));
  const ctx = Buffer.from("c");
  const sealed = (r: Ring, v?: number) => sealPicked(pickVersion(r, v), Buffer.from("p"), ctx);

  it("seals with the newest version by default: KES raw for 1, versioned above", () => {
    const one = ringOf(keys.slice(0, 1));
    expect(decrypt(keys[0] as KeyVersion, sealed(one), ctx).toString()).toBe("p");
    const three = ringOf(keys);
    expect(sealed(three).subarray(0, 8).toString("hex")).toBe("6b66760100000003");
    expect(openRing(three, sealed(three, 1), ctx, "deny").version).toBe(1);
  });

  it("refuses a version that does not exist or is retired", () => {
    const r = ringOf(keys, { minDecryptionVersion: 2 });
    for (const v of [0, 1, 4, 1.5]) {
      expect(() => pickVersion(r, v), String(v)).toThrow("invalid key version");
    }
    expect(pickVersion(r, 2).version).toBe(2);
  });

  it("gives the retired error only to an authentic ciphertext of a retired version", () => {
    const v1ct = sealed(ringOf(keys), 1);
    const r = ringOf(keys, { minDecryptionVersion: 2 });
    expect(() => openRing(r, v1ct, ctx, "deny")).toThrow(
      "decryption failed: key version 1 is retired (minimum decryption version is 2)",
    );
    const forged = Buffer.from(v1ct);
    forged[0] = (forged[0] as number) ^ 1;
    expect(failsAuth(() => openRing(r, forged, ctx, "deny"))).toBe(true);
    expect(openRing(r, sealed(r, 2), ctx, "deny", 2).version).toBe(2);
  });

  it("refuses a disabled key with 409 and a pending one with 404 unless decrypt is allowed", () => {
    const ct = sealed(ringOf(keys));
    const disabled = ringOf(keys, { enabled: false });
    expect(() => openRing(disabled, ct, ctx, "allow")).toThrow("key is disabled");
    expect(() => pickVersion(disabled)).toThrow("key is disabled");
    const purgeAt = Date.UTC(2030, 0, 2, 3, 4, 5);
    const pending = ringOf(keys, { purgeAt });
    const err = (() => {
      try {
        openRing(pending, ct, ctx, "deny");
      } catch (e) {
        return e as ApiError;
      }
    })();
    expect(err?.status).toBe(404);
    expect(err?.message).toBe("key does not exist");
    expect(err?.headers["X-Keyfront-Detail"]).toBe(
      "key is pending deletion until 2030-01-02T03:04:05Z",
    );
    expect(openRing(pending, ct, ctx, "allow").plaintext.toString()).toBe("p");
    expect(() => pickVersion(pending)).toThrow("key does not exist");
  });
});
