// Checks internal/crypto against the compatibility vectors in test/vectors/crypto-kes.json.
import { describe, expect, it } from "vitest";
import { KES_VECTORS as vectors } from "../../test/vectors/kes-vectors.js";
import { decrypt, sealWith } from "./aead.js";
import { type Algorithm, parseAlgorithm } from "./algorithm.js";
import { hchacha20 } from "./hchacha20.js";
import { hmacOf } from "./hmac.js";
import { decodeKeyVersion } from "./key-encoding.js";
import type { KeyVersion } from "./key-version.js";
import { formatTimestamp, ZERO_TIMESTAMP } from "./timestamp.js";

const hex = (s: string) => Buffer.from(s, "hex");
const keyOf = (algorithm: string, key: string, hmacKey?: string): KeyVersion => ({
  key: hex(key),
  algorithm: parseAlgorithm(algorithm) as Algorithm,
  hmacKey: hmacKey === undefined ? undefined : hex(hmacKey),
  createdAt: ZERO_TIMESTAMP,
  createdBy: "",
});

describe("test/vectors/crypto-kes.json", () => {
  it("has vectors of every kind", () => {
    expect(vectors.aead.length).toBeGreaterThanOrEqual(8);
    expect(vectors.legacy_ciphertexts.length).toBeGreaterThanOrEqual(10);
    expect(vectors.key_values.length).toBeGreaterThanOrEqual(4);
  });

  it.each(vectors.aead.map((v) => [`${v.algorithm} p=${v.plaintext} a=${v.context}`, v] as const))(
    "aead %s",
    (_, v) => {
      const kv = keyOf(v.algorithm, v.key);
      const r = Buffer.concat([hex(v.iv), hex(v.nonce)]);
      expect(sealWith(kv, hex(v.plaintext), hex(v.context), r).toString("hex")).toBe(v.ciphertext);
      expect(decrypt(kv, hex(v.ciphertext), hex(v.context)).toString("hex")).toBe(v.plaintext);
    },
  );

  it.each(vectors.legacy_ciphertexts.map((v) => [`${v.algorithm} ${v.format}`, v] as const))(
    "decrypts %s",
    (_, v) => {
      const c = Buffer.from(v.ciphertext, "base64");
      expect(decrypt(keyOf(v.algorithm, v.key), c, hex(v.context)).toString("hex")).toBe(
        v.plaintext,
      );
    },
  );

  it("hmac and hchacha20", () => {
    for (const v of vectors.hmac) {
      expect(hmacOf(keyOf("AES256", v.hmac_key, v.hmac_key), hex(v.message)).toString("hex")).toBe(
        v.mac,
      );
    }
    for (const v of vectors.hchacha20) {
      expect(hchacha20(hex(v.key), hex(v.input)).toString("hex")).toBe(v.output);
    }
  });

  it.each(vectors.key_values.map((v) => [v.era, v] as const))("decodes a %s key value", (_, v) => {
    const kv = decodeKeyVersion(v.value);
    expect({
      key: kv.key.toString("hex"),
      algorithm: kv.algorithm,
      hmac_key: kv.hmacKey?.toString("hex") ?? null,
      created_at: formatTimestamp(kv.createdAt),
      created_by: kv.createdBy,
    }).toEqual(v.want);
  });
});
