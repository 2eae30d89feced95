// The route table (kes-api.md §3.0): method, path, auth mode, body limit, timeout, handler.
// One loop registers it (router.ts) and /v1/api is generated from it, so they cannot drift.

import { errBody, errConfigureBody, errExplainBody, errImportBody } from "../errors.js";
import {
  MAX_BODY_BYTES,
  MAX_CONFIGURE_BODY_BYTES,
  MAX_EXPLAIN_BODY_BYTES,
  MAX_GENERATE_BODY_BYTES,
  MAX_IMPORT_BODY_BYTES,
  ROUTE_TIMEOUT_MS,
  SHORT_ROUTE_TIMEOUT_MS,
} from "../limits.js";
import * as access from "./handlers/access.js";
import { explainPolicy } from "./handlers/explain.js";
import * as keys from "./handlers/keys.js";
import * as lifecycle from "./handlers/lifecycle.js";
import * as system from "./handlers/system.js";
import type { Handler, Method, RouteSpec } from "./route.js";
import type { RoutePath } from "./route-paths.js";

function route(
  method: Method,
  path: RoutePath,
  handler: Handler,
  opts: Partial<Omit<RouteSpec, "method" | "path" | "handler">> = {},
): RouteSpec {
  return {
    method,
    path,
    handler,
    auth: opts.auth ?? "policy",
    maxBody: opts.maxBody ?? 0,
    timeoutMs: opts.timeoutMs ?? ROUTE_TIMEOUT_MS,
    counted: opts.counted ?? true,
    ...(opts.bodyError ? { bodyError: opts.bodyError } : {}),
  };
}

// Each body route reads what its request needs: KES clients send plaintexts, ciphertexts and HMAC
// messages up to KES's 1,000,000 bytes; generate takes only a context, import a 32-byte key.
const crypto = { maxBody: MAX_BODY_BYTES, bodyError: errBody } as const;
const system_ = { counted: false } as const;

export const ROUTES: readonly RouteSpec[] = Object.freeze([
  route("GET", "/version", system.version, {
    auth: "none",
    timeoutMs: SHORT_ROUTE_TIMEOUT_MS,
    ...system_,
  }),
  route("GET", "/v1/ready", system.ready, system_),
  route("GET", "/v1/status", system.status, system_),
  route("GET", "/v1/metrics", system.metrics, system_),
  route("GET", "/v1/api", system.api, { timeoutMs: SHORT_ROUTE_TIMEOUT_MS, ...system_ }),
  route("PUT", "/v1/key/create/", keys.createKey),
  route("PUT", "/v1/key/import/", keys.importKey, {
    maxBody: MAX_IMPORT_BODY_BYTES,
    bodyError: errImportBody,
  }),
  route("GET", "/v1/key/describe/", keys.describeKey),
  route("GET", "/v1/key/list/", keys.listKeys),
  route("DELETE", "/v1/key/delete/", keys.deleteKey),
  route("PUT", "/v1/key/generate/", keys.generateKey, {
    maxBody: MAX_GENERATE_BODY_BYTES,
    bodyError: errBody,
  }),
  route("PUT", "/v1/key/encrypt/", keys.encryptKey, crypto),
  route("PUT", "/v1/key/decrypt/", keys.decryptKey, crypto),
  route("PUT", "/v1/key/hmac/", keys.hmacKey, crypto),
  // keyfront key lifecycle (issue 10): policy-controlled like every key route.
  route("PUT", "/v1/key/rotate/", lifecycle.rotateKey),
  route("GET", "/v1/key/versions/", lifecycle.listVersions),
  route("PUT", "/v1/key/rewrap/", lifecycle.rewrapKey, crypto),
  route("PUT", "/v1/key/configure/", lifecycle.configureKey, {
    maxBody: MAX_CONFIGURE_BODY_BYTES,
    bodyError: errConfigureBody,
  }),
  route("PUT", "/v1/key/disable/", lifecycle.disableKey),
  route("PUT", "/v1/key/enable/", lifecycle.enableKey),
  route("PUT", "/v1/key/restore/", lifecycle.restoreKey),
  route("DELETE", "/v1/key/purge/", lifecycle.purgeKey),
  route("GET", "/v1/policy/describe/", access.describePolicy),
  route("GET", "/v1/policy/read/", access.readPolicy),
  route("GET", "/v1/policy/list/", access.listPolicies),
  // keyfront extension: the body carries the explained target verbatim (a path inside this URL
  // would itself be decoded and cleaned); PUT takes POST too, like every PUT route.
  route("PUT", "/v1/policy/explain", explainPolicy, {
    maxBody: MAX_EXPLAIN_BODY_BYTES,
    timeoutMs: SHORT_ROUTE_TIMEOUT_MS,
    bodyError: () =>
      errExplainBody(`the body could not be read or exceeds ${MAX_EXPLAIN_BODY_BYTES} bytes`),
  }),
  route("GET", "/v1/identity/describe/", access.describeIdentity),
  route("GET", "/v1/identity/list/", access.listIdentities),
  route("GET", "/v1/identity/self/describe", access.describeSelf, { auth: "identify" }),
  route("GET", "/v1/log/error", system.errorLog, { timeoutMs: 0, ...system_ }),
  route("GET", "/v1/log/audit", system.auditLog, { timeoutMs: 0, ...system_ }),
]);
