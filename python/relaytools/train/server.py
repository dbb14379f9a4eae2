"""llama-cpp-python's OpenAI-compatible server as a child process: started, waited for, stopped.

    with LlamaServer(python, model) as url: ...   # url = http://127.0.0.1:<port>/v1
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from types import TracebackType


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerError(Exception):
    """The server would not start: the message carries the end of its log."""


class LlamaServer:
    def __init__(self, python: str, model: Path, log: Path, threads: int = 1, context: int = 2048,
                 start_timeout_s: float = 300.0) -> None:
        if not model.is_file():
            raise ServerError(f"teacher model {model} does not exist")
        self.python, self.model, self.log = python, model, log
        self.threads, self.context, self.start_timeout_s = threads, context, start_timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def __enter__(self) -> str:
        port = free_port()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [self.python, "-m", "llama_cpp.server", "--model", str(self.model), "--host", "127.0.0.1",
                 "--port", str(port), "--n_threads", str(self.threads), "--n_threads_batch", str(self.threads),
                 "--n_ctx", str(self.context), "--model_alias", "teacher"],
                stdout=out, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"the teacher server exited with {self.process.returncode}: {self._tail()}")
            try:
                with urllib.request.urlopen(self.url + "/models", timeout=2):
                    return self.url
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise ServerError(f"the teacher server did not answer within {self.start_timeout_s:.0f} s: {self._tail()}")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def _tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-1500:]
        except OSError:
            return "(no log)"
