// Bare listeners on 127.0.0.1 for tests of what a client does when no keyfront answers: each
// listener's connections are counted and kept, so that `closeAll()` can end them (a silent port
// holds its sockets open) before it closes the servers.

import { createServer, type Server, type Socket } from "node:net";

export class Listeners {
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  /** connections accepted since the last `resetCount()` */
  connections = 0;

  /** Listens on a free 127.0.0.1 port and resolves with it. */
  async listen(server: Server): Promise<number> {
    this.servers.push(server);
    server.on("connection", (s: Socket) => {
      this.connections++;
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return (server.address() as { port: number }).port;
  }

  resetCount(): void {
    this.connections = 0;
  }

  async closeAll(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** A 127.0.0.1 port that was free a moment ago and has no listener: connecting is refused. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}
