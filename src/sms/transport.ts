import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Smpp from 'smpp';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { concatHeader, concatReference, segmentText, ucs2, unmarkSecrets } from './text';

/** One text to one mobile number; `skipParts` parts were accepted by an earlier attempt. */
export interface OutgoingSms {
  id: string;
  to: string;
  text: string;
  skipParts?: number;
}
/** What the gateway accepted: one message id per part (earlier attempts' parts not included). */
export interface SmsSent {
  messageIds: string[];
  segments: number;
  response: string;
}

/** A delivery receipt (SMPP `deliver_sm` flagged as a receipt). */
export interface SmsReceiptInfo {
  messageId: string;
  status: string;
  error: string | null;
  outboxId: string | null;
}

/**
 * A refusal or fault while sending; `sentIds` are the parts the gateway accepted before it
 * (the next attempt skips them, so no part reaches the phone twice). `status` is the SMPP
 * command_status of a refusal, absent for a connection problem.
 */
export class SmsSendError extends Error {
  constructor(
    message: string,
    readonly sentIds: string[],
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SmsSendError';
  }
}

/** Sends texts: SMPP when `SMS_URL` is set, else files `<outboxDir>/<row id>.sms.txt`. */
export interface SmsTransport {
  readonly kind: 'smpp' | 'file';
  /**
   * Resolves when every part was accepted (or the file is written); rejects with `SmsSendError`.
   * `beforePart` is awaited right before each part's `submit_sm` (before writing the file); a
   * rejection stops the text there, with the parts accepted so far in the error.
   */
  send(sms: OutgoingSms, control?: { beforePart?: () => Promise<void> }): Promise<SmsSent>;
  /** receives delivery receipts (SMPP only) */
  onReceipt(listener: (r: SmsReceiptInfo) => void): void;
  close(): Promise<void>;
}

/**
 * The one table of SMPP answers (issue 11): a refusal of the destination itself is
 * permanent (the row is marked failed); everything else — throttling (ESME_RTHROTTLED),
 * a full queue, a system error, a failed bind, a timeout, a dropped connection — is
 * temporary and retried.
 */
const PERMANENT = new Set([
  0x0000000b, // ESME_RINVDSTADR: invalid destination address
  0x00000050, // ESME_RINVDSTTON: invalid destination type of number
  0x00000051, // ESME_RINVDSTNPI: invalid destination numbering plan
]);
export function classifySmsError(err: unknown): { permanent: boolean; message: string } {
  const e = err as SmsSendError;
  const message = String(e?.message ?? err).slice(0, 480);
  return { permanent: e instanceof SmsSendError && e.status !== undefined && PERMANENT.has(e.status), message };
}

/** smpp, loaded with the first SMPP transport (issue 15 item 5: an API process never sends). */
const smppLib = () => require('smpp') as typeof Smpp;
let statusNames: Map<number, string> | null = null;
const statusName = (s: number) => {
  statusNames ??= new Map<number, string>(Object.entries((smppLib() as unknown as { errors: Record<string, number> }).errors).map(([k, v]) => [v, k]));
  return `${statusNames.get(s) ?? 'status'} (0x${s.toString(16).padStart(8, '0')})`;
};

