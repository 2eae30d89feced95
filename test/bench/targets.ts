// Starting the two servers a benchmark compares — keyfront (the real CLI from a config file) and
// the bare node:https baseline — on the same per-run certificates, and stopping them.

import { type ChildProcess, spawn } from "node:child_process";
import { openSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { selfSignedClient, selfSignedServer } from "../../internal/pki/self-signed.js";

const DIST = resolve(import.meta.dirname, "../..");
const CLI = join(DIST, "cmd/keyfront/main.js");
const BASELINE = join(DIST, "test/bench/baseline-server.js");
const GC_PROBE = join(DIST, "test/bench/gc-probe.js");

/** Node flags and environment of a server whose GC the bench profiles (gc-probe.ts). */
function probeArgs(gcFile: string | undefined): { args: string[]; env: NodeJS.ProcessEnv } {
  if (gcFile === undefined) return { args: [], env: process.env };
  return { args: ["--import", GC_PROBE], env: { ...process.env, KEYFRONT_BENCH_GC_FILE: gcFile } };
}

export interface Target {
  name: "keyfront" | "baseline";
  /** What the table calls it (e.g. "keyfront, audit off"). */
  label: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export interface BenchPki {
  dir: string;
  tls: { cert: string; key: string; ca: string; servername: string };
  clientIdentity: string;
  serverCert: string;
  serverKey: string;
  cleanup(): Promise<void>;
}

export async function makeBenchPki(): Promise<BenchPki> {
  const dir = await mkdtemp(join(tmpdir(), "keyfront-bench-"));
  const server = selfSignedServer();
  const client = selfSignedClient("bench", { kind: "ecdsa-p256" });
  const serverCert = join(dir, "server.crt");
  const serverKey = join(dir, "server.key");
  await writeFile(serverCert, server.certPem);
  await writeFile(serverKey, server.keyPem, { mode: 0o600 });
  return {
    dir,
    tls: { cert: client.certPem, key: client.keyPem, ca: server.certPem, servername: "localhost" },
    clientIdentity: client.identity,
    serverCert,
    serverKey,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

function waitForLine(
  proc: ChildProcess,
  stream: "stdout" | "stderr",
  pattern: RegExp,
): Promise<string> {
  return new Promise((ok, fail) => {
    let text = "";
    proc[stream]?.on("data", (c: Buffer) => {
      text += c.toString();
      const m = pattern.exec(text);
      if (m?.[1]) ok(m[1]);
    });
    proc.once("exit", (code) => fail(new Error(`exited with ${code}: ${text}`)));
  });
}

function stopper(proc: ChildProcess): () => Promise<void> {
  return async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await exited;
  };
}

export interface KeyfrontOptions {
  workers?: number;
  extra?: string;
  keystore?: string;
  /** The audit log, on by default as in keyfront's (and KES's) default config; to a file. */
  audit?: boolean;
  /** Profile the GC with gc-probe.ts, writing its summary to this file. */
  gcFile?: string;
  /** Another build's dist/cmd/keyfront/main.js, to compare two trees in one run. */
  cli?: string;
  /** Node flags instead of SHIPPED_NODE_FLAGS (e.g. [] for Node's defaults). */
  nodeArgs?: readonly string[];
  label?: string;
}

/**
 * The Node flags keyfront is started with (`npm start`, config/keyfront.service): Node's defaults.
 * Until 2026-11-27 they were --max-semi-space-size=4 (PREVIOUS_NODE_FLAGS), which the memory
 * section still measures for comparison.
 */
export const SHIPPED_NODE_FLAGS: readonly string[] = [];
/** The young generation capped at 4 MB per semi-space: shipped before, measured for comparison. */
export const PREVIOUS_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=4"];

/** How the bench names a set of Node flags. */
export const nodeFlagsLabel = (flags: readonly string[]): string =>
  flags.length === 0 ? "Node's default flags" : `node ${flags.join(" ")}`;

let started = 0;

/**
 * keyfront from a config file: a policy identity (not admin), fs keystore unless given, the
 * audit log on (stdout to a file in the bench directory, as an operator would keep it).
 */
export async function startKeyfront(pki: BenchPki, opts: KeyfrontOptions = {}): Promise<Target> {
  const n = started++;
  const audit = opts.audit ?? true;
  const cfgFile = join(pki.dir, `keyfront-${n}.yaml`);
  await writeFile(
    cfgFile,
    [
      "admin: { identity: disabled }",
      `tls: { key: ${pki.serverKey}, cert: ${pki.serverCert} }`,
      `policy: { bench: { allow: ["/v1/key/*"], identities: [${pki.clientIdentity}] } }`,
      `log: { audit: ${audit ? "on" : "off"}, error: warn }`,
      opts.keystore ?? `keystore: { fs: { path: ${join(pki.dir, `keys-${n}`)} } }`,
      `server: { workers: ${opts.workers ?? 1} }`,
      opts.extra ?? "",
    ].join("\n"),
  );
  const stdout = audit ? openSync(join(pki.dir, `audit-${n}.log`), "w") : "ignore";
  const probe = probeArgs(opts.gcFile);
  const proc = spawn(
    process.execPath,
    [
      ...(opts.nodeArgs ?? SHIPPED_NODE_FLAGS),
      ...probe.args,
      opts.cli ?? CLI,
      "server",
      "--config",
      cfgFile,
      "--addr",
      "127.0.0.1:0",
    ],
    { stdio: ["ignore", stdout, "pipe"], env: probe.env },
  );
  const url = await waitForLine(proc, "stderr", /Endpoint\s+(\S+)[\s\S]*Server is up/);
  const label = opts.label ?? `keyfront${audit ? "" : ", audit off"}`;
  return { name: "keyfront", label, url, pid: proc.pid as number, stop: stopper(proc) };
}

export async function startBaseline(pki: BenchPki, gcFile?: string): Promise<Target> {
  const cfgFile = join(pki.dir, "baseline.json");
  await writeFile(
    cfgFile,
    JSON.stringify({ cert: pki.serverCert, key: pki.serverKey, client: pki.clientIdentity }),
  );
  const probe = probeArgs(gcFile);
  const proc = spawn(process.execPath, [...probe.args, BASELINE, cfgFile], {
    stdio: ["ignore", "pipe", "inherit"],
    env: probe.env,
  });
  const port = await waitForLine(proc, "stdout", /listening (\d+)/);
  return {
    name: "baseline",
    label: "baseline",
    url: `https://127.0.0.1:${port}`,
    pid: proc.pid as number,
    stop: stopper(proc),
  };
}
