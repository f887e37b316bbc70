/**
 * An S3-compatible store on loopback for the tests (s3rver, files in a temporary directory), and the environment
 * that points the CLI at it. Nothing here touches the network.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export interface LocalS3 {
  /** Environment for the CLI: endpoint, credentials, region; no instance metadata lookups. */
  env: NodeJS.ProcessEnv;
  client: S3Client;
  put(key: string, body: string | Buffer, bucket?: string): Promise<void>;
  get(key: string, bucket?: string): Promise<Buffer | null>;
  keys(prefix?: string, bucket?: string): Promise<string[]>;
  remove(key: string, bucket?: string): Promise<void>;
  /** Parts of multipart uploads the store has received (completed or not). */
  partsReceived(): number;
  close(): Promise<void>;
}

export const BUCKET = 'bucket';

export async function startS3(buckets: string[] = [BUCKET]): Promise<LocalS3> {
  const directory = mkdtempSync(path.join(tmpdir(), 'batch-score-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = (await server.run()) as { port: number };
  const env = {
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'; // this process's client, not the CLI's
  const client = new S3Client({
    endpoint: env.AWS_ENDPOINT_URL,
    region: env.AWS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    // The CLI must keep the SDK's Node version warning off stderr by itself.
    env: { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined },
    client,
    async put(key, body, bucket = BUCKET) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async get(key, bucket = BUCKET) {
      try {
        const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await got.Body!.transformToByteArray());
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchKey') return null;
        throw err;
      }
    },
    async keys(prefix = '', bucket = BUCKET) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (page.Contents ?? []).map((o) => o.Key!);
    },
    async remove(key, bucket = BUCKET) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    partsReceived() {
      const walk = (dir: string): number =>
        readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? walk(path.join(dir, e.name)) : /^\d+$/.test(e.name) ? 1 : 0), 0);
      return walk(directory);
    },
    async close() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
