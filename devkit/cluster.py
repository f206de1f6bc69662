"""An embedded PostgreSQL cluster under ``.dev/pg``, on a free loopback port.

PostgreSQL refuses to run as root, and development machines and CI run as root: the cluster then
belongs to an unprivileged system user (``postgres`` when it exists, else ``nobody``). The server
binaries are the machine's own; where there are none, those of the pip-installable ``pgserver``.
Durability is traded for speed (``fsync=off``): this cluster only ever holds throw-away databases.
"""

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import time

from . import console
from .paths import PG_ROOT

SUPERUSER = "odoo"
SETTINGS = ("fsync=off", "full_page_writes=off", "synchronous_commit=off", "max_connections=200",
            "shared_buffers=1GB", "work_mem=32MB", "maintenance_work_mem=256MB")


def _version_key(path):
    digits = "".join(ch if ch.isdigit() else " " for ch in path).split()
    return [int(d) for d in digits]


def find_bindir(python):
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``; installs pgserver if needed."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.insert(0, result.stdout.strip())
    if shutil.which("postgres"):
        candidates.append(os.path.dirname(shutil.which("postgres")))
    for folder in candidates:
        if folder and all(os.access(os.path.join(folder, b), os.X_OK) for b in ("initdb", "pg_ctl", "postgres")):
            return folder
    console.step("no PostgreSQL server on this machine: installing pgserver into the virtualenv")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "pgserver==0.1.4"], check=True)
    probe = "import os, pgserver; print(os.path.join(os.path.dirname(pgserver.__file__), 'pginstall', 'bin'))"
    return subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True).stdout.strip()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as_owner():
    """The unprivileged user to run PostgreSQL as, or None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise console.Fatal("running as root, and neither a 'postgres' nor a 'nobody' user exists")


def _grant_traversal(owner, folder):
    """Let ``owner`` reach ``folder`` when a parent folder (a home under /root, say) is closed."""
    blocked = [
        parent for parent in reversed(folder.parents)
        if parent.exists() and not os.stat(parent).st_mode & 0o001
    ]
    for parent in blocked:
        if shutil.which("setfacl"):
            subprocess.run(["setfacl", "-m", f"u:{owner.pw_name}:x", str(parent)], check=True)
        else:
            os.chmod(parent, os.stat(parent).st_mode | 0o001)
        console.step(f"let user {owner.pw_name} traverse {parent} to reach the cluster")


class Cluster:
    """The cluster's life: initialised once, started for a command, stopped when it is done."""

    def __init__(self, bindir, root=PG_ROOT):
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.sockets = root / "run"
        self.logfile = root / "postgresql.log"
        self.owner = _run_as_owner()
        self.port = None
        self.started_here = False

    def _run(self, *args, **kwargs):
        command = [os.path.join(self.bindir, args[0]), *args[1:]]
        if self.owner:
            kwargs.update(user=self.owner.pw_uid, group=self.owner.pw_gid, extra_groups=[])
        return subprocess.run(command, cwd=self.root, check=True, **kwargs)

    def _prepare(self):
        self.sockets.mkdir(parents=True, exist_ok=True)
        if self.owner:
            _grant_traversal(self.owner, self.root)
            for path in (self.root, self.sockets):
                os.chown(path, self.owner.pw_uid, self.owner.pw_gid)
        os.chmod(self.sockets, 0o700)
        if not (self.data / "PG_VERSION").exists():
            console.step(f"initialising the embedded PostgreSQL cluster in {self.data}")
            self._run(
                "initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                "-E", "UTF8", "--locale=C.UTF-8", stdout=subprocess.DEVNULL,
            )

    def _running_port(self):
        """The port of a server already running on this data folder, started by another command."""
        pidfile = self.data / "postmaster.pid"
        if not pidfile.exists():
            return None
        lines = pidfile.read_text().splitlines()
        try:
            os.kill(int(lines[0]), 0)
        except (ValueError, ProcessLookupError, IndexError):
            return None
        return int(lines[3]) if len(lines) > 3 and lines[3].isdigit() else None

    def start(self):
        self._prepare()
        self.port = self._running_port()
        if self.port:
            console.step(f"using the PostgreSQL cluster already running on 127.0.0.1:{self.port}")
            return self
        self.port = free_port()
        options = " ".join(
            [f"-p {self.port}", f"-k {self.sockets}", "-c listen_addresses=127.0.0.1"]
            + [f"-c {setting}" for setting in SETTINGS]
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-w", "-o", options, "start",
                  stdout=subprocess.DEVNULL)
        self.started_here = True
        console.step(f"PostgreSQL started on 127.0.0.1:{self.port}")
        return self

    def stop(self):
        if self.started_here:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", stdout=subprocess.DEVNULL)
            self.started_here = False
            console.step("PostgreSQL stopped")

    def environ(self):
        """libpq variables: Odoo and the PostgreSQL client tools then need no connection options."""
        return {"PGHOST": "127.0.0.1", "PGPORT": str(self.port), "PGUSER": SUPERUSER, "PGDATABASE": "postgres"}

    def psql(self, sql):
        return self._client("psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql).stdout.strip()

    def _client(self, name, *args):
        env = {**os.environ, **self.environ()}
        return subprocess.run([os.path.join(self.bindir, name), *args], env=env, check=True,
                              capture_output=True, text=True)

    def database_exists(self, name):
        return self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"

    def drop_database(self, name):
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def copy_database(self, template, name):
        self.drop_database(name)
        self.psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    def rename_database(self, source, target):
        self.psql(f'ALTER DATABASE "{source}" RENAME TO "{target}"')

    def wait_until_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(subprocess.CalledProcessError):
                self.psql("SELECT 1")
                return
            time.sleep(0.2)
        raise console.Fatal(f"PostgreSQL did not answer on port {self.port}; see {self.logfile}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
