// KeyfrontClient: every endpoint of the keyfront / KES API (kes-api.md §3) over mTLS, with the
// SDK's fail-over across endpoints and its error values (client-base.ts), and keyfront's key
// lifecycle calls (rotate, versions, rewrap, configure, disable/enable, restore, purge). It must
// never log, and never put key material, plaintexts or contexts into an error.

import { LIST_PAGE_SIZE } from "../limits.js";
import { ClientBase } from "./client-base.js";
import { KeyfrontError } from "./errors.js";
import { readNdjson } from "./ndjson.js";
import type * as T from "./types.js";
import { b64, bytesOf, ctxField, parseKeyPage, seg, versionField, versionOf } from "./wire.js";

export type { ClientOptions } from "./client-base.js";
export type { PolicyExplanation } from "./types.js";

export class KeyfrontClient extends ClientBase {
  version(signal?: AbortSignal): Promise<T.VersionInfo> {
    return this.json("GET", "/version", { signal });
  }

  /** True on 200; false when the server says its keystore is down (502/504). */
  async ready(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.call("GET", "/v1/ready", { signal });
      return true;
    } catch (err) {
      if (err instanceof KeyfrontError && (err.status === 502 || err.status === 504)) return false;
      throw err;
    }
  }

  /** The server's status, the endpoint that answered and the round trip in ms. */
  async status(
    signal?: AbortSignal,
  ): Promise<T.StatusInfo & { endpoint: string; latencyMs: number }> {
    const started = performance.now();
    const answer = await this.call("GET", "/v1/status", { signal });
    const latencyMs = performance.now() - started;
    const doc = JSON.parse(answer.body.toString("utf8")) as T.StatusInfo;
    return { ...doc, endpoint: answer.endpoint, latencyMs };
  }

  /** Prometheus text exposition. */
  async metrics(signal?: AbortSignal): Promise<string> {
    return (await this.call("GET", "/v1/metrics", { signal })).body.toString("utf8");
  }

  api(signal?: AbortSignal): Promise<T.ApiRoute[]> {
    return this.json("GET", "/v1/api", { signal });
  }

  async createKey(name: string, signal?: AbortSignal): Promise<void> {
    await this.call("POST", `/v1/key/create/${seg(name)}`, { signal });
  }

  /** Imports 32 raw key bytes; cipher `AES256` (default) or `ChaCha20`. */
  async importKey(name: string, key: Uint8Array, cipher = "AES256", signal?: AbortSignal) {
    await this.call("POST", `/v1/key/import/${seg(name)}`, {
      body: { key: b64(key), cipher },
      signal,
    });
  }

  describeKey(name: string, signal?: AbortSignal): Promise<T.KeyInfo> {
    return this.json("GET", `/v1/key/describe/${seg(name)}`, { signal });
  }

  async deleteKey(name: string, signal?: AbortSignal): Promise<void> {
    await this.call("DELETE", `/v1/key/delete/${seg(name)}`, { signal });
  }

  /**
   * Key names starting with `prefix`, sorted, page by page through keyfront's
   * `?limit=&continue_at=` paging. A server that ignores the query (KES) answers a complete
   * listing (or its first 1024 names) and the iteration stops when no page makes progress.
   */
  async *listKeys(prefix = "", signal?: AbortSignal): AsyncGenerator<string> {
    let startAt = "";
    let last: string | undefined;
    for (;;) {
      const query = `?limit=${LIST_PAGE_SIZE}${startAt === "" ? "" : `&continue_at=${seg(startAt)}`}`;
      const answer = await this.call("GET", `/v1/key/list/${seg(prefix)}${query}`, { signal });
      const page = parseKeyPage(answer);
      let progressed = false;
      for (const name of page.names) {
        if (last !== undefined && name <= last) continue;
        last = name;
        progressed = true;
        yield name;
      }
      if (page.continueAt === "" || !progressed) return;
      startAt = page.continueAt;
    }
  }

  /** A fresh DEK of key `name`; `version` picks an older key version (keyfront). */
  async generateKey(
    name: string,
    context?: Uint8Array | string,
    signal?: AbortSignal,
    version?: number,
  ): Promise<T.Dek> {
    const body = { ...ctxField(context), ...versionField(version) };
    const doc = await this.json<{ plaintext?: string; ciphertext?: string; version?: unknown }>(
      "POST",
      `/v1/key/generate/${seg(name)}`,
      { body, signal },
    );
    const dek: T.Dek = { plaintext: bytesOf(doc.plaintext), ciphertext: bytesOf(doc.ciphertext) };
    const v = versionOf(doc.version);
    if (v !== undefined) dek.version = v;
    return dek;
  }

  async encrypt(
    name: string,
    plaintext: Uint8Array | string,
    context?: Uint8Array | string,
    opts: T.CryptoOptions = {},
  ): Promise<Buffer> {
    return (await this.encryptVersioned(name, plaintext, context, opts)).ciphertext;
  }

  /** encrypt, with the key version that sealed the ciphertext (keyfront; undefined from KES). */
  async encryptVersioned(
    name: string,
    plaintext: Uint8Array | string,
    context?: Uint8Array | string,
    opts: T.CryptoOptions = {},
  ): Promise<T.Sealed> {
    const body = { plaintext: b64(plaintext), ...ctxField(context), ...versionField(opts.version) };
    const doc = await this.json<{ ciphertext?: string; version?: unknown }>(
      "POST",
      `/v1/key/encrypt/${seg(name)}`,
      { body, signal: opts.signal },
    );
    return { ciphertext: bytesOf(doc.ciphertext), version: versionOf(doc.version) };
  }

  /** `opts.version`, when given, must be the ciphertext's version (else ErrDecrypt). */
  async decrypt(
    name: string,
    ciphertext: Uint8Array,
    context?: Uint8Array | string,
    opts: T.CryptoOptions = {},
  ): Promise<Buffer> {
    const body = {
      ciphertext: b64(ciphertext),
      ...ctxField(context),
      ...versionField(opts.version),
    };
    const doc = await this.json<{ plaintext?: string }>("POST", `/v1/key/decrypt/${seg(name)}`, {
      body,
      signal: opts.signal,
    });
    return bytesOf(doc.plaintext);
  }

  async hmac(name: string, message: Uint8Array | string, signal?: AbortSignal): Promise<Buffer> {
    return (await this.hmacVersioned(name, message, { signal })).hmac;
  }

  /**
   * HMAC-SHA256 under the newest key version, or under `opts.version`: after a rotation the same
   * message gets a different HMAC unless the version is pinned (keyfront).
   */
  async hmacVersioned(
    name: string,
    message: Uint8Array | string,
    opts: T.CryptoOptions = {},
  ): Promise<T.Mac> {
    const doc = await this.json<{ hmac?: string; version?: unknown }>(
      "PUT",
      `/v1/key/hmac/${seg(name)}`,
      { body: { message: b64(message), ...versionField(opts.version) }, signal: opts.signal },
    );
    return { hmac: bytesOf(doc.hmac), version: versionOf(doc.version) };
  }

  /** Adds a version to key `name`; new ciphertexts use it from now on (keyfront). */
  rotateKey(name: string, signal?: AbortSignal): Promise<T.RotateResult> {
    return this.json("POST", `/v1/key/rotate/${seg(name)}`, { signal });
  }

  /** The versions of key `name`, oldest first (keyfront). */
  keyVersions(name: string, signal?: AbortSignal): Promise<T.VersionList> {
    return this.json("GET", `/v1/key/versions/${seg(name)}`, { signal });
  }

  /** Re-seals a ciphertext under the newest version of `name`; the plaintext never leaves the server. */
  async rewrap(
    name: string,
    ciphertext: Uint8Array,
    context?: Uint8Array | string,
    signal?: AbortSignal,
  ): Promise<T.Sealed> {
    const doc = await this.json<{ ciphertext?: string; version?: unknown }>(
      "POST",
      `/v1/key/rewrap/${seg(name)}`,
      { body: { ciphertext: b64(ciphertext), ...ctxField(context) }, signal },
    );
    return { ciphertext: bytesOf(doc.ciphertext), version: versionOf(doc.version) };
  }

  /** Sets the minimum decryption version and/or the rotation period ("" = none) of `name`. */
  configureKey(
    name: string,
    change: T.KeySettingsChange,
    signal?: AbortSignal,
  ): Promise<T.KeySettings> {
    return this.json("POST", `/v1/key/configure/${seg(name)}`, { body: change, signal });
  }

  async disableKey(name: string, signal?: AbortSignal): Promise<void> {
    await this.call("POST", `/v1/key/disable/${seg(name)}`, { signal });
  }

  async enableKey(name: string, signal?: AbortSignal): Promise<void> {
    await this.call("POST", `/v1/key/enable/${seg(name)}`, { signal });
  }

  /** Brings back a key pending deletion (keyfront). */
  async restoreKey(name: string, signal?: AbortSignal): Promise<void> {
    await this.call("POST", `/v1/key/restore/${seg(name)}`, { signal });
  }

  /** Destroys every version of a key pending deletion now, before its window ends (keyfront). */
  async purgeKey(name: string, signal?: AbortSignal): Promise<void> {
    await this.call("DELETE", `/v1/key/purge/${seg(name)}`, { signal });
  }

  describePolicy(name: string, signal?: AbortSignal): Promise<T.PolicyInfo> {
    return this.json("GET", `/v1/policy/describe/${seg(name)}`, { signal });
  }

  readPolicy(name: string, signal?: AbortSignal): Promise<T.Policy> {
    return this.json("GET", `/v1/policy/read/${seg(name)}`, { signal });
  }

  async listPolicies(prefix = "", signal?: AbortSignal): Promise<string[]> {
    const doc = await this.json<{ names?: string[] | null }>(
      "GET",
      `/v1/policy/list/${seg(prefix)}`,
      { signal },
    );
    return [...(doc.names ?? [])].sort();
  }

  /**
   * What the server would do with `method path` sent by `identity` (64 hex), and why: the
   * identity's policy, the rule that decided, allowed or the status it would answer. `path` is a
   * request target as sent (percent-encoded). A keyfront extension: KES answers 404.
   */
  explainPolicy(
    identity: string,
    method: string,
    path: string,
    signal?: AbortSignal,
  ): Promise<T.PolicyExplanation> {
    return this.json("POST", "/v1/policy/explain", { body: { identity, method, path }, signal });
  }

  describeIdentity(identity: string, signal?: AbortSignal): Promise<T.IdentityInfo> {
    return this.json("GET", `/v1/identity/describe/${seg(identity)}`, { signal });
  }

  async listIdentities(prefix = "", signal?: AbortSignal): Promise<string[]> {
    const doc = await this.json<{ identities?: string[] | null }>(
      "GET",
      `/v1/identity/list/${seg(prefix)}`,
      { signal },
    );
    return [...(doc.identities ?? [])].sort();
  }

  describeSelf(signal?: AbortSignal): Promise<T.SelfInfo> {
    return this.json("GET", "/v1/identity/self/describe", { signal });
  }

  /** Live audit events until `signal` aborts (kes-api.md §3.9). */
  auditLog(signal?: AbortSignal): AsyncGenerator<T.AuditEvent> {
    return this.stream<T.AuditEvent>("/v1/log/audit", signal);
  }

  /** Live error-log records until `signal` aborts. */
  errorLog(signal?: AbortSignal): AsyncGenerator<T.ErrorEvent> {
    return this.stream<T.ErrorEvent>("/v1/log/error", signal);
  }

  private async *stream<E>(path: string, signal?: AbortSignal): AsyncGenerator<E> {
    const answer = await this.call("GET", path, { signal }, true);
    if (answer.stream !== undefined) yield* readNdjson<E>(answer.stream, signal);
  }
}
