// AppRole auth backend of the Vault test server: roles with token_* and secret_id_* settings,
// role-id read/set, secret-id generation (wrappable), lookup/destroy, and login with Vault's
// errors and auth block (vault-api.md §5, quirks 18, 19). It must never accept a used-up or
// expired secret ID, and answers wrong role and wrong secret alike.

import { type Backend, type Ctx, fail, none, ok, type Reply } from "./state.js";
import { authBlockOf, mintToken } from "./token-store.js";
import {
  formatGoDuration,
  isObject,
  multiError,
  newUuid,
  parseDurationSeconds,
  stringList,
  weakBool,
} from "./util.js";

interface SecretId {
  accessor: string;
  numUses: number;
  expireAt: number;
  created: number;
  ttl: number;
  metadata: Record<string, string>;
}

interface Role {
  name: string;
  roleId: string;
  bindSecretId: boolean;
  secretIdNumUses: number;
  secretIdTtl: number;
  tokenTtl: number;
  tokenMaxTtl: number;
  tokenPeriod: number;
  tokenPolicies: string[];
  tokenNumUses: number;
  tokenNoDefaultPolicy: boolean;
  tokenExplicitMaxTtl: number;
  secretIds: Map<string, SecretId>;
}

const INVALID = "invalid role or secret ID";
const DURATIONS = [
  "token_ttl",
  "token_max_ttl",
  "token_period",
  "secret_id_ttl",
  "token_explicit_max_ttl",
] as const;

function newRole(name: string): Role {
  return {
    name,
    roleId: newUuid(),
    bindSecretId: true,
    secretIdNumUses: 0,
    secretIdTtl: 0,
    tokenTtl: 0,
    tokenMaxTtl: 0,
    tokenPeriod: 0,
    tokenPolicies: [],
    tokenNumUses: 0,
    tokenNoDefaultPolicy: false,
    tokenExplicitMaxTtl: 0,
    secretIds: new Map(),
  };
}

function roleData(r: Role): Record<string, unknown> {
  return {
    bind_secret_id: r.bindSecretId,
    local_secret_ids: false,
    period: r.tokenPeriod,
    policies: r.tokenPolicies,
    secret_id_bound_cidrs: null,
    secret_id_num_uses: r.secretIdNumUses,
    secret_id_ttl: r.secretIdTtl,
    token_bound_cidrs: [],
    token_explicit_max_ttl: r.tokenExplicitMaxTtl,
    token_max_ttl: r.tokenMaxTtl,
    token_no_default_policy: r.tokenNoDefaultPolicy,
    token_num_uses: r.tokenNumUses,
    token_period: r.tokenPeriod,
    token_policies: r.tokenPolicies,
    token_ttl: r.tokenTtl,
    token_type: "default",
  };
}

function writeRole(roles: Map<string, Role>, name: string, d: Record<string, unknown>): Reply {
  const role = roles.get(name) ?? newRole(name);
  const secs: Partial<Record<(typeof DURATIONS)[number], number>> = {};
  for (const field of DURATIONS) {
    const raw = field === "token_period" ? (d.token_period ?? d.period) : d[field];
    if (raw === undefined) continue;
    const v = parseDurationSeconds(raw);
    if (v === undefined || v < 0) return fail(400, `invalid value for ${field}`);
    secs[field] = v;
  }
  role.tokenTtl = secs.token_ttl ?? role.tokenTtl;
  role.tokenMaxTtl = secs.token_max_ttl ?? role.tokenMaxTtl;
  role.tokenPeriod = secs.token_period ?? role.tokenPeriod;
  role.secretIdTtl = secs.secret_id_ttl ?? role.secretIdTtl;
  role.tokenExplicitMaxTtl = secs.token_explicit_max_ttl ?? role.tokenExplicitMaxTtl;
  if (role.tokenMaxTtl > 0 && role.tokenTtl > role.tokenMaxTtl) {
    return fail(400, "token_ttl should not be greater than token_max_ttl");
  }
  const policies = d.token_policies ?? d.policies;
  if (policies !== undefined) role.tokenPolicies = stringList(policies).sort();
  if (d.bind_secret_id !== undefined) role.bindSecretId = weakBool(d.bind_secret_id, true);
  if (d.secret_id_num_uses !== undefined) role.secretIdNumUses = Number(d.secret_id_num_uses) || 0;
  if (d.token_num_uses !== undefined) role.tokenNumUses = Number(d.token_num_uses) || 0;
  if (d.token_no_default_policy !== undefined) {
    role.tokenNoDefaultPolicy = weakBool(d.token_no_default_policy, false);
  }
  roles.set(name, role);
  return none();
}

