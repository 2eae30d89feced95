// Encrypt and decrypt with a key version (kes-api.md §7.2, §7.3): a one-time subkey per message
// (AES256: HMAC-SHA256(K, IV); ChaCha20: HChaCha20(K, IV)), sealed with AES-256-GCM or
// ChaCha20-Poly1305 under a 12-byte nonce, output raw `sealed ‖ tag ‖ IV ‖ nonce`.
// Pure: no I/O. Must never reveal why a decryption failed: every failure is one DecryptError,
// and unauthenticated plaintext is wiped, never returned.

import { createCipheriv, createDecipheriv, createHmac } from "node:crypto";
import { DecryptError } from "../errors.js";
import type { Algorithm } from "./algorithm.js";
import {
  type CiphertextParts,
  IV_BYTES,
  NONCE_BYTES,
  parseCiphertext,
  RAW_OVERHEAD_BYTES,
  RAW_TRAILER_BYTES,
  splitRaw,
  TAG_BYTES,
} from "./ciphertext.js";
import { hchacha20 } from "./hchacha20.js";
import type { KeyVersion } from "./key-version.js";
import { fillPublicRandom } from "./random.js";

function deriveSubkey(kv: KeyVersion, iv: Uint8Array): Buffer {
  if (kv.algorithm === "AES256") return createHmac("sha256", kv.key).update(iv).digest();
  return hchacha20(kv.key, iv);
}

const SUBKEY_BYTES = 32;

function createSealer(algorithm: Algorithm, subkey: Uint8Array, nonce: Uint8Array) {
  if (algorithm === "AES256") {
    return createCipheriv("aes-256-gcm", subkey, nonce, { authTagLength: TAG_BYTES });
  }
  return createCipheriv("chacha20-poly1305", subkey, nonce, { authTagLength: TAG_BYTES });
}

function createOpener(algorithm: Algorithm, subkey: Uint8Array, nonce: Uint8Array) {
  if (algorithm === "AES256") {
    return createDecipheriv("aes-256-gcm", subkey, nonce, { authTagLength: TAG_BYTES });
  }
  return createDecipheriv("chacha20-poly1305", subkey, nonce, { authTagLength: TAG_BYTES });
}

/**
 * The AEAD step alone: AES-256-GCM or ChaCha20-Poly1305 under a 32-byte (sub)key and a 12-byte
 * nonce, writing `ciphertext ‖ tag` into `out[0, plaintext.length + 16)`. Exported so that the
 * Wycheproof vectors run against exactly the code encrypt() uses.
 */
export function sealAead(
  algorithm: Algorithm,
  subkey: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  out: Buffer = Buffer.allocUnsafe(plaintext.length + TAG_BYTES),
): Buffer {
  if (subkey.length !== SUBKEY_BYTES || nonce.length !== NONCE_BYTES) {
    throw new RangeError("sealAead: key must be 32 bytes and nonce 12 bytes");
  }
  const cipher = createSealer(algorithm, subkey, nonce);
  // An empty context adds no AAD bytes: the same tag as Go's Seal with nil additional data.
  if (aad.length > 0) cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  head.copy(out, 0);
  tail.copy(out, head.length);
  cipher.getAuthTag().copy(out, plaintext.length);
  return out;
}

/**
 * Opens `sealed` (= ciphertext ‖ 16-byte tag) under a 32-byte (sub)key and a 12-byte nonce, with
 * AAD `aad ‖ aadTail` (the tail only for versioned ciphertexts: header, then context).
 * Every failure, wrong sizes included, is one DecryptError; unauthenticated output is wiped.
 */
