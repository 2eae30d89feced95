// The shapes the key service answers with (design.md §5): DEKs, descriptions, version lists and
// the deletion settings it is built with. Types only.

import type { Algorithm } from "../crypto/algorithm.js";
import type { VersionInfo } from "./ring.js";
import type { PendingDecrypt } from "./ring-crypto.js";

export interface Dek {
  plaintext: Buffer;
  ciphertext: Buffer;
  /** The key version the DEK is sealed under. */
  version: number;
}

/** A ciphertext and the key version that sealed it (encrypt). */
export interface Sealed {
  ciphertext: Buffer;
  version: number;
}

export interface KeyDescription {
  name: string;
  /** Algorithm, creation time and creator of version 1 (as KES wrote them). */
  algorithm: Algorithm;
  createdAt: string;
  createdBy: string;
  /** The newest version. */
  version: number;
  versions: VersionInfo[];
  enabled: boolean;
  minDecryptionVersion: number;
  /** Rotation period in ms; 0 = none. */
  rotateMs: number;
  /** Set when the key is pending deletion (RFC 3339 purge time). */
  pendingDeletion?: { purgeAt: string };
}

export interface VersionList {
  name: string;
  latest: number;
  minDecryptionVersion: number;
  versions: VersionInfo[];
}

export interface DeletionOptions {
  /** 0: delete purges at once (KES). Otherwise the key stays pending deletion this long (ms). */
  windowMs: number;
  /** Whether a key pending deletion still decrypts. */
  decrypt: PendingDecrypt;
}
