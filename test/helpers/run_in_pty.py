"""Run a command under a real pseudo-terminal (python3's pty module), as a person at a terminal would.

Argument: one JSON object {"argv": [...], "env": {...}, "steps": [{"when": REGEX, "send": TEXT}],
"timeout": SECONDS}. Each step waits until the terminal output so far (ANSI escapes removed) matches
`when`, then types `send` (for example "\\u0003", Ctrl-C, which the terminal turns into SIGINT for
the command's process group). Prints one JSON object: {"status": exit code or null, "signal": the
signal number that killed it or null, "output": everything the terminal showed, "timedOut": bool}.
"""
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]")


def main() -> None:
    cfg = json.loads(sys.argv[1])
    pid, fd = pty.fork()
    if pid == 0:
        # The child: its stdin/stdout/stderr are the terminal; give it a size, as a terminal has.
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        os.execvpe(cfg["argv"][0], cfg["argv"], cfg["env"])
    steps = list(cfg.get("steps", []))
    deadline = time.monotonic() + float(cfg.get("timeout", 60))
    raw = b""
    status = None
    timed_out = False
    while True:
        if time.monotonic() > deadline:
            timed_out = True
            os.kill(pid, signal.SIGKILL)
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            if not chunk:
                _, status = os.waitpid(pid, 0)
                break
            raw += chunk
            text = ANSI.sub("", raw.decode("utf-8", "replace"))
            while steps and re.search(steps[0]["when"], text):
                os.write(fd, steps.pop(0)["send"].encode())
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            # Whatever is still buffered in the terminal.
            while select.select([fd], [], [], 0.2)[0]:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                raw += chunk
            break
    out = {
        "status": os.WEXITSTATUS(status) if status is not None and os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if status is not None and os.WIFSIGNALED(status) else None,
        "output": raw.decode("utf-8", "replace"),
        "timedOut": timed_out,
        "stepsLeft": [s["when"] for s in steps],
    }
    sys.stdout.write(json.dumps(out))


main()
