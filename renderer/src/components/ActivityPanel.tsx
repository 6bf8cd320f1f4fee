import { useRef, type KeyboardEvent } from 'react';
import { useStore } from '../store/app-store';
import { HistoryPanel } from './HistoryPanel';
import { LinksPanel } from './LinksPanel';
import { TransfersPanel } from './TransfersPanel';

const tabs = [
  { id: 'transfers', label: 'Transfers' },
  { id: 'links', label: 'Links' },
  { id: 'history', label: 'History' },
] as const;

/** What is moving, what was shared, and what happened today: three tabs beside the destinations. */
export function ActivityPanel() {
  const tab = useStore((s) => s.tab);
  const setTab = useStore((s) => s.setTab);
  const running = useStore(
    (s) =>
      s.preparing.length +
      Object.values(s.jobs).filter((j) => j.status === 'processing' || j.status === 'waiting')
        .length,
  );
  const activeLinks = useStore((s) => s.links.filter((l) => l.state === 'active').length);
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);

  // Arrow keys move between tabs (the WAI-ARIA tabs pattern).
  const onKeyDown = (event: KeyboardEvent) => {
    const index = tabs.findIndex((t) => t.id === tab);
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const next = tabs[(index + step + tabs.length) % tabs.length];
    if (!next) return;
    setTab(next.id);
    buttons.current[tabs.indexOf(next)]?.focus();
  };
  const counts: Record<(typeof tabs)[number]['id'], number> = {
    transfers: running,
    links: activeLinks,
    history: 0,
  };

  return (
    <section className="activity" aria-label="Activity">
      <div className="tabs" role="tablist" aria-label="Activity" onKeyDown={onKeyDown}>
        {tabs.map((t, i) => (
          <button
            key={t.id}
            ref={(el) => {
              buttons.current[i] = el;
            }}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            className="tab"
            onClick={() => setTab(t.id)}
          >
            {t.label}
            {counts[t.id] > 0 && (
              <span className="count" aria-label={`(${counts[t.id]})`}>
                {counts[t.id]}
              </span>
            )}
          </button>
        ))}
      </div>
      <div
        className="tabpanel"
        role="tabpanel"
        id={`panel-${tab}`}
        aria-labelledby={`tab-${tab}`}
        tabIndex={-1}
      >
        {tab === 'transfers' && <TransfersPanel />}
        {tab === 'links' && <LinksPanel />}
        {tab === 'history' && <HistoryPanel />}
      </div>
    </section>
  );
}
