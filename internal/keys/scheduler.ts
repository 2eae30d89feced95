// The lifecycle scheduler (issue 10, design §4): in every replica, it sweeps the keys and rotates
// those whose rotation period has passed (the key's own setting, else `keys[].rotate` of the
// config) and purges those whose deletion window has ended. Replicas race harmlessly: a rotation
// names the version it expects to make and a lost create-only race makes nothing, and purging an
// already purged key does nothing. Work per sweep is bounded (SCHEDULER_KEYS_PER_TICK keys examined,
// SCHEDULER_ACTIONS_PER_TICK actions); the next sweep continues where one stopped. It logs what it
// did, by key name and version — never key material. The clock is injectable for tests.

import {
  SCHEDULER_ACTIONS_PER_TICK,
  SCHEDULER_KEYS_PER_TICK,
  SCHEDULER_MAX_TICK_MS,
  SCHEDULER_MIN_TICK_MS,
  SCHEDULER_STEP_TIMEOUT_MS,
} from "../limits.js";

/** What the scheduler needs to know of one key. */
export interface KeySchedule {
  /** The newest version and when it was made (Unix ms). */
  latestVersion: number;
  latestCreatedMs: number;
  /** The key's own rotation period; 0 = none set (the config's period applies). */
  rotateMs: number;
  /** When a key pending deletion is purged (Unix ms); undefined when it is not pending. */
  purgeAtMs: number | undefined;
}

/** The key operations the scheduler drives (an adapter over the key service). */
export interface SchedulerTarget {
  list(
    startAt: string,
    limit: number,
    signal: AbortSignal,
  ): Promise<{ names: string[]; continueAt: string }>;
  /** The key's schedule read fresh from the keystore; undefined when the key is gone. */
  schedule(name: string, signal: AbortSignal): Promise<KeySchedule | undefined>;
  /** Makes version `latest + 1` unless it exists; the new version, or undefined if another did. */
  rotate(name: string, latest: number, signal: AbortSignal): Promise<number | undefined>;
  /** Purges a key pending deletion whose window has ended; false when there was nothing to do. */
  purge(name: string, signal: AbortSignal): Promise<boolean>;
}

export interface SchedulerLog {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

export interface SchedulerOptions {
  target: SchedulerTarget;
  /** `keys[].rotate` of the config: name → period (ms). */
  configured: ReadonlyMap<string, number>;
  log: SchedulerLog;
  /** Unix ms; Date.now in the server, a test clock in tests. */
  now: () => number;
}

export interface SweepReport {
  examined: number;
  rotated: { name: string; version: number }[];
  purged: string[];
  failed: number;
  /** True when this sweep ended a pass over every key. */
  passDone: boolean;
  /** When the next sweep should run, from now (ms). */
  nextDelayMs: number;
}

const clamp = (ms: number) => Math.min(SCHEDULER_MAX_TICK_MS, Math.max(SCHEDULER_MIN_TICK_MS, ms));

export class KeyScheduler {
  readonly #o: SchedulerOptions;
  #cursor = "";
  /** The earliest due time seen in the current pass over the keys (Unix ms). */
  #nextDue = Number.POSITIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #running: Promise<unknown> | undefined;
  #stopped = false;
  readonly #abort = new AbortController();

  constructor(opts: SchedulerOptions) {
    this.#o = opts;
  }

  /** Starts sweeping: the first sweep at once, then as the keys' due times ask. */
  start(): void {
    this.#arm(0);
  }

  /** Asks for a sweep soon (a local delete, configure or rotate changed what is due). */
  nudge(): void {
    this.#arm(SCHEDULER_MIN_TICK_MS);
  }

  /** Stops the timer and waits for a running sweep to end (its keystore calls are aborted). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort.abort(new Error("scheduler stopped"));
    await this.#running?.catch(() => {});
  }

  #arm(delayMs: number): void {
    if (this.#stopped) return;
    const at = this.#o.now() + delayMs;
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#tick(), delayMs);
    this.#timer.unref?.();
  }

  #tick(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (this.#running !== undefined) {
      this.#arm(SCHEDULER_MIN_TICK_MS);
      return;
    }
    this.#running = this.sweep()
      .then(
        (r) => this.#arm(r.nextDelayMs),
        (err: unknown) => {
          this.#o.log.warn({ err }, "key scheduler: sweep failed");
          this.#arm(SCHEDULER_MAX_TICK_MS);
        },
      )
      .finally(() => {
        this.#running = undefined;
      });
  }

  /** One bounded sweep over the next keys; public for tests, which drive the clock. */
  async sweep(): Promise<SweepReport> {
    const o = this.#o;
    const now = o.now();
    const page = await o.target.list(this.#cursor, SCHEDULER_KEYS_PER_TICK, this.#step());
    const report: SweepReport = {
      examined: 0,
      rotated: [],
      purged: [],
      failed: 0,
      passDone: false,
      nextDelayMs: 0,
    };
    let stoppedAt: string | undefined;
    for (const name of page.names) {
      if (this.#stopped) return report;
      if (report.rotated.length + report.purged.length >= SCHEDULER_ACTIONS_PER_TICK) {
        stoppedAt = name;
        break;
      }
      report.examined++;
      try {
        await this.#visit(name, now, report);
      } catch (err) {
        report.failed++;
        o.log.warn({ err, name }, `key scheduler: cannot check key '${name}'`);
      }
    }
    this.#cursor = stoppedAt ?? page.continueAt;
    report.passDone = this.#cursor === "";
    if (report.passDone) {
      report.nextDelayMs = clamp(this.#nextDue - o.now());
      this.#nextDue = Number.POSITIVE_INFINITY;
    } else {
      report.nextDelayMs = SCHEDULER_MIN_TICK_MS;
    }
    return report;
  }

  async #visit(name: string, now: number, report: SweepReport): Promise<void> {
    const o = this.#o;
    const s = await o.target.schedule(name, this.#step());
    if (s === undefined) return;
    if (s.purgeAtMs !== undefined) {
      if (s.purgeAtMs > now) {
        this.#due(s.purgeAtMs);
      } else if (await o.target.purge(name, this.#step())) {
        report.purged.push(name);
        o.log.info({ name }, `key scheduler: purged key '${name}' (its deletion window ended)`);
      }
      return;
    }
    const period = s.rotateMs > 0 ? s.rotateMs : (o.configured.get(name) ?? 0);
    if (period <= 0) return;
    const due = s.latestCreatedMs + period;
    if (due > now) {
      this.#due(due);
      return;
    }
    const made = await o.target.rotate(name, s.latestVersion, this.#step());
    this.#due(now + period);
    if (made === undefined) return;
    report.rotated.push({ name, version: made });
    o.log.info({ name, version: made }, `key scheduler: rotated key '${name}' to version ${made}`);
  }

  #due(at: number): void {
    if (at < this.#nextDue) this.#nextDue = at;
  }

  /** The signal of one keystore step: its own timeout, and the scheduler's stop. */
  #step(): AbortSignal {
    return AbortSignal.any([this.#abort.signal, AbortSignal.timeout(SCHEDULER_STEP_TIMEOUT_MS)]);
  }
}
