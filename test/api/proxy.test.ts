// Trusted TLS proxy edges over real mTLS (kes-api.md §5.5), the proxy played by a client holding
// the proxy identity's certificate so that every malformed header can be sent: header missing,
// repeated, oversized, not PEM, a CA-flagged certificate, X-Forwarded-For taken only from the
// proxy; and under `tls.auth: on` a forwarded certificate must chain to `tls.ca`. Never a 500.

import { request as httpsRequest } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROXY_CERT_HEADER_MAX_BYTES } from "../../internal/limits.js";
import { makeTestPki, type TestClient, type TestPki } from "../helpers/pki.js";
import { type Response, type RunningServer, startServer } from "../helpers/server.js";

const HEADER = "X-Tls-Client-Cert";
let pki: TestPki;
let proxy: TestClient;
let app: TestClient;
const running: RunningServer[] = [];

beforeAll(() => {
  pki = makeTestPki();
  proxy = pki.clients["ecdsa-p256"];
  app = pki.clients.ed25519;
});
afterAll(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  pki?.cleanup();
});

async function start(auth: "on" | "off"): Promise<RunningServer> {
  const s = await startServer({
    caPem: pki.ca.certPem,
    yaml: `
admin:
  identity: ${pki.clients["rsa-2048"].identity}
tls:
  key: ${pki.server.keyFile}
  cert: ${pki.server.certFile}
  auth: "${auth}"
  ca: ${pki.ca.certFile}
  proxy:
    identities: [${proxy.identity}]
    header:
      cert: ${HEADER}
policy:
  app:
    allow: [/v1/key/create/app-*]
    identities: [${app.identity}, ${pki.selfSignedClients.ed25519.identity}]
log:
  audit: on
keystore:
  fs:
    path: \${DIR}/keys
`,
  });
  running.push(s);
  return s;
}

/** One request as `client` with headers that may repeat (array values become separate lines). */
function send(
  s: RunningServer,
  client: TestClient,
  path: string,
  headers: Record<string, string | string[]>,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port: s.port,
        method: "PUT",
        path,
        ca: pki.ca.certPem,
        cert: client.certPem,
        key: client.keyPem,
        servername: "localhost",
        agent: false,
        headers,
      },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: () => JSON.parse(body),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const escaped = (pem: string) => encodeURIComponent(pem);

function auditOf(s: RunningServer, path: string): Promise<Record<string, Record<string, unknown>>> {
  const find = () =>
    s
      .stdout()
      .split("\n")
      .filter((l) => l.startsWith('{"time"'))
      .map((l) => JSON.parse(l))
      .find((e) => e.request?.path === path);
  return (async () => {
    for (;;) {
      const e = find();
      if (e) return e;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
}

describe("tls.proxy with tls.auth off", () => {
  let s: RunningServer;
  beforeAll(async () => {
    s = await start("off");
  });

  it("the proxy forwarding a client's certificate acts as that client", async () => {
    const ok = await send(s, proxy, "/v1/key/create/app-a", { [HEADER]: escaped(app.certPem) });
    expect(ok.status).toBe(200);
    const denied = await send(s, proxy, "/v1/key/create/x", { [HEADER]: escaped(app.certPem) });
    expect(denied.status).toBe(403);
  });

  it.each([
    [
      "missing",
      {},
      "no client certificate is present",
      `the trusted proxy sent no ${HEADER} header`,
    ],
    ["empty", { [HEADER]: "" }, "no client certificate is present", "sent no"],
    [
      "repeated",
      { [HEADER]: ["a", "b"] },
      "too many client certificates are present",
      `the trusted proxy sent the ${HEADER} header more than once`,
    ],
    ["not PEM", { [HEADER]: "hello" }, "invalid client certificate", "exactly one PEM"],
    ["bad escape", { [HEADER]: "%ZZ" }, "invalid client certificate", "URL encoding"],
    [
      "raw DER base64",
      { [HEADER]: "MIIBkTCCATegAwIBAgIUQ" },
      "invalid client certificate",
      "exactly one PEM",
    ],
  ])("header %s: 400 %s", async (_what, headers, message, detail) => {
    const res = await send(s, proxy, "/v1/key/create/app-b", headers);
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ message });
    expect(res.headers["x-keyfront-detail"]).toContain(detail);
  });

  it("a CA-flagged forwarded certificate is refused (leaf-only rule)", async () => {
    const res = await send(s, proxy, "/v1/key/create/app-c", {
      [HEADER]: escaped(pki.caFlaggedClient.certPem),
    });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ message: "invalid client certificate" });
    expect(res.headers["x-keyfront-detail"]).toBe("forwarded certificate is a CA certificate");
    // The CA itself, forwarded, names nobody either.
    const ca = await send(s, proxy, "/v1/key/create/app-c", { [HEADER]: escaped(pki.ca.certPem) });
    expect(ca.status).toBe(400);
  });

  it("an oversized header is 400, headers over Node's 16 KiB are 431: never a 500", async () => {
    const big = `${escaped(app.certPem)}${"%20".repeat(PROXY_CERT_HEADER_MAX_BYTES / 3)}`;
    const res = await send(s, proxy, "/v1/key/create/app-d", { [HEADER]: big });
    expect(res.status).toBe(400);
    expect(res.headers["x-keyfront-detail"]).toBe(
      `forwarded certificate header is larger than ${PROXY_CERT_HEADER_MAX_BYTES} bytes`,
    );
    const huge = await send(s, proxy, "/v1/key/create/app-d", { [HEADER]: "A".repeat(20_000) });
    expect(huge.status).toBe(431);
  });

  it("X-Forwarded-For names the client only when a trusted proxy sends it", async () => {
    const via = await send(s, proxy, "/v1/key/create/app-xff", {
      [HEADER]: escaped(app.certPem),
      "X-Forwarded-For": "203.0.113.7:5555, 10.0.0.1",
    });
    expect(via.status).toBe(200);
    expect((await auditOf(s, "/v1/key/create/app-xff")).request).toMatchObject({
      ip: "203.0.113.7",
      identity: app.identity,
      proxy: { identity: proxy.identity, ip: "127.0.0.1" },
    });
    const direct = await send(s, app, "/v1/key/create/app-direct", {
      "X-Forwarded-For": "203.0.113.9",
    });
    expect(direct.status).toBe(200);
    const e = await auditOf(s, "/v1/key/create/app-direct");
    expect(e.request).toEqual({
      ip: "127.0.0.1",
      method: "PUT",
      path: "/v1/key/create/app-direct",
      identity: app.identity,
    });
  });

  it("the proxy is never trusted as itself: without a header it is nobody", async () => {
    const res = await send(s, proxy, "/v1/key/create/app-e", {});
    expect(res.status).toBe(400);
  });
});

describe("tls.proxy with tls.auth on: the forwarded certificate must chain to tls.ca", () => {
  let s: RunningServer;
  beforeAll(async () => {
    s = await start("on");
  });

  it("a CA-signed client through the proxy is served", async () => {
    const res = await send(s, proxy, "/v1/key/create/app-on", { [HEADER]: escaped(app.certPem) });
    expect(res.status).toBe(200);
  });

  it("a self-signed client through the proxy is refused, though its identity has a policy", async () => {
    const res = await send(s, proxy, "/v1/key/create/app-on2", {
      [HEADER]: escaped(pki.selfSignedClients.ed25519.certPem),
    });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({
      message:
        "tls: forwarded client certificate is not trusted: certificate is not signed by a trusted CA",
    });
  });
});
