// gateway.test.mjs: settings() with real values (moto's storage, and the
// gateway's minted keys), and a worker without storage credentials: a
// workspace whose only storage is the gateway of `pail serve --s3-listen`
// (started by the driver over the fs default) with minted keys.
import assert from 'node:assert/strict';
import { describe, test, before, after } from 'node:test';
import { MiB, openWorkspace, pail, runPython, s3Settings, sha256, streamHash, testData,
  uniquePrefix } from './helpers.mjs';

const gateway = process.env.PAIL_TEST_GATEWAY;
const required = !!process.env.PAIL_TEST_REQUIRE_SERVERS;

// A worker's settings: one s3 storage, the gateway, with these keys.
function workerWorkspace(keyId, secret) {
  const endPoint = new URL(gateway).host;
  return new pail.Workspace({ config: { storage: { type: 's3', bucket: '_default_',
    endPoint, useSSL: false, accessKey: keyId, secretKey: secret, partSize: 5 * MiB } } });
}

// boto3's get_object with the arguments settings('boto3') gave.
const BOTO3_GET = `
import hashlib, json, sys, boto3
client = boto3.client("s3", **json.loads(sys.argv[1]))
body = client.get_object(Bucket=sys.argv[2], Key=sys.argv[3])["Body"].read()
print(json.dumps(hashlib.sha256(body).hexdigest()))
`;

describe('settings() on moto', { skip: !process.env.PAIL_TEST_S3_SETTINGS && !required }, () => {
  test('each tool gets the endpoint, region, bucket and keys; boto3 reads with them', async () => {
    const storage = await s3Settings();
    const ws = openWorkspace('s3');
    try {
      const boto3 = await ws.settings('boto3');
      assert.deepEqual(boto3, {
        endpoint_url: `http://${storage.endPoint}`, region_name: storage.region, use_ssl: false,
        aws_access_key_id: storage.accessKey, aws_secret_access_key: storage.secretKey,
      });
      const polars = await ws.settings('polars');
      assert.equal(polars.aws_endpoint_url, `http://${storage.endPoint}`);
      assert.equal(polars.aws_region, storage.region);
      assert.equal(polars.aws_access_key_id, storage.accessKey);
      assert.equal(polars.aws_secret_access_key, storage.secretKey);
      const duckdb = await ws.settings('duckdb');
      assert.equal(typeof duckdb, 'string');
      for (const part of [`KEY_ID '${storage.accessKey}'`, `SECRET '${storage.secretKey}'`,
        `REGION '${storage.region}'`, `ENDPOINT '${storage.endPoint}'`, `SCOPE 's3://${storage.bucket}'`]) {
        assert.ok(duckdb.includes(part), `${part} in DuckDB's settings`);
      }
      const key = `${uniquePrefix()}boto3.bin`;
      const data = testData(MiB + 3);
      await ws.write(key, data);
      assert.equal(await runPython(BOTO3_GET, JSON.stringify(boto3), storage.bucket, key), sha256(data));
      await assert.rejects(ws.settings('spark'), { code: 'EINVAL' });
    } finally {
      ws.close();
    }
  });
});

describe('through the gateway with minted keys', { skip: !gateway && !required }, () => {
  let ws; // the fs default the gateway serves
  let worker;
  let readOnly;
  const prefix = uniquePrefix();
  before(() => {
    assert.ok(gateway, 'PAIL_TEST_GATEWAY is set: run through tests/node_binding.sh');
    ws = openWorkspace('fs');
    worker = workerWorkspace(process.env.PAIL_TEST_GATEWAY_KEY_ID, process.env.PAIL_TEST_GATEWAY_SECRET);
    readOnly = workerWorkspace(process.env.PAIL_TEST_GATEWAY_RO_KEY_ID,
      process.env.PAIL_TEST_GATEWAY_RO_SECRET);
  });
  after(() => {
    ws.close();
    worker.close();
    readOnly.close();
  });

  test('a worker without storage credentials round trips bytes and lists', async () => {
    const data = testData(11 * MiB + 5); // parts of 5 MiB through the gateway
    const pointer = await worker.write(`${prefix}w.bin`, data);
    assert.deepEqual(pointer, { s3: `${prefix}w.bin` });
    assert.equal(sha256(await ws.read(pointer)), sha256(data), 'the fs storage holds it');
    await ws.write(`${prefix}sub/x.txt`, 'from the storage');
    assert.equal((await worker.read(`${prefix}sub/x.txt`)).toString(), 'from the storage');
    const range = await streamHash(worker.createReadStream(pointer, { start: 5 * MiB - 1, end: 6 * MiB }));
    assert.deepEqual(range, { hash: sha256(data.subarray(5 * MiB - 1, 6 * MiB + 1)), length: MiB + 2 });
    const listed = [];
    for await (const entry of worker.list(prefix)) listed.push([entry.key, entry.isFolder]);
    assert.deepEqual(listed, [[`${prefix}sub/`, true], [`${prefix}w.bin`, false]]);
  });

  test('a read-only key reads, and its write is refused as EACCES, storing nothing', async () => {
    await ws.write(`${prefix}ro.txt`, 'readable');
    assert.equal((await readOnly.read(`${prefix}ro.txt`)).toString(), 'readable');
    const error = await readOnly.write(`${prefix}refused.txt`, 'no').then(() => null, (e) => e);
    assert.ok(error instanceof Error, 'the write was refused');
    assert.equal(error.code, 'EACCES');
    assert.equal(error.category, 'access denied');
    assert.equal(error.httpStatus, 403);
    assert.equal(error.providerCode, 'AccessDenied');
    assert.equal(typeof error.requestId, 'string');
    const shown = `${error.message} ${JSON.stringify(error)}`;
    assert.ok(!shown.includes(process.env.PAIL_TEST_GATEWAY_RO_SECRET), 'no secret in the error');
    await assert.rejects(ws.stat(`${prefix}refused.txt`), { code: 'ENOENT' });
  });

  test('settings with a gateway mint keys that read through it', async () => {
    const data = testData(MiB + 11);
    const pointer = await ws.write(`${prefix}minted.bin`, data);
    const boto3 = await ws.settings('boto3', { gateway });
    assert.equal(boto3.endpoint_url, gateway);
    assert.match(boto3.aws_access_key_id, /^PK1/);
    assert.equal(typeof boto3.aws_secret_access_key, 'string');
    const minted = workerWorkspace(boto3.aws_access_key_id, boto3.aws_secret_access_key);
    try {
      assert.equal(sha256(await minted.read(pointer)), sha256(data));
    } finally {
      minted.close();
    }
    assert.equal(await runPython(BOTO3_GET, JSON.stringify(boto3), '_default_', pointer.s3), sha256(data));
    const duckdb = await ws.settings('duckdb', { gateway });
    assert.ok(duckdb.includes(`ENDPOINT '${new URL(gateway).host}'`), duckdb.split('\n')[0]);
    assert.ok(duckdb.includes("SCOPE 's3://_default_'"));
    await assert.rejects(ws.settings('boto3', { gateway: 'ftp://x' }), { code: 'EINVAL' });
  });
});
