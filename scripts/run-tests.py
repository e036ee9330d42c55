#!/usr/bin/env python3
"""Runs the package's XCTest tests in parallel workers and sums them up.

Usage: run-tests.py XCTEST_BINARY [FILTER]

The built test binary is run once per piece of work: every test of the end-to-end
modules (E2ETests, KipSandboxTests) on its own, each of the other modules (pure tests,
milliseconds each) as one piece. An end-to-end test spends most of its time waiting on
kubectl processes and on the sandbox's clock, so KIP_TEST_JOBS workers (default: one
more than the cores) run side by side. The longest pieces of the last run go first
(.build/test-times.json), so that no long test starts last.

Prints each piece as it ends (its whole output when it failed), then the failures again
and one closing line: "tests: P passed, F failed, S skipped". Exits 1 on any failure, on
a piece that ended without XCTest's summary (a crash), or when no test ran.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

END_TO_END = ("E2ETests.", "KipSandboxTests.")
TIMES = os.path.join(".build", "test-times.json")
SUMMARY = re.compile(
    r"Executed (\d+) tests?, with (?:(\d+) tests? skipped and )?(\d+) failures?"
)


def listed(binary):
    out = subprocess.run(
        [binary, "--list-tests"], capture_output=True, text=True, check=True
    ).stdout
    names = []
    for line in out.splitlines():
        line = line.strip()
        if "/" in line and "." in line.split("/")[0]:
            names.append(line)
    return names


def pieces(names):
    """End-to-end tests one by one; every other module's classes as one piece."""
    work, grouped = [], {}
    for name in names:
        if name.startswith(END_TO_END):
            work.append(name)
        else:
            module = name.split(".")[0]
            cls = name.split("/")[0]
            grouped.setdefault(module, [])
            if cls not in grouped[module]:
                grouped[module].append(cls)
    for module in sorted(grouped):
        work.append(",".join(grouped[module]))
    return work


def main():
    if len(sys.argv) < 2:
        print("usage: run-tests.py XCTEST_BINARY [FILTER]", file=sys.stderr)
        return 2
    binary = sys.argv[1]
    pattern = sys.argv[2] if len(sys.argv) > 2 else ""
    # One more worker than cores: a piece waits on the sandbox's clock part of the time.
    jobs = int(os.environ.get("KIP_TEST_JOBS") or (os.cpu_count() or 1) + 1)
    try:
        before = json.load(open(TIMES))
    except (OSError, ValueError):
        before = {}
    everything = listed(binary)
    rx = re.compile(pattern) if pattern else None
    work = pieces([n for n in everything if rx is None or rx.search(n)])
    # Longest first; what the last run did not time goes before what it timed as short.
    work.sort(key=lambda w: -before.get(w, 30.0))
    queue = list(work)
    lock = threading.Lock()
    running = {}
    results = []  # (piece, seconds, ran, skipped, failed, crashed, output)
    started = time.time()

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                piece = queue.pop(0)
            t0 = time.time()
            p = subprocess.Popen(
                [binary, piece],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            with lock:
                running[p.pid] = p
            out = p.communicate()[0].decode("utf-8", "replace")
            with lock:
                running.pop(p.pid, None)
            seconds = time.time() - t0
            totals = SUMMARY.findall(out)
            if totals:
                ran, skipped, failed = (int(x or 0) for x in totals[-1])
            else:
                ran, skipped, failed = 0, 0, 0
            crashed = p.returncode != 0 and failed == 0
            with lock:
                results.append((piece, seconds, ran, skipped, failed, crashed, out))
                if failed or crashed:
                    sys.stdout.write(out)
                    why = "CRASHED (exit %d)" % p.returncode if crashed else "FAILED"
                    print("%s %s (%.1fs)" % (why, piece, seconds))
                else:
                    label = piece
                    if "," in piece:
                        label = "%s (%d classes)" % (piece.split(".")[0], piece.count(",") + 1)
                    print("ok   %s (%d tests, %.1fs)" % (label, ran, seconds))
                sys.stdout.flush()

    def stop(signum, frame):
        with lock:
            queue.clear()
            for p in running.values():
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except OSError:
                    pass
        sys.exit(128 + signum)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.5)

    try:
        # Kept: the times of pieces that still exist (a filtered run keeps the others').
        current = set(pieces(everything)) | set(everything)
        times = {k: v for k, v in before.items() if k in current}
        times.update({r[0]: round(r[1], 1) for r in results})
        os.makedirs(os.path.dirname(TIMES), exist_ok=True)
        json.dump(times, open(TIMES, "w"), indent=1, sort_keys=True)
    except OSError:
        pass
    ran = sum(r[2] for r in results)
    skipped = sum(r[3] for r in results)
    failed = sum(r[4] for r in results)
    bad = [r for r in results if r[4] or r[5]]
    if bad:
        print("\nfailed:")
        for r in bad:
            print("  " + r[0] + (" (crashed)" if r[5] else ""))
    print(
        "tests: %d passed, %d failed, %d skipped (%d workers, %.0fs)"
        % (ran - failed - skipped, failed + sum(1 for r in bad if r[5]), skipped, jobs, time.time() - started)
    )
    if bad or ran == 0:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
