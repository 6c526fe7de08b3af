#!/usr/bin/env python3
"""recvpidfd.py SOCKET OUT: accept one connection on the unix socket SOCKET,
receive one fd with its payload (--pidfd-socket), and write to OUT the payload
and the pid the fd is a pidfd of (from /proc/self/fdinfo), e.g. "standard 1234".
Then send SIGKILL through the pidfd, so that the test sees it names that process."""
import array
import os
import signal
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
srv.settimeout(20)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 64, 1)
pid = "none"
if fds:
    with open(f"/proc/self/fdinfo/{fds[0]}") as f:
        for line in f:
            if line.startswith("Pid:"):
                pid = line.split()[1]
    signal.pidfd_send_signal(fds[0], signal.SIGKILL)
with open(out + ".tmp", "w") as f:
    f.write(f"{msg.decode()} {pid}\n")
os.rename(out + ".tmp", out)
