// A plain ShareDB server, the baseline of bench.mjs: the ot-text-unicode
// type over `ws` with @teamwork/websocket-json-stream, ShareDB's in-memory
// default database (ShareDB.MemoryDB: documents and their op logs live in
// the process, nothing is written to disk) and its in-memory pub/sub.
//
//   node sharedb-server.mjs --port 8080 [--host 127.0.0.1]
//
// Prints "listening HOST:PORT" on stdout when it accepts connections.  Run
// by bench.mjs as its own node process (with --expose-gc) so that its RSS can
// be read from /proc/PID/status; when started with an IPC channel it answers
// {cmd: "gc"} with {gc: true} after a full garbage collection, so that RSS
// figures are not left to the whim of V8's collector.
import http from 'node:http';
import { WebSocketServer } from 'ws';
import ShareDB from 'sharedb';
import WebSocketJSONStream from '@teamwork/websocket-json-stream';
import otText from 'ot-text-unicode';

ShareDB.types.register(otText.type);

let host = '127.0.0.1';
let port = 0;
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--port') port = Number(process.argv[++i]);
  else if (a === '--host') host = process.argv[++i];
  else {
    console.error(`sharedb-server: unknown argument ${a}`);
    process.exit(2);
  }
}

const backend = new ShareDB(); // MemoryDB + MemoryPubSub: the defaults
const server = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  const stream = new WebSocketJSONStream(ws);
  // A client that goes away mid-write must not take the server down.
  stream.on('error', () => {});
  backend.listen(stream);
});

server.listen(port, host, () => {
  const a = server.address();
  console.log(`listening ${a.address}:${a.port}`);
  if (process.send) process.send({ listening: a.port });
});

if (process.send) {
  process.on('message', (m) => {
    if (m && m.cmd === 'gc') {
      if (global.gc) {
        global.gc();
        global.gc();
      }
      process.send({ gc: Boolean(global.gc) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
process.on('SIGTERM', () => process.exit(0));
