// The login calls of each Vault auth method (kes-api.md §8.3 "Login", vault-api.md §5, §6):
// AppRole (with a response-wrapped secret ID unwrapped once, vault-api.md §5.3), Kubernetes (the
// JWT file re-read on every login), TLS certificate (the connection's client certificate is the
// credential; Vault's api-docs/auth/cert) and a static token (looked up to learn its TTL). It
// must never put a token, secret ID, wrapping token or JWT into an error message or a log record.

import { readFile } from "node:fs/promises";
import type { VaultAuth } from "../../config/config.js";
import { describeResponse, type VaultHttpClient, type VaultResponse } from "./http.js";

export interface TokenLease {
  token: string;
  /** Time to live from when it was obtained; 0 = never expires. */
  ttlMs: number;
  renewable: boolean;
}

export class LoginError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LoginError";
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The auth block of a login or renew answer (vault-api.md §5.1). */
export function leaseOfAuth(res: VaultResponse): TokenLease | undefined {
  const auth = isObject(res.body) ? res.body.auth : undefined;
  if (!isObject(auth) || typeof auth.client_token !== "string" || auth.client_token === "") {
    return undefined;
  }
  const ttl = typeof auth.lease_duration === "number" ? auth.lease_duration : 0;
  return { token: auth.client_token, ttlMs: ttl * 1000, renewable: auth.renewable === true };
}

/**
 * True when Vault says the token itself is no good (expired, revoked, unknown): 403 with
 * `invalid token` (Vault ≥ 1.16) or a bare `permission denied` (older Vault), vault-api.md §1.4.
 * A policy denial (`1 error occurred: … permission denied`) is not: logging in again cannot help.
 */
export function isDeadToken(res: VaultResponse): boolean {
  return (
    res.status === 403 &&
    res.errors.some((e) => e.includes("invalid token") || e.trim() === "permission denied")
  );
}

/** The namespace a login is sent to: "/" = root (no header), "" = the store's (§8.3 "Headers"). */
export function loginNamespace(authNamespace: string, storeNamespace: string): string {
  if (authNamespace === "/") return "";
  return authNamespace !== "" ? authNamespace : storeNamespace;
}

export interface LoginContext {
  client: VaultHttpClient;
  namespace: string;
  signal?: AbortSignal | undefined;
}

export interface AuthenticatorOptions {
  /** Why the client certificate cannot work (expired, not yet valid), added to a cert login error. */
  certProblem?: () => string | undefined;
}

/** Logs in with one auth method; keeps an unwrapped AppRole secret ID for later logins. */
export class Authenticator {
  readonly #auth: VaultAuth;
  readonly #opts: AuthenticatorOptions;
  #secretId: string | undefined;

  constructor(auth: VaultAuth, opts: AuthenticatorOptions = {}) {
    this.#auth = auth;
    this.#opts = opts;
    if (auth.kind === "approle" && !auth.wrapped) this.#secretId = auth.secret;
  }

  get method(): VaultAuth["kind"] {
    return this.#auth.kind;
  }

  async login(ctx: LoginContext): Promise<TokenLease> {
    const a = this.#auth;
    if (a.kind === "token") return lookupToken(ctx, a.token);
    if (a.kind === "approle") {
      const secret = this.#secretId ?? (await this.#unwrap(ctx, a.secret, a.engine));
      this.#secretId = secret;
      return postLogin(ctx, "AppRole", a.engine, { role_id: a.id, secret_id: secret });
    }
    if (a.kind === "cert") return this.#certLogin(ctx, a.engine, a.name);
    const jwt = a.jwtFile !== undefined ? await readJwt(a.jwtFile) : (a.jwt ?? "");
    return postLogin(ctx, "Kubernetes", a.engine, { role: a.role, jwt });
  }

