/**
 * `--stats --capacity`: what the log costs and how long the disk lasts.
 * {@link Load} is told each counted line (its time, host and size in bytes)
 * and keeps, per host and in total: messages and bytes, per UTC day too;
 * the busiest minute; and how long the host usually goes between two
 * lines, to tell one that went silent. {@link capacityOf} turns that into
 * the figures the reports print, with the growth of the log per day and,
 * given the free space of its file system, the days until it is full.
 *
 * Memory stays bounded whatever the senders send: at most MAX_GROUPS hosts
 * (later new ones count as "(other)"), MAX_DAY_CELLS counts per day and
 * host, a few minutes' counts and 48 numbers per host.
 *
 * @example
 * ```ts
 * import { capacityOf, Load } from "./capacity.ts";
 * const load = new Load();
 * load.add(Date.UTC(2026, 10, 24, 10), "pi-1", 120);
 * capacityOf(load, { path: "./log.txt", unknown: "not asked" }).total.bytes; // 120
 * ```
 *
 * @module
 */

import type { DiskSpace } from "./disk_space.ts";
import { MAX_GROUPS, NONE, OTHER } from "./stats_series.ts";

export const DAY_MS = 86_400_000;
export const MINUTE_MS = 60_000;
/** How late (out of time order) a line may come and still count in its minute. */
const LATE_MS = 10 * MINUTE_MS;
/** Most counts by day and host kept; past it a note says the days by host are partial. */
export const MAX_DAY_CELLS = 1_000_000;
/** Gaps between a host's lines are counted in powers of two of ms: 2^47 ms is 4,000 years. */
const GAP_BUCKETS = 48;
/** The share of a host's gaps its usual interval covers. */
export const USUAL_SHARE = 0.95;
/** Fewest gaps (lines less one) for a host to have a usual interval. */
export const MIN_GAPS = 4;

/**
 * The busiest minute of a stream of lines, counted as they come: the newest
 * minute's count, and those of the minutes before it still open to late
 * lines (up to LATE_MS before it), oldest first.
 */
class BusiestMinute {
  #newest = -Infinity;
  #count = 0;
  readonly #openStarts: number[] = [];
  readonly #openCounts: number[] = [];
  #openFrom = 0;
  start = NaN;
  messages = 0;

  add(time: number): void {
    if (time >= this.#newest && time < this.#newest + MINUTE_MS) {
      this.#count++; // the newest minute, most lines' (no division)
      return;
    }
    const minute = time - time % MINUTE_MS;
    if (minute > this.#newest) {
      if (this.#count > 0) {
        this.#openStarts.push(this.#newest);
        this.#openCounts.push(this.#count);
      }
      this.#newest = minute;
      this.#count = 1;
      this.#closeBefore(minute - LATE_MS);
    } else if (minute >= this.#newest - LATE_MS) {
      const at = this.#openStarts.indexOf(minute, this.#openFrom);
      if (at !== -1) this.#openCounts[at]++;
      else {
        this.#openStarts.push(minute);
        this.#openCounts.push(1);
      }
    } else {
      this.#judge(minute, 1); // too late to join its minute's count
    }
  }

  /**
   * Judges the open minutes before `limit`, from the oldest, up to the
   * first that is not (a minute opened by a late line may wait a little
   * longer behind it).
   */
  #closeBefore(limit: number): void {
    const starts = this.#openStarts;
    while (this.#openFrom < starts.length && starts[this.#openFrom] < limit) {
      this.#judge(starts[this.#openFrom], this.#openCounts[this.#openFrom]);
      this.#openFrom++;
    }
    if (this.#openFrom > 32) {
      starts.splice(0, this.#openFrom);
      this.#openCounts.splice(0, this.#openFrom);
      this.#openFrom = 0;
    }
  }

  /** Takes the counts still open into account: at the end of the log. */
  close(): void {
    if (this.#count > 0) this.#judge(this.#newest, this.#count);
    this.#count = 0;
    this.#closeBefore(Infinity);
  }

  #judge(start: number, count: number): void {
    if (
      count > this.messages || (count === this.messages && start < this.start)
    ) {
      this.start = start;
      this.messages = count;
    }
  }
}

