/**
 * --resume with --output-dir (issue 17): one checkpoint beside each input's output, as with -o. An input whose
 * journal says its output is complete is skipped (its files are committed as they are), the one that was
 * interrupted goes on from its checkpoint, the rest start afresh; every output is committed together at the end,
 * as in any --output-dir run.
 */
import type { Options } from '../../options.js';
import { checkpointFiles } from '../../output/checkpointFiles.js';
import type { ResumedFiles } from '../../output/runOutputs.js';
import { isS3Url } from '../../storage/s3.js';
import { RunCheckpoint } from './runCheckpoint.js';

export class DirCheckpoints {
  private constructor(
    /** Each input's checkpoint, in input order (null: an s3:// output, which keeps none). */
    readonly each: Array<RunCheckpoint | null>,
    private readonly dir: string,
  ) {}

  /**
   * The checkpoints of each input's run (`each`: DirOutputs.plan(), DIR made), found before any output is opened;
   * refused as with -o when one is another job's.
   */
  static async find(each: Options[], modelSha256: string): Promise<DirCheckpoints> {
    const found: Array<RunCheckpoint | null> = [];
    for (const o of each) found.push(isS3Url(o.output!) ? null : await RunCheckpoint.find(o, modelSha256, checkpointFiles(o.output!, o.errorsPath)));
    return new DirCheckpoints(found, each[0]?.outputDir ?? '');
  }

  /** Each input's files kept by its checkpoint, for DirOutputs.open(). */
  get kept(): Array<ResumedFiles | null> {
    return this.each.map((c) => c?.kept ?? null);
  }

  /** Records read before the checkpoints this run continues, all inputs together (undefined: none is continued). */
  get resumedFrom(): number | undefined {
    const continued = this.each.filter((c) => c?.resumedFrom !== undefined);
    return continued.length === 0 ? undefined : continued.reduce((sum, c) => sum + c!.resumedFrom!, 0);
  }

  get where(): string {
    const complete = this.each.filter((c) => c?.complete).length;
    const continued = this.each.filter((c) => c?.resumedFrom !== undefined && !c.complete).length;
    return `checkpoints in ${this.dir}: ${complete} input${complete === 1 ? '' : 's'} complete, ${continued} continued`;
  }

  async settle(): Promise<void> {
    for (const c of this.each) await c?.settle();
  }

  async completed(): Promise<void> {
    for (const c of this.each) await c?.completed();
  }

  async stopped(threshold: boolean): Promise<void> {
    for (const c of this.each) await c?.stopped(threshold);
  }
}
