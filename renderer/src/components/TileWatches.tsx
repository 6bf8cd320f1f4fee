import { useEffect, useId, useState, type ReactNode } from 'react';
import { create } from 'zustand';
import type { WatchView } from '../../../main/core/api/outbox-api';
import { getApi } from '../api';
import { formatWhen, plural } from '../lib/format';
import { errorInfoOf, type ShownError } from '../store/errors';
import { Dialog } from './Dialog';
import { Icon } from './Icons';

/**
 * Watch folders on a destination tile: "Watch a folder…" (a dialog; a browser
 * cannot pick a local folder's path, so the path is typed and the core checks
 * it) and each watch's state, pending files, last delivery and last error.
 * Watches change in the host (files arrive, another process edits them), so
 * the list is read again every few seconds while a tile shows it.
 */

const REFRESH_MS = 3000;

type WatchState = { watches: WatchView[]; refresh(): Promise<void> };

const useWatches = create<WatchState>((set) => ({
  watches: [],
  async refresh() {
    set({ watches: await getApi().listWatches() });
  },
}));

let viewers = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/** Keeps the watch list fresh while at least one tile shows it. */
function useWatchList(profile: string): WatchView[] {
  useEffect(() => {
    if (viewers++ === 0) {
      void useWatches
        .getState()
        .refresh()
        .catch(() => {});
      timer = setInterval(
        () =>
          void useWatches
            .getState()
            .refresh()
            .catch(() => {}),
        REFRESH_MS,
      );
    }
    return () => {
      if (--viewers === 0) clearInterval(timer);
    };
  }, []);
  const watches = useWatches((s) => s.watches);
  return watches.filter((watch) => watch.profile === profile);
}

const stateLabel: Record<WatchView['state'], string> = {
  watching: 'Watching',
  retrying: 'Retrying',
  'not running': 'Not running',
};

/** The watches of one destination, each removable. */
export function TileWatches({ profile }: { profile: string }) {
  const watches = useWatchList(profile);
  if (watches.length === 0) return null;
  return (
    <ul className="tile-watches" aria-label={`Folders watched for ${profile}`}>
      {watches.map((watch) => (
        <li key={watch.id} className="tile-watch">
          <div className="tile-watch-head">
            <Icon name="folder" size={14} />
            <span className="tile-watch-dir" title={watch.dir}>
              {watch.dir}
            </span>
            <span className={`badge ${watch.state === 'watching' ? 'badge-ok' : 'badge-warn'}`}>
              {stateLabel[watch.state]}
            </span>
            <button
              type="button"
              className="button button-small button-quiet"
              aria-label={`Remove watch ${watch.dir}`}
              onClick={() =>
                void getApi()
                  .removeWatch(watch.id)
                  .then(() => useWatches.getState().refresh())
              }
            >
              Remove
            </button>
          </div>
          <p className="muted small">
            {plural(watch.pending, 'file')} pending · last delivery{' '}
            {watch.last_delivery_at ? formatWhen(watch.last_delivery_at) : 'none yet'}
          </p>
          {watch.last_error && (
            <p className="field-error small">
              <Icon name="alert" size={14} /> {watch.last_error}
            </p>
          )}
        </li>
      ))}
    </ul>
  );
}

/** "Watch a folder…" and its dialog. */
export function WatchFolderButton({ profile }: { profile: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        className="button button-small"
        aria-label={`Watch a folder for ${profile}`}
        onClick={() => setOpen(true)}
      >
        <Icon name="folder" size={15} /> Watch a folder…
      </button>
      {open && <WatchDialog profile={profile} onClose={() => setOpen(false)} />}
    </>
  );
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

function WatchDialog({ profile, onClose }: { profile: string; onClose: () => void }) {
  const [form, setForm] = useState({
    dir: '',
    after: 'leave',
    include: '',
    exclude: '',
    settle: '5',
  });
  const [error, setError] = useState<ShownError | undefined>();
  const id = useId();
  const fieldErrors = (name: string) =>
    Object.entries(error?.fields ?? {})
      .filter(([field]) => field === name || field.startsWith(`${name}[`))
      .flatMap(([, messages]) => messages);
  const save = async () => {
    try {
      await getApi().addWatch({
        profile,
        dir: form.dir,
        after: form.after,
        include: lines(form.include),
        exclude: lines(form.exclude),
        settle: form.settle,
      });
      await useWatches.getState().refresh();
      onClose();
    } catch (caught) {
      setError(errorInfoOf(caught));
    }
  };
  const field = (name: keyof typeof form, label: string, control: ReactNode, help?: string) => {
    const errors = fieldErrors(name);
    return (
      <div className={`field${errors.length ? ' field-invalid' : ''}`}>
        <label htmlFor={`${id}-${name}`}>{label}</label>
        {control}
        {help && (
          <p className="muted small" id={`${id}-${name}-help`}>
            {help}
          </p>
        )}
        {errors.map((message) => (
          <p key={message} className="field-error" id={`${id}-${name}-error`} role="alert">
            <Icon name="alert" size={14} /> {message}
          </p>
        ))}
      </div>
    );
  };
  const input = (name: keyof typeof form, extra: Record<string, unknown> = {}) => ({
    id: `${id}-${name}`,
    value: form[name],
    spellCheck: false,
    autoComplete: 'off',
    'aria-invalid': fieldErrors(name).length > 0 || undefined,
    'aria-describedby': `${id}-${name}-help`,
    onChange: (event: { target: { value: string } }) =>
      setForm({ ...form, [name]: event.target.value }),
    ...extra,
  });
  return (
    <Dialog
      title={`Watch a folder for ${profile}`}
      description="Files that appear in the folder (and its sub-folders) are sent here once complete, once each."
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={`${id}-form`} className="button button-primary">
            Watch
          </button>
        </>
      }
    >
      <form
        id={`${id}-form`}
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
      >
        {error && !error.fields && (
          <p className="field-error" role="alert">
            <Icon name="alert" size={14} /> {error.message}
          </p>
        )}
        {field(
          'dir',
          'Folder',
          <input {...input('dir', { placeholder: '/home/me/Scans', required: true })} />,
          'The full path of a folder on the computer Outbox runs on.',
        )}
        {field(
          'after',
          'After delivery',
          <select {...input('after')}>
            <option value="leave">Leave the file</option>
            <option value="move">Move it to sent/ beside it</option>
            <option value="delete">Delete it</option>
          </select>,
          'Only once the delivery was verified.',
        )}
        {field(
          'include',
          'Only files matching',
          <textarea rows={2} {...input('include', { placeholder: '*.pdf' })} />,
          'Globs, one per line; empty: every file.',
        )}
        {field(
          'exclude',
          'Never files matching',
          <textarea rows={2} {...input('exclude', { placeholder: '*.tmp' })} />,
          'Globs, one per line; sent/ folders are always left out.',
        )}
        {field(
          'settle',
          'Settle time (seconds)',
          <input {...input('settle', { inputMode: 'decimal' })} />,
          'A file is complete once unchanged this long.',
        )}
      </form>
    </Dialog>
  );
}
