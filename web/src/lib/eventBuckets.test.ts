import { describe, expect, it } from 'vitest';

import type { SecurityEvent } from '../api/types';
import { bucketEvents, OTHER_SERIES } from './eventBuckets';

const NOW = Date.parse('2026-01-01T12:30:30Z');

function event(type: string, minutesAgo: number): SecurityEvent {
  return { id: `${type}-${minutesAgo}-${Math.random()}`, timestamp: new Date(NOW - minutesAgo * 60_000).toISOString(), event: type, level: 'info', ip: null, token: null, details: {} };
}

describe('bucketEvents', () => {
  it('counts events per minute and type', () => {
    const data = bucketEvents([event('auth_failure', 0), event('auth_failure', 0), event('auth_success', 1)], NOW, 5);
    expect(data.series).toEqual(['auth_failure', 'auth_success']);
    expect(data.buckets).toHaveLength(5);
    expect(data.buckets[4].counts).toEqual([2, 0]);
    expect(data.buckets[3].counts).toEqual([0, 1]);
    expect(data.max).toBe(2);
  });

  it('ignores events outside the window', () => {
    const data = bucketEvents([event('old', 40), event('future', -5)], NOW, 30);
    expect(data.series).toEqual([]);
    expect(data.max).toBe(0);
  });

  it('groups rare types as other', () => {
    const events = ['a', 'a', 'a', 'b', 'b', 'c', 'd'].map((type) => event(type, 1));
    const data = bucketEvents(events, NOW, 5, 3);
    expect(data.series).toEqual(['a', 'b', OTHER_SERIES]);
    expect(data.buckets[3].counts).toEqual([3, 2, 2]);
  });
});
