// The lifecycle scheduler (issue 10, design §4): in every replica, it rotates the keys whose
// rotation period has passed (the key's own setting, else `keys[].rotate` of the config) and purges
// those whose deletion window has ended. It learns what is due from a pass over every key
// (SCHEDULER_PASS_INTERVAL_MS apart, SCHEDULER_KEYS_PER_TICK keys per page) and from this replica's
// own changes (nudge), keeps the due times of those keys, and acts when one comes. Replicas race
// harmlessly: every action re-reads the key and acts only if it is still due, and a lost
// create-only race makes nothing. At most SCHEDULER_ACTIONS_PER_TICK actions per tick. It logs what
// it did by key name and version, never key material. The clock is injectable for tests.

import {
  SCHEDULER_ACTIONS_PER_TICK,
  SCHEDULER_KEYS_PER_TICK,
  SCHEDULER_MAX_TICK_MS,
  SCHEDULER_MIN_TICK_MS,
  SCHEDULER_PASS_INTERVAL_MS,
  SCHEDULER_ROTATE_JITTER_MS,
  SCHEDULER_STEP_TIMEOUT_MS,
} from "../limits.js";

/** What the scheduler needs to know of one key, read from the keystore. */
export interface KeySchedule {
  /** When the newest version was made (Unix ms). */
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
  /** The key's schedule read afresh; undefined when the key is gone. */
  schedule(name: string, signal: AbortSignal): Promise<KeySchedule | undefined>;
  /** Rotates if the key (re-read) is still due under `periodMs`; the new version, or undefined. */
  rotateIfDue(name: string, periodMs: number, signal: AbortSignal): Promise<number | undefined>;
  /** Purges if the key (re-read) is pending deletion and its window has ended; true if it did. */
  purgeIfDue(name: string, signal: AbortSignal): Promise<boolean>;
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
  /** A delay in [0, maxMs) added to a rotation's due time; default random (tests: 0). */
  jitter?: (maxMs: number) => number;
}

export interface TickReport {
  /** Keys read by this tick's page of a pass (0 when no pass was on). */
  examined: number;
  rotated: { name: string; version: number }[];
  purged: string[];
  failed: number;
  /** True when this tick's page ended a pass over every key. */
  passDone: boolean;
  /** When the next tick should run, from now (ms). */
  nextDelayMs: number;
}

const randomDelay = (maxMs: number) => Math.random() * maxMs;

const clamp = (ms: number) => Math.min(SCHEDULER_MAX_TICK_MS, Math.max(SCHEDULER_MIN_TICK_MS, ms));

export class KeyScheduler {
  readonly #o: SchedulerOptions;
  /** Keys with something due (a rotation or a purge) and when (Unix ms). */
  readonly #due = new Map<string, number>();
  /** Where the pass in progress continues; "" between passes. */
  #cursor = "";
  #passOn = false;
  #nextPassAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #running: Promise<unknown> | undefined;
  #stopped = false;
  readonly #abort = new AbortController();

  constructor(opts: SchedulerOptions) {
    this.#o = opts;
  }

  /** Starts: the first pass at once, then as the due times ask. */
  start(): void {
    this.#arm(0);
  }

