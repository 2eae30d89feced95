// Redirects from Vault (vault-api.md §10.1): a standby's 307 is followed only to the origin of a
// configured endpoint. A node that redirects elsewhere gets nothing sent on — no X-Vault-Token,
// no AppRole login body — and the keystore reports Vault unreachable naming the refused redirect.
// An http:// endpoint is warned about at start.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { KeystoreUnreachableError } from "../../internal/errors.js";
import type { KeyStore } from "../../internal/keystore/keystore.js";
import { connectVault } from "../../internal/keystore/vault/vault-store.js";
import { startVaultTestServer } from "../vault-server/server.js";
import {
  approleAuth,
  captureLog,
  tenantPolicy,
  unique,
  VaultAdmin,
  vaultConfig,
} from "./vault/vault-admin.js";

type TestServer = Awaited<ReturnType<typeof startVaultTestServer>>;
let vault: TestServer;
let admin: VaultAdmin;
let approle: string;
let roleId: string;
const servers: Server[] = [];
const stores: KeyStore[] = [];

interface Seen {
  method: string;
  url: string;
  token: string | undefined;
  body: string;
}

/** A local HTTP server that records every request and answers with `answer`. */
async function recorder(
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      const token = req.headers["x-vault-token"];
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        token: typeof token === "string" ? token : undefined,
        body,
      });
      answer(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** A standby that redirects every request to `target` + the same path and query. */
const standbyTo = (target: () => string) =>
  recorder((req, res) => {
    res.writeHead(307, { Location: `${target()}${req.url}`, "Content-Length": 0 });
    res.end();
  });

beforeAll(async () => {
  vault = await startVaultTestServer({});
  admin = new VaultAdmin(vault.addr, vault.rootToken);
  approle = unique("approle");
  await admin.enableAuth(approle, "approle");
  await admin.putPolicy("redirect-test", tenantPolicy("secret", "v2", "redirect"));
  roleId = await admin.createRole(approle, "keyfront", {
    token_policies: ["redirect-test"],
    token_ttl: "60s",
  });
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});
afterAll(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  await vault?.close();
});

async function open(endpoints: string[], secret: string) {
  const log = captureLog();
  const config = vaultConfig(endpoints, approleAuth(roleId, secret, { engine: approle }), {
    engine: "secret",
    prefix: "redirect",
    statusPingMs: 60_000,
  });
  const store = await connectVault(config, { log: log.log });
  stores.push(store);
  return { store, log };
}

it("refuses a 307 to a host that is not a configured endpoint: no token, no login body sent", async () => {
  const evil = await recorder((_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end('{"auth":{"client_token":"stolen","lease_duration":600,"renewable":true}}');
  });
  const standby = await standbyTo(() => evil.url);
  const secret = await admin.secretId(approle, "keyfront");
  const { store, log } = await open([standby.url], secret);

  const err = await store.status().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(KeystoreUnreachableError);
  expect((err as Error).message).toContain(
    `refusing redirect from ${standby.url} to ${evil.url}: not a configured endpoint`,
  );
  await expect(store.create("k1", "value-1")).rejects.toBeInstanceOf(KeystoreUnreachableError);
  expect(standby.seen.some((r) => r.url.startsWith(`/v1/auth/${approle}/login`))).toBe(true);
  expect(evil.seen).toEqual([]);
  expect(log.text()).toContain("refusing redirect");
  expect(log.text()).not.toContain(secret);
  expect(log.text()).toContain("plain http://");
});

it("follows a 307 to another configured endpoint with the same method and body", async () => {
  const standby = await standbyTo(() => vault.addr);
  const secret = await admin.secretId(approle, "keyfront");
  const { store, log } = await open([standby.url, vault.addr], secret);
  await store.status();
  await store.create("k1", "value-1");
  expect(await store.get("k1")).toBe("value-1");
  expect(standby.seen.map((r) => `${r.method} ${r.url}`)).toContain(
    `POST /v1/auth/${approle}/login`,
  );
  expect(standby.seen.some((r) => r.method === "POST" && r.url.includes("secret/data/"))).toBe(
    true,
  );
  expect(log.text()).not.toContain("refusing redirect");
});
