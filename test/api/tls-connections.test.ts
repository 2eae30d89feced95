// Connection bounds of the real server over real TLS (issue 8 item 5): slow and idle clients
// against the real header timeout (5 s, checked every second, not every 30 s), idle keep-alive
// connections against `server.idle_timeout`, client-initiated renegotiation refused, and the
// per-server and per-client connection caps.

import { connect as netConnect } from "node:net";
import type { TLSSocket } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeTestPki, type TestClient, type TestPki } from "../helpers/pki.js";
import { connectRaw, type RawTlsOptions } from "../helpers/raw-tls.js";
import { type RunningServer, startServer } from "../helpers/server.js";

let pki: TestPki;
let client: TestClient;
const running: RunningServer[] = [];
const sockets: TLSSocket[] = [];

beforeAll(() => {
  pki = makeTestPki();
  client = pki.clients.ed25519;
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(running.splice(0).map((s) => s.stop()));
});
afterAll(() => pki?.cleanup());

async function start(server = ""): Promise<RunningServer> {
  const s = await startServer({
    caPem: pki.ca.certPem,
    yaml: `
admin:
  identity: ${client.identity}
tls:
  key: ${pki.server.keyFile}
  cert: ${pki.server.certFile}
keystore:
  fs:
    path: \${DIR}/keys
${server ? `server:\n${server}` : ""}`,
  });
  running.push(s);
  return s;
}

const options = (s: RunningServer, extra: Partial<RawTlsOptions> = {}): RawTlsOptions => ({
  port: s.port,
  caPem: pki.ca.certPem,
  certPem: client.certPem,
  keyPem: client.keyPem,
  ...extra,
});

async function open(s: RunningServer, extra: Partial<RawTlsOptions> = {}): Promise<TLSSocket> {
  const { socket } = await connectRaw(options(s, extra));
  sockets.push(socket);
  socket.on("error", () => {});
  return socket;
}

/** Resolves with the ms until the server closes `socket`, and what it sent meanwhile. */
function closedAfter(socket: TLSSocket): Promise<{ ms: number; text: string }> {
  const started = Date.now();
  let text = "";
  socket.setEncoding("utf8");
  socket.on("data", (c: string) => {
    text += c;
  });
  return new Promise((resolve) =>
    socket.once("close", () => resolve({ ms: Date.now() - started, text })),
  );
}

const GET_STATUS = "GET /v1/status HTTP/1.1\r\nHost: localhost\r\n\r\n";

describe("slow and idle clients", () => {
  // Each runs right after its server started: with Node's default 30 s connections check, the
  // first check (and so the close) would come ~30 s after start, far beyond the bound asserted.
  it("a client that sends half its headers and stalls is closed after the header timeout", async () => {
    const s = await start();
    const socket = await open(s);
    socket.write("GET /v1/status HTTP/1.1\r\nHost: local");
    const { ms, text } = await closedAfter(socket);
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeLessThan(15_000);
  }, 60_000);

  it("a client that completes the handshake and sends nothing is closed too", async () => {
    const s = await start();
    const socket = await open(s);
    const { ms } = await closedAfter(socket);
    expect(ms).toBeLessThan(15_000);
  }, 60_000);

  it("an idle keep-alive connection is closed after server.idle_timeout", async () => {
    const s = await start("  idle_timeout: 2s\n");
    const socket = await open(s);
    const closed = closedAfter(socket);
    socket.write(GET_STATUS);
    const { ms, text } = await closed;
    // Served, kept alive (no Connection: close), then closed by the idle timeout alone.
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text).not.toMatch(/connection: close/i);
    expect(ms).toBeLessThan(15_000);
  }, 60_000);
});

describe("slow TLS handshakes", () => {
  it("a client that opens TCP and never says hello is closed after the handshake timeout", async () => {
    const s = await start();
    const raw = netConnect(s.port, "127.0.0.1");
    raw.on("error", () => {});
    const started = Date.now();
    await new Promise((resolve) => raw.once("close", resolve));
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);
});

describe("renegotiation", () => {
  it("a TLS 1.2 client's renegotiation is refused and the connection closed", async () => {
    const s = await start();
    const socket = await open(s, { version: "TLSv1.2" });
    const closed = closedAfter(socket);
    const outcome = await new Promise<Error | null>((resolve) => {
      // The refusal reaches the client as an error on the socket (or in the callback).
      socket.once("error", resolve);
      const started = socket.renegotiate({ rejectUnauthorized: false }, (err) => resolve(err));
      if (!started) resolve(new Error("renegotiate() refused locally"));
    });
    expect(outcome?.message).toMatch(/no renegotiation/);
    await closed;
    expect(socket.destroyed).toBe(true);
  }, 60_000);
});

describe("connection caps", () => {
  it("refuses connections beyond server.max_connections_per_client and admits again after one closes", async () => {
    const s = await start("  max_connections_per_client: 3\n");
    const held = [await open(s), await open(s), await open(s)];
    await expect(connectRaw(options(s))).rejects.toThrow();
    const logs = () => `${s.stdout()}${s.stderr()}`;
    await expect
      .poll(logs)
      .toMatch(/connection refused: over the connection limit server\.max_connections_per_client/);
    expect(logs()).toMatch(/"ip":"(::ffff:)?127\.0\.0\.1"/);
    held[0]?.destroy();
    await expect
      .poll(async () =>
        connectRaw(options(s)).then(
          (c) => {
            c.socket.destroy();
            return "admitted";
          },
          () => "refused",
        ),
      )
      .toBe("admitted");
  }, 60_000);

  it("refuses connections beyond server.max_connections", async () => {
    const s = await start("  max_connections: 2\n");
    await open(s);
    await open(s);
    await expect(connectRaw(options(s))).rejects.toThrow();
    await expect
      .poll(() => `${s.stdout()}${s.stderr()}`)
      .toMatch(/over the connection limit server\.max_connections"/);
  }, 60_000);
});
