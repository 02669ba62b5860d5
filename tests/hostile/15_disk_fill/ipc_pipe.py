"""Attack 15: fill the disk: write 128 MiB into ``/tmp``, create 10,000 files there, and
try to create files in the host's folders (a scratch folder outside /tmp that the tests
made, the submission's own folder, ``/``).

Defence: a size- and inode-limited tmpfs per box, RLIMIT_FSIZE, and the host's tree
read-only in the box. Outcome: the write stops with ENOSPC or EFBIG, the files with ENOSPC,
and every host folder refuses (EROFS/EACCES).
"""

import errno
import os
import signal

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("15")
    context = kit.context()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death past RLIMIT_FSIZE
    written, chunk = 0, b"\0" * (1 << 20)
    try:
        with open("/tmp/hostile-box-fill", "wb", buffering=0) as handle:
            while written < 128 << 20:
                written += handle.write(chunk)
        probe.breach(f"wrote {written >> 20} MiB into /tmp without any limit")
    except OSError as exc:
        probe.note("fill", [written >> 20, errno.errorcode.get(exc.errno or 0)])
    os.unlink("/tmp/hostile-box-fill")
    os.makedirs("/tmp/hostile-box-files")
    made = 0
    try:
        for made in range(10000):  # noqa: B007 - the count is what is reported
            os.close(os.open(f"/tmp/hostile-box-files/{made}", os.O_CREAT | os.O_WRONLY))
        probe.breach("created 10000 files in /tmp: no inode limit")
    except OSError as exc:
        probe.note("files", [made, errno.errorcode.get(exc.errno or 0)])
    own = os.path.dirname(os.path.abspath(__file__))
    for folder in [*context.get("host_dirs", []), own, "/"]:
        path = os.path.join(folder, "hostile-box-written")
        probe.must_fail(f"create {path}", lambda path=path: os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)))
    probe.report()
    return kit.forged()
