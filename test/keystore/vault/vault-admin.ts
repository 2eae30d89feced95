// Test helpers for the Vault keystore tests: where the Vault under test is (the Vault-compatible
// test server, or a real Vault when VAULT_ADDR and VAULT_TOKEN are set), and an admin client
// that sets Vault up with plain HTTP calls exactly as an operator would against real Vault
// (mounts, AppRole roles and secret IDs, policies, tokens, namespaces). Everything a test sets
// up under a unique name it removes again. It must never print a token or a secret ID.

import { randomBytes } from "node:crypto";
import { type DestinationStream, pino } from "pino";
import type { VaultAuth, VaultConfig } from "../../../internal/config/config.js";
import type { KeyStore } from "../../../internal/keystore/keystore.js";
import type { Logger } from "../../../internal/log/logger.js";

/** A real Vault to run against as well, from the environment; undefined when not configured. */
export const REAL_VAULT: { addr: string; token: string } | undefined =
  process.env.VAULT_ADDR && process.env.VAULT_TOKEN
    ? { addr: process.env.VAULT_ADDR, token: process.env.VAULT_TOKEN }
    : undefined;

/** Says loudly, once per file, that the real-Vault half was skipped. */
export function warnIfNoRealVault(file: string): void {
  if (REAL_VAULT) return;
  console.warn(
    `*** ${file}: real-Vault tests SKIPPED — set VAULT_ADDR and VAULT_TOKEN (a root-capable token) to run them against a real Vault ***`,
  );
}

/** Attempts of an admin call that meets a K/V v2 mount still upgrading (200 ms apart). */
const ADMIN_UPGRADE_TRIES = 50;

export const unique = (label: string) => `${label}-${randomBytes(4).toString("hex")}`;

export interface AdminResponse {
  status: number;
  body: Record<string, unknown> | undefined;
}

/** Vault's HTTP API with an admin token; throws on any status ≥ 400 unless `allow` lists it. */
export class VaultAdmin {
  constructor(
    readonly addr: string,
    readonly token: string,
    readonly namespace = "",
  ) {}

  in(namespace: string): VaultAdmin {
    return new VaultAdmin(this.addr, this.token, namespace);
  }