/**
 * The bucket of a gap between two lines: 0 for none, else b for gaps from
 * 2^(b-1) to 2^b ms.
 */
function gapBucket(gap: number): number {
  if (gap < 1) return 0;
  const bucket = gap < 2 ** 31
    ? 32 - Math.clz32(gap)
    : Math.floor(Math.log2(gap)) + 1;
  return Math.min(GAP_BUCKETS - 1, bucket);
}

/** What one host (or all of them) logged. */
class HostLoad {
  messages = 0;
  bytes = 0;
  /** Lines with a time and their bytes, the first and last time, and the one before. */
  timed = 0;
  timedBytes = 0;
  first = Infinity;
  last = -Infinity;
  #previous = NaN;
  readonly busiest = new BusiestMinute();
  /** Gaps between one line and the next, by gapBucket. */
  readonly gaps = new Float64Array(GAP_BUCKETS);

  /** `gapsCounted`: false for the total, which needs no usual interval. */
  constructor(readonly host: string, readonly gapsCounted = true) {}

  add(time: number, bytes: number): void {
    this.messages++;
    this.bytes += bytes;
    if (Number.isNaN(time)) return;
    if (this.gapsCounted && this.timed > 0) {
      this.gaps[gapBucket(Math.abs(time - this.#previous))]++;
    }
    this.#previous = time;
    this.timed++;
    this.timedBytes += bytes;
    if (time < this.first) this.first = time;
    if (time > this.last) this.last = time;
    this.busiest.add(time);
  }

  /**
   * The time within which USUAL_SHARE of its lines followed the one
   * before, rounded up to a power of two of ms; undefined with fewer than
   * MIN_GAPS gaps.
   */
  usualInterval(): number | undefined {
    const gaps = this.gaps.reduce((sum, n) => sum + n, 0);
    if (gaps < MIN_GAPS) return undefined;
    const rank = Math.ceil(gaps * USUAL_SHARE);
    let seen = 0;
    for (let bucket = 0; bucket < GAP_BUCKETS; bucket++) {
      seen += this.gaps[bucket];
      if (seen >= rank) return 2 ** bucket;
    }
    return undefined;
  }
}

/** Messages and bytes. */
export interface Amount {
  messages: number;
  bytes: number;
}

/** One UTC day: its messages and bytes, in total and by host. */
interface DayLoad extends Amount {
  hosts: Map<string, Amount>;
}

/** Counts what each line costs, per host and day; see the module's doc. */
export class Load {
  readonly total = new HostLoad("(total)", false);
  readonly hosts = new Map<string, HostLoad>();
  readonly days = new Map<number, DayLoad>();
  /** True once MAX_DAY_CELLS was reached: later new day and host pairs are in the days' totals only. */
  partial = false;
  #cells = 0;
  #lastDay = NaN;
  #lastDayLoad: DayLoad | undefined;

  /** A counted line: its time (NaN when none), host and size in bytes. */
  add(time: number, host: string | undefined, bytes: number): void {
    const load = this.#hostLoad(host ?? NONE);
    this.total.add(time, bytes);
    load.add(time, bytes);
    if (Number.isNaN(time)) return;
    if (!(time >= this.#lastDay && time < this.#lastDay + DAY_MS)) {
      const day = time - time % DAY_MS;
      let dayLoad = this.days.get(day);
      if (dayLoad === undefined) {
        dayLoad = { messages: 0, bytes: 0, hosts: new Map() };
        this.days.set(day, dayLoad);
      }
      this.#lastDay = day;
      this.#lastDayLoad = dayLoad;
    }
    const dayLoad = this.#lastDayLoad!;
    dayLoad.messages++;
    dayLoad.bytes += bytes;
    let cell = dayLoad.hosts.get(load.host);
    if (cell === undefined) {
      if (this.#cells >= MAX_DAY_CELLS) {
        this.partial = true;
        return;
      }
      cell = { messages: 0, bytes: 0 };
      dayLoad.hosts.set(load.host, cell);
      this.#cells++;
    }
    cell.messages++;
    cell.bytes += bytes;
  }

  #hostLoad(host: string): HostLoad {
    let load = this.hosts.get(host);
    if (load === undefined) {
      if (this.hosts.size >= MAX_GROUPS && host !== OTHER) {
        return this.#hostLoad(OTHER);
      }
      load = new HostLoad(host);
      this.hosts.set(host, load);
    }
    return load;
  }
}

/** What `--capacity` says of one host, or of all of them. */
export interface HostCapacity extends Amount {
  host: string;
  /** Its timed lines' averages over the log's span (undefined when it has none). */
  perDay?: Amount;
  /** The busiest minute: its start, messages, and messages a second in it. */
  busiest?: { start: number; messages: number; perSecond: number };
  /** Its last line's time (undefined when it has no timed line). */
  last?: number;
  /** See HostLoad.usualInterval, in ms. */
  usualInterval?: number;
  /** No line in the last of its usual intervals before the log's last line. */
  silent: boolean;
}

/** Everything `--capacity` prints. */
export interface Capacity {
  /** The first and last timed line, and the span between in days (0 with none). */
  first: number;
  last: number;
  days: number;
  total: HostCapacity;
  /** The hosts, the busiest first. */
  hosts: HostCapacity[];
  /** One entry a UTC day that has lines, first to last. */
  perDay: (Amount & { start: number; hosts: Record<string, Amount> })[];
  /** True when the days by host are partial (MAX_DAY_CELLS). */
  partial: boolean;
  /** Bytes a day the log grew by over its span; undefined with no span. */
  growth?: number;
  disk: DiskSpace;
  /** Days until the file system is full at that rate; undefined when not known or not growing. */
  daysToFull?: number;
}

/**
 * The shortest span a day's rate is projected from: a few lines a second
 * apart would otherwise read as millions a day.
 */
export const MIN_RATE_SPAN_DAYS = 1 / 24;

/** The figures of one host (or the total) over a span of `days`. */
function hostCapacity(load: HostLoad, days: number, end: number): HostCapacity {
  load.busiest.close();
  const usualInterval = load.usualInterval();
  return {
    host: load.host,
    messages: load.messages,
    bytes: load.bytes,
    perDay: days >= MIN_RATE_SPAN_DAYS
      ? { messages: load.timed / days, bytes: load.timedBytes / days }
      : undefined,
    busiest: load.busiest.messages > 0
      ? {
        start: load.busiest.start,
        messages: load.busiest.messages,
        perSecond: load.busiest.messages / 60,
      }
      : undefined,
    last: load.timed > 0 ? load.last : undefined,
    usualInterval,
    silent: usualInterval !== undefined && end - load.last > usualInterval,
  };
}

/**
 * The figures of what `load` counted, with the free space `disk` of the
 * file system that holds the log. Per-day averages and the growth count
 * timed lines over the span from the first to the last.
 *
 * @example
 * ```ts
 * capacityOf(load, { path: "./log.txt", size: 8 << 20, available: 4 << 20 }).daysToFull;
 * ```
 */
export function capacityOf(load: Load, disk: DiskSpace): Capacity {
  const { total } = load;
  const days = total.timed > 1 ? (total.last - total.first) / DAY_MS : 0;
  const growth = days >= MIN_RATE_SPAN_DAYS
    ? total.timedBytes / days
    : undefined;
  const hosts = [...load.hosts.values()]
    .map((host) => hostCapacity(host, days, total.last))
    .sort((a, b) => b.messages - a.messages || a.host.localeCompare(b.host));
  const perDay = [...load.days].sort((a, b) => a[0] - b[0]).map((
    [start, day],
  ) => ({
    start,
    messages: day.messages,
    bytes: day.bytes,
    hosts: Object.fromEntries(day.hosts),
  }));
  return {
    first: total.first,
    last: total.last,
    days,
    total: { ...hostCapacity(total, days, total.last), silent: false },
    hosts,
    perDay,
    partial: load.partial,
    growth,
    disk,
    daysToFull: "available" in disk && growth !== undefined && growth > 0
      ? disk.available / growth
      : undefined,
  };
}
