/**
 * Attachments (evidence) on tickets: which types are accepted, who may attach files and who
 * may read them (DESIGN §3, §7; docs/decisions/attachments.md). Pure: no I/O.
 */
import { Action, Actor, OPEN_STATES, TicketFacts, canView, isDispatcher, isHandlingStaff, isSubmitter } from './lifecycle';
import { hasVisibleText } from './text';

export type AttachmentKind = 'photo' | 'document' | 'audio';

/** One accepted file type, recognized by content (the sniffed media type), never by name. */
export interface AttachmentType {
  /** the media type served on download */
  mime: string;
  /** extension given to the stored name (the first); the others count as matching names */
  ext: readonly string[];
  kind: AttachmentKind;
  /** photos are re-encoded without metadata and get a preview (HEIC: metadata blanked, no preview) */
  photo?: 'reencode' | 'blank-metadata';
}

/**
 * The accepted types (issue 12): photos (JPEG, PNG, WebP, HEIC), documents (PDF, DOCX, XLSX)
 * and recordings (MP3, AMR, WAV). Keyed by the media type `file-type` reports. Everything else
 * — SVG, HTML, scripts, archives, macro-enabled Office files, AVIF — is refused (415).
 */
export const ATTACHMENT_TYPES: Readonly<Record<string, AttachmentType>> = {
  'image/jpeg': { mime: 'image/jpeg', ext: ['jpg', 'jpeg'], kind: 'photo', photo: 'reencode' },
  'image/png': { mime: 'image/png', ext: ['png'], kind: 'photo', photo: 'reencode' },
  'image/webp': { mime: 'image/webp', ext: ['webp'], kind: 'photo', photo: 'reencode' },
  'image/heic': { mime: 'image/heic', ext: ['heic', 'heif'], kind: 'photo', photo: 'blank-metadata' },
  'image/heif': { mime: 'image/heif', ext: ['heif', 'heic'], kind: 'photo', photo: 'blank-metadata' },
  'application/pdf': { mime: 'application/pdf', ext: ['pdf'], kind: 'document' },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', ext: ['docx'], kind: 'document' },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', ext: ['xlsx'], kind: 'document' },
  'audio/mpeg': { mime: 'audio/mpeg', ext: ['mp3'], kind: 'audio' },
  'audio/amr': { mime: 'audio/amr', ext: ['amr'], kind: 'audio' },
  'audio/wav': { mime: 'audio/wav', ext: ['wav'], kind: 'audio' },
};

/** The accepted type for a sniffed media type, or null (→ 415). */
export function acceptedType(sniffedMime: string | undefined): AttachmentType | null {
  return (sniffedMime && ATTACHMENT_TYPES[sniffedMime]) || null;
}

/** Default limits (DESIGN §14 `ATTACHMENT_MAX_BYTES`, `ATTACHMENT_MAX_FILES`): 6 files of 10 MiB per action. */
export const DEFAULT_MAX_FILES = 6;
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
/** A ticket holds at most this many files over its whole life (a bound on what one access code can store). */
export const MAX_ATTACHMENTS_PER_TICKET = 60;
/** Photos above this many pixels are refused (a decompression bomb, not a phone photo: 50 MP covers the high-resolution modes). */
export const MAX_PHOTO_PIXELS = 50_000_000;

/** The actions that carry files, besides `create` and the oversight answer (issue 12). */
export const FILE_ACTIONS: readonly Action[] = ['supplement', 'reply', 'conclude', 'decide'];
export const actionTakesFiles = (a: Action) => FILE_ACTIONS.includes(a);

/**
 * Who may add files to a ticket outside an action (`POST /tickets/:id/attachments`), while
 * the ticket is open (a replied ticket too: the owner may show why the answer does not solve
 * it before rating): its submitter (signed-in owner or access code), intake
 * staff on a caller's behalf (not integrity reports), the department handling it, and the
 * dispatching authority (coordinator; supervisors for integrity reports). Never the admin.
 */
export function canAttach(t: TicketFacts, a: Actor): boolean {
  if (!canView(t, a) || !OPEN_STATES.includes(t.state)) return false;
  if (isSubmitter(t, a)) return true;
  if (a.kind !== 'user') return false;
  if (a.role === 'intake') return t.kind !== 'integrity_report';
  return isHandlingStaff(t, a) || isDispatcher(t, a);
}

/**
 * Whether files added by this actor outside an action are internal (staff only): those of
 * departments, coordinators and supervisors are working material; the submitter's and those
 * intake records for a caller are the submitter's own material, which the submitter sees.
 */
export function attachesInternally(a: Actor): boolean {
  return a.kind === 'user' && a.role !== 'owner' && a.role !== 'intake';
}

/**
 * Whether the actor may read (list, download) one attachment (DESIGN §1, §7): only someone who
 * may view the ticket; internal files are for staff; evidence on an integrity report is for
 * discipline supervisors only (each read audited, see {@link isAuditedAttachmentRead}), apart
 * from the reporter's own view of what is not internal. The accused department never sees the
 * ticket, so never any of its files.
 */
export function canReadAttachment(t: TicketFacts, att: { internal: boolean }, a: Actor): boolean {
  if (!canView(t, a)) return false;
  if (isSubmitter(t, a)) return !att.internal;
  if (a.kind !== 'user' || a.role === 'owner') return false;
  if (t.kind === 'integrity_report') return a.role === 'supervisor';
  return true;
}

/** Whether a read of the file is an audited read (`attachment_read` event): integrity-report evidence read by a supervisor. */
export function isAuditedAttachmentRead(t: TicketFacts, a: Actor): boolean {
  return t.kind === 'integrity_report' && a.kind === 'user' && a.role === 'supervisor' && canView(t, a);
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * The name a file is stored and offered under: the base name the client sent (no folders),
 * without control or bidirectional characters, at most 120 characters, with the extension of
 * its real type — a PNG sent as `receipt.pdf` is stored as `receipt.png` — so that the name
 * never claims a type the content is not.
 */
export function storedName(clientName: string | undefined, type: AttachmentType): string {
  const base = ((clientName ?? '').split(/[\\/]/).pop() ?? '').replace(CONTROL, '').trim();
  const m = /^(.*)\.([A-Za-z0-9]{1,5})$/.exec(base);
  const given = m ? m[2].toLowerCase() : '';
  const cut = Array.from((m ? m[1] : base).replace(/^\.+/, ''))
    .slice(0, 100)
    .join('')
    .trim();
  // A name that shows nothing (zero-width or other invisible characters only) is no name (issue 13 item 10).
  const stem = hasVisibleText(cut) ? cut : 'file';
  return `${stem}.${type.ext.includes(given) ? given : type.ext[0]}`;
}

/**
 * Timeline entries a signed-in submitter does not see: internal notes, audited reads
 * (`identity_read`, `contact_read`, `attachment_read`) and staff's internal attachments.
 */
export function isHiddenFromSubmitter(e: { type: string; payload: Record<string, unknown> }): boolean {
  return e.type === 'note' || e.type === 'identity_read' || e.type === 'contact_read' || e.type === 'attachment_read' || (e.type === 'attached' && e.payload.internal === true);
}
