// files.test.mjs: upload() and download(), local files streamed on the
// pool: the bytes round trip, and a failure stores nothing and leaves no
// local file (nor touches an existing one).
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test, before, after } from 'node:test';
import { MiB, backends, openWorkspace, sha256, testData, uniquePrefix } from './helpers.mjs';

for (const backend of backends) {
  describe(`local files on ${backend}`, () => {
    let ws;
    let dir;
    const prefix = uniquePrefix();
    before(async () => {
      ws = openWorkspace(backend);
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pail-node-'));
    });
    after(async () => {
      ws.close();
      await fs.rm(dir, { recursive: true, force: true });
    });

    test('upload and download round trip a file, with its options', async () => {
      const data = testData(6 * MiB + 7);
      const local = path.join(dir, 'up.bin');
      await fs.writeFile(local, data);
      const pointer = await ws.upload(local, `${prefix}up.bin`,
        { contentType: 'application/x-test', metadata: { origin: 'node' } });
      assert.deepEqual(pointer, { s3: `${prefix}up.bin` });
      assert.equal(sha256(await ws.read(pointer)), sha256(data));
      const info = await ws.stat(pointer);
      assert.equal(info.contentType, 'application/x-test');
      assert.equal(info.metadata.origin, 'node');
      const back = path.join(dir, 'down.bin');
      await ws.download(pointer, new URL(`file://${back}`));
      assert.equal(sha256(await fs.readFile(back)), sha256(data));
      await ws.upload(local, `${prefix}up.bin`); // over the object: replaced
      await assert.rejects(ws.upload(local, `${prefix}up.bin`, { noClobber: true }),
        { code: 'ERR_PAIL_CONFLICT' });
    });

    test('a failed download leaves no file and an existing one untouched', async () => {
      const target = path.join(dir, 'missing.bin');
      await assert.rejects(ws.download(`${prefix}missing`, target), { code: 'ENOENT', category: 'not found' });
      await assert.rejects(fs.stat(target), { code: 'ENOENT' });
      await fs.writeFile(target, 'kept');
      await assert.rejects(ws.download(`${prefix}missing`, target), { code: 'ENOENT' });
      assert.equal(await fs.readFile(target, 'utf8'), 'kept');
      assert.deepEqual((await fs.readdir(dir)).filter((name) => name.startsWith('missing')), ['missing.bin']);
    });

    test('a failed upload stores nothing', async () => {
      await assert.rejects(ws.upload(path.join(dir, 'absent'), `${prefix}absent`), { code: 'ENOENT' });
      await assert.rejects(ws.stat(`${prefix}absent`), { code: 'ENOENT' });
      await assert.rejects(ws.upload(42, `${prefix}absent`), TypeError);
      await assert.rejects(ws.download(`${prefix}absent`, null), TypeError);
    });
  });
}
