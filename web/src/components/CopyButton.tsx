import { useEffect, useState } from 'react';

import { copyText } from '../lib/clipboard';

const RESULT_TEXT = { copied: 'Copied', failed: 'Copy failed: select and copy by hand' } as const;

interface CopyButtonProps {
  text: string;
  /** Visible label; also the accessible name. */
  label?: string;
  className?: string;
}

/** Renders a button that copies `text` and confirms it for two seconds in a live region, which screen readers announce. */
export function CopyButton({ text, label = 'Copy', className }: CopyButtonProps) {
  const [result, setResult] = useState<'idle' | 'copied' | 'failed'>('idle');

  useEffect(() => {
    if (result === 'idle') return;
    const timer = window.setTimeout(() => setResult('idle'), 2000);
    return () => window.clearTimeout(timer);
  }, [result]);

  return (
    <button
      type="button"
      className={['button button--small', className].filter(Boolean).join(' ')}
      onClick={async () => setResult((await copyText(text)) ? 'copied' : 'failed')}
    >
      <span aria-live="polite">{result === 'idle' ? label : RESULT_TEXT[result]}</span>
    </button>
  );
}
