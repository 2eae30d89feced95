// Unit tests of certificate creation, checked with Node's independent X.509 parser (OpenSSL),
// plus the PEM splitter and the IP-address encoder the certificates depend on.

import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateApiKey, identityOfApiKey } from "../identity/api-key.js";
import { identityOfCertificate, isCaCertificate } from "../identity/identity.js";
import { certificateForApiKey, createCertificate } from "./certificate.js";
import { bytesOfIpAddress } from "./ip-address.js";
import { generateKeyPair, type KeyKind } from "./keys.js";
import { certificatePemBlocks, parsePemBlocks } from "./pem.js";

const HOUR_MS = 3_600_000;
const KINDS: KeyKind[] = ["ed25519", "ecdsa-p256", "rsa-2048"];
const caPairs = Object.fromEntries(KINDS.map((k) => [k, generateKeyPair(k)]));

describe("createCertificate", () => {
  it.each(KINDS.flatMap((ca) => KINDS.map((leaf) => [ca, leaf] as const)))(
    "%s CA signs a %s leaf",
    (caKind, leafKind) => {
      const caKeys = caPairs[caKind] as ReturnType<typeof generateKeyPair>;
      const ca = createCertificate({ subject: `CA ${caKind}`, keyPair: caKeys, isCA: true });
      const leafKeys = generateKeyPair(leafKind);
      const leaf = createCertificate({
        subject: "localhost",
        keyPair: leafKeys,
        issuer: { certPem: ca.certPem, keyPair: caKeys },
        dns: ["localhost"],
        ips: ["127.0.0.1", "::1"],
        extKeyUsage: ["serverAuth"],
      });
      const caX = new X509Certificate(ca.certPem);
      const x = new X509Certificate(leaf.certDer);
      expect(caX.ca).toBe(true);
      expect(caX.verify(caKeys.publicKey)).toBe(true);
      expect(x.ca).toBe(false);
      expect(x.subject).toBe("CN=localhost");
      expect(x.issuer).toBe(`CN=CA ${caKind}`);
      expect(x.checkIssued(caX)).toBe(true);
      expect(x.verify(caKeys.publicKey)).toBe(true);
      expect(x.verify(leafKeys.publicKey)).toBe(false);
      expect(x.subjectAltName).toBe(
        "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
      );
      expect(x.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
      expect(x.checkHost("localhost")).toBe("localhost");
      expect(x.checkIP("127.0.0.1")).toBe("127.0.0.1");
    },
  );

  it("defaults: self-signed, now … now + 720h, serverAuth + clientAuth, no SANs, positive serial", () => {
    const before = Date.now();
    const { certDer, certPem } = createCertificate({
      subject: "me",
      keyPair: generateKeyPair("ed25519"),
    });
    const x = new X509Certificate(certDer);
    expect(certificatePemBlocks(certPem)[0]?.equals(certDer)).toBe(true);
    expect(x.issuer).toBe("CN=me");
    const from = new Date(x.validFrom).getTime();
    expect(from).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(new Date(x.validTo).getTime() - from).toBe(720 * HOUR_MS);
    expect(x.keyUsage?.sort()).toEqual(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
    expect(x.subjectAltName).toBeUndefined();
    const serial = BigInt(`0x${x.serialNumber}`);
    expect(serial > 0n && serial < 1n << 128n).toBe(true);
    expect(isCaCertificate(certDer)).toBe(false);
  });

  it("serial numbers differ between certificates", () => {
    const kp = generateKeyPair("ed25519");
    const a = new X509Certificate(createCertificate({ subject: "a", keyPair: kp }).certDer);
    const b = new X509Certificate(createCertificate({ subject: "a", keyPair: kp }).certDer);
    expect(a.serialNumber).not.toBe(b.serialNumber);
  });

  it("uses GeneralizedTime from 2050 and honours explicit dates", () => {
    const notBefore = new Date("2049-12-31T23:59:59Z");
    const notAfter = new Date("2051-06-01T00:00:00Z");
    const x = new X509Certificate(
      createCertificate({ subject: "t", keyPair: generateKeyPair("ed25519"), notBefore, notAfter })
        .certDer,
    );
    expect(new Date(x.validFrom).toISOString()).toBe(notBefore.toISOString());
    expect(new Date(x.validTo).toISOString()).toBe(notAfter.toISOString());
  });

  it.each(["bad name", "bücher.example", ""])("rejects DNS SAN %j", (dns) => {
    expect(() =>
      createCertificate({ subject: "t", keyPair: generateKeyPair("ed25519"), dns: [dns] }),
    ).toThrow(/invalid DNS name/);
  });

  it("rejects notAfter before notBefore", () => {
    const notBefore = new Date();
    expect(() =>
      createCertificate({
        subject: "t",
        keyPair: generateKeyPair("ed25519"),
        notBefore,
        notAfter: notBefore,
      }),
    ).toThrow(/notAfter/);
  });
});

describe("certificateForApiKey (kes-api.md §5.4)", () => {
  it("is a self-signed 90-day ClientAuth Ed25519 certificate named by the identity", () => {
    const key = generateApiKey();
    const { certDer, keyPem } = certificateForApiKey(key);
    const x = new X509Certificate(certDer);
    const id = identityOfApiKey(key);
    expect(x.subject).toBe(`CN=${id}`);
    expect(x.issuer).toBe(`CN=${id}`);
    expect(x.ca).toBe(false);
    expect(x.subjectAltName).toBeUndefined();
    expect(x.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
    expect(x.publicKey.asymmetricKeyType).toBe("ed25519");
    expect(x.verify(x.publicKey)).toBe(true);
    const days = (new Date(x.validTo).getTime() - new Date(x.validFrom).getTime()) / (24 * HOUR_MS);
    expect(days).toBe(90);
    expect(identityOfCertificate(certDer)).toBe(id);
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });
});

describe("PEM", () => {
  const cert = createCertificate({ subject: "p", keyPair: generateKeyPair("ed25519") }).certPem;
  it("certificatePemBlocks returns every CERTIFICATE block, CRLF tolerated", () => {
    expect(certificatePemBlocks(`junk\n${cert}${cert.replace(/\n/g, "\r\n")}`)).toHaveLength(2);
  });
  it.each([
    [
      "a key block",
      cert + generateKeyPair("ed25519").privateKeyPem,
      "invalid PEM block type 'PRIVATE KEY'",
    ],
    ["no block", "hello", "no PEM CERTIFICATE block found"],
    ["no END line", "-----BEGIN CERTIFICATE-----\nAAAA\n", "has no END line"],
    [
      "bad base64",
      "-----BEGIN CERTIFICATE-----\nAA=A\n-----END CERTIFICATE-----",
      "invalid base64",
    ],
  ])("%s → error", (_name, text, message) => {
    expect(() => certificatePemBlocks(text)).toThrow(message);
  });
  it("parses RFC 1421 headers", () => {
    const text =
      "-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nAAAA\n-----END X-----\n";
    const [b] = parsePemBlocks(text);
    expect([...(b?.headers ?? [])]).toEqual([
      ["Proc-Type", "4,ENCRYPTED"],
      ["DEK-Info", "AES-256-CBC,00"],
    ]);
    expect(b?.der).toEqual(Buffer.alloc(3));
  });
});

describe("bytesOfIpAddress", () => {
  it.each([
    ["127.0.0.1", "7f000001"],
    ["::1", "00000000000000000000000000000001"],
    ["::", "00000000000000000000000000000000"],
    ["2001:db8::5:6", "20010db8000000000000000000050006"],
    ["fe80::1:2:3:4", "fe800000000000000001000200030004"],
    ["1:2:3:4:5:6:7:8", "00010002000300040005000600070008"],
    ["::ffff:10.0.0.1", "00000000000000000000ffff0a000001"],
  ])("%s", (text, hex) => {
    expect(bytesOfIpAddress(text).toString("hex")).toBe(hex);
  });
  it.each(["localhost", "1.2.3", "fe80::1%eth0", "1::2::3", ""])("rejects %j", (text) => {
    expect(() => bytesOfIpAddress(text)).toThrow(/invalid IP address/);
  });
});
