"""Kernels forked from a warm process (a *zygote*) instead of started from nothing.

Every notebook of a run executes in a fresh kernel, so that no notebook's state can reach
another.  Starting a kernel the usual way costs a new interpreter that imports ipykernel,
IPython, pandas, plotly and kpilib before the first cell runs: about a second of CPU per
notebook, most of a run's time on a two-core machine.  A run therefore starts one zygote
before it reads the store (:class:`Zygote`): ``python -c ZYGOTE`` with the kernel's own
interpreter flags and ``PYTHONHASHSEED=0``, which imports those modules once (:data:`PRELOAD`)
while the run reads the store, then waits on a Unix socket in a folder of its own (mode 0700:
only the run's user can ask it for anything).  Each kernel is a ``fork()`` of it: a new
process that has imported the modules but executed no notebook code, which then does
exactly what ``python -c LAUNCHER -f CONNECTION_FILE`` does (:func:`_become_kernel`).

The protocol is one connection per kernel.  The worker sends one JSON line (the kernel's
command line, environment and folder); the zygote forks and answers ``{"pid": N}``; when
the kernel ends, the zygote reaps it, answers ``{"exit": CODE}`` and closes the connection.
A worker that goes away (its connection closes) takes its kernel with it: the zygote kills
the kernel's process group.  The zygote dies with the run (``PR_SET_PDEATHSIG``) and each
kernel with the zygote, so a ``kill -9`` of ``kpi run`` leaves nothing behind.

This module is standard library only (the zygote imports it, then what it preloads).  The
kernel manager that asks it for kernels is :mod:`kpilib.run.forked`.  Where fork is not
available (or ``KPI_FORK_KERNELS=0``), or the zygote cannot be reached, kernels start the
usual way.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ENV = "KPI_ZYGOTE"  # the socket of the run's zygote, for the workers (and their kernels)
SWITCH = "KPI_FORK_KERNELS"  # "0": start every kernel from scratch, as jupyter_client does

# What a kernel imports before its first cell: ipykernel's kernel, and what notebooks use.
# Only modules that set nothing up from their surroundings when imported: plotly.io's
# renderers, for one, choose their default by asking IPython for a running kernel, so they
# must be first imported in the kernel (tests/test_zygote.py compares with a fresh kernel).
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell",
           "ipykernel.debugger", "IPython.core.interactiveshell", "IPython.display",
           "kpilib.notebook", "pandas", "plotly.graph_objects", "plotly.io")


def available() -> bool:
    """Kernels can be forked here (a POSIX system with fork and Unix sockets, but not macOS,
    where forking a process that has imported system frameworks is unsafe), and
    ``KPI_FORK_KERNELS`` is not ``0``."""
    if os.environ.get(SWITCH, "1").strip().lower() in ("0", "no", "false", "off"):
        return False
    return hasattr(os, "fork") and hasattr(socket, "AF_UNIX") and sys.platform != "darwin"


class Zygote:
    """The run's zygote process: :meth:`start` starts it and sets :data:`ENV` for the workers
    forked afterwards; :meth:`stop` stops it and removes its socket."""

    def __init__(self, argv_prefix: list[str] | None = None):
        self.folder = Path(tempfile.mkdtemp(prefix="kpi-zygote-"))
        self.address = str(self.folder / "socket")
        self.process: subprocess.Popen | None = None
        self._argv = argv_prefix

    def start(self) -> Zygote:
        """Bind the socket here (a worker can connect at once: it waits in the backlog until
        the zygote has imported what it preloads), start the zygote on it, set :data:`ENV`."""
        from kpilib.run.kernel import die_with_parent_source, interpreter

        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(self.address)
            listener.listen(64)
            argv = self._argv or interpreter()
            env = {"PYTHONHASHSEED": "0", **os.environ}  # the hash seed a worker gives kernels
            env.pop(ENV, None)
            self.process = subprocess.Popen(
                [*argv, "-c", die_with_parent_source() + ZYGOTE, str(listener.fileno()),
                 str(os.getpid()), self.address],
                env=env, stdin=subprocess.DEVNULL, pass_fds=[listener.fileno()],
                process_group=0)  # Ctrl-C reaches the run, which stops the zygote
        except BaseException:
            self.stop()
            raise
        finally:  # only the zygote holds it: when the zygote ends, connecting is refused
            listener.close()
        os.environ[ENV] = self.address
        return self

    def stop(self) -> None:
        if os.environ.get(ENV) == self.address:
            del os.environ[ENV]
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for p in (Path(self.address), self.folder):
            try:
                p.unlink() if p.is_socket() else p.rmdir()
            except OSError:
                pass


def start() -> Zygote | None:
    """Start the run's zygote where kernels can be forked (None elsewhere)."""
    return Zygote().start() if available() else None


