// The explorer of `pail serve`: browses the workspace's storages through
// the server's JSON API (/api/...). No framework; every text that comes
// from a storage is put in the page with textContent, never as HTML.
"use strict";

const state = {
  storages: [],
  storage: null, // null: the primary
  prefix: "",
  pageTokens: [null], // the token of each page seen, for Previous
  page: 0,
  pageSize: 100,
  maxUpload: 0,
  selected: null, // {storage, key, pointer, info}
  listing: 0, // counts listings, so that a slow answer cannot overwrite a newer one
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// ------------------------------------------------------------------ API

class ApiError extends Error {
  constructor(status, category, message) {
    super(message);
    this.status = status;
    this.category = category;
  }
}

function query(params) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {}))
    if (value !== null && value !== undefined) q.set(name, value);
  const text = q.toString();
  return text ? "?" + text : "";
}

// The storage and key parameters of an object.
function objectParams(storage, key, extra) {
  return Object.assign({ storage: storage || "", key: key }, extra || {});
}

async function api(path, params, options) {
  const init = Object.assign({ credentials: "same-origin" }, options || {});
  init.headers = Object.assign({ "X-Pail-Request": "1" }, init.headers || {});
  const response = await fetch("/api/" + path + query(params), init);
  let doc = null;
  try {
    doc = await response.json();
  } catch (e) {
    doc = null;
  }
  if (!response.ok) {
    const error = (doc && doc.error) || {};
    if (response.status === 401) showLogin();
    throw new ApiError(response.status, error.category || "error",
      error.message || response.status + " " + response.statusText);
  }
  return doc;
}

// ------------------------------------------------------------- messages

let messageTimer = null;
function say(text, isError) {
  const box = $("message");
  box.textContent = text;
  box.className = isError ? "error" : "";
  box.hidden = false;
  clearTimeout(messageTimer);
  if (!isError) messageTimer = setTimeout(() => { box.hidden = true; }, 6000);
}
function sayError(what, error) {
  const category = error.category ? error.category + ": " : "";
  say(what + ": " + category + error.message, true);
}

function showLogin() {
  $("login").hidden = false;
  $("main").hidden = true;
}

// --------------------------------------------------------------- format

function formatSize(bytes) {
  if (bytes === undefined || bytes === null) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return (unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)) + " " + units[unit];
}

function formatTime(text) {
  if (!text || text === "-") return "";
  return text.replace("T", " ").replace("Z", "");
}

function storageLabel(name) {
  return name === null || name === undefined ? "primary" : name;
}

