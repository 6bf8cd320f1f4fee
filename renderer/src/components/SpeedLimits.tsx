import { useId, useState } from 'react';
import { formatBytes } from '../lib/format';
import { useStore } from '../store/app-store';
import type { ShownError } from '../store/errors';
import { Dialog } from './Dialog';
import { Icon } from './Icons';

/** "Speed limit" in the top bar: the global bandwidth limit and each destination's. */
export function SpeedLimitsButton() {
  const settings = useStore((s) => s.settings);
  const [open, setOpen] = useState(false);
  if (!settings) return null;
  const now = settings.bandwidth_now.global;
  return (
    <>
      <button
        type="button"
        className="button"
        title="Limit how fast Outbox sends"
        onClick={() => setOpen(true)}
      >
        <Icon name="clock" size={16} /> {now > 0 ? `Limit ${formatBytes(now)}/s` : 'Speed limit'}
      </button>
      {open && <SpeedLimitsDialog onClose={() => setOpen(false)} />}
    </>
  );
}

function SpeedLimitsDialog({ onClose }: { onClose: () => void }) {
  const settings = useStore((s) => s.settings);
  const profiles = useStore((s) => s.profiles);
  if (!settings) return null;
  const saved = settings.bandwidth_limit;
  return (
    <Dialog
      title="Speed limits"
      onClose={onClose}
      description="The most Outbox sends per second: a rate such as 10M or 512K (MiB/s, KiB/s), off, or a timetable such as “08:00,1M 19:00,off” (local time, as rclone’s --bwlimit). Running transfers follow a change within a second."
      footer={
        <button type="button" className="button" onClick={onClose}>
          Done
        </button>
      }
    >
      <LimitRow label="All transfers" saved={saved.global} now={settings.bandwidth_now.global} />
      {profiles.length > 0 && <h3 className="small muted limits-heading">Per destination</h3>}
      {profiles.map((profile) => (
        <LimitRow
          key={profile.name}
          label={profile.name}
          profile={profile.name}
          saved={saved.profiles?.[profile.name]}
          now={settings.bandwidth_now.profiles[profile.name] ?? 0}
        />
      ))}
    </Dialog>
  );
}

/** One limit: its text, what it means now, Save and Remove. */
function LimitRow(props: {
  label: string;
  profile?: string;
  saved?: string | undefined;
  now: number;
}) {
  const { label, profile, saved, now } = props;
  const setLimit = useStore((s) => s.setBandwidthLimit);
  const [text, setText] = useState(saved ?? '');
  const [error, setError] = useState<ShownError | undefined>();
  const id = useId();
  const save = async (value: string) => {
    const problem = await setLimit(value, profile);
    setError(problem);
    if (!problem && value === 'off') setText('');
  };
  return (
    <form
      className={`field${error ? ' field-invalid' : ''}`}
      onSubmit={(event) => {
        event.preventDefault();
        void save(text.trim() || 'off');
      }}
    >
      <div className="field-label-row">
        <label htmlFor={id}>{label}</label>
        <span className="muted small">
          {saved === undefined
            ? 'no limit'
            : now > 0
              ? `${formatBytes(now)}/s now`
              : 'no limit now'}
        </span>
      </div>
      <div className="speed-limit-controls">
        <input
          id={id}
          value={text}
          placeholder="off"
          spellCheck={false}
          autoComplete="off"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(event) => setText(event.target.value)}
        />
        <button type="submit" className="button button-small button-primary">
          Save
        </button>
        {saved !== undefined && (
          <button type="button" className="button button-small" onClick={() => void save('off')}>
            Remove
          </button>
        )}
      </div>
      {error && (
        <p className="field-error" id={`${id}-error`} role="alert">
          <Icon name="alert" size={14} /> {error.message}
        </p>
      )}
    </form>
  );
}
