// Starting the two servers a benchmark compares — keyfront (the real CLI from a config file) and
// the bare node:https baseline — on the same per-run certificates, and stopping them.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { selfSignedClient, selfSignedServer } from "../../internal/pki/self-signed.js";

const DIST = resolve(import.meta.dirname, "../..");
const CLI = join(DIST, "cmd/keyfront/main.js");
const BASELINE = join(DIST, "test/bench/baseline-server.js");

export interface Target {
  name: "keyfront" | "baseline";
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

/** keyfront from a config file: a policy identity (not admin), fs keystore unless given, audit off. */
export async function startKeyfront(
  pki: BenchPki,
  opts: { workers?: number; extra?: string; keystore?: string } = {},
): Promise<Target> {
  const cfgFile = join(pki.dir, `keyfront-${Date.now()}.yaml`);
  await writeFile(
    cfgFile,
    [
      "admin: { identity: disabled }",
      `tls: { key: ${pki.serverKey}, cert: ${pki.serverCert} }`,
      `policy: { bench: { allow: ["/v1/key/*"], identities: [${pki.clientIdentity}] } }`,
      "log: { audit: off, error: warn }",
      opts.keystore ?? `keystore: { fs: { path: ${join(pki.dir, `keys-${Date.now()}`)} } }`,
      `server: { workers: ${opts.workers ?? 1} }`,
      opts.extra ?? "",
    ].join("\n"),
  );
  const proc = spawn(
    process.execPath,
    [CLI, "server", "--config", cfgFile, "--addr", "127.0.0.1:0"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const url = await waitForLine(proc, "stderr", /Endpoint\s+(\S+)[\s\S]*Server is up/);
  return { name: "keyfront", url, pid: proc.pid as number, stop: stopper(proc) };
}

export async function startBaseline(pki: BenchPki): Promise<Target> {
  const cfgFile = join(pki.dir, "baseline.json");
  await writeFile(
    cfgFile,
    JSON.stringify({ cert: pki.serverCert, key: pki.serverKey, client: pki.clientIdentity }),
  );
  const proc = spawn(process.execPath, [BASELINE, cfgFile], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await waitForLine(proc, "stdout", /listening (\d+)/);
  return {
    name: "baseline",
    url: `https://127.0.0.1:${port}`,
    pid: proc.pid as number,
    stop: stopper(proc),
  };
}

/** Resident set size of a process in bytes (Linux /proc). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

/** RSS of a process and its children (workers). */
export async function treeRssOf(pid: number): Promise<number> {
  let total = await rssOf(pid);
  try {
    const children = (await readFile(`/proc/${pid}/task/${pid}/children`, "utf8"))
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    for (const c of children) total += await rssOf(Number(c)).catch(() => 0);
  } catch {
    // no children file: a single process
  }
  return total;
}
