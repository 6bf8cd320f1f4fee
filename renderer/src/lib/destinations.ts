import type { Destination, ProfileView } from '../../../main/core/api/outbox-api';
import { destinationOf } from '../../../main/core/tasks/destinations';
import { exportOperations, type ExportOperation } from '../../../main/core/tasks/operations';

/** Operations a person can save as a profile, in the order the editor offers them (the built-in link last). */
export const profileOperations: ExportOperation[] = [
  ...exportOperations.filter((operation) => operation !== 'export/url'),
  'export/url',
];

/** The built-in destination that needs no setup. */
export const TEMPORARY_LINK = 'Temporary link';

/** The destination a tile of this name sends to: the built-in link, or a saved profile. */
export function destinationNamed(name: string): Destination {
  return name === TEMPORARY_LINK ? { task: { operation: 'export/url' } } : { profile: name };
}

/** One line saying where a profile delivers, e.g. "devstoreaccount1 / photos". */
export function whereOf(profile: Pick<ProfileView, 'operation' | 'params'>): string {
  return destinationOf(profile.operation).where(profile.params);
}

/** What the built-in link destination says about itself, on its tile and in "Send to…" alike. */
export const TEMPORARY_LINK_WHERE = whereOf({ operation: 'export/url', params: {} });
