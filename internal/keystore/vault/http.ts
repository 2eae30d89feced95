// The HTTP client keyfront speaks Vault's API with (vault-api.md §1, §10): a keep-alive connection
// pool per scheme (KES opened a new connection per call, kes-api.md §8.3), a timeout per attempt,
// bounded retries with exponential backoff and jitter on connection errors, 412, 429 and 5xx other
// than 501 ("Vault is sealed" only once more, on a new connection), failover across the configured
// endpoints, standby redirects (307/308) followed only to a configured endpoint's origin and at
// most VAULT_MAX_REDIRECTS times, and response body caps. A transport failure or an answer saying
// the node is not Vault's active one (a redirect elsewhere, 503, "local node not active") retires
// the connection pool (pool.ts), so the retry reconnects and resolves the endpoint's name again:
// an HA Vault behind a DNS name is followed to its new active node. It must never send the token
// or a login body to an origin that is not a configured endpoint, and never log or put into an
// error the X-Vault-Token header, a request body or a response body.

import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import {
  VAULT_BODY_BYTES,
  VAULT_FAILOVER_RETRIES,
  VAULT_MAX_REDIRECTS,
  VAULT_MAX_RETRIES,
  VAULT_RETRY_BASE_MS,
  VAULT_RETRY_BUDGET_MS,
  VAULT_RETRY_MAX_DELAY_MS,
} from "../../limits.js";
import { sleep } from "../../sleep.js";
import { BodyTooLargeError, errorsOf, parseJson, readCapped, warningsOf } from "./http-body.js";
import { VaultPool } from "./pool.js";

export interface VaultTlsMaterial {
  ca: string[] | undefined;
  cert: string | undefined;
  key: string | undefined;
}

export interface VaultHttpOptions {
  endpoints: string[];
  timeoutMs: number;
  tls: VaultTlsMaterial;
  /** How endpoint names are resolved for new connections (default: the system's dns.lookup). */
  lookup?: LookupFunction | undefined;
  /** Told when the pool is retired: why, and the address that served last. */
  onReconnect?: ((why: string, lastAddress: string) => void) | undefined;
}

export interface VaultRequest {
  method: "GET" | "PUT" | "POST" | "DELETE";
  /** Path below /v1/, already escaped, without a leading slash. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  token?: string | undefined;
  /** X-Vault-Namespace; "" or undefined = no header. */
  namespace?: string | undefined;
  maxBytes?: number;
  /** Retries on top of endpoint failover; default VAULT_MAX_RETRIES. */
  retries?: number;
  signal?: AbortSignal | undefined;
}

export interface VaultResponse {
  status: number;
  /** The parsed JSON body; undefined when empty or not JSON. */
  body: unknown;
  /** Vault's `errors` array (empty when absent). */
  errors: string[];
  /** Vault's `warnings` array (empty when absent or null; at most VAULT_MAX_WARNINGS). */
  warnings: string[];
  /** The IP address of the node that answered. */
  address?: string;
}

/** Vault could not be reached (after retries and failover), or an attempt timed out. */
export class VaultTransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "VaultTransportError";
  }
}

const RETRY_STATUS = (s: number) => s === 412 || s === 429 || (s >= 500 && s !== 501);

/** K/V v2's answer for a brief period after it is mounted or upgraded (vault-api.md §3.8). */
const KV_UPGRADING = "Upgrading from non-versioned to versioned data.";

/** Retryable: a transient status, or a K/V v2 mount still upgrading (a 400 that will pass). */
const retryable = (res: VaultResponse) =>
  RETRY_STATUS(res.status) ||
  (res.status === 400 && res.errors.some((e) => e.startsWith(KV_UPGRADING)));

/**
 * An answer of a node that is not (or no longer) Vault's active node: 503 (sealed, "no active
 * Vault instance found") or 500 "local node not active" (vault-api.md §10.1).
 */
export function isNotActiveResponse(res: VaultResponse): boolean {
  return (
    res.status === 503 ||
    (res.status === 500 && res.errors.some((e) => e.includes("local node not active")))
  );
}

/** True for Vault's seal error (vault-api.md §1.3: any error containing it → 503). */
export function isSealedResponse(res: VaultResponse): boolean {
  return res.status === 503 && res.errors.some((e) => e.includes("Vault is sealed"));
}

export class VaultHttpClient {
  readonly #endpoints: URL[];
  /** Origins (scheme://host:port) a redirect may lead to: the configured endpoints only. */
  readonly #origins: Set<string>;
  readonly #timeoutMs: number;
  readonly #pool: VaultPool;
  readonly #onReconnect: VaultHttpOptions["onReconnect"];
  #current = 0;
  #lastAddress = "";

