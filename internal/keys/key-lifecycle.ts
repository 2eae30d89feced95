// The writing half of the key service (design.md §3, §5): create/import, list, rotate, configure,
// enable/disable, delete (purge at once or pending deletion), restore, purge. Every change reads
// the key afresh from the store (never trusting the cache), writes one create-only record and
// puts the result into the cache. It must never write two versions or two states with one number
// (a lost race re-reads and re-applies, bounded), and never purge a key not pending deletion
// except through delete with window 0 (KES's delete).

import type { Algorithm } from "../crypto/algorithm.js";
import { encodeKeyVersion } from "../crypto/key-encoding.js";
import { generateKeyVersion, importKeyVersion, type KeyVersion } from "../crypto/key-version.js";
import { formatTimestamp, type Timestamp, timestampOfMs } from "../crypto/timestamp.js";
import {
  type ApiError,
  errCreateKey,
  errDeleteKey,
  errInvalidKeyVersion,
  errKeyExists,
  errKeyExistsPending,
  errKeyNotFound,
  errListKeys,
  errNotPendingDeletion,
  errReadKey,
  errRotatePeriod,
  errUpdateKey,
  KeyExistsError,
  KeyNotFoundError,
} from "../errors.js";
import type { KeyStore } from "../keystore/keystore.js";
import { KEY_STATE_WRITE_ATTEMPTS, MAX_KEY_VERSIONS, MAX_LIST_NAMES } from "../limits.js";
import type { KeyCache } from "./cache.js";
import { isCancelled, withDetail } from "./failures.js";
import { latestOf, type Ring } from "./ring.js";
import { checkNotPending } from "./ring-crypto.js";
import { createRing, purgeRing } from "./ring-purge.js";
import type { KeyState } from "./ring-records.js";
import { addState, addVersion, loadRing } from "./ring-store.js";

/** A key's settings as configure/enable/disable/delete/restore leave them. */
export interface KeySettings {
  name: string;
  enabled: boolean;
  minDecryptionVersion: number;
  rotateMs: number;
  /** RFC 3339 purge time while pending deletion. */
  purgeAt?: string;
}

export interface LifecycleDeps {
  store: KeyStore;
  cache: KeyCache<Ring>;
  algorithm: Algorithm;
  onFailure: (op: string, name: string, err: unknown) => void;
  now: () => number;
  windowMs: number;
}

const settingsOf = (ring: Ring): KeySettings => ({
  name: ring.name,
  enabled: ring.state.enabled,
  minDecryptionVersion: ring.state.minDecryptionVersion,
  rotateMs: ring.state.rotateMs,
  ...(ring.state.purgeAt === undefined
    ? {}
    : { purgeAt: new Date(ring.state.purgeAt).toISOString() }),
});

/** Milliseconds since the epoch of a version's creation time. */
export const createdMs = (kv: KeyVersion) =>
  Number(kv.createdAt.seconds) * 1000 + kv.createdAt.nanos / 1e6;

export class KeyLifecycle {
  protected readonly store: KeyStore;
  protected readonly cache: KeyCache<Ring>;
  protected readonly onFailure: LifecycleDeps["onFailure"];
  protected readonly now: () => number;
  readonly #algorithm: Algorithm;
  readonly #windowMs: number;

  constructor(deps: LifecycleDeps) {
    this.store = deps.store;
    this.cache = deps.cache;
    this.onFailure = deps.onFailure;
    this.now = deps.now;
    this.#algorithm = deps.algorithm;
    this.#windowMs = deps.windowMs;
  }

