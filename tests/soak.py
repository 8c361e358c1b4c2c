#!/usr/bin/env python3
"""soak.py: many mixed pail operations through a faulty network, checked
against a model of what the storage may hold. Backend-neutral: it drives
only the CLI, and runs against moto (tests/s3_soak.sh), Azurite
(tests/azure_soak.sh) and the GCS fixture (tests/gcs_soak.sh); each script
checks the backend's own leftovers (multipart uploads, uncommitted blocks,
resumable sessions) afterwards.

  soak.py --pail PATH --faulty SETTINGS --direct SETTINGS --seed N --ops N
          --scratch DIR

Listings are of the whole storage, recursive, filtered here: a listing
with a delimiter or a prefix sends %2F in its query, whose signature moto
5.2 miscomputes (see s3_cli.sh). Every operation runs `pail --json` with the --faulty settings (a storage
reached through tests/fault_proxy.py) and must either succeed with exactly
the right bytes or fail with a classified error (a category other than
"internal error", and never a crash or a hang). The model keeps, for each
key, the contents it may have: after a failed put the old or the new bytes
(the server may have stored it before the connection broke), after a failed
rm the old bytes or none. Reads narrow that set to what they saw. At the end
every key is read back through the --direct settings (no faults) and must
hold one of its possible contents, whole: nothing partial, nothing corrupt,
nothing unexpected in the listing. Prints a summary line and exits 1 on any
violation.
"""
import argparse
import hashlib
import json
import os
import random
import subprocess
import sys

SIZES = [0, 1, 1000, 65536, 300000, 6 * 1048576 + 7]
SIZE_WEIGHTS = [2, 2, 4, 4, 3, 1]
KEYS = 16
PREFIX = "soak/"
ABSENT = None
TIMEOUT = 300