  constructor(opts: VaultHttpOptions) {
    this.#endpoints = opts.endpoints.map((e) => new URL(e.endsWith("/") ? e : `${e}/`));
    if (this.#endpoints.length === 0) throw new Error("vault: no endpoint configured");
    this.#origins = new Set(this.#endpoints.map((e) => e.origin));
    this.#timeoutMs = opts.timeoutMs;
    this.#pool = new VaultPool(opts.tls, opts.lookup);
    this.#onReconnect = opts.onReconnect;
  }

  /** The configured endpoints that speak plain HTTP (tokens and keys cross the wire in clear). */
  get plainHttpEndpoints(): string[] {
    return this.#endpoints.filter((e) => e.protocol === "http:").map((e) => e.origin);
  }

  /** The endpoint requests currently go to (the last one that answered). */
  get endpoint(): string {
    return (this.#endpoints[this.#current] ?? this.#endpoints[0])?.origin ?? "";
  }

  /** The IP address and port of the Vault node that sent the last answer ("" before any). */
  get lastAddress(): string {
    return this.#lastAddress;
  }

  /** How many times the connection pool was retired (failovers noticed). */
  get reconnects(): number {
    return this.#pool.retired;
  }

  /**
   * Retires the connection pool (e.g. a health poll found a standby behind the endpoint): the
   * next request connects anew, resolving the endpoint's name again. Not reported to
   * onReconnect: the caller says what it found.
   */
  reconnect(): void {
    this.#pool.retire(this.#pool.current.id);
  }

  /** Drops pooled connections to any address but `ip` (where Vault's active node answered). */
  keepOnly(ip: string): void {
    this.#pool.keepOnly(ip);
  }

  #retire(generation: number, why: string): boolean {
    if (!this.#pool.retire(generation)) return false;
    this.#onReconnect?.(why, this.#lastAddress);
    return true;
  }

  /**
   * Sends one logical request: retried on connection errors (moving to the next endpoint) and
   * on retryable statuses, within VAULT_RETRY_BUDGET_MS. Once a failover shows (a connection
   * error or a node that is not active), a request without its own `retries` keeps trying up to
   * VAULT_FAILOVER_RETRIES times within that budget, to ride out an election and a name that
   * moves late. Answers any final HTTP status; throws VaultTransportError when no endpoint answered.
   */
  async request(req: VaultRequest): Promise<VaultResponse> {
    const started = performance.now();
    const extra = this.#endpoints.length - 1;
    const retries = (req.retries ?? VAULT_MAX_RETRIES) + extra;
    const failoverRetries = Math.max(retries, (req.retries ?? VAULT_FAILOVER_RETRIES) + extra);
    let lastError: unknown;
    let reconnected = false;
    let failover = false;
    for (let attempt = 0; ; attempt++) {
      req.signal?.throwIfAborted();
      const index = this.#current;
      const generation = this.#pool.current.id;
      let res: VaultResponse | undefined;
      let fresh = false;
      try {
        res = await this.#attempt(this.#url(index, req), req);
        if (isNotActiveResponse(res)) {
          failover = true;
          fresh = this.#retire(generation, describeResponse(res));
        }
        // A sealed node is asked once more only on a new connection (its name may have moved).
        const sealedAgain = isSealedResponse(res) && (!fresh || reconnected);
        if (!retryable(res) || sealedAgain) return res;
      } catch (err) {
        if (err instanceof BodyTooLargeError || req.signal?.aborted) throw err;
        if (isCertificateError(err))
          throw new VaultTransportError(describeError(err), { cause: err });
        failover = true;
        fresh = this.#retire(generation, describeError(err));
        lastError = err;
        // Fail over: the next request (and this retry) goes to the next endpoint.
        if (this.#current === index) this.#current = (index + 1) % this.#endpoints.length;
      }
      const delay = backoffMs(attempt);
      const limit = failover ? failoverRetries : retries;
      if (attempt >= limit || performance.now() - started + delay > VAULT_RETRY_BUDGET_MS) {
        if (res) return res;
        throw new VaultTransportError(`${describeError(lastError)}`, { cause: lastError });
      }
      // A failover to a fresh endpoint, or the first new connection after the pool was
      // retired, needs no wait; everything else backs off.
      if (fresh && !reconnected) reconnected = true;
      else if (res !== undefined || attempt >= this.#endpoints.length - 1) {
        await sleep(delay, req.signal);
      }
    }
  }

  close(): void {
    this.#pool.close();
  }

  #url(index: number, req: VaultRequest): URL {
    const base = this.#endpoints[index] ?? this.#endpoints[0];
    const url = new URL(`v1/${req.path}`, base);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    return url;
  }

  /**
   * One attempt, following standby redirects (vault-api.md §10.1) at most VAULT_MAX_REDIRECTS
   * times and only to the origin of a configured endpoint: a Location elsewhere is refused before
   * anything (token, login body) is sent there.
   */
  async #attempt(url: URL, req: VaultRequest): Promise<VaultResponse> {
    let target = url;
    for (let hops = 0; ; hops++) {
      const res = await this.#send(target, req);
      if ((res.status !== 307 && res.status !== 308) || res.location === undefined) return res;
      let next: URL;
      try {
        next = new URL(res.location, target);
      } catch {
        throw new VaultTransportError(`vault: ${target.origin} redirected to an invalid Location`);
      }
      if (!this.#origins.has(next.origin)) {
        throw new VaultTransportError(
          `vault: refusing redirect from ${target.origin} to ${next.origin}: not a configured endpoint`,
        );
      }
      if (hops >= VAULT_MAX_REDIRECTS) {
        throw new VaultTransportError(
          `vault: more than ${VAULT_MAX_REDIRECTS} redirects (last from ${target.origin})`,
        );
      }
      target = next;
    }
  }

  #send(url: URL, req: VaultRequest): Promise<VaultResponse & { location?: string }> {
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const headers: Record<string, string> = { "X-Vault-Request": "true" };
    if (req.token) headers["X-Vault-Token"] = req.token;
    if (req.namespace) headers["X-Vault-Namespace"] = req.namespace;
    if (payload) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = String(payload.length);
    }
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const https = url.protocol === "https:";
    const send = https ? httpsRequest : httpRequest;
    const cap = req.maxBytes ?? VAULT_BODY_BYTES;
    const pool = this.#pool.current;
    return new Promise((resolve, reject) => {
      const r = send(
        url,
        { method: req.method, headers, agent: https ? pool.https : pool.http, signal },
        (res) => {
          const { remoteAddress, remotePort } = res.socket;
          if (remoteAddress !== undefined) this.#lastAddress = hostPort(remoteAddress, remotePort);
          const address = remoteAddress === undefined ? {} : { address: remoteAddress };
          readCapped(res, cap).then((raw) => {
            const parsed = parseJson(raw);
            const location = res.headers.location;
            resolve({
              status: res.statusCode ?? 0,
              body: parsed,
              errors: errorsOf(parsed),
              warnings: warningsOf(parsed),
              ...address,
              ...(location !== undefined ? { location } : {}),
            });
          }, reject);
        },
      );
      r.on("error", (err) => {
        reject(timeout.aborted && !req.signal?.aborted ? timeoutError(this.#timeoutMs) : err);
      });
      r.end(payload);
    });
  }
}

/** A certificate Vault's TLS peer cannot verify: retrying cannot help (vault-api.md §10.2). */
function isCertificateError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT/.test(code);
}

