// serve_browser.js: the explorer of `pail serve` end to end in headless
// Chromium (Debian's /usr/bin/chromium) driven by playwright-core: a person
// opens the printed URL, browses an fs storage and an S3 storage (moto),
// sees a CSV preview table and a Parquet schema, uploads a file (picker and
// drag and drop), downloads it, copies its pointer and a presigned link,
// deletes it; pages through a large folder; opens /?pointer=...
// Run by serve_browser.sh, which starts the servers and passes:
//   SERVE_URL, SERVE_TOKEN, SHOTS (a directory for the screenshots),
//   FS_ROOT (the fs storage's directory), S3_STORAGE (the secondary's name).
// Prints "ok: ..." and "FAIL: ..." lines; exits 1 on any failure.
"use strict";

const { chromium } = require("playwright-core");
const fs = require("fs");
const path = require("path");

const url = process.env.SERVE_URL;
const token = process.env.SERVE_TOKEN;
const shots = process.env.SHOTS;
const fsRoot = process.env.FS_ROOT;
const s3Storage = process.env.S3_STORAGE;
let failures = 0;

function pass(what) { console.log("ok: " + what); }
function fail(what) { failures++; console.log("FAIL: " + what); }
function check(what, condition, detail) {
  if (condition) pass(what);
  else fail(what + (detail !== undefined ? ": " + detail : ""));
}

// Runs one step; a thrown error (a timeout waiting for the page) fails it
// and the test goes on with the next.
async function step(what, fn) {
  try {
    await fn();
  } catch (error) {
    fail(what + ": " + String(error.message || error).split("\n")[0]);
  }
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, name + ".png") });
}

const rowFor = (page, key) => page.locator(`#files tr[data-key="${key}"]`);
const drawerTitle = (page) => page.locator("#drawer-title");

async function openRow(page, key) {
  await rowFor(page, key).click();
  await page.waitForFunction((k) => {
    const d = document.getElementById("drawer");
    return !d.hidden && document.querySelector("#meta dd:nth-of-type(2)") &&
      document.querySelector("#meta dd:nth-of-type(2)").textContent === k;
  }, key);
}

async function previewFormat(page) {
  await page.waitForFunction(() => {
    const box = document.getElementById("preview");
    return box.dataset.format || box.querySelector(".error");
  }, null, { timeout: 15000 });
  return page.locator("#preview").evaluate((b) => b.dataset.format || "error: " + b.textContent);
}

