// The Vault HTTP client behind a name whose address moves (README "HA Vault behind a DNS name"):
// two scripted nodes on 127.0.0.1 and 127.0.0.2 with the same port, the name `vault.ha.test`
// resolved through a hosts file the test rewrites (hosts.ts). A kept-alive connection keeps
// talking to the old node until something says it is not the active one any more: a redirect
// elsewhere, a 503, a dropped connection or a health poll (reconnect()). Then the pool is retired
// — without cutting a request still in flight — and the next request resolves the name again.

import type { LookupOptions } from "node:dns";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VAULT_MAX_RETRIES } from "../../limits.js";
import { addressesOf, hostsFileLookup } from "./hosts.js";
import { VaultHttpClient } from "./http.js";

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

interface Node {
  ip: string;
  hits: string[];
  open: Set<Socket>;
  answer: Answer;
  server: Server;
}

const NAME = "vault.ha.test";
let dir: string;
let hosts: string;
let nodes: [Node, Node];
let port: number;
const clients: VaultHttpClient[] = [];

function node(ip: string): Node {
  const n: Node = {
    ip,
    hits: [],
    open: new Set(),
    answer: (_req, res) => json(res, 200, { data: { node: ip } }),
    server: createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        n.hits.push(`${req.method} ${req.url}`);
        n.answer(req, res);
      });
    }),
  };
  // Idle connections are never closed by the node: only the client's pool decides.
  n.server.keepAliveTimeout = 600_000;
  n.server.on("connection", (s: Socket) => {
    n.open.add(s);
    s.on("close", () => n.open.delete(s));
  });
  return n;
}

const listen = (n: Node, p: number) =>
  new Promise<number>((resolve, reject) => {
    n.server.once("error", reject);
    n.server.listen(p, n.ip, () => resolve((n.server.address() as AddressInfo).port));
  });

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
};

const pointAt = (ip: string) => writeFileSync(hosts, `# test\n${ip} ${NAME} vault\n`);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "keyfront-failover-"));
  hosts = join(dir, "hosts");
  pointAt("127.0.0.1");
  // Both nodes on one port, as an HA cluster behind one name: retry if 127.0.0.2 has it taken.
  for (let tries = 0; ; tries++) {
    nodes = [node("127.0.0.1"), node("127.0.0.2")];
    port = await listen(nodes[0], 0);
    try {
      await listen(nodes[1], port);
      break;
    } catch (err) {
      nodes[0].server.close();
      if (tries >= 5) throw err;
    }
  }
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const n of nodes) {
    n.server.closeAllConnections();
    await new Promise<void>((r) => n.server.close(() => r()));
  }
  await rm(dir, { recursive: true, force: true });
});

function client(): VaultHttpClient {
  const c = new VaultHttpClient({
    endpoints: [`http://${NAME}:${port}`],
    timeoutMs: 5_000,
    tls: { ca: undefined, cert: undefined, key: undefined },
    lookup: hostsFileLookup(hosts),
  });
  clients.push(c);
  return c;
}

const get = (c: VaultHttpClient, path = "kv/k") => c.request({ method: "GET", path });
const servedBy = (r: { body: unknown }) => (r.body as { data?: { node?: string } }).data?.node;

describe("addressesOf", () => {
  it.each([
    ["10.0.0.1 vault.ha.test", "vault.ha.test", ["10.0.0.1"]],
    ["10.0.0.1 other vault.HA.test # comment", "Vault.ha.test", ["10.0.0.1"]],
    ["# 10.0.0.1 vault.ha.test", "vault.ha.test", []],
    ["10.0.0.1 vault.ha.test\n::1 vault.ha.test", "vault.ha.test", ["10.0.0.1", "::1"]],
    ["not-an-ip vault.ha.test\n10.0.0.300 vault.ha.test", "vault.ha.test", []],
    ["10.0.0.1 vault.ha.testing", "vault.ha.test", []],
  ])("%j, %s → %j", (text, host, want) => {
    expect(addressesOf(text, host).map((a) => a.address)).toEqual(want);
  });
});

describe("hostsFileLookup", () => {
  const look = (host: string, options: LookupOptions) =>
    new Promise<unknown>((resolve) =>
      hostsFileLookup(hosts)(host, options, (err, address, family) =>
        resolve(err ? err.code : [address, family]),
      ),
    );

  it("answers from the file, one address or all, and re-reads it on every lookup", async () => {
    expect(await look("VAULT.ha.test", {})).toEqual(["127.0.0.1", 4]);
    pointAt("127.0.0.2");
    expect(await look(NAME, { all: true })).toEqual([
      [{ address: "127.0.0.2", family: 4 }],
      undefined,
    ]);
  });

  it("leaves a name the file does not list to the system resolver", async () => {
    expect(await look("localhost", { family: 4 })).toEqual(["127.0.0.1", 4]);
  });

  it("fails the lookup when the file cannot be read", async () => {
    await rm(hosts);
    expect(await look(NAME, {})).toBe("ENOENT");
  });
});

