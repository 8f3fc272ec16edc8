// The lab's HTTP server (plain Node, no dependencies), run inside a host's namespace:
//   node httpd.js <listen-ip> <port> [<port>...]
// GET /bytes/<n> answers n bytes (n <= 50 MB); POST/PUT to any path reads and discards the body.
// Prints "ready <port>" once per listening port.
'use strict';
const http = require('node:http');
const [ip, ...ports] = process.argv.slice(2);
const MAX = 50_000_000;
const chunk = Buffer.alloc(64 * 1024, 0x61);
function handle(req, res) {
  if (req.method === 'GET') {
    const m = /^\/bytes\/(\d{1,9})(\?.*)?$/.exec(req.url || '');
    const n = m ? Number(m[1]) : -1;
    if (n < 0 || n > MAX) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
    let left = n;
    const pump = () => {
      while (left > 0) {
        const k = Math.min(left, chunk.length);
        left -= k;
        if (!res.write(k === chunk.length ? chunk : chunk.subarray(0, k))) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
    return;
  }
  let got = 0;
  req.on('data', (d) => (got += d.length));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`received ${got}\n`);
  });
  req.on('error', () => res.destroy());
}
for (const p of ports) {
  const srv = http.createServer(handle);
  srv.keepAliveTimeout = 2000;
  srv.requestTimeout = 120000;
  srv.listen(Number(p), ip, () => process.stdout.write(`ready ${p}\n`));
}
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