function baseName(key) {
  const trimmed = key.endsWith("/") ? key.slice(0, -1) : key;
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

function folderOf(key) {
  const i = key.lastIndexOf("/");
  return i < 0 ? "" : key.slice(0, i + 1);
}

// ------------------------------------------------------------- storages

async function loadStorages() {
  const doc = await api("storages");
  state.storages = doc.storages;
  state.maxUpload = doc.max_upload;
  const select = $("storage");
  select.textContent = "";
  for (const s of doc.storages) {
    const label = storageLabel(s.name) + " (" + s.type + ")";
    select.append(el("option", { value: s.name === null ? "" : s.name }, label));
  }
  state.storage = doc.default;
  select.value = state.storage || "";
}

// -------------------------------------------------------------- listing

function setLocation() {
  const params = {};
  if (state.storage) params.storage = state.storage;
  if (state.prefix) params.prefix = state.prefix;
  if (state.selected) {
    params.pointer = JSON.stringify(state.selected.pointer);
    delete params.prefix;
    delete params.storage;
  }
  history.replaceState(null, "", "/" + query(params));
}

function renderCrumbs() {
  const nav = $("crumbs");
  nav.textContent = "";
  const parts = state.prefix ? state.prefix.slice(0, -1).split("/") : [];
  const root = el("a", { "data-prefix": "", tabindex: "0" }, storageLabel(state.storage) + ":");
  root.addEventListener("click", () => openFolder(""));
  nav.append(parts.length === 0 ? el("span", { class: "here" }, root.textContent) : root);
  let path = "";
  parts.forEach((part, i) => {
    path += part + "/";
    nav.append(el("span", { class: "sep" }, "/"));
    if (i === parts.length - 1) {
      nav.append(el("span", { class: "here" }, part));
    } else {
      const target = path;
      const link = el("a", { "data-prefix": target, tabindex: "0" }, part);
      link.addEventListener("click", () => openFolder(target));
      nav.append(link);
    }
  });
  $("drop-folder").textContent = storageLabel(state.storage) + ":/" + state.prefix;
}

async function loadPage() {
  renderCrumbs();
  const tbody = document.querySelector("#files tbody");
  const listing = ++state.listing;
  let doc;
  try {
    doc = await api("list", {
      storage: state.storage || "",
      prefix: state.prefix,
      max_keys: state.pageSize,
      page_token: state.pageTokens[state.page],
    });
  } catch (error) {
    if (listing !== state.listing) return;
    tbody.textContent = "";
    sayError("cannot list " + storageLabel(state.storage) + ":/" + state.prefix, error);
    return;
  }
  if (listing !== state.listing) return;
  tbody.textContent = "";
  for (const entry of doc.entries) {
    const name = entry.key.slice(state.prefix.length);
    let row;
    if (entry.folder) {
      row = el("tr", { class: "entry folder", "data-key": entry.key },
        el("td", {}, name), el("td", {}, ""), el("td", {}, ""));
      row.addEventListener("click", () => openFolder(entry.key));
    } else {
      const size = el("td", { title: entry.size + " bytes" }, formatSize(entry.size));
      row = el("tr", { class: "entry object", "data-key": entry.key },
        el("td", {}, name), size, el("td", {}, formatTime(entry.last_modified)));
      row.addEventListener("click", () => openObject(state.storage, entry.key));
      if (state.selected && state.selected.key === entry.key) row.classList.add("selected");
    }
    row.tabIndex = 0;
    row.addEventListener("keydown", (event) => {
      if (event.key === "Enter") row.click();
    });
    tbody.append(row);
  }
  $("empty").hidden = doc.entries.length > 0 || state.page > 0;
  state.pageTokens.length = state.page + 1;
  if (doc.next_page_token) state.pageTokens.push(doc.next_page_token);
  $("prev").disabled = state.page === 0;
  $("next").disabled = !doc.next_page_token;
  $("page").textContent = "Page " + (state.page + 1);
}

function openFolder(prefix) {
  // What was said about the last place does not belong to the next.
  $("message").hidden = true;
  $("uploads").hidden = true;
  state.prefix = prefix;
  state.pageTokens = [null];
  state.page = 0;
  closeDrawer();
  loadPage();
}

// --------------------------------------------------------------- drawer

function closeDrawer() {
  state.selected = null;
  $("drawer").hidden = true;
  document.body.classList.remove("drawer-open");
  $("copied").hidden = true;
  for (const row of document.querySelectorAll("#files tr.selected"))
    row.classList.remove("selected");
  setLocation();
}

function metaRow(dl, name, value) {
  if (value === null || value === undefined || value === "") return;
  dl.append(el("dt", {}, name), el("dd", {}, value));
}

async function openObject(storage, key) {
  let doc;
  try {
    doc = await api("stat", objectParams(storage, key));
  } catch (error) {
    sayError("cannot open " + key, error);
    return;
  }
  state.selected = { storage: storage, key: key, pointer: doc.pointer, info: doc.info };
  setLocation();
  for (const row of document.querySelectorAll("#files tr.entry"))
    row.classList.toggle("selected", row.dataset.key === key);
  $("drawer").hidden = false;
  document.body.classList.add("drawer-open");
  $("copied").hidden = true;
  $("drawer-title").textContent = baseName(key);
  const info = doc.info;
  const dl = $("meta");
  dl.textContent = "";
  metaRow(dl, "Storage", storageLabel(storage));
  metaRow(dl, "Key", key);
  metaRow(dl, "Size", formatSize(info.size) + " (" + info.size + " bytes)");
  metaRow(dl, "Modified", formatTime(info.last_modified) + " UTC");
  metaRow(dl, "Content type", info.content_type);
  metaRow(dl, "Disposition", info.content_disposition);
  metaRow(dl, "ETag", info.etag);
  for (const [name, value] of Object.entries(info.metadata || {}))
    metaRow(dl, "meta: " + name, value);
  metaRow(dl, "Pointer", JSON.stringify(doc.pointer));
  metaRow(dl, "URI", doc.uri);
  loadPreview(storage, key);
}

async function loadPreview(storage, key) {
  const box = $("preview");
  box.textContent = "";
  delete box.dataset.format;
  box.append(el("p", { class: "note" }, "Loading…"));
  let doc;
  try {
    doc = await api("preview", objectParams(storage, key, { max_rows: 50 }));
  } catch (error) {
    box.textContent = "";
    box.append(el("p", { class: "note error" },
      "No preview: " + (error.category ? error.category + ": " : "") + error.message));
    return;
  }
  const s = state.selected;
  if (!s || s.key !== key || (s.storage || null) !== (storage || null)) return;
  box.textContent = "";
  box.dataset.format = doc.format;
  const render = previewers[doc.format] || previewers.binary;
  render(box, doc, storage, key);
}

function truncatedNote(box, doc, what) {
  if (doc.truncated)
    box.append(el("p", { class: "note" }, "Only the first " + what + " are shown."));
}

function table(columns, rows) {
  const head = el("tr", {}, ...columns.map((c) => el("th", {}, c)));
  const body = rows.map((row) =>
    el("tr", {}, ...row.map((cell) =>
      el("td", { title: cell === null || cell === undefined ? "" : String(cell) },
        cell === null || cell === undefined ? "" : String(cell)))));
  return el("div", { class: "scroll" },
    el("table", {}, el("thead", {}, head), el("tbody", {}, ...body)));
}

function show(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

const previewers = {
  csv(box, doc) {
    const kind = doc.format === "tsv" ? "TSV" : "CSV";
    const delimiter = doc.delimiter === "\t" ? "tab" : JSON.stringify(doc.delimiter);
    box.append(el("p", { class: "summary" }, kind + ", delimiter " + delimiter +
      (doc.header ? ", with a header" : ", no header")));
    box.append(table(doc.columns || [], doc.rows || []));
    truncatedNote(box, doc, (doc.rows || []).length + " rows");
  },
  tsv(box, doc) { previewers.csv(box, doc); },
  json(box, doc) {
    box.append(el("pre", {}, doc.text || ""));
    if (doc.error) box.append(el("p", { class: "note" }, "Not valid JSON: " + doc.error));
    truncatedNote(box, doc, "bytes");
  },
  ndjson(box, doc) {
    const lines = (doc.records || []).map((r) => JSON.stringify(r));
    box.append(el("p", { class: "summary" }, "NDJSON, " + lines.length + " records"));
    box.append(el("pre", {}, lines.join("\n")));
    if (doc.invalid_lines && doc.invalid_lines.length)
      box.append(el("p", { class: "note" }, "Lines that are not JSON: " + doc.invalid_lines.join(", ")));
    truncatedNote(box, doc, lines.length + " records");
  },
  text(box, doc) {
    box.append(el("pre", {}, (doc.lines || []).join("\n")));
    truncatedNote(box, doc, (doc.lines || []).length + " lines");
  },
  image(box, doc, storage, key) {
    const size = doc.width ? ", " + doc.width + " × " + doc.height + " pixels" : "";
    box.append(el("p", { class: "summary" }, (doc.image_type || "image").toUpperCase() + size));
    box.append(el("img", {
      alt: baseName(key),
      src: "/api/download" + query(objectParams(storage, key, { inline: 1 })),
    }));
  },
  parquet(box, doc) {
    box.append(el("p", { class: "summary" },
      "Parquet: " + doc.num_rows + " rows, " + doc.num_columns + " columns, " +
      doc.num_row_groups + " row group" + (doc.num_row_groups === 1 ? "" : "s") +
      (doc.created_by ? "; written by " + doc.created_by : "")));
    box.append(el("h4", {}, "Schema"));
    box.append(table(["name", "type", "logical / converted", "repetition"],
      (doc.schema || []).map((s) => [
        "  ".repeat(Math.max(0, (s.depth || 1) - 1)) + s.name,
        s.type || (s.num_children ? "group (" + s.num_children + ")" : ""),
        show(s.logical_type || s.converted_type),
        s.repetition || "",
      ])));
    box.append(el("h4", {}, "Columns"));
    box.append(table(["path", "codecs", "compressed", "nulls", "min", "max"],
      (doc.columns || []).map((c) => [
        show(c.path), show(c.codecs), formatSize(c.compressed_size),
        show(c.null_count), show(c.min), show(c.max),
      ])));
  },
  binary(box, doc) {
    const what = doc.binary_type ? "Binary content (" + doc.binary_type + ")" :
      doc.format === "unknown" ? "Nothing to show" + (doc.reason ? ": " + doc.reason : "") :
      "Binary content";
    box.append(el("p", { class: "note" }, what + "; download it to look inside."));
  },
};
previewers.unknown = previewers.binary;

// ------------------------------------------------------------- actions

async function copyText(text, what) {
  const out = $("copied");
  out.textContent = text;
  out.hidden = false;
  try {
    await navigator.clipboard.writeText(text);
    say(what + " copied to the clipboard");
  } catch (e) {
    // No clipboard permission (or not a secure context): select the text
    // so that Ctrl-C copies it.
    const range = document.createRange();
    range.selectNodeContents(out);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    say(what + " shown below; press Ctrl-C to copy it");
  }
}

function copyPointer() {
  if (state.selected) copyText(JSON.stringify(state.selected.pointer), "Pointer");
}

async function copyLink() {
  if (!state.selected) return;
  const s = state.selected;
  try {
    const doc = await api("sign", objectParams(s.storage, s.key));
    if (doc.url) copyText(doc.url, "Presigned link");
    else copyText(JSON.stringify(doc.grant), "Signed pointer (this storage cannot presign URLs)");
  } catch (error) {
    sayError("cannot sign " + s.key, error);
  }
}

function download() {
  if (!state.selected) return;
  const s = state.selected;
  const link = el("a", {
    href: "/api/download" + query(objectParams(s.storage, s.key)),
    download: baseName(s.key),
  });
  document.body.append(link);
  link.click();
  link.remove();
}

function confirmDialog(text, okLabel) {
  return new Promise((resolve) => {
    const dialog = $("confirm");
    $("confirm-text").textContent = text;
    $("confirm-ok").textContent = okLabel;
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

async function remove() {
  if (!state.selected) return;
  const s = state.selected;
  const where = storageLabel(s.storage) + ":/" + s.key;
  if (!(await confirmDialog("Delete " + where + "? This cannot be undone.", "Delete"))) return;
  try {
    await api("object", objectParams(s.storage, s.key), { method: "DELETE" });
  } catch (error) {
    sayError("cannot delete " + s.key, error);
    return;
  }
  say("Deleted " + where);
  closeDrawer();
  loadPage();
}

// -------------------------------------------------------------- uploads

function putFile(file, key, replace) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const params = objectParams(state.storage, key, replace ? {} : { no_clobber: 1 });
    xhr.open("PUT", "/api/object" + query(params));
    xhr.setRequestHeader("X-Pail-Request", "1");
    // Without a type the server guesses one from the key's extension.
    if (file.type) xhr.setRequestHeader("Content-Type", file.type);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        const percent = Math.floor((100 * event.loaded) / event.total);
        $("upload-progress").value = percent;
        $("upload-percent").textContent = percent + "%";
      }
    });
    xhr.addEventListener("load", () => {
      let doc = null;
      try { doc = JSON.parse(xhr.responseText); } catch (e) { doc = null; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(doc);
      else {
        const error = (doc && doc.error) || {};
        reject(new ApiError(xhr.status, error.category, error.message || "HTTP " + xhr.status));
      }
    });
    xhr.addEventListener("error", () =>
      reject(new ApiError(0, "unavailable", "the connection to pail serve failed")));
    xhr.send(file);
  });
}

