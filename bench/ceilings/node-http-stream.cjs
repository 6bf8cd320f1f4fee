/**
 * The ceilings of the link server's large-file lines: Node's own HTTP server
 * on one thread, as Outbox's link server runs, sending one large file with
 * none of the link's checks. Two ways:
 * - `file`: Node's own file stream piped into the response, read 1 MiB at a
 *   time as Outbox reads (fs.createReadStream, stream.pipeline);
 * - `memory`: one 1 MiB buffer sent again and again, the file's length in
 *   all: no file read at all, the bound of Node's socket path. nginx sends
 *   from the page cache with sendfile(2), which Node does not offer for
 *   sockets: a Node server copies each byte into the socket once more.
 * (Plain CommonJS: nothing to build, nothing loaded but node: modules.)
 *
 *   node bench/ceilings/node-http-stream.cjs file|memory FILE PORT
 */
const { createReadStream, statSync } = require('node:fs');
const { createServer } = require('node:http');
const { pipeline } = require('node:stream');

const CHUNK = 1024 * 1024;
const [mode, file, port] = process.argv.slice(2);
if (mode !== 'file' && mode !== 'memory') throw new Error(`mode: file or memory, not ${mode}`);
const size = statSync(file).size;
const chunk = Buffer.alloc(CHUNK, 0x5a);

/** `size` bytes of `chunk`, waiting for 'drain' whenever the socket's buffer is full. */
function fromMemory(response) {
  let left = size;
  const more = () => {
    while (left > 0) {
      const piece = left >= CHUNK ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!response.write(piece)) return void response.once('drain', more);
    }
    response.end();
  };
  more();
}

createServer((request, response) => {
  response.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': size,
  });
  if (request.method === 'HEAD') response.end();
  else if (mode === 'memory') fromMemory(response);
  else pipeline(createReadStream(file, { highWaterMark: CHUNK }), response, () => {});
}).listen(Number(port), '127.0.0.1');
