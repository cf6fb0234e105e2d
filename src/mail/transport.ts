import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type Nodemailer from 'nodemailer';
import type { Config } from '../config';

/** One composed message: one recipient (so that a refusal is about that address only). */
export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** stable per outbox row: `<row id@domain>`, so a message re-sent after a crash carries the same id and mail clients can fold it */
  messageId: string;
  headers?: Record<string, string>;
}

export interface SentInfo {
  messageId: string;
  response: string;
}

/** How the delivery holding the row's claim controls one send (docs/decisions/notifications.md, "The lease while a send is in flight"). */
export interface SendControl {
  /**
   * Awaited right before the message itself goes: over SMTP once the server has answered
   * DATA and before a byte of the message is written, for a file before writing it. A
   * rejection stops the send with nothing delivered (SMTP: the connection is dropped before
   * the message's end, so the server discards it).
   */
  beforeData?: () => Promise<void>;
  /** aborts the send: taken out of the pool's queue, or its connection closed */
  signal?: AbortSignal;
}

/** Sends mail: SMTP when `SMTP_URL` is set, else `.eml` files under `var/outbox/` (DESIGN §14). */
export interface MailTransport {
  readonly kind: 'smtp' | 'eml';
  /** Resolves when the server accepted the message (or the file is written); rejects with nodemailer's error. */
  send(mail: OutgoingMail, fileName: string, control?: SendControl): Promise<SentInfo>;
  close(): void;
}

/** nodemailer, loaded with the first transport: an API process only writes outbox rows and never sends (issue 15 item 5: ~2 MB of heap). */
const mailer = () => require('nodemailer') as typeof Nodemailer;

/**
 * Creates the transport of `config`. SMTP goes through a pool of at most `maxConnections`
 * connections (default 4, the mail worker's deliveries at a time), each used for up to 1,000
 * messages and closed after 30 s idle by the server or on any error: one message at a time per
 * connection, one recipient per message, so a failure still concerns one row only and its
 * retry is the row's (issue 15: a connection per message cost more than the message). SMTP
 * connections time out quickly (10 s to connect, 30 s of silence) so that a hung server shows
 * as a temporary failure and the row is retried, not stuck in a worker. The `.eml` transport composes with nodemailer's stream
 * transport and writes `<fileName>.eml` atomically (temp file + rename): writing the same
 * row twice leaves one file.
 */
export function createMailTransport(config: Pick<Config, 'smtpUrl' | 'outboxDir'>, o: { maxConnections?: number } = {}): MailTransport {
  if (config.smtpUrl) {
    const t = mailer().createTransport({
      url: config.smtpUrl,
      pool: true,
      maxConnections: o.maxConnections ?? 4,
      maxMessages: 1000,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    } as never);
    // The composed message reaches the socket in one write instead of one per MIME chunk
    // (issue 15: the DATA phase's small writes were ~4% of the whole job's CPU): a stream
    // stage that passes the message on whole. Messages are small (texts cut at 3,000
    // characters, no attachments), so holding one costs nothing.
    // The check right before the message (`beforeData`) is the last stage of the message
    // stream: nodemailer reads that stream only once the server has answered DATA.
    t.use('stream', ((
      mail: { data: { beforeData?: () => Promise<void> }; message: { transform(f: () => Transform): void; processFunc(f: (input: Readable) => Readable): void } },
      done: (err?: Error) => void,
    ) => {
      mail.message.transform(wholeMessage);
      const check = mail.data.beforeData;
      if (check) mail.message.processFunc((input) => gated(input, check));
      done();
    }) as never);
    return {
      kind: 'smtp',
      async send(mail, _fileName, control) {
        const info = await t.sendMail({ ...mail, ...(control?.beforeData ? { beforeData: control.beforeData } : {}), ...(control?.signal ? { signal: control.signal } : {}) } as never);
        return { messageId: info.messageId, response: String(info.response ?? '') };
      },
      close: () => t.close(),
    };
  }
  const dir = config.outboxDir;
  const t = mailer().createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'eml',
    async send(mail, fileName, control) {
      const info = await t.sendMail(mail);
      control?.signal?.throwIfAborted();
      await control?.beforeData?.();
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${fileName}.eml`);
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, info.message as Buffer);
      renameSync(tmp, file);
      return { messageId: info.messageId, response: `written ${file}` };
    },
    close: () => t.close(),
  };
}

/**
 * `input` passed on once `check` resolved, which starts when the consumer first reads (the
 * SMTP connection, after the server's answer to DATA); a rejection destroys the stream before
 * anything of the message went out.
 */
function gated(input: Readable, check: () => Promise<void>): Readable {
  let opened: Promise<void> | null = null;
  const out = new Readable({
    read() {
      if (opened) {
        void opened.then(() => input.resume());
        return;
      }
      opened = check().then(
        () => {
          input.on('data', (c: Buffer) => {
            if (!out.push(c)) input.pause();
          });
          input.once('end', () => out.push(null));
        },
        (e: Error) => {
          out.destroy(e);
          input.destroy();
        },
      );
    },
    destroy(err, cb) {
      input.destroy();
      cb(err);
    },
  });
  input.once('error', (e) => out.destroy(e));
  return out;
}

/** A stream stage that passes its input on as one chunk at the end. */
function wholeMessage(): Transform {
  const parts: Buffer[] = [];
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      parts.push(chunk);
      cb();
    },
    flush(cb) {
      cb(null, Buffer.concat(parts));
    },
  });
}

/**
 * The one table of send errors (DESIGN §10): only a permanent refusal of the address
 * — a 5xx reply to RCPT TO, or to DATA (with one recipient per message that is a refusal
 * for that address), or an address nodemailer cannot use at all — is final. Everything
 * else is temporary and retried: 4xx replies, refused or timed-out connections, TLS and
 * authentication problems, a 5xx to MAIL FROM or EHLO (the server's configuration or ours,
 * which someone will fix; the mail must then still go out).
 */
export function classifySendError(err: unknown): { permanent: boolean; message: string } {
  const e = err as { code?: string; responseCode?: number; command?: string; message?: string; response?: string };
  const message = String(e.response || e.message || err).slice(0, 480);
  const rc = e.responseCode ?? 0;
  if (rc >= 500 && rc < 600 && (e.command === 'RCPT TO' || e.command === 'DATA')) return { permanent: true, message };
  if (e.code === 'EENVELOPE' && e.command === 'API' && /recipient/i.test(e.message ?? '')) return { permanent: true, message };
  return { permanent: false, message: `${e.code ? `${e.code}: ` : ''}${message}`.slice(0, 480) };
}
