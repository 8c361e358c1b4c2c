#!/usr/bin/env python3
"""The measuring half of bench/run (which starts the servers and sets the
environment this reads; run that, not this).

Every scenario moves the same object with pail and with each peer that
applies, alternating the tools within each repetition (the order rotates),
under /usr/bin/time: wall seconds, user+sys CPU seconds, peak RSS, and the
bytes moved, which are checked (a run that moved the wrong bytes is a failed
run, never a figure). Medians over the repetitions and ratios to pail go to
<out>/<date>-<commit>.md and .json.
"""
import datetime
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

E = os.environ
SCRATCH = E["BENCH_SCRATCH"]
OUT = E["BENCH_OUT"]
SMOKE = E["BENCH_SMOKE"] == "1"
REPS = int(E["BENCH_REPS"])
SIZE = int(E["BENCH_SIZE_MIB"]) << 20
CLOUD_SIZE = int(E["BENCH_CLOUD_MIB"]) << 20
ONLY = [s for s in E.get("BENCH_ONLY", "").split(",") if s]
PAIL = E["PAIL"]
PAIL_BENCH = E["BENCH_PAIL_BENCH"]
MIB = 1 << 20
GIB = 1 << 30

# Without servers (bench/run --bindings) their settings name nothing
# reachable, and only the bindings' scenario runs.
SERVERS = E.get("BENCH_SERVERS", "1") == "1"
if not SERVERS:
    for name in ("NGINX_PORT", "S3_PORT", "GCS_PORT"):
        E.setdefault(name, "1")
    for name in ("S3_BUCKET", "S3_REGION", "S3_ACCESS_KEY", "S3_SECRET_KEY",
                 "GCS_BUCKET", "GCS_KEY_FILE"):
        E.setdefault(name, "none")
NGINX = "127.0.0.1:%s" % E["NGINX_PORT"]
MOTO = "127.0.0.1:%s" % E["S3_PORT"]
BUCKET = E["S3_BUCKET"]
FAST_BUCKET = "bench"  # a directory under nginx's root
WWW = os.path.join(SCRATCH, "www")
WORK = os.path.join(SCRATCH, "bench")
os.makedirs(WORK, exist_ok=True)

results = {"scenarios": [], "inprocess": {}, "notes": []}


def log(text):
    print(text, flush=True)


# ------------------------------------------------------------- settings

def write_json(name, document):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        json.dump(document, f, indent=2)
    return path


S3_MOTO = {"type": "s3", "bucket": BUCKET, "region": E["S3_REGION"],
           "endPoint": MOTO, "useSSL": False, "pathStyle": True,
           "accessKey": E["S3_ACCESS_KEY"], "secretKey": E["S3_SECRET_KEY"]}
MOTO_SETTINGS = write_json("moto.json", {"storage": S3_MOTO})
# nginx takes any signature; only single PUTs (no multipart API), so the
# part size is the largest S3 allows.
S3_NGINX = {"type": "s3", "bucket": FAST_BUCKET, "region": "us-east-1",
            "endPoint": NGINX, "useSSL": False, "pathStyle": True,
            "accessKey": "AKIABENCHMARK", "secretKey": "bench-secret-key"}
NGINX_SETTINGS = write_json("nginx.json", {"storage": S3_NGINX})
# Small objects go to a location of nginx's whose files are on tmpfs.
SMALL_BUCKET = "small"
SMALL_ROOT = E["BENCH_SMALL_ROOT"]
SMALL_SETTINGS = write_json(
    "nginx-small.json", {"storage": dict(S3_NGINX, bucket=SMALL_BUCKET)})
NGINX_PUT_SETTINGS = write_json(
    "nginx-put.json", {"storage": dict(S3_NGINX, partSize=5 << 30)})
GCS_SETTINGS = write_json("gcs.json", {"storage": {
    "type": "gcs", "bucket": E["GCS_BUCKET"],
    "endpoint": "127.0.0.1:%s" % E["GCS_PORT"], "useSSL": False,
    "serviceAccountKey": E["GCS_KEY_FILE"]}})
HAVE_AZURE = E.get("BENCH_HAVE_AZURE") == "1"
if HAVE_AZURE:
    AZURE_SETTINGS = write_json("azure.json", {"storage": {
        "type": "azure_blob", "accountName": E["AZURE_ACCOUNT"],
        "containerName": E["AZURE_CONTAINER"], "accessKey": E["AZURE_KEY"],
        "endpoint": "127.0.0.1:%s" % E["AZURE_PORT"], "useSSL": False}})

# The AWS CLI: one config file per server (nginx needs single PUTs, and no
# flexible checksums: aws-chunked bodies would be stored as they are sent).
AWS_DIR = os.path.join(WORK, "aws")
os.makedirs(AWS_DIR, exist_ok=True)
with open(os.path.join(AWS_DIR, "config"), "w") as f:
    f.write("[default]\nregion = us-east-1\n")
with open(os.path.join(AWS_DIR, "config-nginx"), "w") as f:
    f.write("[default]\nregion = us-east-1\n"
            "request_checksum_calculation = when_required\n"
            "response_checksum_validation = when_required\n"
            "s3 =\n  multipart_threshold = 5GB\n")
with open(os.path.join(AWS_DIR, "credentials"), "w") as f:
    f.write("")


def aws_env(server):
    env = dict(E)
    if server == "nginx":
        env.update(AWS_ACCESS_KEY_ID="AKIABENCHMARK",
                   AWS_SECRET_ACCESS_KEY="bench-secret-key",
                   AWS_CONFIG_FILE=os.path.join(AWS_DIR, "config-nginx"))
    else:
        env.update(AWS_ACCESS_KEY_ID=E["S3_ACCESS_KEY"],
                   AWS_SECRET_ACCESS_KEY=E["S3_SECRET_KEY"],
                   AWS_CONFIG_FILE=os.path.join(AWS_DIR, "config"))
    env.update(AWS_SHARED_CREDENTIALS_FILE=os.path.join(AWS_DIR, "credentials"),
               AWS_DEFAULT_REGION="us-east-1", AWS_MAX_ATTEMPTS="1",
               AWS_EC2_METADATA_DISABLED="true")
    return env


def rclone_env():
    env = dict(E)
    for name, endpoint, key, secret in (
            ("MOTO", MOTO, E["S3_ACCESS_KEY"], E["S3_SECRET_KEY"]),
            ("FAST", NGINX, "AKIABENCHMARK", "bench-secret-key")):
        prefix = "RCLONE_CONFIG_%s_" % name
        env.update({prefix + "TYPE": "s3", prefix + "PROVIDER": "Other",
                    prefix + "ENDPOINT": "http://" + endpoint,
                    prefix + "ACCESS_KEY_ID": key,
                    prefix + "SECRET_ACCESS_KEY": secret,
                    prefix + "REGION": "us-east-1",
                    prefix + "FORCE_PATH_STYLE": "true"})
    # A failure is an answer: no retries that would hide it in sleeps.
    env.update(RCLONE_RETRIES="1", RCLONE_LOW_LEVEL_RETRIES="1")
    env["RCLONE_CONFIG"] = os.path.join(WORK, "rclone.conf")
    open(env["RCLONE_CONFIG"], "a").close()
    return env


