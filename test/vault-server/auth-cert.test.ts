// The TLS certificate auth method of the Vault test server (auth-cert.ts) over real TLS:
// enable, role management and its errors, login verifying the presented chain (CA roles,
// intermediates, pinned leaves, allowed_common_names), Vault's answers for no certificate, an
// untrusted, an expired and a server-only certificate, and renewal bound to the login's
// certificate. Error texts are the ones OpenBao 2.x answers.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClientPair, issueClient, makeCa } from "../keystore/vault/cert-pki.js";
import { startVaultTestServer, type VaultTestServer } from "./server.js";
import { type CallOptions, call } from "./test-client.js";

const UNTRUSTED = "invalid certificate or no client certificate supplied";
const NO_MATCH = "no chain matching all constraints could be found for this login certificate";

const root = makeCa("cert-test root");
const intermediate = makeCa("cert-test intermediate", root);
const otherCa = makeCa("cert-test other");
const untrustedCa = makeCa("cert-test untrusted");
const good = issueClient(root);
const sibling = issueClient(root, { cn: "keyfront-2" });
const stranger = issueClient(untrustedCa);
const viaIntermediate = issueClient(intermediate, { chain: intermediate.certPem });
const withoutIntermediate = issueClient(intermediate);
const expired = issueClient(root, {
  notBefore: new Date(Date.now() - 2 * 86_400_000),
  notAfter: new Date(Date.now() - 86_400_000),
});
const serverOnly = issueClient(root, { extKeyUsage: ["serverAuth"] });

let server: VaultTestServer;
const admin = (method: string, path: string, body?: unknown) =>
  call(server.addr, method, path, {
    token: server.rootToken,
    caPem: server.caPem as string,
    ...(body !== undefined ? { body } : {}),
  });
const as = (pair: ClientPair | undefined, method: string, path: string, o: CallOptions = {}) =>
  call(server.addr, method, path, {
    caPem: server.caPem as string,
    ...(pair ? { cert: pair.certPem, key: pair.keyPem } : {}),
    ...o,
  });
const login = (pair: ClientPair | undefined, body: unknown = {}) =>
  as(pair, "POST", "/v1/auth/cert/login", { body });

beforeAll(async () => {
  server = await startVaultTestServer({ tls: true });
  expect((await admin("POST", "/v1/sys/auth/cert", { type: "cert" })).status).toBe(204);
  const web = {
    certificate: root.certPem,
    token_policies: "p1",
    token_ttl: "30s",
    token_max_ttl: "1m",
    allowed_common_names: ["keyfront"],
  };
  expect((await admin("POST", "/v1/auth/cert/certs/web", web)).status).toBe(204);
  const globbed = { certificate: root.certPem, allowed_common_names: "keyfront-*" };
  expect((await admin("POST", "/v1/auth/cert/certs/zglob", globbed)).status).toBe(204);
  const other = { certificate: otherCa.certPem, allowed_common_names: "nobody" };
  expect((await admin("POST", "/v1/auth/cert/certs/other", other)).status).toBe(204);
});
afterAll(() => server.close());

describe("cert auth: mount and roles", () => {
  it("is listed by sys/auth as a cert mount", async () => {
    const r = await admin("GET", "/v1/sys/auth");
    expect(r.json.data["cert/"]).toMatchObject({ type: "cert" });
  });

  it("reads and lists roles", async () => {
    const r = await admin("GET", "/v1/auth/cert/certs/web");
    expect(r.json.data).toMatchObject({
      certificate: root.certPem,
      display_name: "web",
      token_policies: ["p1"],
      token_ttl: 30,
      token_max_ttl: 60,
      allowed_common_names: ["keyfront"],
    });
    expect((await admin("LIST", "/v1/auth/cert/certs")).json.data.keys).toEqual([
      "other",
      "web",
      "zglob",
    ]);
    expect((await admin("GET", "/v1/auth/cert/certs/missing")).status).toBe(404);
  });

  it.each([
    ["no certificate", { token_policies: "x" }, "failed to parse certificate"],
    ["not PEM", { certificate: "hello" }, "failed to parse certificate"],
    [
      "a pinned leaf without clientAuth",
      { certificate: serverOnly.certPem },
      "nonCA certificates should have TLS client authentication set as an extended key usage",
    ],
    [
      "token_ttl above token_max_ttl",
      { certificate: root.certPem, token_ttl: "10s", token_max_ttl: "5s" },
      "'token_ttl' cannot be greater than 'token_max_ttl'",
    ],
  ])("refuses a role with %s", async (_, body, message) => {
    const r = await admin("POST", "/v1/auth/cert/certs/bad", body);
    expect(r.status).toBe(400);
    expect(r.json.errors).toEqual([message]);
  });
});

