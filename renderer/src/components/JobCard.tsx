import { memo, useEffect, useRef, useState } from 'react';
import { formatBytes, formatDuration, formatRate, formatWhen, plural } from '../lib/format';
import {
  destinationNameOf,
  filesTitle,
  exportTasksOf,
  isRunning,
  jobTitle,
  locationOf,
  verificationOf,
  sharedLinkOf,
  sourceFilesOf,
  type SourceFile,
} from '../lib/jobs';
import type { JobRecord, LinkView, ResultFile, TaskProgress, TaskRecord } from '../lib/types';
import { isShareable } from '../../../main/core/tasks/shareable';
import { progressKey, useStore } from '../store/app-store';
import { CopyButton } from './CopyButton';
import { ErrorBox } from './ErrorBox';
import { Icon } from './Icons';
import { SmallButton } from './SmallButton';
import { CompactLinkRow, LinkRow } from './LinkRow';
import { ProgressBar } from './ProgressBar';
import { SharePanel, SharedLinkRow } from './ShareLink';
import { VirtualList } from './VirtualList';

const statusWords: Record<JobRecord['status'], string> = {
  waiting: 'Waiting',
  processing: 'Sending',
  finished: 'Done',
  error: 'Failed',
  paused: 'Paused',
};

/** One job: its files, each destination's progress, errors and results, and its actions. */
export const JobCard = memo(function JobCard({ job }: { job: JobRecord }) {
  const cancel = useStore((s) => s.cancelJob);
  const retry = useStore((s) => s.retryJob);
  const pause = useStore((s) => s.pauseJob);
  const resume = useStore((s) => s.resumeJob);
  const toFront = useStore((s) => s.moveJobToFront);
  // Interrupted with a saved destination: Retry continues where the job stopped.
  const resumable = job.tasks.some((t) => t.code === 'INTERRUPTED' && t.resumable);
  const remove = useStore((s) => s.removeJob);
  const [showFiles, setShowFiles] = useState(false);
  const files = sourceFilesOf(job);
  const tasks = exportTasksOf(job);
  const title = jobTitle(job);
  const running = isRunning(job);
  const cancelled = tasks.some((t) => t.code === 'CANCELLED');
  const paused = job.status === 'paused';
  const queued = job.queue_position;
  const status =
    cancelled && !running
      ? 'Cancelled'
      : queued !== undefined
        ? `Queued #${queued}`
        : statusWords[job.status];
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  const card = useRef<HTMLElement>(null);
  const focused = useStore((s) => s.focusedJob === job.id);
  useEffect(() => {
    if (!focused) return;
    card.current?.scrollIntoView({ block: 'nearest' });
    card.current?.focus();
  }, [focused]);

  return (
    <article
      ref={card}
      className={`job job-${cancelled && !running ? 'cancelled' : job.status}`}
      aria-label={title}
      tabIndex={-1}
    >
      <header className="job-head">
        <span className="job-status-icon" aria-hidden="true">
          <Icon
            name={
              job.status === 'finished'
                ? 'check'
                : job.status === 'error'
                  ? cancelled
                    ? 'stop'
                    : 'alert'
                  : paused
                    ? 'pause'
                    : 'upload'
            }
            size={16}
          />
        </span>
        <div className="job-titles">
          <h3 className="job-title" title={title}>
            {filesTitle(files)}
          </h3>
          <p className="muted small">
            {plural(files.length, 'file')} · {formatBytes(totalBytes)} ·{' '}
            {formatWhen(job.created_at)}
          </p>
        </div>
        <span className={`pill pill-${job.status}`} data-testid="job-status">
          {status}
        </span>
        <div className="job-actions">
          {queued !== undefined && queued > 1 && (
            <SmallButton icon="front" onClick={() => void toFront(job.id)}>
              Move to front
            </SmallButton>
          )}
          {running && (
            <SmallButton icon="pause" onClick={() => void pause(job.id)}>
              Pause
            </SmallButton>
          )}
          {paused && (
            <SmallButton icon="play" onClick={() => void resume(job.id)}>
              Resume
            </SmallButton>
          )}
          {(running || paused) && (
            <SmallButton icon="stop" onClick={() => void cancel(job.id)}>
              Cancel
            </SmallButton>
          )}
          {job.status === 'error' && (
            <SmallButton icon="retry" onClick={() => void retry(job.id)}>
              {resumable ? 'Resume' : 'Retry'}
            </SmallButton>
          )}
          {!running && !paused && (
            <button
              type="button"
              className="icon-button"
              aria-label={`Remove ${title} from history`}
              title="Remove from history"
              onClick={() => void remove(job.id)}
            >
              <Icon name="close" size={15} />
            </button>
          )}
        </div>
      </header>

      {tasks.map((task) => (
        <TaskSection key={task.name} job={job} task={task} />
      ))}

      {files.length > 0 && (
        <div className="job-files">
          <button
            type="button"
            className="link-button small"
            aria-expanded={showFiles}
            onClick={() => setShowFiles(!showFiles)}
          >
            {showFiles ? 'Hide files' : `Show ${plural(files.length, 'file')}`}
          </button>
          {showFiles && (
            <VirtualList
              items={files}
              rowHeight={30}
              height={240}
              label={`Files of ${title}`}
              itemKey={(file, i) => `${i}:${file.filename}`}
              render={(file: SourceFile) => (
                <div className="file-row">
                  <span className="file-name" title={file.filename}>
                    {file.filename}
                  </span>
                  <span className="muted small">{formatBytes(file.size)}</span>
                </div>
              )}
            />
          )}
        </div>
      )}
    </article>
  );
});

