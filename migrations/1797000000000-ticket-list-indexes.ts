import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * Indexes for the ticket lists at a city's scale (issue 15: `GET /tickets` and the workbench
 * lists at 1,000,000 tickets). The lists page newest first by (created_at, id) under their
 * filters, so each filter's index ends in (created_at, id) and a page of 50 is read in index
 * order instead of sorting every match: (department_code, state, …) for a department's
 * tickets in a state (and every handler's list: their visibility is their department),
 * (department_code, …) for a department's tickets, (state, …), (escalation_level, …), and
 * (created_at, id) for the unfiltered list. The first three replace the indexes that were
 * their prefixes (idx_ticket_dept_state, idx_ticket_state, idx_ticket_created), so a ticket
 * write maintains one index more than before, not four. `id` is spelled out because SQLite,
 * unlike InnoDB, does not append the primary key to a secondary index. `down` restores the
 * old indexes.
 */
export class TicketListIndexes1797000000000 implements MigrationInterface {
  name = 'TicketListIndexes1797000000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.dropIndex('ticket', 'idx_ticket_dept_state');
    await q.dropIndex('ticket', 'idx_ticket_state');
    await q.dropIndex('ticket', 'idx_ticket_created');
    await q.createIndices('ticket', [
      new TableIndex({ name: 'idx_ticket_dept_state_created', columnNames: ['department_code', 'state', 'created_at', 'id'] }),
      new TableIndex({ name: 'idx_ticket_dept_created', columnNames: ['department_code', 'created_at', 'id'] }),
      new TableIndex({ name: 'idx_ticket_state_created', columnNames: ['state', 'created_at', 'id'] }),
      new TableIndex({ name: 'idx_ticket_level_created', columnNames: ['escalation_level', 'created_at', 'id'] }),
      new TableIndex({ name: 'idx_ticket_created_id', columnNames: ['created_at', 'id'] }),
    ]);
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const name of ['idx_ticket_dept_state_created', 'idx_ticket_dept_created', 'idx_ticket_state_created', 'idx_ticket_level_created', 'idx_ticket_created_id']) await q.dropIndex('ticket', name);
    await q.createIndices('ticket', [
      new TableIndex({ name: 'idx_ticket_dept_state', columnNames: ['department_code', 'state'] }),
      new TableIndex({ name: 'idx_ticket_state', columnNames: ['state'] }),
      new TableIndex({ name: 'idx_ticket_created', columnNames: ['created_at'] }),
    ]);
  }
}
