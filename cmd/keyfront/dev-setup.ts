// The embedded default of `keyfront server` without --config (what `npm start` runs) and the
// ephemeral setup of `--dev`. First run writes certs/dev/{server,admin}.{crt,key} and uses the fs
// keystore under data/; later runs reuse both. Private keys are written 0600 and never printed.

import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Config } from "../../internal/config/config.js";
import { parseConfigText } from "../../internal/config/load.js";
import { identityOfCertificate } from "../../internal/identity/identity.js";
import { certificatePemBlocks } from "../../internal/pki/pem.js";
import { selfSignedClient, selfSignedServer } from "../../internal/pki/self-signed.js";

const DEV_VALIDITY_MS = 365 * 24 * 3_600_000;

export interface DevSetup {
  config: Config;
  adminIdentity: string;
  files: { serverCert: string; adminCert: string; adminKey: string };
  created: boolean;
}

async function writePrivate(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600, flag: "wx" });
  await chmod(path, 0o600);
}

/** Creates the dev server and admin certificates unless all four files exist. */
async function ensureDevCerts(dir: string): Promise<boolean> {
  const names = ["server.crt", "server.key", "admin.crt", "admin.key"].map((n) => join(dir, n));
  if (names.every((n) => existsSync(n))) return false;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const notAfter = new Date(Date.now() + DEV_VALIDITY_MS);
  const server = selfSignedServer({ notAfter });
  const admin = selfSignedClient("keyfront-admin", { notAfter });
  for (const n of names) await rm(n, { force: true });
  await writeFile(join(dir, "server.crt"), server.certPem, { mode: 0o644 });
  await writePrivate(join(dir, "server.key"), server.keyPem);
  await writeFile(join(dir, "admin.crt"), admin.certPem, { mode: 0o644 });
  await writePrivate(join(dir, "admin.key"), admin.keyPem);
  return true;
}

/** The embedded default: dev certs in `root`/certs/dev, fs keystore in `root`/data. */
export async function embeddedDefault(root: string, address: string): Promise<DevSetup> {
  const dir = resolve(root, "certs", "dev");
  const created = await ensureDevCerts(dir);
  const adminCert = join(dir, "admin.crt");
  const der = certificatePemBlocks(await readFile(adminCert, "utf8"))[0];
  if (!der) throw new Error(`${adminCert} holds no certificate`);
  const adminIdentity = identityOfCertificate(der);
  const yaml = [
    `address: ${JSON.stringify(address)}`,
    `admin: { identity: ${JSON.stringify(adminIdentity)} }`,
    `tls: { key: ${JSON.stringify(join(dir, "server.key"))}, cert: ${JSON.stringify(join(dir, "server.crt"))} }`,
    `keystore: { fs: { path: ${JSON.stringify(resolve(root, "data"))} } }`,
    "",
  ].join("\n");
  const { config } = parseConfigText(yaml, "<embedded default>", {});
  return {
    config,
    adminIdentity,
    files: { serverCert: join(dir, "server.crt"), adminCert, adminKey: join(dir, "admin.key") },
    created,
  };
}
