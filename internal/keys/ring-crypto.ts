// Cryptography over a key ring (design.md §2, §3): which version a request may use, sealing under
// it (version 1: KES raw, kes-api.md §7.2; later versions: the versioned format), opening any
// ciphertext (versioned → its version, else every KES format under version 1, §7.3), and the
// pending-deletion, disabled and retired checks. Pure: no I/O, synchronous (the warm path). It
// must never return plaintext that did not authenticate, and never tell a forged ciphertext from
// another failure: only an authentic one of a retired version gets the retired error.

import { decrypt, encrypt } from "../crypto/aead.js";
import type { KeyVersion } from "../crypto/key-version.js";
import { claimedVersion, openVersioned, sealVersioned } from "../crypto/versioned.js";
import {
  DecryptError,
  errDecrypt,
  errInvalidKeyVersion,
  errKeyDisabled,
  errKeyPendingDeletion,
  errVersionRetired,
} from "../errors.js";
import { latestOf, type Ring, versionOf } from "./ring.js";

/** What a pending-deletion key still allows (`keystore.deletion.decrypt`). */
export type PendingDecrypt = "allow" | "deny";

/** 404 with the pending-deletion detail when the key is pending deletion. */
export function checkNotPending(ring: Ring): void {
  if (ring.state.purgeAt !== undefined) throw errKeyPendingDeletion(ring.state.purgeAt);
}

/** The pending and disabled checks of generate/encrypt/hmac/rewrap (design.md §3). */
export function checkUsable(ring: Ring): void {
  checkNotPending(ring);
  if (!ring.state.enabled) throw errKeyDisabled();
}

/** A version picked for sealing: the key and its number. */
export interface Picked {
  kv: KeyVersion;
  version: number;
}

/**
 * The version generate/encrypt/hmac use: `version` when given (it must exist and not be retired,
 * else 400 `invalid key version`), else the newest.
 */
export function pickVersion(ring: Ring, version?: number): Picked {
  checkUsable(ring);
  const n = version ?? latestOf(ring);
  const kv = versionOf(ring, n);
  if (kv === undefined || n < ring.state.minDecryptionVersion) throw errInvalidKeyVersion();
  return { kv, version: n };
}

/** True when the ring lacks `version` but a newer ring might have it (worth one reload). */
export const mayBeNewer = (ring: Ring, version: number | undefined): boolean =>
  version !== undefined && Number.isInteger(version) && version > latestOf(ring);

/** Seals `plaintext` under a picked version: KES raw for version 1, versioned for later ones. */
export function sealPicked(p: Picked, plaintext: Uint8Array, context: Uint8Array): Buffer {
  if (p.version === 1) return encrypt(p.kv, plaintext, context);
  return sealVersioned(p.kv, p.version, plaintext, context);
}

export interface Opened {
  plaintext: Buffer;
  version: number;
}

/**
 * Opens a ciphertext of any version: one whose header claims a version the ring has is tried
 * under it first; anything else (and a claim that did not authenticate) under version 1 in every
 * KES format. `want` (the request's version) must then match; an authentic ciphertext of a
 * version below the minimum is refused with its own error. Every other failure is the one
 * decrypt error.
 */
export function openRing(
  ring: Ring,
  ciphertext: Uint8Array,
  context: Uint8Array,
  pending: PendingDecrypt,
  want?: number,
): Opened {
  if (pending === "deny") checkNotPending(ring);
  if (!ring.state.enabled) throw errKeyDisabled();
  const opened = openAny(ring, ciphertext, context);
  if (want !== undefined && want !== opened.version) {
    opened.plaintext.fill(0);
    throw errDecrypt();
  }
  const min = ring.state.minDecryptionVersion;
  if (opened.version < min) {
    opened.plaintext.fill(0);
    throw errVersionRetired(opened.version, min);
  }
  return opened;
}

function openAny(ring: Ring, ciphertext: Uint8Array, context: Uint8Array): Opened {
  const claimed = claimedVersion(ciphertext);
  const kv = claimed === undefined ? undefined : versionOf(ring, claimed);
  if (kv !== undefined && claimed !== undefined) {
    try {
      return { plaintext: openVersioned(kv, claimed, ciphertext, context), version: claimed };
    } catch (err) {
      if (!(err instanceof DecryptError)) throw err;
    }
  }
  try {
    return { plaintext: decrypt(ring.versions[0] as KeyVersion, ciphertext, context), version: 1 };
  } catch (err) {
    if (err instanceof DecryptError) throw errDecrypt();
    throw err;
  }
}
