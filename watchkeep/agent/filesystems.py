"""Usage of every real filesystem. Pseudo filesystems, overlay and container-storage mounts
are left out; a mount whose statfs does not answer in time (a stale NFS share) is skipped
and stays skipped while its earlier call is still stuck, so it never blocks a sample."""

from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from watchkeep.protocol.ingest import DiskUsage

GB = 1024**3

PSEUDO_TYPES = frozenset(
    {
        "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts",
        "devtmpfs", "efivarfs", "fuse.lxcfs", "fusectl", "hugetlbfs", "mqueue", "nsfs", "overlay",
        "aufs", "proc", "pstore", "ramfs", "rpc_pipefs", "securityfs", "selinuxfs", "squashfs",
        "sysfs", "tmpfs", "tracefs", "nfsd", "fuse.gvfsd-fuse", "fuse.portal", "shm", "iso9660",
    }
)  # fmt: skip

CONTAINER_STORAGE = (
    "/var/lib/docker/",
    "/var/lib/containers/",
    "/var/lib/containerd/",
    "/run/containerd/",
    "/run/docker/",
    "/var/run/docker/",
    "/var/lib/kubelet/",
    "/run/k3s/",
    "/snap/",
)


@dataclass(frozen=True)
class MountEntry:
    device: str
    mountpoint: str
    fstype: str


def _unescape(field: str) -> str:
    # /proc/mounts writes spaces, tabs, newlines and backslashes as octal escapes.
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def real_mounts(text: str) -> list[MountEntry]:
    """The mounts of a /proc/<pid>/mounts text worth reporting, one per device."""
    seen: set[tuple[str, str]] = set()
    mounts: list[MountEntry] = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        device, mountpoint, fstype = _unescape(parts[0]), _unescape(parts[1]), parts[2]
        if fstype in PSEUDO_TYPES or (fstype.startswith("fuse.") and fstype != "fuse.sshfs"):
            continue
        if (mountpoint + "/").startswith(CONTAINER_STORAGE):
            continue
        if (device, fstype) in seen:
            continue  # a bind mount of a filesystem already counted
        seen.add((device, fstype))
        mounts.append(MountEntry(device, mountpoint, fstype))
    return mounts


class FilesystemCollector:
    def __init__(self, host_root: Path, timeout: float) -> None:
        self._root = host_root
        self._timeout = timeout
        self._stuck: set[str] = set()
        self._lock = threading.Lock()

    def _mounts_text(self) -> str:
        for candidate in (self._root / "proc" / "1" / "mounts", self._root / "proc" / "self" / "mounts"):
            try:
                return candidate.read_text()
            except OSError:
                continue
        return ""

    def _host_path(self, mountpoint: str) -> str:
        return str(self._root / mountpoint.lstrip("/")) if self._root != Path("/") else mountpoint

    async def _statvfs(self, mount: MountEntry) -> DiskUsage | str | None:
        """The usage, a problem to report, or None for a filesystem without blocks."""
        path = self._host_path(mount.mountpoint)
        with self._lock:
            if path in self._stuck:
                return f"{mount.mountpoint}: an earlier statfs is still waiting"
            self._stuck.add(path)

        def call() -> os.statvfs_result:
            try:
                return os.statvfs(path)
            finally:
                with self._lock:
                    self._stuck.discard(path)

        # A plain daemon thread per call: a hung statfs must not hold an executor worker.
        loop = asyncio.get_running_loop()
        future: asyncio.Future[os.statvfs_result] = loop.create_future()

        def run() -> None:
            try:
                result = call()
            except BaseException as exc:  # delivered to the awaiting coroutine
                loop.call_soon_threadsafe(_settle, future, None, exc)
            else:
                loop.call_soon_threadsafe(_settle, future, result, None)

        threading.Thread(target=run, name=f"statfs {path}", daemon=True).start()
        try:
            st = await asyncio.wait_for(asyncio.shield(future), self._timeout)
        except TimeoutError:
            return f"{mount.mountpoint}: no answer within {self._timeout} s"
        except OSError as exc:
            return f"{mount.mountpoint}: {exc.strerror or exc}"
        total = st.f_blocks * st.f_frsize
        if total == 0:
            return None
        used = (st.f_blocks - st.f_bfree) * st.f_frsize
        return DiskUsage(
            mount=mount.mountpoint,
            used_gb=round(used / GB, 3),
            total_gb=round(total / GB, 3),
            device=mount.device,
            fstype=mount.fstype,
        )

    async def collect(self) -> tuple[list[DiskUsage], list[str]]:
        """The usage of each real filesystem and the problems of those that did not answer."""
        mounts = real_mounts(self._mounts_text())
        results = await asyncio.gather(*(self._statvfs(m) for m in mounts))
        disks = [r for r in results if isinstance(r, DiskUsage)]
        problems = [r for r in results if isinstance(r, str)]
        return disks, problems


def _settle(
    future: asyncio.Future[os.statvfs_result], result: os.statvfs_result | None, exc: BaseException | None
) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    elif result is not None:
        future.set_result(result)
