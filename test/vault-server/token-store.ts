// Token bookkeeping of the Vault test server: minting service tokens, lazy TTL expiry against
// Date.now() (no timers), num_uses countdown, revocation, the `auth` block and lookup-self data
// (vault-api.md §5.1, §6). It must never let an expired, used-up or revoked token through.

import { type Policy, parsePolicy, RESPONSE_WRAPPING_POLICY_TEXT } from "./acl.js";
import {
  type Namespace,
  type ServerState,
  SYSTEM_DEFAULT_TTL,
  type TokenEntry,
  type WrapInfo,
} from "./state.js";
import { formatLocalNano, newUuid, randomAlnum } from "./util.js";

export interface MintOptions {
  ns: Namespace;
  policies: readonly string[];
  noDefaultPolicy?: boolean;
  path: string;
  displayName: string;
  meta?: Record<string, string> | null;
  ttl?: number; // seconds; 0/undefined = default
  maxTtl?: number; // seconds from issue; 0 = system max
  explicitMaxTtl?: number;
  period?: number;
  numUses?: number;
  renewable?: boolean;
  orphan?: boolean;
  role?: string;
  /** Root-style token: never expires, not renewable. */
  noExpiry?: boolean;
  id?: string;
  wrap?: WrapInfo;
}

/** Result of minting: the entry plus a capping warning when the TTL exceeded the max. */
export interface Minted {
  entry: TokenEntry;
  warnings: string[];
}

function tokenIdFor(ns: Namespace): string {
  const id = `hvs.${randomAlnum(90)}`;
  return ns.parent === undefined ? id : `${id}.${ns.id}`;
}

export function mintToken(state: ServerState, o: MintOptions): Minted {
  const now = Date.now();
  const policies = [...new Set([...o.policies, ...(o.noDefaultPolicy ? [] : ["default"])])]
    .filter((p) => p !== "")
    .sort();
  const warnings: string[] = [];
  const maxTtl = o.explicitMaxTtl || o.maxTtl || SYSTEM_DEFAULT_TTL;
  let ttl = o.period || o.ttl || SYSTEM_DEFAULT_TTL;
  if (!o.period && ttl > maxTtl) ttl = maxTtl;
  const noExpiry = o.noExpiry === true;
  const entry: TokenEntry = {
    id: o.id ?? tokenIdFor(o.ns),
    accessor: randomAlnum(24),
    policies: noExpiry && o.policies.includes("root") ? ["root"] : policies,
    ns: o.ns,
    path: o.path,
    displayName: o.displayName,
    meta: o.meta ?? null,
    issueTime: now,
    creationTtl: noExpiry ? 0 : ttl,
    expireAt: noExpiry ? 0 : now + ttl * 1000,
    maxExpireAt: noExpiry || (o.period && !o.explicitMaxTtl) ? 0 : now + maxTtl * 1000,
    explicitMaxTtl: o.explicitMaxTtl ?? 0,
    period: o.period ?? 0,
    numUses: o.numUses ?? 0,
    renewable: !noExpiry && (o.renewable ?? true),
    orphan: o.orphan ?? false,
    entityId: o.path.startsWith("auth/token/") ? "" : newUuid(),
    renewTtl: o.period || o.ttl || SYSTEM_DEFAULT_TTL,
    ...(o.role !== undefined ? { role: o.role } : {}),
    ...(o.wrap !== undefined ? { wrap: o.wrap } : {}),
  };
  state.tokens.set(entry.id, entry);
  return { entry, warnings };
}

/** The live entry for `id`, or undefined (unknown, revoked, expired or used up). */
export function findToken(state: ServerState, id: string): TokenEntry | undefined {
  const entry = state.tokens.get(id);
  if (entry === undefined) return undefined;
  if (entry.expireAt !== 0 && Date.now() >= entry.expireAt) {
    state.tokens.delete(id);
    return undefined;
  }
  return entry;
}

/** Counts one use of a token with num_uses; the last use revokes it (vault-api.md §6). */
export function useToken(state: ServerState, entry: TokenEntry): void {
  if (entry.numUses === 0) return;
  entry.numUses -= 1;
  if (entry.numUses === 0) {
    // The request that spends the last use still runs, and sees num_uses -1 (vault-diff).
    entry.numUses = -1;
    state.tokens.delete(entry.id);
  }
}

export function revokeToken(state: ServerState, id: string): boolean {
  return state.tokens.delete(id);
}

/** Policies of a token as objects, resolved in the token's namespace. */
export function policiesOf(entry: TokenEntry): Policy[] {
  if (entry.wrap !== undefined)
    return [parsePolicy("response-wrapping", RESPONSE_WRAPPING_POLICY_TEXT)];
  const out: Policy[] = [];
  for (const name of entry.policies) {
    if (name === "root") out.push({ name: "root", text: "", rules: [] });
    const p = entry.ns.policies.get(name);
    if (p !== undefined) out.push(p);
  }
  return out;
}

export function remainingTtl(entry: TokenEntry): number {
  return entry.expireAt === 0 ? 0 : Math.max(0, Math.round((entry.expireAt - Date.now()) / 1000));
}

/** The `auth` block of a login/create/renew reply (vault-api.md §1.2, §5.1). */
export function authBlockOf(entry: TokenEntry): Record<string, unknown> {
  return {
    client_token: entry.id,
    accessor: entry.accessor,
    policies: entry.policies,
    token_policies: entry.policies,
    metadata: entry.meta,
    lease_duration: remainingTtl(entry),
    renewable: entry.renewable,
    entity_id: entry.entityId,
    token_type: "service",
    orphan: entry.orphan,
    mfa_requirement: null,
    num_uses: entry.numUses,
  };
}

/** `data` of auth/token/lookup-self (vault-api.md §6). */
export function lookupDataOf(entry: TokenEntry): Record<string, unknown> {
  const data: Record<string, unknown> = {
    accessor: entry.accessor,
    creation_time: Math.floor(entry.issueTime / 1000),
    creation_ttl: entry.creationTtl,
    display_name: entry.displayName,
    entity_id: entry.entityId,
    expire_time: entry.expireAt === 0 ? null : formatLocalNano(entry.expireAt),
    explicit_max_ttl: entry.explicitMaxTtl,
    id: entry.id,
    issue_time: formatLocalNano(entry.issueTime),
    meta: entry.meta,
    num_uses: entry.numUses,
    orphan: entry.orphan,
    path: entry.path,
    policies: entry.policies,
    renewable: entry.renewable,
    ttl: remainingTtl(entry),
    type: "service",
  };
  if (entry.period !== 0) data.period = entry.period;
  if (entry.role !== undefined) data.role = entry.role;
  if (entry.lastRenewal !== undefined) {
    data.last_renewal_time = Math.floor(entry.lastRenewal / 1000);
    data.last_renewal = formatLocalNano(entry.lastRenewal);
  }
  if (entry.ns.parent !== undefined) data.namespace_path = entry.ns.path;
  return data;
}
