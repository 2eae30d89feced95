// The key service: every key operation of the API, on top of a KeyStore and the key cache.
// It turns keystore and crypto outcomes into catalogue errors (kes-api.md §2.3, §3.6). It must
// never return or log key bytes; only generate/decrypt return plaintext, to their caller.

import { decrypt, encrypt } from "../crypto/aead.js";
import type { Algorithm } from "../crypto/algorithm.js";
import { hmacOf } from "../crypto/hmac.js";
import { decodeKeyVersion, encodeKeyVersion } from "../crypto/key-encoding.js";
import { generateKeyVersion, importKeyVersion, type KeyVersion } from "../crypto/key-version.js";
import { randomKey } from "../crypto/random.js";
import { formatTimestamp } from "../crypto/timestamp.js";
import {
  ApiError,
  DecryptError,
  errCreateKey,
  errDecrypt,
  errDeleteKey,
  errKeyExists,
  errKeyNotFound,
  errListKeys,
  errNoHmac,
  errReadKey,
  KeyExistsError,
  KeyNotFoundError,
  KeystoreUnreachableError,
} from "../errors.js";
import type { KeyStore } from "../keystore/keystore.js";
import { MAX_LIST_NAMES } from "../limits.js";
import type { KeyCache } from "./cache.js";

/** Reports an unexpected keystore failure (logged by the caller's logger, never sent). */
export type FailureSink = (op: string, name: string, err: unknown) => void;

/** A signal, or a function making one: the hot path only makes one on a cache miss. */
export type SignalArg = AbortSignal | (() => AbortSignal);
const signalOf = (s: SignalArg | undefined) => (typeof s === "function" ? s() : s);

export interface Dek {
  plaintext: Buffer;
  ciphertext: Buffer;
}

function dekUnder(kv: KeyVersion, context: Buffer): Dek {
  const plaintext = randomKey();
  return { plaintext, ciphertext: encrypt(kv, plaintext, context) };
}

/** Every decrypt failure is the one catalogue error (kes-api.md §7.3). */
function openUnder(kv: KeyVersion, ciphertext: Buffer, context: Buffer): Buffer {
  try {
    return decrypt(kv, ciphertext, context);
  } catch (err) {
    if (err instanceof DecryptError) throw errDecrypt();
    throw err;
  }
}

export interface KeyDescription {
  name: string;
  algorithm: Algorithm;
  createdAt: string;
  createdBy: string;
}

export interface KeyServiceOptions {
  store: KeyStore;
  cache: KeyCache<KeyVersion>;
  defaultAlgorithm: Algorithm;
  onFailure: FailureSink;
}

export class KeyService {
  private readonly store: KeyStore;
  private readonly cache: KeyCache<KeyVersion>;
  private readonly algorithm: Algorithm;
  private readonly onFailure: FailureSink;

  constructor(opts: KeyServiceOptions) {
    this.store = opts.store;
    this.cache = opts.cache;
    this.algorithm = opts.defaultAlgorithm;
    this.onFailure = opts.onFailure;
  }

  /** Creates a fresh key of the default algorithm; KeyExists → 400. */
  async create(name: string, createdBy: string, signal?: AbortSignal): Promise<void> {
    await this.store_(name, generateKeyVersion(this.algorithm, createdBy), signal);
  }

  /** Stores caller-supplied key bytes with a fresh HMAC key. */
  async import(
    name: string,
    key: Buffer,
    algorithm: Algorithm,
    createdBy: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.store_(name, importKeyVersion(key, algorithm, createdBy), signal);
  }

  private async store_(name: string, kv: KeyVersion, signal?: AbortSignal): Promise<void> {
    const value = encodeKeyVersion(kv);
    kv.key.fill(0);
    kv.hmacKey?.fill(0);
    try {
      await this.store.create(name, value, signal);
    } catch (err) {
      if (err instanceof KeyExistsError) throw errKeyExists();
      if (!isCancelled(signal, err)) this.onFailure("create", name, err);
      throw withDetail(errCreateKey(), err);
    }
  }

  /** The decoded key, through the cache; missing → 404, anything else → 502. */
  async load(name: string, signal?: SignalArg): Promise<KeyVersion> {
    const hit = this.cache.peek(name);
    if (hit !== undefined) return hit;
    const sig = signalOf(signal);
    try {
      return await this.cache.get(name, sig);
    } catch (err) {
      if (err instanceof KeyNotFoundError) throw errKeyNotFound();
      if (!isCancelled(sig, err)) this.onFailure("read", name, err);
      throw withDetail(errReadKey(), err);
    }
  }

