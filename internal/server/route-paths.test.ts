// ROUTE_PATHS is what the config loader checks `api:` entries against: it must name exactly the
// routes the server registers, or a valid entry would be reported as ignored (or the reverse).

import { expect, it } from "vitest";
import { ROUTE_PATHS } from "./route-paths.js";
import { ROUTES } from "./routes.js";

it("lists exactly the paths of the route table", () => {
  expect([...ROUTE_PATHS].sort()).toEqual(ROUTES.map((r) => r.path).sort());
});