export function openAead(
  algorithm: Algorithm,
  subkey: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array,
  aadTail?: Uint8Array,
): Buffer {
  if (subkey.length !== SUBKEY_BYTES || nonce.length !== NONCE_BYTES || sealed.length < TAG_BYTES) {
    throw new DecryptError();
  }
  const end = sealed.length - TAG_BYTES;
  let head: Buffer | undefined;
  try {
    const decipher = createOpener(algorithm, subkey, nonce);
    decipher.setAuthTag(sealed.subarray(end));
    if (aad.length > 0) decipher.setAAD(aad);
    if (aadTail !== undefined && aadTail.length > 0) decipher.setAAD(aadTail);
    head = decipher.update(sealed.subarray(0, end));
    const tail = decipher.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    head?.fill(0);
    throw new DecryptError();
  }
}

// Seals into `out` from `at` on, whose last 28 bytes already hold IV ‖ nonce.
function sealInto(
  kv: KeyVersion,
  plaintext: Uint8Array,
  context: Uint8Array,
  out: Buffer,
  at = 0,
): Buffer {
  const n = plaintext.length;
  const iv = out.subarray(at + n + TAG_BYTES, at + n + TAG_BYTES + IV_BYTES);
  const nonce = out.subarray(at + n + TAG_BYTES + IV_BYTES);
  const subkey = deriveSubkey(kv, iv);
  try {
    sealAead(kv.algorithm, subkey, nonce, plaintext, context, out.subarray(at));
    return out;
  } finally {
    subkey.fill(0);
  }
}

/**
 * `prefix ‖ raw(plaintext)` in one buffer: the raw framing of §7.2 after `prefix`, sealed with
 * AAD `aad` (the versioned format, versioned.ts, puts its header in both). `random28` (IV ‖
 * nonce) is drawn fresh unless given (test vectors only).
 */
export function encryptAfter(
  kv: KeyVersion,
  prefix: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  random28?: Uint8Array,
): Buffer {
  const at = prefix.length;
  const n = plaintext.length;
  const out = Buffer.allocUnsafe(at + n + RAW_OVERHEAD_BYTES);
  out.set(prefix, 0);
  if (random28 === undefined) fillPublicRandom(out, at + n + TAG_BYTES, RAW_TRAILER_BYTES);
  else if (random28.length === RAW_TRAILER_BYTES) out.set(random28, at + n + TAG_BYTES);
  else throw new RangeError("encryptAfter: need 28 random bytes");
  return sealInto(kv, plaintext, aad, out, at);
}

/** Encrypts `plaintext` with AAD `context`; a fresh random IV and nonce per call. */
export function encrypt(kv: KeyVersion, plaintext: Uint8Array, context: Uint8Array): Buffer {
  const n = plaintext.length;
  const out = Buffer.allocUnsafe(n + RAW_OVERHEAD_BYTES);
  fillPublicRandom(out, n + TAG_BYTES, RAW_TRAILER_BYTES);
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
  return openParts(kv, parseCiphertext(ciphertext), context);
}

/**
 * Decrypts the raw framing (§7.2) that starts at byte `at` of `bytes`, never a legacy form, with
 * AAD `aad ‖ aadTail`: the body of a versioned ciphertext, whose header is `aad`. Views into
 * `bytes`, no copy of the ciphertext and no joined AAD (each part goes to the AEAD in turn, which
 * authenticates the same bytes as one buffer: the pinned vectors in versioned.test.ts).
 */
export function decryptRawAt(
  kv: KeyVersion,
  bytes: Uint8Array,
  at: number,
  aad: Uint8Array,
  aadTail: Uint8Array,
): Buffer {
  if (bytes.length - at < RAW_OVERHEAD_BYTES) throw new DecryptError();
  return openParts(kv, splitRaw(bytes, at), aad, aadTail);
}

function openParts(
  kv: KeyVersion,
  parts: CiphertextParts | undefined,
  aad: Uint8Array,
  aadTail?: Uint8Array,
): Buffer {
  if (parts === undefined) throw new DecryptError();
  let subkey: Buffer | undefined;
  try {
    subkey = deriveSubkey(kv, parts.iv);
    return openAead(kv.algorithm, subkey, parts.nonce, parts.sealed, aad, aadTail);
  } catch {
    throw new DecryptError();
  } finally {
    subkey?.fill(0);
  }
}