def s3cmd_config(name, endpoint, key, secret):
    path = os.path.join(WORK, "s3cmd-%s.cfg" % name)
    with open(path, "w") as f:
        f.write("[default]\naccess_key = %s\nsecret_key = %s\n"
                "host_base = %s\nhost_bucket = %s\nuse_https = False\n"
                "signature_v2 = False\nbucket_location = us-east-1\n"
                "check_ssl_certificate = False\nprogress_meter = False\n"
                % (key, secret, endpoint, endpoint))
    return path


S3CMD_MOTO = s3cmd_config("moto", MOTO, E["S3_ACCESS_KEY"], E["S3_SECRET_KEY"])
S3CMD_FAST = s3cmd_config("fast", NGINX, "AKIABENCHMARK", "bench-secret-key")

PEERS = {name: shutil.which(name) for name in ("curl", "aws", "rclone", "s3cmd")}
for name, path in PEERS.items():
    if path is None:
        results["notes"].append("%s is not installed: left out" % name)
        log("bench: %s is not installed: left out" % name)


def pail_env(settings):
    env = dict(E)
    env["PAIL_CONFIG"] = settings
    return env


# ---------------------------------------------------------------- runs

def make_object(path, size):
    """A file of size bytes that compresses badly."""
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    block = hashlib.sha256(b"pail bench").digest()
    with open(path, "wb") as f:
        done = 0
        seed = os.urandom(1 << 20)
        while done < size:
            chunk = seed if size - done >= len(seed) else seed[:size - done]
            # Each MiB differs from the last, cheaply.
            block = hashlib.sha256(block).digest()
            chunk = block + chunk[len(block):]
            f.write(chunk)
            done += len(chunk)


def piped(src, command):
    """command reading src from a pipe (cat src | command)."""
    return ["sh", "-c", 'cat "$0" | exec "$@"', src] + command


def timed(command, env, stdout=None):
    """Runs command under /usr/bin/time; (status, wall, cpu, rss_kib, err)."""
    tfile = os.path.join(WORK, "time.out")
    full = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", tfile, "--"] + command
    try:
        p = subprocess.run(full, env=env, stdin=subprocess.DEVNULL,
                           stdout=stdout or subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=900)
    except subprocess.TimeoutExpired:
        return 1, 0, 0, 0, "timed out after 900 s"
    with open(tfile) as f:
        lines = f.read().strip().splitlines()
    wall, user, system, rss = lines[-1].split()
    return (p.returncode, float(wall), float(user) + float(system), int(rss),
            p.stderr.decode(errors="replace")[-600:])


def run_scenario(name, title, size, tools, verify, prepare=None,
                 unit_bytes=None):
    """tools: list of (tool, command, env). verify(tool) -> None or a
    message. prepare(tool) runs untimed before each run."""
    if ONLY and not any(name.startswith(o) for o in ONLY):
        return
    log("bench: %s (%s, %d MiB, %d repetitions)" % (title, name, size >> 20,
                                                    REPS))
    runs = {tool: [] for tool, _, _ in tools}
    failures = {}
    for rep in range(REPS):
        order = tools[rep % len(tools):] + tools[:rep % len(tools)]
        for tool, command, env in order:
            if tool in failures:
                continue
            if prepare:
                prepare(tool)
            status, wall, cpu, rss, err = timed(command, env)
            problem = ("exit %d: %s" % (status, err.strip())) if status else \
                verify(tool)
            if problem:
                failures[tool] = problem
                log("  %-10s FAILED: %s" % (tool, problem[:300]))
                continue
            runs[tool].append({"wall": wall, "cpu": cpu, "rss_kib": rss,
                               "bytes": size})
            log("  %-10s wall %6.2f s  cpu %6.2f s  rss %6.1f MiB" %
                (tool, wall, cpu, rss / 1024))
    summary = {}
    for tool, rs in runs.items():
        if not rs:
            continue
        wall = statistics.median(r["wall"] for r in rs)
        cpu = statistics.median(r["cpu"] for r in rs)
        summary[tool] = {
            "wall": wall, "cpu": cpu,
            "rss_mib": statistics.median(r["rss_kib"] for r in rs) / 1024,
            "rss_max_mib": max(r["rss_kib"] for r in rs) / 1024,
            "cpu_per_gib": cpu * GIB / size if size else None,
            "mb_per_s": size / 1e6 / wall if size and wall > 0 else None,
            "runs": len(rs)}
    results["scenarios"].append({"name": name, "title": title, "bytes": size,
                                 "runs": runs, "summary": summary,
                                 "failures": failures})


def same_size(path, size):
    try:
        got = os.path.getsize(path)
    except OSError:
        return "%s was not written" % path
    return None if got == size else "%s has %d bytes, not %d" % (path, got,
                                                                 size)


def same_bytes(path, source):
    """Size always; the content too in smoke mode (cheap there)."""
    problem = same_size(path, os.path.getsize(source))
    if problem or not SMOKE:
        return problem
    with open(path, "rb") as a, open(source, "rb") as b:
        if hashlib.sha256(a.read()).digest() != hashlib.sha256(b.read()).digest():
            return "%s differs from %s" % (path, source)
    return None


def remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


# ------------------------------------------------------------ scenarios

def fast_server():
    size = SIZE
    src = os.path.join(WORK, "fast.bin")
    make_object(src, size)
    served = os.path.join(WWW, FAST_BUCKET, "fast.bin")
    os.makedirs(os.path.dirname(served), exist_ok=True)
    shutil.copyfile(src, served)
    dl = os.path.join(WORK, "fast.download")
    url = "http://%s/%s/fast.bin" % (NGINX, FAST_BUCKET)
    tools = [("curl", ["curl", "-sS", "-f", "-o", dl, url], E),
             ("pail", [PAIL, "-q", "get", "fast.bin", dl],
              pail_env(NGINX_SETTINGS))]
    if PEERS["aws"]:
        tools.append(("aws", ["aws", "--endpoint-url", "http://" + NGINX,
                              "s3", "cp", "--only-show-errors",
                              "s3://%s/fast.bin" % FAST_BUCKET, dl],
                      aws_env("nginx")))
    if PEERS["rclone"]:
        tools.append(("rclone", ["rclone", "copyto", "--s3-no-check-bucket",
                                 "fast:%s/fast.bin" % FAST_BUCKET, dl],
                      rclone_env()))
    if PEERS["s3cmd"]:
        tools.append(("s3cmd", ["s3cmd", "-c", S3CMD_FAST, "get", "--force",
                                "--no-check-md5", "--no-progress",
                                "s3://%s/fast.bin" % FAST_BUCKET, dl], E))
    run_scenario("fast-get", "download from nginx", size, tools,
                 lambda tool: same_bytes(dl, src),
                 prepare=lambda tool: remove(dl))

    # Uploads: nginx takes single PUTs only, so every client sends one.
    up = os.path.join(WWW, FAST_BUCKET, "up.bin")
    tools = [("curl", ["curl", "-sS", "-f", "-T", src,
                       "http://%s/%s/up.bin" % (NGINX, FAST_BUCKET)], E),
             ("pail", [PAIL, "-q", "put", src, "up.bin"],
              pail_env(NGINX_PUT_SETTINGS)),
             ("sha256sum", ["sha256sum", src], E)]
    if PEERS["aws"]:
        tools.append(("aws", ["aws", "--endpoint-url", "http://" + NGINX,
                              "s3", "cp", "--only-show-errors", src,
                              "s3://%s/up.bin" % FAST_BUCKET],
                      aws_env("nginx")))
    if PEERS["rclone"]:
        tools.append(("rclone", ["rclone", "copyto", "--s3-no-check-bucket",
                                 "--s3-upload-cutoff", "5G", "--s3-no-head",
                                 src, "fast:%s/up.bin" % FAST_BUCKET],
                      rclone_env()))
    # s3cmd is left out: it takes nginx's ETag (not an MD5) for a corrupted
    # upload and sends the file again, forever.
    run_scenario("fast-put", "single-PUT upload to nginx", size, tools,
                 lambda tool: None if tool == "sha256sum"
                 else same_bytes(up, src),
                 prepare=lambda tool: remove(up))


