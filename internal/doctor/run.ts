// Runs every check of `keyfront doctor` in hop order — config (with its files), server TLS, CA
// files, identities and policies, MinIO's routes, the keystore (Vault: reach, state, login, mount,
// capabilities) and, when asked, the throwaway-key probe — and answers the results. Reads files
// and talks to the keystore; never writes anything but the probe's key (always deleted), and
// never prints: the CLI renders the results.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import type { Config } from "../config/config.js";
import type { Env } from "../config/env.js";
import { ConfigError, loadConfigFile } from "../config/load.js";
import type { KeyStore } from "../keystore/keystore.js";
import { CONFIG_CA_DIR_MAX_FILES } from "../limits.js";
import { connectStore } from "../server/state.js";
import { checkIdentities, checkMinioRoutes } from "./policy-checks.js";
import { probeStore } from "./probe.js";
import { type CheckResult, fail, ok, warn } from "./report.js";
import { checkCaFiles, checkClientPair, checkServerTls } from "./tls-checks.js";
import { checkVault } from "./vault-checks.js";

export interface DoctorOptions {
  probe: boolean;
  env: Env;
  now?: Date;
}

export async function runDoctorChecks(file: string, opts: DoctorOptions): Promise<CheckResult[]> {
  let config: Config;
  const out: CheckResult[] = [];
  try {
    const loaded = loadConfigFile(file, opts.env, { checkFiles: true });
    config = loaded.config;
    out.push(ok("config", `${file} is valid`));
    for (const w of loaded.warnings) out.push(warn("config", w));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Every problem at once; nothing below can be checked on a config that does not load.
    return err.problems.map((p) => fail("config", p, "fix the config file"));
  }
  const now = opts.now ?? new Date();
  const { tls } = config;
  out.push(
    ...checkServerTls({
      certFile: tls.cert,
      certPem: readFileSync(tls.cert, "utf8"),
      keyPem: readFileSync(tls.key, "utf8"),
      password: tls.password,
      host: hostOf(config.address),
      now,
    }),
  );
  if (tls.ca !== undefined) out.push(...checkCaFiles("tls.ca", readCaFiles(tls.ca), now));
  out.push(...checkIdentities(config), ...checkMinioRoutes(config));
  out.push(...(await checkKeystore(config, opts, now)));
  return out;
}

async function checkKeystore(config: Config, opts: DoctorOptions, now: Date) {
  const out: CheckResult[] = [];
  const ks = config.keystore;
  if (ks.kind === "fs") {
    out.push(ok("keystore", `fs keystore in '${ks.fs.path}'`));
  } else {
    out.push(
      ok(
        "keystore",
        `Vault keystore: K/V ${ks.vault.version} mount '${ks.vault.engine}'${ks.vault.prefix ? `, prefix '${ks.vault.prefix}'` : ""}${ks.vault.namespace ? `, namespace '${ks.vault.namespace}'` : ""}`,
      ),
    );
    // Vault's TLS files, read once: checked here, then used to reach Vault.
    const tls = ks.vault.tls;
    const caFiles = tls.ca === undefined ? undefined : readCaFiles(tls.ca);
    if (caFiles !== undefined) out.push(...checkCaFiles("vault.tls.ca", caFiles, now));
    const read = (p: string | undefined) => (p === undefined ? undefined : readFileSync(p, "utf8"));
    const material = { ca: caFiles?.map((f) => f.text), cert: read(tls.cert), key: read(tls.key) };
    if (material.cert !== undefined && material.key !== undefined) {
      out.push(...checkClientPair("vault.tls.cert", material.cert, material.key, now));
    }
    out.push(...(await checkVault(ks.vault, material)));
  }
  if (!opts.probe) return out;
  // Capabilities as Vault reports them may be wrong in either direction: the probe still runs.
  const blocking = out.find((r) => r.status === "fail" && r.id !== "vault.capabilities");
  if (blocking !== undefined) {
    out.push(fail("probe", `not run: ${blocking.id} failed`));
    return out;
  }
  let store: KeyStore;
  try {
    store = await connectStore(config, undefined, pino({ level: "silent" }));
  } catch (err) {
    out.push(fail("probe", `cannot open the keystore: ${(err as Error).message}`));
    return out;
  }
  try {
    out.push(await probeStore(store));
  } finally {
    await store.close();
  }
  return out;
}

/** The host of a normalised "host:port" / "[v6]:port" address, without brackets. */
export function hostOf(address: string): string {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):\d+$/.exec(address);
  return m?.[1] ?? m?.[2] ?? "";
}

function readCaFiles(path: string): { file: string; text: string }[] {
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((f) => !f.startsWith("."))
        .slice(0, CONFIG_CA_DIR_MAX_FILES)
        .map((f) => join(path, f))
    : [path];
  return files.map((file) => ({ file, text: readFileSync(file, "utf8") }));
}
