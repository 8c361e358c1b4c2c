// concurrency.test.mjs: I/O runs on libuv's pool, never on the event loop:
// many calls at once on one Workspace, and timers that keep firing while a
// large object is read.
import assert from 'node:assert/strict';
import { describe, test, before, after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MiB, backends, openWorkspace, sha256, streamHash, testData, uniquePrefix } from './helpers.mjs';

for (const backend of backends) {
  describe(`concurrency on ${backend}`, () => {
    let ws;
    const prefix = uniquePrefix();
    before(() => { ws = openWorkspace(backend); });
    after(() => ws.close());

    test('48 writes, reads and stats at once on one Workspace', async () => {
      const count = 16;
      const bodies = Array.from({ length: count }, (_, i) => testData(64 * 1024 + i * 4099));
      await Promise.all(bodies.map((body, i) => ws.write(`${prefix}many/${i}`, body)));
      const [reads, streams, infos] = await Promise.all([
        Promise.all(bodies.map((_, i) => ws.read(`${prefix}many/${i}`))),
        Promise.all(bodies.map((_, i) => streamHash(ws.createReadStream(`${prefix}many/${i}`)))),
        Promise.all(bodies.map((_, i) => ws.stat(`${prefix}many/${i}`))),
      ]);
      bodies.forEach((body, i) => {
        assert.equal(sha256(reads[i]), sha256(body));
        assert.equal(streams[i].hash, sha256(body));
        assert.equal(infos[i].size, body.length);
      });
    });

    // 64 MiB on fs, which reads it in tens of milliseconds; 16 MiB from the
    // servers, which take long enough for many ticks.
    const size = backend === 'fs' ? 64 * MiB : 16 * MiB;
    test(`timers keep firing during a ${size / MiB} MiB read and stream`, async () => {
      const pointer = await ws.write(`${prefix}large`, testData(size));
      for (const reading of [() => ws.read(pointer), () => streamHash(ws.createReadStream(pointer))]) {
        let done = false;
        let ticks = 0;
        const ticking = (async () => {
          while (!done) {
            await sleep(1);
            ticks++;
          }
        })();
        const started = performance.now();
        await reading();
        const elapsed = performance.now() - started;
        done = true;
        await ticking;
        // A read that blocked the loop would let no timer fire until it
        // returned; a 1 ms timer fires at least every few milliseconds.
        assert.ok(ticks >= 2 && ticks >= elapsed / 50,
          `${ticks} timer ticks during ${elapsed.toFixed(0)} ms of reading`);
      }
    });
  });
}