def presigned(method, key):
    out = subprocess.run([PAIL, "sign", key, "--method", method],
                         env=pail_env(MOTO_SETTINGS), capture_output=True,
                         check=True, text=True).stdout.strip()
    return out.splitlines()[-1].strip()


def moto():
    size = CLOUD_SIZE
    src = os.path.join(WORK, "cloud.bin")
    make_object(src, size)
    subprocess.run([PAIL, "-q", "mb"], env=pail_env(MOTO_SETTINGS),
                   check=False)
    head = ["aws", "--endpoint-url", "http://" + MOTO, "s3api", "head-object",
            "--bucket", BUCKET]

    def uploaded(key):
        p = subprocess.run(head + ["--key", key], env=aws_env("moto"),
                           capture_output=True, text=True)
        if p.returncode != 0:
            return "%s is not in the bucket: %s" % (key, p.stderr.strip())
        got = json.loads(p.stdout)["ContentLength"]
        return None if got == size else "%s has %d bytes" % (key, got)

    tools = [("pail", [PAIL, "-q", "put", src, "up/pail.bin"],
              pail_env(MOTO_SETTINGS)),
             ("curl", ["curl", "-sS", "-f", "-T", src,
                       presigned("PUT", "up/curl.bin")], E)]
    if PEERS["aws"]:
        tools.append(("aws", ["aws", "--endpoint-url", "http://" + MOTO, "s3",
                              "cp", "--only-show-errors", src,
                              "s3://%s/up/aws.bin" % BUCKET], aws_env("moto")))
    if PEERS["rclone"]:
        tools.append(("rclone", ["rclone", "copyto", "--s3-no-check-bucket",
                                 src, "moto:%s/up/rclone.bin" % BUCKET],
                      rclone_env()))
    if PEERS["s3cmd"]:
        tools.append(("s3cmd", ["s3cmd", "-c", S3CMD_MOTO, "put",
                                "--no-progress", src,
                                "s3://%s/up/s3cmd.bin" % BUCKET], E))
    run_scenario("moto-put", "upload to moto_server, default settings", size,
                 tools, lambda tool: uploaded("up/%s.bin" % tool))

    # From a pipe nothing can be read twice or from an offset: parts are
    # buffered. CPU includes cat's (a few hundredths of a second).
    tools = [("pail", piped(src, [PAIL, "-q", "put", "-", "up/pail-pipe.bin"]),
              pail_env(MOTO_SETTINGS))]
    if PEERS["aws"]:
        tools.append(("aws", piped(src, ["aws", "--endpoint-url",
                                         "http://" + MOTO, "s3", "cp",
                                         "--only-show-errors", "-",
                                         "s3://%s/up/aws-pipe.bin" % BUCKET]),
                      aws_env("moto")))
    run_scenario("moto-put-pipe", "upload from a pipe to moto_server, "
                 "default settings", size, tools,
                 lambda tool: uploaded("up/%s-pipe.bin" % tool))

    dl = os.path.join(WORK, "cloud.download")
    tools = [("pail", [PAIL, "-q", "get", "up/pail.bin", dl],
              pail_env(MOTO_SETTINGS)),
             ("curl", ["curl", "-sS", "-f", "-o", dl,
                       presigned("GET", "up/pail.bin")], E)]
    if PEERS["aws"]:
        tools.append(("aws", ["aws", "--endpoint-url", "http://" + MOTO, "s3",
                              "cp", "--only-show-errors",
                              "s3://%s/up/pail.bin" % BUCKET, dl],
                      aws_env("moto")))
    if PEERS["rclone"]:
        tools.append(("rclone", ["rclone", "copyto", "--s3-no-check-bucket",
                                 "moto:%s/up/pail.bin" % BUCKET, dl],
                      rclone_env()))
    if PEERS["s3cmd"]:
        tools.append(("s3cmd", ["s3cmd", "-c", S3CMD_MOTO, "get", "--force",
                                "--no-progress",
                                "s3://%s/up/pail.bin" % BUCKET, dl], E))
    run_scenario("moto-get", "download from moto_server", size, tools,
                 lambda tool: same_bytes(dl, src),
                 prepare=lambda tool: remove(dl))


def azure_and_gcs():
    size = CLOUD_SIZE
    src = os.path.join(WORK, "cloud.bin")
    make_object(src, size)
    dl = os.path.join(WORK, "cloud.download")
    stores = [("gcs", GCS_SETTINGS, None)]
    if HAVE_AZURE:
        # rclone 1.60 reaches Azurite only on its fixed port (use_emulator).
        stores.insert(0, ("azure", AZURE_SETTINGS, None))
    for name, settings, rclone_remote in stores:
        subprocess.run([PAIL, "-q", "mb"], env=pail_env(settings),
                       check=False)
        tools = [("pail", [PAIL, "-q", "put", src, "up/pail.bin"],
                  pail_env(settings))]
        if rclone_remote and PEERS["rclone"]:
            tools.append(("rclone", ["rclone", "copyto", src,
                                     rclone_remote + "/up/rclone.bin"],
                          rclone_env()))

        def check_put(tool, settings=settings):
            p = subprocess.run([PAIL, "--json", "stat", "up/%s.bin" % tool],
                               env=pail_env(settings), capture_output=True,
                               text=True)
            if p.returncode != 0:
                return p.stderr.strip()
            got = json.loads(p.stdout).get("size")
            return None if got == size else "stored %s bytes" % got
        run_scenario("%s-put" % name, "upload to %s, default settings" % (
            "Azurite" if name == "azure" else "the GCS fixture"), size, tools,
            check_put)
        tools = [("pail", piped(src, [PAIL, "-q", "put", "-",
                                      "up/pail-pipe.bin"]),
                  pail_env(settings))]
        run_scenario("%s-put-pipe" % name, "upload from a pipe to %s, "
                     "default settings" % ("Azurite" if name == "azure"
                                           else "the GCS fixture"), size,
                     tools, lambda tool, check_put=check_put:
                     check_put(tool + "-pipe"))
        tools = [("pail", [PAIL, "-q", "get", "up/pail.bin", dl],
                  pail_env(settings))]
        if rclone_remote and PEERS["rclone"]:
            tools.append(("rclone", ["rclone", "copyto",
                                     rclone_remote + "/up/pail.bin", dl],
                          rclone_env()))
        run_scenario("%s-get" % name, "download from %s" % (
            "Azurite" if name == "azure" else "the GCS fixture"), size, tools,
            lambda tool: same_bytes(dl, src), prepare=lambda tool: remove(dl))


