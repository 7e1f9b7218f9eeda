"""The kernel manager of a run's notebooks: kernels forked by the run's zygote
(:mod:`kpilib.run.zygote`), and a kernel start and stop without fixed waits.

jupyter_client starts a kernel through a *provisioner*; :class:`ForkedProvisioner` is its
local one with one difference: instead of ``Popen(cmd)`` it asks the zygote for a fork that
runs ``cmd``'s arguments, and manages the kernel through :class:`~kpilib.run.zygote.
ForkedKernel`.  Connection files, ports, signals, interrupts and shutdown are jupyter_client's
own.  A zygote that cannot be reached falls back to ``Popen``, so a kernel always starts.

Two fixed waits of jupyter_client are replaced by waiting for the event itself:

- :class:`ReadyClient`: ``wait_for_ready`` drains IOPub up to the kernel's ``idle`` status
  for its ``kernel_info`` request, where jupyter_client waits for 0.2 s of silence on IOPub
  (notebook clients match every message to its request, so nothing else is needed);
- :meth:`ForkedProvisioner.kill` waits for the killed kernel to end, where jupyter_client
  polls every 0.1 s.

Each of the two cost 0.1-0.2 s per notebook, a third of a warm kernel's life.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import time
import uuid
from collections.abc import Callable
from queue import Empty
from typing import Any

from jupyter_client import KernelManager
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.channels import ZMQSocketChannel
from jupyter_client.provisioning import LocalProvisioner
from jupyter_client.utils import ensure_async, run_sync
from nbclient.exceptions import DeadKernelError
from traitlets import Type

from kpilib.run import zygote

KILL_WAIT = 5.0  # seconds a killed kernel is given to end (jupyter_client's own bound)
IOPUB_WAIT = 0.2  # seconds without IOPub messages that mean IOPub is not connected yet
DEAD_CHECK = 1.0  # seconds between checks that the kernel of a silent channel still runs


class ForkedProvisioner(LocalProvisioner):
    """Launch the kernel as a fork of the zygote at ``$KPI_ZYGOTE`` (Popen if it is gone)."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        address = os.environ.get(zygote.ENV)
        if not address:
            return await super().launch_kernel(cmd, **kwargs)
        env = {**(kwargs.get("env") or os.environ), "JPY_PARENT_PID": str(os.getpid())}
        try:  # JPY_PARENT_PID: as jupyter_client's launcher sets it
            self.process = zygote.fork_kernel(address, cmd, env, kwargs.get("cwd"))
        except OSError:  # the zygote died or never started: start the kernel from scratch
            return await super().launch_kernel(cmd, **kwargs)
        self.pid = self.pgid = self.process.pid  # the kernel leads a session of its own
        self.cwd = kwargs.get("cwd", pathlib.Path.cwd())
        return self.connection_info

    async def kill(self, restart: bool = False) -> None:
        await super().kill(restart=restart)
        if self.process:  # SIGKILL sent: wait for the end instead of polling for it
            try:
                self.process.wait(timeout=KILL_WAIT)
            except subprocess.TimeoutExpired:
                pass


class WatchedChannel(ZMQSocketChannel):
    """A blocking channel that never waits on a dead kernel: ``get_msg`` waits in slices of
    :data:`DEAD_CHECK` seconds and, when no message came, asks whether the kernel's process
    still runs (``alive``).  nbclient waits on a blocking client's IOPub with no timeout, in
    its event loop, so without this a kernel killed mid-cell (out of memory, ``kill -9``)
    hangs the run for ever: nbclient's own check that the kernel lives never gets a turn."""

    alive: Callable[[], bool] | None = None

    def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = DEAD_CHECK if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return super().get_msg(timeout=min(left, DEAD_CHECK))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise
                if self.alive is not None and not self.alive():
                    raise DeadKernelError("Kernel died") from None


class ReadyClient(BlockingKernelClient):
    """A blocking kernel client whose ``wait_for_ready`` ends when the kernel has answered
    ``kernel_info`` on the shell channel and gone ``idle`` for it on IOPub, and whose shell
    and IOPub channels give up on a dead kernel (:class:`WatchedChannel`)."""

    shell_channel_class = Type(WatchedChannel)
    iopub_channel_class = Type(WatchedChannel)

    def _process_alive(self) -> bool:
        """The kernel's process has not ended (True when it cannot be told)."""
        process = getattr(getattr(self.parent, "provisioner", None), "process", None)
        return process is None or process.poll() is None

    @property
    def shell_channel(self):
        channel = super().shell_channel
        channel.alive = self._process_alive
        return channel

    @property
    def iopub_channel(self):
        channel = super().iopub_channel
        channel.alive = self._process_alive
        return channel

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        asked: set[str] = set()
        while True:
            asked.add(self.kernel_info())
            try:
                reply = await ensure_async(self.shell_channel.get_msg(timeout=1))
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply" and \
                    await self._idle_for(asked):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _idle_for(self, asked: set[str]) -> bool:
        """Read IOPub up to the idle status of one of the ``asked`` requests: False when
        IOPub falls silent first (not connected yet: its messages were lost)."""
        while True:
            try:
                msg = await ensure_async(self.iopub_channel.get_msg(timeout=IOPUB_WAIT))
            except Empty:
                return False
            if (msg["msg_type"] == "status"
                    and msg["content"].get("execution_state") == "idle"
                    and msg["parent_header"].get("msg_id") in asked):
                return True

    wait_for_ready = run_sync(_async_wait_for_ready)


class ForkingKernelManager(KernelManager):
    """A :class:`KernelManager` whose kernel comes from :class:`ForkedProvisioner` and whose
    client is a :class:`ReadyClient`."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("client_class", f"{__name__}.ReadyClient")
        super().__init__(**kwargs)

    async def _async_pre_start_kernel(self, **kw: Any):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ForkedProvisioner(kernel_id=self.kernel_id,
                                                 kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)