class ForkedKernel:
    """A kernel forked by the zygote, seen as :class:`subprocess.Popen` sees a child: ``pid``,
    ``returncode``, ``poll``, ``wait``, ``send_signal``, ``terminate``, ``kill``.  Its exit
    status comes from the zygote (the kernel is the zygote's child, not ours)."""

    stdin = stdout = stderr = None

    def __init__(self, conn: socket.socket, pid: int):
        self._conn = conn
        self._buffer = b""
        self.pid = pid
        self.returncode: int | None = None

    def _read(self, timeout: float | None) -> None:
        if self.returncode is not None:
            return
        try:
            self._conn.settimeout(timeout)
            while b"\n" not in self._buffer:
                chunk = self._conn.recv(4096)
                if not chunk:  # the zygote went away: so did its kernels
                    self._finish(-signal.SIGKILL)
                    return
                self._buffer += chunk
        except (TimeoutError, BlockingIOError):  # still running
            return
        except OSError:  # the connection was closed: the zygote killed the kernel
            self._finish(-signal.SIGKILL)
            return
        line, _, self._buffer = self._buffer.partition(b"\n")
        self._finish(int(json.loads(line)["exit"]))

    def _finish(self, code: int) -> None:
        self.returncode = code
        self._conn.close()

    def poll(self) -> int | None:
        self._read(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._read(timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired("kernel", timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def fork_kernel(address: str, cmd: list[str], env: dict, cwd: str | None,
                wait: float = 60.0) -> ForkedKernel:
    """Ask the zygote at ``address`` for a kernel running ``cmd`` (the kernel spec's command
    line: only the arguments after ``-c CODE`` are used) in ``env`` and ``cwd``.  OSError
    at once when the zygote has gone, or when it does not answer within ``wait`` seconds."""
    args = cmd[cmd.index("-c") + 2:] if "-c" in cmd else cmd[1:]
    request = json.dumps({"argv": args, "env": dict(env), "cwd": str(cwd or os.getcwd())})
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(address)
        conn.settimeout(wait)  # it answers once its imports are done
        conn.sendall(request.encode() + b"\n")
        buffer = b""
        while b"\n" not in buffer:
            chunk = conn.recv(4096)
            if not chunk:
                raise ConnectionError("the kernel zygote closed the connection")
            buffer += chunk
    except BaseException:
        conn.close()
        raise
    line, _, rest = buffer.partition(b"\n")
    kernel = ForkedKernel(conn, int(json.loads(line)["pid"]))
    kernel._buffer = rest
    return kernel


# The zygote's program (after die_with_parent's source): argv = [LISTENING_FD, PARENT_PID,
# SOCKET_PATH] (the path only names the zygote among processes, and in messages).
ZYGOTE = r'''
import os, socket, sys

def _main(fd, parent):
    die_with_parent(parent)
    if sys.path and sys.path[0] == "":  # as the kernel launcher does
        sys.path[0] = os.getcwd()
    listener = socket.socket(fileno=fd)
    try:
        from kpilib.run.zygote import preload, serve
        preload()
    except Exception as e:  # kernels start from scratch, and show the error if it is theirs
        print(f"kpi: notebook kernels start from scratch: {type(e).__name__}: {e}",
              file=sys.stderr)
        sys.exit(0)
    serve(listener)

_main(int(sys.argv[1]), int(sys.argv[2]))
'''


def preload() -> None:
    """Import :data:`PRELOAD` (in the zygote, before it forks any kernel)."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)


def serve(listener: socket.socket) -> None:
    """The zygote's loop: accept requests, fork kernels, report their exits, kill the kernel
    of a connection that closes.  Runs until killed."""
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    pending: dict[socket.socket, bytes] = {}  # connections whose request is not complete
    kernels: dict[int, socket.socket | None] = {}  # pid -> its worker's connection (None: gone)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    # Ctrl-C in the terminal reaches the whole process group: the run stops the zygote
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sel.register(wake_r, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select(timeout=1.0):
            obj = key.fileobj
            if obj is listener:
                conn, _ = listener.accept()
                pending[conn] = b""
                sel.register(conn, selectors.EVENT_READ)
            elif obj == wake_r:
                os.read(wake_r, 4096)
            else:
                conn = obj
                try:
                    data = conn.recv(65536)
                except OSError:
                    data = b""
                if conn in pending and data:
                    pending[conn] += data
                    if b"\n" in pending[conn]:
                        try:
                            request = json.loads(pending.pop(conn).partition(b"\n")[0])
                        except ValueError:  # not one of ours: no kernel for it
                            sel.unregister(conn)
                            conn.close()
                            continue
                        pid = _fork(request, listener, sel, wake_r, wake_w)
                        kernels[pid] = conn
                        try:
                            conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
                        except OSError:  # gone already: the next read sees it
                            pass
                elif not data:  # the worker went away: so does its kernel
                    sel.unregister(conn)
                    pending.pop(conn, None)
                    for pid in [p for p, c in kernels.items() if c is conn]:
                        _kill_group(pid)
                        kernels[pid] = None
                    conn.close()
        _reap(kernels, sel)


def _kill_group(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            continue


def _reap(kernels: dict, sel) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = kernels.pop(pid, None)
        if conn is None:
            continue
        code = os.waitstatus_to_exitcode(status)
        try:
            conn.sendall(json.dumps({"exit": code}).encode() + b"\n")
        except OSError:
            pass
        sel.unregister(conn)
        conn.close()


def _fork(request: dict, listener, sel, wake_r: int, wake_w: int) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # as a new interpreter has them
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sel.close()
        listener.close()
        for fd in (wake_r, wake_w):
            os.close(fd)
        code = _become_kernel(request)
    except SystemExit as e:  # the kernel application's own exit (--help, a bad argument)
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _become_kernel(request: dict) -> int:
    """In the forked child: become the kernel ``python -c LAUNCHER ARGV`` would have been."""
    import random

    from kpilib.run.kernel import die_with_parent

    os.setsid()  # as jupyter_client starts kernels: a session (and process group) of its own
    die_with_parent(os.getppid())  # with the zygote
    fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(fd, 0)
    os.close(fd)
    _close_other_fds()
    env = request["env"]
    os.environ.clear()
    os.environ.update(env)
    os.chdir(request["cwd"])
    if sys.path:
        sys.path[0] = os.getcwd()
    random.seed()  # the zygote's state is shared by every fork: draw afresh
    argv = list(request["argv"])
    parent = env.get("JPY_PARENT_PID", "")
    if parent.isdigit():  # read from the environment when ipykernel was imported: pass it on
        argv.append(f"--IPKernelApp.parent_handle={parent}")
    sys.argv = ["-c", *request["argv"]]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance(argv=argv)
    return 0


def _close_other_fds() -> None:
    try:
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    except (OSError, ValueError):
        os.closerange(3, 4096)
