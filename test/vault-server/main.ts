// CLI of the Vault test server: `node dist/test/vault-server/main.js [--port N] [--tls]
// [--oss] [--root-token T] [--unseal-key B64] [--ca-file PATH] [--vars-file PATH]` starts it on 127.0.0.1, prints
// `VAULT_ADDR=…` and `VAULT_TOKEN=…` (and `VAULT_CACERT=…` with --tls) on stdout, and serves until
// SIGINT/SIGTERM. With --vars-file it also writes `export VAULT_…='…'` lines (0600) to PATH once it
// is listening — atomically, so a script that waits for the file sources a complete one — and
// removes the file when it stops. It is a test fixture, not a secret store; it must never listen
// beyond 127.0.0.1.

import { renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startVaultTestServer } from "./server.js";

async function main(): Promise<void> {
  let values: {
    port?: string;
    tls?: boolean;
    oss?: boolean;
    "root-token"?: string;
    "ca-file"?: string;
    "vars-file"?: string;
    "unseal-key"?: string;
  };
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string" },
        tls: { type: "boolean" },
        oss: { type: "boolean" },
        "root-token": { type: "string" },
        "ca-file": { type: "string" },
        "vars-file": { type: "string" },
        "unseal-key": { type: "string" },
      },
    }));
  } catch (err) {
    process.stderr.write(`vault-test-server: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const port = Number(values.port ?? "8200");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`vault-test-server: invalid --port '${values.port}'\n`);
    process.exitCode = 2;
    return;
  }
  const server = await startVaultTestServer({
    port,
    tls: values.tls === true,
    enterprise: values.oss !== true,
    ...(values["root-token"] ? { rootToken: values["root-token"] } : {}),
    ...(values["unseal-key"] ? { unsealKey: values["unseal-key"] } : {}),
  });
  const vars: [string, string][] = [
    ["VAULT_ADDR", server.addr],
    ["VAULT_TOKEN", server.rootToken],
  ];
  if (server.caPem !== undefined) {
    const caFile = values["ca-file"] ?? join(tmpdir(), `vault-test-server-ca-${process.pid}.pem`);
    writeFileSync(caFile, server.caPem, { mode: 0o644 });
    vars.push(["VAULT_CACERT", caFile]);
  }
  const varsFile = values["vars-file"];
  if (varsFile !== undefined) {
    const quoted = (v: string) => `'${v.replaceAll("'", "'\\''")}'`;
    const tmp = `${varsFile}.${process.pid}.tmp`;
    writeFileSync(tmp, vars.map(([k, v]) => `export ${k}=${quoted(v)}\n`).join(""), {
      mode: 0o600,
    });
    renameSync(tmp, varsFile);
  }
  // After the file: whoever saw these lines can rely on the file being there.
  process.stdout.write(vars.map(([k, v]) => `${k}=${v}\n`).join(""));
  process.stderr.write(
    "vault-test-server: in-memory Vault-compatible TEST server (not a secret store); Ctrl-C to stop\n",
  );
  const stop = () => {
    if (varsFile !== undefined) rmSync(varsFile, { force: true });
    void server.close();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`vault-test-server: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
