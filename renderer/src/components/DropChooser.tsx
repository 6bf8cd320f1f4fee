import { sizeOf } from '../api';
import { formatBytes, plural } from '../lib/format';
import { TEMPORARY_LINK, whereOf } from '../lib/destinations';
import { useStore } from '../store/app-store';
import type { Destination } from '../../../main/core/api/outbox-api';
import { destinationOf } from '../../../main/core/tasks/destinations';
import type { ExportOperation } from '../../../main/core/tasks/operations';
import { Dialog } from './Dialog';
import { Icon } from './Icons';

type Choice = { name: string; operation: ExportOperation; where: string; destination: Destination };

/** Files dropped on the window (not on a tile) or picked from the header: where should they go? */
export function DropChooser() {
  const files = useStore((s) => s.chooser);
  const profiles = useStore((s) => s.profiles);
  const choose = useStore((s) => s.choose);
  const exportFiles = useStore((s) => s.exportFiles);
  if (!files) return null;
  const choices: Choice[] = [
    {
      name: TEMPORARY_LINK,
      operation: 'export/url',
      where: 'Download links, valid 24 hours',
      destination: { task: { operation: 'export/url' } },
    },
    ...profiles.map((p) => ({
      name: p.name,
      operation: p.operation,
      where: whereOf(p) || destinationOf(p.operation).label,
      destination: { profile: p.name },
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
                void exportFiles(choice.destination, choice.name, files);
              }}
            >
              <span
                className={`tile-icon op-${choice.operation.replace(/\W/g, '-')}`}
                aria-hidden="true"
              >
                <Icon name={destinationOf(choice.operation).icon} size={20} />
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
