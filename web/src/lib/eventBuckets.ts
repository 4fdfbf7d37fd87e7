/** Counts of security events per minute and type, for the events chart. */

import type { SecurityEvent } from '../api/types';

export interface MinuteBucket {
  /** Start of the minute, in milliseconds since the epoch. */
  start: number;
  /** Count per series index; the index matches `series`. */
  counts: number[];
  total: number;
}

export interface EventBuckets {
  /** Event types with their own series, most frequent first; "other" collects the rest. */
  series: string[];
  buckets: MinuteBucket[];
  max: number;
}

const MINUTE = 60_000;
export const OTHER_SERIES = 'other';

/**
 * Groups events into the `minutes` one-minute buckets that end with the minute of `now`. The
 * `maxSeries - 1` most frequent types get their own series and the rest are counted as "other".
 */
export function bucketEvents(events: readonly SecurityEvent[], now: number, minutes = 30, maxSeries = 6): EventBuckets {
  const end = Math.floor(now / MINUTE) * MINUTE + MINUTE;
  const start = end - minutes * MINUTE;
  const inWindow = events.filter((event) => {
    const time = Date.parse(event.timestamp);
    return time >= start && time < end;
  });

  const frequency = new Map<string, number>();
  for (const event of inWindow) frequency.set(event.event, (frequency.get(event.event) ?? 0) + 1);
  const ranked = [...frequency.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([type]) => type);
  const series = ranked.length > maxSeries ? [...ranked.slice(0, maxSeries - 1), OTHER_SERIES] : ranked;
  const seriesIndex = (type: string) => {
    const index = series.indexOf(type);
    return index >= 0 ? index : series.length - 1;
  };

  const buckets: MinuteBucket[] = Array.from({ length: minutes }, (_, index) => ({
    start: start + index * MINUTE,
    counts: series.map(() => 0),
    total: 0,
  }));
  for (const event of inWindow) {
    const bucket = buckets[Math.floor((Date.parse(event.timestamp) - start) / MINUTE)];
    bucket.counts[seriesIndex(event.event)] += 1;
    bucket.total += 1;
  }
  return { series, buckets, max: Math.max(0, ...buckets.map((bucket) => bucket.total)) };
}
