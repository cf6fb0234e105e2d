import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row per year; ticket numbers come from it inside the creating transaction (DESIGN §11). */
@Entity('ticket_counter')
export class TicketCounter {
  @PrimaryColumn({ type: 'int' }) year!: number;
  @Column({ type: 'int' }) lastValue!: number;
}
