// finalize.test.mjs: a writer dropped unclosed (a stream leaked without
// destroy()) is aborted when collected, and its abort (on S3 a request
// ending the multipart upload) runs off the JavaScript thread. The
// workspace reaches moto through a TCP relay in this very process: an
// abort that blocked the event loop could not be relayed at all.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { MiB, multipartUploads, pail, s3Settings, startRelay, testData, uniquePrefix } from './helpers.mjs';

function collectGarbage() {
  if (typeof globalThis.Bun !== 'undefined') return globalThis.Bun.gc(true);
  if (typeof globalThis.gc !== 'function') {
    v8.setFlagsFromString('--expose-gc');
    globalThis.gc = vm.runInNewContext('gc');
  }
  return globalThis.gc();
}

const required = !!process.env.PAIL_TEST_REQUIRE_SERVERS;
describe('a leaked writer', { skip: !process.env.PAIL_TEST_S3_SETTINGS && !required }, () => {
  test('is aborted off the JavaScript thread when collected', async () => {
    const storage = await s3Settings();
    const [host, port] = storage.endPoint.split(':');
    const relay = await startRelay(host, Number(port));
    const prefix = uniquePrefix();
    const ws = new pail.Workspace({ config: { storage: { ...storage,
      endPoint: `127.0.0.1:${relay.server.address().port}`, partSize: 5 * MiB } } });
    try {
      // 6 MiB written, more than a part: the multipart upload is open. The
      // stream is held until it is seen open, then dropped.
      let stream = ws.createWriteStream(`${prefix}leaked.bin`);
      await new Promise((resolve, reject) => stream.write(testData(6 * MiB),
        (error) => (error ? reject(error) : resolve())));
      for (let i = 0; i < 3000 && relay.count('POST', '?uploads') === 0; i++) await sleep(10);
      let open = await multipartUploads(prefix);
      for (let i = 0; i < 20 && open.length === 0; i++) open = await multipartUploads(prefix);
      assert.deepEqual(open, [`${prefix}leaked.bin`], 'the leaked writer has a multipart upload open');
      assert.equal(relay.count('DELETE'), 0);
      assert.ok(stream.writable);
      stream = null;

      // A finalizer that aborted on this thread would stall the loop (and
      // the relay) until the request timed out: the largest gap between
      // 5 ms timers is bounded instead.
      let gap = 0;
      let uploads = open;
      const deadline = performance.now() + 60000;
      while (uploads.length > 0 && performance.now() < deadline) {
        collectGarbage();
        for (let i = 0; i < 10; i++) {
          const before = performance.now();
          await sleep(5);
          gap = Math.max(gap, performance.now() - before);
        }
        // The abort went out through the relay: its answer is awaited.
        if (relay.count('DELETE') > 0) uploads = await multipartUploads(prefix);
      }
      assert.deepEqual(uploads, [], 'the collected writer aborted its upload (ListMultipartUploads)');
      assert.ok(relay.count('DELETE', 'uploadId=') >= 1, 'the abort went through the relay on the event loop');
      assert.ok(gap < 2000, `the longest wait for a 5 ms timer was ${gap.toFixed(0)} ms`);
      await assert.rejects(ws.stat(`${prefix}leaked.bin`), { code: 'ENOENT' });
    } finally {
      ws.close();
      await relay.close();
    }
  });
});
