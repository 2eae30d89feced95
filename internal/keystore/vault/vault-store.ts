// The Vault keystore (kes-api.md §8.3; config `keystore.vault`): keys as KV v1/v2 secrets in the
// form KES reads and writes, create-only (v2: cas 0; v1: check-then-write, serialised per name in
// this process), optional Transit wrapping. connectVault returns at once even when Vault is down
// (the session logs in and polls health in the background): operations then fail with
// KeystoreUnreachableError naming Vault's state ("Vault is sealed", "Vault is unreachable: …").
// The mount's real K/V version is checked before the first operation and on every ping
// (mount.ts); while it does not match the configuration no operation runs. Every create is read
// back and compared before it answers success. It must never overwrite a key, never log or put
// into an error a token, secret ID or key value.

import type { VaultConfig } from "../../config/config.js";
import { KeyExistsError, KeyNotFoundError } from "../../errors.js";
import {
  VAULT_LIST_BODY_BYTES,
  VAULT_READBACK_ATTEMPTS,
  VAULT_READBACK_DELAY_MS,
} from "../../limits.js";
import type { Logger } from "../../log/logger.js";
import { sleep } from "../../sleep.js";
import type { KeyStore, KeystoreStatus, ListPage } from "../keystore.js";
import { pageNames, sameStoredValue } from "../keystore.js";
import { describeResponse, type VaultResponse } from "./http.js";
import * as kv from "./kv.js";
import { MountWatch, VaultMountMismatchError } from "./mount.js";
import { type Call, VaultSession } from "./session.js";
import { unwrapValue, wrapValue } from "./transit-wrap.js";

export { VaultMountMismatchError } from "./mount.js";
export { VaultUnreachableError } from "./session.js";

export interface VaultStoreOptions {
  log: Logger;
}

/**
 * Opens the Vault keystore. Throws only for local problems (unreadable TLS files, a prefix that
 * escapes its mount); Vault itself is contacted in the background.
 */
export async function connectVault(
  config: VaultConfig,
  opts: VaultStoreOptions,
): Promise<KeyStore> {
  const layout: kv.KvLayout = {
    engine: config.engine,
    version: config.version,
    prefix: config.prefix,
  };
  kv.checkLayout(layout);
  const log = opts.log.child({ keystore: "vault" });
  return new VaultStore(config, layout, await VaultSession.open(config, log), log);
}

class VaultStore implements KeyStore {
  readonly kind = "vault";
  /** K/V v1 creates are check-then-write (keystore.ts `racyCreate`). */
  readonly racyCreate: boolean;
  readonly #config: VaultConfig;
  readonly #layout: kv.KvLayout;
  readonly #session: VaultSession;
  readonly #log: Logger;
  readonly #mount: MountWatch;
  readonly #timer: ReturnType<typeof setInterval>;
  /** KV v1 creates in flight per name: check-then-write is serialised within this process. */
  readonly #creating = new Map<string, Promise<void>>();

  constructor(config: VaultConfig, layout: kv.KvLayout, session: VaultSession, log: Logger) {
    this.#config = config;
    this.#layout = layout;
    this.racyCreate = layout.version === "v1";
    this.#session = session;
    this.#log = log;
    this.#mount = new MountWatch(layout, config.namespace, (req, s) => session.call(req, s), log);
    // At start and with every status ping: a remount while running is noticed (vault-api.md §4.2).
    const check = () => void this.#mount.check().catch(() => {});
    check();
    this.#timer = setInterval(check, config.statusPingMs);
    this.#timer.unref();
  }

