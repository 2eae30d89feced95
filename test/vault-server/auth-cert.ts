// TLS certificate auth backend of the Vault test server (`sys/auth` type `cert`): roles at
// `certs/<name>` holding a PEM CA (or a pinned non-CA leaf), token_* settings and
// allowed_common_names globs; login verifying the chain the TLS connection presented against the
// roles (all of them, or the one `name` picks); renewal bound to the login's certificate. It must
// never accept a certificate whose chain it has not verified.
//
// Vault facts (developer.hashicorp.com/vault/api-docs/auth/cert; answers checked against OpenBao
// 2.x over TLS, the spec's vault-api.md has no cert section):
// - `POST auth/<m>/login` `{"name": role}` or `{}`: unauthenticated; the credential is the TLS
//   client certificate. Vault's listener requests one without requiring or verifying it.
// - No certificate (also over plain HTTP): 400 "no client certificate found". No chain to a
//   trusted CA (wrong role, unknown role, untrusted CA): 400 "invalid certificate or no client
//   certificate supplied". Trusted but constraints unmet: 400 "no chain matching all constraints
//   could be found for this login certificate". An expired/not-yet-valid leaf or one without
//   clientAuth: 500 "failed to verify client's certificate: x509: …" (Go's text).
// - Success: the auth block with policies (+ default), metadata cert_name, common_name,
//   serial_number; renewable; lease_duration token_ttl. Token display name "cert-<display>".
// - `renew-self` of such a token re-verifies the connection's certificate against the role:
//   none → 400 "no client certificate found"; another certificate → 500 "failed to renew entry:
//   client identity during renewal not matching …". Ordinary calls need no certificate.
// - Role write: certificate missing or not PEM → 400 "failed to parse certificate"; a non-CA
//   leaf whose EKU lacks clientAuth → 400; token_ttl > token_max_ttl → 400.

import { X509Certificate } from "node:crypto";
import { verifyClientChain } from "./cert-verify.js";
import { type Backend, type Ctx, fail, none, ok, type Reply, type TokenEntry } from "./state.js";
import { authBlockOf, mintToken } from "./token-store.js";
import { multiError, parseDurationSeconds, stringList, weakBool } from "./util.js";

interface CertRole {
  name: string;
  certificate: string;
  certs: X509Certificate[];
  displayName: string;
  tokenPolicies: string[];
  tokenTtl: number;
  tokenMaxTtl: number;
  tokenPeriod: number;
  tokenNoDefaultPolicy: boolean;
  allowedCommonNames: string[];
}

// Vault's and OpenBao's texts (checked against OpenBao 2.x).
const NO_CERT = "no client certificate found";
const UNTRUSTED = "invalid certificate or no client certificate supplied";
const NO_MATCH = "no chain matching all constraints could be found for this login certificate";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

function parseCerts(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const out: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      out.push(new X509Certificate(block));
    } catch {
      // Vault skips what does not parse; an empty result is "failed to parse certificate".
    }
  }
  return out;
}

function writeRole(roles: Map<string, CertRole>, name: string, d: Record<string, unknown>): Reply {
  const old = roles.get(name);
  const certificate = typeof d.certificate === "string" ? d.certificate : (old?.certificate ?? "");
  const certs = parseCerts(certificate);
  const first = certs[0];
  if (first === undefined) return fail(400, "failed to parse certificate");
  const usages = first.keyUsage;
  if (!first.ca && usages !== undefined && !usages.includes(CLIENT_AUTH)) {
    return fail(
      400,
      "nonCA certificates should have TLS client authentication set as an extended key usage",
    );
  }
  const secs = (field: string, fallback: number): number | undefined => {
    if (d[field] === undefined) return fallback;
    const v = parseDurationSeconds(d[field]);
    return v === undefined || v < 0 ? undefined : v;
  };
  const tokenTtl = secs("token_ttl", old?.tokenTtl ?? 0);
  const tokenMaxTtl = secs("token_max_ttl", old?.tokenMaxTtl ?? 0);
  const tokenPeriod = secs("token_period", old?.tokenPeriod ?? 0);
  if (tokenTtl === undefined || tokenMaxTtl === undefined || tokenPeriod === undefined) {
    return fail(400, "invalid duration in token_ttl, token_max_ttl or token_period");
  }
  if (tokenMaxTtl > 0 && tokenTtl > tokenMaxTtl) {
    return fail(400, "'token_ttl' cannot be greater than 'token_max_ttl'");
  }
  const policies = d.token_policies ?? d.policies;
  const display = typeof d.display_name === "string" ? d.display_name : "";
  roles.set(name, {
    name,
    certificate,
    certs,
    displayName: display !== "" ? display : (old?.displayName ?? name),
    tokenPolicies:
      policies !== undefined ? stringList(policies).sort() : (old?.tokenPolicies ?? []),
    tokenTtl,
    tokenMaxTtl,
    tokenPeriod,
    tokenNoDefaultPolicy:
      d.token_no_default_policy !== undefined
        ? weakBool(d.token_no_default_policy, false)
        : (old?.tokenNoDefaultPolicy ?? false),
    allowedCommonNames:
      d.allowed_common_names !== undefined
        ? stringList(d.allowed_common_names)
        : (old?.allowedCommonNames ?? []),
  });
  return none();
}

function roleData(r: CertRole): Record<string, unknown> {
  return {
    allowed_common_names: r.allowedCommonNames.length > 0 ? r.allowedCommonNames : null,
    certificate: r.certificate,
    display_name: r.displayName,
    token_max_ttl: r.tokenMaxTtl,
    token_no_default_policy: r.tokenNoDefaultPolicy,
    token_period: r.tokenPeriod,
    token_policies: r.tokenPolicies,
    token_ttl: r.tokenTtl,
    token_type: "default",
  };
}

