// Turns a schema-valid RawConfig into the normalised Config: defaults applied, cross-field rules
// checked (kes-api.md §5.2, §6.1, §9, §10), every problem reported into Problems. Pure. It must
// never stop at the first problem: the result is only used when Problems has no errors.

import {
  CACHE_EXPIRY_ANY_MS,
  CACHE_EXPIRY_UNUSED_MS,
  CACHE_MAX_KEYS,
  CACHE_REFRESH_MS,
  IDLE_TIMEOUT_MS,
  MAX_CONNECTIONS,
  MAX_CONNECTIONS_PER_CLIENT,
  MAX_DELETION_WINDOW_MS,
  MAX_ROTATE_PERIOD_MS,
  MIN_ROTATE_PERIOD_MS,
} from "../limits.js";
import type { Config, KeystoreConfig, PolicyConfig } from "./config.js";
import type { Env } from "./env.js";
import {
  DEFAULT_ADDRESS,
  parseAddress,
  positiveOr,
  readDuration,
  readOptional,
  readRequired,
} from "./fields.js";
import { LOG_LEVEL_INFO, type LogLevel, parseLogLevel } from "./log-level.js";
import { isValidName } from "./names.js";
import { normalizeVault } from "./normalize-vault.js";
import {
  checkAdminIdentity,
  checkApiRoute,
  checkPolicyIdentity,
  checkPolicyPatterns,
} from "./operator-checks.js";
import type { Problems, Segment } from "./problems.js";
import { type RawConfig, UNSUPPORTED_KEYSTORES } from "./schema.js";

export function normalizeConfig(raw: RawConfig, file: string, env: Env, p: Problems): Config {
  if (raw.version !== undefined && raw.version !== "v1") {
    p.error(["version"], `unsupported config version '${raw.version}' (want v1)`);
  }
  const admin = normalizeAdmin(raw, p);
  const proxies = normalizeProxies(raw, admin, p);
  return {
    file,
    address: normalizeAddress(raw, p),
    admin: { identity: admin },
    tls: { ...normalizeTls(raw, p), ...normalizeProxyHeader(raw, proxies, p) },
    policies: normalizePolicies(raw, admin, proxies, p),
    cache: normalizeCache(raw, p),
    api: normalizeApi(raw, p),
    log: {
      error: readLevel(p, "error", raw.log?.error),
      audit: readLevel(p, "audit", raw.log?.audit),
    },
    keys: normalizeKeys(raw, p),
    keystore: normalizeKeystore(raw, env, p),
    deletion: normalizeDeletion(raw, p),
    server: {
      workers: raw.server?.workers ?? 1,
      keyAlgorithm: normalizeKeyAlgorithm(raw, p),
      ...normalizeConnections(raw, p),
    },
  };
}

/** Connection bounds (issue 8 item 5); defaults in limits.ts. */
function normalizeConnections(raw: RawConfig, p: Problems) {
  const idle = readDuration(p, ["server", "idle_timeout"], raw.server?.idle_timeout);
  return {
    maxConnections: raw.server?.max_connections ?? MAX_CONNECTIONS,
    maxConnectionsPerClient: raw.server?.max_connections_per_client ?? MAX_CONNECTIONS_PER_CLIENT,
    idleTimeoutMs: positiveOr(idle, IDLE_TIMEOUT_MS),
  };
}

/** New keys' algorithm: never chosen by the host's CPU, as KES did (kes-api.md §7.1). */
function normalizeKeyAlgorithm(raw: RawConfig, p: Problems): "AES256" | "ChaCha20" {
  const v = raw.server?.key_algorithm;
  if (v === undefined || v === "" || v === "AES256") return "AES256";
  if (v === "ChaCha20") return "ChaCha20";
  p.error(["server", "key_algorithm"], `unknown key algorithm '${v}' (want AES256 or ChaCha20)`);
  return "AES256";
}

function normalizeAddress(raw: RawConfig, p: Problems): string {
  if (raw.address === undefined || raw.address === "") return DEFAULT_ADDRESS;
  try {
    return parseAddress(raw.address);
  } catch (err) {
    p.error(["address"], (err as Error).message);
    return DEFAULT_ADDRESS;
  }
}

function normalizeAdmin(raw: RawConfig, p: Problems): string {
  const identity = readRequired(p, ["admin", "identity"], raw.admin?.identity);
  checkAdminIdentity(identity, p);
  return identity;
}

