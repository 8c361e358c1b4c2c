// gateway_js.mjs: the AWS SDK for JavaScript v3 (@aws-sdk/client-s3, and
// lib-storage's Upload, which sends parts) and nodejs-polars (Parquet through
// object_store, with the storage_options of `pail settings polars
// --gateway`) against the S3 gateway of `pail serve`, with node's test
// runner. Run by tests/gateway_s3.sh with:
//   GATEWAY_JS_MODULES  the node_modules directory holding the packages
//                       (scripts/install-deps.sh puts them in
//                       ~/.cache/pail/gateway-js)
//   GATEWAY_ENDPOINT, GATEWAY_KEY_ID, GATEWAY_SECRET  the gateway and a key
//   GATEWAY_POLARS      the file holding `pail settings polars --gateway`
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const require = createRequire(process.env.GATEWAY_JS_MODULES + '/');
const s3sdk = require('@aws-sdk/client-s3');
const { Upload } = require('@aws-sdk/lib-storage');
const pl = require('nodejs-polars');

const Bucket = '_default_';
const client = new s3sdk.S3Client({
  endpoint: process.env.GATEWAY_ENDPOINT,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: {
    accessKeyId: process.env.GATEWAY_KEY_ID,
    secretAccessKey: process.env.GATEWAY_SECRET,
  },
});

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

async function bodyOf(key, range) {
  const got = await client.send(
    new s3sdk.GetObjectCommand({ Bucket, Key: key, Range: range }));
  return Buffer.from(await got.Body.transformToByteArray());
}

test('PutObject, GetObject, HeadObject with metadata', async () => {
  const data = randomBytes(300000);
  const put = await client.send(new s3sdk.PutObjectCommand({
    Bucket, Key: 'js/one.bin', Body: data, ContentType: 'application/x-js',
    Metadata: { origin: 'js' },
  }));
  assert.equal(sha256(await bodyOf('js/one.bin')), sha256(data));
  const head = await client.send(
    new s3sdk.HeadObjectCommand({ Bucket, Key: 'js/one.bin' }));
  assert.equal(head.ETag, put.ETag);
  assert.equal(head.ContentLength, data.length);
  assert.equal(head.ContentType, 'application/x-js');
  assert.deepEqual(head.Metadata, { origin: 'js' });
  assert.deepEqual(await bodyOf('js/one.bin', 'bytes=10-19'),
    data.subarray(10, 20));
});

test('lib-storage Upload in 5 MiB parts', async () => {
  const data = randomBytes(12 * 1024 * 1024 + 7);
  await new Upload({
    client, params: { Bucket, Key: 'js/parts.bin', Body: data },
    partSize: 5 * 1024 * 1024, queueSize: 2,
  }).done();
  assert.equal(sha256(await bodyOf('js/parts.bin')), sha256(data));
});

test('listing, copy and delete', async () => {
  await client.send(new s3sdk.CopyObjectCommand({
    Bucket, Key: 'js/copy.bin', CopySource: `${Bucket}/js/one.bin`,
  }));
  const list = await client.send(new s3sdk.ListObjectsV2Command({
    Bucket, Prefix: 'js/', Delimiter: '/',
  }));
  const keys = list.Contents.map((o) => o.Key);
  assert.ok(keys.includes('js/copy.bin') && keys.includes('js/one.bin'));
  await client.send(new s3sdk.DeleteObjectCommand({ Bucket, Key: 'js/copy.bin' }));
  await assert.rejects(client.send(
    new s3sdk.HeadObjectCommand({ Bucket, Key: 'js/copy.bin' })),
  (e) => e.$metadata.httpStatusCode === 404);
});

test('a wrong secret is SignatureDoesNotMatch', async () => {
  const wrong = new s3sdk.S3Client({
    endpoint: process.env.GATEWAY_ENDPOINT, region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: process.env.GATEWAY_KEY_ID,
      secretAccessKey: process.env.GATEWAY_SECRET + 'x' },
  });
  await assert.rejects(wrong.send(
    new s3sdk.GetObjectCommand({ Bucket, Key: 'js/one.bin' })),
  (e) => e.name === 'SignatureDoesNotMatch');
});

test('nodejs-polars writes and reads Parquet through the gateway', () => {
  const cloudOptions = JSON.parse(readFileSync(process.env.GATEWAY_POLARS));
  const df = pl.DataFrame({
    id: [1, 2, 3],
    name: ['a', 'b', 'c'],
    value: [0.5, 1.5, 2.5],
  });
  const path = `s3://${Bucket}/js/frame.parquet`;
  df.lazy().sinkParquet(path, { cloudOptions }).collectSync();
  const back = pl.scanParquet(path, { cloudOptions }).collectSync();
  assert.deepEqual(back.toRecords(), df.toRecords());
});
