// `keyfront server`: run the key server from a KES config file (--config), on ephemeral dev
// settings (--dev), or on the embedded default (no flag: dev certs and the commented config file
// certs/dev/keyfront.yaml, fs keystore in data/). SIGHUP reloads the config file atomically;
// SIGTERM/SIGINT drain and exit.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Config } from "../../internal/config/config.js";
import { ConfigError, loadConfigFile, parseConfigText } from "../../internal/config/load.js";
import { generateApiKey, identityOfApiKey } from "../../internal/identity/api-key.js";
import { connectMem } from "../../internal/keystore/mem/mem-store.js";
import { selfSignedServer } from "../../internal/pki/self-signed.js";
import { KeyfrontServer } from "../../internal/server/app.js";
import { buildState, closeState, StartupError } from "../../internal/server/state.js";
import { bannerText, localEndpoint } from "./banner.js";
import { DEV_CONFIG_FILE, embeddedDefault } from "./dev-setup.js";
import { installLastResort } from "./last-resort.js";
import { CommandError, UsageError } from "./output.js";
import { createPrimaryLog, createRuntime, packageVersion } from "./runtime.js";
import { coalesced } from "./signals.js";
import {
  announceListening,
  forkWorkers,
  isWorker,
  resolvePort,
  resolveWorkers,
  superviseWorkers,
  workerPort,
} from "./workers.js";

const DEFAULT_DEV_ADDRESS = "127.0.0.1:7373";

export const SERVER_USAGE = `usage: keyfront server [--config FILE | --dev] [--addr HOST:PORT]

  (no flag)        the embedded default: on first run creates certs/dev/{server,admin}.{crt,key}
                   and the commented configuration ${DEV_CONFIG_FILE}, then serves from that
                   file (fs keystore in data/), on 127.0.0.1:7373
  --config FILE    a KES server configuration file
  --dev            in-memory keys, a throwaway certificate, a fresh kes:v1 API key as admin
  --addr HOST:PORT overrides the configured address
  -h, --help       this text
`;

/** Splits "host:port" / "[v6]:port" / ":port". */
export function parseAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new UsageError(`invalid address '${address}': want host:port`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

function loadConfig(path: string): Config {
  try {
    const { config, warnings } = loadConfigFile(path, process.env, { checkFiles: true });
    for (const w of warnings) process.stderr.write(`keyfront: warning: ${w}\n`);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      const problems: readonly string[] = err.problems;
      throw new CommandError(`invalid configuration:\n  ${problems.join("\n  ")}`, 2);
    }
    throw err;
  }
}

/** --dev: a fresh API key as admin, a throwaway ECDSA server certificate, in-memory keys. */
async function devConfig(
  address: string,
): Promise<{ config: Config; apiKey: string; dir: string }> {
  const apiKey = generateApiKey();
  const dir = await mkdtemp(join(tmpdir(), "keyfront-dev-"));
  const cert = selfSignedServer({ ips: ["127.0.0.1", "::1"] });
  await writeFile(join(dir, "server.crt"), cert.certPem);
  await writeFile(join(dir, "server.key"), cert.keyPem, { mode: 0o600 });
  const yaml = [
    `address: ${JSON.stringify(address)}`,
    `admin: { identity: ${identityOfApiKey(apiKey)} }`,
    `tls: { key: ${JSON.stringify(join(dir, "server.key"))}, cert: ${JSON.stringify(join(dir, "server.crt"))} }`,
    `keystore: { fs: { path: ${JSON.stringify(join(dir, "unused"))} } }`,
  ].join("\n");
  return {
    config: parseConfigText(yaml, "<dev>", {}).config,
    apiKey,
    dir,
  };
}

