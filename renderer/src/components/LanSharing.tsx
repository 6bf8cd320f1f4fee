import { useState } from 'react';
import type { LinkView } from '../lib/types';
import { useStore } from '../store/app-store';
import { CopyButton } from './CopyButton';
import { Icon } from './Icons';
import { QrCode } from './QrCode';

/** The LAN sharing setting: a switch, and where links are served while it is on. */
export function LanSharingToggle() {
  const settings = useStore((s) => s.settings);
  const setLanSharing = useStore((s) => s.setLanSharing);
  if (!settings) return null;
  const on = settings.lan_sharing.enabled;
  return (
    <div className="lan-setting card">
      <div className="lan-setting-row">
        <div>
          <strong>Share links on the local network</strong>
          <p className="muted small">
            {on
              ? 'Devices on your network can download the links you share on it (only those; never this app).'
              : 'Off: every link works on this computer only. Turn on to share chosen links with phones and computers nearby.'}
          </p>
        </div>
        <button
          type="button"
          role="switch"
          aria-checked={on}
          aria-label="LAN sharing"
          className="switch"
          onClick={() => void setLanSharing(!on)}
        >
          <span className="switch-knob" aria-hidden="true" />
          <span className="switch-text">{on ? 'On' : 'Off'}</span>
        </button>
      </div>
      {on && settings.lan.errors.length > 0 && (
        <p className="small lan-error">Could not listen on {settings.lan.errors.join(', ')}.</p>
      )}
      {on && !settings.lan.server_running && (
        <p className="muted small">
          Links are served while Outbox’s server runs (the app, or “outbox serve”).
        </p>
      )}
    </div>
  );
}

/** Always visible while links are reachable from the network: nobody should forget it is on. */
export function LanBanner() {
  const settings = useStore((s) => s.settings);
  const setLanSharing = useStore((s) => s.setLanSharing);
  if (!settings?.lan_sharing.enabled) return null;
  const where = settings.lan.urls.map((url) => new URL(url).host).join(', ');
  return (
    <div className="lan-banner" role="status" aria-label="LAN sharing status">
      <Icon name="server" size={16} />
      <span>
        <strong>LAN sharing is on</strong>
        {where ? ` · links you share on the network are reachable at ${where}` : ''}
      </span>
      <button
        type="button"
        className="button button-small"
        onClick={() => void setLanSharing(false)}
      >
        Turn off
      </button>
    </div>
  );
}

