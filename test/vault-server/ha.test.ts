// The Vault test server as a two-node HA cluster (ha.ts): shared storage and tokens, a standby's
// answers (vault-api.md §10.1) — served as if forwarded, 307 to the active node without forwarding
// or with X-Vault-No-Request-Forwarding, 503 while no node is active — and its own sys/health.

import { connect } from "node:tls";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startVaultTestCluster, type VaultTestCluster } from "../keystore/vault/ha-cluster.js";
import { clientFor } from "./test-client.js";

let cluster: VaultTestCluster;
let a: ReturnType<typeof clientFor>;
let b: ReturnType<typeof clientFor>;

beforeAll(async () => {
  cluster = await startVaultTestCluster("vault.ha.test");
  const [n0, n1] = cluster.nodes;
  a = clientFor(n0.addr, n0.rootToken, n0.caPem);
  b = clientFor(n1.addr, n1.rootToken, n0.caPem);
});
afterAll(() => cluster?.close());

it("two addresses, one port, one storage and one token store", async () => {
  const [n0, n1] = cluster.nodes;
  expect([new URL(n0.addr).hostname, new URL(n1.addr).hostname]).toEqual([
    "127.0.0.1",
    "127.0.0.2",
  ]);
  expect(new URL(n0.addr).port).toBe(new URL(n1.addr).port);
  cluster.elect(0);
  expect((await a("POST", "/v1/secret/data/ha/k", { body: { data: { v: "1" } } })).status).toBe(
    200,
  );
  cluster.elect(1);
  expect((await b("GET", "/v1/secret/data/ha/k")).json.data.data).toEqual({ v: "1" });
  expect(n1.requestCount("secret/data/ha/k")).toBe(1);
});

it("a standby serves as if forwarding; redirects when forwarding is off or refused", async () => {
  cluster.elect(1);
  expect((await a("GET", "/v1/secret/data/ha/k")).status).toBe(200);
  const refused = await a("GET", "/v1/secret/data/ha/k?version=1", {
    headers: { "X-Vault-No-Request-Forwarding": "true" },
  });
  expect([refused.status, refused.headers.location]).toEqual([
    307,
    `${cluster.nodes[1].addr}/v1/secret/data/ha/k?version=1`,
  ]);
  cluster.elect(1, { forwarding: false });
  const r = await a("POST", "/v1/secret/data/ha/k2", { body: { data: { v: "2" } } });
  expect([r.status, r.headers.location]).toEqual([
    307,
    `${cluster.nodes[1].addr}/v1/secret/data/ha/k2`,
  ]);
  expect((await b("GET", "/v1/secret/data/ha/k2")).status).toBe(404);
});

it("while no node is active a standby answers 503 no active Vault instance found", async () => {
  cluster.elect(undefined);
  const r = await a("GET", "/v1/secret/data/ha/k");
  expect([r.status, r.json]).toEqual([503, { errors: ["no active Vault instance found"] }]);
});

it("a standby answers sys/health itself (429, standby: true); the active node 200", async () => {
  cluster.elect(0);
  const h1 = await b("GET", "/v1/sys/health");
  expect([h1.status, h1.json.standby]).toEqual([429, true]);
  const h0 = await a("GET", "/v1/sys/health");
  expect([h0.status, h0.json.standby]).toEqual([200, false]);
});

it.each([
  ["vault.ha.test", "authorized"],
  ["other.ha.test", "ERR_TLS_CERT_ALTNAME_INVALID"],
])("both nodes' certificate names the cluster: %s → %s", async (servername, want) => {
  for (const host of ["127.0.0.1", "127.0.0.2"]) {
    const outcome = await new Promise<string>((resolve) => {
      const s = connect({ host, port: cluster.port, servername, ca: cluster.nodes[0].caPem });
      s.once("secureConnect", () => {
        resolve(s.authorized ? "authorized" : "unauthorized");
        s.destroy();
      });
      s.once("error", (err: NodeJS.ErrnoException) => {
        resolve(err.code ?? err.message);
        s.destroy();
      });
    });
    expect(outcome).toBe(want);
  }
});
