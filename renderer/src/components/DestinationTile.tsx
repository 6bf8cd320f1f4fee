import { useId, useRef } from 'react';
import type { Destination } from '../../../main/core/api/outbox-api';
import { destinationOf } from '../../../main/core/tasks/destinations';
import type { ExportOperation } from '../../../main/core/tasks/operations';
import { collectInput, type PickedFile } from '../api';
import { useFileDrop } from '../lib/use-file-drop';
import { useStore } from '../store/app-store';
import { Icon } from './Icons';

type Props = {
  name: string;
  operation: ExportOperation;
  where: string;
  destination: Destination;
  builtIn?: boolean;
  /** Jobs of this destination that run now. */
  running: number;
};

/** One destination: a drop target, a file picker and (for saved profiles) an Edit button. */
export function DestinationTile({ name, operation, where, destination, builtIn, running }: Props) {
  const exportFiles = useStore((s) => s.exportFiles);
  const openEditor = useStore((s) => s.openEditor);
  const picker = useRef<HTMLInputElement>(null);
  const hintId = useId();
  const send = (files: PickedFile[]) => void exportFiles(destination, name, files);
  const { over, handlers } = useFileDrop((files) => void files.then(send));

  return (
    <li className={`tile${over ? ' tile-over' : ''}`}>
      <div
        className="tile-body"
        role="group"
        aria-label={name}
        aria-describedby={hintId}
        data-operation={operation}
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
        <div className="tile-foot">
          <p id={hintId} className="tile-hint">
            {over ? (
              'Release to send'
            ) : running > 0 ? (
              <span className="tile-busy">
                <span className="pulse" aria-hidden="true" /> Sending…
              </span>
            ) : (
              'Drop files here'
            )}
          </p>
          <button
            type="button"
            className="button button-small"
            onClick={() => picker.current?.click()}
            aria-label={`Choose files for ${name}`}
          >
            <Icon name="file" size={15} /> Choose…
          </button>
          <input
            ref={picker}
            type="file"
            multiple
            hidden
            tabIndex={-1}
            aria-hidden="true"
            onChange={(event) => {
              const files = collectInput(event.currentTarget.files ?? []);
              event.currentTarget.value = '';
              send(files);
            }}
          />
        </div>
        {over && <div className="tile-drop-ring" aria-hidden="true" />}
      </div>
    </li>
  );
}
