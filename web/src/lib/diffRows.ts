/** Line diff of two texts as display rows, with unchanged runs folded down to some context. */

import { diffLines } from 'diff';

export type DiffRow =
  | { kind: 'context' | 'added' | 'removed'; text: string; oldLine: number | null; newLine: number | null }
  | { kind: 'skipped'; count: number };

export interface DiffSummary {
  rows: DiffRow[];
  added: number;
  removed: number;
}

function splitLines(value: string): string[] {
  const lines = value.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Compares `before` with `after` line by line. Unchanged lines further than `context` lines
 * from a change are replaced by one `skipped` row with the number of lines it hides.
 */
export function buildDiffRows(before: string, after: string, context = 3): DiffSummary {
  const full: Array<Extract<DiffRow, { text: string }>> = [];
  let oldLine = 1;
  let newLine = 1;
  let added = 0;
  let removed = 0;

  for (const part of diffLines(before, after)) {
    for (const text of splitLines(part.value)) {
      if (part.added) {
        full.push({ kind: 'added', text, oldLine: null, newLine: newLine++ });
        added++;
      } else if (part.removed) {
        full.push({ kind: 'removed', text, oldLine: oldLine++, newLine: null });
        removed++;
      } else {
        full.push({ kind: 'context', text, oldLine: oldLine++, newLine: newLine++ });
      }
    }
  }

  const keep = full.map(() => false);
  full.forEach((row, index) => {
    if (row.kind === 'context') return;
    for (let near = Math.max(0, index - context); near <= Math.min(full.length - 1, index + context); near++) keep[near] = true;
  });

  const rows: DiffRow[] = [];
  let hidden = 0;
  full.forEach((row, index) => {
    if (keep[index]) {
      if (hidden > 0) rows.push({ kind: 'skipped', count: hidden });
      hidden = 0;
      rows.push(row);
    } else {
      hidden++;
    }
  });
  if (hidden > 0) rows.push({ kind: 'skipped', count: hidden });
  return { rows, added, removed };
}
