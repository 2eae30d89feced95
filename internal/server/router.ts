// Route lookup on the decoded, clean path: exact routes by Map lookup, prefix routes by trying
// each "/" boundary of the path. Config overrides (api: skip_auth, timeout; kes-api.md §10.4)
// are applied once when the router is built for a configuration.

import { ROUTER_CACHE_ENTRIES, ROUTER_CACHE_MAX_PATH } from "../limits.js";
import { normalizeRequestPath } from "./path.js";
import type { AuthMode, RouteSpec } from "./route.js";

export interface ResolvedRoute {
  readonly spec: RouteSpec;
  readonly auth: AuthMode;
  readonly timeoutMs: number;
}

export type Lookup =
  | { kind: "route"; route: ResolvedRoute; resource: string }
  | { kind: "redirect"; location: string }
  | { kind: "none" };

/**
 * Where a request target (`req.url`) leads: normalised (path.ts), then looked up. `path` is the
 * clean path the policy and the handler see (and the audit event names).
 */
export type Resolved =
  | { kind: "bad"; message: string }
  /** Not clean (path.ts), or a prefix route's path without its slash; `path` in the latter. */
  | { kind: "redirect"; location: string; path?: string }
  | { kind: "none"; path: string }
  | { kind: "route"; path: string; route: ResolvedRoute; resource: string };

export interface ApiOverride {
  skipAuth: boolean;
  timeoutMs: number | undefined;
}

export class Router {
  private readonly exact = new Map<string, ResolvedRoute>();
  private readonly prefix = new Map<string, ResolvedRoute>();
  private readonly all: ResolvedRoute[] = [];
  /** Recent answers by request target; cleared whenever it reaches ROUTER_CACHE_ENTRIES. */
  private readonly recent = new Map<string, Resolved>();
  /** True when some route has skip_auth: client certificates become optional. */
  readonly anySkipAuth: boolean;

  constructor(specs: readonly RouteSpec[], overrides: Readonly<Record<string, ApiOverride>> = {}) {
    let anySkip = false;
    for (const spec of specs) {
      const o = Object.hasOwn(overrides, spec.path) ? overrides[spec.path] : undefined;
      const skip = o?.skipAuth === true && spec.auth !== "none";
      anySkip ||= skip;
      const resolved: ResolvedRoute = {
        spec,
        auth: skip ? "identify" : spec.auth,
        timeoutMs: o?.timeoutMs !== undefined && o.timeoutMs > 0 ? o.timeoutMs : spec.timeoutMs,
      };
      (spec.path.endsWith("/") ? this.prefix : this.exact).set(spec.path, resolved);
      this.all.push(resolved);
    }
    this.anySkipAuth = anySkip;
  }

  routes(): readonly ResolvedRoute[] {
    return this.all;
  }

  /**
   * Normalises and looks up a request target, remembering the answers for the most used targets
   * (a request's key names repeat): a repeated target costs one Map lookup. Both steps are pure
   * functions of the target and this router, so a remembered answer is the one they would give.
   */
  resolve(target: string): Resolved {
    if (target.length > ROUTER_CACHE_MAX_PATH) return this.resolveOnce(target);
    let found = this.recent.get(target);
    if (found === undefined) {
      found = this.resolveOnce(target);
      if (this.recent.size >= ROUTER_CACHE_ENTRIES) this.recent.clear();
      this.recent.set(target, found);
    }
    return found;
  }

  private resolveOnce(target: string): Resolved {
    const normal = normalizeRequestPath(target);
    if (normal.kind !== "ok") return normal;
    const path = normal.path;
    const found = this.lookup(path);
    if (found.kind === "route")
      return { kind: "route", path, route: found.route, resource: found.resource };
    if (found.kind === "redirect") return { kind: "redirect", location: found.location, path };
    return { kind: "none", path };
  }

  lookup(path: string): Lookup {
    const exact = this.exact.get(path);
    if (exact) return { kind: "route", route: exact, resource: "" };
    for (let i = path.indexOf("/", 1); i >= 0; i = path.indexOf("/", i + 1)) {
      const route = this.prefix.get(path.slice(0, i + 1));
      if (route) return { kind: "route", route, resource: path.slice(i + 1) };
    }
    // Go's ServeMux redirects a prefix route's path without its trailing slash (kes-api.md §1.3).
    if (this.prefix.has(`${path}/`)) return { kind: "redirect", location: `${path}/` };
    return { kind: "none" };
  }
}
