// `keyfront key rotate | versions | configure | disable | enable | restore | purge`: keyfront's
// key lifecycle beyond KES. Output rules as every client command (DESIGN.md §12): stdout only the
// result (`--json` for machines), diagnostics on stderr, exit 0/1/2. `purge` destroys every
// version of a key pending deletion for good, so it asks for the key's name on a terminal and
// refuses without one unless `--yes`. It must never print key material.

import { createInterface } from "node:readline/promises";
import { withClient } from "./client-env.js";
import { formatDate, printFields, printJson, printTable, useColor } from "./format.js";
import { parseKeyArgs } from "./key-args.js";
import { CommandError, UsageError } from "./output.js";
import { canPrompt } from "./prompt.js";

export async function rotate(args: string[]) {
  const { values, positionals } = parseKeyArgs(args, "keyfront key rotate <name> [--json]", 1, 1);
  const doc = await withClient(values, (c) => c.rotateKey(positionals[0] as string));
  if (values.json) printJson(doc);
  else {
    printFields(
      [
        ["Name", doc.name],
        ["Version", String(doc.version)],
        ["Date", formatDate(doc.created_at)],
      ],
      useColor(values.color),
    );
  }
  return 0;
}

export async function versions(args: string[]) {
  const usage = "keyfront key versions <name> [--json]";
  const { values, positionals } = parseKeyArgs(args, usage, 1, 1);
  const doc = await withClient(values, (c) => c.keyVersions(positionals[0] as string));
  if (values.json) printJson(doc);
  else {
    const rows = doc.versions.map((v) => [
      String(v.version),
      v.state,
      formatDate(v.created_at),
      v.created_by ?? "-",
    ]);
    printTable(["Version", "State", "Date", "Owner"], rows, useColor(values.color));
  }
  return 0;
}

const CONFIGURE_USAGE =
  "keyfront key configure <name> [--min-decryption-version N] [--rotate DURATION|off] [--json]";

/** `--min-decryption-version` as a whole number from 1; `--rotate off` (or "") stops rotation. */
function settingsChange(values: { "min-decryption-version"?: string; rotate?: string }) {
  const change: { min_decryption_version?: number; rotate?: string } = {};
  const min = values["min-decryption-version"];
  if (min !== undefined) {
    if (!/^[1-9][0-9]{0,9}$/.test(min)) {
      throw new UsageError(
        `--min-decryption-version must be a version number (1, 2, …), not '${min}'`,
      );
    }
    change.min_decryption_version = Number(min);
  }
  if (values.rotate !== undefined) change.rotate = values.rotate === "off" ? "" : values.rotate;
  if (Object.keys(change).length === 0) {
    throw new UsageError(`give --min-decryption-version or --rotate\nusage: ${CONFIGURE_USAGE}`);
  }
  return change;
}

export async function configure(args: string[]) {
  const { values, positionals } = parseKeyArgs(args, CONFIGURE_USAGE, 1, 1, {
    "min-decryption-version": { type: "string" },
    rotate: { type: "string" },
  });
  const change = settingsChange(values as { "min-decryption-version"?: string; rotate?: string });
  const doc = await withClient(values, (c) => c.configureKey(positionals[0] as string, change));
  if (values.json) printJson(doc);
  else {
    const fields: [string, string][] = [["Name", doc.name]];
    if (doc.min_decryption_version !== undefined) {
      fields.push(["Min decryption version", String(doc.min_decryption_version)]);
    }
    if (doc.rotate !== undefined) fields.push(["Rotate", doc.rotate === "" ? "off" : doc.rotate]);
    printFields(fields, useColor(values.color));
  }
  return 0;
}

type NameCall = "disableKey" | "enableKey" | "restoreKey" | "purgeKey";

/** A command that calls `method` for each name in turn and prints nothing. */
function forEachName(sub: string, method: NameCall, extra = {}) {
  return async (args: string[]) => {
    const usage = `keyfront key ${sub} <name>...${method === "purgeKey" ? " [--yes]" : ""}`;
    const { values, positionals } = parseKeyArgs(args, usage, 1, Infinity, extra);
    if (method === "purgeKey") await confirmPurge(positionals, (values as { yes?: boolean }).yes);
    await withClient(values, async (client) => {
      for (const name of positionals) await client[method](name);
    });
    return 0;
  };
}

/** Purge is for good: `--yes`, or the key's name typed on a terminal; never assumed. */
async function confirmPurge(names: string[], yes: boolean | undefined): Promise<void> {
  if (yes === true) return;
  if (!canPrompt()) {
    throw new UsageError(
      "purge destroys every version of the key for good: confirm with --yes (there is no terminal to ask on)",
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (const name of names) {
      const typed = await rl.question(
        `Purge key '${name}' and every version of it for good? Type its name to confirm: `,
      );
      if (typed.trim() !== name) throw new CommandError(`not confirmed: key '${name}' was kept`);
    }
  } finally {
    rl.close();
  }
}

export const disable = forEachName("disable", "disableKey");
export const enable = forEachName("enable", "enableKey");
export const restore = forEachName("restore", "restoreKey");
export const purge = forEachName("purge", "purgeKey", {
  yes: { type: "boolean", short: "y", default: false },
});
