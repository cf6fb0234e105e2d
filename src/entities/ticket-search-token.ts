import { Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The search index (issue 15 item 3; docs/decisions/search.md): one row per token of a ticket
 * (`ticketSearchTokens`, domain/search.ts). A query joins one row per word on the primary key
 * (token, ticket id). The token compares byte for byte (`utf8mb4_bin` on MariaDB, SQLite's
 * default BINARY), so both databases match exactly the same tokens.
 */
@Entity('ticket_search_token')
@Index('idx_ticket_search_token_ticket', ['ticketId'])
export class TicketSearchToken {
  @PrimaryColumn({ type: 'varchar', length: 64, collation: 'utf8mb4_bin' }) token!: string;
  @PrimaryColumn({ type: 'varchar', length: 36 }) ticketId!: string;
}
