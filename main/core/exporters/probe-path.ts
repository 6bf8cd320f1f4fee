import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { textOf, type DescribedParams, type DestinationDescriptor } from '../tasks/destination';

/** The name "Test connection" writes (and removes at once): hidden, and unique to this test. */
function probeName(): string {
  return `.outbox-probe-${randomBytes(6).toString('hex')}`;
}

/**
 * Where "Test connection" writes, read off the descriptor (`probe`): beside the files, after
 * their prefix or in the folder of their fixed name, or else at the root. Worked out on the
 * main thread and sent with the probe: the workers load no descriptors (nor zod).
 */
export function probePath(
  destination: DestinationDescriptor,
  params: DescribedParams,
  name = probeName(),
): string {
  const { naming } = destination;
  if (destination.probe !== 'beside' || naming.kind === 'own') return name;
  const prefix = textOf(params, naming.prefix);
  if (prefix) {
    return naming.prefixKind === 'prefix' ? `${prefix}${name}` : posix.join(prefix, name);
  }
  const fixedName = textOf(params, naming.name);
  const directory = fixedName ? posix.dirname(fixedName) : '.';
  return directory === '.' ? name : `${directory}/${name}`;
}
