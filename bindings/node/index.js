'use strict';
/*
 * pail: datasets in object storage through pointers, from JavaScript
 * (docs/node.md). A Workspace over libpail's, through the Node-API addon
 * pail_node.c: every call that reaches storage runs on libuv's thread pool
 * and returns a promise; reads and writes stream as Node Readable and
 * Writable. Windmill's helpers (loadS3File, loadS3FileStream, writeS3File)
 * work on a default workspace.
 */
const fs = require('node:fs');
const path = require('node:path');
const { Readable, Writable } = require('node:stream');
const { pipeline } = require('node:stream/promises');

// The addon: $PAIL_NODE_ADDON, else beside this file (installed), else in
// the libtool output folder of a build tree.
function loadAddon() {
  const candidates = [];
  if (process.env.PAIL_NODE_ADDON) candidates.push(process.env.PAIL_NODE_ADDON);
  candidates.push(path.join(__dirname, 'pail_node.so'),
    path.join(__dirname, '.libs', 'pail_node.so'));
  const found = candidates.find((file) => fs.existsSync(file));
  if (found === undefined) {
    throw new Error(`pail: the addon pail_node.so is not built (looked for ${
      candidates.join(', ')}); build pail with the node-api-headers package ` +
      'installed, or set PAIL_NODE_ADDON');
  }
  const module = { exports: {} };
  process.dlopen(module, path.resolve(found));
  return module.exports;
}
const native = loadAddon();

// Blocks of streamed reads and of writes from a Readable: the size the
// core's own transfers use (core/transfer.c).
const BLOCK_SIZE = 1 << 20;
const TOOLS = ['duckdb', 'polars', 'boto3'];

// The text libpail parses, for any pointer form a script holds.
function pointerText(pointer) {
  if (typeof pointer === 'string') return pointer;
  if (pointer !== null && typeof pointer === 'object' && !Array.isArray(pointer)) {
    return JSON.stringify(pointer);
  }
  throw new TypeError('a pointer is an object ({s3: key}), JSON text, an ' +
    `s3:// URI or a key, not ${pointer === null ? 'null' : typeof pointer}`);
}

function withPointer(entry, storage) {
  const result = { ...entry };
  result.lastModified = entry.lastModified === null ? null : new Date(entry.lastModified);
  if (!entry.isFolder && entry.key !== null) {
    result.pointer = storage === null ? { s3: entry.key } : { s3: entry.key, storage };
  }
  return result;
}

function writeOptions(options, sizeHint) {
  const { contentType = null, contentDisposition = null, metadata = null,
    noClobber = false } = options || {};
  const flat = [];
  if (metadata !== null && metadata !== undefined) {
    for (const [name, value] of Object.entries(metadata)) flat.push(name, String(value));
  }
  return { contentType, contentDisposition, metadata: flat, noClobber: !!noClobber, sizeHint };
}

// A local path as fs takes it: a string, a Buffer or a file: URL.
function localFilePath(localPath) {
  if (typeof localPath === 'string') return localPath;
  if (Buffer.isBuffer(localPath)) return localPath.toString('utf8');
  if (localPath instanceof URL) return require('node:url').fileURLToPath(localPath);
  throw new TypeError(`a local path is a string, a Buffer or a file: URL, not ${
    localPath === null ? 'null' : typeof localPath}`);
}

function asBuffer(data) {
  if (Buffer.isBuffer(data)) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return null;
}

// A streamed read: pail_reader chunks pulled on the pool as the consumer
// asks (Readable's own backpressure). The read opens in _construct, so a
// missing object is the stream's first 'error'.
class PailReadStream extends Readable {
  constructor(workspace, pointer, options = {}) {
    super({ highWaterMark: BLOCK_SIZE });
    this._workspace = workspace;
    this._pointer = pointer;
    const { start = 0, end = Infinity } = options;
    if (!Number.isSafeInteger(start) || start < 0) throw new RangeError('start must be a non-negative integer');
    if (end !== Infinity && (!Number.isSafeInteger(end) || end < start)) {
      throw new RangeError('end must be an integer not below start');
    }
    this.start = start;
    this.end = end; // inclusive, as fs.createReadStream's
    this._reader = null;
    this._inflight = null;
    this.info = null;
  }