// Browses one storage: CSV table, Parquet schema, upload, download, copy,
// delete. storage is null for the primary.
async function browseStorage(page, label, storage, folder) {
  await step(label + ": pick the storage", async () => {
    await page.selectOption("#storage", storage || "");
    await rowFor(page, folder).waitFor();
    pass(label + ": the storage's root lists " + folder);
  });
  await step(label + ": open the folder", async () => {
    await rowFor(page, folder).click();
    await rowFor(page, folder + "cities.csv").waitFor();
    const crumbs = await page.locator("#crumbs").textContent();
    check(label + ": breadcrumbs show the folder", crumbs.includes(folder.slice(0, -1)), crumbs);
    const size = await rowFor(page, folder + "cities.csv").locator("td").nth(1).textContent();
    check(label + ": the table shows the size", size.trim() === "69 B", size);
    const modified = await rowFor(page, folder + "cities.csv").locator("td").nth(2).textContent();
    check(label + ": the table shows the time modified", /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(modified.trim()), modified);
    await shot(page, label + "-folder");
  });
  await step(label + ": CSV preview", async () => {
    await openRow(page, folder + "cities.csv");
    const format = await previewFormat(page);
    check(label + ": cities.csv is previewed as csv", format === "csv", format);
    const headers = await page.locator("#preview th").allTextContents();
    check(label + ": the CSV table has the header", headers.join("|") === "city|country|population", headers.join("|"));
    const cells = await page.locator("#preview tbody tr").first().locator("td").allTextContents();
    check(label + ": the CSV table has the first row", cells.join("|") === "Lisbon|Portugal|545923", cells.join("|"));
    await shot(page, label + "-csv-preview");
  });
  if (!process.env.PARQUET) {
    console.log("NOTE: " + label + ": no Parquet file to preview");
  } else await step(label + ": Parquet schema", async () => {
    await openRow(page, folder + "alltypes_plain.parquet");
    const format = await previewFormat(page);
    check(label + ": the Parquet file is previewed as parquet", format === "parquet", format);
    const summary = await page.locator("#preview .summary").textContent();
    check(label + ": the summary says 8 rows and 11 columns", summary.includes("8 rows, 11 columns"), summary);
    const names = await page.locator("#preview table").first().locator("tbody tr td:first-child").allTextContents();
    const expect = ["id", "bool_col", "tinyint_col", "smallint_col", "int_col", "bigint_col", "float_col",
      "double_col", "date_string_col", "string_col", "timestamp_col"];
    check(label + ": the schema lists the 11 columns", JSON.stringify(names.map((n) => n.trim())) === JSON.stringify(expect),
      names.join(","));
    await shot(page, label + "-parquet-schema");
  });

  const uploaded = folder + "upload me.txt";
  const content = "uploaded through the explorer to " + label + "\n";
  await step(label + ": upload with the file picker", async () => {
    await page.setInputFiles("#upload", { name: "upload me.txt", mimeType: "text/plain", buffer: Buffer.from(content) });
    await page.waitForFunction(() => document.getElementById("message").textContent.startsWith("Uploaded"));
    await rowFor(page, uploaded).waitFor();
    const progress = await page.locator("#upload-progress").evaluate((p) => p.value);
    check(label + ": the progress bar reached 100%", progress === 100, progress);
    await page.waitForFunction((k) => document.getElementById("drawer-title").textContent === k.split("/").pop(), uploaded);
    pass(label + ": the uploaded file is listed and opened");
    const format = await previewFormat(page);
    check(label + ": the uploaded file previews as text", format === "text", format);
    await shot(page, label + "-uploaded");
  });
  await step(label + ": download", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const saved = path.join(shots, label + "-download.txt");
    await download.saveAs(saved);
    check(label + ": the download has the uploaded bytes", fs.readFileSync(saved, "utf8") === content);
    check(label + ": the download is named after the key", download.suggestedFilename() === "upload me.txt",
      download.suggestedFilename());
  });
  await step(label + ": copy pointer", async () => {
    await page.click("#copy-pointer");
    const text = await page.locator("#copied").textContent();
    const want = storage ? { s3: uploaded, storage: storage } : { s3: uploaded };
    check(label + ": the copied pointer is " + JSON.stringify(want), text === JSON.stringify(want), text);
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    check(label + ": the pointer is on the clipboard", clip === text, clip);
  });
  await step(label + ": copy presigned link", async () => {
    const before = await page.locator("#copied").textContent();
    await page.click("#copy-link");
    await page.waitForFunction((old) => document.getElementById("copied").textContent !== old, before);
    const text = await page.locator("#copied").textContent();
    if (storage) {
      check(label + ": the link is a presigned S3 URL", /^http:\/\/127\.0\.0\.1:\d+\/.*X-Amz-Signature=/.test(text), text);
      const response = await fetch(text);
      check(label + ": the presigned link serves the object", response.ok && (await response.text()) === content);
    } else {
      const grant = JSON.parse(text);
      check(label + ": fs answers with a signed pointer", grant.s3 === uploaded && /^exp=\d+&sig=[0-9a-f]{64}$/.test(grant.presigned), text);
    }
  });
  await step(label + ": delete with confirmation", async () => {
    await page.click("#delete");
    await page.locator("#confirm").waitFor({ state: "visible" });
    const question = await page.locator("#confirm-text").textContent();
    check(label + ": the confirmation names the object", question.includes(uploaded), question);
    await shot(page, label + "-delete-confirm");
    await page.click("#confirm-cancel");
    check(label + ": cancel keeps the object", await rowFor(page, uploaded).count() === 1);
    await page.click("#delete");
    await page.click("#confirm-ok");
    await rowFor(page, uploaded).waitFor({ state: "detached" });
    check(label + ": the drawer closes after the delete", await page.locator("#drawer").isHidden());
    pass(label + ": the deleted object is no longer listed");
  });
}