describe("cert auth: login", () => {
  it("logs in with a certificate the named role trusts", async () => {
    const r = await login(good, { name: "web" });
    expect(r.status).toBe(200);
    expect(r.json.auth).toMatchObject({
      policies: ["default", "p1"],
      token_policies: ["default", "p1"],
      lease_duration: 30,
      renewable: true,
      orphan: true,
      metadata: { cert_name: "web", common_name: "keyfront" },
    });
    const self = await call(server.addr, "GET", "/v1/auth/token/lookup-self", {
      token: r.json.auth.client_token,
      caPem: server.caPem as string,
    });
    expect(self.json.data).toMatchObject({ display_name: "cert-web", path: "auth/cert/login" });
  });

  it("tries every role without a name (an empty body), in name order", async () => {
    expect((await login(good, undefined)).json.auth.metadata.cert_name).toBe("web");
    expect((await login(sibling)).json.auth.metadata.cert_name).toBe("zglob");
  });

  it("follows an intermediate the client presents, and only then", async () => {
    expect((await login(viaIntermediate, { name: "web" })).status).toBe(200);
    const r = await login(withoutIntermediate, { name: "web" });
    expect([r.status, r.json.errors]).toEqual([400, [UNTRUSTED]]);
  });

  it.each([
    ["no certificate", undefined, { name: "web" }, 400, "no client certificate found"],
    ["an untrusted certificate", stranger, { name: "web" }, 400, UNTRUSTED],
    ["an untrusted certificate, no name", stranger, {}, 400, UNTRUSTED],
    ["a trusted certificate no role's constraints allow", issueClient(otherCa), {}, 400, NO_MATCH],
    ["a role that does not exist", good, { name: "nope" }, 400, UNTRUSTED],
    ["a role trusting another CA", good, { name: "other" }, 400, UNTRUSTED],
    ["a common name the role does not allow", sibling, { name: "web" }, 400, NO_MATCH],
    [
      "a certificate for servers only",
      serverOnly,
      { name: "web" },
      500,
      "failed to verify client's certificate: x509: certificate specifies an incompatible key usage",
    ],
  ])("refuses %s", async (_, pair, body, status, message) => {
    const r = await login(pair, body);
    expect([r.status, r.json.errors]).toEqual([status, [message]]);
    expect(r.json.auth).toBeUndefined();
  });

  it("refuses an expired certificate with Go's x509 text", async () => {
    const r = await login(expired, { name: "web" });
    expect(r.status).toBe(500);
    expect(r.json.errors[0]).toMatch(
      /^failed to verify client's certificate: x509: certificate has expired or is not yet valid: current time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ is after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
  });

  it("logs in with a pinned leaf only as that leaf", async () => {
    const pinned = { certificate: good.certPem, token_policies: "p2" };
    expect((await admin("POST", "/v1/auth/cert/certs/leaf", pinned)).status).toBe(204);
    try {
      expect((await login(good, { name: "leaf" })).json.auth.policies).toEqual(["default", "p2"]);
      const other = issueClient(otherCa);
      const r = await login(other, { name: "leaf" });
      expect([r.status, r.json.errors]).toEqual([400, [UNTRUSTED]]);
    } finally {
      await admin("DELETE", "/v1/auth/cert/certs/leaf");
    }
  });
});

describe("cert auth: renewal", () => {
  const renew = (pair: ClientPair | undefined, token: string) =>
    as(pair, "POST", "/v1/auth/token/renew-self", { token, body: {} });

  it("renews over a connection presenting the login's certificate, and only then", async () => {
    const token = (await login(good, { name: "web" })).json.auth.client_token as string;
    const ok = await renew(good, token);
    expect(ok.status).toBe(200);
    expect(ok.json.auth.lease_duration).toBe(30);
    const none = await renew(undefined, token);
    expect([none.status, none.json.errors]).toEqual([400, ["no client certificate found"]]);
    const other = await renew(viaIntermediate, token);
    expect(other.status).toBe(500);
    expect(other.json.errors[0]).toContain(
      "failed to renew entry: client identity during renewal not matching client identity used during login",
    );
  });

  it("refuses to renew once the role no longer trusts the certificate", async () => {
    const role = { certificate: root.certPem, token_policies: "p1" };
    expect((await admin("POST", "/v1/auth/cert/certs/gone", role)).status).toBe(204);
    const token = (await login(good, { name: "gone" })).json.auth.client_token as string;
    expect((await renew(good, token)).status).toBe(200);
    await admin("POST", "/v1/auth/cert/certs/gone", { certificate: otherCa.certPem });
    const r = await renew(good, token);
    expect([r.status, r.json.errors]).toEqual([400, [UNTRUSTED]]);
    await admin("DELETE", "/v1/auth/cert/certs/gone");
  });
});
