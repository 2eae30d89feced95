// Keep-alive connections (fetch/undici) through the LIST rewriter: bodies of mixed requests on one
// connection are passed through untouched and LIST requests between them still work.

import { afterAll, beforeAll, expect, it } from "vitest";
import { startVaultTestServer, type VaultTestServer } from "./server.js";

let server: VaultTestServer;
beforeAll(async () => {
  server = await startVaultTestServer();
});
afterAll(() => server.close());

it("POST bodies and LIST requests interleave on keep-alive connections", async () => {
  const headers = { "X-Vault-Token": server.rootToken };
  for (let i = 0; i < 20; i++) {
    const body = JSON.stringify({ data: { text: `LIST /v1/x HTTP/1.1\r\n\r\nLIST ${i}` } });
    const w = await fetch(`${server.addr}/v1/secret/data/ka/k${i}`, {
      method: "POST",
      headers,
      body,
    });
    expect(w.status).toBe(200);
    await w.arrayBuffer();
    const l = await fetch(`${server.addr}/v1/secret/metadata/ka`, { method: "LIST", headers });
    expect(((await l.json()) as { data: { keys: string[] } }).data.keys).toHaveLength(i + 1);
  }
  const r = await fetch(`${server.addr}/v1/secret/data/ka/k3`, { headers });
  const json = (await r.json()) as { data: { data: { text: string } } };
  expect(json.data.data.text).toBe("LIST /v1/x HTTP/1.1\r\n\r\nLIST 3");
});
