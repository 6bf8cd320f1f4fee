/**
 * Replaces any occurrence of a secret in a message (SDK errors sometimes echo
 * requests). `secrets`: what hiddenPartsOf (secrets.ts) says must never be
 * shown. A module of its own: the exporter workers scrub their messages and
 * load none of the task schemas that secrets.ts reads.
 */
export function scrubSecrets(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[secret]');
  }
  return out;
}
