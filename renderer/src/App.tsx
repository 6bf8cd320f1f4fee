import { useEffect, useRef, useState } from 'react';
import { collectDrop, collectInput, onOpenedFiles } from './api';
import { ActivityPanel } from './components/ActivityPanel';
import { DestinationGrid } from './components/DestinationGrid';
import { DropChooser } from './components/DropChooser';
import { ErrorBox } from './components/ErrorBox';
import { Icon } from './components/Icons';
import { LanBanner } from './components/LanSharing';
import { NotificationsButton } from './components/NotificationsButton';
import { SpeedLimitsButton } from './components/SpeedLimits';
import { ProfileEditor } from './components/ProfileEditor';
import { Toasts } from './components/Toasts';
import { useJobNotifications } from './lib/web-notifications';
import { useStore } from './store/app-store';

/**
 * The main window: destinations (drop targets) on the left, activity on the
 * right. Files dropped anywhere else open "Send to…".
 */
export function App() {
  const load = useStore((s) => s.load);
  const loaded = useStore((s) => s.loaded);
  const loadError = useStore((s) => s.loadError);
  const info = useStore((s) => s.info);
  const choose = useStore((s) => s.choose);
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const dragging = useWindowDrag();
  useJobNotifications();

  useEffect(() => {
    void load();
  }, [load]);
  // Files opened with Outbox (desktop app): ask where they go, as for a drop.
  useEffect(() => onOpenedFiles((files) => choose(files)), [choose]);

  return (
    <div
      className="app"
      onDragOver={(event) => {
        if ([...event.dataTransfer.types].includes('Files')) event.preventDefault();
      }}
      onDrop={(event) => {
        if (![...event.dataTransfer.types].includes('Files')) return;
        event.preventDefault();
        void collectDrop(event.dataTransfer).then((files) => files.length && choose(files));
      }}
    >
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            <Icon name="upload" size={18} />
          </span>
          <h1>Outbox</h1>
          {info && (
            <span className="muted small host" title={info.dataDir}>
              {info.host === 'browser' ? 'in your browser' : ''} · v{info.version}
            </span>
          )}
        </div>
        <div className="topbar-actions">
          <NotificationsButton />
          <SpeedLimitsButton />
          <button type="button" className="button" onClick={() => folderInput.current?.click()}>
            <Icon name="folder" size={16} /> Choose folder…
          </button>
          <button
            type="button"
            className="button button-primary"
            onClick={() => filesInput.current?.click()}
          >
            <Icon name="file" size={16} /> Choose files…
          </button>
          <input
            ref={filesInput}
            type="file"
            multiple
            hidden
            aria-label="Files to send"
            onChange={(event) => {
              const files = collectInput(event.currentTarget.files ?? []);
              event.currentTarget.value = '';
              if (files.length) choose(files);
            }}
          />
          <input
            ref={folderInput}
            type="file"
            hidden
            aria-label="Folder to send"
            {...{ webkitdirectory: '' }}
            onChange={(event) => {
              const files = collectInput(event.currentTarget.files ?? []);
              event.currentTarget.value = '';
              if (files.length) choose(files);
            }}
          />
        </div>
      </header>
      <LanBanner />

      {loadError ? (
        <main className="load-error">
          <ErrorBox error={loadError} title="Outbox is not reachable" />
          <button type="button" className="button" onClick={() => void load()}>
            <Icon name="retry" size={16} /> Try again
          </button>
        </main>
      ) : (
        <main className="layout" aria-busy={!loaded}>
          <DestinationGrid />
          <ActivityPanel />
        </main>
      )}

      {dragging && (
        <div className="drop-veil" aria-hidden="true">
          <p>Drop on a destination — or anywhere to choose one</p>
        </div>
      )}
      <ProfileEditor />
      <DropChooser />
      <Toasts />
    </div>
  );
}

/** True while files are dragged over the window (drives the veil hint). */
function useWindowDrag(): boolean {
  const [dragging, setDragging] = useState(false);
  useEffect(() => {
    let depth = 0;
    const enter = (event: DragEvent) => {
      if (!event.dataTransfer?.types.includes('Files')) return;
      depth++;
      setDragging(true);
    };
    const leave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const end = () => {
      depth = 0;
      setDragging(false);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', end, true);
    window.addEventListener('dragend', end);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', end, true);
      window.removeEventListener('dragend', end);
    };
  }, []);
  return dragging;
}
