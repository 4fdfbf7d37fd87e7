import { useRef, type ReactNode } from 'react';

/**
 * Renders a disclosure menu on <details>: the summary button opens it, and Escape or moving focus
 * outside closes it again (native <details> stays open in both cases).
 */
export function Menu({ label, children }: { label: string; children: ReactNode }) {
  const details = useRef<HTMLDetailsElement>(null);

  const close = (focusSummary: boolean) => {
    const element = details.current;
    if (!element?.open) return;
    element.open = false;
    if (focusSummary) element.querySelector('summary')?.focus();
  };

  return (
    <details
      ref={details}
      className="menu"
      onKeyDown={(event) => {
        if (event.key === 'Escape') close(true);
      }}
      onBlur={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) close(false);
      }}
    >
      <summary className="button">{label}</summary>
      <div className="menu__panel">{children}</div>
    </details>
  );
}
