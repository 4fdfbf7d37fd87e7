import { useMemo } from 'react';

import { buildDiffRows } from '../lib/diffRows';

interface DiffViewProps {
  before: string;
  after: string;
  beforeLabel: string;
  afterLabel: string;
}

const MARKERS = { added: '+', removed: '−', context: ' ' } as const;
const MARKER_NAMES = { added: 'added', removed: 'removed', context: 'unchanged' } as const;

/** Renders a unified line diff of two texts, with line numbers and folded unchanged runs. */
export function DiffView({ before, after, beforeLabel, afterLabel }: DiffViewProps) {
  const diff = useMemo(() => buildDiffRows(before, after), [before, after]);

  if (diff.added === 0 && diff.removed === 0) {
    return <p className="muted">No differences between {beforeLabel} and {afterLabel}.</p>;
  }

  return (
    <div className="diff">
      <p className="diff__summary">
        From {beforeLabel} to {afterLabel}: <span className="diff__count diff__count--added">{diff.added} added</span>,{' '}
        <span className="diff__count diff__count--removed">{diff.removed} removed</span> lines
      </p>
      <div className="diff__scroll" tabIndex={0} role="region" aria-label={`Changes from ${beforeLabel} to ${afterLabel}`}>
        <table className="diff__table">
          <thead className="visually-hidden">
            <tr>
              <th scope="col">{beforeLabel} line</th>
              <th scope="col">{afterLabel} line</th>
              <th scope="col">Change</th>
              <th scope="col">Text</th>
            </tr>
          </thead>
          <tbody>
            {diff.rows.map((row, index) =>
              row.kind === 'skipped' ? (
                <tr key={index} className="diff__row diff__row--skipped">
                  <td colSpan={4}>
                    {row.count} unchanged {row.count === 1 ? 'line' : 'lines'}
                  </td>
                </tr>
              ) : (
                <tr key={index} className={`diff__row diff__row--${row.kind}`}>
                  <td className="diff__number">{row.oldLine ?? ''}</td>
                  <td className="diff__number">{row.newLine ?? ''}</td>
                  <td className="diff__marker">
                    <span aria-hidden="true">{MARKERS[row.kind]}</span>
                    <span className="visually-hidden">{MARKER_NAMES[row.kind]}</span>
                  </td>
                  <td className="diff__text">{row.text}</td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
