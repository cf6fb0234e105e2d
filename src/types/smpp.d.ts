/** The parts of the `smpp` package (no published types) this service uses. */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  export interface Session extends EventEmitter {
    send(pdu: unknown): boolean;
    close(cb?: () => void): void;
    destroy(cb?: () => void): void;
    pause(): void;
    resume(): void;
    [command: string]: any;
  }
  export interface Server extends EventEmitter {
    listen(port: number, host?: string, cb?: () => void): this;
    close(cb?: () => void): void;
    address(): { port: number } | string | null;
  }
  export function connect(o: { host: string; port: number } | string): Session;
  export function createServer(o: Record<string, unknown>, listener: (s: Session) => void): Server;
  export function createServer(listener: (s: Session) => void): Server;
  export const errors: Record<string, number>;
  const smpp: { connect: typeof connect; createServer: typeof createServer; errors: Record<string, number>; [k: string]: any };
  export default smpp;
}
