// gateway_js.mjs: the AWS SDK for JavaScript v3 (@aws-sdk/client-s3, and
// lib-storage's Upload, which sends parts) and nodejs-polars (Parquet through
// object_store, with the storage_options of `pail settings polars
// --gateway`) against the S3 gateway of `pail serve`, with node's test
// runner. The SDK's round (tests/gateway_clients.sh, on every storage and
// over HTTP and HTTPS) runs with:
//   GATEWAY_JS_MODULES  the node_modules directory holding the packages
//                       (scripts/install-deps.sh puts them in
//                       ~/.cache/pail/gateway-js)
//   GATEWAY_ENDPOINT, GATEWAY_BUCKET, GATEWAY_KEY_ID, GATEWAY_SECRET
//                       the gateway, a bucket and a key
//   NODE_EXTRA_CA_CERTS the certificate of an HTTPS gateway
//   GATEWAY_POLARS      the file holding `pail settings polars --gateway`,
//                       for nodejs-polars (which is left out without it)
// Everything is written under js/ and deleted again; polars' Parquet is
// written under polars/.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const require = createRequire(process.env.GATEWAY_JS_MODULES + '/');
const s3sdk = require('@aws-sdk/client-s3');
const { Upload } = require('@aws-sdk/lib-storage');

const Bucket = process.env.GATEWAY_BUCKET || '_default_';
const options = {
  endpoint: process.env.GATEWAY_ENDPOINT,
  region: 'us-east-1',
  forcePathStyle: true,
  maxAttempts: 1,
  credentials: {
    accessKeyId: process.env.GATEWAY_KEY_ID,
    secretAccessKey: process.env.GATEWAY_SECRET,
  },
};
const client = new s3sdk.S3Client(options);
// The commands the client sent, by name: what shows an upload went in parts.
const sent = [];
client.middlewareStack.add((next, context) => async (args) => {
  sent.push(context.commandName);
  return next(args);
}, { step: 'initialize', name: 'recordCommands' });
const count = (name) => sent.filter((n) => n === name).length;

async function bodyOf(key, range) {
  const got = await client.send(
    new s3sdk.GetObjectCommand({ Bucket, Key: key, Range: range }));
  return Buffer.from(await got.Body.transformToByteArray());
}

const one = randomBytes(300000);
const parts = randomBytes(12 * 1024 * 1024 + 7);
const MiB5 = 5 * 1024 * 1024;

test('PutObject, GetObject whole and a range, HeadObject with metadata', async () => {
  const put = await client.send(new s3sdk.PutObjectCommand({
    Bucket, Key: 'js/dir/one.bin', Body: one, ContentType: 'application/x-js',
    Metadata: { origin: 'js' },
  }));
  assert.ok((await bodyOf('js/dir/one.bin')).equals(one));
  const head = await client.send(
    new s3sdk.HeadObjectCommand({ Bucket, Key: 'js/dir/one.bin' }));
  assert.equal(head.ETag, put.ETag);
  assert.equal(head.ContentLength, one.length);
  assert.equal(head.ContentType, 'application/x-js');
  assert.deepEqual(head.Metadata, { origin: 'js' });
  assert.ok((await bodyOf('js/dir/one.bin', 'bytes=10-19'))
    .equals(one.subarray(10, 20)));
});

test('lib-storage Upload in 5 MiB parts, with metadata', async () => {
  await new Upload({
    client,
    params: { Bucket, Key: 'js/parts.bin', Body: parts,
      Metadata: { origin: 'js-parts' } },
    partSize: MiB5, queueSize: 2,
  }).done();
  assert.equal(count('CreateMultipartUploadCommand'), 1);
  assert.equal(count('UploadPartCommand'), 3);
  assert.equal(count('CompleteMultipartUploadCommand'), 1);
  assert.ok((await bodyOf('js/parts.bin')).equals(parts));
  // A range across the first two parts.
  assert.ok((await bodyOf('js/parts.bin', `bytes=${MiB5 - 10}-${MiB5 + 9}`))
    .equals(parts.subarray(MiB5 - 10, MiB5 + 10)));
  const head = await client.send(
    new s3sdk.HeadObjectCommand({ Bucket, Key: 'js/parts.bin' }));
  assert.equal(head.ContentLength, parts.length);
  assert.deepEqual(head.Metadata, { origin: 'js-parts' });
});

