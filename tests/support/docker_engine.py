"""A private Docker engine for tests: `dockerd` with its own data root, exec root and socket,
no bridge and no iptables, and a local image imported from a rootfs holding busybox-static
(nothing is pulled). Tests skip, saying why, where dockerd or busybox is not installed
(`.ci/run` installs Debian's docker.io and busybox-static)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

IMAGE = "watchkeep-test/busybox:local"
BUSYBOX_APPLETS = ("sh", "sleep", "true", "false", "echo", "cat", "dd", "sync")


@dataclass
class DockerEngine:
    socket: Path
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def docker(self, *args: str, check: bool = True) -> str:
        env = {**os.environ, "DOCKER_HOST": self.host}
        result = subprocess.run(["docker", *args], capture_output=True, text=True, env=env, timeout=120)
        if check and result.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)} failed: {result.stderr}")
        return result.stdout.strip()

    def answers(self) -> bool:
        env = {**os.environ, "DOCKER_HOST": self.host}
        result = subprocess.run(["docker", "version"], capture_output=True, env=env, timeout=30)
        return result.returncode == 0

    def run(self, name: str, *args: str, command: tuple[str, ...] = ("/bin/sleep", "3600")) -> str:
        return self.docker("run", "-d", "--name", name, "--network", "none", *args, IMAGE, *command)

    def inspect(self, name: str, template: str) -> str:
        return self.docker("inspect", "-f", template, name)

    def wait_for(self, name: str, template: str, expected: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        value = ""
        while time.monotonic() < deadline:
            value = self.inspect(name, template)
            if value == expected:
                return
            time.sleep(0.2)
        raise TimeoutError(f"{name}: {template} is {value!r}, expected {expected!r}")


def _missing() -> str | None:
    for tool in ("dockerd", "docker", "busybox"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (.ci/run installs docker.io and busybox-static)"
    if os.geteuid() != 0:
        return "dockerd needs root"
    return None


def _import_image(engine: DockerEngine, workdir: Path) -> None:
    busybox = shutil.which("busybox")
    assert busybox is not None
    archive = workdir / "rootfs.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(busybox, arcname="bin/busybox")
        for applet in BUSYBOX_APPLETS:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type = tarfile.SYMTYPE
            link.linkname = "busybox"
            tar.addfile(link)
    engine.docker("import", str(archive), IMAGE)


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[DockerEngine]:
    reason = _missing()
    if reason is not None:
        pytest.skip(reason)
    # Short paths: a unix socket path must fit in 108 bytes.
    workdir = Path(tempfile.mkdtemp(prefix="wk-dockerd-"))
    socket = workdir / "docker.sock"
    log = workdir / "dockerd.log"
    command = [
        "dockerd",
        f"--data-root={workdir / 'data'}",
        f"--exec-root={workdir / 'exec'}",
        f"--pidfile={workdir / 'dockerd.pid'}",
        f"--host=unix://{socket}",
        "--bridge=none",
        "--iptables=false",
        "--ip6tables=false",
        "--ip-masq=false",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    engine = DockerEngine(socket, process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"dockerd exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            if socket.exists() and engine.answers():
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"dockerd did not answer:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        _import_image(engine, workdir)
        yield engine
    finally:
        if process.poll() is None:
            ids = engine.docker("ps", "-aq", check=False).split()
            if ids:
                engine.docker("rm", "-f", *ids, check=False)
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        _unmount_below(workdir)
        shutil.rmtree(workdir, ignore_errors=True)


def _unmount_below(workdir: Path) -> None:
    """dockerd leaves its default network namespace mounted under its exec root."""
    prefix = f"{workdir}/"
    mountpoints = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    for mountpoint in sorted((m for m in mountpoints if m.startswith(prefix)), reverse=True):
        subprocess.run(["umount", "-l", mountpoint], capture_output=True, check=False)
