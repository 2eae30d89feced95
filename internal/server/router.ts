// Route lookup on the decoded, clean path: exact routes by Map lookup, prefix routes by trying
// each "/" boundary of the path. Config overrides (api: skip_auth, timeout; kes-api.md §10.4)
// are applied once when the router is built for a configuration.

import { ROUTER_CACHE_ENTRIES, ROUTER_CACHE_MAX_PATH } from "../limits.js";
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

export interface ApiOverride {
  skipAuth: boolean;
  timeoutMs: number | undefined;
}

export class Router {
  private readonly exact = new Map<string, ResolvedRoute>();
  private readonly prefix = new Map<string, ResolvedRoute>();
  private readonly all: ResolvedRoute[] = [];
  /** Recent answers by path; cleared whenever it reaches ROUTER_CACHE_ENTRIES (bounded). */
  private readonly recent = new Map<string, Lookup>();
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

  /** lookup(), remembering the answers for the most used paths (a request's key names repeat). */
  lookupCached(path: string): Lookup {
    if (path.length > ROUTER_CACHE_MAX_PATH) return this.lookup(path);
    let found = this.recent.get(path);
    if (found === undefined) {
      found = this.lookup(path);
      if (this.recent.size >= ROUTER_CACHE_ENTRIES) this.recent.clear();
      this.recent.set(path, found);
    }
    return found;
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