def fs_store():
    """A local file into an fs storage (same file system) and back; cp,
    which copies with copy_file_range, is the floor. pail also fsyncs the
    file and its directory before it answers (cp does not)."""
    size = SIZE
    src = os.path.join(WORK, "fast.bin")
    make_object(src, size)
    root = os.path.join(WORK, "fs-root")
    os.makedirs(root, exist_ok=True)
    settings = write_json("fs.json", {"storage": {"type": "fs",
                                                  "root_path": root}})
    stored = os.path.join(root, "up", "pail.bin")
    dest = os.path.join(WORK, "fs-cp.bin")
    tools = [("pail", [PAIL, "-q", "put", src, "up/pail.bin"],
              pail_env(settings)),
             ("cp", ["cp", src, dest], E)]
    run_scenario("fs-put", "upload into an fs storage", size, tools,
                 lambda tool: same_bytes(stored if tool == "pail" else dest,
                                         src),
                 prepare=lambda tool: remove(stored if tool == "pail"
                                             else dest))
    dl = os.path.join(WORK, "fs.download")
    tools = [("pail", [PAIL, "-q", "get", "up/pail.bin", dl],
              pail_env(settings)),
             ("cp", ["cp", stored, dl], E)]
    run_scenario("fs-get", "download from an fs storage", size, tools,
                 lambda tool: same_bytes(dl, src),
                 prepare=lambda tool: remove(dl))
    remove(dest)
    remove(dl)


# The bindings' streaming loops: every block read into the process and
# counted, as a step that streams an object does; the count is written to
# the file in argv so that the run can be checked.
PYTHON_STREAM = r"""
import sys
import pail
buffer = bytearray(1 << 20)
count = 0
with pail.Workspace() as ws, ws.open(sys.argv[1]) as f:
    while len(sys.argv) < 4:  # a third argument: start and open only
        got = f.readinto(buffer)
        if not got:
            break
        count += got
open(sys.argv[2], "w").write(str(count))
"""
NODE_STREAM = r"""
const fs = require('node:fs');
const pail = require(process.env.BENCH_NODE_PACKAGE);
(async () => {
  const ws = new pail.Workspace();
  let count = 0;
  const stream = ws.createReadStream(process.argv[1]);
  if (process.argv.length < 4) {
    for await (const chunk of stream) count += chunk.length;
  } else { // a third argument: start and open only
    await new Promise((resolve, reject) => stream.once('open', resolve).once('error', reject));
    stream.destroy();
  }
  ws.close();
  fs.writeFileSync(process.argv[2], String(count));
})().catch((error) => { console.error(error); process.exit(1); });
"""


def bindings():
    """One object on an fs storage streamed through the Python package (a
    read loop over open()) and the Node package (for await over
    createReadStream), beside `pail get` of the same pointer to standard
    output: issue 18's CPU target is each binding within 1.3x pail's.
    Each binding's run also counts its interpreter's start; "python-open"
    and "node-open" start, open the stream and stop, so that the streaming
    itself is the difference."""
    if ONLY and not any("bindings-get".startswith(o) or o.startswith(
            "bindings") for o in ONLY):
        return
    size = SIZE
    root = os.path.join(WORK, "fs-root")
    os.makedirs(os.path.join(root, "bind"), exist_ok=True)
    settings = write_json("fs-bind.json", {"storage": {"type": "fs",
                                                       "root_path": root}})
    make_object(os.path.join(root, "bind", "object.bin"), size)
    pointer = "s3:///bind/object.bin"
    counted = os.path.join(WORK, "bindings.count")
    build, srcdir = E["top_builddir"], E["top_srcdir"]
    python_env = pail_env(settings)
    python_env.update(PYTHONPATH=os.path.join(srcdir, "bindings", "python"),
                      PAIL_LIBRARY=os.path.join(build, ".libs", "libpail.so"),
                      PYTHONDONTWRITEBYTECODE="1")
    tools = [("pail", [PAIL, "-q", "get", pointer, "-"], pail_env(settings)),
             ("python", [sys.executable, "-c", PYTHON_STREAM, pointer,
                         counted], python_env),
             ("python-open", [sys.executable, "-c", PYTHON_STREAM, pointer,
                              counted, "open"], python_env)]
    addon = os.path.join(build, "bindings", "node", ".libs", "pail_node.so")
    node = shutil.which("node")
    if node and os.path.exists(addon):
        node_env = pail_env(settings)
        node_env.update(PAIL_NODE_ADDON=addon, BENCH_NODE_PACKAGE=os.path.join(
            srcdir, "bindings", "node"))
        tools.append(("node", [node, "-e", NODE_STREAM, pointer, counted],
                      node_env))
        tools.append(("node-open", [node, "-e", NODE_STREAM, pointer, counted,
                                    "open"], node_env))
    else:
        results["notes"].append("bindings: node or the addon (%s) is missing:"
                                " the Node package is left out" % addon)

    def verify(tool):
        if tool == "pail" or tool.endswith("-open"):
            return None  # its exit status says it all
        try:
            with open(counted) as f:
                got = int(f.read())
        except (OSError, ValueError):
            return "%s wrote no count" % tool
        return None if got == size else "%s read %d bytes, not %d" % (
            tool, got, size)
    run_scenario("bindings-get", "an fs object streamed through each binding",
                 size, tools, verify, prepare=lambda tool: remove(counted))
    remove(counted)


