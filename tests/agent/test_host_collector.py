"""The host collector against this machine's /proc and psutil, and against a host root of
hand-written /proc files for the cases a live machine cannot be made to show."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from watchkeep.agent.host import CpuTimes, cpu_percentages, parse_cpu_times
from watchkeep.agent.hostcollector import HostCollector
from watchkeep.protocol.ingest import MetricsConfig

MB = 1024 * 1024


async def test_memory_matches_psutil() -> None:
    sample = await HostCollector().collect()
    memory = psutil.virtual_memory()
    assert sample.fields["memory_total_mb"] == pytest.approx(memory.total / MB, abs=1)
    # used = MemTotal - MemAvailable; allow for the machine moving between the two reads
    assert sample.fields["memory_used_mb"] == pytest.approx((memory.total - memory.available) / MB, abs=200)
    swap = psutil.swap_memory()
    assert sample.fields["swap_total_mb"] == pytest.approx(swap.total / MB, abs=1)


async def test_load_uptime_and_fds_match_the_machine() -> None:
    sample = await HostCollector().collect()
    load = psutil.getloadavg()
    assert sample.fields["load_avg1"] == pytest.approx(load[0], abs=0.5)
    assert sample.fields["load_avg15"] == pytest.approx(load[2], abs=0.5)
    assert sample.fields["uptime"] == pytest.approx(time.time() - psutil.boot_time(), abs=5)
    assert sample.fields["max_fds"] == int(Path("/proc/sys/fs/file-max").read_text())
    assert 0 < sample.fields["open_fds"] <= sample.fields["max_fds"]


async def test_filesystems_are_the_real_ones_with_psutils_usage() -> None:
    sample = await HostCollector().collect()
    ours = {d.mount: d for d in sample.fields["disks"]}
    partitions = [p for p in psutil.disk_partitions(all=False) if p.fstype not in ("overlay", "squashfs")]
    # psutil lists bind mounts (a dockerd data root, say) again; one entry per device here
    assert {d.device for d in ours.values()} == {p.device for p in partitions}
    assert set(ours) <= {p.mountpoint for p in partitions}
    for mount, disk in ours.items():
        usage = psutil.disk_usage(mount)
        assert disk.total_gb == pytest.approx(usage.total / 1024**3, abs=0.01)
        assert disk.used_gb == pytest.approx(usage.used / 1024**3, abs=2)  # a shared machine writes meanwhile
    assert sample.fields["disk_total_gb"] == pytest.approx(sum(d.total_gb for d in ours.values()), abs=0.01)


async def test_tcp_states_count_a_listening_socket_like_psutil() -> None:
    import socket

    collector = HostCollector()
    before = (await collector.collect()).fields["tcp_listen"]
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        after = await collector.collect()
        listening = sum(1 for c in psutil.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN)
    assert after.fields["tcp_listen"] == pytest.approx(listening, abs=2)
    assert after.fields["tcp_listen"] >= before + 1 or after.fields["tcp_listen"] >= listening
    assert after.fields["tcp_total"] >= after.fields["tcp_listen"] + after.fields["tcp_established"]


async def test_cpu_and_network_figures_come_from_the_second_sample() -> None:
    collector = HostCollector()
    first = await collector.collect()
    assert "cpu_percent" not in first.fields and "network_rx_bytes_per_sec" not in first.fields
    time.sleep(0.3)
    second = await collector.collect()
    assert 0 <= second.fields["cpu_percent"] <= 100
    assert 0 <= second.fields["cpu_iowait_percent"] <= 100
    assert second.fields["network_rx_bytes_per_sec"] >= 0
    assert second.errors == {}


async def test_a_busy_process_tops_the_cpu_list_and_process_counts_match_psutil() -> None:
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        collector = HostCollector()
        await collector.collect()
        time.sleep(1.0)  # the busy process runs between the two samples
        top = (await collector.collect()).fields["top_processes"]
    finally:
        busy.kill()
        busy.wait()
    assert busy.pid in [p.pid for p in top.by_cpu]
    entry = next(p for p in top.by_cpu if p.pid == busy.pid)
    assert entry.cpu_percent > 20 and entry.threads >= 1 and entry.memory_mb > 1
    assert len(top.by_cpu) == 10 and len(top.by_memory) == 10
    assert top.stats.total == pytest.approx(len(psutil.pids()), abs=10)
    assert top.stats.running + top.stats.sleeping + top.stats.stopped + top.stats.zombie <= top.stats.total
    # other processes on the machine move meanwhile: compare the top entry with that process now
    first = top.by_memory[0]
    assert first.memory_mb == pytest.approx(psutil.Process(first.pid).memory_info().rss / MB, rel=0.25, abs=20)
    assert first.memory_mb >= max(p.memory_mb for p in top.by_cpu)


def test_guest_time_is_not_counted_twice() -> None:
    # user 1000 includes guest 600: busy is 400 user + 100 system, not 1100 or 1700.
    times = parse_cpu_times("cpu  1000 0 100 5000 50 0 0 0 600 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n")
    assert times == CpuTimes(busy=500, iowait=50, total=5550)


def test_a_counter_going_backwards_starts_a_new_baseline() -> None:
    before = CpuTimes(busy=5000, iowait=100, total=20000)
    after_reset = CpuTimes(busy=10, iowait=1, total=100)
    assert cpu_percentages(before, after_reset) is None
    assert cpu_percentages(after_reset, CpuTimes(busy=60, iowait=1, total=200)) == (50.0, 0.0)


def _fake_host(root: Path, meminfo: str) -> None:
    proc = root / "proc"
    (proc / "sys" / "fs").mkdir(parents=True)
    (proc / "net").mkdir()
    (proc / "1").mkdir()
    (proc / "stat").write_text("cpu  100 0 100 800 0 0 0 0 0 0\n")
    (proc / "meminfo").write_text(meminfo)
    (proc / "loadavg").write_text("0.50 0.25 0.10 1/100 4242\n")
    (proc / "uptime").write_text("3600.5 7000.0\n")
    (proc / "sys" / "fs" / "file-nr").write_text("2048\t0\t100000\n")
    header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    (proc / "net" / "tcp").write_text(
        header
        + "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0  0 1 1\n"
        + "   1: 0100007F:1F90 0100007F:D1A2 01 00000000:00000000 00:00000000 00000000  0  0 2 1\n"
        + "   2: 0100007F:1F90 0100007F:D1A4 06 00000000:00000000 00:00000000 00000000  0  0 3 1\n"
        + "garbage line\n"
    )
    (proc / "net" / "tcp6").write_text(header + "   0: 0000:1F90 0000:0000 08 0 0 0 0 0 0 0\n")
    (proc / "net" / "dev").write_text(
        "Inter-|\n face |\n    lo: 5 0 0 0 0 0 0 0 5 0\n  eth0: 1000 0 0 0 0 0 0 0 2000 0\n"
    )
    (proc / "1" / "mounts").write_text(
        "/dev/root / ext4 rw 0 0\nproc /proc proc rw 0 0\n"
        "overlay /var/lib/docker/overlay2/x/merged overlay rw 0 0\n/dev/sdb1 /gone ext4 rw 0 0\n"
    )
    (proc / "42").mkdir()
    (proc / "42" / "stat").write_text(
        "42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 50 25 0 0 20 0 3 0 1000 100000 256 18446744073709551615\n"
    )


async def test_a_host_root_is_read_instead_of_the_agents_own_proc(tmp_path: Path) -> None:
    _fake_host(tmp_path, "MemTotal: 2048000 kB\nMemAvailable: 1024000 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n")
    sample = await HostCollector(tmp_path).collect()
    assert sample.errors == {"disk": "/gone: No such file or directory"}
    fields = sample.fields
    assert fields["memory_total_mb"] == 2000 and fields["memory_used_mb"] == 1000
    assert (fields["load_avg1"], fields["uptime"], fields["open_fds"], fields["max_fds"]) == (0.5, 3600.5, 2048, 100000)
    assert (fields["tcp_listen"], fields["tcp_established"], fields["tcp_time_wait"]) == (1, 1, 1)
    assert (fields["tcp_close_wait"], fields["tcp_total"]) == (1, 4)
    top = fields["top_processes"]
    assert [(p.pid, p.name, p.threads) for p in top.by_memory] == [(42, "my (odd) name", 3)]
    assert top.by_memory[0].memory_mb == pytest.approx(256 * os.sysconf("SC_PAGE_SIZE") / MB)
    # only the real filesystems (/ is the host root here), no proc and no container storage
    assert [(d.mount, d.device) for d in fields["disks"]] == [("/", "/dev/root")]


async def test_a_bad_proc_file_costs_only_its_own_figures(tmp_path: Path) -> None:
    _fake_host(tmp_path, "MemTotal: lots\nnonsense\n")
    sample = await HostCollector(tmp_path).collect()
    assert "memory" in sample.errors and "MemTotal" in sample.errors["memory"]
    assert "memory_total_mb" not in sample.fields
    assert sample.fields["load_avg5"] == 0.25 and sample.fields["tcp_total"] == 4
    assert set(sample.errors) == {"memory", "disk"}


async def test_groups_the_hub_turned_off_are_not_collected() -> None:
    config = MetricsConfig(collect_processes=False, collect_tcp=False, collect_disk=False)
    sample = await HostCollector().collect(config)
    assert "top_processes" not in sample.fields and "tcp_total" not in sample.fields and "disks" not in sample.fields
    assert "memory_total_mb" in sample.fields
