// General protocol of the Vault test server (vault-api.md §1): envelope keys and headers, list
// parameter parsing, trailing-slash writes, malformed JSON, unmounted paths, 405/415, 301 path
// cleaning, token headers and the 403 variants.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVaultTestServer, type VaultTestServer } from "./server.js";
import { clientFor } from "./test-client.js";

let server: VaultTestServer;
let v: ReturnType<typeof clientFor>;

beforeAll(async () => {
  server = await startVaultTestServer();
  v = clientFor(server.addr, server.rootToken);
  // Not pre-mounted (as in `vault server -dev`): mounted as an operator would.
  expect((await v("POST", "/v1/sys/mounts/kv", { body: { type: "kv" } })).status).toBe(204);
});
afterAll(() => server.close());

describe("envelope and general protocol", () => {
  it("success envelope has every key, a UUID request_id and Vault headers", async () => {
    await v("POST", "/v1/kv/env", { body: { a: 1 } });
    const r = await v("GET", "/v1/kv/env");
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(
      [
        "auth",
        "data",
        "lease_duration",
        "lease_id",
        "mount_type",
        "renewable",
        "request_id",
        "warnings",
        "wrap_info",
      ].sort(),
    );
    expect(r.json.request_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.headers["cache-control"]).toBe("no-store");
    expect(r.text.endsWith("\n")).toBe(true);
  });

  it.each([
    ["GET", "/v1/kv/x?list=yes", undefined, 400, { errors: [] }],
    ["POST", "/v1/kv/dir/", { a: 1 }, 400, { errors: ["cannot write to a path ending in '/'"] }],
    ["POST", "/v1/kv/bad", "{not json", 400, { errors: ["error parsing JSON"] }],
    [
      "GET",
      "/v1/nomount/x",
      undefined,
      404,
      { errors: ['no handler for route "nomount/x". route entry not found.'] },
    ],
    ["GET", "/nothing", undefined, 404, { errors: [] }],
    ["OPTIONS", "/v1/kv/x", undefined, 405, { errors: [] }],
    [
      "PATCH",
      "/v1/kv/x",
      { a: 1 },
      415,
      { errors: ["PATCH requires Content-Type of application/merge-patch+json, provided "] },
    ],
  ])("%s %s → %i", async (method, path, body, status, json) => {
    const r = await v(method, path, body === undefined ? {} : { body });
    expect(r.status).toBe(status);
    expect(r.json).toEqual(json);
  });

  it("redirects unclean paths with 301 like Go's ServeMux", async () => {
    const r = await v("GET", "/v1//kv/x");
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe("/v1/kv/x");
  });

  it("accepts Authorization: Bearer and rejects missing/unknown tokens with 403 variants", async () => {
    const bearer = await v("GET", "/v1/auth/token/lookup-self", {
      token: undefined as unknown as string,
      headers: { Authorization: `Bearer ${server.rootToken}` },
    });
    expect(bearer.status).toBe(200);
    const none = await clientFor(server.addr)("GET", "/v1/kv/x");
    expect(none).toMatchObject({ status: 403, json: { errors: ["permission denied"] } });
    const bad = await clientFor(server.addr, "hvs.bogus")("GET", "/v1/kv/x");
    expect(bad).toMatchObject({
      status: 403,
      json: { errors: ["2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"] },
    });
  });
});