  /**
   * Vault's `cert` method: the TLS client certificate of the connection (keystore.vault.tls) is
   * the credential; `name` picks one certificate role, else Vault tries every role. A refusal
   * names the role, Vault's reason and, when known, what is wrong with the local certificate.
   */
  async #certLogin(ctx: LoginContext, engine: string, name: string | undefined) {
    const role =
      name === undefined
        ? " for any certificate role (keystore.vault.cert.name unset)"
        : ` for certificate role '${name}'`;
    try {
      return await postLogin(ctx, "cert", engine, name === undefined ? {} : { name }, role);
    } catch (err) {
      const problem = this.#opts.certProblem?.();
      if (!(err instanceof LoginError) || problem === undefined) throw err;
      throw new LoginError(`${err.message}; ${problem}`);
    }
  }

  /**
   * Unwraps a response-wrapped secret ID (vault-api.md §5.3), after checking with
   * sys/wrapping/lookup that the wrapped response really came from this AppRole's secret-id
   * endpoint (a wrapping token for anything else means tampering).
   */
  async #unwrap(ctx: LoginContext, wrapping: string, engine: string): Promise<string> {
    const common = { namespace: ctx.namespace, signal: ctx.signal } as const;
    const lookup = await ctx.client.request({
      ...common,
      method: "POST",
      path: "sys/wrapping/lookup",
      body: { token: wrapping },
    });
    const data = isObject(lookup.body) ? lookup.body.data : undefined;
    const path = isObject(data) ? data.creation_path : undefined;
    const want = new RegExp(
      `^auth/${escapeRegExp(engine.replace(/^\/+|\/+$/g, ""))}/role/[^/]+/secret-id$`,
    );
    if (lookup.status === 200 && typeof path === "string" && !want.test(path)) {
      throw new LoginError(
        `vault: refusing to unwrap approle.secret: it wraps '${path}', not an AppRole secret ID`,
      );
    }
    const res = await ctx.client.request({
      ...common,
      method: "POST",
      path: "sys/wrapping/unwrap",
      token: wrapping,
      body: {},
      retries: 0,
    });
    const unwrapped =
      isObject(res.body) && isObject(res.body.data) ? res.body.data.secret_id : undefined;
    if (res.status !== 200 || typeof unwrapped !== "string" || unwrapped === "") {
      throw new LoginError(
        `vault: cannot unwrap approle.secret (${describeResponse(res)}); a wrapping token works once: issue a new one`,
      );
    }
    return unwrapped;
  }
}

async function postLogin(
  ctx: LoginContext,
  label: string,
  engine: string,
  body: Record<string, string>,
  forWhom = "",
): Promise<TokenLease> {
  const res = await ctx.client.request({
    method: "POST",
    path: `auth/${engine
      .replace(/^\/+|\/+$/g, "")
      .split("/")
      .map(encodeURIComponent)
      .join("/")}/login`,
    body,
    namespace: ctx.namespace,
    signal: ctx.signal,
  });
  const lease = res.status === 200 ? leaseOfAuth(res) : undefined;
  if (lease === undefined) {
    throw new LoginError(`vault: ${label} login failed${forWhom} (${describeResponse(res)})`);
  }
  return lease;
}

/** A static token: lookup-self tells its remaining TTL and whether it can be renewed. */
async function lookupToken(ctx: LoginContext, token: string): Promise<TokenLease> {
  const res = await ctx.client.request({
    method: "GET",
    path: "auth/token/lookup-self",
    token,
    namespace: ctx.namespace,
    signal: ctx.signal,
  });
  const data = isObject(res.body) ? res.body.data : undefined;
  if (res.status === 200 && isObject(data)) {
    const ttl = typeof data.ttl === "number" ? data.ttl : 0;
    return { token, ttlMs: ttl * 1000, renewable: data.renewable === true };
  }
  if (res.status !== 403 || isDeadToken(res))
    throw new LoginError(`vault: the configured token is not usable (${describeResponse(res)})`);
  // A valid token whose policy does not allow lookup-self: use it as is, without renewal.
  return { token, ttlMs: 0, renewable: false };
}

async function readJwt(file: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (err) {
    throw new LoginError(
      `vault: cannot read kubernetes.jwt file '${file}': ${(err as Error).message}`,
    );
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
