import { describe, expect, test } from "vitest";
import { createCertificate, type ExtKeyUsage } from "../pki/certificate.js";
import { generateKeyPair } from "../pki/keys.js";
import { checkCaFiles, checkClientPair, checkServerTls } from "./tls-checks.js";

const DAY = 86_400_000;
const now = new Date("2030-01-01T00:00:00Z");
const keys = generateKeyPair("ecdsa-p256");

function leaf(o: {
  days?: number;
  dns?: string[];
  ips?: string[];
  eku?: ExtKeyUsage[];
  isCA?: boolean;
}) {
  return createCertificate({
    subject: "s",
    keyPair: keys,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + (o.days ?? 60) * DAY),
    dns: o.dns ?? [],
    ips: o.ips ?? [],
    ...(o.isCA ? { isCA: true } : { extKeyUsage: o.eku ?? ["serverAuth"] }),
  }).certPem;
}

const run = (certPem: string, host = "127.0.0.1", at = now) =>
  Object.fromEntries(
    checkServerTls({
      certFile: "c.crt",
      certPem,
      keyPem: keys.privateKeyPem,
      password: undefined,
      host,
      now: at,
    }).map((r) => [r.id, `${r.status}: ${r.message}`]),
  );

describe("checkServerTls", () => {
  test("a good certificate", () => {
    expect(run(leaf({ ips: ["127.0.0.1"] }))).toEqual({
      "tls.cert.key": "ok: the private key matches the certificate",
      "tls.cert.expiry":
        "ok: the server certificate is valid until 2030-03-02T00:00:00.000Z (60 days)",
      "tls.cert.san": "ok: SANs IP:127.0.0.1 include 127.0.0.1",
      "tls.cert.eku": "ok: extended key usage includes serverAuth",
    });
  });

  test("expiry: soon is a warning, past or future is a failure", () => {
    const cert = leaf({ ips: ["127.0.0.1"], days: 5 });
    expect(run(cert)["tls.cert.expiry"]).toBe(
      "warn: the server certificate expires in 5 days (2030-01-06T00:00:00.000Z)",
    );
    expect(run(cert, "127.0.0.1", new Date(now.getTime() + 6 * DAY))["tls.cert.expiry"]).toBe(
      "fail: the server certificate expired on 2030-01-06T00:00:00.000Z",
    );
    expect(run(cert, "127.0.0.1", new Date(now.getTime() - 2 * DAY))["tls.cert.expiry"]).toBe(
      "fail: the server certificate is not valid before 2029-12-31T00:00:00.000Z",
    );
  });

  test("SANs: none, another address, or any on a wildcard bind", () => {
    expect(run(leaf({}))["tls.cert.san"]).toMatch(/^fail: the certificate names no DNS name/);
    expect(run(leaf({ ips: ["10.0.0.1"] }))["tls.cert.san"]).toBe(
      "fail: the server listens on 127.0.0.1, which is not among the certificate's SANs (IP:10.0.0.1)",
    );
    expect(run(leaf({ dns: ["kms.example"] }), "0.0.0.0")["tls.cert.san"]).toBe(
      "ok: SANs DNS:kms.example; clients must connect with one of these names",
    );
  });

  test("a client-only certificate fails the EKU check", () => {
    expect(run(leaf({ ips: ["127.0.0.1"], eku: ["clientAuth"] }))["tls.cert.eku"]).toBe(
      "fail: extended key usage (1.3.6.1.5.5.7.3.2) lacks serverAuth: TLS clients refuse the certificate",
    );
  });

  test("a key of another pair", () => {
    const other = generateKeyPair("ecdsa-p256").privateKeyPem;
    const [r] = checkServerTls({
      certFile: "c",
      certPem: leaf({}),
      keyPem: other,
      password: undefined,
      host: "",
      now,
    });
    expect(r).toMatchObject({ id: "tls.cert.key", status: "fail" });
  });
});

describe("checkCaFiles", () => {
  test("CA certificates pass; a leaf or an empty file fails", () => {
    const ca = leaf({ isCA: true });
    expect(checkCaFiles("tls.ca", [{ file: "ca.pem", text: ca }], now)).toEqual([
      { id: "tls.ca", status: "ok", message: "1 CA certificate(s), valid", hint: "" },
    ]);
    const bad = checkCaFiles("tls.ca", [{ file: "leaf.pem", text: leaf({}) }], now);
    expect(bad.map((r) => [r.status, r.message])).toEqual([
      ["fail", "'leaf.pem' (CN=s) is not a CA certificate (basic constraints CA:FALSE)"],
    ]);
    expect(checkCaFiles("tls.ca", [{ file: "e.pem", text: "" }], now)[0]?.message).toBe(
      "holds no PEM certificate",
    );
  });
});

describe("checkClientPair", () => {
  test("a matching pair passes, another key fails", () => {
    const cert = leaf({ eku: ["clientAuth"] });
    expect(checkClientPair("vault.tls.cert", cert, keys.privateKeyPem, now)[0]).toMatchObject({
      status: "ok",
      message: expect.stringMatching(/^key matches; Vault client certificate is valid until/),
    });
    const other = generateKeyPair("ed25519").privateKeyPem;
    expect(checkClientPair("vault.tls.cert", cert, other, now)[0]).toMatchObject({
      status: "fail",
      message: "keystore.vault.tls.key is not the private key of keystore.vault.tls.cert",
    });
  });
});