def small_ops(where):
    """COUNT x 4 KiB written then read back by pail_bench (one process, one
    workspace: sequential, and on 4 threads) and by rclone (copy up, copy
    back: 4 transfers at once, its default). On moto the server is the bottleneck (~3 ms a
    request in Python); nginx answers from a tmpfs directory, so that
    neither its disk nor the page cache's writeback sets the pace; rclone's
    local files are on the same tmpfs."""
    name = "small-" + where
    if ONLY and not any(name.startswith(o) for o in ONLY):
        return
    count = 50 if SMOKE else 1000
    size = 4096
    log("bench: %d x 4 KiB put then get on %s" % (
        count, "moto_server" if where == "moto" else "nginx (tmpfs)"))
    entry = {"count": count, "size": size, "server": where, "pail": [],
             "pail_4_threads": [], "rclone": []}
    base = WORK if where == "moto" else SMALL_ROOT
    local = os.path.join(base, "small-local")
    back = os.path.join(base, "small-back")
    names = os.path.join(base, "small-names")
    os.makedirs(local, exist_ok=True)
    data = os.urandom(size)
    for i in range(count):
        with open(os.path.join(local, "%06d" % i), "wb") as f:
            f.write(data)
    with open(names, "w") as f:
        f.write("".join("%06d\n" % i for i in range(count)))
    settings = MOTO_SETTINGS if where == "moto" else SMALL_SETTINGS
    for rep in range(REPS):
        failed = False
        for tool, threads in (("pail", 1), ("pail_4_threads", 4)):
            p = subprocess.run([PAIL_BENCH, "smallops", settings, str(count),
                                str(size), str(threads)],
                               capture_output=True, text=True)
            if p.returncode != 0:
                entry[tool + "_failure"] = p.stderr.strip()
                log("  %s FAILED: %s" % (tool, p.stderr.strip()))
                failed = True
                break
            r = json.loads(p.stdout)
            entry[tool].append(r)
            log("  %-14s %.0f ops/s (cpu %.2f s)" % (
                tool, r["ops_per_second"], r["cpu_seconds"]))
        if failed:
            break
        if not PEERS["rclone"]:
            continue
        shutil.rmtree(back, ignore_errors=True)
        if where == "moto":
            prefix = "moto:%s/rclone-small-%d" % (BUCKET, rep)
            up = ["rclone", "copy", "--s3-no-check-bucket", local, prefix]
            down = ["rclone", "copy", prefix, back]
        else:
            # nginx answers no listing: rclone is given the names, looks
            # each object up by HEAD on the way back, and checks nothing
            # at the destination on the way up.
            prefix = "fast:%s/rclone-%d" % (SMALL_BUCKET, rep)
            up = ["rclone", "copy", "--files-from", names, "--no-traverse",
                  "--no-check-dest", "--s3-no-check-bucket", "--s3-no-head",
                  local, prefix]
            down = ["rclone", "copy", "--files-from", names, "--no-traverse",
                    prefix, back]
        start = time.monotonic()
        st1, w1, c1, _, e1 = timed(up, rclone_env())
        st2, w2, c2, _, e2 = timed(down, rclone_env())
        wall = time.monotonic() - start
        got = len(os.listdir(back)) if os.path.isdir(back) else 0
        if st1 or st2 or got != count:
            entry["rclone_failure"] = (e1 + e2).strip() or "%d files back" % got
            log("  rclone FAILED: " + entry["rclone_failure"][:300])
            continue
        with open(os.path.join(back, "%06d" % (count - 1)), "rb") as f:
            if f.read() != data:
                entry["rclone_failure"] = "rclone brought back other bytes"
                log("  rclone FAILED: other bytes")
                continue
        entry["rclone"].append({"put_seconds": w1, "get_seconds": w2,
                                "cpu_seconds": c1 + c2,
                                "ops_per_second": 2 * count / (w1 + w2)})
        log("  %-14s %.0f ops/s (cpu %.2f s)" % (
            "rclone", 2 * count / (w1 + w2), c1 + c2))
    key = "small_ops" if where == "moto" else "small_ops_nginx"
    results["inprocess"][key] = entry


def signing():
    if ONLY and "sign" not in ONLY:
        return
    seconds = "0.3" if SMOKE else "3"
    log("bench: presigned URLs per second, one thread")
    runs = []
    for rep in range(REPS):
        p = subprocess.run([PAIL_BENCH, "presign", MOTO_SETTINGS, seconds],
                           capture_output=True, text=True)
        if p.returncode != 0:
            log("  pail FAILED: " + p.stderr.strip())
            results["inprocess"]["presign_failure"] = p.stderr.strip()
            return
        runs.append(json.loads(p.stdout))
        log("  pail_sign %.0f/s, sigv4_presign %.0f/s" % (
            runs[-1]["pail_sign_per_second"],
            runs[-1]["sigv4_presign_per_second"]))
    entry = {"pail": runs}
    boto = subprocess.run([sys.executable, "-c", BOTO_PRESIGN, seconds],
                          capture_output=True, text=True)
    if boto.returncode == 0:
        entry["botocore_per_second"] = float(boto.stdout.strip())
        log("  botocore generate_presigned_url %.0f/s" %
            entry["botocore_per_second"])
    else:
        results["notes"].append("botocore presign not measured: %s" %
                                boto.stderr.strip()[-200:])
    results["inprocess"]["presign"] = entry


BOTO_PRESIGN = r'''
import sys, time
import botocore.session
s = botocore.session.get_session()
c = s.create_client("s3", region_name="us-east-1",
                    aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                    aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
params = {"Bucket": "examplebucket", "Key": "bench/presign/object.csv"}
c.generate_presigned_url("get_object", Params=params, ExpiresIn=3600)
n, start, limit = 0, time.process_time(), float(sys.argv[1])
while time.process_time() - start < limit:
    for _ in range(100):
        c.generate_presigned_url("get_object", Params=params, ExpiresIn=3600)
    n += 100
print(n / (time.process_time() - start))
'''


