/**
 * Object storage (issue 16): `s3://bucket/key` inputs and outputs through the AWS SDK. Credentials and region come
 * from the SDK's standard chain (environment, shared config, instance/pod roles); `AWS_ENDPOINT_URL` (or
 * `AWS_ENDPOINT_URL_S3`) points it at an S3-compatible store, which is then addressed path-style.
 *
 * Reading streams the object's body (memory bounded by the HTTP stream's buffers). Writing is a multipart upload
 * (lib-storage's Upload) that is completed only when the run commits, and aborted otherwise: no object, not even a
 * partial one, appears at the key of a failed or killed run.
 *
 * A bottom layer: input (sources) and output (sinks) both use it and import nothing from each other.
 */
import { PassThrough, Readable, type Writable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Upload } from '@aws-sdk/lib-storage';
import { RunError, oneLine } from '../errors.js';

export interface S3Location {
  bucket: string;
  key: string;
}

const PREFIX = 's3://';

export function isS3Url(name: string): boolean {
  return name.startsWith(PREFIX);
}

/** `s3://bucket/key` → its parts; a URL without a bucket is a usage error. */
export function parseS3Url(url: string): S3Location {
  const rest = url.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (bucket === '') throw new RunError('USAGE', `${url} names no bucket; write s3://bucket/key`);
  return { bucket, key: slash < 0 ? '' : rest.slice(slash + 1) };
}

/** The SDK's classes this module uses, and the process's one client. */
interface S3 {
  sdk: typeof import('@aws-sdk/client-s3');
  Upload: typeof Upload;
  client: S3Client;
}

let loaded: Promise<S3> | null = null;

/**
 * The SDK and one client per process, loaded and made on first use: a run without s3:// URLs never loads the SDK's
 * modules (a few tenths of a second of every start, see the README's design notes) nor credentials.
 */
function s3(): Promise<S3> {
  return (loaded ??= loadS3());
}

async function loadS3(): Promise<S3> {
  const [sdk, { Upload }] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]);
  // The SDK warns on stderr that its releases after January 2027 need Node ≥ 22; that is not the user's concern
  // in a run (the README says which Node versions batch-score supports). This is the SDK's documented switch.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  const client = new sdk.S3Client({
    // S3-compatible stores reject the SDK's default flexible checksums; WHEN_REQUIRED is the documented switch.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    forcePathStyle: endpoint !== undefined && endpoint !== '',
  });
  return { sdk, Upload, client };
}

/** An SDK failure as one line naming the object: `NoSuchKey`, `AccessDenied`, a missing region… */
export function s3Error(code: 'INPUT' | 'OUTPUT', verb: string, url: string, err: unknown): RunError {
  if (err instanceof RunError) return err;
  const name = (err as { name?: string }).name;
  const message = oneLine(err);
  const why = name && name !== 'Error' && !message.includes(name) ? `${name}: ${message}` : message;
  return new RunError(code, `cannot ${verb} ${url}: ${why}`, { cause: err });
}

/** The object's size in bytes (HEAD). */
export async function objectSize(url: string): Promise<number> {
  const { bucket, key } = parseS3Url(url);
  const { sdk, client } = await s3();
  try {
    const head = await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.ContentLength ?? 0;
  } catch (err) {
    const missing = (err as { name?: string }).name === 'NotFound';
    throw missing ? new RunError('INPUT', `cannot read input ${url}: no such object`) : s3Error('INPUT', 'read input', url, err);
  }
}