/** RFC 9110 §5.1 field name (a token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers every client or HTTP itself sends: as the proxy header, each would refuse them all. */
const RESERVED_HEADERS = new Set([
  "host",
  "content-length",
  "content-type",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "expect",
  "te",
  "trailer",
  "user-agent",
  "accept",
  "x-forwarded-for",
]);

/**
 * Trusted TLS proxies (kes-api.md §5.5; KES parses these keys but stopped applying them in 2023,
 * keyfront applies them). Enabled only when identities are listed: the KES sample config sets the
 * header name with an empty list, which stays a no-op.
 */
function normalizeProxies(raw: RawConfig, admin: string, p: Problems): Set<string> {
  const proxies = new Set<string>();
  (raw.tls?.proxy?.identities ?? []).forEach((id, i) => {
    const at = ["tls", "proxy", "identities", i];
    if (!isValidName(id)) p.error(at, `invalid identity '${id}'`);
    else if (id === admin) p.error(at, "the admin identity cannot be a TLS proxy identity");
    else proxies.add(id);
  });
  return proxies;
}

function normalizeProxyHeader(raw: RawConfig, proxies: ReadonlySet<string>, p: Problems) {
  const header = readOptional(raw.tls?.proxy?.header?.cert);
  const at = ["tls", "proxy", "header", "cert"];
  if (header !== undefined && !HEADER_NAME.test(header)) {
    p.error(at, `invalid header name '${header}' (want a token such as X-Tls-Client-Cert)`);
  } else if (header !== undefined && RESERVED_HEADERS.has(header.toLowerCase())) {
    p.error(at, `'${header}' is a standard HTTP header (want one such as X-Tls-Client-Cert)`);
  }
  if (proxies.size === 0) return {};
  if (header === undefined) {
    p.error(at, "required when tls.proxy.identities is set (e.g. X-Tls-Client-Cert)");
    return {};
  }
  return { proxy: { identities: [...proxies], header } };
}

function normalizeTls(raw: RawConfig, p: Problems): Config["tls"] {
  const tls = raw.tls;
  const key = readRequired(p, ["tls", "key"], tls?.key);
  const cert = readRequired(p, ["tls", "cert"], tls?.cert);
  // KES compat, kes-api.md §1.1: "" | on | off, compared case-insensitively.
  const mode = (tls?.auth ?? "").toLowerCase();
  if (mode !== "" && mode !== "on" && mode !== "off") {
    p.error(["tls", "auth"], `invalid auth '${tls?.auth ?? ""}' (want on or off)`);
  }
  const auth = mode === "on" ? "on" : "off";
  const ca = readOptional(tls?.ca);
  const trustSystemRoots = tls?.trust_system_roots ?? false;
  if (trustSystemRoots && (auth !== "on" || ca === undefined)) {
    p.warn(["tls", "trust_system_roots"], "has no effect without tls.auth: on and tls.ca");
  }
  return { key, cert, password: readOptional(tls?.password), auth, ca, trustSystemRoots };
}

function normalizePolicies(
  raw: RawConfig,
  admin: string,
  proxies: ReadonlySet<string>,
  p: Problems,
): PolicyConfig[] {
  const owner = new Map<string, string>();
  return Object.entries(raw.policy ?? {}).map(([name, policy]) => {
    if (!isValidName(name)) p.error(["policy", name], `invalid policy name '${name}'`);
    const identities: string[] = [];
    (policy.identities ?? []).forEach((id, i) => {
      const at = ["policy", name, "identities", i];
      const current = owner.get(id);
      if (!isValidName(id)) p.error(at, `invalid identity '${id}'`);
      else if (id === admin) p.error(at, "the admin identity cannot be assigned to a policy");
      else if (proxies.has(id))
        p.error(at, `identity '${id}' is a TLS proxy and cannot be assigned to a policy`);
      else if (current === name)
        return; // listed twice in one policy: harmless
      else if (current !== undefined) {
        p.error(at, `cannot assign policy '${name}' to '${id}': identity already has a policy`);
      } else {
        checkPolicyIdentity(id, at, p);
        owner.set(id, name);
        identities.push(id);
      }
    });
    checkPolicyPatterns(name, policy.allow, policy.deny, p);
    const allow = [...new Set(policy.allow ?? [])];
    const deny = [...new Set(policy.deny ?? [])];
    return { name, allow, deny, identities };
  });
}

