// Encrypt and decrypt with a key version (kes-api.md §7.2, §7.3): a one-time subkey per message
// (AES256: HMAC-SHA256(K, IV); ChaCha20: HChaCha20(K, IV)), sealed with AES-256-GCM or
// ChaCha20-Poly1305 under a 12-byte nonce, output raw `sealed ‖ tag ‖ IV ‖ nonce`.
// Pure: no I/O. Must never reveal why a decryption failed: every failure is one DecryptError,
// and unauthenticated plaintext is wiped, never returned.

import { createCipheriv, createDecipheriv, createHmac } from "node:crypto";
import { DecryptError } from "../errors.js";
import {
  IV_BYTES,
  parseCiphertext,
  RAW_OVERHEAD_BYTES,
  RAW_TRAILER_BYTES,
  TAG_BYTES,
} from "./ciphertext.js";
import { hchacha20 } from "./hchacha20.js";
import type { KeyVersion } from "./key-version.js";
import { fillRandom } from "./random.js";

function deriveSubkey(kv: KeyVersion, iv: Uint8Array): Buffer {
  if (kv.algorithm === "AES256") return createHmac("sha256", kv.key).update(iv).digest();
  return hchacha20(kv.key, iv);
}

function createSealer(kv: KeyVersion, subkey: Buffer, nonce: Buffer) {
  if (kv.algorithm === "AES256") {
    return createCipheriv("aes-256-gcm", subkey, nonce, { authTagLength: TAG_BYTES });
  }
  return createCipheriv("chacha20-poly1305", subkey, nonce, { authTagLength: TAG_BYTES });
}

function createOpener(kv: KeyVersion, subkey: Buffer, nonce: Buffer) {
  if (kv.algorithm === "AES256") {
    return createDecipheriv("aes-256-gcm", subkey, nonce, { authTagLength: TAG_BYTES });
  }
  return createDecipheriv("chacha20-poly1305", subkey, nonce, { authTagLength: TAG_BYTES });
}

// Seals into `out`, whose last 28 bytes already hold IV ‖ nonce.
function sealInto(kv: KeyVersion, plaintext: Uint8Array, context: Uint8Array, out: Buffer): Buffer {
  const n = plaintext.length;
  const iv = out.subarray(n + TAG_BYTES, n + TAG_BYTES + IV_BYTES);
  const nonce = out.subarray(n + TAG_BYTES + IV_BYTES);
  const subkey = deriveSubkey(kv, iv);
  try {
    const cipher = createSealer(kv, subkey, nonce);
    // An empty context adds no AAD bytes: the same tag as Go's Seal with nil additional data.
    if (context.length > 0) cipher.setAAD(context);
    const head = cipher.update(plaintext);
    const tail = cipher.final();
    head.copy(out, 0);
    tail.copy(out, head.length);
    cipher.getAuthTag().copy(out, n);
    return out;
  } finally {
    subkey.fill(0);
  }
}

/** Encrypts `plaintext` with AAD `context`; a fresh random IV and nonce per call. */
export function encrypt(kv: KeyVersion, plaintext: Uint8Array, context: Uint8Array): Buffer {
  const n = plaintext.length;
  const out = Buffer.allocUnsafe(n + RAW_OVERHEAD_BYTES);
  fillRandom(out, n + TAG_BYTES, RAW_TRAILER_BYTES);
  return sealInto(kv, plaintext, context, out);
}

/** Deterministic encrypt for test vectors: `random28` = IV(16) ‖ nonce(12). */
export function sealWith(
  kv: KeyVersion,
  plaintext: Uint8Array,
  context: Uint8Array,
  random28: Uint8Array,
): Buffer {
  if (random28.length !== RAW_TRAILER_BYTES) throw new RangeError("sealWith: need 28 random bytes");
  const n = plaintext.length;
  const out = Buffer.allocUnsafe(n + RAW_OVERHEAD_BYTES);
  out.set(random28, n + TAG_BYTES);
  return sealInto(kv, plaintext, context, out);
}

/**
 * Decrypts a ciphertext of any KES era with AAD `context`. The stored key's algorithm decides
 * the AEAD; an algorithm named inside a legacy ciphertext is ignored (KES compat, §7.3).
 * Throws DecryptError for every failure.
 */
export function decrypt(kv: KeyVersion, ciphertext: Uint8Array, context: Uint8Array): Buffer {
  const parts = parseCiphertext(ciphertext);
  if (parts === undefined) throw new DecryptError();
  const { sealed, iv, nonce } = parts;
  const end = sealed.length - TAG_BYTES;
  let subkey: Buffer | undefined;
  let head: Buffer | undefined;
  try {
    subkey = deriveSubkey(kv, iv);
    const decipher = createOpener(kv, subkey, nonce);
    decipher.setAuthTag(sealed.subarray(end));
    if (context.length > 0) decipher.setAAD(context);
    head = decipher.update(sealed.subarray(0, end));
    const tail = decipher.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    head?.fill(0);
    throw new DecryptError();
  } finally {
    subkey?.fill(0);
  }
}
