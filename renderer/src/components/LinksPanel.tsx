import { useEffect, useMemo } from 'react';
import { useStore } from '../store/app-store';
import { EmptyState } from './EmptyState';
import { LanSharingToggle } from './LanSharing';
import { CompactLinkRow, LinkRow } from './LinkRow';
import { VirtualList } from './VirtualList';

const order = { active: 0, used_up: 1, expired: 2, revoked: 3 } as const;
const FULL_ROWS = 40;

/** Every temporary link: live ones first, with copy, open, QR, downloads and revoke. */
export function LinksPanel() {
  const links = useStore((s) => s.links);
  const refreshLinks = useStore((s) => s.refreshLinks);
  // Downloads happen elsewhere (no event): refresh on open, then now and then while shown.
  useEffect(() => {
    void refreshLinks();
    const timer = setInterval(() => void refreshLinks(), 15_000);
    return () => clearInterval(timer);
  }, [refreshLinks]);
  const sorted = useMemo(
    () =>
      [...links].sort(
        (a, b) => order[a.state] - order[b.state] || b.created_at.localeCompare(a.created_at),
      ),
    [links],
  );
  if (sorted.length === 0) {
    return (
      <>
        <LanSharingToggle />
        <EmptyState
          icon="link"
          title="No links yet"
          text="Drop files on “Temporary link” to get download links you can share. They stop working after 24 hours, or when you revoke them."
        />
      </>
    );
  }
  if (sorted.length > FULL_ROWS) {
    return (
      <>
        <LanSharingToggle />
        <VirtualList
          items={sorted}
          rowHeight={38}
          height={560}
          label="Links"
          itemKey={(link) => link.id}
          render={(link) => (
            <CompactLinkRow url={link.url} filename={link.filename} size={link.size} />
          )}
        />
      </>
    );
  }
  return (
    <>
      <LanSharingToggle />
      <ul className="stack plain">
        {sorted.map((link) => (
          <li key={link.id} className="card">
            <LinkRow url={link.url} filename={link.filename} link={link} />
          </li>
        ))}
      </ul>
    </>
  );
}
