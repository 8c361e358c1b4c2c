// helpers.mjs: what the suites of bindings/node/test share: the package,
// workspaces on the fs default, moto_server and Azurite
// (tests/node_binding.sh starts the servers and passes their settings files
// in PAIL_TEST_S3_SETTINGS and PAIL_TEST_AZURE_SETTINGS), unique prefixes,
// test data and hashes.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';

export const pail = createRequire(import.meta.url)('../index.js');
export const MiB = 1 << 20;

// Under the driver (PAIL_TEST_REQUIRE_SERVERS) a missing server is a broken
// run, not a reason to pass: the backend is tested anyway and fails.
export const backends = ['fs'];
for (const [name, variable] of [['s3', 'PAIL_TEST_S3_SETTINGS'], ['azure', 'PAIL_TEST_AZURE_SETTINGS']]) {
  if (process.env[variable] || process.env.PAIL_TEST_REQUIRE_SERVERS) backends.push(name);
}

// fs: the embedded default (an fs storage at $PAIL_HOME), as a worker with
// no settings has; s3 and azure: the servers' settings files.
export function openWorkspace(backend, options = {}) {
  if (backend === 'fs') return new pail.Workspace(options);
  const variable = backend === 's3' ? 'PAIL_TEST_S3_SETTINGS' : 'PAIL_TEST_AZURE_SETTINGS';
  const config = process.env[variable];
  if (!config) throw new Error(`${variable} is not set: run through tests/node_binding.sh`);
  return new pail.Workspace({ ...options, config });
}

export function uniquePrefix() {
  return `node/${randomUUID()}/`;
}

// 64 MiB of random bytes, made once per process; tests take prefixes of it.
let data64 = null;
export function testData(size) {
  if (data64 === null) data64 = randomBytes(64 * MiB);
  return data64.subarray(0, size);
}

export function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

// The sha256 and length of everything a stream gives.
export async function streamHash(stream) {
  const hash = createHash('sha256');
  let length = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    length += chunk.length;
  }
  return { hash: hash.digest('hex'), length };
}

// runPython(script, ...args): runs python3 (with boto3, as the Python
// suite has) on script, asynchronously, and gives what it printed as JSON:
// another S3 client's view of moto and of the gateway.
export async function runPython(script, ...args) {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { stdout } = await promisify(execFile)(process.env.PYTHON3 || 'python3',
    ['-c', script, ...args], { timeout: 60000 });
  return JSON.parse(stdout);
}

// The settings document of moto's storage, as the driver wrote it.
export async function s3Settings() {
  const { readFile } = await import('node:fs/promises');
  return JSON.parse(await readFile(process.env.PAIL_TEST_S3_SETTINGS, 'utf8')).storage;
}

// The multipart uploads in progress on moto under prefix, by boto3.
export async function multipartUploads(prefix) {
  const storage = await s3Settings();
  return runPython(`
import json, sys, boto3
s = json.loads(sys.argv[1])
client = boto3.client("s3", endpoint_url="http://" + s["endPoint"], region_name=s["region"],
                      aws_access_key_id=s["accessKey"], aws_secret_access_key=s["secretKey"])
got = client.list_multipart_uploads(Bucket=s["bucket"], Prefix=sys.argv[2])
print(json.dumps([u["Key"] for u in got.get("Uploads", [])]))
`, JSON.stringify(storage), prefix);
}

// startRelay(host, port): a TCP relay to host:port on this event loop.
// requests lists the heads (up to 512 bytes) of the requests it relayed
// (a chunk from the client that starts with a method), count(method,
// part) how many of them start with method and hold part, and received
// the bytes the server sent back.
export async function startRelay(host, port) {
  const sockets = new Set();
  const relay = { requests: [], received: 0 };
  relay.count = (method, part = '') => relay.requests.filter(
    (head) => head.startsWith(`${method} `) && head.includes(part)).length;
  relay.server = createServer((client) => {
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    client.on('data', (chunk) => {
      const head = chunk.subarray(0, 512).toString('latin1');
      if (/^(GET|HEAD|PUT|POST|DELETE) /.test(head)) relay.requests.push(head);
    });
    upstream.on('data', (chunk) => { relay.received += chunk.length; });
    client.pipe(upstream).pipe(client);
  });
  await new Promise((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
  relay.close = () => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => relay.server.close(resolve));
  };
  return relay;
}
