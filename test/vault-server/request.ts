// The `/v1/` request pipeline of the Vault test server, in Vault's order: method → operation,
// body decoding, namespace resolution, unauthenticated HTTP-layer endpoints (health, seal-status,
// unseal, init), the seal check (before auth), token check (403 variants), mount routing,
// existence check (create vs update), ACL, backend, response wrapping, envelope
// (vault-api.md §1, §6, §7, §8). It must never run a backend before the seal, token and ACL checks.

import type { IncomingMessage, ServerResponse } from "node:http";
import { type Capability, capabilitiesOf } from "./acl.js";
import { writeEmpty, writeErrors, writeJson, writeReply } from "./envelope.js";
import { findRoute, relativeNsPrefix } from "./mounts.js";
import { isWithin, resolveNamespace } from "./namespaces.js";
import { chainOf } from "./peer-certs.js";
import type { Ctx, Namespace, Op, Reply, ServerState, TokenEntry } from "./state.js";
import { healthOf, initVault, sealStatusOf, unsealWith } from "./sys.js";
import { findToken, policiesOf, useToken } from "./token-store.js";
import { isObject, multiError, parseGoBool } from "./util.js";
import { lookupWrapping, parseWrapTtl, unwrapToken, wrapReply } from "./wrapping.js";

interface Parsed {
  op: Op;
  path: string;
  data: Record<string, unknown> | null;
  query: URLSearchParams;
}

const DENIED = multiError("permission denied");
const INVALID_TOKEN = multiError("permission denied", "invalid token");
const ROOT_ONLY = [
  "sys/health",
  "sys/seal-status",
  "sys/seal",
  "sys/unseal",
  "sys/init",
  "sys/step-down",
  "sys/leader",
];
const SUDO_PATHS = [/^sys\/seal$/, /^sys\/step-down$/, /^sys\/audit/, /^sys\/raw/];

/** Method and query → operation and request data (§1.1); a Reply when the request is refused. */
function parseRequest(req: IncomingMessage, url: URL, path: string, raw: Buffer): Parsed | Reply {
  const method = req.method ?? "GET";
  const query = url.searchParams;
  let op: Op;
  if (method === "GET") {
    const list = query.get("list");
    const asList = list === null ? false : parseGoBool(list);
    if (asList === undefined) return { kind: "error", status: 400, errors: [] };
    op = asList ? "list" : "read";
  } else if (method === "LIST") op = "list";
  else if (method === "POST" || method === "PUT") op = "update";
  else if (method === "DELETE") op = "delete";
  else if (method === "PATCH") op = "patch";
  else return { kind: "error", status: 405, errors: [] };
  if (op === "patch") {
    const ct = req.headers["content-type"] ?? "";
    if (ct.split(";")[0]?.trim() !== "application/merge-patch+json") {
      return {
        kind: "error",
        status: 415,
        errors: [`PATCH requires Content-Type of application/merge-patch+json, provided ${ct}`],
      };
    }
  }
  let data: Record<string, unknown> | null = null;
  if (op === "update" || op === "patch") {
    const decoded = decodeBody(req, raw);
    if (decoded === undefined)
      return { kind: "error", status: 400, errors: ["error parsing JSON"] };
    data = decoded;
    if (path.endsWith("/"))
      return { kind: "error", status: 400, errors: ["cannot write to a path ending in '/'"] };
  } else {
    const entries = [...query].filter(([k]) => k !== "list");
    data = entries.length === 0 ? null : Object.fromEntries(entries);
  }
  const finalPath = op === "list" && !path.endsWith("/") ? `${path}/` : path;
  return { op, path: finalPath, data, query };
}

/** JSON (or form) body → object; null when empty; undefined when malformed. */
function decodeBody(req: IncomingMessage, raw: Buffer): Record<string, unknown> | null | undefined {
  const text = raw.toString("utf8");
  const trimmed = text.trim();
  if (trimmed === "") return null;
  const form = (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
  if (form && !trimmed.startsWith("{") && !trimmed.startsWith("[")) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : value === null ? null : undefined;
  } catch {
    return undefined;
  }
}

