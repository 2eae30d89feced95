// Health, seal status, unseal, init and seal of the Vault test server: `sys/health` with every
// code override and its body on non-2xx, Shamir-style unseal progress over the generated shares,
// and init of an uninitialised server (vault-api.md §7, quirks 7, 8). It must never unseal with a
// key that is not one of the current shares.

import { randomBytes } from "node:crypto";
import { fail, none, type Reply, rawJson, type ServerState, VAULT_VERSION } from "./state.js";
import { mintToken } from "./token-store.js";
import { parseGoBool } from "./util.js";

const HEALTH_CODES = {
  activecode: 200,
  standbycode: 429,
  drsecondarycode: 472,
  performancestandbycode: 473,
  haunhealthycode: 474,
  removedcode: 530,
  sealedcode: 503,
  uninitcode: 501,
} as const;

type CodeName = keyof typeof HEALTH_CODES;

/** Status and body of `sys/health`; undefined status means 400 `{"errors":[]}` (§7.1). */
export function healthOf(
  state: ServerState,
  query: URLSearchParams,
): { status: number; body: unknown } | undefined {
  const codes = { ...HEALTH_CODES } as Record<CodeName, number>;
  for (const name of Object.keys(HEALTH_CODES) as CodeName[]) {
    const raw = query.get(name);
    if (raw === null) continue;
    if (!/^-?\d+$/.test(raw)) return undefined;
    const code = Number(raw);
    if (code < 100 || code > 999) return undefined;
    codes[name] = code;
  }
  const flag = (name: string): boolean | undefined => {
    const raw = query.get(name);
    return raw === null || raw === "" ? false : parseGoBool(raw); // `?standbyok` alone = false
  };
  const standbyOk = flag("standbyok");
  const perfOk = flag("perfstandbyok");
  if (standbyOk === undefined || perfOk === undefined) return undefined;
  const { initialized, sealed } = state.seal;
  const h = state.health;
  let status = codes.activecode;
  if (!initialized) status = codes.uninitcode;
  else if (sealed) status = codes.sealedcode;
  else if (h.drSecondary) status = codes.drsecondarycode;
  else if (h.perfStandby && !perfOk) status = codes.performancestandbycode;
  else if (h.standby && !h.perfStandby && !standbyOk) status = codes.standbycode;
  const down = !initialized || sealed;
  const body: Record<string, unknown> = {
    initialized,
    sealed: down,
    standby: down || h.standby || h.perfStandby,
    performance_standby: !down && h.perfStandby,
    replication_performance_mode: down ? "unknown" : "disabled",
    replication_dr_mode: down ? "unknown" : h.drSecondary ? "secondary" : "disabled",
    server_time_utc: Math.floor(Date.now() / 1000),
    version: VAULT_VERSION,
    enterprise: state.enterprise,
    echo_duration_ms: 0,
    clock_skew_ms: 0,
    replication_primary_canary_age_ms: 0,
    removed_from_cluster: false,
    ha_connection_healthy: true,
    last_request_forwarding_heartbeat_ms: 0,
  };
  if (!down) {
    body.cluster_name = "vault-test-server";
    body.cluster_id = state.clusterId;
  }
  return { status, body };
}

export function sealStatusOf(state: ServerState): Record<string, unknown> {
  const s = state.seal;
  const body: Record<string, unknown> = {
    type: "shamir",
    initialized: s.initialized,
    sealed: !s.initialized || s.sealed,
    t: s.initialized ? s.threshold : 0,
    n: s.initialized ? s.shares.length : 0,
    progress: s.progress.length,
    nonce: s.nonce,
    version: VAULT_VERSION,
    build_date: "2024-06-10T10:11:34Z",
    migration: false,
    recovery_seal: false,
    storage_type: "inmem",
    removed_from_cluster: false,
  };
  if (s.initialized && !s.sealed) {
    body.cluster_name = "vault-test-server";
    body.cluster_id = state.clusterId;
  }
  return body;
}

function decodeKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0) return Buffer.from(text, "hex");
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0)
    return Buffer.from(text, "base64");
  return undefined;
}

/** `sys/unseal` (§7.3). */
export function unsealWith(state: ServerState, data: Record<string, unknown> | null): Reply {
  const s = state.seal;
  if (data?.reset === true) {
    if (s.initialized && !s.sealed) return fail(400, "vault is unsealed");
    s.progress = [];
    return rawJson(sealStatusOf(state));
  }
  if (typeof data?.key !== "string" || data.key === "") {
    return fail(400, "'key' must be specified in request body as JSON, or 'reset' set to true");
  }
  const key = decodeKey(data.key);
  if (key === undefined) return fail(400, "'key' must be a valid hex or base64 string");
  if (!s.initialized) return fail(400, "Vault is not initialized");
  if (!s.sealed) return rawJson(sealStatusOf(state));
  if (!s.progress.some((p) => p.equals(key))) s.progress.push(key);
  if (s.progress.length >= s.threshold) {
    const valid = s.progress.every((p) => s.shares.some((share) => share.equals(p)));
    s.progress = [];
    if (!valid) return fail(400, "Unseal failed, invalid key");
    s.sealed = false;
  }
  return rawJson(sealStatusOf(state));
}

export function sealVault(state: ServerState): void {
  state.seal.sealed = true;
  state.seal.progress = [];
}

export function unsealVault(state: ServerState): void {
  state.seal.sealed = false;
  state.seal.progress = [];
}

/** `sys/init` GET and POST (§7.5). */
export function initVault(
  state: ServerState,
  read: boolean,
  data: Record<string, unknown> | null,
): Reply {
  if (read) return rawJson({ initialized: state.seal.initialized });
  if (state.seal.initialized) return fail(400, "Vault is already initialized");
  const n = Number(data?.secret_shares ?? 1);
  const t = Number(data?.secret_threshold ?? 1);
  if (!Number.isInteger(n) || !Number.isInteger(t) || n < 1 || t < 1 || t > n) {
    return fail(
      400,
      "invalid seal configuration: threshold must be between 1 and the number of shares",
    );
  }
  const shares = Array.from({ length: n }, () => randomBytes(33));
  state.seal = { initialized: true, sealed: true, threshold: t, shares, progress: [], nonce: "" };
  const { entry } = mintToken(state, {
    ns: state.root,
    policies: ["root"],
    noDefaultPolicy: true,
    path: "auth/token/root",
    displayName: "root",
    noExpiry: true,
  });
  return rawJson({
    keys: shares.map((k) => k.toString("hex")),
    keys_base64: shares.map((k) => k.toString("base64")),
    root_token: entry.id,
  });
}

/** `sys/seal` after the ACL check (root or sudo; §7.4). */
export function sealByRequest(state: ServerState): Reply {
  sealVault(state);
  return none();
}
