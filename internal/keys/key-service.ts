// The key service: every key operation of the API, on top of a KeyStore and the key cache, which
// holds key rings (every version and the state of a key, design.md §1, §5). It turns keystore and
// crypto outcomes into catalogue errors (kes-api.md §2.3, §3.6, design.md §3). It must never
// return or log key bytes; only generate/decrypt return plaintext, to their caller. The warm path
// (a cached ring) of generate/decrypt is synchronous and reads no keystore, whatever the version.

import type { Algorithm } from "../crypto/algorithm.js";
import { hmacOf } from "../crypto/hmac.js";
import { randomKey } from "../crypto/random.js";
import { formatTimestamp } from "../crypto/timestamp.js";
import { claimedVersion } from "../crypto/versioned.js";
import {
  errKeyNotFound,
  errNoHmac,
  errReadKey,
  KeyNotFoundError,
  KeystoreUnreachableError,
} from "../errors.js";
import type { KeyStore } from "../keystore/keystore.js";
import { CACHE_REFRESH_MS, KEY_REFRESH_TIMEOUT_MS, VERSION_MISS_RELOAD_MS } from "../limits.js";
import { raceAbort, sleep } from "../sleep.js";
import type { KeyCache, Loader } from "./cache.js";
import { isCancelled, type SignalArg, signalOf, withDetail } from "./failures.js";
import { KeyLifecycle } from "./key-lifecycle.js";
import type { Dek, DeletionOptions, KeyDescription, Sealed, VersionList } from "./key-types.js";
import { latestOf, newestOf, type Ring, versionInfos } from "./ring.js";
import {
  checkNotPending,
  mayBeNewer,
  type Opened,
  openRing,
  type PendingDecrypt,
  type Picked,
  pickVersion,
  sealPicked,
} from "./ring-crypto.js";
import { loadRing, probeRing } from "./ring-store.js";

export { isCancelled, type SignalArg } from "./failures.js";
export type { KeySettings } from "./key-lifecycle.js";
export type { Dek, DeletionOptions, KeyDescription, Sealed, VersionList } from "./key-types.js";

/** Reports an unexpected keystore failure (logged by the caller's logger, never sent). */
export type FailureSink = (op: string, name: string, err: unknown) => void;

function dekUnder(p: Picked, context: Buffer): Dek {
  const plaintext = randomKey();
  return { plaintext, ciphertext: sealPicked(p, plaintext, context), version: p.version };
}

function sealedUnder(p: Picked, plaintext: Buffer, context: Buffer): Sealed {
  return { ciphertext: sealPicked(p, plaintext, context), version: p.version };
}

export interface KeyServiceOptions {
  store: KeyStore;
  /** A cache built with ringLoader(store, now) (the same clock as `now`). */
  cache: KeyCache<Ring>;
  defaultAlgorithm: Algorithm;
  onFailure: FailureSink;
  /** Default: window 0, decrypt deny (KES behaviour). */
  deletion?: DeletionOptions;
  /** A used cached ring older than this is re-probed in the background; ≤ 0 never. */
  refreshMs?: number;
  /** Wall clock in ms (injectable for tests). Default Date.now. */
  now?: () => number;
}

/** The cache loader of key rings: a full ring load, merged with the cached ring on a race. */
export function ringLoader(store: KeyStore, now: () => number = Date.now): Loader<Ring> {
  return {
    load: (name, signal) => loadRing(store, name, now(), signal),
    prefer: newestOf,
  };
}

export class KeyService extends KeyLifecycle {
  readonly #refreshMs: number;
  readonly #pendingDecrypt: PendingDecrypt;
  /** One reload per key for ciphertexts of versions the cached ring does not have. */
  readonly #missReloads = new Map<string, Promise<Ring>>();

  constructor(opts: KeyServiceOptions) {
    const now = opts.now ?? Date.now;
    super({
      store: opts.store,
      cache: opts.cache,
      algorithm: opts.defaultAlgorithm,
      onFailure: opts.onFailure,
      now,
      windowMs: opts.deletion?.windowMs ?? 0,
    });
    this.#refreshMs = opts.refreshMs ?? CACHE_REFRESH_MS;
    this.#pendingDecrypt = opts.deletion?.decrypt ?? "deny";
  }

