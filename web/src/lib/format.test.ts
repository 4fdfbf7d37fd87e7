import { describe, expect, it } from 'vitest';

import { visiblePages } from '../components/Pagination';
import { expiryTimestamp } from '../pages/SettingsPage';
import { formatBytes, formatDuration, formatRelative } from './format';

describe('formatDuration', () => {
  it.each([
    [5, '5 s'],
    [125, '2 min'],
    [3600, '1 h'],
    [3900, '1 h 5 min'],
    [90000, '1 d 1 h'],
  ])('formats %i seconds', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('formatRelative', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');

  it('describes past and future times', () => {
    expect(formatRelative('2026-01-01T11:57:00Z', now)).toBe('3 minutes ago');
    expect(formatRelative('2026-01-03T12:00:00Z', now)).toBe('in 2 days');
    expect(formatRelative('2026-01-01T11:59:50Z', now)).toBe('just now');
  });
});

describe('formatBytes', () => {
  it('uses binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 KiB');
  });
});

describe('visiblePages', () => {
  it('shows the ends and the neighbourhood of the current page', () => {
    expect(visiblePages(1, 3)).toEqual([1, 2, 3]);
    expect(visiblePages(10, 20)).toEqual([1, 'gap', 8, 9, 10, 11, 12, 'gap', 20]);
  });
});

describe('expiryTimestamp', () => {
  const now = new Date('2026-01-01T00:00:00Z');

  it('returns nothing for tokens that never expire', () => {
    expect(expiryTimestamp('never', '', now)).toBeUndefined();
  });

  it('adds the chosen number of days', () => {
    expect(expiryTimestamp('30', '', now)).toBe('2026-01-31T00:00:00.000Z');
  });
});