/** go-glob: `*` matches any run of characters, nothing else is special. */
function globMatch(pattern: string, text: string): boolean {
  const re = pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${re.join(".*")}$`, "s").test(text);
}

function commonNameOf(cert: X509Certificate): string {
  const line = cert.subject.split("\n").find((l) => l.startsWith("CN="));
  return line === undefined ? "" : line.slice(3);
}

function meetsConstraints(role: CertRole, leaf: X509Certificate): boolean {
  const cn = commonNameOf(leaf);
  return (
    role.allowedCommonNames.length === 0 || role.allowedCommonNames.some((p) => globMatch(p, cn))
  );
}

/**
 * The role the presented chain authenticates as (Vault's order: chain verification, pinned
 * non-CA certificates, then CA roles sorted by name), or Vault's error answer.
 */
function authenticate(
  roles: Map<string, CertRole>,
  presented: readonly Buffer[],
  name: string,
): CertRole | Reply {
  const leafDer = presented[0];
  if (leafDer === undefined) return fail(400, NO_CERT);
  const considered =
    name !== ""
      ? [roles.get(name)].filter((r): r is CertRole => r !== undefined)
      : [...roles.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const caRoles = considered.filter((r) => r.certs[0]?.ca === true);
  const roots = caRoles.flatMap((r) => r.certs);
  const verified = verifyClientChain(presented, roots, Date.now());
  if (verified.kind === "error") {
    return fail(500, `failed to verify client's certificate: ${verified.message}`);
  }
  const leaf = new X509Certificate(leafDer);
  for (const role of considered) {
    if (role.certs[0]?.ca !== true && role.certs[0]?.raw.equals(leaf.raw) === true) {
      if (meetsConstraints(role, leaf)) return role;
    }
  }
  if (verified.kind !== "chains") return fail(400, UNTRUSTED);
  for (const role of caRoles) {
    const inChain = verified.chains.some((chain) =>
      chain.some((c) => role.certs.some((t) => t.raw.equals(c.raw))),
    );
    if (inChain && meetsConstraints(role, leaf)) return role;
  }
  return fail(400, NO_MATCH);
}

const isReply = (v: CertRole | Reply): v is Reply => "kind" in v;

/**
 * A renewal re-authenticates against the login's role and must present the login's certificate;
 * a changed policy list refuses it (Vault's pathLoginRenew).
 */
function renewCheck(roles: Map<string, CertRole>, roleName: string, loginDer: Buffer) {
  return (ctx: Ctx, entry: TokenEntry): Reply | undefined => {
    const role = authenticate(roles, ctx.peerChain, roleName);
    if (isReply(role)) return role;
    if (!ctx.peerChain[0]?.equals(loginDer)) {
      return fail(
        500,
        multiError(
          "failed to renew entry: client identity during renewal not matching client identity used during login",
        ),
      );
    }
    const now = role.tokenPolicies.filter((p) => p !== "default").join(",");
    const had = entry.policies.filter((p) => p !== "default").join(",");
    if (now !== had) {
      return fail(500, multiError("failed to renew entry: policies have changed, not renewing"));
    }
    return undefined;
  };
}

function login(ctx: Ctx, roles: Map<string, CertRole>): Reply {
  const name = typeof ctx.data?.name === "string" ? ctx.data.name : "";
  const role = authenticate(roles, ctx.peerChain, name);
  if (isReply(role)) return role;
  const leafDer = ctx.peerChain[0] as Buffer;
  const leaf = new X509Certificate(leafDer);
  const { entry } = mintToken(ctx.state, {
    ns: ctx.ns,
    policies: role.tokenPolicies,
    noDefaultPolicy: role.tokenNoDefaultPolicy,
    path: ctx.fullPath,
    displayName: `cert-${role.displayName}`,
    meta: {
      cert_name: role.name,
      common_name: commonNameOf(leaf),
      serial_number: BigInt(`0x${leaf.serialNumber}`).toString(),
    },
    ttl: role.tokenTtl,
    maxTtl: role.tokenMaxTtl,
    period: role.tokenPeriod,
    orphan: true,
  });
  entry.renewCheck = renewCheck(roles, role.name, leafDer);
  return ok(null, { auth: authBlockOf(entry) });
}

export function createCertBackend(): Backend {
  const roles = new Map<string, CertRole>();
  return {
    exists(ctx: Ctx): boolean | undefined {
      const m = /^certs\/([^/]+)$/.exec(ctx.path);
      return m ? roles.has((m[1] as string).toLowerCase()) : undefined;
    },
    handle(ctx: Ctx): Reply {
      if (ctx.path === "login") {
        return ctx.op === "update" || ctx.op === "create"
          ? login(ctx, roles)
          : fail(405, multiError("unsupported operation"));
      }
      if (ctx.path === "certs/" || ctx.path === "certs") {
        const keys = [...roles.keys()].sort();
        return ctx.op === "list" && keys.length > 0 ? ok({ keys }) : none();
      }
      const m = /^certs\/([^/]+)$/.exec(ctx.path);
      if (m === null) return fail(404, multiError("unsupported path"));
      const name = (m[1] as string).toLowerCase();
      const role = roles.get(name);
      if (ctx.op === "read") return role === undefined ? none() : ok(roleData(role));
      if (ctx.op === "delete") {
        roles.delete(name);
        return none();
      }
      return writeRole(roles, name, ctx.data ?? {});
    },
  };
}