function generateSecretId(role: Role, d: Record<string, unknown>, custom?: string): Reply {
  const numUses = d.num_uses === undefined ? role.secretIdNumUses : Number(d.num_uses);
  const ttl = d.ttl === undefined ? role.secretIdTtl : parseDurationSeconds(d.ttl);
  if (!Number.isInteger(numUses) || numUses < 0) return fail(400, "num_uses cannot be negative");
  if (ttl === undefined || ttl < 0) return fail(400, "invalid ttl");
  if (role.secretIdNumUses > 0 && (numUses === 0 || numUses > role.secretIdNumUses)) {
    return fail(400, "num_uses cannot be higher than the role's secret_id_num_uses");
  }
  if (role.secretIdTtl > 0 && (ttl === 0 || ttl > role.secretIdTtl)) {
    return fail(400, "ttl cannot be longer than the role's secret_id_ttl");
  }
  let metadata: Record<string, string> = {};
  if (typeof d.metadata === "string" && d.metadata !== "") {
    try {
      const parsed: unknown = JSON.parse(d.metadata);
      if (isObject(parsed))
        metadata = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    } catch {
      return fail(400, "failed to parse metadata: invalid JSON");
    }
  }
  const secretId = custom ?? newUuid();
  const accessor = newUuid();
  const now = Date.now();
  role.secretIds.set(secretId, {
    accessor,
    numUses,
    ttl,
    created: now,
    expireAt: ttl > 0 ? now + ttl * 1000 : 0,
    metadata,
  });
  return ok(
    {
      secret_id: secretId,
      secret_id_accessor: accessor,
      secret_id_ttl: ttl,
      secret_id_num_uses: numUses,
    },
    { wrappedAccessor: accessor },
  );
}

/** Consumes one use of a secret ID; false when unknown, expired or used up. */
function consumeSecretId(role: Role, secretId: string): SecretId | undefined {
  const entry = role.secretIds.get(secretId);
  if (entry === undefined) return undefined;
  if (entry.expireAt !== 0 && Date.now() >= entry.expireAt) {
    role.secretIds.delete(secretId);
    return undefined;
  }
  if (entry.numUses > 0 && --entry.numUses === 0) role.secretIds.delete(secretId);
  return entry;
}

function login(ctx: Ctx, roles: Map<string, Role>): Reply {
  const d = ctx.data ?? {};
  const roleId = typeof d.role_id === "string" ? d.role_id : "";
  // The role is resolved before the login proper, where a missing ID is a plain error: 500.
  if (roleId === "") return fail(500, "missing role_id");
  const role = [...roles.values()].find((r) => r.roleId === roleId);
  if (role === undefined) return fail(400, INVALID);
  let meta: Record<string, string> = { role_name: role.name };
  if (role.bindSecretId) {
    const secretId = typeof d.secret_id === "string" ? d.secret_id : "";
    if (secretId === "") return fail(400, "missing secret_id");
    const entry = consumeSecretId(role, secretId);
    if (entry === undefined) return fail(400, INVALID);
    meta = { ...entry.metadata, role_name: role.name };
  }
  const { entry: token } = mintToken(ctx.state, {
    ns: ctx.ns,
    policies: role.tokenPolicies,
    noDefaultPolicy: role.tokenNoDefaultPolicy,
    path: ctx.fullPath,
    displayName: ctx.mount.path.replace(/\/$/, "").replaceAll("/", "-"),
    meta,
    ttl: role.tokenTtl,
    maxTtl: role.tokenMaxTtl,
    explicitMaxTtl: role.tokenExplicitMaxTtl,
    period: role.tokenPeriod,
    numUses: role.tokenNumUses,
    orphan: true,
  });
  const warnings =
    role.tokenMaxTtl > 0 && role.tokenTtl === 0 && role.tokenPeriod === 0
      ? [
          `TTL of "${formatGoDuration(2764800)}" exceeded the effective max_ttl of "${formatGoDuration(role.tokenMaxTtl)}"; TTL value is capped accordingly`,
        ]
      : undefined;
  return ok(null, { auth: authBlockOf(token), ...(warnings ? { warnings } : {}) });
}