function TaskSection({ job, task }: { job: JobRecord; task: TaskRecord }) {
  const progress = useStore((s) => s.progress[progressKey(job.id, task.name)]);
  const destination = destinationNameOf(task);
  const results = task.result?.files ?? [];
  return (
    <section className="task" aria-label={`To ${destination}`}>
      <TaskProgressLine
        task={task}
        progress={progress}
        destination={destination}
        held={
          job.status === 'paused'
            ? 'Paused'
            : job.queue_position !== undefined
              ? 'Waiting in the queue'
              : undefined
        }
      />
      {task.status === 'error' && task.code !== 'CANCELLED' && (
        <ErrorBox
          error={{
            code: task.code ?? 'REMOTE_ERROR',
            message: task.message ?? 'The export failed.',
            ...(task.detail ? { detail: task.detail } : {}),
          }}
        />
      )}
      {results.length > 0 && <Results task={task} results={results} />}
      {task.status === 'finished' && results.length > 0 && isShareable(task.operation) && (
        <SharePanel job={job} task={task} />
      )}
    </section>
  );
}

function TaskProgressLine({
  task,
  progress,
  destination,
  held,
}: {
  task: TaskRecord;
  progress: TaskProgress | undefined;
  destination: string;
  /** Why an unfinished task is not moving (paused, queued): said instead of "Starting…". */
  held?: string | undefined;
}) {
  const done = task.status === 'finished';
  const failed = task.status === 'error';
  const bytes = done ? (progress?.total ?? 1) : (progress?.bytes ?? 0);
  const total = progress?.total ?? (done ? 1 : 0);
  let words: string;
  if (done) {
    const took =
      task.started_at && task.ended_at
        ? (Date.parse(task.ended_at) - Date.parse(task.started_at)) / 1000
        : undefined;
    const count = task.result?.files.length ?? 0;
    const time =
      took === undefined ? '' : took < 1 ? ' in under a second' : ` in ${formatDuration(took)}`;
    words = `Sent ${plural(count, 'file')}${time}`;
  } else if (failed) {
    words = task.code === 'CANCELLED' ? 'Cancelled' : 'Failed';
    if (progress && progress.bytes > 0) words += ` after ${formatBytes(progress.bytes)}`;
  } else if (held) {
    words = progress && progress.bytes > 0 ? `${held} after ${formatBytes(progress.bytes)}` : held;
  } else if (task.status === 'waiting' || !progress) {
    words = 'Starting…';
  } else {
    const parts = [`${formatBytes(progress.bytes)} of ${formatBytes(progress.total)}`];
    if (progress.rate > 0) parts.push(formatRate(progress.rate));
    if (progress.eta_seconds !== null) parts.push(`${formatDuration(progress.eta_seconds)} left`);
    if (progress.files_total > 1) {
      parts.push(
        `${progress.files_done.toLocaleString()} of ${plural(progress.files_total, 'file')}`,
      );
    }
    words = parts.join(' · ');
  }
  return (
    <div className="task-progress">
      <div className="task-line">
        <span className="task-dest">
          <Icon name="upload" size={14} /> {destination}
        </span>
        <span className="task-words muted small" aria-live={done || failed ? 'polite' : 'off'}>
          {words}
        </span>
      </div>
      <ProgressBar
        value={bytes}
        max={total}
        label={`Progress to ${destination}`}
        tone={
          done
            ? 'done'
            : failed
              ? 'error'
              : task.status === 'waiting' || held
                ? 'waiting'
                : 'active'
        }
      />
    </div>
  );
}

