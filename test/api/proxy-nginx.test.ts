// Trusted TLS proxies (kes-api.md §5.5) with a real nginx terminating client mTLS in front of
// keyfront and forwarding `$ssl_client_escaped_cert` in X-Tls-Client-Cert: a client through nginx
// acts as itself (its own policy, allowed and denied; the admin as admin), a client without a
// certificate or forging the header gets nothing nginx did not vouch for, and the audit event
// records the proxy and the forwarded client. Skipped loudly when nginx is not installed.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findNginx, type RunningNginx, startNginx } from "../helpers/nginx.js";
import { makeTestPki, type TestClient, type TestPki } from "../helpers/pki.js";
import { type RunningServer, startServer, tlsRequest } from "../helpers/server.js";

const HEADER = "X-Tls-Client-Cert";
const NGINX = findNginx();
if (NGINX === undefined) {
  console.warn(
    "*** nginx tests SKIPPED: nginx not found (apt-get install nginx; .ci/run installs it) ***",
  );
}

let pki: TestPki;
let kf: RunningServer;
let nginx: RunningNginx;
let proxy: TestClient;
let app: TestClient;
let admin: TestClient;
let stranger: TestClient;

const escaped = (c: TestClient) => encodeURIComponent(c.certPem);

/** The audit events keyfront wrote to stdout so far, parsed. */
function auditEvents(): Record<string, Record<string, unknown>>[] {
  return kf
    .stdout()
    .split("\n")
    .filter((l) => l.startsWith('{"time"'))
    .map((l) => JSON.parse(l));
}

/** Waits (bounded by the test timeout) for the audit event of `path`. */
async function auditOf(path: string): Promise<Record<string, Record<string, unknown>>> {
  for (;;) {
    const e = auditEvents().find((ev) => ev.request?.path === path);
    if (e) return e;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(NGINX === undefined)("through a real nginx", () => {
  beforeAll(async () => {
    pki = makeTestPki();
    proxy = pki.clients["ecdsa-p256"];
    app = pki.clients.ed25519;
    admin = pki.clients["rsa-2048"];
    stranger = pki.selfSignedClients.ed25519;
    kf = await startServer({
      caPem: pki.ca.certPem,
      yaml: `
admin:
  identity: ${admin.identity}
tls:
  key: ${pki.server.keyFile}
  cert: ${pki.server.certFile}
  proxy:
    identities: [${proxy.identity}]
    header:
      cert: ${HEADER}
policy:
  app:
    allow: [/v1/key/create/app-*, /v1/identity/self/describe]
    identities: [${app.identity}]
log:
  audit: on
keystore:
  fs:
    path: \${DIR}/keys
`,
    });
    nginx = await startNginx({
      bin: NGINX as string,
      upstreamPort: kf.port,
      serverCertFile: pki.server.certFile,
      serverKeyFile: pki.server.keyFile,
      caFile: pki.ca.certFile,
      proxyCertFile: proxy.certFile,
      proxyKeyFile: proxy.keyFile,
      header: HEADER,
    });
  }, 60_000);
  afterAll(async () => {
    await nginx?.stop();
    await kf?.stop();
    pki?.cleanup();
  });

  const via = (client: TestClient | object, method: string, path: string, h = {}) =>
    tlsRequest(nginx.url, pki.ca.certPem, client, method, path, undefined, h);

  it("a client through nginx gets its own policy: allowed and denied", async () => {
    expect((await via(app, "PUT", "/v1/key/create/app-1")).status).toBe(200);
    const denied = await via(app, "PUT", "/v1/key/create/other-1");
    expect(denied.status).toBe(403);
    expect(denied.json()).toEqual({ message: "not authorized: insufficient permissions" });
    const self = await via(app, "GET", "/v1/identity/self/describe");
    expect(self.json()).toMatchObject({ identity: app.identity, policy: "app" });
  });

  it("each request is its own client, over nginx's shared upstream connections", async () => {
    // nginx keeps its connections to keyfront alive: an identity cached per connection would
    // make the next client act as the previous one.
    for (let i = 0; i < 3; i++) {
      expect((await via(admin, "PUT", `/v1/key/create/other-2${i}`)).status).toBe(200);
      expect((await via(app, "PUT", `/v1/key/create/other-3${i}`)).status).toBe(403);
      expect((await via(stranger, "PUT", `/v1/key/create/app-2${i}`)).status).toBe(403);
    }
    const ls = await via(admin, "GET", "/v1/key/list/*");
    expect(ls.status).toBe(200);
  });

  it("a header forged by the client is replaced by nginx's: it acts as itself", async () => {
    const forged = await via(app, "PUT", "/v1/key/create/other-3", { [HEADER]: escaped(admin) });
    expect(forged.status).toBe(403);
    const self = await via(app, "GET", "/v1/identity/self/describe", { [HEADER]: escaped(admin) });
    expect(self.json()).toMatchObject({ identity: app.identity });
  });

  it("a client without a certificate gets 400, even with a forged header", async () => {
    for (const headers of [{}, { [HEADER]: escaped(admin) }]) {
      const res = await via({}, "PUT", "/v1/key/create/other-4", headers);
      expect(res.status).toBe(400);
      expect(res.json()).toEqual({ message: "no client certificate is present" });
      expect(res.headers["x-keyfront-detail"]).toBe(`the trusted proxy sent no ${HEADER} header`);
    }
  });

  it("the audit event records the proxy and the forwarded client", async () => {
    expect((await via(app, "PUT", "/v1/key/create/app-audit")).status).toBe(200);
    const e = await auditOf("/v1/key/create/app-audit");
    expect(e.request).toEqual({
      ip: "127.0.0.1",
      method: "PUT",
      path: "/v1/key/create/app-audit",
      identity: app.identity,
      proxy: { identity: proxy.identity, ip: "127.0.0.1" },
    });
    expect(e.response?.code).toBe(200);
  });

  it("a direct client sending the header is refused, whatever it holds", async () => {
    for (const value of [escaped(admin), escaped(app), "garbage"]) {
      const res = await kf.request(app, "PUT", "/v1/key/create/app-5", undefined, {
        [HEADER]: value,
      });
      expect(res.status).toBe(403);
      expect(res.json()).toEqual({
        message: `not authorized: the ${HEADER} header is accepted only from a trusted TLS proxy`,
      });
    }
    // Without the header the same client is served as itself.
    expect((await kf.request(app, "PUT", "/v1/key/create/app-5")).status).toBe(200);
  });
});
