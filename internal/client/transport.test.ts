// What the client says when there is no keyfront at the other end, over real sockets on
// 127.0.0.1: a plain HTTP server, a port that speaks neither TLS nor HTTP, a port that accepts and
// stays silent, a TLS server that never answers the request, a closed port, an untrusted
// certificate. Each failure is one ConnectionError line naming the endpoint; the ones a retry
// cannot cure are not retried on the same endpoint.

import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort, Listeners } from "../../test/helpers/listeners.js";
import { makeTestPki, type TestPki } from "../../test/helpers/pki.js";
import { KeyfrontClient } from "./client.js";
import { ConnectionError } from "./errors.js";

let pki: TestPki;
const listeners = new Listeners();
const delays: number[] = [];
const listen = (server: Parameters<Listeners["listen"]>[0]) => listeners.listen(server);

/** The error of one `version()` call with short bounds; counts connections and retry delays. */
async function failure(
  port: number,
  opts: { ca?: string; timeoutMs?: number; connectTimeoutMs?: number } = {},
): Promise<ConnectionError> {
  listeners.resetCount();
  delays.length = 0;
  const c = new KeyfrontClient({
    endpoints: [`127.0.0.1:${port}`],
    apiKey: pki.apiKeyClient.apiKey,
    ca: opts.ca ?? pki.ca.certPem,
    timeoutMs: opts.timeoutMs ?? 5_000,
    connectTimeoutMs: opts.connectTimeoutMs ?? 5_000,
    retry: {
      sleep: async (ms) => {
        delays.push(ms);
      },
    },
  });
  try {
    const err = await c.version().then(
      () => new Error("the call succeeded"),
      (e: unknown) => e,
    );
    if (!(err instanceof ConnectionError)) throw err;
    expect(err.message).not.toContain("\n");
    return err;
  } finally {
    c.close();
  }
}

beforeAll(() => {
  pki = makeTestPki();
});
afterAll(async () => {
  await listeners.closeAll();
  pki?.cleanup();
});

describe("ConnectionError messages", () => {
  it("a plain HTTP port: does not speak TLS, it answered plain HTTP; no retry", async () => {
    const port = await listen(createHttpServer((_req, res) => res.end("hello")));
    const err = await failure(port);
    expect(err.message).toBe(`127.0.0.1:${port} does not speak TLS (it answered plain HTTP)`);
    expect(err).toMatchObject({ code: "ERR_NOT_TLS", retryable: false });
    expect(delays).toEqual([]);
    expect(listeners.connections).toBe(2); // the TLS attempt and the plain-HTTP probe, nothing more
  });

  it("a port that speaks something else first: does not speak TLS", async () => {
    const port = await listen(createServer((s) => s.end("SSH-2.0-OpenSSH_9.2\r\n")));
    const err = await failure(port);
    expect(err.message).toBe(
      `127.0.0.1:${port} does not speak TLS (its answer is not a TLS handshake)`,
    );
    expect(delays).toEqual([]);
  });

  it("a port that accepts and never answers: no TLS answer within the bound; no retry", async () => {
    const port = await listen(createServer(() => {}));
    const err = await failure(port, { connectTimeoutMs: 300 });
    expect(err.message).toBe(
      `127.0.0.1:${port}: no TLS answer within 0.3 s (the port accepts connections but says nothing)`,
    );
    expect(err).toMatchObject({ code: "ERR_TLS_HANDSHAKE_TIMEOUT", retryable: false });
    expect(delays).toEqual([]);
    expect(listeners.connections).toBe(1);
  });

  it("a TLS server that never answers the request: no answer within the request timeout", async () => {
    const tls = createTlsServer({ cert: pki.server.certPem, key: pki.server.keyPem }, () => {});
    const port = await listen(tls);
    const err = await failure(port, { timeoutMs: 500 });
    expect(err.message).toBe(`127.0.0.1:${port}: no answer within 0.5 s`);
    expect(err.retryable).toBe(false);
    expect(delays).toEqual([]);
  });

  it("an answer that stalls after its headers: no answer within the request timeout", async () => {
    const head =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
    const tls = createTlsServer({ cert: pki.server.certPem, key: pki.server.keyPem }, (s) => {
      s.once("data", () => s.write(head));
    });
    const port = await listen(tls);
    const err = await failure(port, { timeoutMs: 500 });
    expect(err.message).toBe(`127.0.0.1:${port}: no answer within 0.5 s`);
    expect(delays).toEqual([]);
  });

  it("an untrusted server certificate: says so in one line; no retry", async () => {
    const tls = createTlsServer({ cert: pki.server.certPem, key: pki.server.keyPem }, () => {});
    const port = await listen(tls);
    const err = await failure(port, { ca: pki.apiKeyClient.certPem });
    expect(err.message).toMatch(
      new RegExp(`^127\\.0\\.0\\.1:${port}: cannot verify the server's certificate: \\S`),
    );
    expect(err.retryable).toBe(false);
    expect(delays).toEqual([]);
  });

  it("a closed port: connection refused, retried as the KES SDK does", async () => {
    const port = await closedPort();
    const err = await failure(port);
    expect(err.message).toBe(`127.0.0.1:${port}: connection refused`);
    expect(err).toMatchObject({ code: "ECONNREFUSED", retryable: true });
    expect(delays.length).toBe(2);
  });

  it("a port that closes every connection at once: closed during the TLS handshake", async () => {
    const port = await listen(createServer((s) => s.destroy()));
    const err = await failure(port);
    expect(err.message).toMatch(
      new RegExp(`^127\\.0\\.0\\.1:${port}: the connection was closed during the TLS handshake`),
    );
  });
});
