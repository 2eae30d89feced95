// Checks of the server's TLS material and of CA files, on texts already read: the key matches the
// certificate, validity dates, SANs against the address clients reach, the serverAuth extended
// key usage, and that a CA file holds CA certificates. Pure apart from node:crypto parsing: no
// I/O. It must never put key material into a message.

import { X509Certificate } from "node:crypto";
import { DOCTOR_CERT_EXPIRY_WARN_MS } from "../limits.js";
import { loadPrivateKeyPem } from "../pki/keys.js";
import { certificatePemBlocks, parsePemBlocks } from "../pki/pem.js";
import { type CheckResult, fail, ok, warn } from "./report.js";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const ANY_EKU = "2.5.29.37.0";
const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", ""]);

export interface ServerTlsInput {
  certFile: string;
  certPem: string;
  keyPem: string;
  password: string | undefined;
  /** The host of `address` (IP literal, no brackets). */
  host: string;
  now: Date;
}

/** tls.cert.key, tls.cert.expiry, tls.cert.san, tls.cert.eku. */
export function checkServerTls(input: ServerTlsInput): CheckResult[] {
  let leaf: X509Certificate;
  try {
    const der = certificatePemBlocks(input.certPem)[0];
    if (der === undefined) throw new Error("no certificate");
    leaf = new X509Certificate(der);
  } catch (err) {
    return [fail("tls.cert", `'${input.certFile}': ${(err as Error).message}`)];
  }
  return [
    checkKeyMatch(leaf, input),
    checkExpiry("tls.cert.expiry", leaf, input.now, "the server certificate"),
    checkSans(leaf, input.host),
    checkEku(leaf),
  ];
}

function checkKeyMatch(leaf: X509Certificate, input: ServerTlsInput): CheckResult {
  const id = "tls.cert.key";
  try {
    const key = loadPrivateKeyPem(input.keyPem, input.password);
    if (leaf.checkPrivateKey(key)) return ok(id, "the private key matches the certificate");
  } catch (err) {
    return fail(id, `cannot load tls.key: ${(err as Error).message}`);
  }
  return fail(
    id,
    "tls.key is not the private key of tls.cert",
    "point tls.key and tls.cert at the key and certificate of one pair",
  );
}

export function checkExpiry(id: string, x: X509Certificate, now: Date, what: string): CheckResult {
  const from = new Date(x.validFrom);
  const to = new Date(x.validTo);
  const renew = "issue a new certificate and reload (SIGHUP)";
  if (now < from) return fail(id, `${what} is not valid before ${from.toISOString()}`, renew);
  if (now > to) return fail(id, `${what} expired on ${to.toISOString()}`, renew);
  const days = Math.floor((to.getTime() - now.getTime()) / 86_400_000);
  if (to.getTime() - now.getTime() < DOCTOR_CERT_EXPIRY_WARN_MS) {
    return warn(id, `${what} expires in ${days} days (${to.toISOString()})`, renew);
  }
  return ok(id, `${what} is valid until ${to.toISOString()} (${days} days)`);
}

function checkSans(leaf: X509Certificate, host: string): CheckResult {
  const id = "tls.cert.san";
  const sans = (leaf.subjectAltName ?? "")
    .split(/,\s*/)
    .filter((s) => /^(DNS|IP Address):/.test(s))
    .map((s) => s.replace("IP Address:", "IP:"));
  if (sans.length === 0) {
    return fail(
      id,
      "the certificate names no DNS name or IP address (SAN): clients cannot verify it",
      "issue it with the names clients connect to (e.g. keyfront identity new --dns … --ip …)",
    );
  }
  const list = sans.join(", ");
  if (WILDCARD_HOSTS.has(host)) {
    return ok(id, `SANs ${list}; clients must connect with one of these names`);
  }
  if (leaf.checkIP(host) === undefined) {
    return fail(
      id,
      `the server listens on ${host}, which is not among the certificate's SANs (${list})`,
      `add IP:${host} to the certificate, or have clients connect with a name it has`,
    );
  }
  return ok(id, `SANs ${list} include ${host}`);
}

function checkEku(leaf: X509Certificate): CheckResult {
  const id = "tls.cert.eku";
  const usages = leaf.keyUsage;
  if (usages === undefined || usages.length === 0) {
    return ok(id, "no extended key usage restriction");
  }
  if (usages.includes(SERVER_AUTH) || usages.includes(ANY_EKU)) {
    return ok(id, "extended key usage includes serverAuth");
  }
  return fail(
    id,
    `extended key usage (${usages.join(", ")}) lacks serverAuth: TLS clients refuse the certificate`,
    "issue a server certificate (extended key usage serverAuth)",
  );
}

/** keystore.vault.tls.cert/key, keyfront's client certificate for Vault: key match and expiry. */
export function checkClientPair(
  id: string,
  certPem: string,
  keyPem: string,
  now: Date,
): CheckResult[] {
  const der = certificatePemBlocks(certPem)[0];
  if (der === undefined) return [fail(id, "holds no certificate")];
  const x = new X509Certificate(der);
  let matches = false;
  try {
    matches = x.checkPrivateKey(loadPrivateKeyPem(keyPem));
  } catch (err) {
    return [fail(id, `cannot load the key: ${(err as Error).message}`)];
  }
  if (!matches) {
    return [
      fail(
        id,
        "keystore.vault.tls.key is not the private key of keystore.vault.tls.cert",
        "point both at one key pair",
      ),
    ];
  }
  const expiry = checkExpiry(id, x, now, "Vault client certificate");
  return [expiry.status === "ok" ? ok(id, `key matches; ${expiry.message}`) : expiry];
}

/** A CA file (or directory, as files) must hold CA certificates: `tls.ca`, `vault.tls.ca`. */
export function checkCaFiles(
  id: string,
  files: readonly { file: string; text: string }[],
  now: Date,
): CheckResult[] {
  const out: CheckResult[] = [];
  let count = 0;
  for (const { file, text } of files) {
    let blocks: Buffer[];
    try {
      blocks = parsePemBlocks(text)
        .filter((b) => b.type === "CERTIFICATE")
        .map((b) => b.der);
    } catch (err) {
      out.push(fail(id, `'${file}': ${(err as Error).message}`));
      continue;
    }
    for (const der of blocks) {
      count++;
      const x = new X509Certificate(der);
      const who = `'${file}' (${x.subject.replaceAll("\n", ", ")})`;
      if (!x.ca) {
        out.push(
          fail(
            id,
            `${who} is not a CA certificate (basic constraints CA:FALSE)`,
            "point it at the CA that issued the certificates, not at a leaf certificate",
          ),
        );
      }
      const expiry = checkExpiry(id, x, now, `the CA certificate ${who}`);
      if (expiry.status !== "ok") out.push(expiry);
    }
  }
  if (count === 0) out.push(fail(id, "holds no PEM certificate"));
  if (out.length === 0) out.push(ok(id, `${count} CA certificate(s), valid`));
  return out;
}
