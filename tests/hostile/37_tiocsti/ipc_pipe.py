"""Attack 37: terminal injection (CVE-2017-5226): ``ioctl(TIOCSTI)`` on descriptors 0-2 and
on ``/dev/tty``, to type commands into the terminal the grader was started from.

Defence: ``setsid()`` for every actor (no controlling terminal), stdin from ``/dev/null``,
stdout and stderr a socket. Outcome: every ioctl fails (ENOTTY/EIO) and ``/dev/tty``
cannot be opened (ENXIO).
"""

import fcntl
import os
import termios

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("37")
    for fd in (0, 1, 2):
        probe.must_fail(f"TIOCSTI on fd {fd}", lambda fd=fd: fcntl.ioctl(fd, termios.TIOCSTI, b"x"))
    probe.must_fail("open /dev/tty", lambda: os.close(os.open("/dev/tty", os.O_RDWR)))
    probe.report()
    return kit.forged()