  async describe(name: string, signal?: SignalArg): Promise<KeyDescription> {
    const kv = await this.load(name, signal);
    return {
      name,
      algorithm: kv.algorithm,
      createdAt: formatTimestamp(kv.createdAt),
      createdBy: kv.createdBy,
    };
  }

  async delete(name: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.store.delete(name, signal);
    } catch (err) {
      if (err instanceof KeyNotFoundError) throw errKeyNotFound();
      if (!isCancelled(signal, err)) this.onFailure("delete", name, err);
      throw withDetail(errDeleteKey(), err);
    } finally {
      this.cache.delete(name);
    }
  }

  /**
   * Names with `prefix` from `startAt` on. With `limit` > 0 one page of at most `limit` names and
   * the name to continue at; otherwise every name (up to MAX_LIST_NAMES), so that KES SDK clients,
   * which misuse `continue_at` as a prefix (kes-api.md §3.6, §15), always get complete listings.
   * A complete listing is one store listing and one sort, never one per LIST_PAGE_SIZE names.
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
      if (!isCancelled(signal, err)) this.onFailure("list", prefix, err);
      throw withDetail(errListKeys(), err);
    }
  }

  /**
   * A fresh 32-byte DEK and its ciphertext under `name`, bound to `context`. A cached key answers
   * synchronously (no promise on the hot path); a miss returns a promise.
   */
  generate(name: string, context: Buffer, signal?: SignalArg): Dek | Promise<Dek> {
    const kv = this.cache.peek(name);
    if (kv !== undefined) return dekUnder(kv, context);
    return this.load(name, signal).then((k) => dekUnder(k, context));
  }

  async encrypt(
    name: string,
    plaintext: Buffer,
    context: Buffer,
    signal?: SignalArg,
  ): Promise<Buffer> {
    const kv = await this.load(name, signal);
    return encrypt(kv, plaintext, context);
  }

  /** Synchronous when the key is cached, like generate. */
  decrypt(
    name: string,
    ciphertext: Buffer,
    context: Buffer,
    signal?: SignalArg,
  ): Buffer | Promise<Buffer> {
    const kv = this.cache.peek(name);
    if (kv !== undefined) return openUnder(kv, ciphertext, context);
    return this.load(name, signal).then((k) => openUnder(k, ciphertext, context));
  }

  async hmac(name: string, message: Buffer, signal?: SignalArg): Promise<Buffer> {
    const kv = await this.load(name, signal);
    if (kv.hmacKey === undefined) throw errNoHmac();
    return hmacOf(kv, message);
  }
}

/**
 * True when `err` is the cancellation of the request's signal, fired because its client hung up
 * (or the server is stopping it): the store call rejected with that abort, which is not a
 * keystore failure, so it is not logged at ERROR (the app logs nothing for an answer nobody
 * receives). A real failure that happens to follow a hang-up still is one; so is a route timeout
 * (the signal's reason is then the catalogue's 503): the store was too slow.
 */
export function isCancelled(signal: AbortSignal | undefined, err: unknown): boolean {
  if (signal?.aborted !== true || signal.reason instanceof ApiError) return false;
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e === signal.reason || e.name === "AbortError") return true;
  }
  return err === signal.reason;
}

/**
 * KES clients compare error messages, so an unreachable keystore keeps the generic KES message
 * (kes-api.md §8.3 "Error mapping summary"); when the error names the keystore's state (the
 * Vault store's errors carry `state`), that state — "Vault is sealed", "Vault is unreachable",
 * never the addresses or causes after it — goes into the X-Keyfront-Detail header. Everything
 * else adds nothing: the detail is only logged.
 */
function withDetail(e: ApiError, err: unknown): ApiError {
  if (!(err instanceof KeystoreUnreachableError)) return e;
  if (typeof (err as { state?: unknown }).state !== "string") return e;
  const detail = err.message.split(":")[0] ?? "";
  return new ApiError(e.status, e.message, { ...e.headers, "X-Keyfront-Detail": detail });
}

/** The cache decoder: stored value → KeyVersion (throws on a corrupt value → 502 on read). */
export const decodeStoredKey = (_name: string, raw: string): KeyVersion => decodeKeyVersion(raw);
