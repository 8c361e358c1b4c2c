// errors.test.mjs: libpail's failures as Errors with code, category,
// httpStatus, providerCode and requestId; a write whose input fails stores
// nothing; access rules follow the workspace's user.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, test, before, after } from 'node:test';
import { MiB, backends, openWorkspace, pail, testData, uniquePrefix } from './helpers.mjs';

for (const backend of backends) {
  describe(`errors on ${backend}`, () => {
    let ws;
    const prefix = uniquePrefix();
    before(() => { ws = openWorkspace(backend); });
    after(() => ws.close());

    test('a missing object is ENOENT, from read, stat and a stream', async () => {
      const error = await ws.read(`${prefix}missing`).then(() => null, (e) => e);
      assert.ok(error instanceof Error);
      assert.equal(error.code, 'ENOENT');
      assert.equal(error.category, 'not found');
      assert.ok(error.message.includes(`${prefix}missing`), error.message);
      if (backend === 'fs') {
        assert.equal(error.httpStatus, null);
        assert.equal(error.providerCode, null);
      } else {
        assert.equal(error.httpStatus, 404);
        assert.equal(typeof error.providerCode, 'string');
      }
      await assert.rejects(ws.stat({ s3: `${prefix}missing` }), { code: 'ENOENT' });
      const stream = ws.createReadStream(`${prefix}missing`);
      await assert.rejects((async () => { for await (const chunk of stream) void chunk; })(),
        { code: 'ENOENT', category: 'not found' });
    });

    test('bad pointers are EINVAL, other types a TypeError', async () => {
      for (const bad of ['a/../b', '', '{"s3": 1}', 's3://bad name/key', { key: 'x' }]) {
        await assert.rejects(ws.read(bad), { code: 'EINVAL', category: 'invalid argument' }, String(bad));
      }
      await assert.rejects(ws.read(42), TypeError);
      await assert.rejects(ws.read('s3://archive/x'), { code: 'ENOENT', message: /no storage named "archive"/ });
    });

    test('noClobber refuses an existing object with a conflict', async () => {
      const key = `${prefix}once`;
      await ws.write(key, 'first', { noClobber: true });
      await assert.rejects(ws.write(key, 'second', { noClobber: true }),
        { code: 'ERR_PAIL_CONFLICT', category: 'conflict' });
      assert.equal((await ws.read(key)).toString(), 'first');
    });

    test('a Readable that fails midway stores nothing and keeps the old object', async () => {
      const key = `${prefix}failing`;
      const failing = () => Readable.from((async function* chunks() {
        yield testData(6 * MiB);
        yield testData(MiB);
        throw new Error('the source broke');
      })());
      await assert.rejects(ws.write(key, failing()), /the source broke/);
      await assert.rejects(ws.stat(key), { code: 'ENOENT' });
      await ws.write(key, 'previous');
      await assert.rejects(ws.write(key, failing()), /the source broke/);
      assert.equal((await ws.read(key)).toString(), 'previous');
      // A write stream destroyed before end() aborts too.
      const sink = ws.createWriteStream(`${prefix}destroyed`);
      sink.write(testData(2 * MiB));
      await new Promise((resolve) => { sink.on('close', resolve); sink.destroy(); });
      await assert.rejects(ws.stat(`${prefix}destroyed`), { code: 'ENOENT' });
    });

    test('a closed workspace refuses calls; running ones finish', async () => {
      const other = openWorkspace(backend);
      const key = `${prefix}closing`;
      const pending = other.write(key, testData(MiB));
      other.close();
      assert.deepEqual(await pending, { s3: key });
      await assert.rejects(other.read(key), { code: 'ERR_PAIL_CLOSED' });
      assert.throws(() => other.source, { code: 'ERR_PAIL_CLOSED' });
    });
  });
}

describe('access rules', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pail-node-'));
  const config = {
    storage: { type: 'fs', root_path: path.join(root, 'root'), create_root: true },
    advanced_permissions: [
      { pattern: 'u/{username}/**', allow: 'read,write,delete,list' },
      { pattern: 'public/**', allow: 'read' },
    ],
  };
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  test('follow the workspace user', async () => {
    const alice = new pail.Workspace({ config, user: 'alice' });
    assert.deepEqual(await alice.write('u/alice/notes', 'mine'), { s3: 'u/alice/notes' });
    assert.equal((await alice.read('u/alice/notes')).toString(), 'mine');
    const denied = await alice.write('u/bob/notes', 'not mine').then(() => null, (e) => e);
    assert.equal(denied.code, 'EACCES');
    assert.equal(denied.category, 'access denied');
    await assert.rejects(alice.write('public/x', 'read only'), { code: 'EACCES' });
    await assert.rejects(alice.list('u/').next(), { code: 'EACCES' });
    alice.close();
    const bob = new pail.Workspace({ config, user: 'bob' });
    await assert.rejects(bob.read('u/alice/notes'), { code: 'EACCES' });
    await assert.rejects(bob.delete('u/alice/notes'), { code: 'EACCES' });
    await assert.rejects(bob.createReadStream('u/alice/notes').toArray(), { code: 'EACCES' });
    bob.close();
    assert.ok(!fs.existsSync(path.join(root, 'root', 'u', 'bob')));
    assert.ok(!fs.existsSync(path.join(root, 'root', 'public')));
  });

  test('a settings file that does not parse fails at new Workspace()', () => {
    const file = path.join(root, 'bad.json');
    fs.writeFileSync(file, '{"storage": ');
    assert.throws(() => new pail.Workspace({ config: file }), { code: 'EINVAL' });
    assert.throws(() => new pail.Workspace({ config: path.join(root, 'none.json') }), (e) => typeof e.code === 'string');
  });
});
