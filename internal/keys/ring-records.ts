// The keystore records of a key beyond its version 1 (design.md §1): record names, the key's
// incarnation, and the encoding of version records (`<name>.v<N>`) and state records
// (`<name>.s<K>`). Pure: no I/O. Decoding never throws anything but RecordError, and never puts
// key bytes into a message. Version 1 stays exactly KES's value (kes-api.md §7.8) under `<name>`.

import { createHash } from "node:crypto";
import { parseJsonText } from "../crypto/go-json.js";
import { decodeKeyVersion, encodeKeyVersion } from "../crypto/key-encoding.js";
import type { KeyVersion } from "../crypto/key-version.js";

/** A record value cannot be decoded, or belongs to another version or state than its name says. */
export class RecordError extends Error {
  constructor(reason: string) {
    super(`invalid key record: ${reason}`);
    this.name = "RecordError";
  }
}

/** The name of version `n` (≥ 2) of key `name`. */
export const versionRecord = (name: string, n: number): string => `${name}.v${n}`;
/** The name of state `k` (≥ 1) of key `name`. */
export const stateRecord = (name: string, k: number): string => `${name}.s${k}`;

/** `^<name>.(v|s)<N>$` with N ≥ 1 and no leading zero: the record suffixes a store must accept. */
export const RECORD_SUFFIX = /\.(v|s)[1-9][0-9]*$/;

/**
 * The key's incarnation: hex of the first 16 bytes of SHA-256 of its version-1 record's stored
 * string. A key deleted and created again gets another, so records an interrupted purge left
 * behind (orphans) are never taken for the new key's.
 */
export function incarnationOf(v1Value: string): string {
  return createHash("sha256").update(v1Value, "utf8").digest().subarray(0, 16).toString("hex");
}

/** The settings of a key: its newest state record (or the default when it has none). */
export interface KeyState {
  enabled: boolean;
  /** Versions below it refuse to decrypt (1 = all). */
  minDecryptionVersion: number;
  /** Rotation period in ms; 0 = no scheduled rotation. */
  rotateMs: number;
  /** Pending deletion: destroyed at this time (ms since the epoch). */
  purgeAt?: number;
  /** When and by whom this state was written ("" for the default). */
  updatedAt: string;
  updatedBy: string;
}

export const DEFAULT_STATE: Readonly<KeyState> = Object.freeze({
  enabled: true,
  minDecryptionVersion: 1,
  rotateMs: 0,
  updatedAt: "",
  updatedBy: "",
});

/** A version record's value: `{"incarnation","version","key"}`, key = the §7.8 encoding. */
export function encodeVersionRecord(incarnation: string, version: number, kv: KeyVersion): string {
  return JSON.stringify({ incarnation, version, key: encodeKeyVersion(kv) });
}

/** A decoded record: its incarnation and content. */
export interface Decoded<T> {
  incarnation: string;
  value: T;
}

function objectOf(text: string): Record<string, unknown> {
  const json = parseJsonText(text);
  const value = json?.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RecordError("not a JSON object");
  }
  return value as Record<string, unknown>;
}

function incarnationField(o: Record<string, unknown>): string {
  const inc = o.incarnation;
  if (typeof inc !== "string" || !/^[0-9a-f]{32}$/.test(inc)) {
    throw new RecordError("incarnation is not 32 hex digits");
  }
  return inc;
}

/** Decodes version record `version`; throws RecordError (also when it names another version). */
export function decodeVersionRecord(text: string, version: number): Decoded<KeyVersion> {
  const o = objectOf(text);
  const incarnation = incarnationField(o);
  if (o.version !== version) throw new RecordError(`record does not hold version ${version}`);
  if (typeof o.key !== "string") throw new RecordError("key is not a string");
  try {
    return { incarnation, value: decodeKeyVersion(o.key) };
  } catch (err) {
    throw new RecordError((err as Error).message);
  }
}

/** A state record's value. `seq` repeats K so that a record copied elsewhere is refused. */
export function encodeStateRecord(incarnation: string, seq: number, s: KeyState): string {
  return JSON.stringify({
    incarnation,
    seq,
    enabled: s.enabled,
    min_decryption_version: s.minDecryptionVersion,
    rotate_ms: s.rotateMs,
    ...(s.purgeAt === undefined ? {} : { purge_at: new Date(s.purgeAt).toISOString() }),
    updated_at: s.updatedAt,
    updated_by: s.updatedBy,
  });
}

const isCount = (v: unknown, min: number): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= min;

/** Decodes state record `seq`; throws RecordError. */
export function decodeStateRecord(text: string, seq: number): Decoded<KeyState> {
  const o = objectOf(text);
  const incarnation = incarnationField(o);
  if (o.seq !== seq) throw new RecordError(`record does not hold state ${seq}`);
  if (typeof o.enabled !== "boolean") throw new RecordError("enabled is not a boolean");
  if (!isCount(o.min_decryption_version, 1)) throw new RecordError("bad min_decryption_version");
  if (!isCount(o.rotate_ms, 0)) throw new RecordError("bad rotate_ms");
  if (typeof o.updated_at !== "string" || typeof o.updated_by !== "string") {
    throw new RecordError("bad updated_at or updated_by");
  }
  const state: KeyState = {
    enabled: o.enabled,
    minDecryptionVersion: o.min_decryption_version,
    rotateMs: o.rotate_ms,
    updatedAt: o.updated_at,
    updatedBy: o.updated_by,
  };
  if (o.purge_at !== undefined) {
    const at = typeof o.purge_at === "string" ? Date.parse(o.purge_at) : Number.NaN;
    if (!Number.isFinite(at)) throw new RecordError("purge_at is not a time");
    state.purgeAt = at;
  }
  return { incarnation, value: state };
}
