import { describe, expect, it } from "vitest";
import { createCertificate } from "../../pki/certificate.js";
import { generateKeyPair } from "../../pki/keys.js";
import { type ClientCertInfo, clientCertOf, judgeClientCert } from "./client-cert.js";

const H = 3_600_000;
const D = 24 * H;
const NOW = Date.parse("2026-06-01T12:00:00Z");

/** A certificate valid from `from` to `to` (ms relative to NOW). */
const info = (from: number, to: number, login = true): ClientCertInfo => ({
  path: "/etc/keyfront/vault.crt",
  subject: "CN=keyfront",
  login,
  notBefore: NOW + from,
  notAfter: NOW + to,
});

describe("judgeClientCert", () => {
  it.each([
    ["90-day certificate, 30 days left", info(-60 * D, 30 * D), "ok"],
    ["90-day certificate, 7 days left: the fixed threshold", info(-83 * D, 7 * D), "expiring"],
    ["90-day certificate, 8 days left", info(-82 * D, 8 * D), "ok"],
    ["24 h certificate, 6 h left: over 20 % of its life", info(-18 * H, 6 * H), "ok"],
    ["24 h certificate, 4 h left: under 20 % of its life", info(-20 * H, 4 * H), "expiring"],
    ["expired a second ago", info(-30 * D, -1_000), "expired"],
    ["valid only from tomorrow", info(D, 30 * D), "not-yet-valid"],
  ])("%s", (_, cert, state) => {
    expect(judgeClientCert(cert, NOW).state).toBe(state);
  });

  it("says what, where, until when and what to do", () => {
    expect(judgeClientCert(info(-83 * D, 2 * D + 3 * H), NOW).message).toBe(
      "the Vault client certificate keystore.vault.tls.cert '/etc/keyfront/vault.crt' (CN=keyfront) expires at 2026-06-03T15:00:00Z (in 2d 3h): renew the file and reload keyfront (SIGHUP) before then",
    );
    expect(judgeClientCert(info(-30 * D, -H), NOW).message).toBe(
      "the Vault client certificate keystore.vault.tls.cert '/etc/keyfront/vault.crt' (CN=keyfront) expired at 2026-06-01T11:00:00Z: Vault refuses it; renew the file and reload keyfront (SIGHUP)",
    );
    expect(judgeClientCert(info(-30 * D, -H, false), NOW).message).toBe(
      "the Vault client certificate keystore.vault.tls.cert '/etc/keyfront/vault.crt' (CN=keyfront) expired at 2026-06-01T11:00:00Z: a Vault that verifies client certificates refuses it; renew the file and reload keyfront (SIGHUP)",
    );
    expect(judgeClientCert(info(-30 * D, 30 * D), NOW).message).toBe("");
  });
});

it("reads the leaf of a PEM file, and nothing from a file without a certificate", () => {
  const keyPair = generateKeyPair("ecdsa-p256");
  const notBefore = new Date("2026-01-01T00:00:00Z");
  const notAfter = new Date("2026-04-01T00:00:00Z");
  const { certPem } = createCertificate({ subject: "keyfront", keyPair, notBefore, notAfter });
  expect(clientCertOf(certPem, "c.pem", true)).toEqual({
    path: "c.pem",
    subject: "CN=keyfront",
    login: true,
    notBefore: notBefore.getTime(),
    notAfter: notAfter.getTime(),
  });
  expect(clientCertOf("no certificate here", "c.pem", true)).toBeUndefined();
});
