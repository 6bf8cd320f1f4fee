import { generateKeyPairSync } from 'node:crypto';

/**
 * A real RSA key for GCS tasks: Outbox parses `private_key` when it validates
 * a task. The emulator checks no credentials, so any key will do there.
 */
export const gcsTestKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
