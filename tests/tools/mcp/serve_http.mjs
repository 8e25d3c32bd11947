// Starts @modelcontextprotocol/server-everything's Streamable HTTP transport on 127.0.0.1 and a
// free port. Its own launcher listens on every interface at $PORT; this wraps net.Server.listen
// to bind loopback only and prints the port it got ("LISTENING <port>") for the test fixture.
import net from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const onListening = typeof args[args.length - 1] === "function" ? args.pop() : undefined;
  return listen.call(this, { host: "127.0.0.1", port: 0 }, () => {
    console.error(`LISTENING ${this.address().port}`);
    if (onListening) onListening();
  });
};
const entry = path.resolve(process.argv[2], "dist/transports/streamableHttp.js");
await import(pathToFileURL(entry).href);
