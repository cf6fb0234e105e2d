import { connect, createServer, Server, Socket } from 'node:net';

/** One client connection and its connection to the target, with what the stall holds back. */
interface Pair {
  client: Socket;
  upstream: Socket;
  /** writes (and ends) not forwarded while stalled, in order */
  held: { to: Socket; chunk: Buffer | null }[];
}

/**
 * A TCP proxy to `target` that can stall: while paused it accepts connections and reads what
 * either side sends but forwards nothing, in either direction, and closes nothing (as a
 * SIGSTOPped server or a frozen VM looks from the client: connections stay open, no answer
 * comes). `resume()` forwards what was held back, in order, and goes on as a plain proxy. A
 * database stall without stopping the machine's shared MariaDB.
 */
export class StallableProxy {
  private server: Server | null = null;
  private readonly pairs = new Set<Pair>();
  private stalled = false;
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  /** Listens on an ephemeral port of 127.0.0.1 (`port`). */
  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      const pair: Pair = { client, upstream, held: [] };
      this.pairs.add(pair);
      const forward = (to: Socket, chunk: Buffer | null) => {
        if (this.stalled) pair.held.push({ to, chunk });
        else if (chunk) to.write(chunk);
        else to.end();
      };
      client.on('data', (d: Buffer) => forward(upstream, d));
      upstream.on('data', (d: Buffer) => forward(client, d));
      client.on('end', () => forward(upstream, null));
      upstream.on('end', () => forward(client, null));
      for (const s of [client, upstream])
        s.on('error', () => {
          // a reset is passed on as a close (after the stall, if stalled)
          forward(s === client ? upstream : client, null);
        });
      const gone = () => {
        if (client.destroyed && upstream.destroyed) this.pairs.delete(pair);
      };
      client.on('close', gone);
      upstream.on('close', gone);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Stops forwarding bytes, both ways, on every connection (open or new). */
  pause(): void {
    this.stalled = true;
  }

  /** Whether the proxy is stalled now. */
  get paused(): boolean {
    return this.stalled;
  }

  /** Forwards what was held back and goes on forwarding. */
  resume(): void {
    this.stalled = false;
    for (const pair of this.pairs) {
      for (const { to, chunk } of pair.held.splice(0)) {
        if (to.destroyed) continue;
        if (chunk) to.write(chunk);
        else to.end();
      }
    }
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
