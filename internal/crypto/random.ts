// All randomness of keyfront's cryptographic core, drawn from the OS CSPRNG via node:crypto.
// Must never use Math.random or any other non-cryptographic source.
//
// Public randomness comes from a small pool (issue 11). Every call into OpenSSL's RNG pays its
// fork check (a getpid syscall, ~5 µs on the development VM), whatever the size: 28 bytes cost
// 4.7 µs, 4,096 bytes 5.8 µs. The IV ‖ nonce of each ciphertext is therefore cut from a 4 KiB
// block drawn in one call. Why that is sound here:
// - Only public bytes are pooled: IVs and nonces are written, in clear, into the very ciphertext
//   they serve, so bytes disclosed from the pool (a heap snapshot, a core dump) tell an attacker
//   nothing the ciphertexts will not. Secret bytes (keys, DEKs, HMAC keys) never sit in a pool
//   ahead of use: randomKey() (DEKs) and key-material.ts (key versions' keys) draw them from the
//   CSPRNG on every call.
// - Each pooled byte is handed out once and zeroed as it leaves, so no IV or nonce repeats and
//   the pool never holds a byte that was already used.
// - The pool is module state of one process. Node never forks a process with its heap:
//   node:cluster workers are fresh processes (fork + exec), each drawing its own pool, so two
//   workers can never hand out the same bytes. (OpenSSL's fork check guards against exactly that
//   copy, which cannot happen to this pool.)
// - The bytes are the CSPRNG's, unchanged: a pool changes when they are drawn, not what they are.

import { randomBytes, randomFillSync } from "node:crypto";
import { KEY_BYTES } from "../limits.js";

/** A fresh 32-byte data-encryption key, straight from the CSPRNG (key versions: key-material.ts). */
export function randomKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** `size` fresh random bytes. */
export function randomBytesOf(size: number): Buffer {
  return randomBytes(size);
}

/** Size of the pool of public random bytes: 146 ciphertexts' IV ‖ nonce per CSPRNG call. */
export const PUBLIC_POOL_BYTES = 4096;
/** Requests larger than this bypass the pool. */
const POOL_MAX_REQUEST = 64;

const pool = Buffer.allocUnsafeSlow(PUBLIC_POOL_BYTES);
let next = PUBLIC_POOL_BYTES;

/**
 * Overwrites `buffer[offset, offset+size)` with random bytes that are about to be published (the
 * IV ‖ nonce of a ciphertext). Never use it for anything secret: see the comment at the top.
 */
export function fillPublicRandom(buffer: Uint8Array, offset: number, size: number): void {
  if (size > POOL_MAX_REQUEST) {
    randomFillSync(buffer, offset, size);
    return;
  }
  if (next + size > PUBLIC_POOL_BYTES) {
    randomFillSync(pool);
    next = 0;
  }
  const end = next + size;
  pool.copy(buffer, offset, next, end);
  pool.fill(0, next, end);
  next = end;
}

/** Test hook: the pool's bytes not handed out yet, and the whole pool (to check the zeroing). */
export function publicPoolForTests(): { unused: number; pool: Buffer } {
  return { unused: PUBLIC_POOL_BYTES - next, pool };
}