  /**
   * A new version's creation time, from the same clock that decides when it is due for rotation
   * (rotateIfDue): one time source for both, so a version can never be older or newer to the
   * scheduler than the clock it is compared with.
   */
  #stamp(): Timestamp {
    return timestampOfMs(this.now());
  }

  /** Creates a fresh key of the default algorithm; KeyExists → 400. */
  async create(name: string, createdBy: string, signal?: AbortSignal): Promise<void> {
    await this.#createWith(
      name,
      generateKeyVersion(this.#algorithm, createdBy, this.#stamp()),
      signal,
    );
  }

  /** Stores caller-supplied key bytes with a fresh HMAC key. */
  async import(
    name: string,
    key: Buffer,
    algorithm: Algorithm,
    createdBy: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#createWith(
      name,
      importKeyVersion(key, algorithm, createdBy, this.#stamp()),
      signal,
    );
  }

  async #createWith(name: string, kv: KeyVersion, signal?: AbortSignal): Promise<void> {
    const value = encodeKeyVersion(kv);
    kv.key.fill(0);
    kv.hmacKey?.fill(0);
    try {
      await createRing(this.store, name, value, signal, (err) =>
        this.onFailure("clean up", name, err),
      );
    } catch (err) {
      if (err instanceof KeyExistsError) throw await this.#existsError(name, signal);
      throw this.#failure("create", name, signal, err, errCreateKey);
    }
  }

  /** "key already exists", with the pending-deletion detail when that is why. */
  async #existsError(name: string, signal?: AbortSignal): Promise<ApiError> {
    const ring = await loadRing(this.store, name, this.now(), signal).catch(() => undefined);
    const purgeAt = ring?.state.purgeAt;
    return purgeAt === undefined ? errKeyExists() : errKeyExistsPending(purgeAt);
  }

  #failure(
    op: string,
    name: string,
    signal: AbortSignal | undefined,
    err: unknown,
    error: () => ApiError,
  ): Error {
    if (err instanceof KeyNotFoundError) return errKeyNotFound();
    if (!isCancelled(signal, err)) this.onFailure(op, name, err);
    return withDetail(error(), err);
  }

  /**
   * Names with `prefix` from `startAt` on. With `limit` > 0 one page of at most `limit` names and
   * the name to continue at; otherwise every name (up to MAX_LIST_NAMES), so that KES SDK clients,
   * which misuse `continue_at` as a prefix (kes-api.md §3.6, §15), always get complete listings.
   * A complete listing is one store listing and one sort, never one per LIST_PAGE_SIZE names.
   * Records of versions and states are never listed (the stores' pager leaves them out).
   */
  async list(
    prefix: string,
    startAt: string,
    limit: number,
    signal?: AbortSignal,
  ): Promise<{ names: string[]; continueAt: string }> {
    try {
      return await this.store.list(prefix, startAt, limit > 0 ? limit : MAX_LIST_NAMES, signal);
    } catch (err) {
      throw this.#failure("list", prefix, signal, err, errListKeys);
    }
  }

  /** The key read from the store now (not the cache). */
  protected async fresh(name: string, signal?: AbortSignal): Promise<Ring> {
    try {
      return await loadRing(this.store, name, this.now(), signal);
    } catch (err) {
      throw this.#failure("read", name, signal, err, errReadKey);
    }
  }

  /** Adds a version. Two rotations at once make one version: the loser answers the winner's. */
  async rotate(
    name: string,
    createdBy: string,
    signal?: AbortSignal,
  ): Promise<{ version: number; createdAt: string }> {
    return this.#rotateRing(await this.fresh(name, signal), createdBy, signal);
  }

  /**
   * For the scheduler: rotates when the key has a rotation period (its own, else `periodMs`, the
   * config's `keys[].rotate`) and its newest version is at least that old (read afresh, so a
   * replica that rotated first makes this a no-op); else undefined.
   */
  async rotateIfDue(
    name: string,
    createdBy: string,
    signal?: AbortSignal,
    periodMs = 0,
  ): Promise<{ version: number; createdAt: string; made: boolean } | undefined> {
    const ring = await this.fresh(name, signal);
    const { purgeAt } = ring.state;
    const rotateMs = ring.state.rotateMs > 0 ? ring.state.rotateMs : periodMs;
    const newest = ring.versions[latestOf(ring) - 1] as KeyVersion;
    if (rotateMs <= 0 || purgeAt !== undefined || createdMs(newest) + rotateMs > this.now()) {
      return undefined;
    }
    return this.#rotateRing(ring, createdBy, signal);
  }

  async #rotateRing(ring: Ring, createdBy: string, signal?: AbortSignal) {
    checkNotPending(ring);
    const n = latestOf(ring) + 1;
    if (n > MAX_KEY_VERSIONS) throw errInvalidKeyVersion();
    const v1 = ring.versions[0] as KeyVersion;
    const kv = generateKeyVersion(v1.algorithm, createdBy, this.#stamp());
    let made: boolean;
    try {
      made = await addVersion(this.store, ring, kv, signal);
    } catch (err) {
      throw this.#failure("rotate", ring.name, signal, err, errUpdateKey);
    }
    const next = made
      ? { ...ring, versions: [...ring.versions, kv] }
      : await this.fresh(ring.name, signal);
    this.cache.set(ring.name, next);
    const version = next.versions[n - 1];
    if (version === undefined) throw errKeyNotFound(); // purged meanwhile
    // made: false when another replica's rotation won the race (its version is answered)
    return { version: n, createdAt: formatTimestamp(version.createdAt), made };
  }

  /**
   * Writes the state `change` makes of the newest one, create-only; a lost race re-reads the
   * newest state and applies the change again (KEY_STATE_WRITE_ATTEMPTS in all).
   */
  protected async changeState(
    name: string,
    by: string,
    signal: AbortSignal | undefined,
    change: (ring: Ring) => Omit<KeyState, "updatedAt" | "updatedBy">,
  ): Promise<Ring> {
    for (let attempt = 1; ; attempt++) {
      const ring = await this.fresh(name, signal);
      const next = {
        ...change(ring),
        updatedAt: new Date(this.now()).toISOString(),
        updatedBy: by,
      };
      let made: boolean;
      try {
        made = await addState(this.store, ring, next, signal);
      } catch (err) {
        throw this.#failure("update", name, signal, err, errUpdateKey);
      }
      if (made) {
        const updated = { ...ring, state: next, stateSeq: ring.stateSeq + 1 };
        this.cache.set(name, updated);
        return updated;
      }
      if (attempt >= KEY_STATE_WRITE_ATTEMPTS) {
        this.onFailure("update", name, new Error("lost every race for the next state record"));
        throw errUpdateKey();
      }
    }
  }

  /** Sets the minimum decryption version and/or the rotation period (ms, 0 = none). */
  async configure(
    name: string,
    change: { minDecryptionVersion?: number; rotateMs?: number },
    by: string,
    signal?: AbortSignal,
  ): Promise<KeySettings> {
    const { minDecryptionVersion: min, rotateMs } = change;
    if (rotateMs !== undefined && !(Number.isSafeInteger(rotateMs) && rotateMs >= 0)) {
      throw errRotatePeriod();
    }
    const ring = await this.changeState(name, by, signal, (r) => {
      checkNotPending(r);
      if (min !== undefined && !(Number.isInteger(min) && min >= 1 && min <= latestOf(r))) {
        throw errInvalidKeyVersion();
      }
      return {
        ...r.state,
        ...(min === undefined ? {} : { minDecryptionVersion: min }),
        ...(rotateMs === undefined ? {} : { rotateMs }),
      };
    });
    return settingsOf(ring);
  }

  async setEnabled(name: string, enabled: boolean, by: string, signal?: AbortSignal) {
    await this.changeState(name, by, signal, (r) => {
      checkNotPending(r);
      return { ...r.state, enabled };
    });
  }

  /** Window 0: purges at once (KES). Otherwise the key becomes pending deletion. */
  async delete(name: string, by: string, signal?: AbortSignal): Promise<void> {
    if (this.#windowMs <= 0) return this.#purgeNow(name, signal);
    await this.changeState(name, by, signal, (r) => {
      checkNotPending(r);
      return { ...r.state, purgeAt: this.now() + this.#windowMs };
    });
  }

  /** Ends a pending deletion; 400 when the key is not pending deletion. */
  async restore(name: string, by: string, signal?: AbortSignal): Promise<void> {
    await this.changeState(name, by, signal, (r) => {
      if (r.state.purgeAt === undefined) throw errNotPendingDeletion();
      const { purgeAt: _gone, ...rest } = r.state;
      return rest;
    });
  }

  /** The explicit admin purge of a key pending deletion (before its window ends). */
  async purge(name: string, _by: string, signal?: AbortSignal): Promise<void> {
    const ring = await this.fresh(name, signal);
    if (ring.state.purgeAt === undefined) throw errNotPendingDeletion();
    await this.#purgeNow(name, signal);
  }

  /** For the scheduler: purges the key when its window has ended; true when it did. */
  async purgeIfDue(name: string, signal?: AbortSignal): Promise<boolean> {
    const ring = await this.fresh(name, signal);
    const at = ring.state.purgeAt;
    if (at === undefined || at > this.now()) return false;
    await this.#purgeNow(name, signal);
    return true;
  }

  async #purgeNow(name: string, signal?: AbortSignal): Promise<void> {
    try {
      await purgeRing(this.store, name, signal, (err) => this.onFailure("clean up", name, err));
    } catch (err) {
      throw this.#failure("delete", name, signal, err, errDeleteKey);
    } finally {
      this.cache.delete(name);
    }
  }
}
