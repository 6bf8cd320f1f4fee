/**
 * The ceiling of the link server's request-rate lines: Node's own HTTP
 * server on one thread, as Outbox's link server runs, answering every GET
 * with one file's bytes read once into memory: no token, no limits, no
 * unchanged-file check, no download ledger, no connection guard. Outbox ÷
 * this is what those checks cost per request; this ÷ nginx is the bound
 * one Node thread sets against nginx's worker per core.
 * (Plain CommonJS: nothing to build, nothing loaded but node:http.)
 *
 *   node bench/ceilings/node-http-file.cjs FILE PORT
 */
const { readFileSync } = require('node:fs');
const { createServer } = require('node:http');

const [file, port] = process.argv.slice(2);
const body = readFileSync(file);

createServer((_request, response) => {
  response.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': body.length,
  });
  response.end(body);
}).listen(Number(port), '127.0.0.1');
