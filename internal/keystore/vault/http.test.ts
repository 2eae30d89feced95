// Tests of the Vault HTTP client against a scripted node:http server on 127.0.0.1: keep-alive
// reuse, retries on 5xx/429/412 but not on 501, 4xx or "Vault is sealed", failover to the next
// endpoint, 307/308 redirects to configured endpoints only (and not too many), body caps and the
// per-attempt timeout.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { VAULT_MAX_REDIRECTS } from "../../limits.js";
import { VaultHttpClient, VaultTransportError } from "./http.js";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface Scripted {
  url: string;
  hits: string[];
  sockets: number;
  server: Server;
}

const servers: Server[] = [];
const clients: VaultHttpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((r) => {
          s.closeAllConnections();
          s.close(() => r());
        }),
    ),
  );
});

async function serve(handler: Handler): Promise<Scripted> {
  const scripted: Scripted = { url: "", hits: [], sockets: 0, server: createServer() };
  const server = scripted.server;
  server.on("connection", () => scripted.sockets++);
  server.on("request", (req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      scripted.hits.push(`${req.method} ${req.url}`);
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
  scripted.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return scripted;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
};

function client(endpoints: string[], timeoutMs = 2_000): VaultHttpClient {
  const c = new VaultHttpClient({
    endpoints,
    timeoutMs,
    tls: { ca: undefined, cert: undefined, key: undefined },
  });
  clients.push(c);
  return c;
}

describe("VaultHttpClient", () => {
  it("reuses kept-alive connections and sends the Vault headers", async () => {
    const seen: (string | undefined)[] = [];
    const s = await serve((req, res) => {
      seen.push(
        `${req.headers["x-vault-token"]}|${req.headers["x-vault-namespace"]}|${req.headers["x-vault-request"]}`,
      );
      json(res, 200, { data: { ok: true } });
    });
    const c = client([s.url]);
    for (let i = 0; i < 5; i++) {
      const r = await c.request({
        method: "GET",
        path: "kv/x",
        token: "t",
        namespace: i === 0 ? "ns" : "",
      });
      expect(r.status).toBe(200);
    }
    expect(s.sockets).toBe(1);
    expect(seen[0]).toBe("t|ns|true");
    expect(seen[1]).toBe("t|undefined|true");
  });

  it.each([
    [[500, 502, 200], 200, 3],
    [[429, 200], 200, 2],
    [[412, 200], 200, 2],
    [[501], 501, 1],
    [[400], 400, 1],
    [[403], 403, 1],
    [[500, 500, 500, 500, 500], 500, 4],
  ])("statuses %j → %i after %i attempts", async (statuses, want, attempts) => {
    const queue = [...statuses];
    const s = await serve((_req, res) => json(res, queue.shift() ?? 200, { errors: ["boom"] }));
    const r = await client([s.url]).request({ method: "POST", path: "kv/x", body: { a: 1 } });
    expect(r.status).toBe(want);
    expect(s.hits).toHaveLength(attempts);
  });

  it("asks a sealed Vault once more, on a new connection (its name may have moved), no more", async () => {
    const s = await serve((_req, res) => json(res, 503, { errors: ["Vault is sealed"] }));
    const r = await client([s.url]).request({ method: "GET", path: "kv/x" });
    expect([r.status, r.errors, s.hits.length, s.sockets]).toEqual([
      503,
      ["Vault is sealed"],
      2,
      2,
    ]);
  });

  it("fails over to the next endpoint when one is down, and stays there", async () => {
    const down = await serve(() => {});
    const downUrl = down.url;
    await new Promise<void>((r) => down.server.close(() => r()));
    const up = await serve((_req, res) => json(res, 200, { data: {} }));
    const c = client([downUrl, up.url]);
    expect((await c.request({ method: "GET", path: "sys/health" })).status).toBe(200);
    expect(c.endpoint).toBe(up.url);
    expect((await c.request({ method: "GET", path: "sys/health" })).status).toBe(200);
    expect(up.hits).toHaveLength(2);
  });

  it("throws VaultTransportError when nothing answers", async () => {
    const down = await serve(() => {});
    await new Promise<void>((r) => down.server.close(() => r()));
    await expect(
      client([down.url]).request({ method: "GET", path: "x", retries: 1 }),
    ).rejects.toBeInstanceOf(VaultTransportError);
  });

  it("follows a 307 standby redirect to a configured endpoint with the same method and body", async () => {
    const active = await serve((req, res, body) =>
      json(res, 200, { data: { method: req.method, body } }),
    );
    const standby = await serve((req, res) => {
      res.writeHead(307, { Location: `${active.url}${req.url}` });
      res.end();
    });
    const r = await client([standby.url, active.url]).request({
      method: "PUT",
      path: "kv/k",
      body: { k: "v" },
    });
    expect(r.body).toMatchObject({ data: { method: "PUT", body: '{"k":"v"}' } });
    expect(active.hits).toEqual(["PUT /v1/kv/k"]);
  });

  it.each([307, 308])(
    "refuses a %i to an origin that is not a configured endpoint, sending it nothing",
    async (status) => {
      const elsewhere = await serve((req, res, body) => {
        json(res, 200, { data: { token: req.headers["x-vault-token"], body } });
      });
      const standby = await serve((req, res) => {
        res.writeHead(status, { Location: `${elsewhere.url}${req.url}` });
        res.end();
      });
      const err = await client([standby.url])
        .request({
          method: "POST",
          path: "auth/approle/login",
          body: { secret_id: "s" },
          token: "t",
          retries: 0,
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VaultTransportError);
      expect((err as Error).message).toBe(
        `vault: refusing redirect from ${standby.url} to ${elsewhere.url}: not a configured endpoint`,
      );
      expect(elsewhere.hits).toEqual([]);
    },
  );

  it("refuses a redirect to the same host on another scheme or port", async () => {
    const standby = await serve((req, res) => {
      const port = new URL(standby.url).port;
      res.writeHead(307, { Location: `https://127.0.0.1:${port}${req.url}` });
      res.end();
    });
    await expect(
      client([standby.url]).request({ method: "GET", path: "x", token: "t", retries: 0 }),
    ).rejects.toThrow(/refusing redirect .* not a configured endpoint/);
    expect(standby.hits).toHaveLength(1);
  });

  it("follows at most VAULT_MAX_REDIRECTS redirects", async () => {
    let loops = 0;
    const a: Scripted = await serve((req, res) => {
      loops++;
      res.writeHead(307, { Location: `${a.url}${req.url}` });
      res.end();
    });
    await expect(
      client([a.url]).request({ method: "GET", path: "x", token: "t", retries: 0 }),
    ).rejects.toThrow(`more than ${VAULT_MAX_REDIRECTS} redirects`);
    expect(loops).toBe(VAULT_MAX_REDIRECTS + 1);
  });

  it("lists the plain-http endpoints for the start-up warning", () => {
    const c = client(["http://127.0.0.1:1", "https://127.0.0.1:2"]);
    expect(c.plainHttpEndpoints).toEqual(["http://127.0.0.1:1"]);
  });

  it("caps response bodies", async () => {
    const s = await serve((_req, res) => json(res, 200, { data: "x".repeat(2_000) }));
    await expect(
      client([s.url]).request({ method: "GET", path: "x", maxBytes: 1_000 }),
    ).rejects.toThrow(/exceeds 1000 bytes/);
    expect(s.hits).toHaveLength(1);
  });

  it("times out an attempt that gets no answer", async () => {
    const s = await serve(() => {});
    await expect(
      client([s.url], 200).request({ method: "GET", path: "x", retries: 0 }),
    ).rejects.toThrow(/timed out after 200 ms/);
    expect(s.hits).toHaveLength(1);
  });
});
