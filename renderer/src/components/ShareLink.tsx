import { useState } from 'react';
import { formatTimeLeft } from '../lib/format';
import { sharedLinkOf } from '../lib/jobs';
import type { JobRecord, TaskRecord } from '../lib/types';
import { useNow } from '../lib/use-now';
import { useStore } from '../store/app-store';
import type { ShownError } from '../store/errors';
import { ErrorBox } from './ErrorBox';
import { Icon } from './Icons';
import { LinkCard } from './LinkRow';

/** How long a share link works; S3 and GCS signatures allow 7 days at most. */
const EXPIRIES = [
  { seconds: 3600, label: '1 hour' },
  { seconds: 86400, label: '24 hours' },
  { seconds: 7 * 86400, label: '7 days' },
] as const;
const DEFAULT_EXPIRY = 86400;

function whenText(iso: string): string {
  return new Date(iso).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * A signed download link of a cloud export: copy, open, QR code, time left.
 * It says plainly that it cannot be revoked: presigned S3 URLs, SAS and GCS
 * signed URLs stay valid until they expire, and a Swift TempURL could only be
 * stopped by changing the account's key (which stops every link).
 */
export function SharedLinkRow({
  url,
  filename,
  expiresAt,
}: {
  url: string;
  filename: string;
  expiresAt: string;
}) {
  const now = useNow(30_000);
  const expired = Date.parse(expiresAt) <= now;
  const until = whenText(expiresAt);
  return (
    <LinkCard
      url={url}
      filename={filename}
      label={`Share link for ${filename}`}
      icon="link"
      className={expired ? 'link-expired' : ''}
      meta={formatTimeLeft(expiresAt, now)}
    >
      <p className="muted small share-note">
        {expired
          ? `This link stopped working at ${until}.`
          : `Anyone with this link can download ${filename} until ${until}. It cannot be revoked before then.`}
      </p>
    </LinkCard>
  );
}

/** "Create share link" for the files of a finished cloud export: how long, then sign. */
export function SharePanel({ job, task }: { job: JobRecord; task: TaskRecord }) {
  const create = useStore((s) => s.createShareLink);
  const [seconds, setSeconds] = useState<number>(DEFAULT_EXPIRY);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError>();
  const files = task.result?.files ?? [];
  const several = files.length > 1;
  const shared = files.some((file) => sharedLinkOf(file) !== undefined);
  const label = several ? 'Create share links' : 'Create share link';
  return (
    <form
      className="share-panel"
      aria-label={`Share ${several ? 'these files' : 'this file'}`}
      onSubmit={(event) => {
        event.preventDefault();
        setBusy(true);
        setError(undefined);
        void create(job.id, task.name, { expires_in: seconds }).then((failure) => {
          setBusy(false);
          setError(failure);
        });
      }}
    >
      <div className="share-controls">
        <label className="share-expiry">
          <span className="small">Link works for</span>
          <select
            value={seconds}
            onChange={(event) => setSeconds(Number(event.currentTarget.value))}
          >
            {EXPIRIES.map((expiry) => (
              <option key={expiry.seconds} value={expiry.seconds}>
                {expiry.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="button button-small" disabled={busy}>
          <Icon name="link" size={14} /> {busy ? 'Signing…' : label}
        </button>
      </div>
      <p className="muted small">
        {shared
          ? 'A new link replaces the one shown here; the old one keeps working until it expires.'
          : `A download link that needs no account. Anyone who has it can download ${several ? 'the files' : 'the file'} until it expires.`}
      </p>
      {error && <ErrorBox error={error} title="No share link was created" />}
    </form>
  );
}
