import { ValidationError } from '../errors';

/** The import task of the job a drop (or `outbox export`) runs. */
export const IMPORT_TASK = 'import-files';
/** Its export task when there is one destination. */
export const EXPORT_TASK = 'export';

/**
 * Names of the export tasks of a drop: `export` for one destination (as
 * always); for several, each profile's own name (`outbox jobs share JOB
 * backups`), `export-N` for a task that names none or whose name is taken.
 */
export function exportTaskNames(tasks: Record<string, unknown>[]): string[] {
  if (tasks.length === 1) return [EXPORT_TASK];
  const taken = new Set([IMPORT_TASK, '__proto__']);
  const profiles = new Set<string>();
  return tasks.map((task, i) => {
    const profile = typeof task.profile === 'string' ? task.profile : '';
    if (profile !== '' && Object.keys(task).length === 1) {
      if (profiles.has(profile)) {
        throw ValidationError.of('destinations', `"${profile}" is chosen twice`);
      }
      profiles.add(profile);
    }
    let name = profile.trim() === '' ? `export-${i + 1}` : profile;
    for (let n = i + 1; taken.has(name); n++) name = `export-${n}`;
    taken.add(name);
    return name;
  });
}

/**
 * The job that applies export tasks (without `input`) to files: what a drop
 * in the UI and `outbox export` run. One import task, so the files are
 * listed and checked once, and one export task per destination, each with
 * its own progress, verification and result; one failing does not stop the
 * others.
 */
export function exportJobOf(
  tasks: Record<string, unknown>[],
  paths: string[],
): { tasks: Record<string, Record<string, unknown>> } {
  if (tasks.length === 0) throw ValidationError.of('destinations', 'choose at least one');
  const names = exportTaskNames(tasks);
  const job: Record<string, Record<string, unknown>> = {
    [IMPORT_TASK]: { operation: 'import/file', path: paths },
  };
  tasks.forEach((task, i) => (job[names[i] as string] = { ...task, input: IMPORT_TASK }));
  return { tasks: job };
}
