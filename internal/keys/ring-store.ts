// Key rings on a KeyStore (design.md §1), through the unchanged create-only interface: load a ring
// (version 1, versions 2…, the state chain), probe it cheaply for changes, create a key (and
// remove what an interrupted purge left behind), add a version and a state, purge. It must never
// overwrite a record, never write two records for one version or one state, never take a record
// of another incarnation (an orphan) for the key's, and never put a value into an error.

import { parseJsonText } from "../crypto/go-json.js";
import { decodeKeyVersion } from "../crypto/key-encoding.js";
import type { KeyVersion } from "../crypto/key-version.js";
import { KeyExistsError, KeyNotFoundError } from "../errors.js";
import { type KeyStore, sameStoredValue } from "../keystore/keystore.js";
import {
  MAX_KEY_STATES,
  MAX_KEY_VERSIONS,
  RACY_CREATE_SETTLE_MS,
  RING_LOAD_CONCURRENCY,
} from "../limits.js";
import { sleep } from "../sleep.js";
import type { Ring } from "./ring.js";
import { latestOf } from "./ring.js";
import {
  DEFAULT_STATE,
  type Decoded,
  decodeStateRecord,
  decodeVersionRecord,
  encodeStateRecord,
  encodeVersionRecord,
  incarnationOf,
  type KeyState,
  stateRecord,
  versionRecord,
} from "./ring-records.js";

/** The stored value, or undefined when the record does not exist. */
export async function getOrNone(store: KeyStore, name: string, signal?: AbortSignal) {
  if (store.find !== undefined) return store.find(name, signal);
  try {
    return await store.get(name, signal);
  } catch (err) {
    if (err instanceof KeyNotFoundError) return undefined;
    throw err;
  }
}

/** One chain of records (versions from 2, states from 1), read at most once per index. */
export class Chain<T> {
  readonly #seen = new Map<number, T | undefined>();
  constructor(
    private readonly read: (i: number) => Promise<string | undefined>,
    private readonly decode: (text: string, i: number) => Decoded<T>,
    private readonly incarnation: string,
  ) {}

  /** Record `i` of this incarnation, or undefined (absent or an orphan). */
  async at(i: number): Promise<T | undefined> {
    if (this.#seen.has(i)) return this.#seen.get(i);
    const text = await this.read(i);
    let value: T | undefined;
    if (text !== undefined) {
      const d = this.decode(text, i);
      if (d.incarnation === this.incarnation) value = d.value;
    }
    this.#seen.set(i, value);
    return value;
  }

  /**
   * The highest i ≥ first - 1 with records first … i all present (they are contiguous:
   * design.md §1): gallop up from `first`, then binary search. At most ~2·log2(n) reads.
   */
  async last(first: number, max: number): Promise<number> {
    if ((await this.at(first)) === undefined) return first - 1;
    let lo = first;
    let hi = max + 1;
    for (let step = 1; lo + step <= max; step *= 2) {
      if ((await this.at(lo + step)) === undefined) {
        hi = lo + step;
        break;
      }
      lo += step;
    }
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if ((await this.at(mid)) === undefined) hi = mid;
      else lo = mid;
    }
    return lo;
  }
}

/**
 * Loads the ring of `name`: version 1, version 2 and state 1 in parallel (one round trip for a
 * key never rotated or changed), then the rest of both chains. Throws KeyNotFoundError when
 * version 1 is absent, RecordError for a corrupt record, or the store's error.
 */
export async function loadRing(
  store: KeyStore,
  name: string,
  now: number,
  signal?: AbortSignal,
): Promise<Ring> {
  const [v1Text, v2Text, s1Text] = await Promise.all([
    store.get(name, signal),
    getOrNone(store, versionRecord(name, 2), signal),
    getOrNone(store, stateRecord(name, 1), signal),
  ]);
  const incarnation = incarnationOf(v1Text);
  const firstRead = (first: number, text: string | undefined, rec: (i: number) => string) => {
    return (i: number) => (i === first ? Promise.resolve(text) : getOrNone(store, rec(i), signal));
  };
  const versions = new Chain<KeyVersion>(
    firstRead(2, v2Text, (i) => versionRecord(name, i)),
    decodeVersionRecord,
    incarnation,
  );
  const states = new Chain<KeyState>(
    firstRead(1, s1Text, (i) => stateRecord(name, i)),
    decodeStateRecord,
    incarnation,
  );
  const [latest, seq] = await Promise.all([
    versions.last(2, MAX_KEY_VERSIONS),
    states.last(1, MAX_KEY_STATES),
  ]);
  const all = [decodeKeyVersion(v1Text)];
  for (let from = 2; from <= latest; from += RING_LOAD_CONCURRENCY) {
    const to = Math.min(latest, from + RING_LOAD_CONCURRENCY - 1);
    const batch = Array.from({ length: to - from + 1 }, (_, i) => versions.at(from + i));
    for (const kv of await Promise.all(batch)) {
      // A record that vanished between the search and now: a purge under way.
      if (kv === undefined) throw new KeyNotFoundError(name);
      all.push(kv);
    }
  }
  // A key without a state record shares the frozen default (about 100 bytes per cached key).
  const state = seq === 0 ? DEFAULT_STATE : await states.at(seq);
  if (state === undefined) throw new KeyNotFoundError(name);
  return {
    name,
    incarnation,
    versions: all,
    state,
    stateSeq: seq,
    checkedAt: now,
    refreshTriedAt: now,
    missReloadAt: Number.NEGATIVE_INFINITY,
  };
}

