import type { Logger } from '../logger';
import type { BlobStore } from '../storage';
import { stagingKey } from '../storage/blob-store';
import type { StagedFile } from './stage';

/**
 * Deletes staged files that no row refers to (a refused request, a rolled-back action). A
 * delete that fails is logged and left to the orphan sweep; this never throws.
 */
export async function discardStaged(store: BlobStore, files: readonly StagedFile[], log?: Logger): Promise<void> {
  await Promise.all(
    files
      .filter((f) => f.state === 'staged')
      .map(async (f) => {
        f.state = 'discarded';
        try {
          await store.delete(stagingKey(f.id));
          if (f.hasPreview) await store.delete(stagingKey(f.id, true));
        } catch (e) {
          log?.warn({ err: e, attachmentId: f.id }, 'staged file not deleted; the orphan sweep will');
        }
      }),
  );
}
