// All randomness of keyfront's cryptographic core, drawn from the OS CSPRNG via node:crypto.
// Must never use Math.random or any other non-cryptographic source.

import { randomBytes, randomFillSync } from "node:crypto";
import { KEY_BYTES } from "../limits.js";

/** A fresh 32-byte secret key, HMAC key or data-encryption key. */
export function randomKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** `size` fresh random bytes. */
export function randomBytesOf(size: number): Buffer {
  return randomBytes(size);
}

/** Overwrites `buffer[offset, offset+size)` with random bytes (no allocation). */
export function fillRandom(buffer: Uint8Array, offset: number, size: number): void {
  randomFillSync(buffer, offset, size);
}