async function uploadFiles(files) {
  const list = Array.from(files);
  if (list.length === 0) return;
  const bar = $("uploads");
  let last = null;
  for (const file of list) {
    const key = state.prefix + file.name;
    if (state.maxUpload && file.size > state.maxUpload) {
      say("cannot upload " + file.name + ": it is " + file.size + " bytes, more than the " +
        state.maxUpload + " this server accepts (pail serve --max-upload)", true);
      continue;
    }
    bar.hidden = false;
    $("upload-name").textContent = "Uploading " + file.name;
    $("upload-progress").value = 0;
    $("upload-percent").textContent = "0%";
    try {
      try {
        await putFile(file, key, false);
      } catch (error) {
        if (error.status !== 409) throw error;
        if (!(await confirmDialog(key + " exists already. Replace it?", "Replace"))) continue;
        await putFile(file, key, true);
      }
      $("upload-progress").value = 100;
      $("upload-percent").textContent = "100%";
      $("upload-name").textContent = "Uploaded " + file.name;
      say("Uploaded " + storageLabel(state.storage) + ":/" + key);
      last = key;
    } catch (error) {
      sayError("cannot upload " + file.name, error);
    }
  }
  setTimeout(() => { bar.hidden = true; }, 1500);
  await loadPage();
  if (last) openObject(state.storage, last);
}

