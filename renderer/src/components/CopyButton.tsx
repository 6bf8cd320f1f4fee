import { useEffect, useState } from 'react';
import { Icon } from './Icons';

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Denied (no permission or no focus): fall back to a selection copy.
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  document.execCommand('copy');
  area.remove();
}

/** Copies `text`; says "Copied" for a moment. `label` is its accessible name. */
export function CopyButton({
  text,
  label,
  compact = false,
}: {
  text: string;
  label: string;
  compact?: boolean;
}) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 1600);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <button
      type="button"
      className={compact ? 'icon-button' : 'button button-small'}
      // The name holds the visible word ("Copied" too), as screen readers and voice control expect.
      aria-label={copied ? `Copied: ${label}` : label}
      title={label}
      onClick={() => void copyText(text).then(() => setCopied(true))}
    >
      <Icon name={copied ? 'check' : 'copy'} size={15} />
      {!compact && <span aria-live="polite">{copied ? 'Copied' : 'Copy'}</span>}
    </button>
  );
}
