import type { ServerResponse } from 'node:http';

/**
 * Answers with `body` from memory, its length known, never cached: the
 * server's texts, pages and API envelopes. `head`: headers only (HEAD).
 */
export function sendBody(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  head = false,
): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(head ? undefined : body);
}