def stat_latency():
    if ONLY and "stat" not in ONLY:
        return
    count = 5 if SMOKE else 21
    log("bench: pail stat end to end (%d runs each)" % count)
    fs_home = os.path.join(WORK, "fs-home")
    os.makedirs(fs_home, exist_ok=True)
    with open(os.path.join(fs_home, "object.bin"), "wb") as f:
        f.write(b"x" * 4096)
    fs_env = dict(E, PAIL_HOME=fs_home)
    fs_env.pop("PAIL_CONFIG", None)
    tiny = os.path.join(WWW, FAST_BUCKET, "tiny.bin")
    os.makedirs(os.path.dirname(tiny), exist_ok=True)
    with open(tiny, "wb") as f:
        f.write(b"x" * 4096)
    subprocess.run([PAIL, "-q", "mb"], env=pail_env(MOTO_SETTINGS),
                   check=False)
    subprocess.run([PAIL, "-q", "put", tiny, "tiny.bin"],
                   env=pail_env(MOTO_SETTINGS), check=True)
    cases = [("fs", [PAIL, "stat", "object.bin"], fs_env),
             ("s3 on nginx", [PAIL, "stat", "tiny.bin"],
              pail_env(NGINX_SETTINGS)),
             ("s3 on moto", [PAIL, "stat", "tiny.bin"],
              pail_env(MOTO_SETTINGS))]
    if PEERS["aws"]:
        cases.append(("aws s3api head-object on moto",
                      ["aws", "--endpoint-url", "http://" + MOTO, "s3api",
                       "head-object", "--bucket", BUCKET, "--key",
                       "tiny.bin"], aws_env("moto")))
    entry = {}
    for name, command, env in cases:
        walls = []
        for _ in range(count):
            # Timed here: /usr/bin/time gives wall time in 10 ms steps.
            start = time.perf_counter()
            p = subprocess.run(command, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
            wall = time.perf_counter() - start
            if p.returncode:
                entry[name] = {"failure": p.stderr.decode(errors="replace")}
                break
            walls.append(wall)
        else:
            entry[name] = {"median_ms": statistics.median(walls) * 1000,
                           "min_ms": min(walls) * 1000, "runs": count}
            log("  %-32s median %5.0f ms" % (name, entry[name]["median_ms"]))
        if "failure" in entry[name]:
            log("  %-32s FAILED: %s" % (name, entry[name]["failure"][:200]))
    results["inprocess"]["stat"] = entry


# -------------------------------------------------------- the S3 gateway

CLK_TCK = os.sysconf("SC_CLK_TCK")


def process_cpu(pids):
    """User + system CPU seconds the processes (all their threads) used."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / CLK_TCK


def nginx_pids():
    """nginx's master and its workers, which serve the requests."""
    with open(os.path.join(SCRATCH, "nginx", "nginx.pid")) as f:
        master = int(f.read())
    pids = [master]
    for task in os.listdir("/proc/%d/task" % master):
        with open("/proc/%d/task/%s/children" % (master, task)) as f:
            pids += [int(p) for p in f.read().split()]
    return pids


def gateway():
    """The S3 gateway of pail serve over an fs storage, against nginx
    serving the same file to the same client (curl, signing with
    --aws-sigv4): the servers' own CPU (from /proc) and the client's wall
    time, for a GET and for a signed PUT (the body's SHA-256 in
    x-amz-content-sha256, which the gateway checks), and the latency a HEAD
    through the gateway adds to the same HEAD straight to moto."""
    if ONLY and not any(o.startswith("gateway") for o in ONLY):
        return
    size = SIZE
    root = os.path.join(WORK, "gateway-root")
    home = os.path.join(WORK, "gateway-home")
    os.makedirs(root, exist_ok=True)
    os.makedirs(home, exist_ok=True)
    src = os.path.join(WORK, "gateway.bin")
    make_object(src, size)
    shutil.copyfile(src, os.path.join(root, "gateway.bin"))
    served = os.path.join(WWW, FAST_BUCKET, "gateway.bin")
    shutil.copyfile(src, served)
    # The primary storage is the fs root; "moto" is moto's bucket, for the
    # HEAD whose latency through the gateway is compared to moto's own.
    settings = write_json("gateway.json", {
        "storage": {"type": "fs", "root_path": root},
        "secondary_storage": {"moto": S3_MOTO}})
    env = dict(E, PAIL_CONFIG=settings, HOME=home)
    serve = subprocess.Popen([PAIL, "serve", "--listen", "127.0.0.1:0",
                              "--s3-listen", "127.0.0.1:0", "--json"],
                             env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    try:
        endpoint = json.loads(serve.stdout.readline())["s3_endpoint"]
        keys = json.loads(subprocess.run(
            [PAIL, "credentials"], env=env, check=True, capture_output=True,
            text=True).stdout)
        gateway_runs(serve.pid, endpoint, keys, src, size)
    finally:
        serve.terminate()
        serve.wait(timeout=30)


def gateway_runs(serve_pid, endpoint, keys, src, size):
    sigv4 = ["--aws-sigv4", "aws:amz:us-east-1:s3", "--user",
             "%s:%s" % (keys["access_key_id"], keys["secret_access_key"])]
    dl = os.path.join(WORK, "gateway.download")
    with open(src, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    cases = {
        "gateway-get": [
            ("nginx", ["curl", "-sS", "-f", "-o", dl,
                       "http://%s/%s/gateway.bin" % (NGINX, FAST_BUCKET)],
             nginx_pids),
            # S3 (and the gateway) want x-amz-content-sha256 signed, which
            # curl sends only when asked to.
            ("gateway", ["curl", "-sS", "-f", "-o", dl, "-H",
                         "x-amz-content-sha256: " + hashlib.sha256(
                             b"").hexdigest()] + sigv4 +
             [endpoint + "/_default_/gateway.bin"], lambda: [serve_pid])],
        "gateway-put": [
            ("nginx", ["curl", "-sS", "-f", "-T", src,
                       "http://%s/%s/gateway-up.bin" % (NGINX, FAST_BUCKET)],
             nginx_pids),
            ("gateway", ["curl", "-sS", "-f", "-T", src, "-H",
                         "x-amz-content-sha256: " + digest] + sigv4 +
             [endpoint + "/_default_/gateway-up.bin"], lambda: [serve_pid]),
            ("sha256sum", ["sha256sum", src], lambda: [])]}
    entry = {}
    for name, tools in cases.items():
        log("bench: %s (%d MiB, %d repetitions)" % (name, size >> 20, REPS))
        runs = {tool: [] for tool, _, _ in tools}
        for rep in range(REPS):
            for tool, command, pids in tools:
                remove(dl)
                before = process_cpu(pids())
                status, wall, cpu, rss, err = timed(command, E)
                server = process_cpu(pids()) - before
                if status:
                    entry.setdefault("failures", {})[name + ":" + tool] = \
                        err.strip()[:300]
                    log("  %-10s FAILED: %s" % (tool, err.strip()[:300]))
                    continue
                if name == "gateway-get" and same_bytes(dl, src):
                    entry.setdefault("failures", {})[name + ":" + tool] = \
                        same_bytes(dl, src)
                    continue
                runs[tool].append({"wall": wall, "client_cpu": cpu,
                                   "server_cpu": server})
                log("  %-10s wall %6.2f s  server cpu %6.2f s  client cpu "
                    "%6.2f s" % (tool, wall, server, cpu))
        entry[name] = {tool: {
            "wall": statistics.median(r["wall"] for r in rs),
            "server_cpu": statistics.median(r["server_cpu"] for r in rs),
            "client_cpu": statistics.median(r["client_cpu"] for r in rs),
            "runs": len(rs)} for tool, rs in runs.items() if rs}
    entry["bytes"] = size
    entry["concurrent"] = gateway_concurrent(serve_pid, endpoint, sigv4, src,
                                             size)
    entry["head"] = gateway_head_latency(endpoint, keys)
    results["inprocess"]["gateway"] = entry


def gateway_concurrent(serve_pid, endpoint, sigv4, src, size):
    """16 transfers at once through the gateway (8 GETs, 8 unsigned-payload
    PUTs of the same object): the gateway's peak RSS (VmHWM) and whether
    every byte arrived."""
    empty = hashlib.sha256(b"").hexdigest()
    jobs = []
    for i in range(8):
        out = os.path.join(WORK, "concurrent-%d" % i)
        jobs.append((out, subprocess.Popen(
            ["curl", "-sS", "-f", "-o", out, "-H",
             "x-amz-content-sha256: " + empty] + sigv4 +
            [endpoint + "/_default_/gateway.bin"])))
        jobs.append((None, subprocess.Popen(
            ["curl", "-sS", "-f", "-o", "/dev/null", "-T", src, "-H",
             "x-amz-content-sha256: UNSIGNED-PAYLOAD"] + sigv4 +
            [endpoint + "/_default_/concurrent-%d.bin" % i])))
    failed = sum(1 for _, p in jobs if p.wait() != 0)
    wrong = sum(1 for out, _ in jobs
                if out is not None and same_size(out, size))
    for out, _ in jobs:
        if out is not None:
            remove(out)
    peak = None
    with open("/proc/%d/status" % serve_pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    log("  16 transfers at once: gateway peak RSS %.1f MiB, %d failed, "
        "%d short" % (peak or 0, failed, wrong))
    return {"transfers": 16, "peak_rss_mib": peak, "failed": failed,
            "short": wrong}


def gateway_head_latency(endpoint, keys):
    """Median ms of a HEAD of one moto object through the gateway and
    straight to moto, each from one boto3 client kept open (connection
    reused): what the gateway adds per request."""
    script = r"""
import json, statistics, sys, time, boto3
from botocore.config import Config
out = {}
for name, url, key, secret, bucket, obj in json.loads(sys.argv[1]):
    c = boto3.client("s3", endpoint_url=url, aws_access_key_id=key,
                     aws_secret_access_key=secret, region_name="us-east-1",
                     config=Config(s3={"addressing_style": "path"}))
    c.head_object(Bucket=bucket, Key=obj)
    times = []
    for _ in range(int(sys.argv[2])):
        t = time.perf_counter()
        c.head_object(Bucket=bucket, Key=obj)
        times.append((time.perf_counter() - t) * 1000)
    out[name] = statistics.median(times)
print(json.dumps(out))
"""
    subprocess.run([PAIL, "-q", "mb"], env=pail_env(MOTO_SETTINGS),
                   check=False)
    tiny = os.path.join(WORK, "head.bin")
    with open(tiny, "wb") as f:
        f.write(b"x" * 4096)
    subprocess.run([PAIL, "-q", "put", tiny, "head.bin"],
                   env=pail_env(MOTO_SETTINGS), check=True)
    targets = [("gateway to moto", endpoint, keys["access_key_id"],
                keys["secret_access_key"], "moto", "head.bin"),
               ("moto", "http://" + MOTO, E["S3_ACCESS_KEY"],
                E["S3_SECRET_KEY"], BUCKET, "head.bin")]
    p = subprocess.run(["python3", "-c", script, json.dumps(targets),
                        "20" if SMOKE else "200"], env=E,
                       capture_output=True, text=True)
    if p.returncode:
        return {"failure": p.stderr[-300:]}
    got = json.loads(p.stdout)
    log("  HEAD median: through the gateway %.2f ms, straight to moto "
        "%.2f ms" % (got["gateway to moto"], got["moto"]))
    return got


# ---------------------------------------------------------------- report

def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024
    versions = {}
    for name, cmd in (("curl", ["curl", "--version"]),
                      ("aws", ["aws", "--version"]),
                      ("rclone", ["rclone", "version"]),
                      ("s3cmd", ["s3cmd", "--version"]),
                      ("nginx", ["nginx", "-v"]),
                      ("pail", [PAIL, "--version"])):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            versions[name] = (p.stdout or p.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            versions[name] = None
    return {"host": platform.node(), "kernel": platform.release(),
            "cpu": model, "cpus": os.cpu_count(), "memory_mib": mem,
            "load_average": os.getloadavg(), "versions": versions}


def fmt(value, spec="%.2f"):
    return "n/a" if value is None else spec % value


def ratio(a, b):
    return None if a is None or not b else a / b


def targets():
    """Issue 7's targets from this run's medians: (measure, target, value,
    met)."""
    by = {s["name"]: s["summary"] for s in results["scenarios"]}
    rows = []

    def cpu(scenario, tool):
        return by.get(scenario, {}).get(tool, {}).get("cpu")

    def wall(scenario, tool):
        return by.get(scenario, {}).get(tool, {}).get("wall")

    for tool, label in (("python", "Python read loop"),
                        ("node", "Node stream")):
        r = ratio(cpu("bindings-get", tool), cpu("bindings-get", "pail"))
        if r is not None:
            rows.append(("%s CPU vs pail get (fs, same object)" % label,
                         "<= 1.3", r, r <= 1.3))
        start = cpu("bindings-get", tool + "-open")
        if r is not None and start is not None:
            r = ratio(cpu("bindings-get", tool) - start,
                      cpu("bindings-get", "pail"))
            rows.append(("... less the interpreter's start and open "
                         "(%s-open)" % tool, "-", r, None))
    if "fast-get" in by:
        r = ratio(cpu("fast-get", "pail"), cpu("fast-get", "curl"))
        rows.append(("download CPU vs curl (nginx)", "<= 1.2", r,
                     r is not None and r <= 1.2))
        r = ratio(cpu("fast-get", "pail"), cpu("fast-get", "aws"))
        rows.append(("download CPU vs aws cli (nginx)", "<= 0.25", r,
                     r is not None and r <= 0.25))
    if "fast-put" in by:
        floor = None
        if cpu("fast-put", "curl") is not None and \
                cpu("fast-put", "sha256sum") is not None:
            floor = cpu("fast-put", "curl") + cpu("fast-put", "sha256sum")
        r = ratio(cpu("fast-put", "pail"), floor)
        rows.append(("signed upload CPU vs curl + sha256sum (nginx)",
                     "<= 1.3", r, r is not None and r <= 1.3))
        r = ratio(cpu("fast-put", "pail"), cpu("fast-put", "aws"))
        rows.append(("signed upload CPU vs aws cli (nginx)", "<= 0.3", r,
                     r is not None and r <= 0.3))
    if "fast-get" in by and "fast-put" in by:
        peers = [t for t in ("aws", "rclone")
                 if wall("fast-get", t) and wall("fast-put", t)]
        if peers and wall("fast-get", "pail") and wall("fast-put", "pail"):
            best = min(wall("fast-get", t) + wall("fast-put", t)
                       for t in peers)
            r = (wall("fast-get", "pail") + wall("fast-put", "pail")) / best
            rows.append(("wall up+down vs faster of aws cli, rclone (nginx)",
                         "<= 0.7", r, r <= 0.7))
    worst = None
    for s in results["scenarios"]:
        p = s["summary"].get("pail")
        if p and not s["name"].startswith("fast-put"):
            if worst is None or p["rss_max_mib"] > worst[1]:
                worst = (s["name"], p["rss_max_mib"])
    if worst:
        rows.append(("peak RSS, default settings (worst: %s)" % worst[0],
                     "<= 32 MiB", worst[1], worst[1] <= 32))
    sign = results["inprocess"].get("presign")
    if sign and sign["pail"]:
        v = statistics.median(r["pail_sign_per_second"] for r in sign["pail"])
        rows.append(("presigned URLs/s, one thread (pail_sign)", ">= 300,000",
                     v, v >= 300000))
    # On moto the server sets the pace: the target is read on nginx.
    # rclone moves 4 files at once (its default --transfers); pail is
    # measured both one object after the other and on 4 threads sharing one
    # workspace, the target read on the second, the first shown beside it.
    small = results["inprocess"].get("small_ops_nginx")
    if small and small["rclone"]:
        theirs = statistics.median(r["ops_per_second"]
                                   for r in small["rclone"])
        for tool, label, target in (
                ("pail_4_threads", "4 threads, as rclone's 4 transfers",
                 ">= 3"),
                ("pail", "sequential (no target)", "-")):
            if small.get(tool):
                v = statistics.median(r["ops_per_second"]
                                      for r in small[tool]) / theirs
                rows.append(("1,000 x 4 KiB put+get rate vs rclone (nginx, "
                             "tmpfs), pail %s" % label, target, v,
                             v >= 3 if target != "-" else None))
    gw = results["inprocess"].get("gateway", {})
    get, put = gw.get("gateway-get", {}), gw.get("gateway-put", {})
    if "gateway" in get and "nginx" in get:
        r = ratio(get["gateway"]["server_cpu"], get["nginx"]["server_cpu"])
        rows.append(("gateway GET server CPU vs nginx (fs, same file)",
                     "<= 1.5", r, r is not None and r <= 1.5))
        r = ratio(get["nginx"]["wall"], get["gateway"]["wall"])
        rows.append(("gateway GET throughput vs nginx", ">= 0.8", r,
                     r is not None and r >= 0.8))
    c = gw.get("concurrent")
    if c and c["peak_rss_mib"] is not None:
        ok = c["peak_rss_mib"] <= 64 and not c["failed"] and not c["short"]
        rows.append(("gateway peak RSS, 16 transfers at once", "<= 64 MiB",
                     c["peak_rss_mib"], ok))
    if "gateway" in put and "nginx" in put and "sha256sum" in put:
        floor = put["nginx"]["server_cpu"] + put["sha256sum"]["client_cpu"]
        r = ratio(put["gateway"]["server_cpu"], floor)
        rows.append(("gateway signed PUT server CPU vs SHA-256 + nginx's "
                     "write", "<= 1.3", r, r is not None and r <= 1.3))
    st = results["inprocess"].get("stat", {})
    for name in ("fs", "s3 on nginx", "s3 on moto"):
        if name in st and "median_ms" in st[name]:
            v = st[name]["median_ms"]
            rows.append(("pail stat end to end, %s (ms)" % name, "<= 20", v,
                         v <= 20))
    return rows


def report():
    now = datetime.datetime.now(datetime.timezone.utc)
    results.update(date=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   commit=E["BENCH_COMMIT"], smoke=SMOKE, repetitions=REPS,
                   machine=machine())
    rows = targets()
    results["targets"] = [{"measure": m, "target": t, "value": v, "met": ok}
                          for m, t, v, ok in rows]
    base = "%s-%s%s" % (now.strftime("%Y%m%d-%H%M"), E["BENCH_COMMIT"],
                        "-smoke" if SMOKE else "")
    with open(os.path.join(OUT, base + ".json"), "w") as f:
        json.dump(results, f, indent=1)
    m = results["machine"]
    lines = ["# pail bench, %s, commit %s%s" % (results["date"],
                                                 results["commit"],
                                                 " (smoke)" if SMOKE else ""),
             "",
             "%s, %d CPUs, %d MiB; load average at the end %.2f %.2f %.2f; "
             "%d repetitions, medians." % (m["cpu"], m["cpus"],
                                           m["memory_mib"],
                                           *m["load_average"], REPS),
             "Versions: " + "; ".join("%s" % v for v in m["versions"].values()
                                     if v) + ".", "",
             "## Targets (issue 7)", "",
             "| measure | target | this run | met |",
             "| --- | --- | --- | --- |"]
    for measure, target, value, ok in rows:
        lines.append("| %s | %s | %s | %s |" % (
            measure, target, fmt(value, "%.2f" if value and value < 1000
                                 else "%.0f"),
            "-" if ok is None else "yes" if ok else "**no**"))
    for s in results["scenarios"]:
        lines += ["", "## %s (%d MiB)" % (s["title"], s["bytes"] >> 20), "",
                  "| tool | wall s | CPU s | CPU s/GiB | peak RSS MiB | MB/s "
                  "| pail CPU ÷ tool | pail wall ÷ tool |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        pail = s["summary"].get("pail", {})
        for tool, v in s["summary"].items():
            lines.append("| %s | %.2f | %.2f | %s | %.1f | %s | %s | %s |" % (
                tool, v["wall"], v["cpu"], fmt(v["cpu_per_gib"]),
                v["rss_mib"], fmt(v["mb_per_s"], "%.0f"),
                fmt(ratio(pail.get("cpu"), v["cpu"])),
                fmt(ratio(pail.get("wall"), v["wall"]))))
        for tool, problem in s["failures"].items():
            lines.append("| %s | failed: %s |||||||" % (
                tool, problem.replace("|", "/").replace("\n", " ")[:200]))
    sign = results["inprocess"].get("presign")
    if sign:
        lines += ["", "## Presigned URLs per CPU second, one thread", "",
                  "| signer | URLs/s |", "| --- | --- |"]
        if sign["pail"]:
            lines.append("| pail_sign (public API) | %.0f |" % statistics.median(
                r["pail_sign_per_second"] for r in sign["pail"]))
            lines.append("| sigv4_presign (core service) | %.0f |" %
                         statistics.median(r["sigv4_presign_per_second"]
                                           for r in sign["pail"]))
        if "botocore_per_second" in sign:
            lines.append("| botocore generate_presigned_url | %.0f |" %
                         sign["botocore_per_second"])
    for key, server in (("small_ops", "moto_server"),
                        ("small_ops_nginx", "nginx (tmpfs)")):
        small = results["inprocess"].get(key)
        if not small:
            continue
        lines += ["", "## %d × 4 KiB put then get, one process, %s"
                  % (small["count"], server), "",
                  "| client | ops/s | put s | get s | CPU s |",
                  "| --- | --- | --- | --- | --- |"]
        for tool in ("pail", "pail_4_threads", "rclone"):
            rs = small.get(tool)
            if rs:
                lines.append("| %s | %.0f | %.2f | %.2f | %.2f |" % (
                    tool.replace("_", " ").replace("4 threads",
                                                   "(4 threads)"),
                    statistics.median(r["ops_per_second"] for r in rs),
                    statistics.median(r["put_seconds"] for r in rs),
                    statistics.median(r["get_seconds"] for r in rs),
                    statistics.median(r["cpu_seconds"] for r in rs)))
            if tool + "_failure" in small:
                lines.append("| %s | failed: %s |||" % (
                    tool, small[tool + "_failure"][:200].replace("\n", " ")))
    st = results["inprocess"].get("stat")
    if st:
        lines += ["", "## stat end to end (process start to exit)", "",
                  "| case | median ms | min ms |", "| --- | --- | --- |"]
        for name, v in st.items():
            if "median_ms" in v:
                lines.append("| %s | %.0f | %.0f |" % (name, v["median_ms"],
                                                      v["min_ms"]))
            else:
                lines.append("| %s | failed ||" % name)
    gw = results["inprocess"].get("gateway")
    if gw:
        lines += ["", "## S3 gateway over fs vs nginx, same file, curl "
                  "(%d MiB)" % (gw["bytes"] >> 20), "",
                  "| case | server | wall s | server CPU s | client CPU s |",
                  "| --- | --- | --- | --- | --- |"]
        for name in ("gateway-get", "gateway-put"):
            for tool, v in gw.get(name, {}).items():
                lines.append("| %s | %s | %.2f | %.2f | %.2f |" % (
                    name, tool, v["wall"], v["server_cpu"], v["client_cpu"]))
        for what, why in gw.get("failures", {}).items():
            lines.append("| %s | failed: %s ||||" % (what, why[:200]))
        c = gw.get("concurrent")
        if c:
            lines += ["", "16 transfers at once (8 GETs, 8 PUTs of the same "
                      "object): the gateway's peak RSS %.1f MiB, %d failed, "
                      "%d short." % (c["peak_rss_mib"] or 0, c["failed"],
                                     c["short"])]
        head = gw.get("head", {})
        if "failure" in head:
            lines.append("\nHEAD latency: failed: %s" % head["failure"][:200])
        elif head:
            lines += ["", "HEAD of a moto object, one boto3 client, "
                      "connection reused: through the gateway %.2f ms, "
                      "straight to moto %.2f ms (median): the gateway adds "
                      "%.2f ms." % (head["gateway to moto"], head["moto"],
                                    head["gateway to moto"] - head["moto"])]
    if results["notes"]:
        lines += ["", "Notes: " + "; ".join(results["notes"]) + "."]
    with open(os.path.join(OUT, base + ".md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    log("bench: wrote %s.md and .json in %s" % (base, OUT))
    failed = [s["name"] + ":pail" for s in results["scenarios"]
              if "pail" in s["failures"]]
    failed += list(results["inprocess"].get("gateway", {}).get("failures",
                                                               {}))
    return failed


def main():
    if not SERVERS:
        bindings()
        return 1 if report() else 0
    fast_server()
    moto()
    azure_and_gcs()
    fs_store()
    bindings()
    small_ops("moto")
    small_ops("nginx")
    signing()
    stat_latency()
    gateway()
    failed = report()
    if failed:
        log("bench: pail failed in " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
