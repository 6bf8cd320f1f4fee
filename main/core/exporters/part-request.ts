import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Agent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { failWhenIdle } from '../http/idle-timeout';
import type { ProgressSink } from './exporter';
import { wholeBody, type PreparedPart } from './parts';

/**
 * One request whose body is a prepared part, made with node:http rather than
 * an SDK's request stack: the uploads of one request that S3's PutObject and
 * GCS's small files make themselves (s3/put-object.ts, google-cloud-storage/multipart-upload.ts).
 */
export type PartRequest = {
  /** Scheme, host and port. */
  origin: URL;
  method: string;
  path: string;
  headers: OutgoingHttpHeaders;
  /** Keep-alive connections of the destination. */
  agent: Agent;
  signal: AbortSignal;
  /** No byte either way on the socket for this long fails the request. */
  idleTimeoutMs: number;
};

/** Keep-alive connections to `origin` (an https agent for https), for its PartRequests. */
export function keepAliveAgent(origin: URL): Agent {
  return origin.protocol === 'https:'
    ? new HttpsAgent({ keepAlive: true })
    : new Agent({ keepAlive: true });
}

/** The multipart framing around a part's bytes: its headers before, its closing boundary after. */
export type Framing = { head: Buffer; tail: Buffer };

/**
 * Writes `part` as the body of `request`, between `framing`'s bytes if any:
 * in one write when wholeBody has it (framed: one copy of at most 1 MiB),
 * else as its stream. A body cut off because the server answered early fails
 * through `onError`; the answer came first and counts.
 */
function writePart(
  part: PreparedPart,
  request: ClientRequest,
  progress: ProgressSink,
  onError: (error: unknown) => void,
  framing?: Framing,
): void {
  const whole = wholeBody(part);
  if (whole) {
    const body = framing ? Buffer.concat([framing.head, whole, framing.tail]) : whole;
    request.end(body, () => progress.add(part.length));
  } else if (framing) {
    request.write(framing.head);
    pipeline(part.body(progress), request, { end: false })
      .then(() => request.end(framing.tail))
      .catch(onError);
  } else {
    pipeline(part.body(progress), request).catch(onError);
  }
}

/** Sends `part` as the body of `request`; resolves with the answer once it starts, for the caller to read. */
export function sendPart(
  request: PartRequest,
  part: PreparedPart,
  progress: ProgressSink,
  framing?: Framing,
): Promise<IncomingMessage> {
  const { origin } = request;
  const send = origin.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send({
      method: request.method,
      hostname: origin.hostname,
      port: origin.port || undefined,
      path: request.path,
      headers: request.headers,
      agent: request.agent,
      signal: request.signal,
    });
    failWhenIdle(req, request.idleTimeoutMs);
    req.on('error', reject);
    req.on('response', resolve);
    writePart(part, req, progress, reject, framing);
  });
}
