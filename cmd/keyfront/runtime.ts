// Process-wide pieces of a running server: logs, audit, metrics and the build's version.

import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import { AuditLog } from "../../internal/log/audit.js";
import { openAuditSink } from "../../internal/log/audit-writer.js";
import { LogHub } from "../../internal/log/hub.js";
import { createErrorLogger, type Logger } from "../../internal/log/logger.js";
import { Metrics } from "../../internal/server/metrics.js";
import type { Runtime } from "../../internal/server/state.js";

/** The package version, read from package.json next to dist/ (or the source tree). */
export function packageVersion(): string {
  for (const rel of ["../../../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "keyfront" && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return "<unknown>";
}

/**
 * The log of a `server.workers` primary, which serves no request: its error log only. It opens no
 * audit writer on stdout, which the workers write to.
 */
export function createPrimaryLog(level: number): Logger {
  return createErrorLogger({ level, hub: new LogHub() });
}

export function createRuntime(levels: { error: number; audit: number }): Runtime {
  const errorHub = new LogHub();
  const auditHub = new LogHub();
  const log = createErrorLogger({ level: levels.error, hub: errorHub });
  return {
    log,
    audit: new AuditLog(
      auditHub,
      // A write that fails (or a stdout that takes nothing) is thrown, as an uncaught exception:
      // the server's fatal path logs it and exits rather than serve requests it cannot audit.
      levels.audit <= 0
        ? openAuditSink(
            1,
            (err) =>
              process.nextTick(() => {
                throw err;
              }),
            // `server.workers`: the workers share stdout, and their lines must not mix.
            { shared: cluster.isWorker },
          )
        : undefined,
      (err) => log.error({ err }, "failed to write an audit event"),
    ),
    errorHub,
    auditHub,
    metrics: new Metrics(errorHub, auditHub),
    version: packageVersion(),
    commit: process.env.KEYFRONT_COMMIT ?? "",
  };
}