const MANY = 12;

function Results({ task, results }: { task: TaskRecord; results: ResultFile[] }) {
  const links = useStore((s) => s.links);
  const byUrl = new Map<string, LinkView>(links.map((link) => [link.url, link]));
  const isLink = task.operation === 'export/url';
  const title = isLink ? 'Links' : 'Delivered to';
  const row = (file: ResultFile) => {
    if (isLink && file.url) {
      return <LinkRow url={file.url} filename={file.filename} link={byUrl.get(file.url)} />;
    }
    const location = locationOf(file, task.operation) ?? file.filename;
    const verification = verificationOf(file);
    const shared = sharedLinkOf(file);
    const where = (
      <div className="location-row">
        <Icon name="check" size={14} />
        <LocationText location={location} />
        <span className="muted small">{formatBytes(file.size)}</span>
        {verification && (
          <span className="badge badge-ok" title={verification}>
            verified
          </span>
        )}
        <CopyButton text={location} label={`Copy location of ${file.filename}`} compact />
      </div>
    );
    return shared ? (
      <div className="shared-result">
        {where}
        <SharedLinkRow url={shared.url} filename={file.filename} expiresAt={shared.expires_at} />
      </div>
    ) : (
      where
    );
  };
  return (
    <div className="results" aria-label={title} role="group">
      <p className="results-title small">{title}</p>
      {results.length <= MANY ? (
        <ul className="results-list">
          {results.map((file, i) => (
            <li key={`${i}:${file.filename}`}>{row(file)}</li>
          ))}
        </ul>
      ) : (
        // Thousands of results: compact fixed-height rows, windowed.
        <VirtualList
          items={results}
          rowHeight={38}
          height={304}
          label={`${title} (${results.length.toLocaleString()})`}
          itemKey={(file, i) => `${i}:${file.filename}`}
          render={(file) => {
            // A share link of a cloud export is what people come for: it replaces the location here.
            const url = isLink ? file.url : sharedLinkOf(file)?.url;
            return url ? (
              <CompactLinkRow url={url} filename={file.filename} size={file.size} />
            ) : (
              row(file)
            );
          }}
        />
      )}
    </div>
  );
}

/**
 * A location on one line: when it is too long, its folder part is cut (with
 * an ellipsis) so the file name at its end stays readable; all of it on hover.
 */
function LocationText({ location }: { location: string }) {
  const shown = shortLocation(location);
  const cut = shown.lastIndexOf('/') + 1;
  return (
    <span className="location mono" title={location}>
      {cut > 0 && <span className="location-folder">{shown.slice(0, cut)}</span>}
      <span className="location-name">{shown.slice(cut)}</span>
    </span>
  );
}

/** A URL shown by its path (bucket/container and name, the part that tells files apart). */
function shortLocation(location: string): string {
  if (!/^https?:\/\//.test(location)) return location;
  try {
    return decodeURIComponent(new URL(location).pathname.slice(1)) || location;
  } catch {
    return location;
  }
}
