// Starts the real keyfront CLI (`node dist/cmd/keyfront/main.js server --config …`) on
// 127.0.0.1:0 from a YAML config written per test, and talks to it over real mTLS. Every server a
// test starts is stopped by `stop()`; its stdout/stderr are kept for log assertions.

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { ClientRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type TLSSocket, connect as tlsConnect } from "node:tls";

export const ROOT = resolve(import.meta.dirname, "../..");
export const CLI = join(ROOT, "dist/cmd/keyfront/main.js");

export function requireBuild(): void {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: run 'npm run build' first (npm test does it for you)`);
  }
}

export interface TlsClient {
  certPem?: string;
  keyPem?: string;
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => unknown;
}

export interface RunningServer {
  url: string;
  port: number;
  caPem: string;
  stdout: () => string;
  stderr: () => string;
  proc: ChildProcess;
  dir: string;
  request: (
    client: TlsClient,
    method: string,
    path: string,
    body?: string | Buffer,
    headers?: Record<string, string>,
  ) => Promise<Response>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  /** Resolves with the exit code once the process has exited by itself. */
  exited: Promise<number | null>;
}

/**
 * A raw TLS connection to the server as `client` (for requests written by hand: pipelining,
 * hang-ups, malformed request lines); the caller writes once "secureConnect" has fired.
 */
export function connectTo(s: Pick<RunningServer, "port" | "caPem">, client: TlsClient): TLSSocket {
  return tlsConnect({
    host: "127.0.0.1",
    port: s.port,
    ca: s.caPem,
    servername: "localhost",
    ...(client.certPem ? { cert: client.certPem, key: client.keyPem } : {}),
  });
}

/**
 * An HTTPS request to the server as `client` on a connection of its own, not yet ended: for
 * tests that hang up, stream or time what the server does before the answer.
 */
export function requestTo(
  s: Pick<RunningServer, "url" | "caPem">,
  client: TlsClient,
  method: string,
  path: string,
): ClientRequest {
  const u = new URL(s.url);
  return httpsRequest({
    host: u.hostname,
    port: u.port,
    method,
    path,
    ca: s.caPem,
    ...(client.certPem ? { cert: client.certPem, key: client.keyPem } : {}),
    servername: "localhost",
    agent: false,
  });
}

/** One HTTPS request with a client certificate (or none), no keep-alive. */
export function tlsRequest(
  url: string,
  caPem: string,
  client: TlsClient,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Response> {
  return new Promise((resolvePromise, reject) => {
    const u = new URL(url);
    const req = httpsRequest(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        ca: caPem,
        ...(client.certPem ? { cert: client.certPem, key: client.keyPem } : {}),
        servername: "localhost",
        agent: false,
        headers:
          body === undefined
            ? headers
            : { "Content-Length": String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolvePromise({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            json: () => JSON.parse(text),
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export interface StartOptions {
  /** The YAML config text; `${DIR}` is replaced by the server's temp dir. */
  yaml: string;
  caPem: string;
  env?: Record<string, string>;
  args?: string[];
  /** Files written into the server's temp dir before it starts (name → content). */
  files?: Record<string, string>;
  /** Options for node itself, before the CLI script (e.g. `--import` of a test module). */
  nodeArgs?: string[];
}

/** Starts the CLI server and resolves once it printed its endpoint. */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  requireBuild();
  const dir = await mkdtemp(join(tmpdir(), "keyfront-test-"));
  const configFile = join(dir, "config.yaml");
  for (const [name, content] of Object.entries(opts.files ?? {})) {
    await writeFile(join(dir, name), content, { mode: 0o600 });
  }
  await writeFile(configFile, opts.yaml.replaceAll("${DIR}", dir));
  const proc = spawn(
    process.execPath,
    [
      ...(opts.nodeArgs ?? []),
      CLI,
      "server",
      "--config",
      configFile,
      "--addr",
      "127.0.0.1:0",
      ...(opts.args ?? []),
    ],
    {
      cwd: dir,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  proc.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${err}`)), 20_000);
    proc.stderr?.on("data", (c: Buffer) => {
      err += c.toString();
      const m = /Endpoint\s+(https:\/\/\S+)/.exec(err);
      if (m?.[1] && err.includes("Server is up")) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before it was up:\n${err}`));
    });
  });
  const server: RunningServer = {
    url,
    port: Number(new URL(url).port),
    caPem: opts.caPem,
    stdout: () => out,
    stderr: () => err,
    proc,
    dir,
    exited,
    request: (client, method, path, body, headers) =>
      tlsRequest(url, opts.caPem, client, method, path, body, headers),
    stop: async (signal = "SIGTERM") => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const code = await Promise.race([
        exited,
        new Promise<null>((r) =>
          setTimeout(() => {
            proc.kill("SIGKILL");
            r(null);
          }, 10_000),
        ),
      ]);
      await rm(dir, { recursive: true, force: true });
      return code;
    },
  };
  return server;
}

/** Runs the CLI to completion (for config errors and other short-lived invocations). */
export function runCli(
  args: string[],
  opts: {
    cwd?: string;
    env?: Record<string, string>;
    timeoutMs?: number;
    /** stdin as a pipe carrying this (null: a pipe closed at once); default: no stdin */
    input?: string | Buffer | null;
  } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  requireBuild();
  return new Promise((resolveRun) => {
    const proc = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    if (opts.input !== undefined) proc.stdin?.end(opts.input ?? undefined);
    let stdout = "";
    let stderr = "";
    proc.stdout?.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    proc.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 20_000);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}
