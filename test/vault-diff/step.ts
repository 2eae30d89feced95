// The shape of one step of the differential Vault check: a request with `{name}` placeholders
// (filled from the run id and from values earlier steps saved), who sends it, and what to save
// from its answer. Pure data: steps never hold a secret, only the names of saved variables.

export type Method = "GET" | "POST" | "PUT" | "DELETE" | "LIST";

export interface Step {
  /** Unique within the sequence; fixtures and the allow-list refer to steps by it. */
  name: string;
  method: Method;
  /** Path under /v1/, with `{var}` placeholders; may carry a query (`?list=true`). */
  path: string;
  /** A JSON body; a string is sent verbatim (malformed bodies). */
  body?: unknown;
  /** The variable holding the token to send; default "root"; "" sends none. */
  token?: string;
  /** X-Vault-Namespace, with placeholders. */
  namespace?: string;
  headers?: Record<string, string>;
  /** Variables to save from the answer: name → dotted path into the JSON body. */
  save?: Record<string, string>;
  /** Steps that need something not every server offers (skipped loudly without it). */
  needs?: "unseal-key" | "namespaces";
  /** Waits this long before sending (token expiry), bounded by VAULT_DIFF_MAX_WAIT_MS. */
  waitMs?: number;
  /**
   * Sent again (bounded) while it answers K/V v2's 400 "Upgrading…": a fresh v2 mount on a real
   * server with persistent storage is briefly unavailable, and an operator waits it out.
   */
  retryUpgrading?: boolean;
  /** After this step, poll sys/health until it answers 200 (an unseal makes the node active). */
  untilActive?: boolean;
}
