"""A throwaway PostgreSQL server for tests: Debian's server binaries (initdb, pg_ctl), a cluster in
a temporary folder, listening on 127.0.0.1 only, stopped afterwards.

initdb refuses to run as root, so under root the cluster belongs to the `postgres` user that
Debian's package creates. Without the binaries the caller skips with the reason and the fix
(.ci/run installs them).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

USER = "adrpulse"
DATABASE = "adrpulse"


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl (PATH first, then Debian's versioned folders)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def local_postgres(folder: Path) -> Iterator[str]:
    """Start a cluster under `folder`; yield its URL (trust authentication, loopback only)."""
    binaries = server_binaries()
    if binaries is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) are not installed: "
            "`apt-get install postgresql` (.ci/run installs it)"
        )
    as_owner: list[str] = []
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: initdb cannot run as root")
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and no `postgres` user (Debian's postgresql package "
                        "creates it): initdb cannot run as root")
        as_owner = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres", "postgres")
        folder.chmod(0o700)
        for parent in folder.parents:  # the owner must reach its folder
            if parent == Path("/"):
                break
            parent.chmod(parent.stat().st_mode | 0o011)
    data, log = folder / "data", folder / "server.log"
    port = _free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*as_owner, *args], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            server_log = log.read_text() if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {done.stderr or done.stdout}\n{server_log}")

    run(str(binaries / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8",
        "--no-locale")
    options = f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c full_page_writes=off"
    run(str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start")
    try:
        createdb = binaries / "createdb"
        run(str(createdb) if createdb.exists() else "createdb",
            "-h", "127.0.0.1", "-p", str(port), "-U", USER, DATABASE)
        yield f"postgresql://{USER}@127.0.0.1:{port}/{DATABASE}"
    finally:
        subprocess.run([*as_owner, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "-w", "stop"], capture_output=True, timeout=120)
