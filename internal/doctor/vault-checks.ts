// Checks of the Vault hop, each bounded by DOCTOR_CHECK_TIMEOUT_MS: every endpoint answers over
// verified TLS (sys/health, unauthenticated), its seal/standby state, the login, the mount's
// type and K/V version against the config (mount.ts's judge), and the token's capabilities on the
// key paths (sys/capabilities-self). It must never log or print a token, secret ID or JWT.

import type { VaultConfig } from "../config/config.js";
import { hostsFileLookup } from "../keystore/vault/hosts.js";
import {
  describeResponse,
  VaultHttpClient,
  type VaultTlsMaterial,
} from "../keystore/vault/http.js";
import * as kv from "../keystore/vault/kv.js";
import { Authenticator, loginNamespace } from "../keystore/vault/login.js";
import { judgeMount } from "../keystore/vault/mount.js";
import { DOCTOR_CHECK_TIMEOUT_MS } from "../limits.js";
import { type CheckResult, fail, ok, warn } from "./report.js";
import { causeText, checkEndpoint } from "./vault-reach.js";

const timeout = () => AbortSignal.timeout(DOCTOR_CHECK_TIMEOUT_MS);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export async function checkVault(v: VaultConfig, tls: VaultTlsMaterial): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  let usable: VaultHttpClient | undefined;
  for (const endpoint of v.endpoints) {
    const client = clientFor(v, endpoint, tls);
    const healthy = await checkEndpoint(client, endpoint, out);
    if (healthy && usable === undefined) usable = client;
    else client.close();
  }
  if (usable === undefined) return out;
  try {
    const token = await checkLogin(usable, v, out);
    if (token === undefined) return out;
    // The key paths depend on the layout: asked about only once the mount matches the config.
    if (await checkMount(usable, v, token, out)) await checkCapabilities(usable, v, token, out);
  } finally {
    usable.close();
  }
  return out;
}

function clientFor(v: VaultConfig, endpoint: string, tls: VaultTlsMaterial): VaultHttpClient {
  const timeoutMs = Math.min(v.timeoutMs, DOCTOR_CHECK_TIMEOUT_MS);
  // The server's own name lookup (KEYFRONT_VAULT_HOSTS_FILE), so doctor reaches the same node.
  const lookup = v.hostsFile === undefined ? undefined : hostsFileLookup(v.hostsFile);
  return new VaultHttpClient({ endpoints: [endpoint], timeoutMs, tls, lookup });
}

async function checkLogin(
  client: VaultHttpClient,
  v: VaultConfig,
  out: CheckResult[],
): Promise<string | undefined> {
  const a = v.auth;
  const namespace = a.kind === "token" ? v.namespace : loginNamespace(a.namespace, v.namespace);
  try {
    const lease = await new Authenticator(a).login({ client, namespace, signal: timeout() });
    const ttl = lease.ttlMs === 0 ? "no expiry" : `TTL ${Math.round(lease.ttlMs / 1000)} s`;
    out.push(ok("vault.auth", `logged in with ${a.kind} (token ${ttl})`));
    return lease.token;
  } catch (err) {
    const hint =
      a.kind === "approle"
        ? "check keystore.vault.approle (engine, id, secret) and that the secret ID is still valid"
        : a.kind === "token"
          ? "check keystore.vault.token / VAULT_TOKEN: it may be expired or revoked"
          : a.kind === "cert"
            ? "check keystore.vault.cert (engine, name) and that the role trusts keystore.vault.tls.cert, which must not be expired"
            : "check keystore.vault.kubernetes (engine, role, jwt)";
    out.push(fail("vault.auth", `cannot log in with ${a.kind}: ${(err as Error).message}`, hint));
    return undefined;
  }
}

function layoutOf(v: VaultConfig): kv.KvLayout {
  return { engine: v.engine, version: v.version, prefix: v.prefix };
}

