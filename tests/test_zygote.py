"""Kernels forked from the run's zygote (kpilib.run.zygote, kpilib.run.forked): a forked
kernel is a fresh kernel in everything a notebook can see (its own process, the requested
folder and environment, the fixed hash seed, no state from another notebook); the zygote
reports each kernel's end, kills the kernel of a worker that went away, and a run whose
zygote is gone still starts its kernels; and a run gives byte-identical outputs with forked
kernels and with kernels started from scratch."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from queue import Empty

import pytest
import yaml
from jupyter_client.utils import run_sync
from publications import without_wall_clock

from kpilib.run import zygote
from kpilib.run.jobs import kernel_manager

pytestmark = pytest.mark.skipif(not zygote.available(), reason="kernels are forked on Linux")

DEMO_AS_OF = "2025-06-30T00:00:00.000000Z"
OUTPUT_DIR = (("parameters", "output_dir"),)  # the two runs publish side by side


@pytest.fixture(scope="module")
def the_zygote():
    z = zygote.Zygote().start()
    try:
        yield z
    finally:
        z.stop()


@pytest.fixture
def km(the_zygote, tmp_path, monkeypatch):
    """A started kernel of the run's kernel manager, and its client."""
    monkeypatch.setenv(zygote.ENV, the_zygote.address)
    manager = kernel_manager(tmp_path)
    manager.start_kernel(cwd=str(tmp_path), env={**os.environ, "KPI_PROBE": "seen"})
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    try:
        yield manager, client
    finally:
        client.stop_channels()
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)
        manager.cleanup_resources()


def run_code(client, code: str) -> str:
    """Execute ``code`` in the kernel; what it printed."""
    out = []
    reply = client.execute_interactive(
        code, timeout=60, output_hook=lambda m: out.append(m["content"].get("text", ""))
        if m["msg_type"] == "stream" else None)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(out)


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


PROBE = "\n".join([
    "import json, os, signal, sys",
    "import plotly.io as pio",
    "print(json.dumps({'pid': os.getpid(), 'pgid': os.getpgid(0), 'cwd': os.getcwd(),",
    "    'path0': sys.path[0], 'argv0': sys.argv[0], 'probe': os.environ.get('KPI_PROBE'),",
    "    'hash': hash('kpilib'), 'parent': os.environ.get('JPY_PARENT_PID'),",
    "    'shell': type(get_ipython()).__name__, 'renderer': pio.renderers.default,",
    "    'stdout': type(sys.stdout).__name__, 'main': sys.modules['__main__'].__name__,",
    "    'signals': [str(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGCHLD,",
    "                                                   signal.SIGTERM, signal.SIGPIPE)]}))"])


def probe(folder: Path, forked_by: str | None, monkeypatch) -> tuple[dict, int]:
    """What a notebook sees in a kernel forked by the zygote at ``forked_by`` (or started
    from scratch: None), and the kernel's parent process."""
    if forked_by:
        monkeypatch.setenv(zygote.ENV, forked_by)
    else:
        monkeypatch.delenv(zygote.ENV, raising=False)
    folder.mkdir()
    manager = kernel_manager(folder)
    env = {"PYTHONHASHSEED": "0", **os.environ, "KPI_PROBE": "seen"}  # the worker's default
    manager.start_kernel(cwd=str(folder), env=env)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        return json.loads(run_code(client, PROBE)), parent_of(manager.provisioner.pid)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_a_forked_kernel_sees_what_a_kernel_started_from_scratch_sees(the_zygote, tmp_path,
                                                                      monkeypatch):
    forked, forked_parent = probe(tmp_path / "forked", the_zygote.address, monkeypatch)
    fresh, fresh_parent = probe(tmp_path / "fresh", None, monkeypatch)
    assert forked_parent == the_zygote.process.pid and fresh_parent == os.getpid()
    for seen, folder in ((forked, "forked"), (fresh, "fresh")):
        assert seen.pop("pgid") == seen.pop("pid")  # a session of its own
        assert seen.pop("cwd") == seen.pop("path0") == str(tmp_path / folder)
    assert forked == fresh
    assert forked["renderer"].startswith("plotly_mimetype") and forked["probe"] == "seen"
    assert forked["parent"] == str(os.getpid())


def test_no_state_passes_from_one_kernel_to_the_next(the_zygote, tmp_path, monkeypatch):
    monkeypatch.setenv(zygote.ENV, the_zygote.address)
    printed = []
    for n in range(2):
        (tmp_path / str(n)).mkdir()
        manager = kernel_manager(tmp_path / str(n))
        manager.start_kernel()
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            printed.append(run_code(client, "\n".join([
                "import kpilib.notebook as kn, random",
                "print(getattr(kn, 'LEFT_BEHIND', None), random.random())",
                "kn.LEFT_BEHIND = 'by the kernel before'", "leftover = 1"])))
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    (first, draw1), (second, draw2) = (p.split() for p in printed)
    assert first == second == "None"
    assert draw1 != draw2  # each fork draws its own random state, as a new process does


def test_ctrl_c_in_the_terminal_leaves_the_zygote_to_the_run(the_zygote):
    os.kill(the_zygote.process.pid, signal.SIGINT)  # as the terminal sends it to the group
    kernel = zygote.fork_kernel(the_zygote.address, [sys.executable, "-c", "X", "--version"],
                                dict(os.environ), os.getcwd())
    assert kernel.wait(timeout=30) == 0 and the_zygote.process.poll() is None


def test_the_zygote_reports_the_kernels_end(the_zygote):
    kernel = zygote.fork_kernel(the_zygote.address, [sys.executable, "-c", "X", "--version"],
                                dict(os.environ), os.getcwd())
    assert kernel.wait(timeout=30) == 0  # ipykernel printed its version and exited
    assert kernel.poll() == 0 and gone(kernel.pid)