export function createSmsTransport(config: Pick<Config, 'smsUrl' | 'outboxDir'>, log?: Logger): SmsTransport {
  if (config.smsUrl) return smppTransport(config.smsUrl, log);
  const dir = config.outboxDir;
  return {
    kind: 'file',
    async send(sms, control) {
      const parts = segmentText(unmarkSecrets(sms.text));
      await control?.beforePart?.().catch((e: Error) => {
        throw new SmsSendError(e.message, []);
      });
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${sms.id}.sms.txt`);
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, `To: ${sms.to}\nSegments: ${parts.length}\n\n${unmarkSecrets(sms.text)}\n`);
      renameSync(tmp, file);
      return { messageIds: [`file:${sms.id}`], segments: parts.length, response: `written ${file}` };
    },
    onReceipt() {},
    async close() {},
  };
}

interface SmppSession {
  on(ev: string, f: (...a: any[]) => void): void;
  once(ev: string, f: (...a: any[]) => void): void;
  removeAllListeners(): void;
  send(pdu: unknown): boolean;
  bind_transceiver(o: Record<string, unknown>, cb: (pdu: any) => void): boolean;
  submit_sm(o: Record<string, unknown>, cb: (pdu: any) => void): boolean;
  unbind(cb?: (pdu: any) => void): boolean;
  close(cb?: () => void): void;
  destroy(): void;
}

/** How long the gateway may take to answer a bind or a submit before the connection is dropped and the text retried, ms. */
const ANSWER_TIMEOUT_MS = 10_000;

/**
 * SMPP 3.4 over one transceiver bind, opened on the first text and again after any loss
 * (`smpp` npm package). Each part is a `submit_sm` in UCS-2 (data_coding 8) with a
 * concatenation header when there are several, asking for a delivery receipt
 * (registered_delivery 1). Receipts arriving as `deliver_sm` are answered and handed to
 * the listener, with the row id when this process sent it.
 */
function smppTransport(url: string, log?: Logger): SmsTransport {
  const u = new URL(url);
  const systemId = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  const host = u.hostname;
  const port = Number(u.port || 2775);
  let session: Promise<SmppSession> | null = null;
  let closed = false;
  const listeners: ((r: SmsReceiptInfo) => void)[] = [];
  /** message id → row id, for receipts (bounded) */
  const sentBy = new Map<string, string>();
  const inFlight = new Set<(e: Error) => void>();

  const connect = (): Promise<SmppSession> =>
    new Promise((resolve, reject) => {
      const s = smppLib().connect({ host, port }) as unknown as SmppSession;
      let bound = false;
      const fail = (e: Error) => {
        if (session && bound) session = null;
        for (const r of [...inFlight]) r(e);
        if (!bound) reject(e);
        s.removeAllListeners();
        s.on('error', () => undefined);
        s.destroy();
      };
      const timer = setTimeout(() => fail(new Error('SMPP bind timed out')), ANSWER_TIMEOUT_MS);
      s.on('error', (e: Error) => {
        clearTimeout(timer);
        fail(new Error(`SMPP connection: ${e.message}`));
      });
      s.on('close', () => {
        clearTimeout(timer);
        fail(new Error('SMPP connection closed'));
      });
      s.on('deliver_sm', (pdu: any) => {
        s.send(pdu.response());
        if (!(pdu.esm_class & 0x04)) return; // a receipt has message type 0x04; mobile-originated texts are ignored
        const text = Buffer.isBuffer(pdu.short_message?.message) ? pdu.short_message.message.toString('latin1') : String(pdu.short_message?.message ?? pdu.short_message ?? '');
        const id = pdu.receipted_message_id ?? /id:(\S+)/.exec(text)?.[1];
        if (!id) return;
        const status = /stat:(\S+)/.exec(text)?.[1] ?? (pdu.message_state !== undefined ? String(pdu.message_state) : 'UNKNOWN');
        const error = /err:(\S+)/.exec(text)?.[1] ?? null;
        for (const l of listeners) l({ messageId: String(id), status: status.slice(0, 16), error: error ? error.slice(0, 8) : null, outboxId: sentBy.get(String(id)) ?? null });
      });
      s.on('enquire_link', (pdu: any) => {
        s.send(pdu.response());
      });
      s.on('unbind', (pdu: any) => {
        s.send(pdu.response());
        s.close();
      });
      s.once('connect', () => {
        s.bind_transceiver({ system_id: systemId, password }, (pdu: any) => {
          clearTimeout(timer);
          if (pdu.command_status === 0) {
            bound = true;
            resolve(s);
          } else {
            fail(new Error(`SMPP bind refused: ${statusName(pdu.command_status)}`));
          }
        });
      });
    });

  const getSession = () => {
    if (closed) return Promise.reject(new Error('SMS transport closed'));
    if (!session) {
      session = connect();
      session.catch(() => {
        session = null;
      });
    }
    return session;
  };

  const remember = (messageId: string, rowId: string) => {
    sentBy.set(messageId, rowId);
    if (sentBy.size > 100_000) sentBy.delete(sentBy.keys().next().value!);
  };
  /** `rowId` is remembered for the answer's message id at once: the receipt may follow in the same packet. */
  const submit = (s: SmppSession, rowId: string, o: Record<string, unknown>): Promise<any> =>
    new Promise((resolve, reject) => {
      let done = false;
      const finish = (e: Error | null, pdu?: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        inFlight.delete(onLoss);
        if (e) reject(e);
        else resolve(pdu);
      };
      const onLoss = (e: Error) => finish(e);
      const timer = setTimeout(() => {
        finish(new Error('SMPP submit timed out'));
        session = null;
        s.destroy();
      }, ANSWER_TIMEOUT_MS);
      inFlight.add(onLoss);
      if (
        !s.submit_sm(o, (pdu: any) => {
          if (pdu.command_status === 0) remember(String(pdu.message_id ?? ''), rowId);
          finish(null, pdu);
        })
      )
        finish(new Error('SMPP connection not writable'));
    });

  return {
    kind: 'smpp',
    async send(sms, control) {
      const parts = segmentText(unmarkSecrets(sms.text));
      const ref = concatReference(sms.id);
      const ids: string[] = [];
      for (let i = sms.skipParts ?? 0; i < parts.length; i++) {
        let pdu: any;
        try {
          const s = await getSession();
          await control?.beforePart?.();
          const body = ucs2(parts[i]);
          pdu = await submit(s, sms.id, {
            source_addr_ton: 0,
            source_addr_npi: 0,
            source_addr: '',
            dest_addr_ton: 1,
            dest_addr_npi: 1,
            destination_addr: sms.to,
            data_coding: 8,
            esm_class: parts.length > 1 ? 0x40 : 0,
            registered_delivery: 1,
            short_message: parts.length > 1 ? Buffer.concat([concatHeader(ref, parts.length, i + 1), body]) : body,
          });
        } catch (e) {
          throw new SmsSendError((e as Error).message, ids);
        }
        if (pdu.command_status !== 0) throw new SmsSendError(`SMPP refused part ${i + 1}/${parts.length}: ${statusName(pdu.command_status)}`, ids, pdu.command_status);
        const id = String(pdu.message_id ?? '');
        ids.push(id);
      }
      return { messageIds: ids, segments: parts.length, response: `accepted ${ids.join(',')}` };
    },
    onReceipt(l) {
      listeners.push(l);
    },
    async close() {
      closed = true;
      const s = session;
      session = null;
      if (!s) return;
      const sess = await s.catch(() => null);
      if (!sess) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          sess.destroy();
          resolve();
        }, 1000);
        sess.removeAllListeners();
        sess.on('error', () => undefined);
        sess.on('close', () => {
          clearTimeout(t);
          resolve();
        });
        if (!sess.unbind(() => sess.close())) {
          clearTimeout(t);
          sess.destroy();
          resolve();
        }
      });
      log?.debug('SMPP session closed');
    },
  };
}
