// roundtrip.test.mjs: bytes in and out through every path of the package
// (Buffer, string, Readable and Writable in; read() and ranged streams
// out), 0 B to 64 MiB compared by hash, on fs, moto and Azurite; listings,
// stat, copy, delete, sign.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test, before, after } from 'node:test';
import { MiB, backends, openWorkspace, pail, s3Settings, sha256, startRelay, streamHash, testData,
  uniquePrefix } from './helpers.mjs';

for (const backend of backends) {
  describe(`round trips on ${backend}`, () => {
    let ws;
    const prefix = uniquePrefix();
    before(() => { ws = openWorkspace(backend); });
    after(() => ws.close());

    test('a Buffer of each size comes back whole, by read() and by stream', async () => {
      for (const size of [0, 1, 5 * MiB + 3, 64 * MiB]) {
        const data = testData(size);
        const pointer = await ws.write(`${prefix}size-${size}`, data);
        assert.deepEqual(pointer, { s3: `${prefix}size-${size}` });
        const back = await ws.read(pointer);
        assert.ok(back instanceof Uint8Array);
        assert.equal(back.length, size);
        assert.equal(sha256(back), sha256(data), `read() of ${size} bytes`);
        const streamed = await streamHash(ws.createReadStream(pointer));
        assert.deepEqual(streamed, { hash: sha256(data), length: size }, `stream of ${size} bytes`);
      }
    });

    test('a Readable of small chunks is written in order', async () => {
      const data = testData(9 * MiB + 7);
      const chunks = [];
      for (let at = 0; at < data.length; at += 64 * 1024 + 1) chunks.push(data.subarray(at, at + 64 * 1024 + 1));
      const pointer = await ws.write(`${prefix}chunks`, Readable.from(chunks), { contentType: 'application/x-test' });
      assert.equal(sha256(await ws.read(pointer)), sha256(data));
      const info = await ws.stat(pointer);
      assert.equal(info.size, data.length);
      assert.equal(info.contentType, 'application/x-test');
    });

    test('createWriteStream commits on end, through pipeline', async () => {
      const data = testData(3 * MiB);
      const sink = ws.createWriteStream(`s3:///${prefix}piped`);
      await pipeline(Readable.from([data.subarray(0, MiB), data.subarray(MiB)]), sink);
      assert.deepEqual(sink.pointer, { s3: `${prefix}piped` });
      assert.equal(sha256(await ws.read(`${prefix}piped`)), sha256(data));
    });

    test('ranged streams give the bytes start to end, inclusive', async () => {
      const data = testData(4 * MiB + 11);
      const pointer = await ws.write(`${prefix}ranged`, data);
      for (const [start, end] of [[0, 0], [1, 10], [MiB - 1, 3 * MiB], [4 * MiB, 4 * MiB + 10], [4 * MiB + 10, 10 * MiB]]) {
        const got = await streamHash(ws.createReadStream(pointer, { start, end }));
        const want = data.subarray(start, end + 1);
        assert.deepEqual(got, { hash: sha256(want), length: want.length }, `bytes ${start}-${end}`);
      }
      const tail = await streamHash(ws.createReadStream(pointer, { start: 4 * MiB }));
      assert.equal(tail.length, 11);
    });

    test('strings, metadata and pointer forms', async () => {
      const key = `${prefix}text/hello.txt`;
      const pointer = await ws.write({ s3: key }, 'héllo', {
        contentType: 'text/plain', contentDisposition: 'inline', metadata: { step: 'one' },
      });
      assert.deepEqual(pointer, { s3: key });
      for (const form of [key, `s3:///${key}`, { s3: key }, JSON.stringify({ s3: key })]) {
        assert.equal((await ws.read(form)).toString('utf8'), 'héllo');
      }
      const info = await ws.stat(key);
      assert.equal(info.size, 6);
      assert.equal(info.contentType, 'text/plain');
      assert.equal(info.contentDisposition, 'inline');
      assert.deepEqual(info.metadata, { step: 'one' });
      assert.ok(info.lastModified instanceof Date);
      assert.deepEqual(info.pointer, { s3: key });
    });

    test('list pages through folders and keys; copy, delete', async () => {
      const base = `${prefix}list/`;
      for (let i = 0; i < 5; i++) await ws.write(`${base}k${i}`, `v${i}`);
      await ws.write(`${base}sub/deep`, 'd');
      const shallow = [];
      for await (const entry of ws.list(base, { pageSize: 2 })) shallow.push([entry.key, entry.isFolder]);
      assert.deepEqual(shallow, [...[0, 1, 2, 3, 4].map((i) => [`${base}k${i}`, false]), [`${base}sub/`, true]]);
      const deep = [];
      for await (const entry of ws.list(base, { recursive: true })) deep.push(entry.key);
      assert.equal(deep.length, 6);
      assert.ok(deep.includes(`${base}sub/deep`));
      assert.deepEqual(await ws.copy(`${base}k0`, `${base}copy`), { s3: `${base}copy` });
      assert.equal((await ws.read(`${base}copy`)).toString(), 'v0');
      await ws.delete(`${base}copy`);
      await assert.rejects(ws.read(`${base}copy`), { code: 'ENOENT' });
    });

    test('sign gives a URL or a grant', async () => {
      const pointer = await ws.write(`${prefix}signed`, 'x');
      const signature = await ws.sign(pointer, { expires: 600 });
      assert.ok(signature.expiresAt instanceof Date);
      const left = signature.expiresAt.getTime() - Date.now();
      assert.ok(left > 500e3 && left <= 601e3, `expires in ${left} ms`);
      if (backend === 'fs') {
        assert.equal(signature.url, null);
        assert.match(signature.pointer.presigned, /^exp=\d+&sig=[0-9a-f]{64}$/);
        assert.equal((await ws.read(signature.pointer)).toString(), 'x');
      } else {
        assert.equal(signature.pointer, null);
        const response = await fetch(signature.url);
        assert.equal(response.status, 200);
        assert.equal(await response.text(), 'x');
      }
    });
  });
}

// A ranged stream is a ranged request, not a read from the start with the
// bytes before the range dropped: on moto, through a relay that sees the
// requests and counts the bytes coming back.
describe('ranged streams on s3', { skip: !process.env.PAIL_TEST_S3_SETTINGS && !process.env.PAIL_TEST_REQUIRE_SERVERS }, () => {
  test('ask for the range only', async () => {
    const storage = await s3Settings();
    const [host, port] = storage.endPoint.split(':');
    const relay = await startRelay(host, Number(port));
    const direct = openWorkspace('s3');
    const ws = new pail.Workspace({ config: { storage: { ...storage,
      endPoint: `127.0.0.1:${relay.server.address().port}` } } });
    try {
      const data = testData(8 * MiB);
      const pointer = await direct.write(`${uniquePrefix()}ranged.bin`, data);
      const start = 6 * MiB + 3;
      const got = await streamHash(ws.createReadStream(pointer, { start, end: start + 99 }));
      assert.deepEqual(got, { hash: sha256(data.subarray(start, start + 100)), length: 100 });
      const gets = relay.requests.filter((head) => head.startsWith('GET '));
      assert.equal(gets.length, 1, gets.join('\n---\n'));
      assert.match(gets[0], new RegExp(`\\r\\nrange: bytes=${start}-${start + 99}\\r\\n`, 'i'));
      assert.ok(relay.received < 64 * 1024, `${relay.received} bytes came back for 100`);
    } finally {
      ws.close();
      direct.close();
      await relay.close();
    }
  });
});
