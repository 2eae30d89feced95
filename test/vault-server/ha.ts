// HA clusters of the Vault test server: nodes on different loopback addresses that share one
// storage (mounts, secrets, tokens, policies — Vault HA on shared storage), each with its own
// seal, health, faults and request counts. A node is the active one or a standby; a standby
// (vault-api.md §10.1) answers a request it does not forward with 307 and `Location:` the active
// node's address plus the same path and query — always when the request carries
// X-Vault-No-Request-Forwarding or the node's forwarding is off — and 503 `no active Vault
// instance found` while no node is active. A forwarding standby serves the request from the shared
// storage, as forwarding would. It must never answer for sys/health, seal-status, unseal, init or
// leader (a standby serves those itself), and never while sealed (the seal check answers first).

import type { IncomingMessage, ServerResponse } from "node:http";
import { writeErrors } from "./envelope.js";
import type { ServerState } from "./state.js";

export interface HaControl {
  /** This node becomes the active one. */
  activate(): void;
  /**
   * This node becomes a standby of the node at `activeAddr` (undefined: no node is active yet);
   * with `forwarding: false` it redirects every request instead of serving it.
   */
  standBy(activeAddr: string | undefined, opts?: { forwarding?: boolean }): void;
}

/**
 * A new node's state for `peer`'s cluster: shared storage; its own seal, health, faults and
 * request counts (copies here, which the server then resets to a fresh node's).
 */
export function joinState(peer: ServerState): ServerState {
  const { ha: _peerRole, ...shared } = peer;
  return {
    ...shared,
    seal: { ...peer.seal, shares: [...peer.seal.shares] },
    health: { ...peer.health },
    faults: { ...peer.faults },
    requestCounts: new Map(),
  };
}

export function haControl(state: ServerState): HaControl {
  return {
    activate() {
      state.health.standby = false;
      state.ha = { activeAddr: undefined, forwarding: true };
    },
    standBy(activeAddr, opts = {}) {
      state.health.standby = true;
      state.ha = { activeAddr, forwarding: opts.forwarding ?? true };
    },
  };
}

const SERVED_BY_STANDBY = new Set(["sys/health", "sys/seal-status", "sys/unseal", "sys/init"]);

/** A standby's redirect or "no active node" answer; true when it answered. */
export function answerAsStandby(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  path: string,
): boolean {
  const ha = state.ha;
  if (ha === undefined || !state.health.standby || state.seal.sealed) return false;
  if (SERVED_BY_STANDBY.has(path) || path.startsWith("sys/leader")) return false;
  if (ha.activeAddr === undefined) {
    writeErrors(res, 503, ["no active Vault instance found"]);
    return true;
  }
  const noForwarding = req.headers["x-vault-no-request-forwarding"] !== undefined;
  if (ha.forwarding && !noForwarding) return false;
  res.writeHead(307, {
    Location: `${ha.activeAddr}${url.pathname}${url.search}`,
    "Cache-Control": "no-store",
    "Content-Length": 0,
  });
  res.end();
  return true;
}