export async function runServer(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      config: { type: "string" },
      dev: { type: "boolean", default: false },
      addr: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(SERVER_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (values.dev && values.config)
    throw new UsageError("--dev and --config cannot be used together");

  const banner: string[] = [];
  let config: Config;
  let cleanupDir: string | undefined;
  let configFile = values.config;
  /** What to paste next, given the endpoint (embedded default and --dev). */
  let next: ((endpoint: string) => string[]) | undefined;
  if (configFile) {
    config = loadConfig(configFile);
  } else if (values.dev) {
    const dev = await devConfig(values.addr ?? DEFAULT_DEV_ADDRESS);
    config = dev.config;
    cleanupDir = dev.dir;
    banner.push(`API Key    ${dev.apiKey}`);
    next = (endpoint) => [
      "Use the API key with the CLI (-k: the certificate is a throwaway, self-signed one):",
      `  export KES_SERVER=${new URL(endpoint).host} KES_API_KEY=${dev.apiKey}; keyfront key ls -k`,
    ];
  } else {
    const setup = await embeddedDefault(process.cwd());
    configFile = setup.configFile;
    config = loadConfig(configFile);
    banner.push(`Config     ${configFile}`);
    banner.push(`Admin cert ${setup.files.adminCert}`, `Admin key  ${setup.files.adminKey}`);
    if (setup.created)
      banner.push("           (certificates were created on this first run and are reused)");
    if (setup.wroteConfig && !setup.created)
      banner.push("           (the configuration file was missing and has been written again)");
    next = (endpoint) => [
      "Create a key and generate a DEK with the admin certificate:",
      `  ${curlLine(endpoint)}`,
    ];
  }
  const { host, port: configuredPort } = parseAddress(values.addr ?? config.address);
  const port = workerPort(configuredPort);
  const workerCount = values.dev ? 1 : resolveWorkers(config.server.workers);
  if (workerCount > 1 && !isWorker()) {
    let first: Awaited<ReturnType<typeof forkWorkers>>;
    try {
      first = await forkWorkers(workerCount, await resolvePort(host, port));
    } catch (err) {
      throw new CommandError(`cannot start the workers: ${(err as Error).message}`);
    }
    banner.push(`Workers    ${workerCount} processes`);
    process.stderr.write(
      bannerText({
        version: packageVersion(),
        bound: first,
        config,
        inMemory: false,
        extra: banner,
        ...(next ? { next: next(localEndpoint(first)) } : {}),
      }),
    );
    return superviseWorkers(createPrimaryLog(config.log.error));
  }
  const rt = createRuntime(config.log);
  let state: Awaited<ReturnType<typeof buildState>>;
  try {
    state = await buildState(config, rt, values.dev ? { store: connectMem() } : {});
  } catch (err) {
    if (err instanceof StartupError) throw new CommandError(err.message);
    throw err;
  }
  const server = new KeyfrontServer(rt, state);
  let addr: Awaited<ReturnType<KeyfrontServer["listen"]>>;
  try {
    addr = await server.listen(host, port);
  } catch (err) {
    throw new CommandError(`cannot listen on ${host}:${port}: ${(err as Error).message}`);
  }
  if (isWorker()) {
    announceListening(addr);
    return serveUntilSignal(server, rt, configFile, cleanupDir);
  }
  process.stderr.write(
    bannerText({
      version: rt.version,
      bound: addr,
      config,
      inMemory: values.dev === true,
      extra: banner,
      ...(next ? { next: next(localEndpoint(addr)) } : {}),
    }),
  );
  return serveUntilSignal(server, rt, configFile, cleanupDir);
}

function curlLine(endpoint: string): string {
  const c =
    "curl -sS --fail-with-body --cacert certs/dev/server.crt --cert certs/dev/admin.crt --key certs/dev/admin.key";
  return `${c} -X POST ${endpoint}/v1/key/create/my-key; ${c} -X POST ${endpoint}/v1/key/generate/my-key`;
}

function serveUntilSignal(
  server: KeyfrontServer,
  rt: ReturnType<typeof createRuntime>,
  configFile: string | undefined,
  cleanupDir: string | undefined,
): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const reloadOnce = async () => {
      if (!configFile || stopping) return;
      try {
        const config = loadConfig(configFile);
        process.stderr.write("keyfront: reloading the configuration\n");
        const next = await buildState(config, rt);
        if (stopping) {
          await closeState(next);
          return;
        }
        server.reload(next);
        rt.log.info("configuration reloaded");
        process.stderr.write("keyfront: configuration reloaded\n");
      } catch (err) {
        rt.log.error(
          { err: { message: (err as Error).message } },
          "reload failed; keeping the old configuration",
        );
        process.stderr.write(
          `keyfront: reload failed, keeping the old configuration: ${(err as Error).message}\n`,
        );
      }
    };
    // A SIGHUP during a reload is queued (several coalesce into one), never dropped.
    const reloads = coalesced(reloadOnce);
    const hup = () => reloads.trigger();
    const stop = () => void onStop(0);
    const onStop = async (code: number) => {
      if (stopping) return;
      stopping = true;
      // A second SIGTERM/SIGINT during the drain kills the process (default action restored).
      process.off("SIGTERM", stop).off("SIGINT", stop).off("SIGHUP", hup);
      process.stderr.write("=> Stopping server... Goodbye.\n");
      await server.shutdown();
      await reloads.idle();
      if (cleanupDir) await rm(cleanupDir, { recursive: true, force: true });
      uninstall();
      resolve(code);
    };
    // An uncaught exception drains and exits 1 (last-resort.ts); the hard exit bounds the drain.
    const uninstall = installLastResort(rt.log, () => void onStop(1));
    process.on("SIGHUP", hup);
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}
