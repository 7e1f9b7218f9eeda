"""Workers and kernels die with the run: a ``kpi run`` killed with SIGKILL leaves no process
behind, and ``kpi doctor`` then a new run leave one published folder and no debris."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from kpilib.run import runner
from kpilib.run.kernel import LAUNCHER

DEMO_AS_OF = "2025-06-30T00:00:00.000000Z"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="PR_SET_PDEATHSIG and /proc are Linux's")


def _processes() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, command line) of every process."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            cmd = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # gone meanwhile
            continue
        fields = text.rsplit(")", 1)[1].split()
        out[int(stat.parent.name)] = (int(fields[1]), fields[0], cmd)
    return out


def descendants(pid: int) -> dict[int, str]:
    procs = _processes()
    found, todo = {}, [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, _, cmd) in procs.items():
            if ppid == parent and child not in found:
                found[child] = cmd
                todo.append(child)
    return found


def alive(pids) -> list[int]:
    """Those of ``pids`` still running (a zombie has exited: only its entry is left)."""
    procs = _processes()
    return [p for p in pids if p in procs and procs[p][1] != "Z"]


def test_the_kernel_spec_starts_kernels_that_die_with_their_worker():
    argv = runner.kernel_spec().argv
    assert argv[0] == sys.executable and argv[argv.index("-c") + 1] == LAUNCHER
    assert "ipykernel_launcher" not in argv and argv[-2:] == ["-f", "{connection_file}"]


GET_PDEATHSIG = ("\nimport ctypes\nv = ctypes.c_int()\n"
                 "ctypes.CDLL(None).prctl(2, ctypes.byref(v))\nprint(v.value)")  # PR_GET_PDEATHSIG


@pytest.mark.parametrize(("setup", "code", "printed"), [
    ("", 0, "0"),  # by default a process outlives its parent
    ("from kpilib.run.kernel import die_with_parent; die_with_parent(os.getppid())", 0, "9"),
    ("from kpilib.run.kernel import die_with_parent; die_with_parent(os.getppid() + 1)", 1, ""),
    (LAUNCHER.split("from ipykernel")[0], 0, "9"),  # the kernel launcher, up to the kernel
], ids=["default", "worker-parent-alive", "worker-parent-gone", "kernel-launcher"])
def test_processes_ask_to_be_killed_with_their_parent(setup, code, printed):
    script = "import os\n" + setup + GET_PDEATHSIG
    done = subprocess.run([sys.executable, "-c", script], env=os.environ, timeout=60,
                          capture_output=True, text=True)
    assert (done.returncode, done.stdout.strip()) == (code, printed), done.stderr


def _params(tmp_path, test_store) -> Path:
    store = tmp_path / "kpi.sqlite"
    shutil.copy(test_store, store)
    params = tmp_path / "2024-02.yaml"
    params.write_text(yaml.safe_dump({"period": "2024-02", "report": "core", "store": str(store),
                                      "as_of": DEMO_AS_OF, "output_dir": str(tmp_path / "out")}))
    return params


def kpi(*args, cwd, **kw):
    return subprocess.run([sys.executable, "-m", "kpilib.cli", *args], cwd=cwd, env=os.environ,
                          capture_output=True, text=True, timeout=600, **kw)


def kernels_of(family: dict[int, str]) -> dict[int, str]:
    """The notebook kernels among a run's processes: started from scratch (ipykernel's
    ``kernelapp`` on their command line), or forked by the run's zygote (the zygote's command
    line, and the zygote as parent)."""
    procs = _processes()
    return {p: c for p, c in family.items()
            if "kernelapp" in c or ("kpi-zygote-" in c and p in procs
                                    and "kpi-zygote-" in family.get(procs[p][0], ""))}


@pytest.mark.slow
@pytest.mark.parametrize("fork", ["1", "0"], ids=["forked-kernels", "fresh-kernels"])
def test_a_killed_run_leaves_no_process_and_the_next_run_no_debris(tmp_path, test_store, fork):
    params = _params(tmp_path, test_store)
    env = {**os.environ, "KPI_FORK_KERNELS": fork}
    run = subprocess.Popen([sys.executable, "-m", "kpilib.cli", "run", str(params), "--quiet"],
                           cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    try:
        deadline, kernels = time.monotonic() + 300, {}
        while not kernels and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.05)
            family = descendants(run.pid)
            kernels = kernels_of(family)
        assert kernels, f"no kernel started (run exited {run.poll()}): {run.stderr.read()}"
        family = descendants(run.pid)  # workers and kernels (and what they started)
        os.kill(run.pid, signal.SIGKILL)
        run.wait(60)
    finally:
        if run.poll() is None:
            run.kill()
        run.stderr.close()
    deadline = time.monotonic() + 10
    while alive(family) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(family), {p: family[p] for p in alive(family)}

    period = tmp_path / "out" / "2024-02"
    assert [p.name for p in period.iterdir()][0].startswith(".core.staging-")
    doctor = kpi("doctor", "out", cwd=tmp_path)
    assert doctor.returncode == 0, doctor.stderr
    assert "removed " in doctor.stdout and "the unfinished run folder of a kpi run" in doctor.stdout
    again = kpi("run", str(params), "--quiet", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in period.iterdir()) == ["core"]