/** Every object under a prefix (`s3://bucket/dir/`), as URLs in key order; an empty listing is an input error. */
export async function listObjects(prefixUrl: string): Promise<string[]> {
  const { bucket, key } = parseS3Url(prefixUrl);
  const { sdk, client } = await s3();
  const urls: string[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) urls.push(`${PREFIX}${bucket}/${o.Key}`);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (err) {
    throw s3Error('INPUT', 'list', prefixUrl, err);
  }
  if (urls.length === 0) throw new RunError('INPUT', `no objects under ${prefixUrl}`);
  // ListObjectsV2 returns keys in UTF-8 binary order; sorting the same way says so whatever the store.
  return urls.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** The object's bytes [start, end) (all of it by default), streamed. */
export async function readObject(url: string, start = 0, end?: number): Promise<Readable> {
  const { bucket, key } = parseS3Url(url);
  if (end !== undefined && end <= start) return Readable.from([]);
  const range = start > 0 || end !== undefined ? `bytes=${start}-${end === undefined ? '' : end - 1}` : undefined;
  const { sdk, client } = await s3();
  try {
    const got = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
    return got.Body as Readable;
  } catch (err) {
    const missing = (err as { name?: string }).name === 'NoSuchKey';
    throw missing ? new RunError('INPUT', `cannot read input ${url}: no such object`) : s3Error('INPUT', 'read input', url, err);
  }
}

/** A whole small object as text (a baseline profile, say). */
export async function readObjectText(url: string): Promise<string> {
  const parts: Buffer[] = [];
  for await (const b of await readObject(url)) parts.push(b as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/**
 * Stops a run before it reads anything when the bucket of an output does not exist. Any other answer (403 from a
 * role allowed to write objects but not to look at the bucket) lets the run go on: the upload will tell.
 */
export async function checkBucket(url: string): Promise<void> {
  const { bucket } = parseS3Url(url);
  const { sdk, client } = await s3();
  try {
    await client.send(new sdk.HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) throw new RunError('OUTPUT', `cannot write ${url}: no such bucket ${bucket}`);
  }
}

export async function deleteObject(url: string): Promise<void> {
  const { bucket, key } = parseS3Url(url);
  const { sdk, client } = await s3();
  try {
    await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } catch (err) {
    throw s3Error('OUTPUT', 'remove', url, err);
  }
}

/**
 * Parts of 8 MiB, two in flight: at most ~16 MiB buffered per upload (lib-storage holds queueSize × partSize),
 * well within the run's memory budget.
 */
const PART_BYTES = 8 << 20;
const PARTS_IN_FLIGHT = 2;

/**
 * A multipart upload fed as a stream: `body` takes the bytes; `complete()` ends it and waits for the object to be
 * created; `abort()` drops it (the store discards the parts). Small bodies become one PutObject at completion.
 */
export class S3Upload {
  readonly body: Writable;
  private readonly upload: Upload;
  private readonly done: Promise<unknown>;
  private failure: unknown;

  /** Starts the upload of `url` (the SDK loaded first). */
  static async start(url: string): Promise<S3Upload> {
    const { bucket, key } = parseS3Url(url);
    if (key === '' || key.endsWith('/')) throw new RunError('USAGE', `cannot write ${url}: give an object key, not a bucket or a prefix`);
    return new S3Upload(url, bucket, key, await s3());
  }

  private constructor(readonly url: string, bucket: string, key: string, { Upload, client }: S3) {
    const body = new PassThrough();
    this.body = body;
    this.upload = new Upload({ client, params: { Bucket: bucket, Key: key, Body: body }, partSize: PART_BYTES, queueSize: PARTS_IN_FLIGHT });
    this.done = this.upload.done();
    this.done.catch((err) => (this.failure ??= err));
  }

  /** The first error of the upload so far, as an OUTPUT run error. */
  check(): void {
    if (this.failure !== undefined) throw s3Error('OUTPUT', 'write', this.url, this.failure);
  }

  async complete(): Promise<void> {
    this.check();
    if (!this.body.writableEnded) this.body.end();
    try {
      await this.done;
    } catch (err) {
      throw s3Error('OUTPUT', 'write', this.url, err);
    }
  }

  async abort(): Promise<void> {
    await this.upload.abort().catch(() => undefined);
    this.body.destroy();
    await this.done.catch(() => undefined);
  }
}

/** Writes a whole object (from a file's stream or text) at once. */
export async function putObject(url: string, content: Readable | string): Promise<void> {
  const { bucket, key } = parseS3Url(url);
  const { Upload, client } = await s3();
  const upload = new Upload({ client, params: { Bucket: bucket, Key: key, Body: content }, partSize: PART_BYTES, queueSize: PARTS_IN_FLIGHT });
  try {
    await upload.done();
  } catch (err) {
    throw s3Error('OUTPUT', 'write', url, err);
  }
}
