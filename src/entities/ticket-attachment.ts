import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bool, instant } from './columns';

/**
 * A file attached to a ticket (issue 12): evidence from the submitter, a department's scanned
 * answer, an oversight answer's material. The bytes live in the attachment store under
 * `files/<id[0..1]>/<id>` (and `.preview` for photos); this row refers to them and is written in
 * the transaction of the event that brought the file, whose payload carries its SHA-256 so
 * that the hash chain covers the evidence. The name and the uploader are personal data and
 * live here, never in the event.
 */
@Entity('ticket_attachment')
@Index('idx_ticket_attachment_ticket', ['ticketId', 'eventSeq'])
export class TicketAttachment {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 36 }) ticketId!: string;
  @Column({ type: 'int' }) cycle!: number;
  /** the event that brought the file (its timeline entry) */
  @Column({ type: 'varchar', length: 36 }) eventId!: string;
  /** that event's `seq` on the ticket's chain (the timeline position) */
  @Column({ type: 'int' }) eventSeq!: number;
  /** order among the files of its event (0-based): files are listed in the order they were sent */
  @Column({ type: 'int' }) position!: number;
  /** `create`, `supplement`, `reply`, `conclude`, `decide`, `oversight_response`, `attach` */
  @Column({ type: 'varchar', length: 20 }) context!: string;
  /** the oversight order answered, for `oversight_response` */
  @Column({ type: 'varchar', length: 36, nullable: true }) orderId!: string | null;
  /** internal files are shown to staff only */
  @Column({ type: 'boolean', default: false, transformer: bool }) internal!: boolean;
  @Column({ type: 'varchar', length: 255 }) name!: string;
  /** the media type recognized from the content */
  @Column({ type: 'varchar', length: 100 }) mediaType!: string;
  @Column({ type: 'int' }) size!: number;
  @Column({ type: 'varchar', length: 64 }) sha256!: string;
  @Column({ type: 'boolean', default: false, transformer: bool }) hasPreview!: boolean;
  @Column({ type: 'varchar', length: 36, nullable: true }) uploaderId!: string | null;
  @Column({ type: 'varchar', length: 16 }) uploaderRole!: string;
  @Column(instant) createdAt!: Date;
}
