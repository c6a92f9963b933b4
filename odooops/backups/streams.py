"""Readable streams a store consumes: a child process' stdout, a tar written on the fly,
and a counter for progress. Each one reports its producer's failure *at the end of
the stream*, so the store sees an error before it completes the object."""
from __future__ import annotations

import os
import subprocess
import tarfile
import threading
import time
from datetime import datetime
from pathlib import Path

MiB = 1024 * 1024


class ProcessOutput:
    """The stdout of ``proc``. At EOF the exit status decides: a failure raises
    ``on_failure(returncode, stderr)`` instead of ending the stream."""

    def __init__(self, proc: subprocess.Popen, stderr_file, on_failure):
        self.proc, self.stderr_file, self.on_failure = proc, stderr_file, on_failure

    def read(self, size: int = -1) -> bytes:
        data = self.proc.stdout.read(size)
        if not data:
            returncode = self.proc.wait()
            if returncode != 0:
                self.stderr_file.seek(0)
                raise self.on_failure(returncode, self.stderr_file.read().decode(errors="replace"))
        return data

    def stop(self) -> None:
        """End the process if it still runs (the consumer gave up), and reap it."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


class TarOutput:
    """A tar (streaming mode ``w|``) of ``directory``'s content, written by a thread
    into a pipe; read it as a stream. ``files`` counts the regular files archived."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.files = 0
        self.error: BaseException | None = None
        read_fd, write_fd = os.pipe()
        self.reader = os.fdopen(read_fd, "rb")
        self.thread = threading.Thread(target=self._write, args=(os.fdopen(write_fd, "wb"),), daemon=True,
                                       name="odooops-filestore-tar")
        self.thread.start()

    def _write(self, pipe) -> None:
        try:
            with pipe, tarfile.open(fileobj=pipe, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                if self.directory.is_dir():
                    self._add_tree(tar)
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, raised there
            self.error = exc

    def _add_tree(self, tar: tarfile.TarFile) -> None:
        for folder, dirs, files in os.walk(self.directory):
            dirs.sort()
            relative = Path(folder).relative_to(self.directory)
            for name in [*dirs, *sorted(files)]:
                path = Path(folder) / name
                try:
                    tar.add(path, arcname=(relative / name).as_posix(), recursive=False)
                except FileNotFoundError:
                    continue        # Odoo removed an attachment meanwhile: the dump (taken before) never needs it
                if name in files and not path.is_symlink():
                    self.files += 1

    def read(self, size: int = -1) -> bytes:
        data = self.reader.read(size)
        if not data:
            self.thread.join()
            if self.error is not None:
                raise self.error
        return data

    def stop(self) -> None:
        """Close the pipe (a writer still running gets a broken pipe and ends), then wait for it."""
        self.reader.close()
        self.thread.join(timeout=60)


class Progress:
    """Calls ``callback(bytes_done, bytes_expected)`` at most every MiB or 0.5 s, and at the end.
    ``bytes_expected`` is an estimate: when ``bytes_done`` passes it, it grows to 5 % above,
    so that done equals expected only at the end (``finish``)."""

    def __init__(self, callback, expected: int):
        self.callback, self.expected, self.done = callback, max(int(expected), 0), 0
        self._last_bytes, self._last_time = 0, 0.0

    def add(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if self.callback and (self.done - self._last_bytes >= MiB or now - self._last_time >= 0.5):
            self._report(now)

    def finish(self) -> None:
        self.expected = self.done
        if self.callback:
            self._report(time.monotonic())

    def _report(self, now: float) -> None:
        self._last_bytes, self._last_time = self.done, now
        if self.done > self.expected:
            self.expected = self.done + self.done // 20 + 1
        self.callback(self.done, self.expected)


class Counted:
    """A stream that reports what passes through it to a ``Progress``."""

    def __init__(self, stream, progress: Progress):
        self.stream, self.progress = stream, progress

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.progress.add(len(data))
        return data


def pump(source, proc: subprocess.Popen, progress: Progress | None = None, chunk: int = MiB) -> None:
    """Write everything ``source.read()`` returns into ``proc``'s stdin, then close it,
    counting into ``progress``. A consumer that stops reading early (a broken pipe) ends
    the pumping: its exit status and stderr say why, so the caller reads those."""
    try:
        while data := source.read(chunk):
            proc.stdin.write(data)
            if progress is not None:
                progress.add(len(data))
    except BrokenPipeError:
        pass
    finally:
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass


class Throttle:
    """Passes ``callback(step, bytes_done, bytes_total)`` on at most once every ``seconds``
    per step, and always a step's end (done >= total): a job writes its progress about
    once a second whatever the stream's speed."""

    def __init__(self, callback, seconds: float = 1.0, clock=time.monotonic):
        self.callback, self.seconds, self.clock = callback, seconds, clock
        self._last: dict[str, float] = {}

    def __call__(self, step: str, done: int, total: int) -> None:
        now = self.clock()
        last = self._last.get(step)
        if last is None or now - last >= self.seconds or done >= total:
            self._last[step] = now
            self.callback(step, done, total)

    def step(self, name: str):
        """The ``progress(done, total)`` callback of one step."""
        return lambda done, total: self(name, done, total)


def progress_entry(previous: dict | None, step: str, done: int, total: int, now: datetime) -> dict:
    """What a job records of a streaming step: bytes done and expected, since when, and the
    seconds left at the rate so far (None until there is a rate)."""
    started = (previous or {}).get("started_at") if (previous or {}).get("step") == step else None
    started = started or now.isoformat()
    elapsed = (now - datetime.fromisoformat(started)).total_seconds()
    total = max(int(total), int(done))
    eta = round((total - done) * elapsed / done, 1) if done > 0 and elapsed > 0 else None
    return {"step": step, "bytes_done": int(done), "bytes_total": total, "started_at": started,
            "updated_at": now.isoformat(), "eta_seconds": 0.0 if done >= total else eta}
