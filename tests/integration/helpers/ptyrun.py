#!/usr/bin/python3
"""Run a command on a new pty, as a terminal user would, and act on it.

    ptyrun.py OUTFILE [ACTION...] -- COMMAND [ARG...]

COMMAND runs in a new session whose controlling terminal, stdin, stdout and
stderr are the slave of a fresh pty (80x24 unless size= comes first); this
program holds the master, saves everything COMMAND writes to OUTFILE (bytes as
they arrive), and performs the ACTIONs in order:

    size=ROWSxCOLS  set the pty's window size (the kernel sends SIGWINCH)
    wait=TEXT       wait (10 s at most) until the output contains TEXT
    send=TEXT       write TEXT to the master (\\r, \\n, \\x03... are decoded)
    mode            print the slave's termios now: "mode icanon=N echo=N isig=N
                    opost=N onlcr=N" (termios ioctls on a master act on its slave)
    signal=SIG@FILE send signal SIG (a name: TERM, INT...) to the pid in FILE

Then it waits for COMMAND, drains the pty, and prints "exit N".
"""
import codecs
import fcntl
import os
import select
import signal
import struct
import sys
import termios
import time


def set_size(fd, spec):
    rows, cols = (int(v) for v in spec.split("x"))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class Pty:
    def __init__(self, outfile):
        self.master, self.slave = os.openpty()
        self.out = open(outfile, "wb", buffering=0)
        self.seen = b""
        self.closed = False

    def pump(self, timeout):
        """Copy what the master has to OUTFILE; False once the slave side is gone."""
        if self.closed:
            return False
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(self.master, 4096)
        except OSError:  # EIO: no slave fd left
            data = b""
        if not data:
            self.closed = True
            return False
        self.out.write(data)
        self.seen += data
        return True

    def wait_for(self, text):
        deadline = time.monotonic() + 10
        while text.encode() not in self.seen:
            if time.monotonic() > deadline or not self.pump(0.1):
                sys.exit("ptyrun: never saw %r; got %r" % (text, self.seen))


def spawn(p, argv):
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(p.slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(p.slave, fd)
        os.closerange(3, 1024)
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    os.close(p.slave)
    return pid


def mode(fd):
    _i, o, _c, lflag = termios.tcgetattr(fd)[:4]
    bits = [("icanon", lflag & termios.ICANON), ("echo", lflag & termios.ECHO),
            ("isig", lflag & termios.ISIG), ("opost", o & termios.OPOST),
            ("onlcr", o & termios.ONLCR)]
    print("mode " + " ".join("%s=%d" % (k, 1 if v else 0) for k, v in bits), flush=True)


def main():
    if "--" not in sys.argv or len(sys.argv) < 4:
        sys.exit(__doc__)
    sep = sys.argv.index("--")
    outfile, actions, argv = sys.argv[1], sys.argv[2:sep], sys.argv[sep + 1:]
    p = Pty(outfile)
    set_size(p.master, "24x80")
    while actions and actions[0].startswith("size="):
        set_size(p.master, actions.pop(0)[5:])
    pid = spawn(p, argv)
    for a in actions:
        key, _, val = a.partition("=")
        if key == "size":
            set_size(p.master, val)
        elif key == "wait":
            p.wait_for(val)
        elif key == "send":
            os.write(p.master, codecs.decode(val, "unicode_escape").encode("latin-1"))
        elif key == "mode":
            mode(p.master)
        elif key == "signal":
            sig, _, pidfile = val.partition("@")
            with open(pidfile) as f:
                os.kill(int(f.read().split()[0]), getattr(signal, "SIG" + sig))
        else:
            sys.exit("ptyrun: unknown action %r" % a)
    deadline = time.monotonic() + 30
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
        p.pump(0.1)
    # What is left; a process of COMMAND's that kept the slave open is not waited for.
    deadline = time.monotonic() + 2
    while p.pump(0.2) and time.monotonic() < deadline:
        pass
    print("exit %d" % os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    main()