def test_a_kernel_is_killed_when_its_worker_goes_away(km):
    manager, _ = km
    pid = manager.provisioner.pid
    manager.provisioner.process._conn.close()  # as when the worker process dies
    assert gone(pid)


def test_a_killed_kernel_is_waited_for_not_polled(km):
    manager, _ = km
    pid = manager.provisioner.pid
    run_sync(manager.provisioner.kill)()  # what shutdown_kernel(now=True) starts with
    # ended and reaped when kill returns: jupyter_client's wait finds it gone at its first look
    # (it polls every 0.1 s otherwise)
    assert manager.provisioner.process.returncode == -signal.SIGKILL and gone(pid, within=0)
    manager.shutdown_kernel(now=True)
    assert not manager.has_kernel


def test_ready_means_the_kernel_went_idle_after_kernel_info(the_zygote, tmp_path, monkeypatch):
    monkeypatch.setenv(zygote.ENV, the_zygote.address)
    manager = kernel_manager(tmp_path)
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    read, get_msg = [], client.iopub_channel.get_msg

    def recording(*args, **kwargs):
        read.append(get_msg(*args, **kwargs))
        return read[-1]

    client.iopub_channel.get_msg = recording
    try:
        client.wait_for_ready(timeout=60)
        last = read[-1]  # what it stopped at: the idle status of its kernel_info request
        assert (last["msg_type"], last["content"]["execution_state"],
                last["parent_header"]["msg_type"]) == ("status", "idle", "kernel_info_request")
        with pytest.raises(Empty):  # nothing of that request is left on IOPub
            get_msg(timeout=0.5)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_without_a_zygote_kernels_start_from_scratch(tmp_path, monkeypatch):
    dead = zygote.Zygote().start()
    dead.process.kill()
    dead.process.wait()
    monkeypatch.setenv(zygote.ENV, dead.address)
    try:
        manager = kernel_manager(tmp_path)
        start = time.monotonic()
        manager.start_kernel()
        try:
            assert time.monotonic() - start < 10  # refused at once: no waiting for the zygote
            assert parent_of(manager.provisioner.pid) == os.getpid()
            client = manager.client()
            client.start_channels()
            client.wait_for_ready(timeout=60)
            assert run_code(client, "print(6 * 7)") == "42\n"
            client.stop_channels()
        finally:
            manager.shutdown_kernel(now=True)
    finally:
        dead.stop()


def test_a_zygote_that_cannot_preload_leaves_kernels_to_start_from_scratch(tmp_path):
    bad = zygote.Zygote([sys.executable, "-c", "import sys; sys.exit(0)", "--"])
    bad.start()
    try:
        bad.process.wait(30)
        with pytest.raises(OSError):
            zygote.fork_kernel(bad.address, [sys.executable, "-c", "X"], dict(os.environ),
                               str(tmp_path))
    finally:
        bad.stop()
    assert not Path(bad.address).exists() and not bad.folder.exists()
    assert os.environ.get(zygote.ENV) != bad.address


def test_the_zygote_dies_with_the_process_that_started_it(tmp_path):
    starter = subprocess.Popen(
        [sys.executable, "-c", "import time; from kpilib.run import zygote; "
         "z = zygote.Zygote().start(); print(z.process.pid, flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        pid = int(starter.stdout.readline())
        os.kill(starter.pid, signal.SIGKILL)
        starter.wait(30)
        assert gone(pid)
    finally:
        starter.kill()
        starter.stdout.close()


@pytest.fixture(scope="module")
def runs_both_ways(tmp_path_factory, test_store):
    """2024-02 core run twice from one store, with forked kernels and from scratch."""
    root = tmp_path_factory.mktemp("both-ways")
    store = root / "kpi.sqlite"
    shutil.copy(test_store, store)
    outputs = {}
    for fork in ("1", "0"):
        params = root / f"params-{fork}.yaml"
        params.write_text(yaml.safe_dump({"period": "2024-02", "report": "core",
                                          "store": "kpi.sqlite", "as_of": DEMO_AS_OF,
                                          "output_dir": f"out-{fork}"}))
        done = subprocess.run([sys.executable, "-m", "kpilib.cli", "run", params.name,
                               "--quiet"], cwd=root, capture_output=True, text=True,
                              env={**os.environ, zygote.SWITCH: fork}, timeout=600)
        assert done.returncode == 0, done.stderr
        outputs[fork] = root / f"out-{fork}" / "2024-02" / "core"
    return outputs


@pytest.mark.slow
def test_forked_kernels_publish_what_fresh_kernels_publish(runs_both_ways):
    forked, fresh = runs_both_ways["1"], runs_both_ways["0"]
    files = sorted(p.relative_to(forked).as_posix() for p in forked.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*")
                           if p.is_file())
    assert "notebooks/index.ipynb" in files and "index.html" in files
    for name in files:
        a, b = (forked / name).read_bytes(), (fresh / name).read_bytes()
        if name == "manifest.json":
            assert without_wall_clock(a, OUTPUT_DIR) == without_wall_clock(b, OUTPUT_DIR)
        else:
            assert a == b, f"{name} differs"


def test_a_request_that_is_not_a_kernels_is_refused_and_the_zygote_goes_on(the_zygote):
    stray = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stray.connect(the_zygote.address)
    stray.sendall(b"not json\n")
    stray.settimeout(30)
    assert stray.recv(100) == b""  # closed, no kernel
    stray.close()
    kernel = zygote.fork_kernel(the_zygote.address, [sys.executable, "-c", "X", "--version"],
                                dict(os.environ), os.getcwd())
    assert kernel.wait(timeout=30) == 0
