// A tiny HTTP proxy on 127.0.0.1 in front of a Vault (test) server that can drop the connection
// AFTER the upstream processed a request — the "my write landed but I never heard back" case that
// makes a client retry a create (vault-api.md §3.2). Only for tests; it stops with close().

import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface DropProxy {
  addr: string;
  /** The next `count` requests whose method and path match are forwarded, then their connection is dropped. */
  dropAfterForwarding(method: string, pathPrefix: string, count?: number): void;
  close(): Promise<void>;
}

export async function startDropProxy(upstream: string): Promise<DropProxy> {
  const target = new URL(upstream);
  let rule: { method: string; prefix: string; count: number } | undefined;
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const drop =
        rule !== undefined &&
        rule.count > 0 &&
        req.method === rule.method &&
        (req.url ?? "").startsWith(rule.prefix);
      if (drop && rule) rule.count--;
      const up = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (upRes) => {
          const body: Buffer[] = [];
          upRes.on("data", (c: Buffer) => body.push(c));
          upRes.on("end", () => {
            if (drop) {
              req.socket.destroy();
              return;
            }
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            res.end(Buffer.concat(body));
          });
        },
      );
      up.on("error", () => req.socket.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    addr: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    dropAfterForwarding(method, pathPrefix, count = 1) {
      rule = { method, prefix: pathPrefix, count };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
