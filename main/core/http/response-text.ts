import type { IncomingMessage } from 'node:http';

/** The whole body of an answer as UTF-8 text (an error's XML or JSON, an object resource). */
export async function responseText(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
