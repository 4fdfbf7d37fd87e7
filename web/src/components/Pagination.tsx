import { useId } from 'react';

interface PaginationProps {
  page: number;
  pageSize: number;
  total: number;
  onPage(page: number): void;
  onPageSize(size: number): void;
}

export const PAGE_SIZES = [20, 50, 100];

/** Returns the page numbers to show: the first, the last, and two either side of the current one. */
export function visiblePages(page: number, pageCount: number): Array<number | 'gap'> {
  const pages = new Set([1, pageCount, page - 2, page - 1, page, page + 1, page + 2]);
  const sorted = [...pages].filter((value) => value >= 1 && value <= pageCount).sort((a, b) => a - b);
  const result: Array<number | 'gap'> = [];
  sorted.forEach((value, index) => {
    if (index > 0 && value - sorted[index - 1] > 1) result.push('gap');
    result.push(value);
  });
  return result;
}

export function Pagination({ page, pageSize, total, onPage, onPageSize }: PaginationProps) {
  const sizeId = useId();
  const pageCount = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return (
    <div className="pagination">
      <p className="pagination__summary" aria-live="polite">
        {total === 0 ? 'No articles' : `${first}–${last} of ${total}`}
      </p>
      {pageCount > 1 && (
        <nav aria-label="Pages">
          <ul className="pagination__pages">
            <li>
              <button type="button" className="button button--small" disabled={page <= 1} onClick={() => onPage(page - 1)}>
                Previous
              </button>
            </li>
            {visiblePages(page, pageCount).map((value, index) =>
              value === 'gap' ? (
                <li key={`gap-${index}`} aria-hidden="true" className="pagination__gap">
                  …
                </li>
              ) : (
                <li key={value}>
                  <button
                    type="button"
                    className="button button--small"
                    aria-current={value === page ? 'page' : undefined}
                    aria-label={`Page ${value}`}
                    onClick={() => onPage(value)}
                  >
                    {value}
                  </button>
                </li>
              ),
            )}
            <li>
              <button type="button" className="button button--small" disabled={page >= pageCount} onClick={() => onPage(page + 1)}>
                Next
              </button>
            </li>
          </ul>
        </nav>
      )}
      <div className="pagination__size">
        <label htmlFor={sizeId}>Per page</label>
        <select id={sizeId} value={pageSize} onChange={(event) => onPageSize(Number(event.target.value))}>
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}
