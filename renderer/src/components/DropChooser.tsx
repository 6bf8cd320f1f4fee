import { sizeOf } from '../api';
import { formatBytes, plural } from '../lib/format';
import {
  TEMPORARY_LINK,
  TEMPORARY_LINK_WHERE,
  destinationNamed,
  whereOf,
} from '../lib/destinations';
import { useStore } from '../store/app-store';
import type { Destination } from '../../../main/core/api/outbox-api';
import { destinationOf } from '../../../main/core/tasks/destinations';
import type { ExportOperation } from '../../../main/core/tasks/operations';
import { Dialog } from './Dialog';
import { Icon } from './Icons';

type Choice = {
  name: string;
  /** A single destination's operation (its icon); none for the selected ones together. */
  operation?: ExportOperation;
  where: string;
  destination: Destination | Destination[];
};

/** Files dropped on the window (not on a tile) or picked from the header: where should they go? */
export function DropChooser() {
  const files = useStore((s) => s.chooser);
  const profiles = useStore((s) => s.profiles);
  const choose = useStore((s) => s.choose);
  const exportFiles = useStore((s) => s.exportFiles);
  const selected = useStore((s) => s.selected);
  if (!files) return null;
  const choices: Choice[] = [
    // The tiles selected in the window: one job to all of them.
    ...(selected.length > 1
      ? [
          {
            name: `The ${selected.length} selected destinations`,
            where: selected.join(', '),
            destination: selected.map(destinationNamed),
          },
        ]
      : []),
    {
      name: TEMPORARY_LINK,
      operation: 'export/url',
      where: TEMPORARY_LINK_WHERE,
      destination: destinationNamed(TEMPORARY_LINK),
    },
    ...profiles.map((p) => ({
      name: p.name,
      operation: p.operation,
      where: whereOf(p) || destinationOf(p.operation).label,
      destination: destinationNamed(p.name),
    })),
  ];
  const total = files.reduce((sum, f) => sum + sizeOf(f), 0);
  const first = files[0]?.relativePath ?? '';
  return (
    <Dialog
      title="Send to…"
      description={
        files.length === 1
          ? `${first} · ${formatBytes(total)}`
          : `${plural(files.length, 'file')} · ${formatBytes(total)}`
      }
      onClose={() => choose(null)}
    >
      <ul className="choices" aria-label="Destinations">
        {choices.map((choice) => (
          <li key={choice.name}>
            <button
              type="button"
              className="choice"
              onClick={() => {
                choose(null);
                void exportFiles(
                  choice.destination,
                  Array.isArray(choice.destination) ? choice.where : choice.name,
                  files,
                );
              }}
            >
              <span
                className={`tile-icon op-${choice.operation?.replace(/\W/g, '-') ?? 'several'}`}
                aria-hidden="true"
              >
                <Icon
                  name={choice.operation ? destinationOf(choice.operation).icon : 'upload'}
                  size={20}
                />
              </span>
              <span className="choice-text">
                <span className="choice-name">{choice.name}</span>
                <span className="muted small">{choice.where}</span>
              </span>
            </button>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
