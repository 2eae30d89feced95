// Key versions' key material lives in slabs of its own: copied, fresh, and never sharing memory
// with Node's pool of small buffers (which holds request data).

import { expect, it } from "vitest";
import { decodeKeyVersion, encodeKeyVersion } from "./key-encoding.js";
import { freshKeyMaterial, KEY_SLAB_BYTES, keyMaterialFrom } from "./key-material.js";
import { generateKeyVersion, importKeyVersion } from "./key-version.js";

it("copies: changing the source afterwards does not change the key", () => {
  const src = Buffer.alloc(32, 7);
  const key = keyMaterialFrom(src);
  src.fill(1);
  expect(key).toEqual(Buffer.alloc(32, 7));
});

it("draws fresh keys from the CSPRNG, each in its own 32 bytes of a key slab", () => {
  const keys = Array.from({ length: 1000 }, () => freshKeyMaterial());
  expect(new Set(keys.map((k) => k.toString("hex"))).size).toBe(1000);
  for (const k of keys) {
    expect(k.length).toBe(32);
    expect(k.buffer.byteLength).toBe(KEY_SLAB_BYTES);
  }
  // Neighbours in one slab do not overlap.
  const [a, b] = keys as [Buffer, Buffer];
  if (a.buffer === b.buffer)
    expect(Math.abs(a.byteOffset - b.byteOffset)).toBeGreaterThanOrEqual(32);
});

it("puts generated, imported and decoded key versions in key slabs, not in Node's pool", () => {
  const pooled = Buffer.from("pooled");
  const made = generateKeyVersion("AES256", "someone");
  const imported = importKeyVersion(Buffer.alloc(32, 3), "AES256", "someone");
  const decoded = decodeKeyVersion(encodeKeyVersion(made));
  for (const kv of [made, imported, decoded]) {
    for (const k of [kv.key, kv.hmacKey as Buffer]) {
      expect(k.buffer.byteLength).toBe(KEY_SLAB_BYTES);
      expect(k.buffer).not.toBe(pooled.buffer);
    }
  }
  expect(decoded.key).toEqual(made.key);
  expect(decoded.hmacKey).toEqual(made.hmacKey);
});
