// server-everything over Streamable HTTP (tests/tools/mcp/serve_http.mjs starts it on 127.0.0.1),
// with one addition for the tracing tests: the traceparent header of every request it receives
// is printed on stderr ("TRACEPARENT <value> <JSON-RPC method>"), before the server handles it.
import http from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, request, ...rest) {
  if (event === "request" && request.headers.traceparent) {
    console.error(`TRACEPARENT ${request.headers.traceparent} ${request.method}`);
  }
  return emit.call(this, event, request, ...rest);
};
const here = path.dirname(fileURLToPath(import.meta.url));
await import(pathToFileURL(path.resolve(here, "../tools/mcp/serve_http.mjs")).href);
