// A key ring: every version of one key and its current state, as loaded from the keystore
// (design.md §1). Pure: no I/O. The ring is what the key cache holds; the warm path of the key
// service reads it synchronously. It must never be changed after it entered the cache except for
// its bookkeeping times (checkedAt, refreshTriedAt, missReloadAt).

import type { KeyVersion } from "../crypto/key-version.js";
import { formatTimestamp } from "../crypto/timestamp.js";
import type { KeyState } from "./ring-records.js";

export interface Ring {
  name: string;
  /** incarnationOf(the version-1 record's stored string). */
  incarnation: string;
  /** versions[i] is version i + 1; never empty. */
  versions: KeyVersion[];
  /** The newest state (DEFAULT_STATE when the key has no state record). */
  state: KeyState;
  /** K of the newest state record; 0 when there is none. */
  stateSeq: number;
  /** When the ring was last confirmed against the store (the key service's clock, ms). */
  checkedAt: number;
  /** When a background refresh of this ring was last started (ms). */
  refreshTriedAt: number;
  /** When a ciphertext of an unknown newer version last made the service reload (ms). */
  missReloadAt: number;
}

/** The number of the newest version. */
export const latestOf = (ring: Ring): number => ring.versions.length;

/** Version `n` of the ring, or undefined. */
export function versionOf(ring: Ring, n: number): KeyVersion | undefined {
  return Number.isInteger(n) && n >= 1 ? ring.versions[n - 1] : undefined;
}

export type VersionState = "current" | "active" | "retired";

export interface VersionInfo {
  version: number;
  createdAt: string;
  createdBy: string;
  state: VersionState;
}

/** Every version, oldest first, with its state (design.md §3 /v1/key/versions). */
export function versionInfos(ring: Ring): VersionInfo[] {
  const latest = latestOf(ring);
  return ring.versions.map((kv, i) => {
    const version = i + 1;
    const state: VersionState =
      version === latest
        ? "current"
        : version < ring.state.minDecryptionVersion
          ? "retired"
          : "active";
    return { version, createdAt: formatTimestamp(kv.createdAt), createdBy: kv.createdBy, state };
  });
}

/**
 * The newer of two loads of one key (a rotation's ring and a load that began before it, say):
 * another incarnation is newer by definition; otherwise the longer version list and the newer
 * state win separately, and the bookkeeping times are the later of both.
 */
export function newestOf(cached: Ring, loaded: Ring): Ring {
  if (cached.incarnation !== loaded.incarnation) return loaded;
  const versions = latestOf(cached) > latestOf(loaded) ? cached : loaded;
  const state = cached.stateSeq > loaded.stateSeq ? cached : loaded;
  return {
    ...loaded,
    versions: versions.versions,
    state: state.state,
    stateSeq: state.stateSeq,
    checkedAt: Math.max(cached.checkedAt, loaded.checkedAt),
    refreshTriedAt: Math.max(cached.refreshTriedAt, loaded.refreshTriedAt),
    missReloadAt: Math.max(cached.missReloadAt, loaded.missReloadAt),
  };
}
