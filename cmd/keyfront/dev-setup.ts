// The embedded default of `keyfront server` without --config (what `npm start` runs) and the
// ephemeral setup of `--dev`. First run writes certs/dev/{server,admin}.{crt,key} and a commented
// configuration, certs/dev/keyfront.yaml (fs keystore under data/), which the server then loads
// like any --config file: later runs reuse the certificates and the file, edits included. Private
// keys are written 0600 and never printed.

import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { identityOfCertificate } from "../../internal/identity/identity.js";
import { certificatePemBlocks } from "../../internal/pki/pem.js";
import { selfSignedClient, selfSignedServer } from "../../internal/pki/self-signed.js";
import { firstRunConfigYaml } from "./first-run-config.js";

const DEV_VALIDITY_MS = 365 * 24 * 3_600_000;

/** Where the first run writes its files, relative to the working directory. */
export const DEV_DIR = "certs/dev";
export const DEV_CONFIG_FILE = `${DEV_DIR}/keyfront.yaml`;

export interface DevSetup {
  /** The configuration file the server loads (absolute). */
  configFile: string;
  adminIdentity: string;
  files: { serverCert: string; adminCert: string; adminKey: string };
  /** The certificates were created on this run. */
  created: boolean;
  /** The configuration file was (re)written on this run. */
  wroteConfig: boolean;
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

/**
 * The embedded default in `root`: dev certificates in certs/dev and the configuration file
 * certs/dev/keyfront.yaml, written when missing or when new certificates (a new admin) were
 * made; an earlier file is then kept as keyfront.yaml.bak rather than lost.
 */
export async function embeddedDefault(root: string): Promise<DevSetup> {
  const dir = resolve(root, DEV_DIR);
  const created = await ensureDevCerts(dir);
  const adminCert = join(dir, "admin.crt");
  const der = certificatePemBlocks(await readFile(adminCert, "utf8"))[0];
  if (!der) throw new Error(`${adminCert} holds no certificate`);
  const adminIdentity = identityOfCertificate(der);
  const configFile = resolve(root, DEV_CONFIG_FILE);
  const wroteConfig = created || !existsSync(configFile);
  if (wroteConfig) {
    if (existsSync(configFile)) await rename(configFile, `${configFile}.bak`);
    const tmp = `${configFile}.${process.pid}.tmp`;
    await writeFile(tmp, firstRunConfigYaml(adminIdentity), { mode: 0o644 });
    await rename(tmp, configFile);
  }
  return {
    configFile,
    adminIdentity,
    files: { serverCert: join(dir, "server.crt"), adminCert, adminKey: join(dir, "admin.key") },
    created,
    wroteConfig,
  };
}
