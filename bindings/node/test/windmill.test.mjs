// windmill.test.mjs: loadS3File, loadS3FileStream and writeS3File, with
// Windmill's names and arguments, on the default workspace (the CLI's
// settings lookup: here the fs default at $PAIL_HOME).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { pail, uniquePrefix } from './helpers.mjs';

test('the helpers write, load and stream through the default workspace', async () => {
  const key = `${uniquePrefix()}windmill.txt`;
  const s3object = await pail.writeS3File({ s3: key }, 'Hello Windmill!');
  assert.deepEqual(s3object, { s3: key });
  const bytes = await pail.loadS3File(s3object);
  assert.ok(bytes instanceof Uint8Array);
  assert.equal(Buffer.from(bytes).toString(), 'Hello Windmill!');
  const stream = await pail.loadS3FileStream(s3object);
  assert.ok(stream instanceof Readable);
  assert.equal(await stream.text(), 'Hello Windmill!');
  // A Blob as content, a URI as pointer, with the type and disposition.
  assert.deepEqual(await pail.writeS3File(`s3:///${key}`, new Blob(['a,b\n']), undefined, 'text/csv', 'inline'),
    { s3: key });
  const info = await pail.getDefaultWorkspace().stat(key);
  assert.deepEqual([info.contentType, info.contentDisposition], ['text/csv', 'inline']);
  // The data lands where the CLI would put it: $PAIL_HOME.
  assert.equal(fs.readFileSync(path.join(process.env.PAIL_HOME, key), 'utf8'), 'a,b\n');
});

test('s3ResourcePath names a storage; a missing object rejects at once', async () => {
  await assert.rejects(pail.writeS3File({ s3: 'x' }, 'x', 'archive'), { code: 'ENOENT', message: /"archive"/ });
  await assert.rejects(pail.loadS3File('x', 'archive'), { code: 'ENOENT' });
  await assert.rejects(pail.loadS3FileStream({ s3: `${uniquePrefix()}missing` }), { code: 'ENOENT' });
  await assert.rejects(pail.writeS3File(undefined, 'x'), { code: 'EINVAL' });
});