  async create(name: string, value: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    await this.#mount.ensure(signal);
    if (this.#layout.version === "v2") return this.#createV2(name, value, signal);
    const previous = this.#creating.get(name);
    const mine = (async () => {
      await previous?.catch(() => {});
      await this.#createV1(name, value, signal);
    })();
    const tracked = mine.catch(() => {});
    this.#creating.set(name, tracked);
    try {
      await mine;
    } finally {
      if (this.#creating.get(name) === tracked) this.#creating.delete(name);
    }
  }

  /** KV v2: one write with cas 0; a lost race is read back and reported as "exists". */
  async #createV2(name: string, value: string, signal?: AbortSignal): Promise<void> {
    const stored = await wrapValue(this.#transitCall, this.#config.transit, value, signal);
    const body = kv.createBody(this.#layout, name, stored);
    const res = await this.#call(
      { method: "POST", path: kv.dataPath(this.#layout, name), body },
      signal,
    );
    if (res.status === 200 || res.status === 204) {
      // A v2 write answers 200 with the new version; cas 0 makes it version 1 (§3.1, §3.2). A 204
      // is a K/V v1 mount storing the body literally (§4.3).
      const version = kv.writtenVersion(res.body);
      if (version !== 1) {
        throw this.#lost(
          name,
          version === undefined
            ? `Vault answered HTTP ${res.status} without version metadata (is the mount K/V v1?)`
            : `Vault reports version ${version} for a create with cas 0`,
        );
      }
      return this.#verify(name, stored, version, signal);
    }
    if (res.status === 400 && res.errors.some((e) => e.includes("check-and-set"))) {
      // Someone else's key — or our own first attempt, answered by a dropped connection and
      // retried (vault-api.md §3.2). Either way the name is taken: read back to be sure.
      const stored = await this.#findValue(name, signal);
      if (stored === undefined) {
        throw new Error(
          `vault: cannot create '${name}': K/V v2 metadata exists without a readable version 1`,
        );
      }
      if (sameStoredValue(stored, value))
        this.#log.warn({ name }, "vault: create was retried after its first attempt landed");
      throw new KeyExistsError(name);
    }
    throw await this.#deniedOrExists(name, res, signal);
  }

  /**
   * A create-only Vault policy (README) turns a write over an existing key into a 403 at the
   * ACL layer (vault-api.md §8.4) before any cas check: if the key is there, it "exists".
   */
  async #deniedOrExists(name: string, res: VaultResponse, signal?: AbortSignal): Promise<Error> {
    const failure = this.#failure("create", name, res);
    if (res.status !== 403) return failure;
    const exists = await this.#findValue(name, signal).then(
      (found) => found !== undefined,
      () => false,
    );
    return exists ? new KeyExistsError(name) : failure;
  }

  /**
   * KV v1 has no compare-and-set: check, then write. Two replicas creating the same name at the
   * same moment both write and the later write wins; a read-back that finds the other value
   * answers "exists" (README "Vault keystore"; key records look again later, ring-store.ts).
   */
  async #createV1(name: string, value: string, signal?: AbortSignal): Promise<void> {
    const path = kv.dataPath(this.#layout, name);
    const check = await this.#call({ method: "GET", path }, signal);
    if (check.status === 200) {
      const found = kv.readValue(this.#layout, name, check.body);
      if (found.kind === "value") throw new KeyExistsError(name);
      throw new Error(
        `vault: cannot create '${name}': entry exists but is not a K/V v1 key (${found.kind === "invalid" ? found.reason : "empty"})`,
      );
    }
    if (check.status !== 404 || kv.notAnEntry(check)) throw this.#failure("create", name, check);
    const stored = await wrapValue(this.#transitCall, this.#config.transit, value, signal);
    const body = kv.createBody(this.#layout, name, stored);
    const res = await this.#call({ method: "POST", path, body }, signal);
    if (res.status !== 200 && res.status !== 204)
      throw await this.#deniedOrExists(name, res, signal);
    return this.#verify(name, stored, undefined, signal);
  }

  /**
   * Reads a key just created back and compares it in constant time with what was written (KES
   * before v0.17 lost keys whose write Vault acknowledged but did not keep); with K/V v2 the
   * version read must be the one the write reported. Any difference fails the create loudly.
   */
  async #verify(
    name: string,
    written: string,
    version: number | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    let found: { stored: string; version?: number } | undefined;
    for (let attempt = 0; found === undefined && attempt < VAULT_READBACK_ATTEMPTS; attempt++) {
      // A performance standby may serve the read before it has seen the write (vault-api.md
      // §10.1): a missing key is read again, after a short wait, before it counts as lost.
      if (attempt > 0) await sleep(VAULT_READBACK_DELAY_MS * 2 ** (attempt - 1), signal);
      found = await this.#findStored(name, signal);
    }
    // K/V v1 (no version): another valid value is a concurrent create that won the race.
    if (version === undefined && found !== undefined && !sameStoredValue(found.stored, written))
      throw new KeyExistsError(name);
    const problem = kv.readBackProblem(written, version, found);
    if (problem !== undefined) throw this.#lost(name, problem);
  }

  #lost(name: string, why: string): Error {
    const message = `vault: create of '${name}' is not confirmed: ${why}`;
    this.#log.error({ name }, message);
    return new Error(message);
  }

  async get(name: string, signal?: AbortSignal): Promise<string> {
    const value = await this.find(name, signal);
    if (value === undefined) throw new KeyNotFoundError(name);
    return value;
  }

  async find(name: string, signal?: AbortSignal): Promise<string | undefined> {
    signal?.throwIfAborted();
    await this.#mount.ensure(signal);
    return this.#findValue(name, signal);
  }

  /**
   * The value of `name` (transit-unwrapped), or undefined when it is absent; without the mount
   * check, so a create's conflict reads use it too.
   */
  async #findValue(name: string, signal?: AbortSignal): Promise<string | undefined> {
    const found = await this.#findStored(name, signal);
    if (found === undefined) return undefined;
    return unwrapValue(this.#transitCall, this.#config.transit, name, found.stored, signal);
  }

  /** The stored (possibly transit-wrapped) value and, with K/V v2, its version; or undefined. */
  async #findStored(
    name: string,
    signal?: AbortSignal,
  ): Promise<(kv.ReadOutcome & { kind: "value" }) | undefined> {
    // KES compat, kes-api.md §8.3 "Get": K/V v2 reads always ask for version 1.
    const query = this.#layout.version === "v2" ? { version: "1" } : undefined;
    const res = await this.#call(
      { method: "GET", path: kv.dataPath(this.#layout, name), ...(query ? { query } : {}) },
      signal,
    );
    if (res.status === 404 && !kv.notAnEntry(res)) return undefined;
    if (res.status !== 200) throw this.#failure("read", name, res);
    const found = kv.readValue(this.#layout, name, res.body);
    if (found.kind === "missing") return undefined;
    if (found.kind === "invalid") throw new Error(`vault: cannot read '${name}': ${found.reason}`);
    return found;
  }

  async delete(name: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    await this.#mount.ensure(signal);
    const res = await this.#call(
      { method: "DELETE", path: kv.deletePath(this.#layout, name) },
      signal,
    );
    // Vault answers success for a missing key, so delete cannot report one (§8.3 "Delete").
    if (res.status === 200 || res.status === 204 || (res.status === 404 && !kv.notAnEntry(res)))
      return;
    throw this.#failure("delete", name, res);
  }

  async list(
    prefix: string,
    startAt: string,
    limit: number,
    signal?: AbortSignal,
  ): Promise<ListPage> {
    signal?.throwIfAborted();
    await this.#mount.ensure(signal);
    const res = await this.#call(
      {
        method: "GET",
        path: kv.listPath(this.#layout),
        query: { list: "true" },
        maxBytes: VAULT_LIST_BODY_BYTES,
      },
      signal,
    );
    if (res.status === 404 && !kv.notAnEntry(res)) return { names: [], continueAt: "" };
    const names = res.status === 200 ? kv.readNames(res.body) : undefined;
    if (names === undefined) throw this.#failure("list", prefix, res);
    return pageNames(names, prefix, startAt, limit);
  }

  /**
   * Vault's health now; sealed, uninitialised, unreachable or not logged in are errors, and so is
   * a mount whose K/V version or type is not the configured one (checked anew on every call).
   */
  async status(signal?: AbortSignal): Promise<KeystoreStatus> {
    const status = await this.#session.status(signal);
    const verdict = await this.#mount.check(signal);
    if (verdict.kind === "mismatch") throw new VaultMountMismatchError(verdict.message);
    return status;
  }

  /** What /v1/status should show even while Vault answers (an expiring client certificate). */
  warnings(): string[] {
    return this.#session.warnings();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#mount.close();
    this.#session.close();
  }

  #call(req: Call, signal?: AbortSignal): Promise<VaultResponse> {
    return this.#session.call(req, signal);
  }

  readonly #transitCall = (req: Call, signal?: AbortSignal) => this.#session.call(req, signal);

  #failure(op: string, name: string, res: VaultResponse): Error {
    // A mount gone or of the other layout since the last check: ask again now.
    if (kv.notAnEntry(res)) void this.#mount.check().catch(() => {});
    return new Error(`vault: failed to ${op} '${name}': ${describeResponse(res)}`);
  }
}