  _construct(callback) {
    const length = this.end === Infinity ? -1 : this.end - this.start + 1;
    let promise;
    try {
      promise = native.readerOpen(this._workspace._use(), pointerText(this._pointer),
        this.start, length);
    } catch (error) {
      callback(error);
      return;
    }
    promise.then((reader) => {
      this._reader = reader;
      this.info = withPointer(native.readerInfo(reader), null);
      delete this.info.pointer;
      this.size = this.info.size;
      this.emit('open', this.info);
      callback();
    }, callback);
  }

  _read(size) {
    const buffer = Buffer.allocUnsafe(Math.max(size, BLOCK_SIZE));
    this._inflight = native.readerRead(this._reader, buffer).then((got) => {
      this._inflight = null;
      this.push(got === 0 ? null : buffer.subarray(0, got));
    }, (error) => {
      this._inflight = null;
      this.destroy(error);
    });
  }

  _destroy(error, callback) {
    const reader = this._reader;
    this._reader = null;
    if (reader === null) {
      callback(error);
      return;
    }
    // destroy() does not wait for a _read in flight; the addon refuses a
    // second call on a busy reader, so the close waits for it here.
    Promise.resolve(this._inflight)
      .then(() => native.readerClose(reader))
      .then(() => callback(error), (closeError) => callback(error || closeError));
  }
}

// A streamed write: each chunk handed to a pail_writer on the pool, in
// order, the next accepted only when the previous is (Writable's own
// backpressure). Committed by end(); destroyed (an error upstream, or
// destroy()) it aborts, so nothing is stored.
class PailWriteStream extends Writable {
  constructor(workspace, pointer, options = {}) {
    super({ highWaterMark: BLOCK_SIZE, decodeStrings: true });
    this._workspace = workspace;
    this._pointer = pointer;
    this._options = writeOptions(options, options.sizeHint || 0);
    this._writer = null;
    this._pending = [];
    this._pendingBytes = 0;
    this._inflight = null;
    this.pointer = null;
  }

  _construct(callback) {
    let promise;
    try {
      promise = native.writerOpen(this._workspace._use(), pointerText(this._pointer), this._options);
    } catch (error) {
      callback(error);
      return;
    }
    promise.then((writer) => {
      this._writer = writer;
      callback();
    }, callback);
  }

  // Small chunks are gathered into blocks of BLOCK_SIZE: one trip to the
  // pool per block rather than per chunk of a 64 KiB pipe.
  _write(chunk, encoding, callback) {
    if (this._pendingBytes === 0 && chunk.length >= BLOCK_SIZE) {
      this._send(chunk, callback);
      return;
    }
    this._pending.push(chunk);
    this._pendingBytes += chunk.length;
    if (this._pendingBytes < BLOCK_SIZE) {
      callback();
      return;
    }
    this._flush(callback);
  }

  _flush(callback) {
    const block = this._pending.length === 1 ? this._pending[0] : Buffer.concat(this._pending);
    this._pending = [];
    this._pendingBytes = 0;
    this._send(block, callback);
  }

  _send(block, callback) {
    this._inflight = native.writerWrite(this._writer, block).then(() => {
      this._inflight = null;
      callback();
    }, (error) => {
      this._inflight = null;
      callback(error);
    });
  }

  _final(callback) {
    const commit = () => {
      const writer = this._writer;
      this._writer = null;
      native.writerClose(writer).then((text) => {
        this.pointer = JSON.parse(text);
        callback();
      }, callback);
    };
    if (this._pendingBytes > 0) {
      this._flush((error) => (error ? callback(error) : commit()));
    } else {
      commit();
    }
  }

  _destroy(error, callback) {
    const writer = this._writer;
    this._writer = null;
    this._pending = [];
    if (writer === null) {
      callback(error);
      return;
    }
    // As for reads: an abort waits for the write in flight.
    Promise.resolve(this._inflight)
      .then(() => native.writerAbort(writer))
      .then(() => callback(error), () => callback(error));
  }
}

