// `keyfront ls [PREFIX] [-i|-p]` (kes-api.md §11.4): lists keys (default), identities or
// policies, sorted; a table with a header on a terminal, one name per line otherwise, `--json`
// a JSON array of strings. Prints names only, never key material.

import { CLIENT_OPTIONS, parseCommand, withClient } from "./client-env.js";
import { printNames, useColor } from "./format.js";
import { UsageError } from "./output.js";

const USAGE = "keyfront ls [PREFIX] [-i/--identity | -p/--policy] [--json] [-k] [-s HOST:PORT]";

export async function runLs(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    {
      ...CLIENT_OPTIONS,
      identity: { type: "boolean", short: "i", default: false },
      policy: { type: "boolean", short: "p", default: false },
    },
    USAGE,
  );
  if (values.identity && values.policy) {
    throw new UsageError("--identity and --policy are mutually exclusive");
  }
  if (positionals.length > 1) throw new UsageError(`too many arguments\nusage: ${USAGE}`);
  const prefix = positionals[0] ?? "";
  const kind = values.identity ? "Identity" : values.policy ? "Policy" : "Key";
  const names = await withClient(values, async (client) => {
    if (values.identity) return client.listIdentities(prefix);
    if (values.policy) return client.listPolicies(prefix);
    return listAll(client.listKeys(prefix));
  });
  printNames(kind, names, { json: values.json, color: useColor(values.color) });
  return 0;
}

export async function listAll(it: AsyncIterable<string>): Promise<string[]> {
  const names: string[] = [];
  for await (const n of it) names.push(n);
  return names;
}
