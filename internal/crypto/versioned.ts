// Versioned ciphertexts: what keyfront produces under a key version N ≥ 2 (version 1 produces
// KES's raw format, kes-api.md §7.2, so KES can still decrypt it). Pure: no I/O. It must never
// report a version it has not authenticated: the header is part of the AEAD's associated data,
// and callers only trust a version after `openVersioned` succeeded.
//
// Byte layout (all offsets in bytes; n = plaintext length; total = n + 52):
//
//   +--------+--------+--------+--------+--------+--------+--------+--------+
//   |  0x6b  |  0x66  |  0x76  |  0x01  |  key version N (uint32, big-endian) |
//   |  'k'   |  'f'   |  'v'   | format |  N ≥ 2                              |
//   +--------+--------+--------+--------+--------+--------+--------+--------+
//   | AEAD ciphertext (n bytes) ‖ tag (16) ‖ IV (16) ‖ nonce (12)            |
//   +-------------------------------------------------------------------------+
//    \__ header: bytes 0..7 __/ \__ KES raw framing (§7.2) of the AEAD output __/
//
//   subkey = HMAC-SHA256(K_N, IV) (AES256) or HChaCha20(K_N, IV) (ChaCha20), as in §7.2
//   AEAD   = AES-256-GCM or ChaCha20-Poly1305 (subkey, nonce), AAD = header (8 bytes) ‖ context
//
// The first byte 0x6b is neither 0x95 (MessagePack, §7.5.2) nor 0x7b (JSON, §7.5.1), so no legacy
// KES ciphertext parses as versioned. A KES raw ciphertext starts with AEAD output (random-looking
// bytes), so one in 2^24 starts with "kfv"; decryption then tries version N, fails to
// authenticate (other key, other AAD) and falls back to the KES formats under version 1
// (design.md §2). The header is fixed-size, so header ‖ context is an unambiguous AAD.

import { DecryptError } from "../errors.js";
import { decryptRawAt, encryptAfter } from "./aead.js";
import { RAW_OVERHEAD_BYTES } from "./ciphertext.js";
import type { KeyVersion } from "./key-version.js";

/** "kfv": the magic that opens every versioned ciphertext. */
export const VERSIONED_MAGIC = Buffer.from([0x6b, 0x66, 0x76]);
/** The only format byte defined so far. */
export const VERSIONED_FORMAT = 0x01;
/** Magic (3) ‖ format (1) ‖ version (4). */
export const VERSIONED_HEADER_BYTES = 8;
/** Length of a versioned ciphertext minus its plaintext's. */
export const VERSIONED_OVERHEAD_BYTES = VERSIONED_HEADER_BYTES + RAW_OVERHEAD_BYTES;
/** The first version that produces versioned ciphertexts (version 1 produces KES raw). */
export const FIRST_VERSIONED = 2;
/** The largest version a header can carry. */
export const MAX_HEADER_VERSION = 0xffff_ffff;

/** The 8-byte header of version `version` (2 … 2^32-1). */
export function versionedHeader(version: number): Buffer {
  if (!Number.isInteger(version) || version < FIRST_VERSIONED || version > MAX_HEADER_VERSION) {
    throw new RangeError(`versioned ciphertexts carry versions 2 to ${MAX_HEADER_VERSION}`);
  }
  const header = Buffer.allocUnsafe(VERSIONED_HEADER_BYTES);
  VERSIONED_MAGIC.copy(header, 0);
  header[3] = VERSIONED_FORMAT;
  header.writeUInt32BE(version, 4);
  return header;
}

/**
 * The version a ciphertext's header claims (≥ 2), or undefined when it has no versioned header
 * (wrong magic or format, a version below 2, or too short to hold header and framing). A claim,
 * not a fact: only `openVersioned` authenticates it.
 */
export function claimedVersion(ciphertext: Uint8Array): number | undefined {
  if (ciphertext.length < VERSIONED_OVERHEAD_BYTES) return undefined;
  if (ciphertext[0] !== 0x6b || ciphertext[1] !== 0x66 || ciphertext[2] !== 0x76) return undefined;
  if (ciphertext[3] !== VERSIONED_FORMAT) return undefined;
  const version =
    ((ciphertext[4] as number) * 0x1_00_00_00 +
      ((ciphertext[5] as number) << 16) +
      ((ciphertext[6] as number) << 8) +
      (ciphertext[7] as number)) >>>
    0;
  return version >= FIRST_VERSIONED ? version : undefined;
}

/** Seals `plaintext` under key version `version` (≥ 2) with AAD header ‖ `context`. */
export function sealVersioned(
  kv: KeyVersion,
  version: number,
  plaintext: Uint8Array,
  context: Uint8Array,
  random28?: Uint8Array,
): Buffer {
  const header = versionedHeader(version);
  return encryptAfter(kv, header, plaintext, aadOf(header, context), random28);
}

/**
 * Opens a versioned ciphertext with the key of the version its header claims (the caller looked
 * that up). Throws DecryptError when there is no header, when `version` is not the claimed one,
 * or when anything fails to authenticate.
 */
export function openVersioned(
  kv: KeyVersion,
  version: number,
  ciphertext: Uint8Array,
  context: Uint8Array,
): Buffer {
  if (claimedVersion(ciphertext) !== version) throw new DecryptError();
  const header = ciphertext.subarray(0, VERSIONED_HEADER_BYTES);
  return decryptRawAt(kv, ciphertext, VERSIONED_HEADER_BYTES, header, context);
}

function aadOf(header: Uint8Array, context: Uint8Array): Buffer {
  const aad = Buffer.allocUnsafe(header.length + context.length);
  aad.set(header, 0);
  aad.set(context, header.length);
  return aad;
}
