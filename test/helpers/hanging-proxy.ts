import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';

/**
 * A server that can hang: while hung it accepts TCP connections and never answers (no
 * greeting, no reply to anything, what the client sends is read and dropped), as a stopped
 * but still listening mail server or SMS gateway does; otherwise every connection is passed
 * through to the real server at `target`. Switching either way closes the connections of the
 * other state (a server that hangs, or comes back after a restart), so a client's pooled
 * connection or bound session meets the new state on its next connection.
 */
export class HangingProxy {
  private server: Server | null = null;
  private readonly hung = new Set<Socket>();
  private readonly passed = new Set<Socket>();
  private hanging = false;
  /** connections accepted and left unanswered, in all */
  accepted = 0;
  constructor(private readonly target: { port: number; host?: string }) {}

  /** listens on an ephemeral port of 127.0.0.1; returns it */
  async open(): Promise<number> {
    const server = createServer((client) => {
      client.on('error', () => undefined);
      if (this.hanging) {
        this.accepted++;
        this.track(this.hung, client);
        client.resume();
        return;
      }
      const upstream = connect(this.target.port, this.target.host ?? '127.0.0.1');
      this.track(this.passed, client);
      this.track(this.passed, upstream);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    this.server = server;
    return (server.address() as AddressInfo).port;
  }
  /** connections open and unanswered now */
  get hungNow(): number {
    return this.hung.size;
  }
  hang(): void {
    this.hanging = true;
    for (const s of this.passed) s.destroy();
  }
  recover(): void {
    this.hanging = false;
    for (const s of this.hung) s.destroy();
  }
  async close(): Promise<void> {
    for (const s of [...this.hung, ...this.passed]) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
  private track(set: Set<Socket>, s: Socket) {
    set.add(s);
    s.on('close', () => set.delete(s));
  }
}
