// Unit tests of certificate identities (kes-api.md §5.1): SPKI extraction against Node's own
// X.509 parser, CA detection, the peer leaf's identity and malformed-input rejection.

import { createHash, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { certificateForApiKey, createCertificate } from "../pki/certificate.js";
import { generateKeyPair, type KeyKind } from "../pki/keys.js";
import { generateApiKey, identityOfApiKey } from "./api-key.js";
import {
  identityOfCertificate,
  identityOfPeerLeaf,
  identityOfSpki,
  isCaCertificate,
  spkiOfCertificate,
} from "./identity.js";

const KINDS: KeyKind[] = ["ed25519", "ecdsa-p256", "rsa-2048"];

function nodeIdentity(der: Buffer): string {
  const spki = new X509Certificate(der).publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("hex");
}

const ca = (() => {
  const keyPair = generateKeyPair("ecdsa-p256");
  return { keyPair, ...createCertificate({ subject: "test CA", keyPair, isCA: true }) };
})();

function leaf(kind: KeyKind, signed: boolean) {
  const keyPair = generateKeyPair(kind);
  const issuer = signed ? { certPem: ca.certPem, keyPair: ca.keyPair } : undefined;
  return createCertificate({ subject: `client ${kind}`, keyPair, ...(issuer && { issuer }) });
}

describe("identityOfCertificate", () => {
  it.each(KINDS.flatMap((k) => [[k, true] as const, [k, false] as const]))(
    "%s (CA-signed: %s) matches sha256 of Node's SPKI export",
    (kind, signed) => {
      const { certDer } = leaf(kind, signed);
      const id = identityOfCertificate(certDer);
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      expect(id).toBe(nodeIdentity(certDer));
      expect(
        spkiOfCertificate(certDer).equals(
          new X509Certificate(certDer).publicKey.export({ type: "spki", format: "der" }),
        ),
      ).toBe(true);
    },
  );

  it("the API-key certificate's identity is the API key's identity", () => {
    const key = generateApiKey();
    const { certDer } = certificateForApiKey(key);
    expect(identityOfCertificate(certDer)).toBe(identityOfApiKey(key));
    expect(new X509Certificate(certDer).subject).toBe(`CN=${identityOfApiKey(key)}`);
  });

  it("identityOfSpki is lowercase sha256 hex", () => {
    expect(identityOfSpki(Buffer.from("abc"))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });
});

describe("malformed certificates", () => {
  const good = leaf("ed25519", false).certDer;
  it.each([
    ["empty", Buffer.alloc(0)],
    ["truncated", good.subarray(0, good.length - 1)],
    ["trailing byte", Buffer.concat([good, Buffer.from([0])])],
    ["not a sequence", Buffer.from([0x02, 0x01, 0x00])],
    ["indefinite length", Buffer.from([0x30, 0x80, 0x00, 0x00])],
    ["length overflow", Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])],
    ["empty sequence", Buffer.from([0x30, 0x00])],
    ["tbs cut short", Buffer.from("300a3003020101300003020000", "hex")],
  ])("%s → error", (_name, der) => {
    expect(() => spkiOfCertificate(der)).toThrow(/malformed DER/);
    expect(() => isCaCertificate(der)).toThrow(/malformed DER/);
  });
});

describe("isCaCertificate and identityOfPeerLeaf", () => {
  const caFlaggedSelfSigned = createCertificate({
    subject: "selfsigned-ca-client",
    keyPair: generateKeyPair("ed25519"),
    isCA: true,
    extKeyUsage: ["clientAuth"],
  }).certDer;
  const a = leaf("ed25519", true).certDer;
  const b = leaf("rsa-2048", false).certDer;

  it("recognises CA flags like Node's X509Certificate.ca", () => {
    for (const [der, want] of [
      [ca.certDer, true],
      [caFlaggedSelfSigned, true],
      [a, false],
      [b, false],
    ] as const) {
      expect(isCaCertificate(der)).toBe(want);
      expect(new X509Certificate(der).ca).toBe(want);
    }
  });

  it.each([
    ["no certificate", undefined, { error: "none" }],
    ["an empty certificate", Buffer.alloc(0), { error: "none" }],
    ["a CA-flagged self-signed leaf (§5.1 gotcha)", caFlaggedSelfSigned, { error: "none" }],
    ["a CA certificate as the leaf", ca.certDer, { error: "none" }],
    ["a CA-signed leaf", a, { identity: identityOfCertificate(a) }],
    ["a self-signed leaf", b, { identity: identityOfCertificate(b) }],
    ["a malformed leaf", Buffer.from([0x30, 0x00]), { error: "malformed" }],
  ])("%s", (_name, der, want) => {
    expect(identityOfPeerLeaf(der)).toEqual(want);
  });
});
