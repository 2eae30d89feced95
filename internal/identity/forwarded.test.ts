// Unit tests of the forwarded client certificate (kes-api.md §5.5): decoding nginx's URL-encoded
// PEM, the leaf-only rule, the size bound, and the trust check used under `tls.auth: on`.

import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCertificate } from "../pki/certificate.js";
import { generateKeyPair } from "../pki/keys.js";
import { identityOfForwardedCert, untrustedReason } from "./forwarded.js";
import { identityOfCertificate } from "./identity.js";

const MAX = 8_192;
const HOUR = 3_600_000;

const caKeys = generateKeyPair("ecdsa-p256");
const ca = createCertificate({ subject: "fwd CA", keyPair: caKeys, isCA: true });
const otherCaKeys = generateKeyPair("ecdsa-p256");
const otherCa = createCertificate({ subject: "other CA", keyPair: otherCaKeys, isCA: true });

function leaf(opts: { isCA?: boolean; issuer?: boolean; serverOnly?: boolean; start?: Date } = {}) {
  const keyPair = generateKeyPair("ed25519");
  return createCertificate({
    subject: "client",
    keyPair,
    ...(opts.issuer ? { issuer: { certPem: ca.certPem, keyPair: caKeys } } : {}),
    ...(opts.isCA ? { isCA: true, extKeyUsage: ["clientAuth"] as const } : {}),
    ...(opts.serverOnly ? { extKeyUsage: ["serverAuth"] as const } : {}),
    ...(opts.start
      ? { notBefore: opts.start, notAfter: new Date(opts.start.getTime() + HOUR) }
      : {}),
  });
}

/** What nginx's $ssl_client_escaped_cert sends: the PEM, every reserved character escaped. */
const escaped = (pem: string) => encodeURIComponent(pem);

describe("identityOfForwardedCert", () => {
  it("decodes a URL-encoded PEM certificate to its identity", () => {
    const c = leaf();
    expect(identityOfForwardedCert(escaped(c.certPem), MAX)).toMatchObject({
      identity: identityOfCertificate(c.certDer),
    });
  });

  it("keeps a literal '+' (base64) and accepts CRLF line ends", () => {
    const c = leaf();
    const crlf = c.certPem.replaceAll("\n", "\r\n");
    const half = escaped(crlf).replaceAll("%2B", "+");
    expect(identityOfForwardedCert(half, MAX)).toMatchObject({
      identity: identityOfCertificate(c.certDer),
    });
  });

  it.each([
    ["empty PEM", escaped("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"), "X.509"],
    ["not PEM at all", "hello", "exactly one PEM CERTIFICATE block"],
    ["bad URL escape", "%E0%A4%A", "URL encoding"],
    ["bad base64", escaped("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----"), "PEM"],
    ["no END line", escaped("-----BEGIN CERTIFICATE-----\nAAAA\n"), "PEM"],
    [
      "a private key",
      escaped(generateKeyPair("ed25519").privateKeyPem),
      "exactly one PEM CERTIFICATE block",
    ],
    ["two certificates", escaped(leaf().certPem + leaf().certPem), "exactly one"],
    ["text after the block", escaped(`${leaf().certPem}trailer`), "more than its PEM"],
    [
      "garbage DER",
      escaped("-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----"),
      "X.509",
    ],
  ])("refuses %s", (_what, value, message) => {
    const got = identityOfForwardedCert(value, MAX);
    expect(got).toHaveProperty("error");
    expect((got as { error: string }).error).toContain(message);
  });

  it("refuses a CA-flagged certificate (leaf-only rule)", () => {
    expect(identityOfForwardedCert(escaped(leaf({ isCA: true }).certPem), MAX)).toEqual({
      error: "forwarded certificate is a CA certificate",
    });
  });

  it("refuses a value over the bound before decoding it", () => {
    const value = escaped(leaf().certPem);
    expect(identityOfForwardedCert(value, value.length)).toHaveProperty("identity");
    expect(identityOfForwardedCert(value, value.length - 1)).toEqual({
      error: `forwarded certificate header is larger than ${value.length - 1} bytes`,
    });
  });
});

describe("untrustedReason", () => {
  const pool = [new X509Certificate(ca.certDer)];
  const now = Date.now() + 60_000;

  it("trusts a client certificate the pool's CA signed", () => {
    const c = new X509Certificate(leaf({ issuer: true }).certDer);
    expect(untrustedReason(c, pool, now)).toBeUndefined();
  });

  it.each([
    ["self-signed", () => leaf(), now, "not signed by a trusted CA"],
    ["expired", () => leaf({ issuer: true, start: new Date(now - 3 * HOUR) }), now, "has expired"],
    ["not yet valid", () => leaf({ issuer: true, start: new Date(now + HOUR) }), now, "not yet"],
    ["server-only EKU", () => leaf({ issuer: true, serverOnly: true }), now, "client auth"],
  ])("refuses a %s certificate", (_what, make, at, reason) => {
    expect(untrustedReason(new X509Certificate(make().certDer), pool, at)).toContain(reason);
  });

  it("refuses a certificate of another CA", () => {
    const keyPair = generateKeyPair("ed25519");
    const other = createCertificate({
      subject: "client",
      keyPair,
      issuer: { certPem: otherCa.certPem, keyPair: otherCaKeys },
    });
    expect(untrustedReason(new X509Certificate(other.certDer), pool, now)).toBe(
      "certificate is not signed by a trusted CA",
    );
  });
});