async function main() {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, acceptDownloads: true });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: url.replace(/\/$/, "") });
    const page = await context.newPage();
    page.on("pageerror", (error) => fail("script error in the page: " + error.message));

    await step("without the token", async () => {
      await page.goto(url);
      await page.locator("#login").waitFor({ state: "visible" });
      pass("without the token the page asks for it");
      const response = await page.goto(url + "?token=wrong-token-000");
      check("a wrong token in the URL is refused", response.status() === 403, response.status());
    });
    await step("open the printed URL", async () => {
      await page.goto(url + "?token=" + token);
      check("the token leaves the address bar", !page.url().includes("token"), page.url());
      await rowFor(page, "data/").waitFor();
      const options = await page.locator("#storage option").allTextContents();
      check("the storage picker lists both storages", options.length === 2 && options[0] === "primary (fs)" &&
        options[1] === s3Storage + " (s3)", options.join(","));
      await shot(page, "storages");
    });

    await browseStorage(page, "fs", null, "data/");
    await browseStorage(page, "s3", s3Storage, "data/");

    await step("JSON and image previews", async () => {
      await page.goto(url + "?pointer=" + encodeURIComponent("s3:///more/city.json"));
      await page.waitForFunction(() => document.getElementById("drawer-title").textContent === "city.json");
      check("a JSON file is previewed as json", await previewFormat(page) === "json");
      const text = await page.locator("#preview pre").textContent();
      check("it is pretty-printed", text.includes('\n  "city": "Lisbon",'), text);
      await page.goto(url + "?pointer=" + encodeURIComponent("s3:///more/dot.png"));
      await page.waitForFunction(() => document.getElementById("drawer-title").textContent === "dot.png");
      check("a PNG is previewed as an image", await previewFormat(page) === "image");
      await page.waitForFunction(() => {
        const img = document.querySelector("#preview img");
        return img && img.complete;
      });
      const size = await page.locator("#preview img").evaluate((img) => img.naturalWidth + "x" + img.naturalHeight);
      check("the image is shown inline (3x2 pixels)", size === "3x2", size);
      const summary = await page.locator("#preview .summary").textContent();
      check("its type and size are given", summary.startsWith("PNG, 3 × 2"), summary);
    });

    await step("drag and drop upload", async () => {
      await page.selectOption("#storage", "");
      await rowFor(page, "data/").click();
      await rowFor(page, "data/cities.csv").waitFor();
      await page.evaluate(() => {
        const transfer = new DataTransfer();
        transfer.items.add(new File(["dropped\n"], "dropped.txt", { type: "text/plain" }));
        for (const type of ["dragenter", "dragover", "drop"])
          window.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
      });
      await rowFor(page, "data/dropped.txt").waitFor();
      check("a dropped file is stored in the folder shown",
        fs.readFileSync(path.join(fsRoot, "data", "dropped.txt"), "utf8") === "dropped\n");
    });

    await step("/?pointer= opens the object", async () => {
      await page.goto(url + "?pointer=" + encodeURIComponent(JSON.stringify({ s3: "data/cities.csv", storage: s3Storage })));
      await page.waitForFunction(() => document.getElementById("drawer-title").textContent === "cities.csv");
      check("the pointer's storage is picked", await page.locator("#storage").inputValue() === s3Storage);
      check("the pointer's folder is listed", await rowFor(page, "data/cities.csv").count() === 1);
      await page.goto(url + "?pointer=" + encodeURIComponent("s3:///data/dropped.txt"));
      await page.waitForFunction(() => document.getElementById("drawer-title").textContent === "dropped.txt");
      check("an s3:/// URI opens the primary's object", await page.locator("#storage").inputValue() === "");
      await page.goto(url + "?pointer=" + encodeURIComponent("s3:///data/../../etc/passwd"));
      await page.waitForFunction(() => document.getElementById("message").textContent.includes("path segment"));
      check("a pointer with .. is refused with the library's message", await page.locator("#drawer").isHidden());
    });

    await step("the Go to box", async () => {
      await page.fill("#goto", "many");
      await page.press("#goto", "Enter");
      await rowFor(page, "many/file-00.txt").waitFor();
      pass("a folder typed in Go to is listed");
      await page.fill("#goto", "s3://" + s3Storage + "/data/cities.csv");
      await page.press("#goto", "Enter");
      await page.waitForFunction(() => document.getElementById("drawer-title").textContent === "cities.csv");
      check("a URI typed in Go to opens the object in its storage",
        await page.locator("#storage").inputValue() === s3Storage);
      await page.keyboard.press("Escape");
      check("Escape closes the drawer", await page.locator("#drawer").isHidden());
      await rowFor(page, "data/cities.csv").focus();
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => !document.getElementById("drawer").hidden);
      pass("Enter on a focused row opens it");
    });

    await step("pages through a large folder", async () => {
      await page.goto(url + "?prefix=many/&page_size=10");
      await rowFor(page, "many/file-00.txt").waitFor();
      check("the first page has 10 rows", await page.locator("#files tbody tr").count() === 10);
      check("Previous is off on the first page", await page.locator("#prev").isDisabled());
      const seen = new Set();
      for (let i = 0; i < 3; i++) {
        for (const k of await page.locator("#files tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.key)))
          seen.add(k);
        if (i < 2) {
          await page.click("#next");
          await page.waitForFunction((n) => document.getElementById("page").textContent === "Page " + n, i + 2);
        }
      }
      check("three pages show all 25 files once", seen.size === 25, seen.size);
      check("Next is off on the last page", await page.locator("#next").isDisabled());
      await page.click("#prev");
      await page.waitForFunction(() => document.getElementById("page").textContent === "Page 2");
      check("Previous goes back a page", await rowFor(page, "many/file-10.txt").count() === 1);
      await shot(page, "pages");
    });

    await step("the drawer for the docs", async () => {
      await page.goto(url + "?pointer=" + encodeURIComponent(JSON.stringify({ s3: "data/cities.csv" })));
      await page.waitForFunction(() => document.getElementById("preview").dataset.format === "csv");
      await shot(page, "explorer");
    });
  } finally {
    await browser.close();
  }
}

main().then(() => {
  console.log(failures === 0 ? "browser test: all checks passed" : "browser test: " + failures + " failed");
  process.exit(failures === 0 ? 0 : 1);
}, (error) => {
  console.log("FAIL: " + (error.stack || error));
  process.exit(1);
});
