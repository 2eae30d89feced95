// KeyfrontClient: every endpoint of the keyfront / KES API (kes-api.md §3) over mTLS, with the
// SDK's fail-over across endpoints (retry.ts) and its error values (errors.ts). API keys become
// the §5.4 self-signed certificate in memory. It must never log, and never put key material,
// plaintexts or contexts into an error.

import { StringDecoder } from "node:string_decoder";
import { identityOfApiKey } from "../identity/api-key.js";
import { identityOfCertificate } from "../identity/identity.js";
import { CLIENT_REQUEST_TIMEOUT_MS, LIST_PAGE_SIZE } from "../limits.js";
import { certificateForApiKey } from "../pki/certificate.js";
import { errorOfResponse, KeyfrontError } from "./errors.js";
import { EndpointPool, type RetryOptions } from "./retry.js";
import { type HttpAnswer, Transport } from "./transport.js";
import type * as T from "./types.js";
import { b64, bytesOf, firstCertificate, normalizeEndpoint, parseKeyPage, seg } from "./wire.js";

export interface ClientOptions {
  /** `host:port` or `https://host:port`; several endpoints fail over (kes-api.md §2.2). */
  endpoints: readonly string[];
  /** A `kes:v1:` API key, or… */
  apiKey?: string | undefined;
  /** …a PEM client certificate and its (decrypted) PEM private key. */
  certPem?: string | undefined;
  keyPem?: string | undefined;
  /** Extra trusted CA certificates (PEM) for the server. */
  ca?: string | undefined;
  insecure?: boolean | undefined;
  /** Per request, until the whole answer (a log stream: its headers); default 15 s. */
  timeoutMs?: number | undefined;
  /** Longest wait for the TCP connection, and again for the TLS handshake; default 10 s each. */
  connectTimeoutMs?: number | undefined;
  retry?: RetryOptions | undefined;
}

/** The answer of `explainPolicy` (POST /v1/policy/explain, a keyfront extension). */
export interface PolicyExplanation {
  identity: string;
  role: "admin" | "policy" | "unknown";
  policy?: string;
  method: string;
  path: string;
  /** The 301s the server answers, in order; the first is its answer to `path` itself. */
  redirects: string[];
  /** The decoded, cleaned path that routing and the policy see. */
  evaluated_path?: string;
  route?: { method: string; path: string; auth: string };
  /** The deciding pattern (withheld from a caller that may not read the policy). */
  rule?: { effect: "allow" | "deny"; pattern: string };
  outcome: "allowed" | "denied" | "bad_request" | "not_found" | "method_not_allowed";
  /** routing, route (no policy check), admin, unknown_identity, rule, default, rule_withheld. */
  decided_by: string;
  allowed: boolean;
  /** What the server answers instead of running the handler; absent when allowed. */
  status?: number;
  reason: string;
}

interface Call {
  body?: unknown;
  signal?: AbortSignal | undefined;
}

