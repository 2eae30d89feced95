// Certificates for the Vault `cert` login tests: CAs (optionally intermediate), and client
// certificates with a chosen common name, validity window and extended key usage, as PEM text
// (and, with `writePair`, as files in a directory the test owns); and the root-token admin calls
// that set up the TLS test server for them. Test helper only.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createCertificate, type ExtKeyUsage } from "../../../internal/pki/certificate.js";
import { generateKeyPair, type KeyPair } from "../../../internal/pki/keys.js";
import { call } from "../../vault-server/test-client.js";

export interface TestCa {
  certPem: string;
  keyPair: KeyPair;
}

export interface ClientPair {
  certPem: string;
  keyPem: string;
}

/** A self-signed CA, or one issued by `parent` (an intermediate). */
export function makeCa(name: string, parent?: TestCa): TestCa {
  const keyPair = generateKeyPair("ecdsa-p256");
  const cert = createCertificate({
    subject: name,
    keyPair,
    isCA: true,
    ...(parent ? { issuer: { certPem: parent.certPem, keyPair: parent.keyPair } } : {}),
  });
  return { certPem: cert.certPem, keyPair };
}

export interface ClientOptions {
  cn?: string;
  notBefore?: Date;
  notAfter?: Date;
  extKeyUsage?: ExtKeyUsage[];
  /** PEM appended after the leaf (an intermediate the client presents). */
  chain?: string;
}

/** A client certificate issued by `ca` (default CN "keyfront", clientAuth, 30 days). */
export function issueClient(ca: TestCa, o: ClientOptions = {}): ClientPair {
  const keyPair = generateKeyPair("ecdsa-p256");
  const notBefore = o.notBefore ?? new Date(Date.now() - 60_000);
  const cert = createCertificate({
    subject: o.cn ?? "keyfront",
    keyPair,
    issuer: { certPem: ca.certPem, keyPair: ca.keyPair },
    notBefore,
    notAfter: o.notAfter ?? new Date(notBefore.getTime() + 30 * 86_400_000),
    extKeyUsage: o.extKeyUsage ?? ["clientAuth"],
  });
  return { certPem: cert.certPem + (o.chain ?? ""), keyPem: keyPair.privateKeyPem };
}

/** Writes `pair` to `<dir>/<name>.crt` and `.key` (replacing them); answers the paths. */
export async function writePair(dir: string, name: string, pair: ClientPair) {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await writeFile(cert, pair.certPem);
  await writeFile(key, pair.keyPem, { mode: 0o600 });
  return { cert, key };
}

/** A Vault over TLS and its root-capable token (the test server, or a real Vault). */
export interface AdminTarget {
  addr: string;
  rootToken: string;
  caPem: string;
}

/** Vault's API with the root token over TLS to `server` (fetch cannot take a CA); throws on ≥ 400. */
export function tlsAdmin(
  server: () => Pick<AdminTarget, "addr" | "rootToken"> & { caPem?: string | undefined },
) {
  return async (method: string, path: string, body?: unknown): Promise<void> => {
    const v = server();
    const r = await call(v.addr, method, `/v1/${path}`, {
      token: v.rootToken,
      caPem: v.caPem ?? "",
      ...(body !== undefined ? { body } : {}),
    });
    if (r.status >= 400) throw new Error(`${method} ${path} → ${r.status} ${r.text}`);
  };
}
