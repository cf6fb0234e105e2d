import { Entity, Index, PrimaryColumn } from 'typeorm';
import { instant } from './columns';

/**
 * The search index (issue 15 item 3; docs/decisions/search.md): one row per token of a ticket
 * (`ticketSearchTokens`, domain/search.ts), with the ticket's creation instant. The primary key
 * (token, created_at, ticket_id) gives a word's tickets newest first, so a list reads a word's
 * newest tickets and stops at the page's end instead of sorting every match. The token
 * compares byte for byte (`utf8mb4_bin` on MariaDB, SQLite's default BINARY), so both
 * databases match exactly the same tokens.
 */
@Entity('ticket_search_token')
@Index('idx_ticket_search_token_ticket', ['ticketId'])
export class TicketSearchToken {
  @PrimaryColumn({ type: 'varchar', length: 64, collation: 'utf8mb4_bin' }) token!: string;
  /** the ticket's `createdAt` (never changes) */
  @PrimaryColumn(instant) createdAt!: Date;
  @PrimaryColumn({ type: 'varchar', length: 36 }) ticketId!: string;
}