function normalizeCache(raw: RawConfig, p: Problems): Config["cache"] {
  const expiry = raw.cache?.expiry;
  const at = (field: string) => ["cache", "expiry", field];
  // KES compat, kes-api.md §9: 0 means default; unused defaults to 30 s (not KES's `any` bug).
  return {
    anyMs: positiveOr(readDuration(p, at("any"), expiry?.any), CACHE_EXPIRY_ANY_MS),
    unusedMs: positiveOr(readDuration(p, at("unused"), expiry?.unused), CACHE_EXPIRY_UNUSED_MS),
    offlineMs: readDuration(p, at("offline"), expiry?.offline) ?? 0,
    maxKeys: raw.cache?.max_keys ?? CACHE_MAX_KEYS,
    refreshMs: positiveOr(readDuration(p, at("refresh"), expiry?.refresh), CACHE_REFRESH_MS),
  };
}

function normalizeApi(raw: RawConfig, p: Problems): Config["api"] {
  const entries = Object.entries(raw.api ?? {}).map(([route, settings]) => {
    const timeout = readDuration(p, ["api", route, "timeout"], settings.timeout);
    checkApiRoute(route, settings.skip_auth, p);
    const value = {
      skipAuth: settings.skip_auth ?? false,
      timeoutMs: positiveOr(timeout, 0) || undefined,
    };
    return [route, value] as const;
  });
  return Object.fromEntries(entries);
}

function readLevel(p: Problems, field: string, text: string | undefined): LogLevel {
  if (text === undefined) return LOG_LEVEL_INFO;
  try {
    return parseLogLevel(text);
  } catch (err) {
    p.error(["log", field], (err as Error).message);
    return LOG_LEVEL_INFO;
  }
}

function normalizeKeys(raw: RawConfig, p: Problems): Config["keys"] {
  const seen = new Set<string>();
  const keys: Config["keys"] = [];
  (raw.keys ?? []).forEach((entry, i) => {
    const name = readRequired(p, ["keys", i, "name"], entry.name);
    if (name === "") return;
    const rotateMs = readRotatePeriod(p, ["keys", i, "rotate"], entry.rotate);
    if (seen.has(name)) p.error(["keys", i, "name"], `key '${name}' is listed more than once`);
    else keys.push(rotateMs > 0 ? { name, rotateMs } : { name });
    seen.add(name);
  });
  return keys;
}

/** A rotation period: 0 (none) or MIN_ROTATE_PERIOD_MS..MAX_ROTATE_PERIOD_MS; `90d` style. */
function readRotatePeriod(p: Problems, at: Segment[], text: string | undefined): number {
  const ms = readDuration(p, at, text, { days: true }) ?? 0;
  if (ms === 0) return 0;
  if (ms < MIN_ROTATE_PERIOD_MS || ms > MAX_ROTATE_PERIOD_MS) {
    p.error(at, `rotation period '${text}' is out of range (want 0 or 1s to 36500d)`);
    return 0;
  }
  return Math.round(ms);
}

/** `keystore.deletion` (keyfront): the recovery window of deleted keys; default 0 (KES). */
function normalizeDeletion(raw: RawConfig, p: Problems): Config["deletion"] {
  const d = raw.keystore?.deletion;
  const at = (field: string) => ["keystore", "deletion", field];
  let windowMs = readDuration(p, at("window"), d?.window, { days: true }) ?? 0;
  if (windowMs > MAX_DELETION_WINDOW_MS) {
    p.error(at("window"), `deletion window '${d?.window}' is longer than 365d`);
    windowMs = 0;
  }
  const decrypt = d?.decrypt ?? "deny";
  if (decrypt !== "deny" && decrypt !== "allow") {
    p.error(at("decrypt"), `invalid value '${decrypt}' (want deny or allow)`);
  }
  return { windowMs: Math.round(windowMs), decrypt: decrypt === "allow" ? "allow" : "deny" };
}

function normalizeKeystore(raw: RawConfig, env: Env, p: Problems): KeystoreConfig {
  const { deletion: _settings, ...ks } = raw.keystore ?? {};
  const named = Object.keys(ks);
  for (const name of UNSUPPORTED_KEYSTORES) {
    if (Object.hasOwn(ks, name)) {
      const why = `the '${name}' keystore is not supported by keyfront (supported: fs, vault)`;
      p.error(["keystore", name], why);
    }
  }
  if (named.length === 0) p.error(["keystore"], "no keystore specified");
  if (named.length > 1) p.error(["keystore"], "more than one keystore specified");
  if (ks.vault !== undefined) return { kind: "vault", vault: normalizeVault(ks.vault, env, p) };
  const path = ks.fs === undefined ? "" : readRequired(p, ["keystore", "fs", "path"], ks.fs.path);
  return { kind: "fs", fs: { path } };
}
