import { join } from 'node:path';
import type { Config } from '../config';
import { BlobStore } from './blob-store';
import { fsBlobStore } from './fs-store';
import { parseS3Url } from './s3-url';

export type { BlobStore } from './blob-store';

/** The attachment store of the configuration (DESIGN §14 `STORAGE_URL`): S3-compatible, or files under `DATA_DIR/attachments`. */
export function createBlobStore(config: Pick<Config, 'storageUrl' | 'dataDir'>): BlobStore {
  // The AWS SDK is loaded only when S3 is configured.
  if (config.storageUrl) return (require('./s3-store') as typeof import('./s3-store')).s3BlobStore(parseS3Url(config.storageUrl));
  return fsBlobStore(join(config.dataDir, 'attachments'));
}
