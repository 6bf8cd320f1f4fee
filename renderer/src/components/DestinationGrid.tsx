import { useEffect, useMemo, useRef } from 'react';
import {
  TEMPORARY_LINK,
  TEMPORARY_LINK_WHERE,
  destinationNamed,
  whereOf,
} from '../lib/destinations';
import { exportTasksOf, isRunning } from '../lib/jobs';
import { useStore } from '../store/app-store';
import { DestinationTile } from './DestinationTile';
import { FilePicker } from './FilePicker';
import { Icon } from './Icons';

/** The heart of the window: every place files can go, each one a drop target. */
export function DestinationGrid() {
  const profiles = useStore((s) => s.profiles);
  const jobs = useStore((s) => s.jobs);
  const openEditor = useStore((s) => s.openEditor);
  const selected = useStore((s) => s.selected);
  const toggleSelected = useStore((s) => s.toggleSelected);
  const clearSelected = useStore((s) => s.clearSelected);
  const exportFiles = useStore((s) => s.exportFiles);
  const picker = useRef<HTMLInputElement>(null);

  // A deleted or renamed profile is no longer selected.
  useEffect(() => {
    const names = new Set([TEMPORARY_LINK, ...profiles.map((p) => p.name)]);
    for (const name of selected) if (!names.has(name)) toggleSelected(name);
  }, [profiles, selected, toggleSelected]);

  // Running jobs per destination, for the tiles' "Sending…" hint.
  const running = useMemo(() => {
    const count = new Map<string, number>();
    for (const job of Object.values(jobs)) {
      if (!isRunning(job)) continue;
      for (const task of exportTasksOf(job)) {
        const key = task.profile ?? (task.operation === 'export/url' ? TEMPORARY_LINK : '');
        count.set(key, (count.get(key) ?? 0) + 1);
      }
    }
    return count;
  }, [jobs]);

  return (
    <section className="destinations" aria-labelledby="destinations-title">
      <div className="section-head">
        <div>
          <h2 id="destinations-title">Destinations</h2>
          <p className="muted">
            Drop files or folders on a destination to send them. Select several to send one drop to
            all of them.
          </p>
        </div>
        <button type="button" className="button" onClick={() => openEditor({ mode: 'new' })}>
          <Icon name="plus" size={16} /> New destination
        </button>
      </div>
      {selected.length > 0 && (
        <div className="selection-bar" role="region" aria-label="Selected destinations">
          <p>
            <strong>{selected.length} selected:</strong> {selected.join(', ')}.{' '}
            <span className="muted">Drop files on any of them to send to all.</span>
          </p>
          <button
            type="button"
            className="button button-small button-primary"
            onClick={() => picker.current?.click()}
          >
            <Icon name="file" size={15} /> Choose files for {selected.length}…
          </button>
          <button type="button" className="button button-small" onClick={clearSelected}>
            Clear selection
          </button>
          <FilePicker
            ref={picker}
            onFiles={(files) =>
              void exportFiles(selected.map(destinationNamed), selected.join(', '), files)
            }
          />
        </div>
      )}
      <ul className="tiles" aria-label="Destinations">
        <DestinationTile
          name={TEMPORARY_LINK}
          operation="export/url"
          where={TEMPORARY_LINK_WHERE}
          builtIn
          running={running.get(TEMPORARY_LINK) ?? 0}
        />
        {profiles.map((profile) => (
          <DestinationTile
            key={profile.name}
            name={profile.name}
            operation={profile.operation}
            where={whereOf(profile)}
            running={running.get(profile.name) ?? 0}
          />
        ))}
        <li className="tile tile-add">
          <button type="button" onClick={() => openEditor({ mode: 'new' })}>
            <span className="tile-add-icon" aria-hidden="true">
              <Icon name="plus" size={22} />
            </span>
            <span className="tile-add-title">Add a destination</span>
            <span className="muted">
              {profiles.length === 0
                ? 'S3, Azure, Google Cloud, Swift, SFTP or any URL — set it up once, then just drop files.'
                : 'Another bucket, server or URL.'}
            </span>
          </button>
        </li>
      </ul>
      <p className="drop-hint">
        <Icon name="folder" size={16} />
        <span>
          Dropped folders are sent whole, keeping their sub-folders. Drop anywhere else in this
          window to pick a destination.
        </span>
      </p>
    </section>
  );
}