function setUpDragAndDrop() {
  let depth = 0;
  const zone = $("dropzone");
  const hasFiles = (event) => event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files");
  window.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth++;
    zone.hidden = false;
  });
  window.addEventListener("dragover", (event) => {
    if (hasFiles(event)) event.preventDefault();
  });
  window.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone.hidden = true;
  });
  window.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    zone.hidden = true;
    uploadFiles(event.dataTransfer.files);
  });
}

// An object named by any pointer form: its storage picked, its folder
// listed, its drawer opened.
async function openPointer(text) {
  const doc = await api("resolve", { pointer: text });
  state.storage = doc.storage;
  $("storage").value = doc.storage || "";
  state.prefix = folderOf(doc.key);
  state.pageTokens = [null];
  state.page = 0;
  await loadPage();
  await openObject(doc.storage, doc.key);
}

// The "Go to" box: a pointer ({"s3": ...} or s3://...) opens that object;
// anything else is a folder of the storage shown (where the access rules
// may allow listing it even when they do not allow listing the root).
async function goTo(text) {
  text = text.trim();
  if (text.startsWith("{") || text.startsWith("s3:")) {
    try {
      await openPointer(text);
    } catch (error) {
      sayError("cannot open " + text, error);
    }
    return;
  }
  let prefix = text.replace(/^\/+/, "");
  if (prefix !== "" && !prefix.endsWith("/")) prefix += "/";
  openFolder(prefix);
}

