// Normalises the `keystore.vault` block (kes-api.md §8.3, §10.2) plus keyfront's additions
// (`endpoints`, `token`, `timeout`, `approle.retry`, `approle.wrapped`, the `cert` login). Pure: VAULT_ADDR and
// VAULT_TOKEN come from the env parameter. It must never read a secret's file or print a secret.

import { VAULT_LOGIN_RETRY_MS, VAULT_REQUEST_TIMEOUT_MS, VAULT_STATUS_PING_MS } from "../limits.js";
import type { VaultAuth, VaultConfig } from "./config.js";
import type { Env } from "./env.js";
import { positiveOr, readDuration, readOptional, readRequired } from "./fields.js";
import type { Problems, Segment } from "./problems.js";
import type { RawVaultConfig } from "./schema.js";

const AT = ["keystore", "vault"] as const;
const at = (...rest: Segment[]): Segment[] => [...AT, ...rest];

export function normalizeVault(raw: RawVaultConfig, env: Env, p: Problems): VaultConfig {
  const version = raw.version === undefined || raw.version === "" ? "v1" : raw.version;
  if (version !== "v1" && version !== "v2") {
    p.error(at("version"), `invalid KV version '${version}' (want v1 or v2)`);
  }
  const transit = raw.transit && {
    engine: readOptional(raw.transit.engine) ?? "transit",
    key: readRequired(p, at("transit", "key"), raw.transit.key),
  };
  const tls = {
    key: readOptional(raw.tls?.key),
    cert: readOptional(raw.tls?.cert),
    ca: readOptional(raw.tls?.ca),
  };
  if (tls.key !== undefined && tls.cert === undefined)
    p.error(at("tls", "cert"), "required when tls.key is set");
  if (tls.cert !== undefined && tls.key === undefined)
    p.error(at("tls", "key"), "required when tls.cert is set");
  const ping = readDuration(p, at("status", "ping"), raw.status?.ping);
  const timeout = readDuration(p, at("timeout"), raw.timeout);
  const endpoints = readEndpoints(raw, env, p);
  if (raw.cert !== undefined) checkCertLogin(raw, tls, endpoints, p);
  return {
    endpoints,
    engine: readOptional(raw.engine) ?? "kv",
    version: version === "v2" ? "v2" : "v1",
    namespace: raw.namespace ?? "",
    prefix: raw.prefix ?? "",
    transit,
    auth: readAuth(raw, env, p),
    tls,
    // Documented 10 s (sample config, kesconf); KES's code really uses 15 s (kes-api.md §8.3).
    statusPingMs: positiveOr(ping, VAULT_STATUS_PING_MS),
    timeoutMs: positiveOr(timeout, VAULT_REQUEST_TIMEOUT_MS),
    ...(env.KEYFRONT_VAULT_HOSTS_FILE ? { hostsFile: env.KEYFRONT_VAULT_HOSTS_FILE } : {}),
  };
}

function readEndpoints(raw: RawVaultConfig, env: Env, p: Problems): string[] {
  const listed: [Segment[], string][] = [];
  if (raw.endpoint !== undefined && raw.endpoint !== "")
    listed.push([at("endpoint"), raw.endpoint]);
  (raw.endpoints ?? []).forEach((e, i) => {
    listed.push([at("endpoints", i), e]);
  });
  const fromEnv = env.VAULT_ADDR;
  if (listed.length === 0 && fromEnv !== undefined && fromEnv !== "") {
    listed.push([at("endpoint"), fromEnv]);
  }
  if (listed.length === 0) p.error(at("endpoint"), "required field is missing");
  const endpoints: string[] = [];
  for (const [path, url] of listed) {
    if (!isHttpUrl(url))
      p.error(path, `invalid endpoint '${url}': want an http:// or https:// URL`);
    else if (!endpoints.includes(url)) endpoints.push(url);
  }
  return endpoints;
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === "http:" || u.protocol === "https:") && u.host !== "";
  } catch {
    return false;
  }
}

/**
 * The `cert` login presents `tls.cert` in the TLS handshake with Vault: it needs that pair, and
 * endpoints that speak TLS.
 */
function checkCertLogin(
  raw: RawVaultConfig,
  tls: VaultConfig["tls"],
  endpoints: string[],
  p: Problems,
): void {
  if (tls.cert === undefined || tls.key === undefined) {
    p.error(
      at("cert"),
      "needs keystore.vault.tls.cert and tls.key: the client certificate is the login credential",
    );
  }
  for (const url of endpoints.filter((e) => e.startsWith("http://"))) {
    const where =
      raw.endpoint === url ? at("endpoint") : at("endpoints", raw.endpoints?.indexOf(url) ?? 0);
    p.error(
      where,
      `cert login needs an https:// endpoint, got '${url}': the certificate is presented in the TLS handshake`,
    );
  }
}

/** Exactly one of approle / kubernetes / cert / token; VAULT_TOKEN only when none is configured. */
function readAuth(raw: RawVaultConfig, env: Env, p: Problems): VaultAuth {
  const configured = (["approle", "kubernetes", "cert", "token"] as const).filter(
    (k) => raw[k] !== undefined,
  );
  if (configured.length > 1) {
    p.error([...AT], `more than one authentication method specified (${configured.join(", ")})`);
  }
  const { approle, kubernetes } = raw;
  if (approle !== undefined) {
    return {
      kind: "approle",
      namespace: approle.namespace ?? "",
      engine: readOptional(approle.engine) ?? "approle",
      id: readRequired(p, at("approle", "id"), approle.id),
      secret: readRequired(p, at("approle", "secret"), approle.secret),
      retryMs: positiveOr(
        readDuration(p, at("approle", "retry"), approle.retry),
        VAULT_LOGIN_RETRY_MS,
      ),
      wrapped: approle.wrapped ?? false,
    };
  }
  if (kubernetes !== undefined) {
    const jwt = readRequired(p, at("kubernetes", "jwt"), kubernetes.jwt);
    const isFile = jwt.includes("/"); // KES compat, kes-api.md §10.2: a "/" makes it a path
    return {
      kind: "kubernetes",
      namespace: kubernetes.namespace ?? "",
      engine: readOptional(kubernetes.engine) ?? "kubernetes",
      role: readRequired(p, at("kubernetes", "role"), kubernetes.role),
      jwt: isFile ? undefined : jwt,
      jwtFile: isFile ? jwt : undefined,
      retryMs: positiveOr(
        readDuration(p, at("kubernetes", "retry"), kubernetes.retry),
        VAULT_LOGIN_RETRY_MS,
      ),
    };
  }
  if (raw.cert !== undefined) {
    const { cert } = raw;
    return {
      kind: "cert",
      namespace: cert.namespace ?? "",
      engine: readOptional(cert.engine) ?? "cert",
      name: readOptional(cert.name),
      retryMs: positiveOr(readDuration(p, at("cert", "retry"), cert.retry), VAULT_LOGIN_RETRY_MS),
    };
  }
  if (raw.token !== undefined)
    return { kind: "token", token: readRequired(p, at("token"), raw.token) };
  const token = env.VAULT_TOKEN;
  if (token !== undefined && token !== "") return { kind: "token", token };
  p.error(
    [...AT],
    "no authentication method specified (approle, kubernetes, cert, token or VAULT_TOKEN)",
  );
  return { kind: "token", token: "" };
}
