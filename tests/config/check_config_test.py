"""softwire-check-config end to end: exit status, output, and no key material.

usage: check_config_test.py CHECK_TOOL EXAMPLE_CONF BROKEN_CONF
"""
import subprocess
import sys


def run(tool, path):
    return subprocess.run([tool, "-c", path], capture_output=True, text=True, check=False)


def main():
    tool, example, broken = sys.argv[1:4]
    failures = []

    ok = run(tool, example)
    if ok.returncode != 0:
        failures.append(f"example: exit {ok.returncode}, stderr {ok.stderr!r}")
    expected = f"{example}: OK (2 ports, 6 SAs, 3 sessions)\n"
    if ok.stdout != expected:
        failures.append(f"example: stdout {ok.stdout!r}, expected {expected!r}")

    bad = run(tool, broken)
    if bad.returncode != 1:
        failures.append(f"broken: exit {bad.returncode}, expected 1")
    expected = (f"{broken}:17: sas.[0].key: must be 20 bytes for aes128gcm16 "
                "(16-byte AES key + 4-byte salt), got 19 bytes\n")
    if bad.stderr != expected:
        failures.append(f"broken: stderr {bad.stderr!r}, expected {expected!r}")
    if bad.stdout:
        failures.append(f"broken: unexpected stdout {bad.stdout!r}")
    if "5e1ec7" in bad.stdout + bad.stderr:
        failures.append("broken: key material in the output")

    usage = subprocess.run([tool], capture_output=True, text=True, check=False)
    if usage.returncode != 2 or "usage:" not in usage.stderr:
        failures.append(f"no arguments: exit {usage.returncode}, stderr {usage.stderr!r}")

    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
