// A real nginx (Debian package `nginx`) terminating client mTLS in front of a keyfront server and
// forwarding each client's certificate in a header, as operators deploy a TLS proxy
// (kes-api.md §5.5). Runs in the foreground from a config written into a temp dir (pid, logs and
// temp paths there too) on a free 127.0.0.1 port; `stop()` ends it and removes the dir.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { connect } from "node:tls";

/** The nginx binary: on PATH, or where Debian installs it (/usr/sbin may not be on PATH). */
export function findNginx(): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin"];
  for (const dir of dirs) {
    const bin = join(dir, "nginx");
    if (dir !== "" && existsSync(bin)) {
      try {
        execFileSync(bin, ["-v"], { stdio: "ignore" });
        return bin;
      } catch {
        // not runnable: keep looking
      }
    }
  }
  return undefined;
}

export interface NginxOptions {
  bin: string;
  /** keyfront's port on 127.0.0.1. */
  upstreamPort: number;
  /** nginx's own server certificate and key (for clients) and the CA that verifies keyfront. */
  serverCertFile: string;
  serverKeyFile: string;
  caFile: string;
  /** The proxy's client certificate towards keyfront: its identity is the trusted proxy. */
  proxyCertFile: string;
  proxyKeyFile: string;
  /** The header nginx forwards the client certificate in. */
  header: string;
}

export interface RunningNginx {
  url: string;
  port: number;
  errorLog: () => Promise<string>;
  stop: () => Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function nginxConf(dir: string, port: number, o: NginxOptions): string {
  // As root, nginx's workers would switch to `nobody`, who cannot read this 0700 dir.
  const user = process.getuid?.() === 0 ? "user root;\n" : "";
  return `${user}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # Kept-alive upstream connections: many clients' requests share one connection to keyfront.
  upstream keyfront {
    server 127.0.0.1:${o.upstreamPort};
    keepalive 2;
  }
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${o.serverCertFile};
    ssl_certificate_key ${o.serverKeyFile};
    # The client proves its key to nginx; keyfront's policy decides what it may do.
    ssl_verify_client optional_no_ca;
    location / {
      proxy_pass https://keyfront;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_ssl_certificate ${o.proxyCertFile};
      proxy_ssl_certificate_key ${o.proxyKeyFile};
      proxy_ssl_trusted_certificate ${o.caFile};
      proxy_ssl_verify on;
      proxy_ssl_name localhost;
      proxy_ssl_server_name on;
      proxy_set_header ${o.header} $ssl_client_escaped_cert;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
}
`;
}

/** Resolves once nginx completes a TLS handshake on `port`; rejects if it exits first. */
async function waitUntilServing(proc: ChildProcess, port: number, log: () => Promise<string>) {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`nginx exited with ${proc.exitCode ?? proc.signalCode}:\n${await log()}`);
    }
    const up = await new Promise<boolean>((resolve) => {
      const s = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not serve on port ${port}:\n${await log()}`);
}

export async function startNginx(o: NginxOptions): Promise<RunningNginx> {
  const dir = await mkdtemp(join(tmpdir(), "keyfront-nginx-"));
  const port = await freePort();
  await writeFile(join(dir, "nginx.conf"), nginxConf(dir, port, o));
  const errorLog = () => readFile(join(dir, "error.log"), "utf8").catch(() => "");
  const proc = spawn(
    o.bin,
    ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log"), "-g", "daemon off;"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  proc.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(proc, port, async () => `${stderr}${await errorLog()}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `https://127.0.0.1:${port}`, port, errorLog, stop };
}
