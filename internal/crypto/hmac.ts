// HMAC-SHA-256 with a key version's HMAC key (kes-api.md §7.7).
// Pure: no I/O. Must never fall back to the encryption key when the HMAC key is missing.

import { createHmac } from "node:crypto";
import type { KeyVersion } from "./key-version.js";

/** The key has no HMAC key (created before KES stored keys as protobuf; kes-api.md §7.7). */
export class NoHmacKeyError extends Error {
  constructor() {
    super("key does not support HMAC");
    this.name = "NoHmacKeyError";
  }
}

/** HMAC-SHA-256(kv.hmacKey, message): 32 bytes. Throws NoHmacKeyError for legacy keys. */
export function hmacOf(kv: KeyVersion, message: Uint8Array): Buffer {
  if (kv.hmacKey === undefined) throw new NoHmacKeyError();
  return createHmac("sha256", kv.hmacKey).update(message).digest();
}
