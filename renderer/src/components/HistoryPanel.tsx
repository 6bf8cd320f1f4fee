import { useMemo, useState } from 'react';
import { formatBytes, formatWhen } from '../lib/format';
import { isRunning, jobTitle, sourceFilesOf } from '../lib/jobs';
import { useStore } from '../store/app-store';
import { ConfirmInline } from './ConfirmInline';
import { DeliveryLogPanel } from './DeliveryLogPanel';
import { Dialog } from './Dialog';
import { EmptyState } from './EmptyState';
import { JobCard } from './JobCard';
import { VirtualList } from './VirtualList';

const statusWords = {
  waiting: 'Waiting',
  processing: 'Sending',
  finished: 'Done',
  error: 'Failed',
  cancelled: 'Cancelled',
  paused: 'Paused',
};

/** History: the delivery log (90 days of delivered files), or the jobs of the last 24 hours. */
export function HistoryPanel() {
  const [view, setView] = useState<'files' | 'jobs'>('files');
  return (
    <div className="stack">
      <div className="segmented" role="group" aria-label="History view">
        <button
          type="button"
          className="button button-small"
          aria-pressed={view === 'files'}
          onClick={() => setView('files')}
        >
          Delivered files
        </button>
        <button
          type="button"
          className="button button-small"
          aria-pressed={view === 'jobs'}
          onClick={() => setView('jobs')}
        >
          Jobs (24 h)
        </button>
      </div>
      {view === 'files' ? <DeliveryLogPanel /> : <JobHistory />}
    </div>
  );
}

/** Every job of the last 24 hours (Outbox's retention), one line each; clearable. */
function JobHistory() {
  const jobsById = useStore((s) => s.jobs);
  const clearHistory = useStore((s) => s.clearHistory);
  const [openId, setOpenId] = useState<string>();
  const [confirm, setConfirm] = useState(false);
  const jobs = useMemo(
    () => Object.values(jobsById).sort((a, b) => b.created_at.localeCompare(a.created_at)),
    [jobsById],
  );
  const open = openId ? jobsById[openId] : undefined;
  const clearable = jobs.some((job) => !isRunning(job));

  if (jobs.length === 0) {
    return (
      <EmptyState
        icon="clock"
        title="No history"
        text="Exports of the last 24 hours are listed here. Older ones are forgotten automatically."
      />
    );
  }
  return (
    <div className="stack">
      <div className="panel-head">
        <p className="muted small">Last 24 hours · {jobs.length.toLocaleString()} jobs</p>
        {confirm ? (
          <ConfirmInline
            question="Forget all finished jobs?"
            confirmLabel="Clear"
            onConfirm={() => {
              setConfirm(false);
              void clearHistory();
            }}
            onKeep={() => setConfirm(false)}
          />
        ) : (
          <button
            type="button"
            className="button button-small"
            disabled={!clearable}
            onClick={() => setConfirm(true)}
          >
            Clear history
          </button>
        )}
      </div>
      <VirtualList
        items={jobs}
        rowHeight={48}
        height={560}
        label="History"
        itemKey={(job) => job.id}
        render={(job) => {
          const files = sourceFilesOf(job);
          const cancelled = job.tasks.some((t) => t.code === 'CANCELLED') && !isRunning(job);
          const status = cancelled ? 'cancelled' : job.status;
          const title = jobTitle(job);
          return (
            <button type="button" className="history-row" onClick={() => setOpenId(job.id)}>
              <span className={`dot dot-${status}`} aria-hidden="true" />
              <span className="history-title" title={title}>
                {title}
              </span>
              <span className={`small history-status status-${status}`}>{statusWords[status]}</span>
              <span className="muted small history-size">
                {formatBytes(files.reduce((sum, f) => sum + f.size, 0))}
              </span>
              <span className="muted small history-when">{formatWhen(job.created_at)}</span>
            </button>
          );
        }}
      />
      {open && (
        <Dialog title="Job details" onClose={() => setOpenId(undefined)}>
          <JobCard job={open} />
        </Dialog>
      )}
    </div>
  );
}
