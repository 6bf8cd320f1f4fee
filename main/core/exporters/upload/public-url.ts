/**
 * Where an export/upload PUT goes, as it may be shown and stored: scheme,
 * host, port and path. The query and user info are left out: presigned and
 * SAS URLs carry their signature there.
 */
export function publicUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
