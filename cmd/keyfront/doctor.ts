// `keyfront doctor [--config FILE] [--probe] [--json]`: checks every hop from the config to the
// keystore and prints one line per check (or one JSON document with --json) on stdout. Exit 0
// when no check failed (warnings pass), 1 when one did, 2 on a usage error. The checks live in
// internal/doctor; this file only parses arguments and renders.

import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { exitCodeOf, formatJson, formatText } from "../../internal/doctor/report.js";
import { runDoctorChecks } from "../../internal/doctor/run.js";
import { DEV_CONFIG_FILE } from "./dev-setup.js";
import { result, UsageError } from "./output.js";

const USAGE = `usage: keyfront doctor [--config FILE] [--probe] [--json]

Checks the config (every problem at once), the server certificate and key, the CA files, the
admin and policy identities, the routes MinIO needs, and the keystore: Vault reachability and TLS,
seal/standby state, the mount's K/V version, the token's capabilities on the key paths.

  --config FILE  the config file the server runs with (default: the one \`keyfront server\`
                 writes on its first run, ${DEV_CONFIG_FILE}, when it exists here)
  --probe        also create, read and delete a throwaway key (keyfront-doctor-probe-…)
  --json         one JSON document: {"ok": …, "checks": [{"id", "status", "message", "hint"}]}

Exit status: 0 when no check failed (a warning does not fail), 1 when one did, 2 on usage errors.`;

export async function runDoctor(argv: string[]): Promise<number> {
  let values: { config?: string; probe?: boolean; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: "string" },
        probe: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    result(USAGE);
    return 0;
  }
  const config = values.config ?? (existsSync(DEV_CONFIG_FILE) ? DEV_CONFIG_FILE : undefined);
  if (config === undefined || config === "") {
    throw new UsageError(
      `no config: pass --config FILE (${DEV_CONFIG_FILE}, which \`keyfront server\` writes on its first run, is not here)\n${USAGE}`,
    );
  }
  const results = await runDoctorChecks(config, {
    probe: values.probe === true,
    env: process.env,
  });
  process.stdout.write(values.json ? formatJson(results) : formatText(results));
  return exitCodeOf(results);
}
