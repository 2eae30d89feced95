// The CLI when no keyfront answers at KES_SERVER (issue 9): a plain HTTP server, a port that
// accepts and says nothing, a closed port. Each run exits 1 with one `keyfront: …` line that
// names the endpoint and what is wrong, and ends by itself (the silent port after the client's
// 10 s handshake bound, not after minutes of retries).

import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort, Listeners } from "../helpers/listeners.js";
import { makeTestPki, type TestPki } from "../helpers/pki.js";
import { expectOneLine, kf } from "./cli-helpers.js";

let pki: TestPki;
const listeners = new Listeners();
const listen = (server: Parameters<Listeners["listen"]>[0]) => listeners.listen(server);

/** `keyfront key ls` against 127.0.0.1:port; killed (code null) if it has not ended in 60 s. */
function keyLs(port: number) {
  const env = { KES_SERVER: `127.0.0.1:${port}`, KES_API_KEY: pki.apiKeyClient.apiKey };
  return kf(["key", "ls"], env, undefined, 60_000);
}

beforeAll(() => {
  pki = makeTestPki();
});
afterAll(async () => {
  await listeners.closeAll();
  pki?.cleanup();
});

describe("keyfront against something that is not a keyfront server", () => {
  it("a plain HTTP port: does not speak TLS", async () => {
    const port = await listen(createHttpServer((_req, res) => res.end("hello")));
    const r = await keyLs(port);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(expectOneLine(r.stderr)).toBe(
      `keyfront: 127.0.0.1:${port} does not speak TLS (it answered plain HTTP)`,
    );
  });

  it("a port that accepts and never answers: no TLS answer within 10 s", async () => {
    const port = await listen(createServer(() => {}));
    const r = await keyLs(port);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(expectOneLine(r.stderr)).toBe(
      `keyfront: 127.0.0.1:${port}: no TLS answer within 10 s (the port accepts connections but says nothing)`,
    );
  }, 90_000);

  it("a closed port: connection refused", async () => {
    const port = await closedPort();
    const r = await keyLs(port);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(expectOneLine(r.stderr)).toBe(
      `keyfront: 127.0.0.1:${port}: connection refused: is the server running? Set KES_SERVER or --server`,
    );
  });
});
