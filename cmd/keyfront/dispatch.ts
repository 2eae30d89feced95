// Subcommand dispatch for the command groups (`keyfront key create …`): a table of name → run
// function with one help line each. Unknown or missing subcommands are usage errors (exit 2).

import { UsageError } from "./output.js";

export type SubCommand = (args: string[]) => Promise<number | undefined>;

export interface SubCommandTable {
  [name: string]: { run: SubCommand; help: string };
}

export function usageOf(group: string, table: SubCommandTable): string {
  const lines = Object.entries(table).map(([n, c]) => `  ${n.padEnd(10)} ${c.help}`);
  return [`usage: keyfront ${group} <command> [options]`, "", ...lines].join("\n");
}

/** Runs `args[0]` of `table`; `-h`, nothing or an unknown name print the group's usage. */
export function dispatch(
  group: string,
  table: SubCommandTable,
  args: string[],
): Promise<number | undefined> {
  const [name, ...rest] = args;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    throw new UsageError(usageOf(group, table));
  }
  const command = Object.hasOwn(table, name) ? table[name] : undefined;
  if (command === undefined) {
    throw new UsageError(`unknown command '${group} ${name}'. Run 'keyfront ${group} --help'.`);
  }
  return command.run(rest);
}