export class KeyfrontClient {
  /** The caller's identity (sha256 of its public key). */
  readonly identity: string;
  private readonly pool: EndpointPool;
  private readonly transport: Transport;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions) {
    const hasFiles = opts.certPem !== undefined || opts.keyPem !== undefined;
    if (opts.apiKey !== undefined && hasFiles) {
      throw new Error("give either an API key or a client certificate and key, not both");
    }
    let certPem: string;
    let keyPem: string;
    if (opts.apiKey !== undefined) {
      ({ certPem, keyPem } = certificateForApiKey(opts.apiKey));
      this.identity = identityOfApiKey(opts.apiKey);
    } else if (opts.certPem !== undefined && opts.keyPem !== undefined) {
      certPem = opts.certPem;
      keyPem = opts.keyPem;
      const der = firstCertificate(certPem);
      if (der === undefined) throw new Error("the client certificate holds no PEM CERTIFICATE");
      this.identity = identityOfCertificate(der);
    } else {
      throw new Error("no credentials: give an API key, or a client certificate and key");
    }
    this.pool = new EndpointPool(opts.endpoints.map(normalizeEndpoint), opts.retry ?? {});
    this.transport = new Transport({
      certPem,
      keyPem,
      ...(opts.ca === undefined ? {} : { ca: opts.ca }),
      insecure: opts.insecure === true,
      ...(opts.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: opts.connectTimeoutMs }),
    });
    this.timeoutMs = opts.timeoutMs ?? CLIENT_REQUEST_TIMEOUT_MS;
  }

  get endpoints(): readonly string[] {
    return this.pool.endpoints;
  }

  /** Sends with fail-over; any status other than 200 becomes a KeyfrontError. */
  private async call(
    method: string,
    path: string,
    c: Call = {},
    stream = false,
  ): Promise<HttpAnswer & { endpoint: string }> {
    const body = c.body === undefined ? undefined : Buffer.from(JSON.stringify(c.body));
    let endpoint = "";
    const answer = await this.pool.send((e) => {
      endpoint = e;
      return this.transport.send(e, method, path, {
        ...(body === undefined ? {} : { body }),
        signal: c.signal,
        stream,
        timeoutMs: this.timeoutMs,
      });
    }, c.signal);
    if (answer.status !== 200) {
      if (answer.status < 400) throw new KeyfrontError(answer.status, "unexpected answer");
      throw errorOfResponse(answer.status, answer.contentType, answer.body);
    }
    return { ...answer, endpoint };
  }

  private async json<D>(method: string, path: string, c: Call = {}): Promise<D> {
    const answer = await this.call(method, path, c);
    try {
      return JSON.parse(answer.body.toString("utf8")) as D;
    } catch {
      throw new KeyfrontError(answer.status, "the server answered with invalid JSON");
    }
  }

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

  async generateKey(name: string, context?: Uint8Array | string, signal?: AbortSignal) {
    const doc = await this.json<{ plaintext?: string; ciphertext?: string }>(
      "POST",
      `/v1/key/generate/${seg(name)}`,
      { body: context === undefined ? {} : { context: b64(context) }, signal },
    );
    return { plaintext: bytesOf(doc.plaintext), ciphertext: bytesOf(doc.ciphertext) } as T.Dek;
  }

  async encrypt(name: string, plaintext: Uint8Array | string, context?: Uint8Array | string) {
    const body = {
      plaintext: b64(plaintext),
      ...(context === undefined ? {} : { context: b64(context) }),
    };
    const doc = await this.json<{ ciphertext?: string }>("POST", `/v1/key/encrypt/${seg(name)}`, {
      body,
    });
    return bytesOf(doc.ciphertext);
  }

  async decrypt(name: string, ciphertext: Uint8Array, context?: Uint8Array | string) {
    const body = {
      ciphertext: b64(ciphertext),
      ...(context === undefined ? {} : { context: b64(context) }),
    };
    const doc = await this.json<{ plaintext?: string }>("POST", `/v1/key/decrypt/${seg(name)}`, {
      body,
    });
    return bytesOf(doc.plaintext);
  }

  async hmac(name: string, message: Uint8Array | string, signal?: AbortSignal): Promise<Buffer> {
    const doc = await this.json<{ hmac?: string }>("PUT", `/v1/key/hmac/${seg(name)}`, {
      body: { message: b64(message) },
      signal,
    });
    return bytesOf(doc.hmac);
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
  ): Promise<PolicyExplanation> {
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
    const res = answer.stream;
    if (res === undefined) return;
    const onAbort = () => res.destroy();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const decoder = new StringDecoder("utf8");
      let pending = "";
      for await (const chunk of res as AsyncIterable<Buffer>) {
        const lines = (pending + decoder.write(chunk)).split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          if (line.trim() !== "") yield JSON.parse(line) as E;
        }
      }
    } catch (err) {
      if (!signal?.aborted) throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      res.destroy();
    }
  }

  /** Closes pooled connections; the client can still be used afterwards (it reconnects). */
  close(): void {
    this.transport.close();
  }
}