/** A link's network side: "Share on network", then its LAN address, QR code and options. */
export function LinkLanShare({ link }: { link: LinkView }) {
  const settings = useStore((s) => s.settings);
  const updateLink = useStore((s) => s.updateLink);
  const setLanSharing = useStore((s) => s.setLanSharing);
  const [explain, setExplain] = useState(false);
  const [options, setOptions] = useState(false);
  const enabled = settings?.lan_sharing.enabled === true;
  if (!settings || link.state !== 'active') return null;

  if (!link.lan) {
    return (
      <div className="link-lan">
        <button
          type="button"
          className="button button-small"
          onClick={() =>
            enabled
              ? void updateLink(link.id, { lan: true }, 'Shared on your network.')
              : setExplain(true)
          }
        >
          <Icon name="server" size={14} /> Share on network
        </button>
        {explain && (
          <div className="lan-explain small" role="note">
            <p>
              LAN sharing is off, so links work on this computer only. Turning it on lets devices on
              your network (a phone on the same Wi-Fi) download the links you share there — nothing
              else of Outbox.
            </p>
            <button
              type="button"
              className="button button-small button-primary"
              onClick={() =>
                void setLanSharing(true).then(() =>
                  updateLink(link.id, { lan: true }, 'Shared on your network.'),
                )
              }
            >
              Turn on LAN sharing and share
            </button>{' '}
            <button
              type="button"
              className="button button-small button-quiet"
              onClick={() => setExplain(false)}
            >
              Not now
            </button>
          </div>
        )}
      </div>
    );
  }

  const lanUrl = link.lan_urls[0];
  return (
    <div className="link-lan is-shared">
      <div className="link-line">
        <span className="lan-badge">
          <Icon name="server" size={13} /> On your network
        </span>
        <span className="muted small">
          {link.has_password ? 'password · ' : ''}
          {link.max_downloads !== undefined
            ? `${Math.max(0, link.max_downloads - link.downloads)} of ${link.max_downloads} downloads left`
            : 'no download limit'}
        </span>
      </div>
      {lanUrl ? (
        <div className="link-lan-body">
          <div className="link-url-row">
            <input
              className="link-url mono"
              value={lanUrl}
              readOnly
              aria-label={`Network URL for ${link.filename}`}
              onFocus={(event) => event.currentTarget.select()}
            />
            <CopyButton text={lanUrl} label={`Copy network link for ${link.filename}`} />
          </div>
          {link.lan_urls.slice(1).map((url) => (
            <div className="link-url-row" key={url}>
              <input
                className="link-url mono"
                value={url}
                readOnly
                aria-label="Another network URL"
              />
              <CopyButton text={url} label={`Copy ${url}`} />
            </div>
          ))}
          <div className="link-qr">
            <QrCode text={lanUrl} label={`QR code for the network link to ${link.filename}`} />
            <p className="muted small">Scan with a phone on the same network.</p>
          </div>
        </div>
      ) : (
        <p className="muted small">
          {enabled
            ? 'Not reachable yet: Outbox’s server is not listening on the network.'
            : 'LAN sharing is off: turn it on (above) to serve this link on your network.'}
        </p>
      )}
      <div className="link-lan-actions">
        <button
          type="button"
          className="button button-small button-quiet"
          aria-expanded={options}
          onClick={() => setOptions(!options)}
        >
          Options…
        </button>
        <button
          type="button"
          className="button button-small button-quiet"
          onClick={() =>
            void updateLink(link.id, { lan: false }, 'No longer shared on your network.')
          }
        >
          Stop sharing on network
        </button>
      </div>
      {options && <LinkOptionsForm link={link} onDone={() => setOptions(false)} />}
    </div>
  );
}

/** Expiry, download limit and password of one link. */
function LinkOptionsForm({ link, onDone }: { link: LinkView; onDone: () => void }) {
  const updateLink = useStore((s) => s.updateLink);
  const [hours, setHours] = useState('');
  const [max, setMax] = useState(link.max_downloads?.toString() ?? '');
  const [password, setPassword] = useState('');
  const [removePassword, setRemovePassword] = useState(false);
  return (
    <form
      className="link-options"
      onSubmit={(event) => {
        event.preventDefault();
        const maxNumber = Number(max);
        void updateLink(
          link.id,
          {
            max_downloads: max.trim() === '' ? null : maxNumber,
            ...(hours.trim() !== '' ? { expires_in: Math.round(Number(hours) * 3600) } : {}),
            ...(password !== '' ? { password } : removePassword ? { password: null } : {}),
          },
          'Link options saved.',
        ).then((ok) => ok && onDone());
      }}
    >
      <label>
        <span className="small">Works for (hours from now)</span>
        <input
          type="number"
          min="0.02"
          max="8760"
          step="any"
          placeholder="unchanged"
          value={hours}
          onChange={(event) => setHours(event.currentTarget.value)}
        />
      </label>
      <label>
        <span className="small">Maximum downloads</span>
        <input
          type="number"
          min="1"
          step="1"
          placeholder="no limit"
          value={max}
          onChange={(event) => setMax(event.currentTarget.value)}
        />
      </label>
      <label>
        <span className="small">{link.has_password ? 'New password' : 'Password'}</span>
        <input
          type="password"
          autoComplete="new-password"
          placeholder={link.has_password ? 'unchanged' : 'none'}
          value={password}
          onChange={(event) => setPassword(event.currentTarget.value)}
        />
      </label>
      {link.has_password && (
        <label className="check small">
          <input
            type="checkbox"
            checked={removePassword}
            onChange={(event) => setRemovePassword(event.currentTarget.checked)}
          />{' '}
          Remove the password
        </label>
      )}
      <div className="link-lan-actions">
        <button type="submit" className="button button-small button-primary">
          Save
        </button>
        <button type="button" className="button button-small button-quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
