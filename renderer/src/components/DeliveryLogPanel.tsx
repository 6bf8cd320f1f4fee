import { useEffect, useMemo, useState } from 'react';
import { deliveriesCsv } from '../../../main/core/api/delivery-csv';
import type { DeliveryEntry, DeliveryQuery } from '../../../main/core/api/outbox-api';
import { getApi } from '../api';
import { formatBytes } from '../lib/format';
import { checkOfDelivery } from '../lib/jobs';
import { useStore } from '../store/app-store';
import { errorInfoOf, type ShownError } from '../store/errors';
import { ErrorBox } from './ErrorBox';

const PAGE = 100;

const dateFields = [
  { key: 'from', label: 'From', name: 'Delivered from' },
  { key: 'to', label: 'To', name: 'Delivered until' },
] as const;

type Filters = { name: string; destination: string; from: string; to: string };

/** A `YYYY-MM-DD` of a date input as the start of that local day (ISO), or of the next day. */
function dayStart(day: string, next = false): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return undefined;
  const [year, month, date] = match.slice(1).map(Number) as [number, number, number];
  return new Date(year, month - 1, date + (next ? 1 : 0)).toISOString();
}

function queryOf(filters: Filters): DeliveryQuery {
  const since = dayStart(filters.from);
  const until = dayStart(filters.to, true);
  return {
    ...(filters.name.trim() ? { name: filters.name.trim() } : {}),
    ...(filters.destination ? { destination: filters.destination } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
  };
}

/** Every entry matching `query`, fetched a thousand at a time. */
async function everyEntry(query: DeliveryQuery): Promise<DeliveryEntry[]> {
  const entries: DeliveryEntry[] = [];
  let after: string | undefined;
  do {
    const page = await getApi().searchDeliveries({
      ...query,
      limit: 1000,
      ...(after ? { after } : {}),
    });
    entries.push(...page.entries);
    after = page.next;
  } while (after);
  return entries;
}

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = name;
  anchor.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The delivery log (every delivered file of the last 90 days): search by
 * name, destination and dates, pages of 100 newest first, export as CSV or JSON.
 */
export function DeliveryLogPanel() {
  const profiles = useStore((s) => s.profiles);
  const jobs = useStore((s) => s.jobs);
  const [filters, setFilters] = useState<Filters>({ name: '', destination: '', from: '', to: '' });
  // Cursors of the pages before the one shown (keyset paging: "Newer" goes back one).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [entries, setEntries] = useState<DeliveryEntry[]>([]);
  const [next, setNext] = useState<string>();
  const [error, setError] = useState<ShownError>();
  const [busy, setBusy] = useState(false);
  const query = useMemo(() => queryOf(filters), [filters]);
  const after = cursors.at(-1);
  const endedJobs = useMemo(
    () => Object.values(jobs).filter((j) => j.status === 'finished' || j.status === 'error').length,
    [jobs],
  );

  // Again when a job ends: its files are in the log now.
  useEffect(() => {
    let live = true;
    getApi()
      .searchDeliveries({ ...query, limit: PAGE, ...(after ? { after } : {}) })
      .then(
        (page) => {
          if (!live) return;
          setEntries(page.entries);
          setNext(page.next);
          setError(undefined);
        },
        (e: unknown) => live && setError(errorInfoOf(e)),
      );
    return () => {
      live = false;
    };
  }, [query, after, endedJobs]);

  const update = (change: Partial<Filters>) => {
    setFilters((f) => ({ ...f, ...change }));
    setCursors([undefined]);
  };

  const exportAs = async (format: 'csv' | 'json') => {
    setBusy(true);
    try {
      const all = await everyEntry(query);
      const stamp = new Date().toISOString().slice(0, 10);
      if (format === 'csv')
        download(`outbox-deliveries-${stamp}.csv`, 'text/csv', deliveriesCsv(all, true));
      else
        download(
          `outbox-deliveries-${stamp}.json`,
          'application/json',
          JSON.stringify(all, null, 2),
        );
    } catch (e) {
      setError(errorInfoOf(e));
    } finally {
      setBusy(false);
    }
  };

  const destinations = [...new Set(profiles.map((p) => p.name))].sort();
  return (
    <div className="stack delivery-log">
      <form className="log-filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <input
          type="search"
          aria-label="Search by file name"
          placeholder="File name"
          value={filters.name}
          onChange={(e) => update({ name: e.currentTarget.value })}
        />
        <input
          aria-label="Filter by destination"
          placeholder="Destination"
          list="log-destinations"
          value={filters.destination}
          onChange={(e) => update({ destination: e.currentTarget.value })}
        />
        <datalist id="log-destinations">
          {destinations.map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
        {dateFields.map(({ key, label, name }) => (
          <label key={key} className="small muted">
            {label}
            <input
              type="date"
              aria-label={name}
              value={filters[key]}
              onChange={(e) => update({ [key]: e.currentTarget.value })}
            />
          </label>
        ))}
      </form>
      <div className="panel-head">
        <p className="muted small">
          Delivered files, newest first · page {cursors.length} · {entries.length} shown
        </p>
        <span className="log-actions">
          {(['csv', 'json'] as const).map((format) => (
            <button
              key={format}
              type="button"
              className="button button-small"
              disabled={busy}
              onClick={() => void exportAs(format)}
            >
              Export {format.toUpperCase()}
            </button>
          ))}
        </span>
      </div>
      {error && <ErrorBox error={error} title="The delivery log could not be read" />}
      {entries.length === 0 ? (
        <p className="muted small">No delivered files match.</p>
      ) : (
        <table className="log-table" aria-label="Delivery log">
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col" className="log-when">
                Delivered
              </th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <DeliveryRow key={entry.id} entry={entry} />
            ))}
          </tbody>
        </table>
      )}
      <div className="log-paging">
        <button
          type="button"
          className="button button-small"
          disabled={cursors.length === 1}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          Newer
        </button>
        <button
          type="button"
          className="button button-small"
          disabled={!next}
          onClick={() => setCursors((c) => [...c, next])}
        >
          Older
        </button>
      </div>
    </div>
  );
}

/**
 * One delivered file: its name and size, then destination, check and
 * location, with the date beside them. Nothing is cut off: long names and
 * locations wrap.
 */
function DeliveryRow({ entry }: { entry: DeliveryEntry }) {
  const delivered = new Date(entry.delivered_at);
  const check = checkOfDelivery(entry.verified_by, entry.operation);
  return (
    <tr title={`${entry.source_path} → ${entry.location ?? entry.destination}`}>
      <td>
        <div className="log-line">
          <span className="log-file">{entry.filename}</span>
          <span className="small">{formatBytes(entry.size)}</span>
        </div>
        <div className="small muted">
          {entry.destination} · <span title={check.sentence}>{check.words}</span>
          {entry.location && <> · {entry.location}</>}
        </div>
      </td>
      <td className="log-when small muted">
        <time dateTime={entry.delivered_at} title={delivered.toLocaleString()}>
          {delivered.toLocaleDateString([], { dateStyle: 'short' })}
          <br />
          {delivered.toLocaleTimeString([], { timeStyle: 'short' })}
        </time>
      </td>
    </tr>
  );
}
