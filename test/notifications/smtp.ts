import { SMTPServer, SMTPServerAddress } from 'smtp-server';
import { simpleParser, ParsedMail } from 'mailparser';
import { AddressInfo } from 'node:net';

export interface Received {
  to: string[];
  parsed: ParsedMail;
  messageId: string;
}

/** Per recipient: how long to wait before answering its RCPT TO and the end of its DATA, ms. */
export type Delay = (rcpt: string) => { rcptMs?: number; dataMs?: number };

/**
 * A real SMTP server for tests (smtp-server), parsing what it accepts with mailparser.
 * `refuse(rcpt)` may return an SMTP code to refuse a recipient (451 temporary, 550
 * permanent); `hold` keeps DATA unanswered until `release()` (to kill a worker mid-delivery);
 * `setDelay` answers RCPT TO or DATA late (a slow server: a delivery that outlives its lease).
 */
export async function startSmtp(o: { refuse?: (rcpt: string) => number | null } = {}) {
  const received: Received[] = [];
  const rcptAttempts: string[] = [];
  let hold = false;
  const held: (() => void)[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const state: { refuse: (rcpt: string) => number | null; delay: Delay } = { refuse: o.refuse ?? (() => null), delay: () => ({}) };
  const later = (ms: number | undefined, f: () => void) => (ms ? setTimeout(f, ms) : f());
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address: SMTPServerAddress, session, cb) {
      rcptAttempts.push(address.address);
      const delay = state.delay(address.address);
      (session as unknown as { delay?: ReturnType<Delay> }).delay = delay;
      const code = state.refuse(address.address);
      later(delay.rcptMs, () => {
        if (code) {
          const err = new Error(code >= 500 ? 'mailbox unavailable' : 'try again later') as Error & { responseCode: number };
          err.responseCode = code;
          return cb(err);
        }
        cb();
      });
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const finish = async () => {
          const parsed = await simpleParser(Buffer.concat(chunks));
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), parsed, messageId: parsed.messageId ?? '' });
          cb();
          waiters = waiters.filter((w) => {
            if (received.length >= w.n) {
              w.resolve();
              return false;
            }
            return true;
          });
        };
        if (hold) held.push(() => void finish());
        else later((session as unknown as { delay?: ReturnType<Delay> }).delay?.dataMs, () => void finish());
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    rcptAttempts,
    setRefuse(f: (rcpt: string) => number | null) {
      state.refuse = f;
    },
    /** delays the answers to a message's RCPT TO and to its DATA (after the whole message arrived: it is received either way) */
    setDelay(f: Delay) {
      state.delay = f;
    },
    holdData(on: boolean) {
      hold = on;
    },
    get heldCount() {
      return held.length;
    },
    /** accepts every message held in DATA now (answers 250) */
    releaseHeld() {
      for (const f of held.splice(0)) f();
    },
    /** forgets messages held in DATA without accepting them (their client is gone) */
    dropHeld() {
      held.length = 0;
    },
    /** waits until at least `n` messages were accepted (or throws after `ms`) */
    async waitFor(n: number, ms = 20_000) {
      if (received.length >= n) return;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${n} messages, got ${received.length}`)), ms);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
      });
    },
    to(addr: string) {
      return received.filter((m) => m.to.includes(addr));
    },
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Polls `f` until it returns true (or throws after `ms`). */
export async function until(f: () => Promise<boolean> | boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
