// The in-memory state of the Vault test server and the shapes every backend shares: namespaces,
// mounts, tokens, seal/health flags, and the logical request/reply passed between the HTTP layer
// and the backends. It is a test fixture: nothing here is ever persisted or encrypted.

import type { IncomingHttpHeaders } from "node:http";
import type { Policy } from "./acl.js";
import { newUuid, randomAlnum } from "./util.js";

export type Op = "read" | "list" | "create" | "update" | "delete" | "patch";

/** A backend reply; the HTTP layer turns it into Vault's envelope (vault-api.md §1.2, §1.3). */
export type Reply =
  | {
      kind: "response";
      status?: number;
      data?: unknown;
      auth?: Record<string, unknown> | null;
      warnings?: string[];
      leaseDuration?: number;
      mountType?: string;
      /** Copy `data` keys to the top level (sys/mounts, sys/auth, sys/policy…; §1.2). */
      inject?: boolean;
      /** Accessor reported as wrap_info.wrapped_accessor when this reply is wrapped. */
      wrappedAccessor?: string;
    }
  | { kind: "none" }
  | { kind: "error"; status: number; errors: string[] }
  | { kind: "raw"; status: number; body: string };

export interface Ctx {
  op: Op;
  /** Path relative to the mount ("data/app/key"). */
  path: string;
  /** Path relative to the namespace ("secret/data/app/key"). */
  fullPath: string;
  data: Record<string, unknown> | null;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The DER client certificates the TLS connection presented, leaf first ([] for none). */
  peerChain: readonly Buffer[];
  mount: Mount;
  ns: Namespace;
  token: TokenEntry | undefined;
  state: ServerState;
}

export interface Backend {
  /** POST/PUT existence check: true → update, false → create, undefined → no check (update). */
  exists?(ctx: Ctx): boolean | undefined;
  handle(ctx: Ctx): Reply | Promise<Reply>;
}

export interface Mount {
  path: string; // "secret/" (auth mounts without the "auth/" prefix)
  type: string;
  description: string;
  options: Record<string, string> | null;
  accessor: string;
  uuid: string;
  local: boolean;
  backend: Backend;
}

export interface Namespace {
  id: string;
  uuid: string;
  /** "" for root, "ns1/" or "ns1/ns2/" otherwise. */
  path: string;
  parent: Namespace | undefined;
  children: Map<string, Namespace>;
  mounts: Map<string, Mount>;
  authMounts: Map<string, Mount>;
  policies: Map<string, Policy>;
}

export interface WrapInfo {
  reply: Reply & { kind: "response" };
  mountType: string;
  creationPath: string;
  creationTime: string;
  ttl: number;
  wrappedAccessor?: string;
}

export interface TokenEntry {
  id: string;
  accessor: string;
  policies: string[];
  ns: Namespace;
  path: string;
  displayName: string;
  meta: Record<string, string> | null;
  issueTime: number;
  /** TTL at creation, seconds (0 = never expires). */
  creationTtl: number;
  /** Absolute expiry in ms, 0 = never. */
  expireAt: number;
  /** Hard cap in ms from issue time, 0 = none. */
  maxExpireAt: number;
  explicitMaxTtl: number;
  period: number;
  /** Remaining uses, 0 = unlimited. */
  numUses: number;
  renewable: boolean;
  orphan: boolean;
  entityId: string;
  role?: string;
  /** TTL a renewal without increment grants, seconds. */
  renewTtl: number;
  lastRenewal?: number;
  wrap?: WrapInfo;
  /** The auth method's renewal check (cert: same certificate, role still trusting it). */
  renewCheck?: (ctx: Ctx, entry: TokenEntry) => Reply | undefined;
}

export interface SealState {
  initialized: boolean;
  sealed: boolean;
  threshold: number;
  shares: Buffer[];
  progress: Buffer[];
  nonce: string;
}

export interface FaultState {
  latencyMs: number;
  failCount: number;
  failStatus: number;
  dropCount: number;
  /** K/V writes still to be answered as successful without being stored (a lost write). */
  loseWrites: number;
  /** K/V reads still to be answered 404 as if the key were not there yet (a lagging standby). */
  hideReads: number;
}

export interface ServerState {
  enterprise: boolean;
  root: Namespace;
  tokens: Map<string, TokenEntry>;
  seal: SealState;
  health: { standby: boolean; perfStandby: boolean; drSecondary: boolean };
  /** Set on the nodes of an HA cluster (ha.ts): where the active node is, and forwarding. */
  ha?: { activeAddr: string | undefined; forwarding: boolean };
  faults: FaultState;
  requestCounts: Map<string, number>;
  rootToken: string;
  clusterId: string;
  mountFactory: (type: string, options: Record<string, string> | null) => Backend | undefined;
}

export const SYSTEM_DEFAULT_TTL = 2_764_800; // 768h, vault-api.md §1.2
export const VAULT_VERSION = "1.17.0";

export function newNamespace(path: string, parent: Namespace | undefined): Namespace {
  return {
    id: parent === undefined ? "root" : randomAlnum(5),
    uuid: newUuid(),
    path,
    parent,
    children: new Map(),
    mounts: new Map(),
    authMounts: new Map(),
    policies: new Map(),
  };
}

export function newMount(
  path: string,
  type: string,
  options: Record<string, string> | null,
  backend: Backend,
  description = "",
): Mount {
  const prefix = type === "approle" || type === "token" || type === "cert" ? "auth" : type;
  return {
    path,
    type,
    description,
    options,
    accessor: `${prefix}_${randomAlnum(8).toLowerCase()}`,
    uuid: newUuid(),
    local: false,
    backend,
  };
}

/** A 200 envelope with `data`. */
export function ok(
  data: unknown,
  extra: Partial<Extract<Reply, { kind: "response" }>> = {},
): Reply {
  return { kind: "response", data, ...extra };
}

/** A nil logical response: 204 on writes, 404 `{"errors":[]}` on reads and lists. */
export function none(): Reply {
  return { kind: "none" };
}

export function fail(status: number, ...errors: string[]): Reply {
  return { kind: "error", status, errors };
}

/** A non-envelope JSON body, as Vault's HTTP-layer handlers (health, seal-status, init) write. */
export function rawJson(body: unknown, status = 200): Reply {
  return { kind: "raw", status, body: `${JSON.stringify(body)}\n` };
}
