import { formatInstant } from '../format';

/** A local path to go back to after a form (never another site), or `fallback`. */
export const localPath = (s: string | undefined, fallback: string): string => (s && /^\/(?!\/)[\w\-/?=&.%]*$/.test(s) ? s : fallback);

/** An instant in Beijing time as the workbench writes it (`2026年11月4日（周三）00:00`). */
export const workTime = (d: Date | string | null | undefined, tz: string): string => formatInstant(d, tz);
