// A TCP proxy that delays every byte by `ms` each way, in order: a client
// on a slow link (300 ms round trip through delayProxy(port, 150)).
import net from "node:net";

export function delayProxy(targetPort, ms) {
  const sockets = new Set();
  // bytes from one side reach the other ms later, in the order they came
  const pipe = (from, to) => {
    const queue = [];
    let timer = null;
    const drain = () => {
      timer = null;
      const now = Date.now();
      while (queue.length && queue[0].at <= now) to.write(queue.shift().data);
      if (queue.length) timer = setTimeout(drain, queue[0].at - now);
    };
    from.on("data", (data) => {
      queue.push({ at: Date.now() + ms, data });
      if (!timer) timer = setTimeout(drain, ms);
    });
    from.on("end", () => setTimeout(() => to.end(), ms));
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    pipe(client, upstream);
    pipe(upstream, client);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: server.address().port,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    );
  });
}
