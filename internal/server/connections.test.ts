// ConnectionLimiter on a real TCP server: per-address counting from accept to close, the server
// cap through Node's maxConnections, and refusals logged at warn at most once per interval.

import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Logger } from "../log/logger.js";
import { ConnectionLimiter } from "./connections.js";

type Line = { level: "warn" | "debug"; fields: Record<string, unknown>; msg: string };

function fakeLog(lines: Line[]): Logger {
  const at = (level: Line["level"]) => (fields: Record<string, unknown>, msg: string) => {
    lines.push({ level, fields, msg });
  };
  return { warn: at("warn"), debug: at("debug") } as unknown as Logger;
}

const servers: Server[] = [];
const clients: Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(limiter: ConnectionLimiter): Promise<number> {
  // An admitted connection is greeted; a refused one was destroyed before this listener ran.
  const server = createServer((socket) => {
    if (!socket.destroyed) socket.write("hi");
  });
  limiter.attach(server);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as { port: number }).port;
}

/** Connects and resolves "open" once greeted by the server, "closed" if it closes first. */
function tryConnect(port: number): Promise<"open" | "closed"> {
  return new Promise((resolve) => {
    const c = connect(port, "127.0.0.1");
    clients.push(c);
    c.on("error", () => {});
    c.once("close", () => resolve("closed"));
    c.once("data", () => resolve("open"));
  });
}

describe("ConnectionLimiter", () => {
  it("caps connections per address, counts closes, and warns once per interval", async () => {
    const lines: Line[] = [];
    const limiter = new ConnectionLimiter(fakeLog(lines), {
      maxConnections: 100,
      maxConnectionsPerClient: 2,
    });
    const port = await serve(limiter);
    expect([await tryConnect(port), await tryConnect(port)]).toEqual(["open", "open"]);
    expect(limiter.openFrom("127.0.0.1")).toBe(2);
    const refused = [await tryConnect(port), await tryConnect(port), await tryConnect(port)];
    expect(refused).toEqual(["closed", "closed", "closed"]);
    expect(lines.map((l) => l.level)).toEqual(["warn", "debug", "debug"]);
    expect(lines[0]?.fields).toEqual({
      limit: "server.max_connections_per_client",
      ip: "127.0.0.1",
      refused: 1,
    });
    clients[0]?.destroy();
    await expect.poll(() => limiter.openFrom("127.0.0.1")).toBe(1);
    expect(await tryConnect(port)).toBe("open");
  });

  it("applies a reloaded server cap to new connections", async () => {
    const lines: Line[] = [];
    const limiter = new ConnectionLimiter(fakeLog(lines), {
      maxConnections: 1,
      maxConnectionsPerClient: 10,
    });
    const port = await serve(limiter);
    expect(await tryConnect(port)).toBe("open");
    expect(await tryConnect(port)).toBe("closed");
    expect(lines[0]?.fields.limit).toBe("server.max_connections");
    limiter.configure({ maxConnections: 3, maxConnectionsPerClient: 10 });
    expect(await tryConnect(port)).toBe("open");
  });
});