export type ProbeResult = "same" | "changed" | "gone";

/**
 * The cheap refresh probe: version 1, the next version and the next state, in parallel. "gone"
 * when the key no longer exists, "changed" when it has a new version or state or is another
 * incarnation (the caller loads it again), else "same".
 */
export async function probeRing(
  store: KeyStore,
  ring: Ring,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  const [v1Text, next, nextState] = await Promise.all([
    getOrNone(store, ring.name, signal),
    getOrNone(store, versionRecord(ring.name, latestOf(ring) + 1), signal),
    getOrNone(store, stateRecord(ring.name, ring.stateSeq + 1), signal),
  ]);
  if (v1Text === undefined) return "gone";
  if (incarnationOf(v1Text) !== ring.incarnation) return "changed";
  if (next !== undefined && incarnationIn(next) === ring.incarnation) return "changed";
  if (nextState !== undefined && incarnationIn(nextState) === ring.incarnation) return "changed";
  return "same";
}

/** The incarnation a record claims, without decoding the rest ("" when unreadable). */
export function incarnationIn(text: string): string {
  const value = parseJsonText(text)?.value as { incarnation?: unknown } | null | undefined;
  return typeof value?.incarnation === "string" ? value.incarnation : "";
}

/**
 * Creates record `rec` with `value`, create-only. A record of another incarnation already there
 * is an orphan: it is deleted and the create tried again (bounded). Returns false when a record
 * of this incarnation is there: another writer won the race for this number.
 */
async function createRecord(
  store: KeyStore,
  rec: string,
  value: string,
  incarnation: string,
  signal?: AbortSignal,
): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await store.create(rec, value, signal);
      return store.racyCreate === true ? await stillOurs(store, rec, value, signal) : true;
    } catch (err) {
      if (!(err instanceof KeyExistsError)) throw err;
      const there = await getOrNone(store, rec, signal);
      if (there !== undefined && incarnationIn(there) === incarnation) return false;
      if (attempt >= 2) throw err;
      if (there !== undefined) await deleteIfThere(store, rec, signal);
    }
  }
}

/**
 * On a check-then-write store, a replica that checked before our record landed may overwrite it:
 * look again once such a write must have landed (RACY_CREATE_SETTLE_MS). Another value (or none)
 * means our record lost, and the caller uses what is there, as after KeyExistsError. Compared in
 * constant time: the values hold key material.
 */
async function stillOurs(
  store: KeyStore,
  rec: string,
  value: string,
  signal?: AbortSignal,
): Promise<boolean> {
  await sleep(RACY_CREATE_SETTLE_MS, signal);
  const there = await getOrNone(store, rec, signal);
  return there !== undefined && sameStoredValue(there, value);
}

/** Writes version latest + 1 of the ring; false when another writer made that version first. */
export function addVersion(
  store: KeyStore,
  ring: Ring,
  kv: KeyVersion,
  signal?: AbortSignal,
): Promise<boolean> {
  const n = latestOf(ring) + 1;
  const value = encodeVersionRecord(ring.incarnation, n, kv);
  return createRecord(store, versionRecord(ring.name, n), value, ring.incarnation, signal);
}

/** Writes state stateSeq + 1 of the ring; false when another writer made that state first. */
export function addState(
  store: KeyStore,
  ring: Ring,
  state: KeyState,
  signal?: AbortSignal,
): Promise<boolean> {
  const k = ring.stateSeq + 1;
  const value = encodeStateRecord(ring.incarnation, k, state);
  return createRecord(store, stateRecord(ring.name, k), value, ring.incarnation, signal);
}

export async function deleteIfThere(
  store: KeyStore,
  rec: string,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await store.delete(rec, signal);
  } catch (err) {
    if (!(err instanceof KeyNotFoundError)) throw err;
  }
}

/** One stored record of a key: its store name and value (for `migrate`). */
export interface StoredRecord {
  name: string;
  value: string;
}

/**
 * Every record of the current incarnation of `name`, version 1 first, then versions and states
 * in order: what a copy of the key to another store must write (orphans are left out).
 */
export async function recordsOf(
  store: KeyStore,
  name: string,
  signal?: AbortSignal,
): Promise<StoredRecord[]> {
  const ring = await loadRing(store, name, 0, signal);
  const names = [name];
  for (let n = 2; n <= latestOf(ring); n++) names.push(versionRecord(name, n));
  for (let k = 1; k <= ring.stateSeq; k++) names.push(stateRecord(name, k));
  const out: StoredRecord[] = [];
  for (const rec of names) out.push({ name: rec, value: await store.get(rec, signal) });
  return out;
}
