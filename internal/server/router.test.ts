// The router's remembered answers (resolve) are exactly what normalising and looking up the
// target give, every time, and the memory stays bounded.

import { expect, it } from "vitest";
import { ROUTER_CACHE_ENTRIES, ROUTER_CACHE_MAX_PATH } from "../limits.js";
import { normalizeRequestPath } from "./path.js";
import { Router } from "./router.js";
import { ROUTES } from "./routes.js";

/** What resolve() must answer, computed without any memory. */
function expected(router: Router, target: string) {
  const normal = normalizeRequestPath(target);
  if (normal.kind !== "ok") return normal;
  const found = router.lookup(normal.path);
  if (found.kind === "route") return { ...found, path: normal.path };
  if (found.kind === "redirect") return { ...found, path: normal.path };
  return { kind: "none", path: normal.path };
}

it("answers as normalising then lookup() do, for routes, redirects, bad and unknown targets, twice", () => {
  const router = new Router(ROUTES);
  const targets = [
    "/v1/key/generate/my-key",
    "/v1/key/generate/other",
    "/v1/key/generate/my%2Dkey",
    "/v1/key/list/?limit=5",
    "/v1/key/generate",
    "/v1/key/../key/generate/k",
    "//v1/key/generate/k",
    "/v1/key/generate/%zz",
    "/v1/key/generate/a%00b",
    "v1/key/generate/k",
    "/version",
    "/nope",
    `/v1/key/generate/${"k".repeat(ROUTER_CACHE_MAX_PATH)}`,
  ];
  for (let round = 0; round < 2; round++) {
    for (const t of targets) expect(router.resolve(t)).toEqual(expected(router, t));
  }
  expect(router.resolve("/v1/key/generate/my%2Dkey")).toMatchObject({ resource: "my-key" });
  expect(router.resolve("/v1/key/generate/%zz").kind).toBe("bad");
});

it("keeps at most ROUTER_CACHE_ENTRIES targets", () => {
  const router = new Router(ROUTES);
  for (let i = 0; i < ROUTER_CACHE_ENTRIES * 3; i++) {
    const found = router.resolve(`/v1/key/generate/k-${i}`);
    expect(found.kind === "route" && found.resource).toBe(`k-${i}`);
  }
  const recent = (router as unknown as { recent: Map<string, unknown> }).recent;
  expect(recent.size).toBeLessThanOrEqual(ROUTER_CACHE_ENTRIES);
});