function secretIdOps(ctx: Ctx, role: Role, sub: string): Reply {
  const d = ctx.data ?? {};
  if (sub === "secret-id" && ctx.op === "list") {
    const keys = [...role.secretIds.values()].map((s) => s.accessor).sort();
    return keys.length === 0 ? none() : ok({ keys });
  }
  if (sub === "secret-id") return generateSecretId(role, d);
  if (sub === "custom-secret-id")
    return generateSecretId(role, d, typeof d.secret_id === "string" ? d.secret_id : newUuid());
  const byAccessor = sub.startsWith("secret-id-accessor/");
  const wanted = byAccessor ? d.secret_id_accessor : d.secret_id;
  const found = [...role.secretIds].find(([id, s]) => (byAccessor ? s.accessor : id) === wanted);
  if (sub.endsWith("/destroy")) {
    if (found) role.secretIds.delete(found[0]);
    return none();
  }
  if (found === undefined) return none();
  const s = found[1];
  return ok({
    secret_id_accessor: s.accessor,
    secret_id_num_uses: s.numUses,
    secret_id_ttl: s.ttl,
    creation_time: new Date(s.created).toISOString(),
    expiration_time: s.expireAt === 0 ? "0001-01-01T00:00:00Z" : new Date(s.expireAt).toISOString(),
    metadata: s.metadata,
  });
}

function roleOps(ctx: Ctx, roles: Map<string, Role>, name: string, sub: string): Reply {
  const role = roles.get(name);
  if (sub === "") {
    if (ctx.op === "read") return role === undefined ? none() : ok(roleData(role));
    if (ctx.op === "delete") return roles.delete(name) ? none() : none();
    return writeRole(roles, name, ctx.data ?? {});
  }
  if (role === undefined) {
    return sub === "role-id" ? none() : fail(404, `role "${name}" does not exist`);
  }
  if (sub === "role-id") {
    if (ctx.op === "read") return ok({ role_id: role.roleId });
    if (typeof ctx.data?.role_id !== "string" || ctx.data.role_id === "")
      return fail(400, "missing role_id");
    role.roleId = ctx.data.role_id;
    return none();
  }
  return secretIdOps(ctx, role, sub);
}

export function createAppRoleBackend(): Backend {
  const roles = new Map<string, Role>();
  return {
    exists(ctx: Ctx): boolean | undefined {
      const m = /^role\/([^/]+)$/.exec(ctx.path);
      return m ? roles.has((m[1] as string).toLowerCase()) : undefined;
    },
    handle(ctx: Ctx): Reply {
      if (ctx.path === "login") return login(ctx, roles);
      if (ctx.path === "role" || ctx.path === "role/") {
        const keys = [...roles.keys()].sort();
        return ctx.op === "list" && keys.length > 0 ? ok({ keys }) : none();
      }
      const m = /^role\/([^/]+)\/?(.*)$/.exec(ctx.path);
      if (m === null) return fail(404, multiError("unsupported path"));
      return roleOps(
        ctx,
        roles,
        (m[1] as string).toLowerCase(),
        (m[2] as string).replace(/\/$/, ""),
      );
    },
  };
}