  /** The cached ring (marking it used, maybe starting a background refresh), or undefined. */
  #warm(name: string): Ring | undefined {
    const ring = this.cache.peek(name);
    if (ring !== undefined && this.#refreshMs > 0) {
      const t = this.now();
      if (t - Math.max(ring.checkedAt, ring.refreshTriedAt) >= this.#refreshMs) {
        ring.refreshTriedAt = t;
        // After the request: not even the probe's first read is issued on its path.
        setImmediate(() => void this.#refresh(ring));
      }
    }
    return ring;
  }

  /** Off the request path: probe the store, reload on a change, drop a key gone elsewhere. */
  async #refresh(ring: Ring): Promise<void> {
    // Its own controller, ended in `finally`: nothing stays hooked onto the cache's lifetime.
    const control = new AbortController();
    const signal = control.signal;
    const lifetime = this.cache.lifetime;
    const onClose = () => control.abort(lifetime.reason);
    lifetime.addEventListener("abort", onClose, { once: true });
    const timer = setTimeout(
      () => control.abort(new Error("refresh timed out")),
      KEY_REFRESH_TIMEOUT_MS,
    );
    timer.unref?.();
    try {
      const probe = await probeRing(this.store, ring, signal);
      if (probe === "same") ring.checkedAt = this.now();
      else if (probe === "gone") this.cache.delete(ring.name);
      else await this.cache.refresh(ring.name, signal);
    } catch (err) {
      if (err instanceof KeyNotFoundError || signal.aborted) return;
      if (err instanceof KeystoreUnreachableError) return; // the status probe reports outages
      this.onFailure("refresh", ring.name, err);
    } finally {
      clearTimeout(timer);
      lifetime.removeEventListener("abort", onClose);
      control.abort(new Error("refresh ended"));
    }
  }

  /** The key's ring, through the cache; missing → 404, anything else → 502. */
  async load(name: string, signal?: SignalArg): Promise<Ring> {
    const hit = this.#warm(name);
    if (hit !== undefined) return hit;
    const sig = signalOf(signal);
    try {
      return await this.cache.get(name, sig);
    } catch (err) {
      throw this.#readFailure(name, sig, err);
    }
  }

  #readFailure(name: string, signal: AbortSignal | undefined, err: unknown): Error {
    if (err instanceof KeyNotFoundError) return errKeyNotFound();
    if (!isCancelled(signal, err)) this.onFailure("read", name, err);
    return withDetail(errReadKey(), err);
  }

  /**
   * The ring for a request that wants `version`: when the cached ring is older than that
   * version, it is loaded again, at most once per key per VERSION_MISS_RELOAD_MS (requests in
   * between wait for that one reload), so a forged version cannot flood the keystore.
   */
  async #ringWith(name: string, version: number | undefined, signal?: SignalArg): Promise<Ring> {
    const cached = this.cache.peek(name) !== undefined;
    const ring = await this.load(name, signal);
    if (!cached || !mayBeNewer(ring, version)) return ring;
    let reload = this.#missReloads.get(name);
    if (reload === undefined) {
      const wait = ring.missReloadAt + VERSION_MISS_RELOAD_MS - this.now();
      reload = this.#reloadAfter(ring, wait).finally(() => this.#missReloads.delete(name));
      reload.catch(() => {});
      this.#missReloads.set(name, reload);
    }
    try {
      return await raceAbort(reload, signalOf(signal));
    } catch (err) {
      throw this.#readFailure(name, signalOf(signal), err);
    }
  }

  async #reloadAfter(ring: Ring, waitMs: number): Promise<Ring> {
    if (waitMs > 0) await sleep(waitMs, this.cache.lifetime);
    ring.missReloadAt = this.now();
    const fresh = await this.cache.refresh(ring.name);
    fresh.missReloadAt = Math.max(fresh.missReloadAt, ring.missReloadAt);
    return fresh;
  }

  async describe(name: string, signal?: SignalArg): Promise<KeyDescription> {
    const ring = await this.load(name, signal);
    checkNotPending(ring);
    const v1 = ring.versions[0];
    if (v1 === undefined) throw errKeyNotFound();
    return {
      name,
      algorithm: v1.algorithm,
      createdAt: formatTimestamp(v1.createdAt),
      createdBy: v1.createdBy,
      version: latestOf(ring),
      versions: versionInfos(ring),
      enabled: ring.state.enabled,
      minDecryptionVersion: ring.state.minDecryptionVersion,
      rotateMs: ring.state.rotateMs,
    };
  }

  async versions(name: string, signal?: SignalArg): Promise<VersionList> {
    const ring = await this.load(name, signal);
    checkNotPending(ring);
    return {
      name,
      latest: latestOf(ring),
      minDecryptionVersion: ring.state.minDecryptionVersion,
      versions: versionInfos(ring),
    };
  }

  /**
   * A fresh 32-byte DEK and its ciphertext under `name` (the newest version, or `version`),
   * bound to `context`. A cached key answers synchronously; a miss returns a promise.
   */
  generate(
    name: string,
    context: Buffer,
    signal?: SignalArg,
    version?: number,
  ): Dek | Promise<Dek> {
    const ring = this.#warm(name);
    if (ring !== undefined && !mayBeNewer(ring, version)) {
      return dekUnder(pickVersion(ring, version), context);
    }
    return this.#ringWith(name, version, signal).then((r) =>
      dekUnder(pickVersion(r, version), context),
    );
  }

  /**
   * `plaintext` sealed under `name` (the newest version, or `version`), bound to `context`.
   * Synchronous when the key is cached, like generate: a bad version or a disabled key then
   * throws at once instead of rejecting.
   */
  encrypt(
    name: string,
    plaintext: Buffer,
    context: Buffer,
    signal?: SignalArg,
    version?: number,
  ): Sealed | Promise<Sealed> {
    const ring = this.#warm(name);
    if (ring !== undefined && !mayBeNewer(ring, version)) {
      return sealedUnder(pickVersion(ring, version), plaintext, context);
    }
    return this.#ringWith(name, version, signal).then((r) =>
      sealedUnder(pickVersion(r, version), plaintext, context),
    );
  }

  /** Synchronous when the key is cached, like generate. */
  decrypt(
    name: string,
    ciphertext: Buffer,
    context: Buffer,
    signal?: SignalArg,
    version?: number,
  ): Buffer | Promise<Buffer> {
    const opened = this.decryptVersioned(name, ciphertext, context, signal, version);
    return opened instanceof Promise ? opened.then((o) => o.plaintext) : opened.plaintext;
  }

  /** decrypt, also telling which version opened the ciphertext (for responses and audit). */
  decryptVersioned(
    name: string,
    ciphertext: Buffer,
    context: Buffer,
    signal?: SignalArg,
    version?: number,
  ): Opened | Promise<Opened> {
    const claimed = claimedVersion(ciphertext);
    const ring = this.#warm(name);
    if (ring !== undefined && !mayBeNewer(ring, claimed)) {
      return openRing(ring, ciphertext, context, this.#pendingDecrypt, version);
    }
    return this.#ringWith(name, claimed, signal).then((r) =>
      openRing(r, ciphertext, context, this.#pendingDecrypt, version),
    );
  }

  async hmac(
    name: string,
    message: Buffer,
    signal?: SignalArg,
    version?: number,
  ): Promise<{ hmac: Buffer; version: number }> {
    const picked = pickVersion(await this.#ringWith(name, version, signal), version);
    if (picked.kv.hmacKey === undefined) throw errNoHmac();
    return { hmac: hmacOf(picked.kv, message), version: picked.version };
  }

  /** The ciphertext sealed again under the newest version; the plaintext never leaves. */
  async rewrap(
    name: string,
    ciphertext: Buffer,
    context: Buffer,
    signal?: SignalArg,
  ): Promise<Sealed> {
    const claimed = claimedVersion(ciphertext);
    const ring = await this.#ringWith(name, claimed, signal);
    const picked = pickVersion(ring);
    const opened = openRing(ring, ciphertext, context, "deny");
    try {
      return sealedUnder(picked, opened.plaintext, context);
    } finally {
      opened.plaintext.fill(0);
    }
  }
}