describe("a name whose address moves", () => {
  it("a kept-alive connection stays on the old node until the pool is retired", async () => {
    const c = client();
    expect(servedBy(await get(c))).toBe("127.0.0.1");
    pointAt("127.0.0.2");
    // Still healthy, still answering: the pooled connection is reused (no new lookup).
    expect(servedBy(await get(c))).toBe("127.0.0.1");
    expect(c.lastAddress).toBe(`127.0.0.1:${port}`);
    c.reconnect(); // what the health poll does on a standby answer
    expect(servedBy(await get(c))).toBe("127.0.0.2");
    expect(c.lastAddress).toBe(`127.0.0.2:${port}`);
    expect(nodes[0].hits).toHaveLength(2);
  });

  it.each<[string, Answer]>([
    [
      "a 307 to an address that is no configured endpoint",
      (req, res) => {
        res.writeHead(307, { Location: `http://127.0.0.2:${port}${req.url}` });
        res.end();
      },
    ],
    [
      "503 no active Vault instance found",
      (_req, res) => json(res, 503, { errors: ["no active Vault instance found"] }),
    ],
    [
      "500 local node not active",
      (_req, res) =>
        json(res, 500, { errors: ["local node not active but active cluster node not found"] }),
    ],
    ["a dropped connection", (req) => req.socket.destroy()],
  ])(
    "%s: reconnects at once, re-resolving the name, and stays on the new node",
    async (_, answer) => {
      const c = client();
      expect(servedBy(await get(c))).toBe("127.0.0.1");
      pointAt("127.0.0.2");
      nodes[0].answer = answer;
      const r = await c.request({ method: "PUT", path: "kv/k", body: { v: 1 } });
      expect([r.status, servedBy(r)]).toEqual([200, "127.0.0.2"]);
      expect(c.reconnects).toBe(1);
      for (let i = 0; i < 3; i++) expect(servedBy(await get(c))).toBe("127.0.0.2");
      // The old node saw the first GET and the PUT it refused, nothing after the failover.
      expect(nodes[0].hits).toEqual(["GET /v1/kv/k", "PUT /v1/kv/k"]);
      expect(nodes[1].hits).toEqual([
        "PUT /v1/kv/k",
        "GET /v1/kv/k",
        "GET /v1/kv/k",
        "GET /v1/kv/k",
      ]);
    },
  );

  /** A GET /v1/slow that the old node holds (busy on its connection) until `release()`. */
  async function holdSlow(c: VaultHttpClient) {
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const answer = nodes[0].answer;
    nodes[0].answer = (req, res) => {
      if (req.url === "/v1/slow") void held.then(() => answer(req, res));
      else answer(req, res);
    };
    const slow = get(c, "slow");
    while (!nodes[0].hits.includes("GET /v1/slow")) await new Promise((r) => setTimeout(r, 5));
    return { slow, release, answer };
  }

  it("a retired pool lets a request in flight finish, then closes its connection", async () => {
    const c = client();
    const { slow, release, answer } = await holdSlow(c);
    expect(servedBy(await get(c))).toBe("127.0.0.1"); // on a second connection, now idle
    expect(nodes[0].open.size).toBe(2);
    nodes[0].answer = (req, res) => {
      if (req.url === "/v1/slow") answer(req, res);
      else json(res, 503, { errors: ["no active Vault instance found"] });
    };
    pointAt("127.0.0.2");
    expect(servedBy(await get(c))).toBe("127.0.0.2"); // 503 on the idle one → new pool
    expect(c.reconnects).toBe(1);
    while (nodes[0].open.size > 1) await new Promise((r) => setTimeout(r, 5));
    release();
    expect(servedBy(await slow)).toBe("127.0.0.1"); // the busy one was kept for its answer
    while (nodes[0].open.size > 0) await new Promise((r) => setTimeout(r, 5));
    expect(servedBy(await get(c))).toBe("127.0.0.2");
  });

  it("keepOnly(active address) drops the pooled connections opened before the name moved", async () => {
    const c = client();
    const { slow, release } = await holdSlow(c); // busy on a connection to the old node
    pointAt("127.0.0.2");
    expect(servedBy(await get(c))).toBe("127.0.0.2"); // a new connection resolves anew
    c.keepOnly("127.0.0.2"); // what the health poll does when the active node answers
    release();
    expect(servedBy(await slow)).toBe("127.0.0.1");
    for (let i = 0; i < 3; i++) expect(servedBy(await get(c))).toBe("127.0.0.2");
    while (nodes[0].open.size > 0) await new Promise((r) => setTimeout(r, 5));
    expect(nodes[0].hits).toEqual(["GET /v1/slow"]);
    expect(c.reconnects).toBe(0);
  });

  it("rides out an election: keeps retrying past VAULT_MAX_RETRIES until the name moves", async () => {
    const c = client();
    const noActive = VAULT_MAX_RETRIES + 2;
    nodes[0].answer = (_req, res) => {
      // The name moves only after more "no active node" answers than ordinary retries allow.
      if (nodes[0].hits.length === noActive) pointAt("127.0.0.2");
      json(res, 503, { errors: ["no active Vault instance found"] });
    };
    const r = await c.request({ method: "PUT", path: "kv/k", body: { v: 1 } });
    expect([r.status, servedBy(r)]).toEqual([200, "127.0.0.2"]);
    expect(nodes[0].hits).toHaveLength(noActive);
  });

  it("an explicit retry count is not extended by a failover (health, login)", async () => {
    const c = client();
    nodes[0].answer = (_req, res) => json(res, 503, { errors: ["no active Vault instance found"] });
    const r = await c.request({ method: "GET", path: "sys/health", retries: 0 });
    // One attempt, as asked; the pool is retired all the same, for the next request.
    expect([r.status, nodes[0].hits.length, c.reconnects]).toEqual([503, 1, 1]);
  });
});
