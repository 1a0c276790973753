// A plain y-websocket server, the second baseline of bench.mjs: the
// connection handler of y-websocket's own server (@y/websocket-server's
// setupWSConnection, which is what its `y-websocket` bin runs) over a `ws`
// WebSocketServer, with no persistence (YPERSISTENCE unset: every Y.Doc lives
// in the process, nothing is written to disk) and Yjs's default garbage
// collection of deleted content.
//
//   node yjs-server.mjs --port 8080 [--host 127.0.0.1]
//
// The document is the path of the websocket URL, as with the stock server.
// Prints "listening HOST:PORT" on stdout when it accepts connections.  Run by
// bench.mjs as its own node process (with --expose-gc) so that its CPU and RSS
// can be read from /proc/PID; when started with an IPC channel it answers
// {cmd: "gc"} with {gc: true} after a full garbage collection.
//
// The stock bin is not used as is because it brings its own copy of ws 6; the
// handler is the same, and ws is then the same version for all three servers.
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { setupWSConnection } from '@y/websocket-server/utils';

let host = '127.0.0.1';
let port = 0;
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--port') port = Number(process.argv[++i]);
  else if (a === '--host') host = process.argv[++i];
  else {
    console.error(`yjs-server: unknown argument ${a}`);
    process.exit(2);
  }
}
if (process.env.YPERSISTENCE) {
  console.error('yjs-server: YPERSISTENCE is set; the benchmark runs y-websocket in memory');
  process.exit(2);
}

const server = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
const wss = new WebSocketServer({ server });
wss.on('connection', (ws, req) => setupWSConnection(ws, req));

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
