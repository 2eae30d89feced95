// Unit tests of the trusted-proxy decision (proxy.ts) on hand-made requests: X-Forwarded-For
// parsing, the per-state cache of forwarded certificates and its bound, and the trust window
// under `tls.auth: on` checked on every request, not only when a certificate is first seen.

import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import type { Config } from "../config/config.js";
import { identityOfCertificate } from "../identity/identity.js";
import { PROXY_CERT_CACHE_MAX_ENTRIES } from "../limits.js";
import { createCertificate } from "../pki/certificate.js";
import { generateKeyPair } from "../pki/keys.js";
import { callerIdentity, compileProxyTrust, forwardedClientIp, type ProxyHop } from "./proxy.js";

const PROXY = "aa".repeat(32);
const HEADER = "X-Tls-Client-Cert";

function tls(auth: "on" | "off"): Config["tls"] {
  return {
    key: "k",
    cert: "c",
    password: undefined,
    auth,
    ca: undefined,
    trustSystemRoots: false,
    proxy: { identities: [PROXY], header: HEADER },
  };
}

function request(value: string, xff?: string): IncomingMessage {
  const headers: Record<string, string> = { "x-tls-client-cert": value };
  if (xff !== undefined) headers["x-forwarded-for"] = xff;
  const rawHeaders = Object.entries(headers).flat();
  return { headers, rawHeaders, socket: { remoteAddress: "10.1.1.1" } } as never;
}

describe("forwardedClientIp", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["203.0.113.7:5555, 10.0.0.1", "203.0.113.7"],
    [" 2001:db8::1 , 10.0.0.1", "2001:db8::1"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["unknown, 10.0.0.1", undefined],
    ["example.com", undefined],
    ["", undefined],
    [undefined, undefined],
  ])("%j → %s", (value, want) => {
    expect(forwardedClientIp(value)).toBe(want);
  });
});

describe("callerIdentity", () => {
  const keyPair = generateKeyPair("ed25519");
  const client = createCertificate({ subject: "client", keyPair });
  const value = encodeURIComponent(client.certPem);

  it("no proxy configured compiles to nothing", () => {
    const { proxy: _, ...plain } = tls("off");
    expect(compileProxyTrust(plain, undefined)).toBeUndefined();
  });

  it("a proxy's request acts as the forwarded client; the hop records proxy and client IP", () => {
    const trust = compileProxyTrust(tls("off"), undefined);
    if (trust === undefined) throw new Error("no trust");
    const hop: ProxyHop = {};
    expect(callerIdentity(request(value, "192.0.2.4"), PROXY, trust, hop)).toBe(
      identityOfCertificate(client.certDer),
    );
    expect(hop).toEqual({ proxy: { identity: PROXY, ip: "10.1.1.1" }, ip: "192.0.2.4" });
  });

  it("caches each certificate once and keeps at most PROXY_CERT_CACHE_MAX_ENTRIES", () => {
    const trust = compileProxyTrust(tls("off"), undefined);
    if (trust === undefined) throw new Error("no trust");
    const want = identityOfCertificate(client.certDer);
    // Distinct header values for one certificate: trailing (encoded) newlines.
    for (let i = 0; i <= PROXY_CERT_CACHE_MAX_ENTRIES; i++) {
      expect(callerIdentity(request(value + "%0A".repeat(i)), PROXY, trust, undefined)).toBe(want);
    }
    expect(trust.known.size).toBe(PROXY_CERT_CACHE_MAX_ENTRIES);
    expect(trust.known.has(value)).toBe(false); // the oldest went first
    callerIdentity(request(`${value}%0A`), PROXY, trust, undefined);
    expect(trust.known.size).toBe(PROXY_CERT_CACHE_MAX_ENTRIES);
  });

  it("tls.auth on: a cached certificate's dates are checked again on every request", () => {
    const caKeys = generateKeyPair("ecdsa-p256");
    const ca = createCertificate({ subject: "CA", keyPair: caKeys, isCA: true });
    const now = Date.now();
    const shortLived = createCertificate({
      subject: "client",
      keyPair,
      issuer: { certPem: ca.certPem, keyPair: caKeys },
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 60_000),
    });
    const trust = compileProxyTrust(tls("on"), [ca.certPem]);
    if (trust === undefined) throw new Error("no trust");
    const req = request(encodeURIComponent(shortLived.certPem));
    expect(callerIdentity(req, PROXY, trust, undefined)).toBe(
      identityOfCertificate(shortLived.certDer),
    );
    const realNow = Date.now;
    Date.now = () => now + 120_000;
    try {
      expect(() => callerIdentity(req, PROXY, trust, undefined)).toThrow(
        "tls: forwarded client certificate is not trusted: certificate or its CA has expired",
      );
    } finally {
      Date.now = realNow;
    }
  });
});
