#!/usr/bin/python3
"""Receive a container's pty master over a console socket and save its output.

    recvtty.py SOCKET OUTFILE [--input TEXT]

Listens on the AF_UNIX stream socket SOCKET (created atomically: bound under a
temporary name, then renamed, so a client never sees it before listen), accepts
one connection, takes the fd sent with SCM_RIGHTS, optionally writes TEXT to the
master, then copies everything the container writes to OUTFILE until the pty
closes.  The name the runtime sent with the fd, if any, goes to OUTFILE.name.
"""
import array
import os
import socket
import sys


def receive_fd(conn):
    fds = array.array("i")
    msg, ancdata, _flags, _addr = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize * 4))
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    if not fds:
        sys.exit("recvtty: no fd received")
    return fds[0], msg


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    path, outfile = sys.argv[1], sys.argv[2]
    text = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--input" else None

    tmp = path + ".tmp"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(tmp)
    srv.listen(1)
    os.rename(tmp, path)
    srv.settimeout(30)
    conn, _ = srv.accept()
    master, name = receive_fd(conn)
    conn.close()
    srv.close()
    with open(outfile + ".name", "wb") as f:
        f.write(name)
    if text is not None:
        os.write(master, text.encode())
    with open(outfile, "ab", buffering=0) as out:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the last slave fd closed
                break
            if not data:
                break
            out.write(data)


if __name__ == "__main__":
    main()
