"""One Workspace shared by 8 threads, as the C workspace may be."""

import hashlib
import threading

THREADS = 8
ROUNDS = 4


def test_eight_threads_share_one_workspace(ws, prefix, data64):
    shared = ws.write(prefix + "shared", data64[:1 << 20])
    shared_hash = hashlib.sha256(data64[:1 << 20]).digest()
    failures = []
    start = threading.Barrier(THREADS)

    def work(n):
        try:
            start.wait()
            for round in range(ROUNDS):
                key = "%st%d/%d" % (prefix, n, round)
                body = data64[n * 65536 + round:(n + 1) * 65536 + round * 7]
                pointer = ws.write(key, body)
                assert ws.read(pointer) == body
                assert ws.stat(pointer)["size"] == len(body)
                with ws.open(shared) as stream:
                    stream.seek(4096 * n)
                    assert stream.read(4096) == data64[4096 * n:4096 * (n + 1)]
                assert hashlib.sha256(ws.read(shared)).digest() == shared_hash
            listed = [e["key"] for e in ws.list("%st%d/" % (prefix, n))]
            assert listed == ["%st%d/%d" % (prefix, n, r) for r in range(ROUNDS)]
            for round in range(ROUNDS):
                ws.delete("%st%d/%d" % (prefix, n, round))
        except BaseException as error:  # reported by the main thread
            failures.append((n, repr(error)))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert [e["key"] for e in ws.list(prefix, recursive=True)] == [prefix + "shared"]
