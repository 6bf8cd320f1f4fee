import { nanoid } from 'nanoid';

/**
 * A stored record's id (a link's, a profile's): 72 random bits in 12 URL-safe
 * characters, also its file name. Never starts with "-": a command line
 * (`outbox links revoke ID`, `cat ID.json`) would read it as an option.
 */
export function newRecordId(): string {
  for (;;) {
    const id = nanoid(12);
    if (!id.startsWith('-')) return id;
  }
}
