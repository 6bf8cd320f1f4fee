import { useMemo } from 'react';
import { TEMPORARY_LINK, whereOf } from '../lib/destinations';
import { exportTasksOf, isRunning } from '../lib/jobs';
import { useStore } from '../store/app-store';
import { DestinationTile } from './DestinationTile';
import { Icon } from './Icons';

/** The heart of the window: every place files can go, each one a drop target. */
export function DestinationGrid() {
  const profiles = useStore((s) => s.profiles);
  const jobs = useStore((s) => s.jobs);
  const openEditor = useStore((s) => s.openEditor);
  const linkSeconds = 86400;

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
          <p className="muted">Drop files or folders on a destination to send them.</p>
        </div>
        <button type="button" className="button" onClick={() => openEditor({ mode: 'new' })}>
          <Icon name="plus" size={16} /> New destination
        </button>
      </div>
      <ul className="tiles" aria-label="Destinations">
        <DestinationTile
          name={TEMPORARY_LINK}
          operation="export/url"
          where={whereOf({ operation: 'export/url', params: { expires_in: linkSeconds } })}
          destination={{ task: { operation: 'export/url' } }}
          builtIn
          running={running.get(TEMPORARY_LINK) ?? 0}
        />
        {profiles.map((profile) => (
          <DestinationTile
            key={profile.name}
            name={profile.name}
            operation={profile.operation}
            where={whereOf(profile)}
            destination={{ profile: profile.name }}
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
