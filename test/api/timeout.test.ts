// Route timeouts (kes-api.md §1.2, §10.4): a handler that has not answered in time gets a 503
// `request timeout exceeded` instead of a broken connection, its AbortSignal fires, and the
// server keeps serving. Runs the real KeyfrontServer in-process with one slow test route added
// to the real route table, over real mTLS.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseConfigText } from "../../internal/config/load.js";
import { AuditLog } from "../../internal/log/audit.js";
import { LogHub } from "../../internal/log/hub.js";
import { createErrorLogger } from "../../internal/log/logger.js";
import { KeyfrontServer } from "../../internal/server/app.js";
import { Metrics } from "../../internal/server/metrics.js";
import { jsonReply, type RouteSpec } from "../../internal/server/route.js";
import { Router } from "../../internal/server/router.js";
import { ROUTES } from "../../internal/server/routes.js";
import { buildState, type Runtime } from "../../internal/server/state.js";
import { tlsRequest } from "../helpers/server.js";
import { makeFixture } from "./fixture.js";

let dir = "";
let server: KeyfrontServer;
let url = "";
let aborted = false;
const f = makeFixture();

const slow: RouteSpec = {
  method: "GET",
  path: "/test/slow",
  auth: "policy",
  maxBody: 0,
  timeoutMs: 60_000,
  counted: true,
  handler: (ctx) =>
    new Promise((resolve) => {
      const t = setTimeout(() => resolve(jsonReply({ late: true })), 5_000);
      ctx.signal.addEventListener("abort", () => {
        aborted = true;
        clearTimeout(t);
        resolve(jsonReply({ late: true }));
      });
    }),
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "keyfront-timeout-"));
  await writeFile(join(dir, "s.crt"), f.serverCertPem);
  await writeFile(join(dir, "s.key"), f.serverKeyPem);
  const yaml = `admin: { identity: ${f.clients.admin.identity} }\ntls: { key: ${dir}/s.key, cert: ${dir}/s.crt }\nkeystore: { fs: { path: ${dir}/keys } }\n`;
  const { config } = parseConfigText(yaml, "timeout.yaml", {});
  const errorHub = new LogHub();
  const auditHub = new LogHub();
  const log = createErrorLogger({ level: 9, hub: errorHub });
  const rt: Runtime = {
    log,
    audit: new AuditLog(auditHub, undefined, (err) => log.error({ err }, "audit event failed")),
    errorHub,
    auditHub,
    metrics: new Metrics(errorHub, auditHub),
    version: "test",
    commit: "",
  };
  const state = await buildState(config, rt);
  const router = new Router([...ROUTES, slow], {
    "/test/slow": { skipAuth: false, timeoutMs: 200 },
  });
  server = new KeyfrontServer(rt, { ...state, router });
  const addr = await server.listen("127.0.0.1", 0);
  url = `https://127.0.0.1:${addr.port}`;
});

afterAll(async () => {
  await server?.shutdown();
  await rm(dir, { recursive: true, force: true });
});

it("answers 503 when a handler runs past its route timeout, and aborts the handler", async () => {
  const r = await tlsRequest(url, f.serverCertPem, f.clients.admin, "GET", "/test/slow");
  expect([r.status, r.body]).toEqual([503, '{"message":"request timeout exceeded"\n}']);
  expect(aborted).toBe(true);
  expect(
    (await tlsRequest(url, f.serverCertPem, f.clients.admin, "GET", "/v1/status")).status,
  ).toBe(200);
});
