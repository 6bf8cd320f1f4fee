/** A labelled progress bar; indeterminate when the total is unknown. */
export function ProgressBar({
  value,
  max,
  label,
  tone = 'active',
}: {
  value: number;
  max: number;
  label: string;
  tone?: 'active' | 'done' | 'error' | 'waiting';
}) {
  const fraction = max > 0 ? Math.min(1, value / max) : 0;
  return (
    <div
      className={`progress progress-${tone}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(fraction * 100)}
    >
      <div className="progress-fill" style={{ transform: `scaleX(${fraction})` }} />
    </div>
  );
}
