// The path of every route keyfront serves (kes-api.md §3.0), kept apart from the handlers so that
// the config loader can tell an `api:` entry that names no route (KES ignores it without a word)
// and which routes `skip_auth` opens to anyone. routes.ts registers exactly these paths; a path
// ending in "/" is a prefix route. Pure: no I/O.

export const ROUTE_PATHS = [
  "/version",
  "/v1/ready",
  "/v1/status",
  "/v1/metrics",
  "/v1/api",
  "/v1/key/create/",
  "/v1/key/import/",
  "/v1/key/describe/",
  "/v1/key/list/",
  "/v1/key/delete/",
  "/v1/key/generate/",
  "/v1/key/encrypt/",
  "/v1/key/decrypt/",
  "/v1/key/hmac/",
  "/v1/key/rotate/",
  "/v1/key/versions/",
  "/v1/key/rewrap/",
  "/v1/key/configure/",
  "/v1/key/disable/",
  "/v1/key/enable/",
  "/v1/key/restore/",
  "/v1/key/purge/",
  "/v1/policy/describe/",
  "/v1/policy/read/",
  "/v1/policy/list/",
  "/v1/policy/explain",
  "/v1/identity/describe/",
  "/v1/identity/list/",
  "/v1/identity/self/describe",
  "/v1/log/error",
  "/v1/log/audit",
] as const;

export type RoutePath = (typeof ROUTE_PATHS)[number];

const KNOWN: ReadonlySet<string> = new Set(ROUTE_PATHS);

/** True when `path` is exactly the path of a route (as `api:` keys must be, kes-api.md §10.4). */
export function isRoutePath(path: string): path is RoutePath {
  return KNOWN.has(path);
}
