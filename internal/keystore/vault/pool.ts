// The keep-alive connection pool of the Vault HTTP client, in generations. A node that failed or
// stopped being Vault's active node (a connection error, a standby's redirect, "Vault is sealed",
// "no active Vault instance", a health poll saying standby) retires the whole generation: its
// idle connections are closed at once and its busy ones when their answer is in, and the next
// request opens a new connection — resolving the endpoint's name again (vault-api.md §10.1;
// README "HA Vault behind a DNS name"). A health poll that finds the active node drops the
// connections to every other address. So no pooled connection outlives a failover. It must
// never close a connection with a request still on it, and never retire a generation twice.

import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { LookupFunction, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { VAULT_MAX_FREE_SOCKETS, VAULT_MAX_SOCKETS } from "../../limits.js";

export interface PoolTls {
  ca: string[] | undefined;
  cert: string | undefined;
  key: string | undefined;
}

export interface Generation {
  readonly id: number;
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
}

export class VaultPool {
  readonly #tls: PoolTls;
  readonly #lookup: LookupFunction | undefined;
  #current: Generation;
  #retired = 0;
  /** Retired generations that may still have a request in flight (closed by close()). */
  #draining: Generation[] = [];

  constructor(tls: PoolTls, lookup?: LookupFunction) {
    this.#tls = tls;
    this.#lookup = lookup;
    this.#current = this.#open(1);
  }

  /** The generation new requests use. */
  get current(): Generation {
    return this.#current;
  }

  /** How many generations were retired so far (a failover counter for tests and logs). */
  get retired(): number {
    return this.#retired;
  }

  /**
   * Retires generation `id` if it is still the current one (many requests failing on one node
   * retire it once) and opens the next. True when this call retired it.
   */
  retire(id: number): boolean {
    const old = this.#current;
    if (old.id !== id) return false;
    this.#current = this.#open(id + 1);
    this.#retired++;
    dropSockets(old, () => true);
    this.#draining = this.#draining.filter(inUse);
    this.#draining.push(old);
    return true;
  }

  /**
   * Drops every connection of the current generation that is not to `ip` (the address a health
   * poll just found Vault's active node at): connections opened before the endpoint's name moved
   * do not stay in the pool talking to a node that forwards or will go away.
   */
  keepOnly(ip: string): void {
    dropSockets(this.#current, (socket) => (socket as Socket).remoteAddress !== ip);
  }

  close(): void {
    for (const g of [this.#current, ...this.#draining]) {
      g.http.destroy();
      g.https.destroy();
    }
    this.#draining = [];
  }

  #open(id: number): Generation {
    const pool = {
      keepAlive: true,
      maxSockets: VAULT_MAX_SOCKETS,
      maxFreeSockets: VAULT_MAX_FREE_SOCKETS,
      ...(this.#lookup ? { lookup: this.#lookup } : {}),
    };
    const tls = this.#tls;
    return {
      id,
      http: new HttpAgent(pool),
      https: new HttpsAgent({
        ...pool,
        minVersion: "TLSv1.2",
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
      }),
    };
  }
}

/**
 * Closes the generation's idle connections that `doomed` selects now and its busy ones once their
 * answer is in, instead of returning them to the pool (node:http's documented
 * agent.keepSocketAlive hook).
 */
function dropSockets(g: Generation, doomed: (socket: Duplex) => boolean): void {
  for (const agent of [g.http, g.https]) {
    const keep = HttpAgent.prototype.keepSocketAlive;
    agent.keepSocketAlive = (socket) => !doomed(socket) && keep.call(agent, socket);
    for (const sockets of Object.values(agent.freeSockets)) {
      for (const socket of sockets ?? []) if (doomed(socket)) socket.destroy();
    }
  }
}

const inUse = (g: Generation): boolean =>
  [g.http, g.https].some((a) => Object.values(a.sockets).some((s) => (s?.length ?? 0) > 0));
