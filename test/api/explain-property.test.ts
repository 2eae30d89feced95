// Property: for random identities, methods and request targets, what /v1/policy/explain says the
// server does is what the server does when that identity sends that request over mTLS: the same
// 301 and Location, the same 400, 404, 405 or 403, and, when it says "allowed", none of those
// (the handler ran: whatever it answered, routing and authorisation let the request through).

import { request as httpsRequest } from "node:https";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningServer, TlsClient } from "../helpers/server.js";
import { makeExplainFixture, startExplainServer } from "./explain-fixture.js";

const f = makeExplainFixture();
let server: RunningServer;

beforeAll(async () => {
  server = await startExplainServer(f);
});

afterAll(async () => {
  await server?.stop();
});

interface Seen {
  status: number;
  location: string | undefined;
  contentType: string;
  body: string;
}

/** Sends one request; a log stream (ndjson) is cut off once its status line has arrived. */
function send(client: TlsClient, method: string, path: string): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const u = new URL(server.url);
    const req = httpsRequest(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        ca: server.caPem,
        cert: client.certPem,
        key: client.keyPem,
        servername: "localhost",
        agent: false,
      },
      (res) => {
        const seen = {
          status: res.statusCode ?? 0,
          location: res.headers.location,
          contentType: res.headers["content-type"] ?? "",
        };
        if (seen.contentType === "application/x-ndjson") {
          res.destroy();
          resolve({ ...seen, body: "" });
          return;
        }
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ ...seen, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const SEGMENTS = [
  "v1",
  "key",
  "create",
  "generate",
  "describe",
  "delete",
  "list",
  "status",
  "api",
  "policy",
  "explain",
  "read",
  "app",
  "identity",
  "self",
  "log",
  "audit",
  "version",
  "app-1",
  "app-secret-1",
  "other",
  "*",
  "",
  ".",
  "..",
  "%2F",
  "%2e%2e",
  "%61pp-secret",
  "k%65y",
  "%zz",
  "a%00",
] as const;

/** Real routes with the method they take, so that allow, deny and default all occur often. */
const ROUTES: readonly (readonly [string, string])[] = [
  ["PUT", "/v1/key/create/"],
  ["POST", "/v1/key/generate/"],
  ["GET", "/v1/key/describe/"],
  ["DELETE", "/v1/key/delete/"],
  ["GET", "/v1/key/list/"],
  ["GET", "/v1/status"],
  ["GET", "/v1/log/audit"],
  ["GET", "/v1/policy/read/"],
  ["GET", "/v1/identity/self/describe"],
  ["GET", "/version"],
];
const NAMES = ["app-1", "app-secret-1", "app-secret", "other", "", "%61pp-secret-2"] as const;
const METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD"] as const;

const requests = fc.oneof(
  // a real route, its own method, a name
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.constantFrom(...ROUTES), fc.constantFrom(...NAMES))
      .map(([[method, route], name]): [string, string] => [
        method,
        route.endsWith("/") ? route + name : route,
      ]),
  },
  // a real route, any method, noise after it (dot segments, escapes, slashes)
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...METHODS),
        fc.constantFrom(...ROUTES),
        fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 3 }),
      )
      .map(([method, [, route], rest]): [string, string] => [method, route + rest.join("/")]),
  },
  // anything
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...METHODS),
        fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 5 }),
      )
      .map(([method, s]): [string, string] => [method, `/${s.join("/")}`]),
  },
);
const query = fc.constantFrom("", "", "?x=1");

it("the explained verdict is what the server does", { timeout: 600_000 }, async () => {
  // names, not credentials: a counterexample then prints no (throwaway) private key
  const names = Object.keys(f.clients) as (keyof typeof f.clients)[];
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...names),
      requests,
      query,
      async (name, [method, target], q) => {
        const client = f.clients[name];
        const path = target + q;
        const asked = await server.request(
          f.clients.admin,
          "POST",
          "/v1/policy/explain",
          JSON.stringify({ identity: client.identity, method, path }),
        );
        expect(asked.status, asked.body).toBe(200);
        const e = asked.json() as {
          redirects: string[];
          outcome: string;
          allowed: boolean;
          status?: number;
          reason: string;
        };
        const seen = await send(client, method, path);
        const what = `${method} ${path} as ${name}: ${e.reason}`;
        const first = e.redirects[0];
        if (first !== undefined) {
          expect(seen.status, what).toBe(301);
          expect(seen.location, what).toBe(first);
          return;
        }
        const routeMissing = seen.status === 404 && seen.contentType.startsWith("text/plain");
        switch (e.outcome) {
          case "allowed":
            expect([301, 403, 405], what).not.toContain(seen.status);
            expect(routeMissing, what).toBe(false);
            break;
          case "not_found":
            expect(routeMissing, what).toBe(true);
            break;
          default:
            expect(seen.status, what).toBe(e.status);
            if (method !== "HEAD" && e.outcome === "denied") {
              expect(JSON.parse(seen.body), what).toEqual({
                message: "not authorized: insufficient permissions",
              });
            }
        }
      },
    ),
    { numRuns: 150 },
  );
});
