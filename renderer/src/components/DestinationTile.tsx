import { useId, useRef } from 'react';
import { destinationOf } from '../../../main/core/tasks/destinations';
import type { ExportOperation } from '../../../main/core/tasks/operations';
import type { PickedFile } from '../api';
import { destinationNamed } from '../lib/destinations';
import { useFileDrop } from '../lib/use-file-drop';
import { useStore } from '../store/app-store';
import { FilePicker } from './FilePicker';
import { Icon } from './Icons';
import { TileWatches, WatchFolderButton } from './TileWatches';

type Props = {
  name: string;
  operation: ExportOperation;
  where: string;
  builtIn?: boolean;
  /** Jobs of this destination that run now. */
  running: number;
};

/**
 * One destination: a drop target, a file picker, a checkbox to select it with
 * others (a drop on a selected tile goes to all selected ones, in one job)
 * and (for saved profiles) an Edit button.
 */
export function DestinationTile({ name, operation, where, builtIn, running }: Props) {
  const exportFiles = useStore((s) => s.exportFiles);
  const openEditor = useStore((s) => s.openEditor);
  const selected = useStore((s) => s.selected);
  const toggleSelected = useStore((s) => s.toggleSelected);
  const picker = useRef<HTMLInputElement>(null);
  const hintId = useId();
  const isSelected = selected.includes(name);
  const group = isSelected && selected.length > 1 ? selected : [name];
  const send = (files: PickedFile[]) =>
    void exportFiles(
      group.length === 1 ? destinationNamed(name) : group.map(destinationNamed),
      group.join(', '),
      files,
    );
  const { over, handlers } = useFileDrop((files) => void files.then(send));

  return (
    <li className={`tile${over ? ' tile-over' : ''}${isSelected ? ' tile-selected' : ''}`}>
      <div
        className="tile-body"
        role="group"
        aria-label={name}
        aria-describedby={hintId}
        data-operation={operation}
        onClick={(event) => {
          // Ctrl-click (Cmd-click) selects, as in a file manager; the checkbox does the same.
          const onControl = (event.target as HTMLElement).closest('button, input');
          if ((event.ctrlKey || event.metaKey) && !onControl) toggleSelected(name);
        }}
        {...handlers}
      >
        <div className="tile-head">
          <span className={`tile-icon op-${operation.replace(/\W/g, '-')}`}>
            <Icon name={destinationOf(operation).icon} size={22} />
          </span>
          <div className="tile-titles">
            <h3 className="tile-name">{name}</h3>
            <p className="tile-kind">{builtIn ? 'Built in' : destinationOf(operation).label}</p>
          </div>
          <input
            type="checkbox"
            className="tile-select"
            checked={isSelected}
            onChange={() => toggleSelected(name)}
            aria-label={`Select ${name}`}
            title="Select, to send one drop to several destinations"
          />
          {!builtIn && (
            <button
              type="button"
              className="icon-button tile-edit"
              aria-label={`Edit ${name}`}
              title="Edit destination"
              onClick={() => openEditor({ mode: 'edit', name })}
            >
              <Icon name="edit" size={16} />
            </button>
          )}
        </div>
        <p className="tile-where" title={where}>
          {where || '\u00a0'}
        </p>
        {!builtIn && <TileWatches profile={name} />}
        <div className="tile-foot">
          <p id={hintId} className="tile-hint">
            {over ? (
              group.length > 1 ? (
                `Release to send to all ${group.length}`
              ) : (
                'Release to send'
              )
            ) : running > 0 ? (
              <span className="tile-busy">
                <span className="pulse" aria-hidden="true" /> Sending…
              </span>
            ) : group.length > 1 ? (
              `Drop files here for all ${group.length} selected`
            ) : (
              'Drop files here'
            )}
          </p>
          <button
            type="button"
            className="button button-small"
            onClick={() => picker.current?.click()}
            aria-label={`Choose files for ${group.join(', ')}`}
          >
            <Icon name="file" size={15} /> Choose…
          </button>
          {!builtIn && <WatchFolderButton profile={name} />}
          <FilePicker ref={picker} onFiles={send} />
        </div>
        {over && <div className="tile-drop-ring" aria-hidden="true" />}
      </div>
    </li>
  );
}
