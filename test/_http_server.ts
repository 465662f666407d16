// A local HTTP server for the HTTP caching tests: one handler per path,
// and a record of the requests it saw.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => void;

/** A local server: one handler per path, and a count of requests per path. */
export class TestServer {
  server: Server;
  routes = new Map<string, Handler>();
  hits = new Map<string, number>();
  requests: { path: string; method: string; headers: IncomingMessage["headers"] }[] = [];
  constructor() {
    this.server = createServer((req, res) => {
      const path = req.url ?? "/";
      const n = (this.hits.get(path) ?? 0) + 1;
      this.hits.set(path, n);
      this.requests.push({ path, method: req.method ?? "GET", headers: req.headers });
      const handler = this.routes.get(path);
      if (!handler) {
        res.writeHead(404).end();
        return;
      }
      handler(req, res, n);
    });
  }
  listen(): Promise<string> {
    return new Promise((resolve) => {
      this.server.listen(
        0,
        "127.0.0.1",
        () => resolve(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}`),
      );
    });
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
