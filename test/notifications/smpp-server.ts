import smpp from 'smpp';
import type { Session } from 'smpp';

/** One `submit_sm` the server accepted. */
export interface SmppPart {
  to: string;
  messageId: string;
  text: string;
  dataCoding: number;
  udh: Buffer | null;
  ref: number | null;
  total: number;
  seq: number;
}
/** A text as the phone shows it: its parts put together. */
export interface SmppText {
  to: string;
  text: string;
  parts: SmppPart[];
}

/**
 * A real SMPP 3.4 server for tests (the `smpp` package's server side, on localhost): binds
 * with one system_id/password, accepts `submit_sm`, decodes UCS-2 and concatenation
 * headers, sends a delivery receipt (`deliver_sm`, stat DELIVRD) for each accepted part.
 * `behave(to, n)` may answer a part with an SMPP status (ESME_RTHROTTLED, ESME_RINVDSTADR…)
 * or `'drop'` (the connection is destroyed without an answer) or `'hold'` (no answer until
 * `release()`); `n` counts submits so far.
 */
export async function startSmpp(o: { systemId?: string; password?: string } = {}) {
  const systemId = o.systemId ?? 'grievance';
  const password = o.password ?? 'secret';
  const parts: SmppPart[] = [];
  const sessions = new Set<Session>();
  const receipts: string[] = [];
  const held: (() => void)[] = [];
  let submits = 0;
  let nextId = 1;
  const state: { behave: (to: string, n: number) => number | 'drop' | 'hold' | null; receipts: boolean } = { behave: () => null, receipts: true };
  const server = smpp.createServer((s: Session) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    s.on('error', () => undefined);
    s.on('bind_transceiver', (pdu: any) => {
      s.send(pdu.response(pdu.system_id === systemId && pdu.password === password ? {} : { command_status: smpp.errors.ESME_RINVPASWD }));
    });
    s.on('enquire_link', (pdu: any) => s.send(pdu.response()));
    s.on('unbind', (pdu: any) => {
      s.send(pdu.response());
      s.close();
    });
    s.on('submit_sm', (pdu: any) => {
      submits++;
      const to = String(pdu.destination_addr);
      const b = state.behave(to, submits);
      if (b === 'drop') {
        s.destroy();
        return;
      }
      const answer = () => {
        if (typeof b === 'number') {
          s.send(pdu.response({ command_status: b }));
          return;
        }
        const messageId = `m${nextId++}`;
        const sm = pdu.short_message as { udh?: Buffer[]; message: string | Buffer };
        const udh = sm.udh?.[0] ?? null;
        parts.push({ to, messageId, text: String(sm.message), dataCoding: pdu.data_coding, udh, ref: udh ? udh[2] : null, total: udh ? udh[3] : 1, seq: udh ? udh[4] : 1 });
        s.send(pdu.response({ message_id: messageId }));
        if (state.receipts && pdu.registered_delivery) {
          const text = `id:${messageId} sub:001 dlvrd:001 submit date:2611020900 done date:2611020900 stat:DELIVRD err:000 text:`;
          s.deliver_sm({ source_addr: to, destination_addr: '', esm_class: 0x04, short_message: text, receipted_message_id: messageId }, () => {
            receipts.push(messageId);
          });
        }
      };
      if (b === 'hold') held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  /** the texts as phones show them, in the order their last part arrived */
  const texts = (): SmppText[] => {
    const out: SmppText[] = [];
    const groups = new Map<string, SmppPart[]>();
    for (const p of parts) {
      if (p.total === 1) {
        out.push({ to: p.to, text: p.text, parts: [p] });
        continue;
      }
      const k = `${p.to}|${p.ref}|${p.total}`;
      const g = groups.get(k) ?? [];
      g.push(p);
      groups.set(k, g);
      if (new Set(g.map((x) => x.seq)).size === p.total) {
        const sorted = [...g].sort((a, b) => a.seq - b.seq);
        out.push({ to: p.to, text: sorted.map((x) => x.text).join(''), parts: sorted });
        groups.delete(k);
      }
    }
    return out;
  };
  return {
    port,
    url: `smpp://${systemId}:${password}@127.0.0.1:${port}`,
    parts,
    receipts,
    texts,
    to: (phone: string) => texts().filter((t) => t.to === phone),
    get submits() {
      return submits;
    },
    setBehave(f: (to: string, n: number) => number | 'drop' | 'hold' | null) {
      state.behave = f;
    },
    get heldCount() {
      return held.length;
    },
    /** answers every held submit */
    release() {
      for (const f of held.splice(0)) f();
    },
    /** forgets held submits without answering (their client is gone) */
    dropHeld() {
      held.length = 0;
    },
    async close() {
      for (const s of sessions) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
