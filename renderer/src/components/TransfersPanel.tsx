import { useMemo } from 'react';
import { formatBytes, plural } from '../lib/format';
import { isRunning } from '../lib/jobs';
import { useStore, type Preparing } from '../store/app-store';
import { EmptyState } from './EmptyState';
import { ErrorBox } from './ErrorBox';
import { Icon } from './Icons';
import { SmallButton } from './SmallButton';
import { JobCard } from './JobCard';
import { ProgressBar } from './ProgressBar';

/** Older jobs of this session move to History; the tab stays short. */
const SHOWN = 30;

/** Jobs started (or running) since this window opened, newest first. */
export function TransfersPanel() {
  const preparing = useStore((s) => s.preparing);
  const sessionJobs = useStore((s) => s.sessionJobs);
  const jobsById = useStore((s) => s.jobs);
  const setTab = useStore((s) => s.setTab);
  const controlAll = useStore((s) => s.controlAll);
  // Jobs waiting in the queue first, in their order; then the others, newest first.
  const jobs = useMemo(
    () =>
      sessionJobs
        .map((id) => jobsById[id])
        .filter((job) => job !== undefined)
        .sort(
          (a, b) =>
            (a.queue_position ?? Infinity) - (b.queue_position ?? Infinity) ||
            b.created_at.localeCompare(a.created_at),
        ),
    [sessionJobs, jobsById],
  );
  const anyRunning = jobs.some(isRunning);
  const anyPaused = jobs.some((job) => job.status === 'paused');

  if (preparing.length === 0 && jobs.length === 0) {
    return (
      <EmptyState
        icon="upload"
        title="Nothing is moving"
        text="Drop files on a destination, or use Choose files. Progress, links and delivered locations show up here."
      />
    );
  }
  return (
    <div className="stack">
      {(anyRunning || anyPaused) && (
        <div className="transfers-toolbar" role="group" aria-label="All transfers">
          <SmallButton icon="pause" disabled={!anyRunning} onClick={() => void controlAll('pause')}>
            Pause all
          </SmallButton>
          <SmallButton icon="play" disabled={!anyPaused} onClick={() => void controlAll('resume')}>
            Resume all
          </SmallButton>
        </div>
      )}
      {preparing.map((item) => (
        <PreparingCard key={item.id} item={item} />
      ))}
      {jobs.slice(0, SHOWN).map((job) => (
        <JobCard key={job.id} job={job} />
      ))}
      {jobs.length > SHOWN && (
        <button type="button" className="link-button" onClick={() => setTab('history')}>
          {plural(jobs.length - SHOWN, 'older job')} in History
        </button>
      )}
    </div>
  );
}

/** Files on their way to the host (browser only) before the job starts. */
function PreparingCard({ item }: { item: Preparing }) {
  const dismiss = useStore((s) => s.dismissPreparing);
  const title = `${plural(item.files, 'file')} → ${item.destination}`;
  return (
    <article className={`job ${item.error ? 'job-error' : 'job-waiting'}`} aria-label={title}>
      <header className="job-head">
        <span className="job-status-icon" aria-hidden="true">
          <Icon name={item.error ? 'alert' : 'upload'} size={16} />
        </span>
        <div className="job-titles">
          <h3 className="job-title">{title}</h3>
          <p className="muted small">
            {item.error
              ? 'Could not start'
              : `Reading files · ${formatBytes(item.sent)} of ${formatBytes(item.total)}`}
          </p>
        </div>
        <span className={`pill pill-${item.error ? 'error' : 'waiting'}`}>
          {item.error ? 'Failed' : 'Preparing'}
        </span>
        <div className="job-actions">
          <button type="button" className="button button-small" onClick={() => dismiss(item.id)}>
            {item.error ? 'Dismiss' : 'Cancel'}
          </button>
        </div>
      </header>
      {item.error ? (
        <ErrorBox error={item.error} />
      ) : (
        <ProgressBar
          value={item.sent}
          max={item.total}
          label={`Preparing ${title}`}
          tone="waiting"
        />
      )}
    </article>
  );
}
