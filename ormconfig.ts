import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { parseConfig } from './src/config';
import { dataSourceOptions } from './src/db-options';

/**
 * The one DataSource, for the TypeORM CLI (`npx typeorm -d build/ormconfig.js migration:run`)
 * and the app (`src/db.ts` builds the same options). `DATABASE_URL` selects MariaDB/MySQL;
 * without it, the embedded SQLite file under `var/`.
 */
const AppDataSource = new DataSource(dataSourceOptions(parseConfig()));
export default AppDataSource;
