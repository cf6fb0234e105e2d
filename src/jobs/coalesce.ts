/**
 * Collects what is handed over during one turn of the event loop and passes it on in one
 * call (issue 15: under load many transactions commit in the same turn; one `addBulk` of all
 * their jobs is one Redis round trip instead of one each). Order is kept; with `key`,
 * duplicates are dropped (the jobs have deterministic ids anyway). `send` gets at most `max`
 * items at a time; its failure is `onError`'s (the callers' sweeps find what was not queued).
 */
export function coalesceItems<T>(
  send: (items: T[]) => Promise<unknown>,
  onError: (err: unknown, items: T[]) => void,
  o: { key?: (item: T) => string; max?: number } = {},
): (items: readonly T[]) => void {
  const max = o.max ?? 500;
  let pending: Map<string, T> | T[] | null = null;
  const flush = () => {
    const all = pending instanceof Map ? [...pending.values()] : pending!;
    pending = null;
    for (let i = 0; i < all.length; i += max) {
      const part = all.slice(i, i + max);
      let p: Promise<unknown>;
      try {
        p = send(part);
      } catch (err) {
        p = Promise.reject(err);
      }
      p.catch((err) => onError(err, part));
    }
  };
  return (items) => {
    if (!items.length) return;
    if (!pending) {
      pending = o.key ? new Map() : [];
      setImmediate(flush);
    }
    if (pending instanceof Map) for (const it of items) pending.set(o.key!(it), it);
    else pending.push(...items);
  };
}

/** `coalesceItems` for ids, duplicates dropped. */
export function coalesce(send: (ids: string[]) => Promise<unknown>, onError: (err: unknown, ids: string[]) => void, max = 500): (ids: readonly string[]) => void {
  return coalesceItems(send, onError, { key: (id) => id, max });
}

/**
 * Group commit for calls made one item at a time (issue 15: the mail worker's claims and
 * marks): `run` gets every item handed over while the previous batch was running (at most
 * `max`; the first batch after a quiet spell waits one turn of the event loop) and returns one
 * result per item, in order. One batch runs at a time, so under load the batches grow while
 * one statement is in flight, and a single call on a quiet system waits one turn. A failure
 * of `run` rejects every call of its batch.
 */
export function batchCalls<I, O>(run: (items: I[]) => Promise<O[]>, max = 100): (item: I) => Promise<O> {
  const queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  let running = false;
  let scheduled = false;
  const next = () => {
    scheduled = false;
    if (running || !queue.length) return;
    const part = queue.splice(0, max);
    running = true;
    let p: Promise<O[]>;
    try {
      p = run(part.map((x) => x.item));
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (outs) => {
        for (let i = 0; i < part.length; i++) part[i].resolve(outs[i]);
      },
      (err) => {
        for (const x of part) x.reject(err);
      },
    ).finally(() => {
      running = false;
      next();
    });
  };
  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!running && !scheduled) {
        scheduled = true;
        setImmediate(next);
      }
    });
}
