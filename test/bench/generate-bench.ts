// A first load measurement: requests/s and latency of key/generate over mTLS keep-alive at
// 32 connections, against the real server process started from a config file, with autocannon
// as the load generator. Usage: npm run bench:generate [-- --seconds 10 --connections 32]
// (The full benchmark suite with its bare node:https baseline is a later piece of work.)

import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { selfSignedClient, selfSignedServer } from "../../internal/pki/self-signed.js";

const CLI = resolve(import.meta.dirname, "../../cmd/keyfront/main.js");

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "10" },
      connections: { type: "string", default: "32" },
      audit: { type: "string", default: "off" },
    },
  });
  const dir = await mkdtemp(join(tmpdir(), "keyfront-bench-"));
  const server = selfSignedServer();
  const admin = selfSignedClient("admin", { kind: "ecdsa-p256" });
  await writeFile(join(dir, "server.crt"), server.certPem);
  await writeFile(join(dir, "server.key"), server.keyPem);
  await writeFile(
    join(dir, "config.yaml"),
    `admin: { identity: ${admin.identity} }\ntls: { key: ${dir}/server.key, cert: ${dir}/server.crt }\nlog: { audit: ${values.audit} }\nkeystore: { fs: { path: ${dir}/keys } }\n`,
  );
  const proc = spawn(
    process.execPath,
    [CLI, "server", "--config", join(dir, "config.yaml"), "--addr", "127.0.0.1:0"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let err = "";
  const url = await new Promise<string>((ok, fail) => {
    proc.stderr.on("data", (c: Buffer) => {
      err += c.toString();
      const m = /Endpoint\s+(\S+)/.exec(err);
      if (m?.[1] && err.includes("Server is up")) ok(m[1]);
    });
    proc.once("exit", () => fail(new Error(err)));
  });
  const tlsOptions = {
    cert: admin.certPem,
    key: admin.keyPem,
    ca: server.certPem,
    servername: "localhost",
  };
  try {
    const { request } = await import("node:https");
    await new Promise<void>((ok, fail) => {
      const u = new URL(`${url}/v1/key/create/bench`);
      const req = request(
        { host: u.hostname, port: u.port, path: u.pathname, method: "POST", ...tlsOptions },
        (res) => {
          res.resume();
          res.on("end", () =>
            res.statusCode === 200 ? ok() : fail(new Error(`create: ${res.statusCode}`)),
          );
        },
      );
      req.on("error", fail);
      req.end();
    });
    const result = await autocannon({
      url: `${url}/v1/key/generate/bench`,
      method: "POST",
      body: "{}",
      connections: Number(values.connections),
      duration: Number(values.seconds),
      tlsOptions,
    } as autocannon.Options);
    const { requests, latency, non2xx, errors } = result;
    console.log(
      JSON.stringify({
        scenario: "key/generate",
        connections: Number(values.connections),
        audit: values.audit,
        seconds: Number(values.seconds),
        requestsPerSecond: requests.average,
        p50ms: latency.p50,
        p99ms: latency.p99,
        non2xx,
        errors,
      }),
    );
  } finally {
    proc.kill("SIGTERM");
    await new Promise((r) => proc.once("exit", r));
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