  /**
   * This replica changed `name` (deleted, configured, rotated): its due time is read again now,
   * so a short window or period is kept without waiting for the next pass.
   */
  nudge(name: string): void {
    if (this.#stopped) return;
    void this.#view(name)
      .catch((err: unknown) =>
        this.#o.log.warn({ err, name }, `key scheduler: cannot check key '${name}'`),
      )
      .then(() => this.#arm(clamp(this.#earliest() - this.#o.now())));
  }

  /** A key was created here: only a key `keys[].rotate` names has anything due. */
  created(name: string): void {
    if (this.#o.configured.has(name)) this.nudge(name);
  }

  /** Stops the timer and waits for a running tick to end (its keystore calls are aborted). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort.abort(new Error("scheduler stopped"));
    await this.#running?.catch(() => {});
  }

  /** The due time of `name`, if it has one (for tests). */
  dueAt(name: string): number | undefined {
    return this.#due.get(name);
  }

  #arm(delayMs: number): void {
    if (this.#stopped) return;
    const at = this.#o.now() + delayMs;
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#fire(), delayMs);
    this.#timer.unref?.();
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (this.#running !== undefined) {
      this.#arm(SCHEDULER_MIN_TICK_MS);
      return;
    }
    this.#running = this.tick()
      .then(
        (r) => this.#arm(r.nextDelayMs),
        (err: unknown) => {
          this.#o.log.warn({ err }, "key scheduler: tick failed");
          this.#arm(SCHEDULER_MAX_TICK_MS);
        },
      )
      .finally(() => {
        this.#running = undefined;
      });
  }

  /** One bounded tick: a page of the pass (when one is on or due), then the due actions. */
  async tick(): Promise<TickReport> {
    const now = this.#o.now();
    const report: TickReport = {
      examined: 0,
      rotated: [],
      purged: [],
      failed: 0,
      passDone: false,
      nextDelayMs: 0,
    };
    if (this.#passOn || now >= this.#nextPassAt) await this.#page(now, report);
    for (const [name, at] of [...this.#due]) {
      if (this.#stopped) return report;
      if (at > now) continue;
      if (report.rotated.length + report.purged.length >= SCHEDULER_ACTIONS_PER_TICK) break;
      await this.#act(name, now, report).catch((err: unknown) => {
        report.failed++;
        this.#due.set(name, now + SCHEDULER_MAX_TICK_MS); // try again later, not every tick
        this.#o.log.warn({ err, name }, `key scheduler: cannot rotate or purge key '${name}'`);
      });
    }
    const next = this.#passOn ? now : Math.min(this.#nextPassAt, this.#earliest());
    report.nextDelayMs = clamp(next - this.#o.now());
    return report;
  }

  async #page(now: number, report: TickReport): Promise<void> {
    this.#passOn = true;
    const page = await this.#o.target.list(this.#cursor, SCHEDULER_KEYS_PER_TICK, this.#step());
    for (const name of page.names) {
      if (this.#stopped) return;
      report.examined++;
      await this.#view(name).catch((err: unknown) => {
        report.failed++;
        this.#o.log.warn({ err, name }, `key scheduler: cannot check key '${name}'`);
      });
    }
    this.#cursor = page.continueAt;
    if (this.#cursor === "") {
      this.#passOn = false;
      this.#nextPassAt = now + SCHEDULER_PASS_INTERVAL_MS;
      report.passDone = true;
    }
  }

  /** Reads `name` and records when something is next due for it (or forgets it). */
  async #view(name: string): Promise<void> {
    const s = await this.#o.target.schedule(name, this.#step());
    const at = s === undefined ? undefined : this.#dueOf(name, s);
    if (at === undefined) this.#due.delete(name);
    else this.#due.set(name, at);
  }

  #dueOf(name: string, s: KeySchedule): number | undefined {
    if (s.purgeAtMs !== undefined) return s.purgeAtMs;
    const period = this.#periodOf(name, s);
    if (period <= 0) return undefined;
    const max = Math.min(SCHEDULER_ROTATE_JITTER_MS, period / 10);
    return s.latestCreatedMs + period + Math.floor((this.#o.jitter ?? randomDelay)(max));
  }

  #periodOf(name: string, s: KeySchedule): number {
    return s.rotateMs > 0 ? s.rotateMs : (this.#o.configured.get(name) ?? 0);
  }

  async #act(name: string, now: number, report: TickReport): Promise<void> {
    const o = this.#o;
    const s = await o.target.schedule(name, this.#step());
    if (s === undefined) {
      this.#due.delete(name);
      return;
    }
    if (s.purgeAtMs !== undefined && s.purgeAtMs <= now) {
      if (await o.target.purgeIfDue(name, this.#step())) {
        report.purged.push(name);
        o.log.info({ name }, `key scheduler: purged key '${name}' (its deletion window ended)`);
      }
      this.#due.delete(name);
      return;
    }
    const at = this.#dueOf(name, s);
    if (s.purgeAtMs === undefined && at !== undefined && at <= now) {
      const made = await o.target.rotateIfDue(name, this.#periodOf(name, s), this.#step());
      if (made !== undefined) {
        report.rotated.push({ name, version: made });
        o.log.info(
          { name, version: made },
          `key scheduler: rotated key '${name}' to version ${made}`,
        );
      }
      await this.#view(name);
      return;
    }
    if (at === undefined) this.#due.delete(name);
    else this.#due.set(name, at);
  }

  #earliest(): number {
    let at = Number.POSITIVE_INFINITY;
    for (const t of this.#due.values()) if (t < at) at = t;
    return at;
  }

  /** The signal of one keystore step: its own timeout, and the scheduler's stop. */
  #step(): AbortSignal {
    return AbortSignal.any([this.#abort.signal, AbortSignal.timeout(SCHEDULER_STEP_TIMEOUT_MS)]);
  }
}
