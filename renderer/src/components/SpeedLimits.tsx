import { useId, useState, type ReactNode } from 'react';
import { getApi } from '../api';
import { formatBytes } from '../lib/format';
import { useStore } from '../store/app-store';
import { errorInfoOf, type ShownError } from '../store/errors';
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
      <h3 className="small muted limits-heading">Queue</h3>
      <JobsAtOnceRow saved={settings.max_running_jobs} />
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
  const save = async (value: string) => {
    const problem = await setLimit(value, profile);
    setError(problem);
    if (!problem && value === 'off') setText('');
  };
  return (
    <SettingRow
      label={label}
      hint={
        saved === undefined ? 'no limit' : now > 0 ? `${formatBytes(now)}/s now` : 'no limit now'
      }
      text={text}
      placeholder="off"
      error={error}
      onChange={setText}
      onSave={() => void save(text.trim() || 'off')}
    >
      {saved !== undefined && (
        <button type="button" className="button button-small" onClick={() => void save('off')}>
          Remove
        </button>
      )}
    </SettingRow>
  );
}

/** How many jobs run at once (`max_running_jobs`); the others wait in the queue. */
function JobsAtOnceRow({ saved }: { saved: number }) {
  const [text, setText] = useState(String(saved));
  const [error, setError] = useState<ShownError | undefined>();
  const save = async () => {
    const value = text.trim();
    if (!/^[0-9]+$/.test(value)) {
      setError({
        code: 'INVALID_DATA',
        message: `max_running_jobs: "${value}" is not a whole number`,
      });
      return;
    }
    try {
      useStore.setState({ settings: await getApi().setMaxRunningJobs(Number(value)) });
      setError(undefined);
      useStore.getState().toast(`At most ${value} jobs run at once; the others wait in the queue.`);
    } catch (problem) {
      setError(errorInfoOf(problem));
    }
  };
  return (
    <SettingRow
      label="Jobs at once"
      hint={`${saved} now; the others wait in the queue`}
      text={text}
      inputMode="numeric"
      error={error}
      onChange={setText}
      onSave={() => void save()}
    />
  );
}

/** A labelled text setting: what it is now, Save (Enter too), the error beside it. */
function SettingRow(props: {
  label: string;
  hint: string;
  text: string;
  placeholder?: string;
  inputMode?: 'numeric';
  error: ShownError | undefined;
  onChange: (text: string) => void;
  onSave: () => void;
  children?: ReactNode;
}) {
  const { label, hint, text, error } = props;
  const id = useId();
  return (
    <form
      className={`field${error ? ' field-invalid' : ''}`}
      onSubmit={(event) => {
        event.preventDefault();
        props.onSave();
      }}
    >
      <div className="field-label-row">
        <label htmlFor={id}>{label}</label>
        <span className="muted small">{hint}</span>
      </div>
      <div className="speed-limit-controls">
        <input
          id={id}
          value={text}
          placeholder={props.placeholder}
          inputMode={props.inputMode}
          spellCheck={false}
          autoComplete="off"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(event) => props.onChange(event.target.value)}
        />
        <button type="submit" className="button button-small button-primary">
          Save
        </button>
        {props.children}
      </div>
      {error && (
        <p className="field-error" id={`${id}-error`} role="alert">
          <Icon name="alert" size={14} /> {error.message}
        </p>
      )}
    </form>
  );
}
