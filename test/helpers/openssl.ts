// Certificates made with the openssl command line, as an operator or an attacker would make them:
// "victim" client certificates without keyUsage (what `openssl req -x509` and many CA templates
// produce), and the forged chain of the leaf-identity attack (issue 8 item 1): the attacker's own
// key in a CA-flagged leaf without AKID, issued by a throwaway self-signed certificate that bears
// the victim's subject name, sent along with the victim's public certificate. Files go into the
// directory the caller owns and removes.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { identityOfCertificate } from "../../internal/identity/identity.js";
import type { KeyKind } from "../../internal/pki/keys.js";
import { certificatePemBlocks } from "../../internal/pki/pem.js";

const CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[victim]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
[forged_leaf]
basicConstraints = critical,CA:TRUE
subjectKeyIdentifier = none
authorityKeyIdentifier = none
`;

const GENPKEY_ARGS: Record<KeyKind, string[]> = {
  ed25519: ["-algorithm", "ed25519"],
  "ecdsa-p256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
  "rsa-2048": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
};

export interface OpensslCredential {
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly identity: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function configFile(dir: string): string {
  const path = join(dir, "openssl-test.cnf");
  writeFileSync(path, CONFIG);
  return path;
}

function credential(dir: string, name: string): OpensslCredential {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const certPem = readFileSync(certFile, "utf8");
  const der = certificatePemBlocks(certPem)[0] as Buffer;
  return {
    certFile,
    keyFile,
    certPem,
    keyPem: readFileSync(keyFile, "utf8"),
    identity: identityOfCertificate(der),
  };
}

function newKey(dir: string, name: string, kind: KeyKind): void {
  openssl(dir, ["genpkey", ...GENPKEY_ARGS[kind], "-out", `${name}.key`]);
}

/** A self-signed certificate `<name>.crt` for `<name>.key`, with the "victim" extensions. */
function selfSign(dir: string, cnf: string, name: string, subject: string): void {
  openssl(dir, [
    "req",
    "-x509",
    "-new",
    "-key",
    `${name}.key`,
    "-subj",
    subject,
    "-days",
    "30",
    "-config",
    cnf,
    "-extensions",
    "victim",
    "-out",
    `${name}.crt`,
  ]);
}

/** `<name>.crt` (subject `CN=<name>`) for `<name>.key`, issued by `ca` with `extensions`. */
function issue(
  dir: string,
  cnf: string,
  name: string,
  ca: { certFile: string; keyFile: string },
  opts: { serial: string; extensions: string },
): void {
  openssl(dir, [
    "req",
    "-new",
    "-key",
    `${name}.key`,
    "-subj",
    `/CN=${name}`,
    "-config",
    cnf,
    "-out",
    `${name}.csr`,
  ]);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    ca.certFile,
    "-CAkey",
    ca.keyFile,
    "-set_serial",
    opts.serial,
    "-days",
    "30",
    "-extfile",
    cnf,
    "-extensions",
    opts.extensions,
    "-out",
    `${name}.crt`,
  ]);
}

/**
 * A client certificate without keyUsage, self-signed or signed by `ca`. The subject is
 * `CN=<name>`; its identity is what keyfront should give its real owner.
 */
export function makeVictim(
  dir: string,
  name: string,
  kind: KeyKind,
  ca?: { certFile: string; keyFile: string },
): Victim {
  const cnf = configFile(dir);
  newKey(dir, name, kind);
  if (ca === undefined) selfSign(dir, cnf, name, `/CN=${name}`);
  else issue(dir, cnf, name, ca, { serial: String(Date.now()), extensions: "victim" });
  return { ...credential(dir, name), subject: `/CN=${name}` };
}

export type Victim = OpensslCredential & { readonly subject: string };

export interface ForgedChain {
  /** The attacker's CA-flagged leaf, its subject `CN=<name>`, issued "by" the victim's name. */
  readonly leaf: OpensslCredential;
  /** PEM of [forged leaf, victim's public certificate]: what the attacker sends. */
  readonly chainPem: string;
  /** The victim's certificate file (for `openssl s_client -cert_chain`). */
  readonly victimCertFile: string;
}

/** The attack of issue 8 item 1 against `victim`, with attacker keys of `kind`. */
export function forgeChain(dir: string, name: string, kind: KeyKind, victim: Victim): ForgedChain {
  const cnf = configFile(dir);
  const issuer = `${name}-issuer`;
  newKey(dir, issuer, kind);
  selfSign(dir, cnf, issuer, victim.subject);
  newKey(dir, name, kind);
  const issuerFiles = { certFile: `${issuer}.crt`, keyFile: `${issuer}.key` };
  issue(dir, cnf, name, issuerFiles, { serial: "1", extensions: "forged_leaf" });
  const leaf = credential(dir, name);
  return { leaf, chainPem: `${leaf.certPem}${victim.certPem}`, victimCertFile: victim.certFile };
}