function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers["x-vault-token"];
  if (typeof header === "string" && header !== "") return header;
  const auth = req.headers.authorization;
  if (typeof auth === "string" && auth.startsWith("Bearer ")) {
    const t = auth.slice(7).trim();
    return t === "" ? undefined : t;
  }
  return undefined;
}

/** Health, seal-status, unseal, init: before the seal check, no token (§7). */
function serveHttpLayer(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  p: Parsed,
): boolean {
  const method = req.method ?? "GET";
  switch (p.path) {
    case "sys/health": {
      const h = healthOf(state, p.query);
      if (h === undefined) writeErrors(res, 400, []);
      else if (method === "HEAD") writeEmpty(res, h.status);
      else if (method !== "GET") writeErrors(res, 405, []);
      else writeJson(res, h.status, h.body);
      return true;
    }
    case "sys/seal-status":
      if (method === "GET") writeJson(res, 200, sealStatusOf(state));
      else writeErrors(res, 405, []);
      return true;
    case "sys/unseal":
      if (p.op !== "update") writeErrors(res, 405, []);
      else writeReply(res, p.op, unsealWith(state, p.data), "system");
      return true;
    case "sys/init":
      if (p.op !== "read" && p.op !== "update") writeErrors(res, 405, []);
      else writeReply(res, p.op, initVault(state, p.op === "read", p.data), "system");
      return true;
    default:
      return false;
  }
}

/** Token check: the entry, or the 403 reply (§1.4, quirk 5). */
function checkToken(state: ServerState, req: IncomingMessage): TokenEntry | Reply {
  const id = tokenOf(req);
  if (id === undefined) return { kind: "error", status: 403, errors: ["permission denied"] };
  const entry = findToken(state, id);
  return entry ?? { kind: "error", status: 403, errors: [INVALID_TOKEN] };
}

function isSelfPath(path: string): boolean {
  return /^auth\/token\/[a-z]+-self$/.test(path) || path.startsWith("sys/wrapping/");
}

/** Routing, existence check, ACL and the backend; the reply and the mount type. */
async function dispatch(
  state: ServerState,
  req: IncomingMessage,
  p: Parsed,
  ns: Namespace,
): Promise<{ reply: Reply; mountType: string; ctx?: Ctx }> {
  const route = findRoute(ns, p.path);
  const login =
    route?.prefix.startsWith("auth/") && route.mount.type !== "token" && route.rel === "login";
  const unwrapByHeader = p.path === "sys/wrapping/unwrap" && typeof p.data?.token !== "string";
  if (p.path === "sys/wrapping/lookup") {
    const token = typeof p.data?.token === "string" ? p.data.token : (tokenOf(req) ?? "");
    return { reply: lookupWrapping(state, token), mountType: "system" };
  }
  if (unwrapByHeader) {
    const token = tokenOf(req);
    if (token === undefined)
      return {
        reply: { kind: "error", status: 403, errors: ["permission denied"] },
        mountType: "system",
      };
    return { reply: unwrapToken(state, token), mountType: "system" };
  }
  let token: TokenEntry | undefined;
  if (!login) {
    const checked = checkToken(state, req);
    const uiMounts = p.path.startsWith("sys/internal/ui/mounts");
    if ("kind" in checked) {
      if (!(uiMounts && checked.kind === "error" && checked.errors[0] === "permission denied"))
        return { reply: checked, mountType: "" };
    } else token = checked;
    if (token !== undefined && isSelfPath(p.path)) ns = token.ns;
    if (token !== undefined && !isWithin(ns, token.ns))
      return { reply: { kind: "error", status: 403, errors: [DENIED] }, mountType: "" };
    if (uiMounts) return runBackend(state, req, p, ns, token, route, false);
  }
  return runBackend(state, req, p, ns, token, route, !login);
}

