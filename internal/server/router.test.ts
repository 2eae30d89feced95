// The router's remembered lookups answer exactly as lookup() does, and stay bounded.

import { expect, it } from "vitest";
import { ROUTER_CACHE_ENTRIES, ROUTER_CACHE_MAX_PATH } from "../limits.js";
import { Router } from "./router.js";
import { ROUTES } from "./routes.js";

it("answers as lookup() does, for routes, prefixes, redirects and unknown paths, twice", () => {
  const router = new Router(ROUTES);
  const paths = [
    "/v1/key/generate/my-key",
    "/v1/key/generate/other",
    "/v1/key/list/",
    "/v1/key/generate",
    "/version",
    "/nope",
    `/v1/key/generate/${"k".repeat(ROUTER_CACHE_MAX_PATH)}`,
  ];
  for (let round = 0; round < 2; round++) {
    for (const p of paths) expect(router.lookupCached(p)).toEqual(router.lookup(p));
  }
});

it("keeps at most ROUTER_CACHE_ENTRIES paths", () => {
  const router = new Router(ROUTES);
  for (let i = 0; i < ROUTER_CACHE_ENTRIES * 3; i++) {
    const found = router.lookupCached(`/v1/key/generate/k-${i}`);
    expect(found.kind === "route" && found.resource).toBe(`k-${i}`);
  }
  const recent = (router as unknown as { recent: Map<string, unknown> }).recent;
  expect(recent.size).toBeLessThanOrEqual(ROUTER_CACHE_ENTRIES);
});
