// The in-memory form of a KES key: one secret key, its type, an optional HMAC key and who
// created it when (kes-api.md §7.1, §7.8, §7.10 — every key has exactly one version).
// Pure: no I/O. Must never hand out a caller's buffer as key material: imported keys are copied.

import { KEY_BYTES } from "../limits.js";
import type { Algorithm } from "./algorithm.js";
import { freshKeyMaterial, keyMaterialFrom } from "./key-material.js";
import { nowTimestamp, type Timestamp } from "./timestamp.js";

export interface KeyVersion {
  /** The 32-byte secret key. */
  key: Buffer;
  algorithm: Algorithm;
  /** The 32-byte HMAC-SHA-256 key; undefined for keys stored in the legacy JSON forms. */
  hmacKey: Buffer | undefined;
  createdAt: Timestamp;
  /** The identity (hex) that created the key; may be empty. */
  createdBy: string;
}

/** An imported secret key is not exactly 32 bytes. */
export class InvalidKeySizeError extends Error {
  constructor() {
    super(`secret key must be ${KEY_BYTES} bytes`);
    this.name = "InvalidKeySizeError";
  }
}

/** A new key: secret key and HMAC key both fresh from the CSPRNG (kes-api.md §7.1). */
export function generateKeyVersion(
  algorithm: Algorithm,
  createdBy: string,
  createdAt: Timestamp = nowTimestamp(),
): KeyVersion {
  return { key: freshKeyMaterial(), algorithm, hmacKey: freshKeyMaterial(), createdAt, createdBy };
}

/** A key from caller-supplied secret key bytes (copied) with a fresh random HMAC key. */
export function importKeyVersion(
  key: Uint8Array,
  algorithm: Algorithm,
  createdBy: string,
  createdAt: Timestamp = nowTimestamp(),
): KeyVersion {
  if (key.length !== KEY_BYTES) throw new InvalidKeySizeError();
  return {
    key: keyMaterialFrom(key),
    algorithm,
    hmacKey: freshKeyMaterial(),
    createdAt,
    createdBy,
  };
}