async function runBackend(
  state: ServerState,
  req: IncomingMessage,
  p: Parsed,
  ns: Namespace,
  token: TokenEntry | undefined,
  route: ReturnType<typeof findRoute>,
  enforceAcl: boolean,
): Promise<{ reply: Reply; mountType: string; ctx?: Ctx }> {
  const aclPath = token === undefined ? p.path : relativeNsPrefix(token.ns, ns) + p.path;
  const caps =
    token === undefined ? new Set<Capability>() : capabilitiesOf(policiesOf(token), aclPath);
  if (route === undefined) {
    if (enforceAcl && !caps.has(p.op === "update" ? "update" : p.op))
      return { reply: { kind: "error", status: 403, errors: [DENIED] }, mountType: "" };
    return {
      reply: {
        kind: "error",
        status: 404,
        errors: [`no handler for route "${p.path}". route entry not found.`],
      },
      mountType: "",
    };
  }
  const ctx: Ctx = {
    op: p.op,
    path: route.rel,
    fullPath: p.path,
    data: p.data,
    query: p.query,
    headers: req.headers,
    peerChain: chainOf(req),
    mount: route.mount,
    ns,
    token,
    state,
  };
  if (ctx.op === "update" && route.mount.backend.exists?.(ctx) === false) ctx.op = "create";
  if (enforceAcl && token !== undefined) {
    const sudo = SUDO_PATHS.some((re) => re.test(p.path));
    if (!caps.has(ctx.op) || (sudo && !caps.has("sudo")))
      return { reply: { kind: "error", status: 403, errors: [DENIED] }, mountType: "" };
  }
  if (token !== undefined) useToken(state, token);
  try {
    return { reply: await route.mount.backend.handle(ctx), mountType: route.mount.type, ctx };
  } catch {
    return { reply: { kind: "error", status: 500, errors: ["internal error"] }, mountType: "" };
  }
}

/** Serves one `/v1/<path>` request (path already URL-decoded, without `/v1/`). */
export async function serveV1(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  path: string,
  raw: Buffer,
): Promise<void> {
  const wrapTtl = parseWrapTtl(req.headers["x-vault-wrap-ttl"]);
  if (typeof wrapTtl === "string") return writeErrors(res, 400, [wrapTtl]);
  const nsHeader = req.headers["x-vault-namespace"];
  const resolved = resolveNamespace(
    state,
    typeof nsHeader === "string" ? nsHeader : undefined,
    path,
  );
  if (resolved.missing) return writeErrors(res, 404, ["namespace not found"]);
  if (req.method === "HEAD") {
    if (resolved.path !== "sys/health") return writeErrors(res, 405, []);
  }
  const parsed =
    req.method === "HEAD"
      ? ({ op: "read", path: resolved.path, data: null, query: url.searchParams } as Parsed)
      : parseRequest(req, url, resolved.path, raw);
  if ("kind" in parsed) return writeReply(res, "update", parsed, "");
  if (resolved.ns !== state.root && ROOT_ONLY.includes(parsed.path)) {
    return writeErrors(res, 400, ["operation unavailable in namespaces"]);
  }
  if (serveHttpLayer(state, req, res, parsed)) return;
  if (!state.seal.initialized || state.seal.sealed)
    return writeErrors(res, 503, ["Vault is sealed"]);
  const { reply, mountType, ctx } = await dispatch(state, req, parsed, resolved.ns);
  if (wrapTtl > 0 && reply.kind === "response" && (reply.status ?? 200) === 200) {
    const wrapped = wrapReply(
      state,
      ctx?.ns ?? resolved.ns,
      reply,
      mountType,
      wrapTtl,
      parsed.path,
    );
    return writeReply(res, parsed.op, wrapped, mountType);
  }
  writeReply(res, ctx?.op ?? parsed.op, reply, mountType);
}
