// Prometheus metrics with KES's names (kes-api.md §12.1), rendered in the text exposition
// format by hand: a dozen series do not need a client library. Counting is two Map updates per
// request. keyfront counts every routed request that passed authentication, as KES does for the
// key/policy/identity routes, plus the system gauges refreshed at scrape time.

import { availableParallelism, cpus } from "node:os";
import type { LogHub } from "../log/hub.js";

const BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 3, 5, 10] as const;

export class Metrics {
  private readonly success = new Map<number, number>();
  private readonly clientErrors = new Map<number, number>();
  private readonly failures = new Map<number, number>();
  private readonly bucketCounts = new Array<number>(BUCKETS.length).fill(0);
  private histogramCount = 0;
  private histogramSum = 0;
  active = 0;
  private readonly started = process.hrtime.bigint();

  constructor(
    private readonly errorHub: LogHub,
    private readonly auditHub: LogHub,
  ) {}

  /** Records one finished request: its status and its duration in seconds. */
  observe(status: number, seconds: number): void {
    const map = status >= 500 ? this.failures : status >= 400 ? this.clientErrors : this.success;
    map.set(status, (map.get(status) ?? 0) + 1);
    this.histogramCount++;
    this.histogramSum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= (BUCKETS[i] as number)) {
        this.bucketCounts[i] = (this.bucketCounts[i] ?? 0) + 1;
        break;
      }
    }
  }

  /** Seconds since the metrics (the process's server) started. */
  uptimeSeconds(): number {
    return Number(process.hrtime.bigint() - this.started) / 1e9;
  }

  render(): string {
    const lines: string[] = [];
    const counter = (name: string, help: string, map: Map<number, number>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [code, n] of [...map].sort((a, b) => a[0] - b[0])) {
        lines.push(`${name}{code="${code}"} ${n}`);
      }
    };
    const gauge = (name: string, help: string, v: number) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${v}`);
    };
    counter(
      "kes_http_request_success",
      "Number of requests that have been served successfully.",
      this.success,
    );
    counter(
      "kes_http_request_error",
      "Number of request that failed due to some error. (HTTP 4xx status code)",
      this.clientErrors,
    );
    counter(
      "kes_http_request_failure",
      "Number of request that failed due to some internal failure. (HTTP 5xx status code)",
      this.failures,
    );
    gauge(
      "kes_http_request_active",
      "Number of active requests that are not finished, yet.",
      this.active,
    );
    lines.push(
      "# HELP kes_http_response_time Histogram of request response times spawning from 10ms to 10s.",
    );
    lines.push("# TYPE kes_http_response_time histogram");
    let cumulative = 0;
    BUCKETS.forEach((b, i) => {
      cumulative += this.bucketCounts[i] ?? 0;
      lines.push(`kes_http_response_time_bucket{le="${b}"} ${cumulative}`);
    });
    lines.push(`kes_http_response_time_bucket{le="+Inf"} ${this.histogramCount}`);
    lines.push(`kes_http_response_time_sum ${this.histogramSum}`);
    lines.push(`kes_http_response_time_count ${this.histogramCount}`);
    const c = (name: string, help: string, v: number) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${v}`);
    c(
      "kes_log_error_events",
      "Number of error log events written to error log targets.",
      this.errorHub.events,
    );
    c(
      "kes_log_audit_events",
      "Number of audit log events written to audit log targets.",
      this.auditHub.events,
    );
    const mem = process.memoryUsage();
    gauge(
      "kes_system_up_time",
      "The time the server has been up and running in seconds.",
      Math.round(this.uptimeSeconds() * 100) / 100,
    );
    gauge(
      "kes_system_num_cpu",
      "The number of logical CPUs available on the system.",
      cpus().length,
    );
    gauge(
      "kes_system_num_cpu_used",
      "The number of logical CPUs usable by the server.",
      availableParallelism(),
    );
    gauge(
      "kes_system_num_threads",
      "The number of threads (event loop plus libuv pool) the server uses.",
      1,
    );
    gauge(
      "kes_system_mem_heap_used",
      "The number of bytes currently allocated on the heap.",
      mem.heapUsed,
    );
    gauge(
      "kes_system_mem_heap_objects",
      "The heap size in bytes reserved by the runtime.",
      mem.heapTotal,
    );
    gauge(
      "kes_system_mem_stack_used",
      "The number of bytes used outside the JS heap (external memory).",
      mem.external,
    );
    return `${lines.join("\n")}\n`;
  }
}
