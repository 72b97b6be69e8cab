#!/usr/bin/python3
"""The systemd service: tools/systemd/ringgate.service passes `systemd-analyze verify`
(with its paths pointed at this build), its TimeoutStopSec stays above the default
config's drain, the default config parses, and the binary speaks the notify protocol:
READY=1 once it serves (with a STATUS), STOPPING=1 when SIGTERM starts the drain.

Usage: systemd_test.py RINGGATE_BINARY
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

BINARY = os.path.abspath(sys.argv[1])
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
UNIT = os.path.join(ROOT, "tools", "systemd", "ringgate.service")
CONFIG = os.path.join(ROOT, "tools", "systemd", "ringgate.toml")


def main():
    work = tempfile.mkdtemp(prefix="ringgate-systemd-")
    try:
        unit = open(UNIT).read()
        stop = int(re.search(r"^TimeoutStopSec=(\d+)", unit, re.M).group(1))
        drain = float(re.search(r"^drain-timeout = ([\d.]+)", open(CONFIG).read(), re.M).group(1))
        assert stop >= drain + 5, (stop, drain)
        assert re.search(r"^Type=notify$", unit, re.M) and "LimitNOFILE=" in unit
        local = unit.replace("/usr/local/bin/ringgate", BINARY).replace(
            "/etc/ringgate/ringgate.toml", os.path.abspath(CONFIG))
        path = os.path.join(work, "ringgate.service")
        with open(path, "w") as f:
            f.write(local)
        analyze = shutil.which("systemd-analyze")
        assert analyze, "systemd-analyze is missing (Debian's systemd package)"
        verify = subprocess.run([analyze, "verify", path], capture_output=True, text=True,
                                timeout=60)
        findings = [l for l in verify.stderr.splitlines() if "ringgate.service" in l]
        assert verify.returncode == 0 and not findings, (verify.returncode, verify.stderr)

        printed = subprocess.run([BINARY, "--config", CONFIG, "--print-config"],
                                 capture_output=True, text=True, timeout=10)
        assert printed.returncode == 0 and 'bind="0.0.0.0"' in printed.stdout, printed.stderr

        notify_path = os.path.join(work, "notify")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(notify_path)
        listener.settimeout(15)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        proc = subprocess.Popen(
            [BINARY, "--bind", "127.0.0.1", "--tcp-port", "0", "--udp-port", "0", "--ws-port",
             "0", "--admin-port", "0", "--shards", "2", "--drain-timeout", "0"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline()
            assert line.startswith("ringgate listening"), line
            ready = listener.recv(4096).decode()
            assert ready.startswith("READY=1\n") and "STATUS=serving: listening tcp=" in ready, ready
            proc.send_signal(signal.SIGTERM)
            stopping = listener.recv(4096).decode()
            assert stopping.startswith("STOPPING=1"), stopping
            assert proc.wait(15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
        print("ok: unit verified, config parses, READY=1 and STOPPING=1 sent")
    finally:
        shutil.rmtree(work, True)


if __name__ == "__main__":
    main()
