import { describe, expect, it } from 'vitest';

import { buildDiffRows } from './diffRows';

const lines = (count: number, prefix = 'line') => Array.from({ length: count }, (_, index) => `${prefix} ${index + 1}`).join('\n') + '\n';

describe('buildDiffRows', () => {
  it('counts added and removed lines', () => {
    const summary = buildDiffRows('a\nb\nc\n', 'a\nB\nc\nd\n');
    expect(summary.added).toBe(2);
    expect(summary.removed).toBe(1);
    expect(summary.rows.map((row) => (row.kind === 'skipped' ? `…${row.count}` : `${row.kind}:${row.text}`))).toEqual([
      'context:a',
      'removed:b',
      'added:B',
      'context:c',
      'added:d',
    ]);
  });

  it('numbers old and new lines separately', () => {
    const rows = buildDiffRows('a\nb\n', 'x\na\nb\n').rows;
    expect(rows[0]).toMatchObject({ kind: 'added', oldLine: null, newLine: 1 });
    expect(rows[1]).toMatchObject({ kind: 'context', oldLine: 1, newLine: 2 });
  });

  it('folds unchanged lines beyond the context', () => {
    const before = lines(20);
    const after = before.replace('line 10\n', 'line ten\n');
    const rows = buildDiffRows(before, after, 2).rows;
    expect(rows[0]).toEqual({ kind: 'skipped', count: 7 });
    expect(rows[rows.length - 1]).toEqual({ kind: 'skipped', count: 8 });
    expect(rows.filter((row) => row.kind === 'context')).toHaveLength(4);
  });

  it('reports no change for equal texts', () => {
    const summary = buildDiffRows('same\n', 'same\n');
    expect(summary.added + summary.removed).toBe(0);
    expect(summary.rows).toEqual([{ kind: 'skipped', count: 1 }]);
  });
});