test('conditional GETs: 304 for its ETag, 412 for another', async () => {
  const head = await client.send(
    new s3sdk.HeadObjectCommand({ Bucket, Key: 'js/parts.bin' }));
  await assert.rejects(client.send(new s3sdk.GetObjectCommand({
    Bucket, Key: 'js/parts.bin', IfNoneMatch: head.ETag,
  })), (e) => e.$metadata.httpStatusCode === 304);
  await assert.rejects(client.send(new s3sdk.GetObjectCommand({
    Bucket, Key: 'js/parts.bin', IfMatch: '"0123456789abcdef0123456789abcdef"',
  })), (e) => e.$metadata.httpStatusCode === 412 &&
    e.name === 'PreconditionFailed');
  const got = await client.send(new s3sdk.GetObjectCommand({
    Bucket, Key: 'js/parts.bin', IfMatch: head.ETag, Range: 'bytes=0-99',
  }));
  assert.ok(Buffer.from(await got.Body.transformToByteArray())
    .equals(parts.subarray(0, 100)));
});

test('CopyObject, and a listing with a folder', async () => {
  await client.send(new s3sdk.CopyObjectCommand({
    Bucket, Key: 'js/dir/copy.bin', CopySource: `${Bucket}/js/parts.bin`,
  }));
  assert.ok((await bodyOf('js/dir/copy.bin')).equals(parts));
  const list = await client.send(new s3sdk.ListObjectsV2Command({
    Bucket, Prefix: 'js/', Delimiter: '/',
  }));
  assert.deepEqual((list.Contents || []).map((o) => [o.Key, o.Size]),
    [['js/parts.bin', parts.length]]);
  assert.deepEqual((list.CommonPrefixes || []).map((p) => p.Prefix),
    ['js/dir/']);
});

test('DeleteObject, then DeleteObjects of the rest', async () => {
  await client.send(new s3sdk.DeleteObjectCommand({ Bucket, Key: 'js/dir/copy.bin' }));
  await assert.rejects(client.send(
    new s3sdk.HeadObjectCommand({ Bucket, Key: 'js/dir/copy.bin' })),
  (e) => e.$metadata.httpStatusCode === 404);
  const deleted = await client.send(new s3sdk.DeleteObjectsCommand({
    Bucket, Delete: { Objects: [{ Key: 'js/dir/one.bin' }, { Key: 'js/parts.bin' }] },
  }));
  assert.deepEqual(deleted.Deleted.map((d) => d.Key).sort(),
    ['js/dir/one.bin', 'js/parts.bin']);
  assert.equal(deleted.Errors, undefined);
  const list = await client.send(new s3sdk.ListObjectsV2Command({
    Bucket, Prefix: 'js/',
  }));
  assert.equal(list.KeyCount, 0);
});

test('a wrong secret is SignatureDoesNotMatch', async () => {
  const wrong = new s3sdk.S3Client({ ...options,
    credentials: { accessKeyId: process.env.GATEWAY_KEY_ID,
      secretAccessKey: process.env.GATEWAY_SECRET + 'x' },
  });
  await assert.rejects(wrong.send(
    new s3sdk.GetObjectCommand({ Bucket, Key: 'js/parts.bin' })),
  (e) => e.name === 'SignatureDoesNotMatch');
});

test('nodejs-polars writes and reads Parquet through the gateway',
  { skip: !process.env.GATEWAY_POLARS && 'no GATEWAY_POLARS' }, () => {
    const pl = require('nodejs-polars');
    const cloudOptions = JSON.parse(readFileSync(process.env.GATEWAY_POLARS));
    const df = pl.DataFrame({
      id: [1, 2, 3],
      name: ['a', 'b', 'c'],
      value: [0.5, 1.5, 2.5],
    });
    const path = `s3://${Bucket}/polars/frame.parquet`;
    df.lazy().sinkParquet(path, { cloudOptions }).collectSync();
    const back = pl.scanParquet(path, { cloudOptions }).collectSync();
    assert.deepEqual(back.toRecords(), df.toRecords());
  });
