// Project Wycheproof's AEAD and HMAC vectors (test/vectors/wycheproof/, Apache-2.0, see README
// there) run against keyfront's own crypto code: the AEAD step encrypt()/decrypt() use
// (sealAead/openAead), the full KES ChaCha20 construction through decrypt()/sealWith() (XChaCha20
// vectors: HChaCha20 subkey from the first 16 IV bytes, nonce 0⁴ ‖ last 8), and hmacOf().
// Vectors for sizes keyfront never uses (AES-128/192, nonces other than 96 bits) must be refused
// by the size guard; each group is counted so that no vector is dropped silently.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decrypt, openAead, sealAead, sealWith } from "../../internal/crypto/aead.js";
import type { Algorithm } from "../../internal/crypto/algorithm.js";
import { hmacOf } from "../../internal/crypto/hmac.js";
import type { KeyVersion } from "../../internal/crypto/key-version.js";
import { ZERO_TIMESTAMP } from "../../internal/crypto/timestamp.js";
import { DecryptError } from "../../internal/errors.js";

interface Vector {
  tcId: number;
  comment: string;
  key: string;
  iv?: string;
  aad?: string;
  msg: string;
  ct?: string;
  tag: string;
  result: "valid" | "invalid" | "acceptable";
}
interface Group {
  keySize: number;
  ivSize?: number;
  tagSize: number;
  tests: Vector[];
}
interface VectorFile {
  algorithm: string;
  numberOfTests: number;
  testGroups: Group[];
}

const DIR = new URL("./wycheproof/", import.meta.url);
function load(name: string): VectorFile {
  const file = JSON.parse(readFileSync(new URL(name, DIR), "utf8")) as VectorFile;
  const total = file.testGroups.reduce((n, g) => n + g.tests.length, 0);
  // The file must be whole: a truncated copy would pass by running fewer vectors.
  expect(total).toBe(file.numberOfTests);
  return file;
}
const hex = (s: string | undefined) => Buffer.from(s ?? "", "hex");
const label = (v: Vector) => `tcId ${v.tcId} (${v.result}${v.comment ? `: ${v.comment}` : ""})`;

/** Runs one AEAD vector through sealAead/openAead; returns whether it applied to keyfront. */
function checkAead(algorithm: Algorithm, g: Group, v: Vector): boolean {
  const key = hex(v.key);
  const iv = hex(v.iv);
  const sealed = Buffer.concat([hex(v.ct), hex(v.tag)]);
  const applies = g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128;
  if (!applies) {
    // keyfront only ever uses 256-bit keys, 96-bit nonces and 128-bit tags: refuse the rest.
    expect(() => openAead(algorithm, key, iv, sealed, hex(v.aad)), label(v)).toThrow();
    return false;
  }
  if (v.result === "invalid") {
    expect(() => openAead(algorithm, key, iv, sealed, hex(v.aad)), label(v)).toThrow(DecryptError);
    return true;
  }
  expect(sealAead(algorithm, key, iv, hex(v.msg), hex(v.aad)).toString("hex"), label(v)).toBe(
    sealed.toString("hex"),
  );
  expect(openAead(algorithm, key, iv, sealed, hex(v.aad)).toString("hex"), label(v)).toBe(v.msg);
  return true;
}

function runAeadFile(name: string, algorithm: Algorithm): { applied: number; refused: number } {
  const file = load(name);
  let applied = 0;
  let refused = 0;
  for (const g of file.testGroups) {
    for (const v of g.tests) {
      if (checkAead(algorithm, g, v)) applied++;
      else refused++;
    }
  }
  return { applied, refused };
}

const chachaKey = (key: Buffer): KeyVersion => ({
  key,
  algorithm: "ChaCha20",
  hmacKey: undefined,
  createdAt: ZERO_TIMESTAMP,
  createdBy: "",
});

describe("Wycheproof vectors against keyfront's crypto", () => {
  it("AES-256-GCM (aes_gcm_test.json): every 256-bit/96-bit vector exact, the rest refused", () => {
    const { applied, refused } = runAeadFile("aes_gcm_test.json", "AES256");
    // Counts pinned to the vector file: a change in what applies is seen, not absorbed.
    expect({ applied, refused }).toEqual({ applied: 66, refused: 250 });
  });

  it("ChaCha20-Poly1305 (chacha20_poly1305_test.json)", () => {
    const { applied, refused } = runAeadFile("chacha20_poly1305_test.json", "ChaCha20");
    expect({ applied, refused }).toEqual({ applied: 316, refused: 9 });
  });

  it("XChaCha20-Poly1305 through KES's ChaCha20 construction: decrypt() and sealWith()", () => {
    const file = load("xchacha20_poly1305_test.json");
    let applied = 0;
    for (const g of file.testGroups) {
      if (g.ivSize !== 192 || g.keySize !== 256) {
        // A 24-byte nonce is all this construction has; other sizes cannot even be expressed.
        for (const v of g.tests) expect(v.result, label(v)).toBe("invalid");
        continue;
      }
      for (const v of g.tests) {
        const xiv = hex(v.iv);
        // KES ChaCha20 = HChaCha20(K, IV16) then ChaCha20-Poly1305 under nonce 0⁴ ‖ IV[16:24].
        const trailer = Buffer.concat([xiv.subarray(0, 16), Buffer.alloc(4), xiv.subarray(16)]);
        const raw = Buffer.concat([hex(v.ct), hex(v.tag), trailer]);
        const kv = chachaKey(hex(v.key));
        if (v.result === "invalid") {
          expect(() => decrypt(kv, raw, hex(v.aad)), label(v)).toThrow(DecryptError);
        } else {
          expect(decrypt(kv, raw, hex(v.aad)).toString("hex"), label(v)).toBe(v.msg);
          expect(sealWith(kv, hex(v.msg), hex(v.aad), trailer).toString("hex"), label(v)).toBe(
            raw.toString("hex"),
          );
        }
        applied++;
      }
    }
    expect(applied).toBe(306);
  });

  it("HMAC-SHA256 (hmac_sha256_test.json): full and truncated tags", () => {
    const file = load("hmac_sha256_test.json");
    let checked = 0;
    for (const g of file.testGroups) {
      for (const v of g.tests) {
        const kv: KeyVersion = { ...chachaKey(Buffer.alloc(32)), hmacKey: hex(v.key) };
        const mac = hmacOf(kv, hex(v.msg)).subarray(0, g.tagSize / 8);
        if (v.result === "invalid") expect(mac.toString("hex"), label(v)).not.toBe(v.tag);
        else expect(mac.toString("hex"), label(v)).toBe(v.tag);
        checked++;
      }
    }
    expect(checked).toBe(file.numberOfTests);
  });
});