async function checkMount(
  client: VaultHttpClient,
  v: VaultConfig,
  token: string,
  out: CheckResult[],
): Promise<boolean> {
  const engine = kv.joinPath(v.engine);
  const path = `sys/internal/ui/mounts/${engine.split("/").map(encodeURIComponent).join("/")}`;
  try {
    const res = await client.request({
      method: "GET",
      path,
      token,
      namespace: v.namespace,
      retries: 0,
      signal: timeout(),
    });
    const verdict = judgeMount(layoutOf(v), v.namespace, res);
    if (verdict === undefined) {
      out.push(
        fail("vault.mount", `cannot check the mount '${engine}/': ${describeResponse(res)}`),
      );
      return false;
    }
    if (verdict.kind === "mismatch") {
      out.push(fail("vault.mount", verdict.message.replace(/^vault: /, "")));
      return false;
    }
    out.push(
      ok("vault.mount", `mount '${verdict.path}/' is K/V ${verdict.version}, as configured`),
    );
    return true;
  } catch (err) {
    out.push(fail("vault.mount", `cannot check the mount '${engine}/': ${causeText(err)}`));
    return false;
  }
}

/** The capabilities keyfront needs on each path (vault-api.md §2, §3; README "Vault keystore"). */
export function neededCapabilities(v: VaultConfig): Map<string, string[]> {
  const l = layoutOf(v);
  const unescaped = (p: string) => p.split("/").map(decodeURIComponent).join("/");
  const name = "keyfront-doctor-check";
  const need = new Map<string, string[]>();
  const add = (path: string, caps: string[]) =>
    need.set(path, [...(need.get(path) ?? []), ...caps]);
  add(unescaped(kv.dataPath(l, name)), ["create", "read"]);
  add(unescaped(kv.deletePath(l, name)), ["delete"]);
  add(unescaped(kv.listPath(l)), ["list"]);
  if (v.transit) {
    add(kv.joinPath(v.transit.engine, "encrypt", v.transit.key), ["update"]);
    add(kv.joinPath(v.transit.engine, "decrypt", v.transit.key), ["update"]);
  }
  return need;
}

async function checkCapabilities(
  client: VaultHttpClient,
  v: VaultConfig,
  token: string,
  out: CheckResult[],
) {
  const need = neededCapabilities(v);
  const paths = [...need.keys()];
  let res: Awaited<ReturnType<VaultHttpClient["request"]>>;
  try {
    res = await client.request({
      method: "POST",
      path: "sys/capabilities-self",
      body: { paths },
      token,
      namespace: v.namespace,
      retries: 0,
      signal: timeout(),
    });
  } catch (err) {
    out.push(
      fail(
        "vault.capabilities",
        `cannot ask Vault for the token's capabilities: ${causeText(err)}`,
      ),
    );
    return;
  }
  const data =
    isObject(res.body) && isObject(res.body.data)
      ? res.body.data
      : isObject(res.body)
        ? res.body
        : {};
  if (res.status !== 200) {
    out.push(
      warn(
        "vault.capabilities",
        `cannot ask Vault for the token's capabilities (sys/capabilities-self: ${describeResponse(res)})`,
        "grant the token 'update' on sys/capabilities-self (Vault's default policy does), or run with --probe",
      ),
    );
    return;
  }
  const lacking: string[] = [];
  for (const [path, caps] of need) {
    const raw = data[path];
    const have = Array.isArray(raw) ? raw.map(String) : [];
    if (have.includes("root")) continue;
    const missing = have.includes("deny") ? caps : caps.filter((c) => !have.includes(c));
    if (missing.length > 0)
      lacking.push(`${missing.join(", ")} on ${path} (has: ${have.join(", ") || "nothing"})`);
  }
  if (lacking.length > 0) {
    out.push(
      fail(
        "vault.capabilities",
        `the token lacks ${lacking.join("; ")}`,
        'grant the Vault policy of README "Vault keystore" to keyfront\'s token or AppRole',
      ),
    );
  } else {
    out.push(
      ok(
        "vault.capabilities",
        `the token has ${paths.map((p) => `${need.get(p)?.join("+")} on ${p}`).join(", ")}`,
      ),
    );
  }
}
