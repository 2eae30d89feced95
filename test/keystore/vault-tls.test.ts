// TLS to Vault: the keystore trusts the CA given in `tls.ca` (file or directory) and refuses a
// Vault whose certificate it cannot verify, reporting it as unreachable with the reason.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { KeystoreUnreachableError } from "../../internal/errors.js";
import { connectVault } from "../../internal/keystore/vault/vault-store.js";
import { startVaultTestServer } from "../vault-server/server.js";
import { captureLog, tokenAuth, vaultConfig } from "./vault/vault-admin.js";

type TestServer = Awaited<ReturnType<typeof startVaultTestServer>>;
let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startVaultTestServer({ tls: true });
  dir = await mkdtemp(join(tmpdir(), "keyfront-vault-tls-"));
  await writeFile(join(dir, "ca.pem"), server.caPem ?? "");
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

it.each([
  ["file", "ca.pem"],
  ["directory", ""],
])("trusts a custom CA given as a %s", async (_kind, file) => {
  const tls = { key: undefined, cert: undefined, ca: join(dir, file) };
  const store = await connectVault(
    vaultConfig(server.addr, tokenAuth(server.rootToken), { engine: "secret", tls }),
    {
      log: captureLog().log,
    },
  );
  try {
    expect(server.addr.startsWith("https://")).toBe(true);
    await store.create(`tls-${file || "dir"}`, "v");
    expect(await store.get(`tls-${file || "dir"}`)).toBe("v");
  } finally {
    await store.close();
  }
});

it("refuses a Vault whose certificate does not verify", async () => {
  const store = await connectVault(
    vaultConfig(server.addr, tokenAuth(server.rootToken), { engine: "secret" }),
    {
      log: captureLog().log,
    },
  );
  try {
    const err = await store.status().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeystoreUnreachableError);
    expect((err as Error).message).toMatch(/^Vault is unreachable: .*certificate/i);
    const before = server.connectionCount();
    await expect(store.get("k")).rejects.toThrow(/certificate/i);
    // Not retried (vault-api.md §10.2): at most one connection (none when the mount check's
    // certificate failure already answers), where a retry would open another.
    expect(server.connectionCount() - before).toBeLessThanOrEqual(1);
  } finally {
    await store.close();
  }
});
