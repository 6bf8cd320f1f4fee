import { useState, type ReactNode } from 'react';
import { formatBytes, formatTimeLeft, plural } from '../lib/format';
import type { LinkView } from '../lib/types';
import { useStore } from '../store/app-store';
import { useNow } from '../lib/use-now';
import { ConfirmInline } from './ConfirmInline';
import { CopyButton } from './CopyButton';
import { Icon, type IconName } from './Icons';
import { LinkLanShare } from './LanSharing';
import { QrCode } from './QrCode';

/**
 * A link to copy, open or scan with a phone: the one layout of every link
 * the UI shows (temporary links, cloud share links). What it is (`meta`),
 * what can be done with it (`actions`) and more (`children`) are the caller's.
 */
export function LinkCard({
  url,
  filename,
  label = `Link for ${filename}`,
  icon = 'file',
  className = '',
  meta,
  actions,
  children,
}: {
  url: string;
  filename: string;
  /** The group's accessible name. */
  label?: string;
  icon?: IconName;
  className?: string;
  meta?: ReactNode;
  actions?: ReactNode;
  children?: ReactNode;
}) {
  const [qr, setQr] = useState(false);
  return (
    <div className={`link-row ${className}`} role="group" aria-label={label}>
      <div className="link-main">
        <div className="link-line">
          <span className="link-file" title={filename}>
            <Icon name={icon} size={15} /> {filename}
          </span>
          {meta && <span className="link-meta muted small">{meta}</span>}
        </div>
        <div className="link-url-row">
          <input
            className="link-url mono"
            value={url}
            readOnly
            aria-label={`Link URL for ${filename}`}
            onFocus={(event) => event.currentTarget.select()}
          />
          <CopyButton text={url} label={`Copy link for ${filename}`} />
          <a
            className="icon-button"
            href={url}
            target="_blank"
            rel="noreferrer noopener"
            aria-label={`Open link for ${filename}`}
            title="Open in the browser"
          >
            <Icon name="open" size={16} />
          </a>
          <button
            type="button"
            className={`icon-button${qr ? ' is-on' : ''}`}
            aria-label={`${qr ? 'Hide' : 'Show'} QR code for ${filename}`}
            aria-expanded={qr}
            title="QR code"
            onClick={() => setQr(!qr)}
          >
            <Icon name="qr" size={16} />
          </button>
          {actions}
        </div>
        {children}
      </div>
      {qr && (
        <div className="link-qr">
          <QrCode text={url} label={`QR code for the link to ${filename}`} />
          <p className="muted small">Scan with a phone to download {filename}.</p>
        </div>
      )}
    </div>
  );
}

/** A temporary link: the URL to copy, open or scan, its life left, downloads, and Revoke. */
export function LinkRow({
  url,
  filename,
  link,
}: {
  url: string;
  filename: string;
  link?: LinkView;
}) {
  const revoke = useStore((s) => s.revokeLink);
  const [confirm, setConfirm] = useState(false);
  const now = useNow(30_000);
  const state = link?.state ?? 'active';
  return (
    <LinkCard
      url={url}
      filename={filename}
      icon={link?.kind === 'zip' ? 'folder' : 'file'}
      className={`link-${state}`}
      meta={
        link && (
          <>
            {formatBytes(link.size)} ·{' '}
            {state === 'active'
              ? formatTimeLeft(link.expires_at, now)
              : state === 'revoked'
                ? 'revoked'
                : state === 'used_up'
                  ? 'download limit reached'
                  : 'expired'}{' '}
            · {plural(link.downloads, 'download')}
          </>
        )
      }
      actions={
        link &&
        state === 'active' &&
        (confirm ? (
          <ConfirmInline
            confirmLabel="Revoke now"
            onConfirm={() => void revoke(link.id)}
            onKeep={() => setConfirm(false)}
          />
        ) : (
          <button
            type="button"
            className="icon-button icon-danger"
            aria-label={`Revoke link for ${filename}`}
            title="Revoke: the link stops working at once"
            onClick={() => setConfirm(true)}
          >
            <Icon name="trash" size={16} />
          </button>
        ))
      }
    >
      {link && <LinkLanShare link={link} />}
    </LinkCard>
  );
}

/** One line per link, for lists of thousands (windowed, fixed height). */
export function CompactLinkRow({
  url,
  filename,
  size,
}: {
  url: string;
  filename: string;
  size: number;
}) {
  return (
    <div className="location-row">
      <Icon name="link" size={14} />
      <span className="location" title={filename}>
        {filename}
      </span>
      <span className="muted small">{formatBytes(size)}</span>
      <CopyButton text={url} label={`Copy link for ${filename}`} compact />
      <a
        className="icon-button"
        href={url}
        target="_blank"
        rel="noreferrer noopener"
        aria-label={`Open link for ${filename}`}
      >
        <Icon name="open" size={15} />
      </a>
    </div>
  );
}
