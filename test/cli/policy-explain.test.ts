// `keyfront policy explain` as a user drives it: the built CLI as a subprocess against the real
// server over mTLS, each kind of identity argument, each kind of decision, and the route itself
// (strict body, 403 for callers without it, listed in /v1/api and `status --api`).

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ExplainFixture,
  makeExplainFixture,
  startExplainServer,
} from "../api/explain-fixture.js";
import type { RunningServer } from "../helpers/server.js";
import { expectOneLine, kf } from "./cli-helpers.js";

const f: ExplainFixture = makeExplainFixture();
const c = f.clients;
let server: RunningServer;
let dir: string;
let asAdmin: Record<string, string>;

const files = (name: string) => ({
  cert: join(dir, `${name}.crt`),
  key: join(dir, `${name}.key`),
});
const envAs = (name: string) => ({
  KES_SERVER: server.url.replace("https://", ""),
  KES_CLIENT_CERT: files(name).cert,
  KES_CLIENT_KEY: files(name).key,
  NODE_EXTRA_CA_CERTS: join(dir, "server.crt"),
});

beforeAll(async () => {
  server = await startExplainServer(f);
  dir = await mkdtemp(join(tmpdir(), "keyfront-explain-"));
  for (const [name, cred] of Object.entries(c)) {
    await writeFile(files(name).cert, cred.certPem);
    await writeFile(files(name).key, cred.keyPem, { mode: 0o600 });
  }
  await writeFile(join(dir, "server.crt"), f.server.certPem);
  asAdmin = envAs("admin");
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function explainJson(args: string[], env = asAdmin) {
  const r = await kf(["policy", "explain", ...args, "--json"], env);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe("keyfront policy explain", () => {
  it("allowed by an allow rule (certificate file argument), as label: value lines", async () => {
    const r = await kf(
      ["policy", "explain", files("app").cert, "post", "/v1/key/create/app-1"],
      asAdmin,
    );
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toEqual([
      `Identity:  ${c.app.identity}`,
      "Role:      policy 'app'",
      "Request:   POST /v1/key/create/app-1",
      "Path:      /v1/key/create/app-1",
      "Route:     PUT /v1/key/create/ (auth: policy)",
      "Rule:      allow /v1/key/create/app-*",
      "Result:    allowed",
      "Reason:    allow rule '/v1/key/create/app-*' of policy 'app' matched and no deny rule did",
    ]);
  });

  it("denied by a deny rule, and by default (exit 0: the explanation is the result)", async () => {
    const deny = await explainJson([c.app.identity, "PUT", "/v1/key/generate/app-secret-1"]);
    expect(deny).toMatchObject({
      policy: "app",
      rule: { effect: "deny", pattern: "/v1/key/generate/app-secret*" },
      outcome: "denied",
      decided_by: "rule",
      allowed: false,
      status: 403,
    });
    const none = await kf(
      ["policy", "explain", c.app.identity, "DELETE", "/v1/key/delete/app-1"],
      asAdmin,
    );
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^Rule: {6}no rule matched: denied by default$/m);
    expect(none.stdout).toMatch(/^Result: {4}denied: the server answers 403$/m);
  });

  it("the admin identity and an unknown identity", async () => {
    expect(await explainJson([c.admin.identity, "DELETE", "/v1/key/delete/x"])).toMatchObject({
      role: "admin",
      allowed: true,
      decided_by: "admin",
    });
    const unknown = await explainJson([c.stranger.identity.toUpperCase(), "GET", "/v1/status"]);
    expect(unknown).toMatchObject({
      identity: c.stranger.identity,
      role: "unknown",
      allowed: false,
      status: 403,
      decided_by: "unknown_identity",
    });
    expect(unknown).not.toHaveProperty("policy");
  });

  it("an API key argument: its identity is derived locally, the key is never sent", async () => {
    const r = await kf(["policy", "explain", f.apiKey, "GET", "/v1/policy/read/app", "--json"], {
      ...asAdmin,
      NODE_DEBUG: "",
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      identity: c.auditor.identity,
      policy: "auditor",
      rule: { effect: "allow", pattern: "/v1/policy/read/app" },
      allowed: true,
    });
    expect(r.stdout).not.toContain(f.apiKey);
    expect(server.stderr() + server.stdout()).not.toContain(f.apiKey);
  });

  it("an API-key caller explaining itself, with KES_API_KEY", async () => {
    const env = {
      KES_SERVER: asAdmin.KES_SERVER as string,
      KES_API_KEY: f.apiKey,
      NODE_EXTRA_CA_CERTS: join(dir, "server.crt"),
    };
    expect(await explainJson([f.apiKey, "DELETE", "/v1/key/delete/a"], env)).toMatchObject({
      decided_by: "default",
      allowed: false,
    });
    // …and another identity, whose policy it may read: the deciding rule is shown
    expect(
      await explainJson([c.app.identity, "PUT", "/v1/key/generate/app-secret"], env),
    ).toMatchObject({ rule: { pattern: "/v1/key/generate/app-secret*" } });
  });

  it("a caller that may not read the policy gets the verdict, not the rule", async () => {
    const e = await explainJson(
      [c.app.identity, "PUT", "/v1/key/generate/app-secret"],
      envAs("limited"),
    );
    expect(e).toMatchObject({ allowed: false, status: 403, decided_by: "rule_withheld" });
    expect(e).not.toHaveProperty("rule");
    expect(JSON.stringify(e)).not.toContain("app-secret*");
    const text = await kf(
      ["policy", "explain", c.app.identity, "PUT", "/v1/key/generate/app-secret"],
      envAs("limited"),
    );
    expect(text.stdout).toMatch(
      /^Rule: +withheld: reading policy 'app' needs \/v1\/policy\/read\/app$/m,
    );
  });

  it("a non-admin caller without the explain route gets 403, exit 1, one line", async () => {
    const r = await kf(["policy", "explain", c.app.identity, "GET", "/v1/status"], envAs("app"));
    expect(r.code).toBe(1);
    expect(expectOneLine(r.stderr)).toBe(
      `keyfront: not authorized: insufficient permissions: identity ${c.app.identity} needs /v1/policy/explain (ask the server's admin for a policy)`,
    );
    expect(r.stdout).toBe("");
  });

  it("explains the cleaned path of a 301, encoded characters, and a prefix route's slash", async () => {
    const cleaned = await explainJson([
      c.app.identity,
      "PUT",
      "/v1/key/x/../generate/app-secret-2",
    ]);
    expect(cleaned).toMatchObject({
      redirects: ["/v1/key/generate/app-secret-2"],
      evaluated_path: "/v1/key/generate/app-secret-2",
      outcome: "denied",
      rule: { effect: "deny" },
    });
    const encoded = await explainJson([c.app.identity, "PUT", "/v1/key/generate/%61pp-secret"]);
    expect(encoded).toMatchObject({
      evaluated_path: "/v1/key/generate/app-secret",
      allowed: false,
    });
    // a character a request line cannot carry is percent-encoded by the CLI, as a client would
    const unicode = await explainJson([c.app.identity, "POST", "/v1/key/create/app-ключ"]);
    expect(unicode).toMatchObject({
      path: "/v1/key/create/app-%D0%BA%D0%BB%D1%8E%D1%87",
      evaluated_path: "/v1/key/create/app-ключ",
      allowed: true,
    });
    // a decoded control character is shown escaped, not sent to the terminal
    const esc = await kf(
      ["policy", "explain", c.app.identity, "GET", "/v1/key/describe/%1b[2J"],
      asAdmin,
    );
    expect(esc.stdout).toMatch(/^Path: +\/v1\/key\/describe\/\\x1b\[2J$/m);
    expect(esc.stdout).not.toContain("\x1b");
    const slash = await kf(["policy", "explain", c.app.identity, "GET", "/v1/key/list"], asAdmin);
    expect(slash.stdout).toMatch(/^Redirect: +301 to \/v1\/key\/list\/ /m);
    expect(slash.stdout).toMatch(/^Result: +allowed$/m);
  });

  it("a method the route does not take: the server would answer 405", async () => {
    const e = await explainJson([c.app.identity, "GET", "/v1/key/create/app-1"]);
    expect(e).toMatchObject({
      outcome: "method_not_allowed",
      status: 405,
      route: { method: "PUT" },
      decided_by: "routing",
    });
  });

  it("usage errors exit 2, a bad identity argument exits 1", async () => {
    expect((await kf(["policy", "explain", c.app.identity, "GET"], asAdmin)).code).toBe(2);
    expect((await kf(["policy", "explain", c.app.identity, "GET", "v1"], asAdmin)).code).toBe(2);
    const bad = await kf(["policy", "explain", "nope", "GET", "/v1/status"], asAdmin);
    expect(bad.code).toBe(1);
    expect(expectOneLine(bad.stderr)).toMatch(/'nope' is neither a kes:v1 API key nor a readable/);
  });
});

describe("the /v1/policy/explain route", () => {
  const post = (body: string, who = c.admin) =>
    server.request(who, "POST", "/v1/policy/explain", body);

  it("answers malformed bodies with 400 and what is wrong", async () => {
    const id = c.app.identity;
    const message = "invalid policy explain request";
    // a body that does not decode: the fixed message, the reason in X-Keyfront-Detail
    const undecodable: [string, string][] = [
      ["", "request body is empty"],
      ["[]", "request body must be a JSON object"],
      [`{"identity":"${id}","method":"GET","path":"/v1/status","x":1}`, "unknown field 'x'"],
      [`{"identity":"${id}","identity":"${id}"}`, "duplicate field 'identity'"],
      [`{"identity":1}`, "field 'identity' must be a string"],
      [
        `{"identity":"${id}","method":"GET","path":{"a":1}}`,
        "field 'path' holds a nested object; only strings are accepted",
      ],
    ];
    for (const [body, detail] of undecodable) {
      const r = await post(body);
      expect([r.status, r.json(), r.headers["x-keyfront-detail"]], body).toEqual([
        400,
        { message },
        detail,
      ]);
    }
    // a field with a wrong value: the message names the field and what it must be
    const wrong: [string, string][] = [
      [`{"identity":"${id}","method":"GET"}`, "field 'path' is missing"],
      [
        `{"identity":"ABC","method":"GET","path":"/"}`,
        "field 'identity' must be 64 lowercase hex digits",
      ],
      [
        `{"identity":"${id}","method":"get","path":"/"}`,
        "field 'method' must be an HTTP method in upper case, e.g. GET",
      ],
      [
        `{"identity":"${id}","method":"GET","path":"/a b"}`,
        "field 'path' must be a request target as sent: '/' then printable ASCII without spaces (percent-encode other characters)",
      ],
    ];
    for (const [body, what] of wrong) {
      const r = await post(body);
      expect([r.status, r.json()], body).toEqual([400, { message: `${message}: ${what}` }]);
    }
  });

  it("bounds the body", async () => {
    const r = await post(`{"identity":"${"a".repeat(40_000)}"}`);
    expect(r.status).toBe(400);
    expect(r.headers["x-keyfront-detail"]).toMatch(/exceeds 17408 bytes/);
  });

  it("needs /v1/identity/describe/<id> to explain another identity", async () => {
    const body = (id: string) =>
      JSON.stringify({ identity: id, method: "GET", path: "/v1/status" });
    // `self-only` may call explain but not describe identities: it may explain only itself
    const other = await post(body(c.app.identity), c.selfOnly);
    expect(other.status).toBe(403);
    expect(other.headers["x-keyfront-detail"]).toBe(
      "explaining another identity needs /v1/identity/describe/<identity>",
    );
    const self = await post(
      JSON.stringify({ identity: c.selfOnly.identity, method: "GET", path: "/v1/key/describe/k" }),
      c.selfOnly,
    );
    expect(self.status).toBe(200);
    // its own rule is shown: `identity info` shows it its own patterns too
    expect(self.json()).toMatchObject({ rule: { effect: "allow", pattern: "/v1/key/describe/*" } });
    expect((await post(body(c.app.identity), c.limited)).status).toBe(200);
    // without the explain route at all: 403 before anything is decoded
    expect((await post("{", c.app)).status).toBe(403);
  });

  it("is listed in /v1/api and by keyfront status --api", async () => {
    const api = (await server.request(c.admin, "GET", "/v1/api")).json() as { path: string }[];
    expect(api).toContainEqual(
      expect.objectContaining({ method: "PUT", path: "/v1/policy/explain" }),
    );
    const r = await kf(["status", "--api"], asAdmin);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PUT\s+\/v1\/policy\/explain/);
  });
});