// ---------------------------------------------------------------- start

async function start() {
  const params = new URLSearchParams(location.search);
  const size = parseInt(params.get("page_size") || "", 10);
  if (size > 0 && size <= 1000) state.pageSize = size;
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    location.href = "/?token=" + encodeURIComponent($("login-token").value);
  });
  try {
    await loadStorages();
  } catch (error) {
    if (error.status !== 401) sayError("cannot reach the workspace", error);
    return;
  }
  $("storage").addEventListener("change", () => {
    state.storage = $("storage").value || null;
    openFolder("");
  });
  $("refresh").addEventListener("click", () => loadPage());
  $("prev").addEventListener("click", () => {
    if (state.page > 0) { state.page--; loadPage(); }
  });
  $("next").addEventListener("click", () => {
    if (state.pageTokens.length > state.page + 1) { state.page++; loadPage(); }
  });
  $("upload").addEventListener("change", (event) => {
    uploadFiles(event.target.files).then(() => { event.target.value = ""; });
  });
  $("drawer-close").addEventListener("click", closeDrawer);
  $("download").addEventListener("click", download);
  $("copy-pointer").addEventListener("click", copyPointer);
  $("copy-link").addEventListener("click", copyLink);
  $("delete").addEventListener("click", remove);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("drawer").hidden && !$("confirm").open) closeDrawer();
  });
  setUpDragAndDrop();
  $("goto-form").addEventListener("submit", (event) => {
    event.preventDefault();
    goTo($("goto").value);
  });

  // /?pointer=<JSON or s3:// URI> opens that object, as clicking it would.
  const pointer = params.get("pointer");
  if (pointer) {
    try {
      await openPointer(pointer);
    } catch (error) {
      sayError("cannot open the pointer " + pointer, error);
      await loadPage();
    }
    return;
  }
  if (params.has("storage")) {
    state.storage = params.get("storage") || null;
    $("storage").value = state.storage || "";
  }
  const prefix = params.get("prefix") || "";
  state.prefix = prefix === "" || prefix.endsWith("/") ? prefix : prefix + "/";
  await loadPage();
}

document.addEventListener("DOMContentLoaded", start);