/**
 * A libpail workspace: its storages, access rules and key.
 * config: undefined/null opens the settings the CLI would ($PAIL_CONFIG,
 * then ~/.config/pail/workspace.json, then the embedded default); a string
 * is a settings file's path; an object is the settings document itself.
 * user fills {username} in the access rules (default $PAIL_USER); storage
 * is the storage of bare keys (default: the primary).
 */
class Workspace {
  constructor({ config = null, user = null, storage = null } = {}) {
    const isJson = config !== null && typeof config === 'object';
    this._handle = native.open(isJson ? JSON.stringify(config) : config, isJson, user, storage);
    this.closed = false;
  }

  _use() {
    if (this.closed) {
      const error = new Error('the workspace is closed');
      error.code = 'ERR_PAIL_CLOSED';
      throw error;
    }
    return this._handle;
  }

  /** Where the settings came from: a path, "<json>" or "<embedded default>". */
  get source() {
    return native.source(this._use());
  }

  /** Closes: later calls fail; running ones finish first. */
  close() {
    if (!this.closed) {
      this.closed = true;
      native.close(this._handle);
    }
  }

  /** The whole object, as a Buffer (a Uint8Array). */
  async read(pointer) {
    return native.read(this._use(), pointerText(pointer));
  }

  /** A Readable of the object, or of bytes start to end (inclusive). */
  createReadStream(pointer, options = {}) {
    return new PailReadStream(this, pointer, options);
  }

  /** A Writable whose end() commits the object; destroy() stores nothing. */
  createWriteStream(pointer, options = {}) {
    return new PailWriteStream(this, pointer, options);
  }

  /**
   * Stores data (a Buffer or typed array, a string as UTF-8, or a Readable
   * or async iterable of them) and returns the pointer. Nothing is stored
   * unless every byte was: an error from the input aborts the write.
   */
  async write(pointer, data, options = {}) {
    const bytes = asBuffer(data);
    if (bytes !== null) {
      const text = await native.write(this._use(), pointerText(pointer), bytes,
        writeOptions(options, bytes.length));
      return JSON.parse(text);
    }
    if (data === null || data === undefined ||
        (typeof data[Symbol.asyncIterator] !== 'function' && typeof data[Symbol.iterator] !== 'function')) {
      throw new TypeError('data must be a Buffer, a string, a Uint8Array or a Readable');
    }
    const sink = this.createWriteStream(pointer, options);
    await pipeline(data, sink);
    return sink.pointer;
  }

  /**
   * Streams the local file at localPath to the object and returns its
   * pointer; options as write()'s. A failure stores nothing.
   */
  async upload(localPath, pointer, options = {}) {
    const text = await native.upload(this._use(), localFilePath(localPath),
      pointerText(pointer), writeOptions(options, 0));
    return JSON.parse(text);
  }

  /**
   * Streams the object to the local file at localPath, which appears
   * complete or not at all (an existing file stays as it was on failure).
   */
  async download(pointer, localPath) {
    await native.download(this._use(), pointerText(pointer), localFilePath(localPath));
  }

  /** size, lastModified (a Date or null), etag, contentType, contentDisposition, metadata, isFolder, pointer. */
  async stat(pointer) {
    const text = pointerText(pointer);
    const info = await native.stat(this._use(), text);
    const storage = JSON.parse(native.normalize(this._handle, text)).storage;
    return withPointer(info, storage === undefined ? null : storage);
  }

  /** Deletes the object (ENOENT where the provider can tell; S3 cannot). */
  async delete(pointer) {
    await native.delete(this._use(), pointerText(pointer));
  }

  /** Copies source to destination; returns the destination's pointer. */
  async copy(source, destination) {
    return JSON.parse(await native.copy(this._use(), pointerText(source), pointerText(destination)));
  }

  /**
   * The entries under prefix, one page fetched at a time: an async
   * iterator of stat()'s objects (folders with isFolder when not recursive).
   */
  async *list(prefix = '', { recursive = false, pageSize = 0 } = {}) {
    const text = pointerText(prefix);
    let token = null;
    do {
      const page = await native.list(this._use(), text, !!recursive, pageSize, token);
      for (const entry of page.entries) yield withPointer(entry, page.storage);
      token = page.next;
    } while (token !== null);
  }

