#!/usr/bin/env node
// keyfront's entry point: the subcommand table and the only process.exit of the CLI.
// Commands throw UsageError (exit 2) or CommandError (exit 1); nothing prints a stack trace.

import { runDoctor } from "./doctor.js";
import { runIdentity } from "./identity.js";
import { runKey } from "./key.js";
import { runLog } from "./log.js";
import { runLs } from "./ls.js";
import { runMetric } from "./metric.js";
import { runMigrate } from "./migrate.js";
import { CommandError, UsageError } from "./output.js";
import { runPolicy } from "./policy.js";
import { runServer } from "./server.js";
import { runStatus } from "./status.js";

const EXIT_GRACE_MS = 2_000;

type Command = (args: string[]) => Promise<number | undefined>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  server: { run: runServer, help: "run the key server" },
  ls: { run: runLs, help: "list keys, identities or policies" },
  key: { run: runKey, help: "create, import, inspect, delete and use keys" },
  policy: { run: runPolicy, help: "inspect policies" },
  identity: { run: runIdentity, help: "create API keys, compute and inspect identities" },
  status: { run: runStatus, help: "print the server's status or API" },
  metric: { run: runMetric, help: "watch the server's metrics" },
  log: { run: runLog, help: "follow the server's audit or error log" },
  migrate: { run: runMigrate, help: "copy keys from one keystore to another" },
  doctor: { run: runDoctor, help: "check the config, certificates, policies and keystore" },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.help}`);
  return ["Usage: keyfront <command> [options]", "", "Commands:", ...lines, ""].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    process.stderr.write(usage());
    return 2;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command '${name}'. Run 'keyfront --help'.`);
  return (await command.run(rest)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Exit even if a forgotten handle would keep the loop alive; unref'd, so it never delays.
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  },
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof CommandError) {
      process.stderr.write(`keyfront: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`keyfront: unexpected error: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  },
);
