// A two-node HA cluster of the Vault test server for the HA tests: node 0 on 127.0.0.1, node 1 on
// 127.0.0.2, one port, one shared storage, one TLS certificate that also names `name` (the name
// keyfront is configured with and the test moves through a hosts file, hosts.ts). `elect(i)`
// makes node i the active one and every other node its standby; `elect(undefined)` leaves the
// cluster without an active node (an election in progress). Test helper only: loopback only.

import { startVaultTestServer, type VaultTestServer } from "../../vault-server/server.js";

export interface VaultTestCluster {
  readonly name: string;
  readonly port: number;
  readonly nodes: [VaultTestServer, VaultTestServer];
  /** The node's address through the name, e.g. https://vault.ha.test:8200 (what keyfront uses). */
  readonly endpoint: string;
  /** Node `active` becomes active, the other a standby (redirecting unless `forwarding`). */
  elect(active: number | undefined, opts?: { forwarding?: boolean }): void;
  close(): Promise<void>;
}

const BIND_TRIES = 5;

export async function startVaultTestCluster(name: string): Promise<VaultTestCluster> {
  for (let tries = 0; ; tries++) {
    const first = await startVaultTestServer({ tls: true, tlsNames: [name] });
    const port = Number(new URL(first.addr).port);
    let second: VaultTestServer;
    try {
      second = await startVaultTestServer({ host: "127.0.0.2", port, peer: first });
    } catch (err) {
      // 127.0.0.2 may have that port taken by someone else: try another one.
      await first.close();
      if (tries >= BIND_TRIES) throw err;
      continue;
    }
    const nodes: [VaultTestServer, VaultTestServer] = [first, second];
    return {
      name,
      port,
      nodes,
      endpoint: `https://${name}:${port}`,
      elect(active, opts = {}) {
        const leader = active === undefined ? undefined : nodes[active]?.addr;
        nodes.forEach((n, i) => {
          if (i === active) n.ha.activate();
          else n.ha.standBy(leader, opts);
        });
      },
      close: async () => {
        await Promise.all(nodes.map((n) => n.close()));
      },
    };
  }
}
