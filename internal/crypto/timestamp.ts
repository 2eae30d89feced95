// Timestamps with nanosecond precision and Go's RFC 3339 text forms (time.RFC3339Nano output,
// time.Parse(time.RFC3339) input), as used by KES for key creation times (kes-api.md §7.8).
// Pure: no I/O. Must never lose precision: seconds are a bigint (protobuf int64).

/** Seconds since the Unix epoch (may be negative) and nanoseconds within that second. */
export interface Timestamp {
  seconds: bigint;
  nanos: number;
}

/** Go's zero time.Time, 0001-01-01T00:00:00Z. */
export const ZERO_TIMESTAMP: Readonly<Timestamp> = Object.freeze({
  seconds: -62_135_596_800n,
  nanos: 0,
});

const SECONDS_PER_DAY = 86_400n;
const NANOS_PER_SECOND = 1_000_000_000;
const NANOS_PER_MILLI = 1_000_000;
const MILLIS_PER_SECOND = 1_000;
const FRACTION_DIGITS = 9;

/** The current wall-clock time (millisecond resolution). */
export function nowTimestamp(): Timestamp {
  return timestampOfMs(Date.now());
}

/** A wall-clock time in whole milliseconds since the epoch as a Timestamp. */
export function timestampOfMs(ms: number): Timestamp {
  const seconds = Math.floor(ms / MILLIS_PER_SECOND);
  return { seconds: BigInt(seconds), nanos: (ms - seconds * MILLIS_PER_SECOND) * NANOS_PER_MILLI };
}

/** Whether two timestamps denote the same instant (both assumed normalised). */
export function equalTimestamps(a: Timestamp, b: Timestamp): boolean {
  return a.seconds === b.seconds && a.nanos === b.nanos;
}

// Days since 1970-01-01 → proleptic Gregorian date (H. Hinnant's civil_from_days).
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

// Proleptic Gregorian date → days since 1970-01-01 (H. Hinnant's days_from_civil).
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** `value` in decimal, zero-padded to `width` digits (a minus sign before them). */
export function pad(value: number, width: number): string {
  const text = String(Math.abs(value)).padStart(width, "0");
  return value < 0 ? `-${text}` : text;
}

/** Go's `t.UTC().Format(time.RFC3339Nano)`: `2024-01-02T03:04:05.123456789Z`, zeros trimmed. */
export function formatTimestamp(t: Timestamp): string {
  // Normalise nanos outside [0, 1e9) by carrying into seconds, as Go's time.Unix does.
  const carry = Math.floor(t.nanos / NANOS_PER_SECOND);
  const nanos = t.nanos - carry * NANOS_PER_SECOND;
  const seconds = t.seconds + BigInt(carry);
  let days = seconds / SECONDS_PER_DAY;
  let rest = seconds % SECONDS_PER_DAY;
  if (rest < 0n) {
    rest += SECONDS_PER_DAY;
    days -= 1n;
  }
  let fraction = "";
  if (nanos !== 0) fraction = `.${pad(nanos, FRACTION_DIGITS).replace(/0+$/, "")}`;
  return `${formatDateTime(Number(days), Number(rest))}${fraction}Z`;
}

/** `YYYY-MM-DDThh:mm:ss` (UTC) of a day since 1970-01-01 and a second of that day. */
export function formatDateTime(days: number, secOfDay: number): string {
  const [year, month, day] = civilFromDays(days);
  const clock = `${pad(Math.floor(secOfDay / 3600), 2)}:${pad(Math.floor(secOfDay / 60) % 60, 2)}:${pad(secOfDay % 60, 2)}`;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${clock}`;
}

// RFC 3339 as Go's time.Parse(time.RFC3339, …) reads it: fraction of any length (digits past
// the ninth are truncated), offset `Z` or ±hh:mm.
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Parses an RFC 3339 timestamp; undefined when the text is not one or a field is out of range. */
export function parseTimestamp(text: string): Timestamp | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (m[8] !== undefined) {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 23 || om > 59) return undefined;
    offset = (m[8] === "-" ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const nanos = m[7] === undefined ? 0 : Number(m[7].slice(0, FRACTION_DIGITS).padEnd(9, "0"));
  const days = daysFromCivil(year, month, day);
  const seconds =
    BigInt(days) * SECONDS_PER_DAY + BigInt(hour * 3600 + minute * 60 + second - offset);
  return { seconds, nanos };
}
