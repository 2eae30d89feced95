// The wire form of key versions (issue 10, design §3): the optional `"version"` request field of
// generate/encrypt/decrypt/hmac (a decimal string; "" and what KES ignored are absent, kes-api.md
// §7.10), the version list of describe and /v1/key/versions, and the rotation period's text.
// Pure encoding: no key material passes through here.

import { formatLifecycleDuration } from "../../config/duration.js";
import { errInvalidKeyVersion } from "../../errors.js";
import type { VersionInfo } from "../../keys/ring.js";

/** Largest version number a request may name: versions are uint32 in versioned ciphertexts. */
const MAX_VERSION = 0xffff_ffff;

/**
 * `"version"`: a decimal number selects (or, on decrypt, must match) that version; one that is not
 * a version callers may name (0, a leading zero, beyond uint32) → 400 `invalid key version`.
 * Anything else ("", "v1", "latest") is ignored, as KES ignores the field (kes-api.md §7.10), so
 * no KES client that sends one breaks.
 */
export function requestedVersion(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]+$/.test(text)) return undefined;
  if (!/^[1-9][0-9]{0,9}$/.test(text) || Number(text) > MAX_VERSION) throw errInvalidKeyVersion();
  return Number(text);
}

/** The versions of a key as the API lists them, oldest first. */
export function versionsJson(versions: readonly VersionInfo[]) {
  return versions.map((v) => ({
    version: v.version,
    created_at: v.createdAt,
    ...(v.createdBy === "" ? {} : { created_by: v.createdBy }),
    state: v.state,
  }));
}

/** A rotation period as the API shows it: "" for none, else `90d`, `36h`, … */
export function rotateText(rotateMs: number): string {
  return rotateMs > 0 ? formatLifecycleDuration(rotateMs) : "";
}