const hostPort = (ip: string, port: number | undefined) =>
  `${ip.includes(":") ? `[${ip}]` : ip}:${port ?? ""}`;

function timeoutError(ms: number): VaultTransportError {
  return new VaultTransportError(`request timed out after ${ms} ms`);
}

/** Exponential backoff with jitter: a random delay in [½, 1] × min(max, base·2^attempt). */
export function backoffMs(
  attempt: number,
  base = VAULT_RETRY_BASE_MS,
  max = VAULT_RETRY_MAX_DELAY_MS,
) {
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** A short description of a transport failure: code and message, never headers or bodies. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && !err.message.includes(code)
    ? `${code}: ${err.message}`
    : err.message;
}

/** One line describing a Vault error answer, for logs and error messages. */
export function describeResponse(res: VaultResponse): string {
  // go-multierror renders "1 error occurred:\n\t* permission denied\n\n" (vault-api.md §1.3).
  const text = res.errors
    .flatMap((e) => e.split("\n"))
    .map((line) => line.replace(/^\s*\*\s*/, "").trim())
    .filter((line) => line !== "" && !/^\d+ errors? occurred:$/.test(line))
    .join("; ");
  const warned = describeWarnings(res);
  const detail = [text, warned].filter((t) => t !== "").join("; ");
  return detail === "" ? `HTTP ${res.status}` : `HTTP ${res.status}: ${detail}`;
}

/** Vault's warnings of a response as one line ("" when none), e.g. for a v1 call on a v2 mount. */
export function describeWarnings(res: Pick<VaultResponse, "warnings">): string {
  return res.warnings.map((w) => `warning: ${w.replace(/\s+/g, " ").trim()}`).join("; ");
}