  /** {url, pointer, expiresAt}: a presigned URL, or a pointer with a workspace-signed grant. */
  async sign(pointer, { expires = 3600, method = 'GET' } = {}) {
    const signature = await native.sign(this._use(), pointerText(pointer), expires, method);
    return {
      url: signature.url,
      pointer: signature.pointer === null ? null : JSON.parse(signature.pointer),
      expiresAt: new Date(signature.expiresAt * 1000),
    };
  }

  /** What duckdb (SQL text), polars or boto3 (objects) need to reach the storage. Holds credentials. */
  async settings(tool, { storage = null, gateway = null } = {}) {
    if (!TOOLS.includes(tool)) {
      const error = new TypeError(`tool must be one of ${TOOLS.join(', ')}, not ${tool}`);
      error.code = 'EINVAL';
      throw error;
    }
    const text = await native.settings(this._use(), storage, tool, gateway);
    return tool === 'duckdb' ? text : JSON.parse(text);
  }
}

// ------------------------------------------------- Windmill's helpers
let defaultWorkspace = null;

/** The helpers' workspace, opened on first use as new Workspace() is. */
function getDefaultWorkspace() {
  if (defaultWorkspace === null || defaultWorkspace.closed) defaultWorkspace = new Workspace();
  return defaultWorkspace;
}

// Windmill's s3ResourcePath names another bucket's resource; here it names
// a storage of the workspace, used when the pointer names none.
function inStorage(s3object, s3ResourcePath) {
  if (!s3ResourcePath) return s3object;
  if (s3object !== null && typeof s3object === 'object') {
    return s3object.storage == null ? { ...s3object, storage: s3ResourcePath } : s3object;
  }
  if (typeof s3object === 'string' && !/^\s*(\{|s3:)/.test(s3object)) {
    return `s3://${s3ResourcePath}/${s3object.replace(/^\/+/, '')}`;
  }
  return s3object;
}

/** The whole object as a Uint8Array (a Buffer). */
async function loadS3File(s3object, s3ResourcePath = undefined) {
  return getDefaultWorkspace().read(inStorage(s3object, s3ResourcePath));
}

/**
 * The object as a Readable, once the read is open (a missing object
 * rejects). Windmill gives a Blob: text() and arrayBuffer() are there too.
 */
async function loadS3FileStream(s3object, s3ResourcePath = undefined) {
  const stream = getDefaultWorkspace().createReadStream(inStorage(s3object, s3ResourcePath));
  await new Promise((resolve, reject) => {
    const onError = (error) => reject(error);
    stream.once('error', onError);
    stream.once('open', () => {
      stream.off('error', onError);
      resolve();
    });
  });
  stream.arrayBuffer = async () => {
    const whole = Buffer.concat(await stream.toArray());
    return whole.buffer.slice(whole.byteOffset, whole.byteOffset + whole.byteLength);
  };
  stream.text = async () => Buffer.concat(await stream.toArray()).toString('utf8');
  return stream;
}

/**
 * Stores fileContent (a string, Buffer, Uint8Array, Blob or Readable);
 * returns the pointer. Windmill's argument order. Unlike Windmill,
 * s3object may not be undefined: pail makes up no key.
 */
async function writeS3File(s3object, fileContent, s3ResourcePath = undefined,
  contentType = undefined, contentDisposition = undefined) {
  if (s3object === undefined || s3object === null) {
    const error = new Error('writeS3File needs a pointer: pail does not make up a key');
    error.code = 'EINVAL';
    error.category = 'invalid argument';
    throw error;
  }
  let content = fileContent;
  if (typeof Blob !== 'undefined' && content instanceof Blob) content = Readable.fromWeb(content.stream());
  return getDefaultWorkspace().write(inStorage(s3object, s3ResourcePath), content,
    { contentType: contentType ?? null, contentDisposition: contentDisposition ?? null });
}

module.exports = {
  Workspace,
  getDefaultWorkspace,
  loadS3File,
  loadS3FileStream,
  writeS3File,
  version: native.version,
};