  async call(
    method: string,
    path: string,
    body?: unknown,
    opts: { headers?: Record<string, string>; allow?: number[]; token?: string } = {},
  ): Promise<AdminResponse> {
    const headers: Record<string, string> = {
      "X-Vault-Token": opts.token ?? this.token,
      ...opts.headers,
    };
    if (this.namespace) headers["X-Vault-Namespace"] = this.namespace;
    // A freshly mounted K/V v2 answers 400 "Upgrading…" for a moment on a real server (OpenBao
    // with raft storage): an operator retries, and so does this helper, a bounded number of times.
    let res: Response;
    let parsed: Record<string, unknown> | undefined;
    for (let attempt = 1; ; attempt++) {
      res = await fetch(`${this.addr}/v1/${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      parsed = text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>);
      const upgrading = res.status === 400 && JSON.stringify(parsed?.errors).includes("Upgrading");
      if (!upgrading || attempt >= ADMIN_UPGRADE_TRIES) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (res.status >= 400 && !(opts.allow ?? []).includes(res.status)) {
      throw new Error(
        `vault admin: ${method} ${path} → ${res.status} ${JSON.stringify(parsed?.errors)}`,
      );
    }
    return { status: res.status, body: parsed };
  }

  async mountKv(path: string, version: "v1" | "v2"): Promise<void> {
    await this.call("POST", `sys/mounts/${path}`, {
      type: "kv",
      options: { version: version === "v2" ? "2" : "1" },
    });
  }

  async unmount(path: string): Promise<void> {
    await this.call("DELETE", `sys/mounts/${path}`, undefined, { allow: [400, 404] });
  }

  async enableAuth(path: string, type: string): Promise<void> {
    await this.call("POST", `sys/auth/${path}`, { type });
  }

  async disableAuth(path: string): Promise<void> {
    await this.call("DELETE", `sys/auth/${path}`, undefined, { allow: [400, 404] });
  }

  async putPolicy(name: string, text: string): Promise<void> {
    await this.call("PUT", `sys/policies/acl/${name}`, { policy: text });
  }

  async deletePolicy(name: string): Promise<void> {
    await this.call("DELETE", `sys/policies/acl/${name}`, undefined, { allow: [400, 404] });
  }

  async createNamespace(name: string): Promise<void> {
    await this.call("POST", `sys/namespaces/${name}`, {});
  }

  /**
   * Whether this Vault has namespaces (Enterprise, OpenBao ≥ 2.3): creates and deletes a probe
   * namespace. Vault OSS answers 404 (unsupported path) or 400/405.
   */
  async supportsNamespaces(): Promise<boolean> {
    const probe = unique("ns-probe");
    const res = await this.call("POST", `sys/namespaces/${probe}`, {}, { allow: [400, 404, 405] });
    if (res.status >= 400) return false;
    await this.deleteNamespace(probe);
    return true;
  }

  async deleteNamespace(name: string): Promise<void> {
    await this.call("DELETE", `sys/namespaces/${name}`, undefined, { allow: [400, 404] });
  }

  /** An AppRole role with `fields` (token_ttl, token_policies, …); answers its role ID. */
  async createRole(mount: string, role: string, fields: Record<string, unknown>): Promise<string> {
    await this.call("POST", `auth/${mount}/role/${role}`, fields);
    const res = await this.call("GET", `auth/${mount}/role/${role}/role-id`);
    return String(pick(res.body, "data", "role_id"));
  }

  /** A fresh secret ID, or with `wrapTtl` the response-wrapping token that holds one. */
  async secretId(mount: string, role: string, wrapTtl?: string): Promise<string> {
    const headers = wrapTtl ? { "X-Vault-Wrap-TTL": wrapTtl } : undefined;
    const res = await this.call(
      "POST",
      `auth/${mount}/role/${role}/secret-id`,
      {},
      headers ? { headers } : {},
    );
    if (wrapTtl) return String(pick(res.body, "wrap_info", "token"));
    return String(pick(res.body, "data", "secret_id"));
  }

  async createToken(fields: Record<string, unknown>): Promise<string> {
    const res = await this.call("POST", "auth/token/create", fields);
    return String(pick(res.body, "auth", "client_token"));
  }
}

/** body.a.b… or undefined. */
export function pick(body: unknown, ...path: string[]): unknown {
  let v: unknown = body;
  for (const k of path)
    v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** A policy giving one keyfront deployment its K/V folder and nothing else (README). */
export function tenantPolicy(engine: string, version: "v1" | "v2", prefix: string): string {
  const p = prefix === "" ? "" : `${prefix}/`;
  if (version === "v1") {
    return `path "${engine}/${p}*" { capabilities = ["create", "read", "delete", "list"] }
path "${engine}/${p}" { capabilities = ["list"] }`;
  }
  return `path "${engine}/data/${p}*" { capabilities = ["create", "read"] }
path "${engine}/metadata/${p}*" { capabilities = ["read", "delete", "list"] }
path "${engine}/metadata/${p}" { capabilities = ["list"] }`;
}

/** A VaultConfig as the loader would build it. */
export function vaultConfig(
  addr: string | string[],
  auth: VaultAuth,
  over: Partial<VaultConfig> = {},
): VaultConfig {
  return {
    endpoints: Array.isArray(addr) ? addr : [addr],
    engine: "kv",
    version: "v2",
    namespace: "",
    prefix: "",
    transit: undefined,
    auth,
    tls: { key: undefined, cert: undefined, ca: undefined },
    statusPingMs: 10_000,
    timeoutMs: 2_000,
    ...over,
  };
}

export const tokenAuth = (token: string): VaultAuth => ({ kind: "token", token });

export const approleAuth = (id: string, secret: string, over: Partial<VaultAuth> = {}): VaultAuth =>
  ({
    kind: "approle",
    namespace: "",
    engine: "approle",
    id,
    secret,
    retryMs: 100,
    wrapped: false,
    ...over,
  }) as VaultAuth;

export interface CapturedLog {
  log: Logger;
  lines: string[];
  text: () => string;
}

/** A pino logger whose JSON lines are kept in memory (to assert on, and to check for secrets). */
export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const dest: DestinationStream = { write: (line: string) => void lines.push(line) };
  return { log: pino({ level: "debug" }, dest), lines, text: () => lines.join("") };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const got = await probe().catch(() => undefined);
    if (got !== undefined) return got;
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * `workers` loops creating a key and reading it back for `ms`: the operations that succeeded
 * (creates and reads) and every failure. Key names start with `tag`.
 */
export async function steadyLoad(
  store: KeyStore,
  ms: number,
  { workers = 4, pauseMs = 0, tag = "w" } = {},
): Promise<{ ops: number; failures: unknown[] }> {
  const until = performance.now() + ms;
  let ops = 0;
  const failures: unknown[] = [];
  const worker = async (w: number) => {
    for (let i = 0; performance.now() < until; i++) {
      const name = `${tag}${w}-${i}`;
      try {
        await store.create(name, name);
        const got = await store.get(name);
        if (got !== name) throw new Error(`read back '${got}' for '${name}'`);
        ops += 2;
      } catch (err) {
        failures.push(err);
      }
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return { ops, failures };
}
