// Fault injection of the Vault test server: latency, N failing answers, N dropped connections,
// N K/V writes acknowledged but not stored (lost), N K/V reads answered 404 (lagging), seal/unseal, standby, uninitialised, token revocation — through the programmatic `VaultFaults`
// and the root-token-protected `/__test/` admin endpoints, so tests in another process can script
// outages. Admin endpoints are never subject to faults and must never be reachable without the
// root token.

import type { IncomingMessage, ServerResponse } from "node:http";
import { writeErrors, writeJson } from "./envelope.js";
import type { ServerState } from "./state.js";
import { sealVault, unsealVault } from "./sys.js";
import { revokeToken } from "./token-store.js";
import { isObject } from "./util.js";

export interface VaultFaults {
  setLatency(ms: number): void;
  failNext(count: number, status?: number): void;
  dropNext(count: number): void;
  /** The next `count` K/V writes answer success (v1 204, v2 200 + metadata) but store nothing. */
  loseNextWrites(count: number): void;
  /** The next `count` K/V reads of a key answer 404 as if it were not written yet. */
  hideNextReads(count: number): void;
  seal(): void;
  unseal(): void;
  setStandby(standby: boolean): void;
  setInitialized(initialized: boolean): void;
  revokeToken(token: string): void;
  reset(): void;
}

/** The error text an injected failure carries, Vault-like per status. */
export function faultMessage(status: number, path: string): string {
  switch (status) {
    case 400: // a freshly mounted K/V v2 (vault-api.md §3.8), seen on OpenBao with raft storage
      return "Upgrading from non-versioned to versioned data. This backend will be unavailable for a brief period and will resume service shortly.";
    case 412:
      return "required index state not present";
    case 429:
      return `request path "${path}": rate limit quota exceeded`;
    case 502:
      return "upstream rate limited";
    case 503:
      return "no active Vault instance found";
    default:
      return `injected fault: status ${status}`;
  }
}

export function createFaults(state: ServerState): VaultFaults {
  return {
    setLatency(ms) {
      state.faults.latencyMs = Math.max(0, ms);
    },
    failNext(count, status = 500) {
      state.faults.failCount = Math.max(0, count);
      state.faults.failStatus = status;
    },
    dropNext(count) {
      state.faults.dropCount = Math.max(0, count);
    },
    loseNextWrites(count) {
      state.faults.loseWrites = Math.max(0, count);
    },
    hideNextReads(count) {
      state.faults.hideReads = Math.max(0, count);
    },
    seal() {
      sealVault(state);
    },
    unseal() {
      state.seal.initialized = true;
      unsealVault(state);
    },
    setStandby(standby) {
      state.health.standby = standby;
    },
    setInitialized(initialized) {
      state.seal.initialized = initialized;
    },
    revokeToken(token) {
      revokeToken(state, token);
    },
    reset() {
      state.faults.latencyMs = 0;
      state.faults.failCount = 0;
      state.faults.failStatus = 500;
      state.faults.dropCount = 0;
      state.faults.loseWrites = 0;
      state.faults.hideReads = 0;
      state.health.standby = false;
      state.health.perfStandby = false;
      state.health.drSecondary = false;
      state.seal.initialized = true;
      unsealVault(state);
    },
  };
}

/** True (and counted down) when this K/V write is to be acknowledged but not stored. */
export function loseThisWrite(state: ServerState): boolean {
  if (state.faults.loseWrites <= 0) return false;
  state.faults.loseWrites--;
  return true;
}

/** True (and counted down) when this K/V read is to be answered as if the key were not there. */
export function hideThisRead(state: ServerState): boolean {
  if (state.faults.hideReads <= 0) return false;
  state.faults.hideReads--;
  return true;
}

/** Sum of request counts whose path starts with `prefix`. */
export function countRequests(state: ServerState, prefix = ""): number {
  let n = 0;
  for (const [path, count] of state.requestCounts) if (path.startsWith(prefix)) n += count;
  return n;
}

function applyFaultBody(faults: VaultFaults, state: ServerState, b: Record<string, unknown>): void {
  if (b.reset === true) faults.reset();
  if (typeof b.latency_ms === "number") faults.setLatency(b.latency_ms);
  if (typeof b.fail_next === "number") {
    faults.failNext(b.fail_next, typeof b.status === "number" ? b.status : 500);
  }
  if (typeof b.drop_next === "number") faults.dropNext(b.drop_next);
  if (typeof b.lose_writes === "number") faults.loseNextWrites(b.lose_writes);
  if (typeof b.hide_reads === "number") faults.hideNextReads(b.hide_reads);
  if (b.sealed === true) faults.seal();
  if (b.sealed === false) faults.unseal();
  if (typeof b.standby === "boolean") faults.setStandby(b.standby);
  if (typeof b.performance_standby === "boolean") state.health.perfStandby = b.performance_standby;
  if (typeof b.dr_secondary === "boolean") state.health.drSecondary = b.dr_secondary;
  if (typeof b.initialized === "boolean") faults.setInitialized(b.initialized);
}

function faultSnapshot(state: ServerState): Record<string, unknown> {
  return {
    latency_ms: state.faults.latencyMs,
    fail_next: state.faults.failCount,
    status: state.faults.failStatus,
    drop_next: state.faults.dropCount,
    lose_writes: state.faults.loseWrites,
    hide_reads: state.faults.hideReads,
    sealed: state.seal.sealed,
    initialized: state.seal.initialized,
    standby: state.health.standby,
    performance_standby: state.health.perfStandby,
    dr_secondary: state.health.drSecondary,
  };
}

/**
 * `/__test/…` admin endpoints (root token required):
 * `GET|POST /__test/faults`, `POST /__test/revoke {"token"}`, `GET /__test/requests?prefix=`,
 * `DELETE /__test/requests`, `GET /__test/ca` (no token needed; 404 without TLS).
 */
export function handleAdmin(
  state: ServerState,
  faults: VaultFaults,
  caPem: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: unknown,
): void {
  const path = url.pathname.slice("/__test/".length);
  if (path === "ca" && req.method === "GET") {
    if (caPem === undefined) {
      writeErrors(res, 404, []);
      return;
    }
    res.writeHead(200, { "Content-Type": "application/x-pem-file", "Cache-Control": "no-store" });
    res.end(caPem);
    return;
  }
  if (req.headers["x-vault-token"] !== state.rootToken) {
    writeErrors(res, 403, ["permission denied"]);
    return;
  }
  const b = isObject(body) ? body : {};
  if (path === "faults" && (req.method === "POST" || req.method === "PUT")) {
    applyFaultBody(faults, state, b);
    writeJson(res, 200, faultSnapshot(state));
    return;
  }
  if (path === "faults" && req.method === "GET") {
    writeJson(res, 200, faultSnapshot(state));
    return;
  }
  if (path === "revoke" && req.method === "POST") {
    if (typeof b.token !== "string") {
      writeErrors(res, 400, ["missing token"]);
      return;
    }
    faults.revokeToken(b.token);
    writeJson(res, 200, { revoked: true });
    return;
  }
  if (path === "requests" && req.method === "GET") {
    const prefix = url.searchParams.get("prefix") ?? "";
    writeJson(res, 200, { count: countRequests(state, prefix), prefix });
    return;
  }
  if (path === "requests" && req.method === "DELETE") {
    state.requestCounts.clear();
    writeJson(res, 200, { count: 0 });
    return;
  }
  writeErrors(res, 404, []);
}
