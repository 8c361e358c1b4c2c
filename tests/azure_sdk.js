// azure_sdk.js: the Azure SDK for JavaScript (@azure/storage-blob) as an
// independent client of the tests' Azurite, so that what pail writes is
// checked by someone else's code (a mistake made the same way on the way in
// and out cannot pass). Driven by tests/azure_lib.sh's azure_sdk:
//   props KEY            the blob's properties as JSON
//   blocks KEY           {"committed": N, "uncommitted": M}
//   block-ids KEY        {"committed": [ID...], "uncommitted": [ID...]},
//                        each ID as the service gives it (base64)
//   sizes PREFIX         {NAME: SIZE...} of the blobs under PREFIX
//   download KEY FILE    the blob's bytes into FILE
//   exists KEY           prints true or false
//   count PREFIX         how many blobs a flat listing under PREFIX holds
// The account, key, URL and container come from the environment.
"use strict";
const blob = require("@azure/storage-blob");

async function main() {
  const [command, key, file] = process.argv.slice(2);
  const credential = new blob.StorageSharedKeyCredential(
      process.env.AZURE_ACCOUNT, process.env.AZURE_KEY);
  const service = new blob.BlobServiceClient(process.env.AZURE_URL, credential,
                                             {retryOptions: {maxTries: 1}});
  const container = service.getContainerClient(process.env.AZURE_CONTAINER);
  const client = key === undefined ? null : container.getBlockBlobClient(key);
  switch (command) {
  case "props": {
    const p = await client.getProperties();
    console.log(JSON.stringify({
      size: p.contentLength, etag: p.etag, contentType: p.contentType,
      contentDisposition: p.contentDisposition, metadata: p.metadata,
      blobType: p.blobType}));
    break;
  }
  case "blocks": {
    const list = await client.getBlockList("all");
    console.log(JSON.stringify({
      committed: (list.committedBlocks || []).length,
      uncommitted: (list.uncommittedBlocks || []).length}));
    break;
  }
  case "block-ids": {
    const list = await client.getBlockList("all");
    const ids = (blocks) => (blocks || []).map((b) => b.name);
    console.log(JSON.stringify({
      committed: ids(list.committedBlocks),
      uncommitted: ids(list.uncommittedBlocks)}));
    break;
  }
  case "sizes": {
    const sizes = {};
    for await (const item of container.listBlobsFlat({prefix: key}))
      sizes[item.name] = item.properties.contentLength;
    console.log(JSON.stringify(sizes));
    break;
  }
  case "download":
    await client.downloadToFile(file);
    break;
  case "exists":
    console.log(String(await client.exists()));
    break;
  case "count": {
    let n = 0;
    for await (const item of container.listBlobsFlat({prefix: key})) {
      void item;
      n++;
    }
    console.log(String(n));
    break;
  }
  default:
    throw new Error("unknown command " + command);
  }
}

main().catch((error) => {
  console.error("azure_sdk: " + (error.code || "") + " " + error.message);
  process.exit(1);
});