class Soak:
    def __init__(self, args):
        self.args = args
        self.random = random.Random(args.seed)
        self.model = {}  # key -> set of sha256 hex digests, or ABSENT
        self.blobs = {}  # digest -> bytes
        self.violations = []
        self.counts = {}
        self.failures = {}

    # ------------------------------------------------------------ running
    def pail(self, settings, *argv, stdin=None):
        cmd = [self.args.pail, "--json", "--config", settings] + list(argv)
        try:
            p = subprocess.run(cmd, input=stdin, capture_output=True,
                               timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.violate(f"{' '.join(argv)}: hung for {TIMEOUT} s")
            return 124, b"", b""
        if p.returncode < 0:
            self.violate(f"{' '.join(argv)}: killed by signal {-p.returncode}: "
                         f"{p.stderr[-300:]!r}")
        return p.returncode, p.stdout, p.stderr

    def classified(self, op, rc, stdout, stderr):
        """A failed run must be exit 1 with a JSON error of a known kind."""
        if rc != 1:
            self.violate(f"{op}: exit {rc}: {stderr[-300:]!r}")
            return None
        # --json prints the error document on stdout (get and cat too, as
        # nothing else was written there).
        try:
            document = json.loads(stdout)
            if "failed" in document:  # rm: one entry per failed object
                document = document["failed"][0]
            category = document["error"]["category"]
        except (ValueError, KeyError, TypeError, IndexError):
            self.violate(f"{op}: failure without an error document: "
                         f"{stdout[-200:]!r} {stderr[-300:]!r}")
            return None
        if category in ("internal error", "unknown error"):
            self.violate(f"{op}: unclassified failure ({category}): {stderr[-300:]!r}")
        self.failures[category] = self.failures.get(category, 0) + 1
        return category

    def violate(self, text):
        self.violations.append(text)
        print("VIOLATION: " + text, file=sys.stderr)

    # -------------------------------------------------------------- model
    def digest(self, data):
        d = hashlib.sha256(data).hexdigest()
        self.blobs[d] = data
        return d

    def possible(self, key):
        return self.model.get(key, {ABSENT})

    def narrow(self, op, key, seen):
        """A read saw `seen` (a digest or ABSENT): it must be possible."""
        options = self.possible(key)
        if seen not in options:
            names = sorted("absent" if o is None else o[:12] for o in options)
            self.violate(f"{op}: {key} holds {'nothing' if seen is None else seen[:12]}, "
                         f"expected one of {names}")
        self.model[key] = {seen}

    # ---------------------------------------------------------- operations
    def op_put(self, key):
        size = self.random.choices(SIZES, SIZE_WEIGHTS)[0]
        data = self.random.randbytes(size)
        path = os.path.join(self.args.scratch, "put.bin")
        with open(path, "wb") as f:
            f.write(data)
        rc, out, err = self.pail(self.args.faulty, "put", path, key)
        new = self.digest(data)
        if rc == 0:
            self.model[key] = {new}
        elif self.classified(f"put {key} ({size} B)", rc, out, err):
            self.model[key] = self.possible(key) | {new}

    def op_get(self, key):
        path = os.path.join(self.args.scratch, "got.bin")
        if os.path.exists(path):
            os.unlink(path)
        rc, out, err = self.pail(self.args.faulty, "get", key, path)
        if rc == 0:
            with open(path, "rb") as f:
                self.narrow(f"get {key}", key, self.digest(f.read()))
        else:
            category = self.classified(f"get {key}", rc, out, err)
            if os.path.exists(path):
                self.violate(f"get {key}: failed but left {path}")
            if category == "not found":
                self.narrow(f"get {key}", key, ABSENT)

    def op_range(self, key):
        options = [o for o in self.possible(key) if o is not None]
        if len(options) != 1 or len(self.blobs[options[0]]) < 2:
            return self.op_get(key)
        data = self.blobs[options[0]]
        offset = self.random.randrange(0, len(data) - 1)
        length = self.random.randrange(1, len(data) - offset + 1)
        rc, out, err = self.pail(self.args.faulty, "cat", "--offset",
                                 str(offset), "--length", str(length), key)
        if rc == 0:
            if out != data[offset:offset + length]:
                self.violate(f"cat --offset {offset} --length {length} {key}: "
                             f"{len(out)} bytes, not the expected range")
        else:
            self.classified(f"cat range {key}", rc, out, err)

    def op_rm(self, key):
        rc, out, err = self.pail(self.args.faulty, "rm", "-f", key)
        if rc == 0:
            self.model[key] = {ABSENT}
        elif self.classified(f"rm {key}", rc, out, err):
            self.model[key] = self.possible(key) | {ABSENT}

    def op_cp(self, key):
        source = PREFIX + f"k{self.random.randrange(KEYS)}"
        if source == key:
            return
        sources = self.possible(source)
        rc, out, err = self.pail(self.args.faulty, "cp", source, key)
        if rc == 0:
            if ABSENT in sources and len(sources) == 1:
                self.violate(f"cp {source} {key}: succeeded from a missing source")
            self.model[key] = {s for s in sources if s is not None} or {ABSENT}
        else:
            category = self.classified(f"cp {source} {key}", rc, out, err)
            if category == "not found":
                self.model[source] = {ABSENT} if ABSENT in sources else sources
            self.model[key] = self.possible(key) | {s for s in sources if s is not None}

    def op_ls(self, key):
        rc, out, err = self.pail(self.args.faulty, "ls", "-r")
        if rc != 0:
            self.classified("ls", rc, out, err)
            return
        try:
            listed = {e["key"] for e in json.loads(out)["entries"]
                      if e["key"].startswith(PREFIX)}
        except (ValueError, KeyError, TypeError):
            self.violate(f"ls: not a listing: {out[:200]!r}")
            return
        for k in listed:
            if ABSENT in self.possible(k) and len(self.possible(k)) == 1:
                self.violate(f"ls: lists {k}, which cannot exist")
        for k, options in self.model.items():
            if ABSENT not in options and k not in listed:
                self.violate(f"ls: does not list {k}, which must exist")

    # --------------------------------------------------------------- main
    def run(self):
        ops = [(self.op_put, 5), (self.op_get, 4), (self.op_range, 2),
               (self.op_rm, 1), (self.op_cp, 1), (self.op_ls, 1)]
        functions = [o[0] for o in ops]
        weights = [o[1] for o in ops]
        for i in range(self.args.ops):
            op = self.random.choices(functions, weights)[0]
            key = PREFIX + f"k{self.random.randrange(KEYS)}"
            name = op.__name__[3:]
            self.counts[name] = self.counts.get(name, 0) + 1
            op(key)
        self.verify()

    def verify(self):
        """Every key, read without faults, holds one of its possible contents."""
        rc, out, err = self.pail(self.args.direct, "ls", "-r")
        if rc != 0:
            self.violate(f"final ls: exit {rc}: {err[-300:]!r}")
            listed = set()
        else:
            listed = {e["key"] for e in json.loads(out)["entries"]
                      if e["key"].startswith(PREFIX)}
        for k in listed - set(self.model):
            self.violate(f"final ls: unexpected key {k}")
        path = os.path.join(self.args.scratch, "final.bin")
        for k in sorted(set(self.model) | listed):
            if os.path.exists(path):
                os.unlink(path)
            rc, out, err = self.pail(self.args.direct, "get", k, path)
            if rc == 0:
                with open(path, "rb") as f:
                    self.narrow(f"final get {k}", k, self.digest(f.read()))
            else:
                self.narrow(f"final get {k} ({err[-120:]!r})", k, ABSENT)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pail", required=True)
    parser.add_argument("--faulty", required=True)
    parser.add_argument("--direct", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--scratch", required=True)
    soak = Soak(parser.parse_args())
    soak.run()
    total = sum(soak.counts.values())
    print(f"soak: {total} operations {soak.counts}; failed and classified: "
          f"{soak.failures}; violations: {len(soak.violations)}")
    sys.exit(1 if soak.violations else 0)


if __name__ == "__main__":
    main()
