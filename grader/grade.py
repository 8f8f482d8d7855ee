#!/usr/bin/env python3
"""grade.py - boot the grader VM, run the stage tests, score them, write the reports.

The host side of the grader. It starts QEMU with the VM's console going to a log file and
the VM's second serial port (the results channel, grader/vm/runner) on QEMU's stdout, reads
result lines as they come, prints a live line per test, and scores with grader/rubric.

A watchdog guards every boot: if no line comes for longer than a test may take (the stage's
timeout plus a margin), the VM is taken to be hung; if QEMU ends without the runner's "done",
it crashed (a kernel panic reboots, and -no-reboot turns that into QEMU exiting). Either way
the test that was running is failed with the reason and the VM is booted again at the next
test, so one bad test never costs the rest of the grade.

A stage's tests run in --jobs shards side by side in the VM (the runner says which test each
shard has under way). If the VM dies while more than one test was under way, nobody is blamed
yet: the stage is run again one test at a time, which finds the test that did it.

A stage marked hosts=2 in the rubric (8: macvlan) runs on two VMs: host A as above, and host B
booted beside it, which serves A's requests (grader/vm/peer) over a control link. The two are
joined by a LAN and that link, QEMU datagram sockets in a temporary directory of this machine:
no frame leaves it. B shares A's boot and watchdog: it is stopped with A, and if it hangs, A's
requests to it time out, which fails the test that made them.

Reports, in --out: results.json (Gradescope's format), junit.xml, results.tap, console-N.log
(and console-N-b.log, host B's).

What the results channel guarantees: nothing a submission prints (on stdout, stderr, the
console, or bats' fd 3, which the stage tests close for minidock) can pass for a result, and
each test reports once. Beyond that, a submission written to attack the grader (it runs as root
in the VM) meets the defences grader/vm/runner lists: the channel's token (sent here after the
runner's hello; a line without it is dropped and flagged), a runner out of the tests' sight,
result lines on bats' pipe checked against the order the tests were dealt (a second result fails
a test; a killed bats voids its results), and the grading files' checksums before each stage.
What it can still do is said there too. Each thing it tried and the grader saw is flagged
in results.json (extra_data.forged, and a line of its output): a flag for a human to read the
code, as the similarity flags of make grade-class are.
"""

import argparse
import json
import os
import re
import secrets
import select
import signal
import shutil
import subprocess
import sys
import tempfile
import time
import xml.sax.saxutils as sax

HERE = os.path.dirname(os.path.abspath(__file__))
BOOT_TIMEOUT = 90      # seconds from QEMU's start to the runner's "hello", under TCG
WATCHDOG_MARGIN = 30   # seconds beyond a test's own limit before the VM counts as hung
KVM_PROBE_TIMEOUT = 5  # a working KVM boots to the probe's answer in about one second
JOBS = 2               # shards per stage in the VM, and its CPUs: on 2 cores under TCG, 3 were slower
                       # (a whole grade of solutions: 122 s with 2, 137 s with 3; 2026-11-29)
MAX_OUTPUT = 16000     # characters of a failed test's output kept in the reports: its start
                       # and its end (a diff's first lines say what changed)


# --- the rubric -------------------------------------------------------------------------------

class Test:
    def __init__(self, stage, points, name, index, hidden=False):
        self.stage, self.points, self.name, self.index = stage, points, name, index
        self.hidden = hidden   # an instructor's hidden test (HIDDEN=DIR): a rubric line "NNh"
        self.status = None     # "passed" | "failed" once known
        self.seconds = 0.0
        self.reason = ""       # why it failed: bats' diagnostics or the grader's own words

    @property
    def score(self):
        return self.points if self.status == "passed" else 0


def load_rubric(path, hidden=None):
    """Return ({stage: (timeout, title, hosts)}, [Test...]) from the rubric file.

    A stage line is `stage NN TIMEOUT [hosts=2] TITLE`: hosts=2 for a stage graded on two VMs.
    A test line is `NN POINTS NAME`, or `NNh POINTS NAME` for an instructor's hidden test. With
    hidden (a folder: HIDDEN=DIR), the test lines of hidden/rubric join their stages, after the
    stage's own tests, marked hidden."""
    stages, tests = {}, []

    def read(file, hidden_file):
        with open(file) as f:
            for n, raw in enumerate(f, 1):
                line = raw.strip()
                if not line or line.startswith("#"):
                    continue
                words = line.split()
                stage = words[0][:-1] if words[0].endswith("h") else words[0]
                if words[0] == "stage" and len(words) >= 4 and not hidden_file:
                    hosts = 2 if words[3] == "hosts=2" else 1
                    stages[words[1]] = (int(words[2]), " ".join(words[3 + (hosts == 2):]), hosts)
                elif len(words) >= 3 and stage in stages and words[1].isdigit():
                    name = line.split(None, 2)[2]
                    if any(t.stage == stage and t.name == name for t in tests):
                        sys.exit(f"grade: {file}:{n}: a second test named {name!r} in stage {stage}")
                    tests.append(Test(stage, int(words[1]), name, 0, hidden_file or words[0] != stage))
                else:
                    sys.exit(f"grade: {file}:{n}: not a rubric line: {line}")

    read(path, False)
    if hidden:
        read(os.path.join(hidden, "rubric"), True)
    # Each stage's own tests first, then its hidden ones; numbered in that order (the runner
    # deals them out in the same order from the rubric it is given, see --print-rubric).
    tests.sort(key=lambda t: (list(stages).index(t.stage), t.hidden))
    for s in stages:
        for i, t in enumerate((t for t in tests if t.stage == s), 1):
            t.index = i
    return stages, tests


def print_rubric(stages, tests):
    """The rubric as load_rubric read it, hidden tests merged (the VM's copy: grader/hidden.sh)."""
    for s, (timeout, title, hosts) in stages.items():
        print(f"stage {s} {timeout} {'hosts=2 ' if hosts == 2 else ''}{title}")
        for t in tests:
            if t.stage == s:
                print(f"{t.stage}{'h' if t.hidden else ''} {t.points} {t.name}")


# --- QEMU -------------------------------------------------------------------------------------

KERNEL_ARGS = ("console=ttyS0 panic=-1 quiet mitigations=off lsm= ima_appraise=off audit=0 "
               "tsc=reliable no_timer_check nowatchdog 8250.nr_uarts=2 cryptomgr.notests")


def qemu_command(kernel, initramfs, accel, append, console, results, cpus=2, extra=()):
    cmd = ["qemu-system-x86_64", "-M", "pc", "-m", "1024", "-smp", str(cpus), "-nodefaults",
           "-no-reboot", "-display", "none", "-kernel", kernel, "-initrd", initramfs,
           "-append", f"{KERNEL_ARGS} {append}", "-serial", console, "-serial", results, *extra]
    if accel == "kvm":
        cmd += ["-accel", "kvm", "-cpu", "host"]
    else:
        cmd += ["-accel", "tcg"]
    return cmd


def probe_kvm(kernel, initramfs):
    """True if a KVM guest boots here. Some machines have /dev/kvm but hang a KVM guest."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    cmd = qemu_command(kernel, initramfs, "kvm", "minidock.mode=probe", "null", "stdio")
    try:
        out = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=KVM_PROBE_TIMEOUT).stdout
    except subprocess.TimeoutExpired:
        return False
    return b"probe ok" in out


def choose_accel(kernel, initramfs, wanted):
    if wanted in ("kvm", "tcg"):
        return wanted
    return "kvm" if probe_kvm(kernel, initramfs) else "tcg"


def two_host_cards(sockets, host):
    """QEMU's options for host ("a" or "b") of a pair: the control link and the LAN.

    Each card is joined to the other host's by a datagram socket (a file in sockets): frames
    go from one QEMU to the other on this machine and nowhere else. init tells the cards apart
    by their MAC addresses."""
    me, peer = ("a", "b") if host == "a" else ("b", "a")
    n = 1 if host == "a" else 2
    args = []
    for net, mac in (("ctl", f"52:54:00:00:00:0{n}"), ("lan", f"52:54:00:00:01:0{n}")):
        args += ["-netdev", f"dgram,id={net},local.type=unix,local.path={sockets}/{me}-{net},"
                            f"remote.type=unix,remote.path={sockets}/{peer}-{net}",
                 "-device", f"virtio-net-pci,netdev={net},mac={mac}"]
    return args


class HostB:
    """The second VM of a two-host stage: it serves host A's requests (grader/vm/peer).

    It boots beside A and is stopped with A's boot; nothing of it is read but its console log.
    If it hangs or dies, A's requests to it time out, which fails the test that made them."""

    def __init__(self, kernel, initramfs, accel, stages, sockets, console, qemu_log, mode="peer"):
        cmd = qemu_command(kernel, initramfs, accel,
                           f"minidock.mode={mode} minidock.host=b minidock.stages={','.join(stages)}",
                           console, "null", 2, two_host_cards(sockets, "b"))
        with open(qemu_log, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=log)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


# --- one boot ------------------------------------------------------------------------------------

class Boot:
    """One run of the VM: yields the runner's lines, or raises Hung / Crashed."""

    class Hung(Exception):
        pass

    class Crashed(Exception):
        pass

    def __init__(self, cmd, qemu_log):
        # QEMU's own messages go to a file: a pipe nobody reads could fill and stall QEMU.
        self.log = qemu_log
        with open(qemu_log, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=log)
        self.buf = b""

    def send(self, text):
        """Write to the results channel, into the VM (the runner reads its token there)."""
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except OSError:
            pass

    def lines(self, timeout_for):
        """Yield lines; timeout_for() gives the seconds allowed before the next one."""
        fd = self.proc.stdout.fileno()
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                yield line.decode("utf-8", "replace").rstrip("\r")
            limit = timeout_for()
            ready, _, _ = select.select([fd], [], [], limit)
            if not ready:
                raise Boot.Hung(f"no word from the VM for {limit:.0f} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                self.proc.wait()
                with open(self.log, errors="replace") as log:
                    err = log.read().strip()
                raise Boot.Crashed(err.splitlines()[-1] if err else
                                   "the VM stopped (kernel panic or power-off)")
            self.buf += chunk

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


# --- grading -------------------------------------------------------------------------------------

def brief(reason, n):
    """The first n telling lines of a failure: without bats' "(in test file ...)" lines."""
    lines = [l for l in reason.splitlines()
             if l.strip() and not re.match(r"^\s*\(?(in|from) (test file|function)", l)]
    return lines if n is None else lines[:n]


TAP_RESULT = re.compile(r"^(ok|not ok) \d+ (.*?)(?: # (.*?))?(?: in (\d+)ms)?$")


class Grader:
    def __init__(self, args):
        self.args = args
        self.stages, all_tests = load_rubric(args.rubric, args.hidden)
        wanted = args.stages.split(",") if args.stages else list(self.stages)
        for s in wanted:
            if s not in self.stages:
                sys.exit(f"grade: no stage {s} in {args.rubric}")
        self.tests = [t for t in all_tests if t.stage in wanted]
        self.wanted = wanted
        self.by_name = {(t.stage, t.name): t for t in self.tests}
        self.boots = 0
        self.serial_stage = None  # a stage to run again one test at a time (see boot())
        self.stage_seconds = {}   # stage: wall-clock seconds in the VM, from its start to its end
        self.boot_error = ""
        self.forged = {}          # what a submission did to reach the results: {what: how many times}
        self.started = time.monotonic()
        self.tty = sys.stdout.isatty()

    def pending(self):
        return [t for t in self.tests if t.status is None]

    def record(self, test, passed, seconds, reason="", quiet=False):
        if test.status is not None:
            return  # a test reports once; a second report (forged or not) changes nothing
        test.status = "passed" if passed else "failed"
        test.seconds = seconds
        if len(reason) > MAX_OUTPUT:
            half = MAX_OUTPUT // 2
            reason = f"{reason[:half]}\n[... {len(reason) - MAX_OUTPUT} characters cut ...]\n{reason[-half:]}"
        test.reason = reason
        if quiet:
            return
        mark = "ok  " if passed else "FAIL"
        if self.tty:
            mark = "\033[32mok  \033[0m" if passed else "\033[31mFAIL\033[0m"
        print(f"  {test.stage}  {mark}  {seconds:6.1f}s  {test.name}", flush=True)
        if not passed and reason:
            for line in brief(reason, None if self.args.verbose else 3):
                print(f"                     {line}")
        self.write_reports()

    def run(self):
        accel = choose_accel(self.args.kernel, self.args.initramfs, self.args.accel)
        # Reports exist from the start: if the grader itself dies, the platform still gets a
        # results.json (with every test not yet run failed, saying so) rather than nothing.
        for stage, reason in self.args.not_run:
            for t in self.tests:
                if t.stage == stage:
                    self.record(t, False, 0, reason, quiet=True)
        self.write_reports()
        print(f"grade: {len(self.tests)} tests in stage(s) {', '.join(self.wanted)}; "
              f"VM on {'KVM' if accel == 'kvm' else 'TCG (no KVM: slower)'}", flush=True)
        failed_boots = 0
        while self.pending():
            first = self.pending()[0]
            ok = self.boot(accel, first)
            if ok:
                failed_boots = 0
            else:
                failed_boots += 1
                if failed_boots >= 2:
                    for t in self.pending():
                        self.record(t, False, 0, f"the grader VM did not boot twice in a row; {self.boot_error}")
        self.write_reports()
        self.print_table()

    def boot(self, accel, first):
        """Boot once, starting at test `first`. False if the VM never said hello.

        Normally the boot runs every stage from `first` on, in --jobs shards. After a VM died
        with several tests under way, the boot runs only that stage, one test at a time."""
        self.boots += 1
        os.makedirs(self.args.out, exist_ok=True)
        console = os.path.join(self.args.out, f"console-{self.boots}.log")
        serial = self.serial_stage == first.stage
        self.serial_stage = None
        # One boot runs stages of one kind: on one VM, or on two (A here, B beside it).
        hosts = self.stages[first.stage][2]
        rest = [s for s in self.wanted[self.wanted.index(first.stage):]
                if any(t.stage == s and t.status is None for t in self.tests)]
        kind = next((i for i, s in enumerate(rest) if self.stages[s][2] != hosts), len(rest))
        stages = [first.stage] if serial else rest[:kind]
        jobs = 1 if serial else self.args.jobs
        append = f"minidock.mode=grade minidock.stages={','.join(stages)} " \
                 f"minidock.resume={first.stage}:{first.index} minidock.jobs={jobs}"
        extra, host_b, sockets = (), None, None
        if hosts == 2:
            sockets = tempfile.mkdtemp(prefix="minidock-lan-")
            append += " minidock.host=a"
            extra = two_host_cards(sockets, "a")
            host_b = HostB(self.args.kernel, self.args.initramfs, accel, stages, sockets,
                           f"file:{console[:-4]}-b.log",
                           os.path.join(self.args.out, f"qemu-{self.boots}-b.log"))
        boot = Boot(qemu_command(self.args.kernel, self.args.initramfs, accel, append,
                                 f"file:{console}", "stdio", max(2, self.args.jobs), extra),
                    os.path.join(self.args.out, f"qemu-{self.boots}.log"))
        state = {"hello": False, "stage": first.stage, "stage_began": None}
        # The results channel's password for this boot: sent to the runner once it says hello,
        # before any test runs; every line after must begin with it. A process in the VM that
        # reaches the serial port some other way (a device node of its own) cannot know it.
        token = secrets.token_hex(16)
        under_way = set()  # the tests the shards have started and not yet reported
        results = {}       # shard: its last result, still taking the comment lines that follow

        def flush_all():
            for result in results.values():
                self.flush(result)
            results.clear()

        def timeout_for():
            if not state["hello"]:
                return BOOT_TIMEOUT
            return self.stages[state["stage"]][0] + self.args.margin

        try:
            for line in boot.lines(timeout_for):
                if not state["hello"]:
                    if line == "hello":
                        state["hello"] = True
                        boot.send(token + "\n")
                    continue
                if not line.startswith(token + " "):
                    self.flag(f"a line on the results channel without the runner's token: {line[:200]}")
                    continue
                line = line[len(token) + 1:]
                if line.startswith("tamper "):
                    # The runner found the VM's grading files changed before a stage: a test
                    # before it wrote to them. Nothing after can be trusted.
                    flush_all()
                    self.flag(f"the grading files in the VM were changed before stage "
                              f"{line.split()[1]}: {' '.join(line.split()[2:])[:300]}")
                    for t in self.pending():
                        self.record(t, False, 0, "not run: the grader's files in the VM were changed by "
                                    "an earlier test (see the report's integrity flag)")
                    return True
                if line.startswith("twice "):
                    # Two results for one test: one was not bats'. The test fails, whatever it said.
                    parts = line.split(" ", 3)
                    test = self.by_name.get((parts[1], parts[3])) if len(parts) == 4 else None
                    if test is not None:
                        flush_all()
                        test.status, test.reason = "failed", "two results came for this test: one was forged"
                        self.flag(f"stage {parts[1]}: two results for the test: {parts[3][:200]}")
                        self.write_reports()
                    continue
                if line.startswith("void "):
                    # A result of a bats run that did not end by itself: not to be trusted.
                    parts = line.split(" ", 3)
                    test = self.by_name.get((parts[1], parts[3])) if len(parts) == 4 else None
                    if test is not None:
                        flush_all()
                        test.status, test.reason = "failed", "void: the test runner (bats) was killed " \
                            "before it ended, so the results it gave cannot be trusted"
                        self.flag(f"stage {parts[1]}: bats was killed; its results are void")
                        self.write_reports()
                    continue
                if line.startswith("forged "):
                    # A TAP line the runner did not expect (a test's name out of order, or twice).
                    self.flag(f"stage {line.split()[1]}: a result for a test not under way: {line.split(' ', 3)[-1][:300]}")
                    continue
                if line.startswith("stage "):
                    flush_all()
                    self.clock_stage(state)
                    state["stage"] = line.split()[1]
                    state["stage_began"] = time.monotonic()
                elif line == "done":
                    self.clock_stage(state)
                    flush_all()
                    for t in self.pending():
                        if t.stage in stages:
                            self.record(t, False, 0, "no result: the test did not run (see the console log)")
                    return True
                elif line.startswith("start "):
                    parts = line.split(" ", 3)
                    if len(parts) == 4 and (parts[1], parts[3]) in self.by_name:
                        under_way.add(self.by_name[(parts[1], parts[3])])
                elif line.startswith("tap "):
                    parts = line.split(" ", 3)
                    if len(parts) < 4:
                        continue
                    _, stage, shard, tap = parts
                    m = TAP_RESULT.match(tap)
                    if m:
                        self.flush(results.pop(shard, None))
                        verdict, name, directive, ms = m.groups()
                        test = self.by_name.get((stage, name))
                        under_way.discard(test)
                        if test is None:
                            continue
                        timed_out = directive is not None and directive.startswith("timeout")
                        # The runner times each test; one that ran out of time took its limit.
                        seconds = int(ms) / 1000 if ms else self.stages[stage][0] if timed_out else 0
                        reason = f"timed out after {directive.split()[-1]}" if timed_out else ""
                        results[shard] = [test, verdict == "ok", seconds, [reason] if reason else []]
                        if verdict != "ok" and self.args.first_failure:
                            # Enough to know that the tree loses points (tests/mutants/run).
                            flush_all()
                            for t in self.pending():
                                self.record(t, False, 0, "not run: --first-failure stopped at a failed test", quiet=True)
                            return True
                    elif tap.startswith("#") and shard in results:
                        results[shard][3].append(tap[2:] if tap.startswith("# ") else tap[1:])
        except (Boot.Hung, Boot.Crashed) as e:
            self.clock_stage(state)
            flush_all()
            what = "hung" if isinstance(e, Boot.Hung) else "crashed"
            under_way = {t for t in under_way if t.status is None}
            if state["hello"] and len(under_way) > 1:
                # Whose doing? Run the stage again one test at a time to find out.
                self.serial_stage = min(under_way, key=lambda t: t.index).stage
                print(f"  the VM {what} with {len(under_way)} tests under way: "
                      f"stage {self.serial_stage} runs again one test at a time", flush=True)
            elif state["hello"]:
                self.lose_test(f"the VM {what}: {e}; the VM was restarted", console, under_way)
            else:
                # Not a test's doing: the VM never came up. Tried again by run().
                self.boot_error = f"the VM {what} before the tests began: {e} (console: {console})"
        finally:
            flush_all()
            boot.stop()
            if host_b:
                host_b.stop()
                shutil.rmtree(sockets, ignore_errors=True)
        return state["hello"]

    def flag(self, what):
        """Note a sign that the submission reached for the results (the report flags it)."""
        self.forged[what] = self.forged.get(what, 0) + 1

    def flush(self, result):
        """Record a test once its diagnostics (the TAP lines after it) are all in."""
        if result is not None and result[0].status is None:
            test, passed, seconds, diag = result
            self.record(test, passed, seconds, "\n".join(diag))

    def clock_stage(self, state):
        """Add the time since the current stage began to its total (boots add up)."""
        if state["stage_began"] is not None:
            self.stage_seconds[state["stage"]] = self.stage_seconds.get(state["stage"], 0) + \
                time.monotonic() - state["stage_began"]
            state["stage_began"] = None

    def lose_test(self, reason, console, under_way):
        """Fail the test the VM died under: the one under way, or else the next to run."""
        pending = sorted(under_way, key=lambda t: (t.stage, t.index)) or self.pending()
        if pending:
            self.record(pending[0], False, 0, f"{reason} (console: {console})")

    # --- reports ---------------------------------------------------------------------------------

    def totals(self):
        rows = []
        for s in self.wanted:
            ts = [t for t in self.tests if t.stage == s]
            rows.append((s, self.stages[s][1], sum(t.score for t in ts), sum(t.points for t in ts),
                         sum(1 for t in ts if t.status == "passed"), len(ts)))
        return rows

    def print_table(self):
        rows = self.totals()
        print()
        print(f"  {'stage':<44} {'tests':>7} {'points':>9} {'time':>7}")
        for s, title, got, out_of, passed, n in rows:
            print(f"  {s + ' ' + title:<44} {passed:>3}/{n:<3} {got:>4}/{out_of:<4} "
                  f"{self.stage_seconds.get(s, 0):>6.0f}s")
        got = sum(r[2] for r in rows)
        out_of = sum(r[3] for r in rows)
        print(f"  {'total':<44} {'':>7} {got:>4}/{out_of:<4} {sum(self.stage_seconds.values()):>6.0f}s")
        print(f"\nreports: {self.args.out}/results.json, junit.xml, results.tap "
              f"({time.monotonic() - self.started:.0f} s, {self.boots} boot(s))")

    def write_reports(self):
        os.makedirs(self.args.out, exist_ok=True)
        rows = self.totals()
        got = sum(r[2] for r in rows)
        tests, hidden = [], {}
        for n, t in enumerate(self.tests, 1):
            why = "" if t.status == "passed" else t.reason if t.status else \
                "not run: grading stopped before this test"
            if t.hidden:
                # A hidden test shows its name and pass/fail only, and only with --show-hidden
                # (Gradescope: once the grades are published); its reason is the instructor's.
                hidden[f"stage {t.stage}: {t.name}"] = why
            tests.append({
                "name": f"stage {t.stage}: {t.name}",
                "number": f"{int(t.stage)}.{t.index}",
                "score": t.score,
                "max_score": t.points,
                "status": "passed" if t.status == "passed" else "failed",
                "output": "" if t.hidden else why,
                "tags": [f"stage-{t.stage}"] + (["hidden"] if t.hidden else []),
                "visibility": ("after_published" if self.args.show_hidden else "hidden") if t.hidden else "visible",
            })
        summary = "\n".join(f"stage {s} {title}: {g}/{o} points ({p}/{n} tests)"
                            for s, title, g, o, p, n in rows)
        if self.forged:
            summary += ("\n\nINTEGRITY: this submission reached for the grader's results "
                        f"({len(self.forged)} sign(s)); an instructor will read its code.")
        results = {"score": got, "execution_time": round(time.monotonic() - self.started),
                   "output": summary, "tests": tests,
                   "extra_data": {"forged": "\n".join(f"{what}{f' ({n} times)' if n > 1 else ''}"
                                                      for what, n in list(self.forged.items())[:20])}}
        self.write_atomic("results.json", json.dumps(results, indent=2) + "\n")
        if hidden:
            self.write_atomic("hidden-reasons.json", json.dumps(hidden, indent=2) + "\n")

        tap = [f"1..{len(self.tests)}"]
        for n, t in enumerate(self.tests, 1):
            tap.append(f"{'ok' if t.status == 'passed' else 'not ok'} {n} stage {t.stage}: {t.name}")
            if t.status != "passed" and t.reason and not t.hidden:
                tap += [f"# {line}" for line in t.reason.splitlines()]
        self.write_atomic("results.tap", "\n".join(tap) + "\n")

        x = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
        for s, title, g, o, p, n in rows:
            ts = [t for t in self.tests if t.stage == s]
            x.append(f'  <testsuite name={sax.quoteattr("stage " + s + " " + title)} tests="{n}" '
                     f'failures="{n - p}">')
            for t in ts:
                x.append(f'    <testcase classname="stage{s}" name={sax.quoteattr(t.name)} time="{t.seconds:.3f}">')
                if t.status != "passed":
                    reason = "failed" if t.hidden else t.reason or "failed"
                    x.append(f'      <failure message={sax.quoteattr(reason.splitlines()[0][:200])}>'
                             f'{sax.escape(reason)}</failure>')
                x.append("    </testcase>")
            x.append("  </testsuite>")
        x.append("</testsuites>")
        self.write_atomic("junit.xml", "\n".join(x) + "\n")

    def write_atomic(self, name, text):
        path = os.path.join(self.args.out, name)
        fd, tmp = tempfile.mkstemp(dir=self.args.out, prefix=f".{name}.")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)


def sandbox(args):
    accel = choose_accel(args.kernel, args.initramfs, args.accel)
    if args.hosts != 2:
        cmd = qemu_command(args.kernel, args.initramfs, accel, "minidock.mode=sandbox",
                           "mon:stdio", "null")
        print(f"sandbox: booting ({accel}); leave with `poweroff -f` or Ctrl-A X", flush=True)
        return subprocess.call(cmd)
    # Two hosts: A's shell here, B's on a socket that `grade.py --attach` (make sandbox-b)
    # opens from another terminal; from A, `b CMD` runs CMD on B.
    sockets = os.path.join(os.path.dirname(os.path.abspath(args.out)), "sandbox-lan")
    shutil.rmtree(sockets, ignore_errors=True)
    os.makedirs(sockets)
    b_console = os.path.join(sockets, "b-console")
    host_b = HostB(args.kernel, args.initramfs, accel, [], sockets,
                   f"unix:{b_console},server=on,wait=off", os.path.join(sockets, "qemu-b.log"),
                   mode="sandbox")
    cmd = qemu_command(args.kernel, args.initramfs, accel, "minidock.mode=sandbox minidock.host=a",
                       "mon:stdio", "null", 2, two_host_cards(sockets, "a"))
    print(f"sandbox: two hosts ({accel}). This terminal is host A (leave with `poweroff -f` or "
          f"Ctrl-A X); host B's shell: `make sandbox-b` in another terminal; from A, `b CMD` "
          f"runs CMD on B.", flush=True)
    try:
        return subprocess.call(cmd)
    finally:
        host_b.stop()
        shutil.rmtree(sockets, ignore_errors=True)


def attach(path):
    """A terminal on a VM console served on a unix socket (host B of make sandbox HOSTS=2)."""
    import socket
    import termios
    import tty
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError as e:
        sys.exit(f"grade: no console at {path} ({e.strerror}): is `make sandbox HOSTS=2` running?")
    print("host B's console; leave with Ctrl-]", flush=True)
    saved = termios.tcgetattr(0) if os.isatty(0) else None
    if saved:
        tty.setraw(0)
    try:
        sock.sendall(b"\n")
        while True:
            ready, _, _ = select.select([0, sock], [], [])
            if sock in ready:
                data = sock.recv(65536)
                if not data:
                    break
                os.write(1, data)
            if 0 in ready:
                data = os.read(0, 1024)
                if not data or b"\x1d" in data:
                    break
                sock.sendall(data)
    finally:
        if saved:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)
    return 0


def main():
    p = argparse.ArgumentParser(description="Grade a minidock submission in the grader VM.")
    p.add_argument("--kernel")
    p.add_argument("--initramfs")
    p.add_argument("--rubric", default=os.path.join(HERE, "rubric"))
    p.add_argument("--stages", help="comma-separated stages (default: all)")
    p.add_argument("--out", default="build/results", help="where the reports go")
    p.add_argument("--accel", default=os.environ.get("MINIDOCK_ACCEL", "auto"),
                   choices=["auto", "kvm", "tcg"])
    p.add_argument("--jobs", type=int, default=int(os.environ.get("MINIDOCK_JOBS", JOBS)),
                   help=f"tests run side by side in the VM (default {JOBS}, or MINIDOCK_JOBS)")
    p.add_argument("--margin", type=float, default=WATCHDOG_MARGIN,
                   help="seconds beyond a test's limit before the VM counts as hung")
    p.add_argument("--sandbox", action="store_true", help="boot with an interactive shell")
    p.add_argument("--hosts", type=int, default=1, choices=[1, 2],
                   help="with --sandbox: 2 boots host B too, joined to A by a LAN")
    p.add_argument("--attach", metavar="SOCKET", help="open host B's console (make sandbox-b)")
    p.add_argument("--probe", action="store_true",
                   help="print the accelerator grading would use (kvm or tcg) and exit")
    p.add_argument("-v", "--verbose", action="store_true", help="print every line of each failure")
    p.add_argument("--hidden", help="a folder of hidden tests (NN-*.bats and their rubric lines in rubric)")
    p.add_argument("--show-hidden", action="store_true",
                   help="hidden tests show their names and pass/fail to the student (after the deadline)")
    p.add_argument("--print-rubric", action="store_true", help="print the rubric, hidden tests merged, and exit")
    p.add_argument("--not-run", action="append", default=[], metavar="STAGE=REASON",
                   help="fail every test of STAGE with REASON, without running it (a lab that does not compile)")
    p.add_argument("--first-failure", action="store_true",
                   help="stop at the first failed test, the rest scored 0 (mutation testing)")
    args = p.parse_args()
    for x in args.not_run:
        if not re.match(r"^\d\d=.", x):
            p.error(f"--not-run {x}: want STAGE=REASON")
    args.not_run = [tuple(x.split("=", 1)) for x in args.not_run]
    # Killed (make grade-class stopped, a platform's time limit): the VMs go with us.
    signal.signal(signal.SIGTERM, lambda signum, _: sys.exit(128 + signum))
    if args.print_rubric:
        print_rubric(*load_rubric(args.rubric, args.hidden))
        return 0
    if not args.attach and not (args.kernel and args.initramfs):
        p.error("--kernel and --initramfs are needed")
    if not shutil.which("qemu-system-x86_64"):
        sys.exit("grade: qemu-system-x86_64 not found (make deps installs it)")
    if args.probe:
        print(choose_accel(args.kernel, args.initramfs, args.accel))
        return 0
    if args.attach:
        return attach(args.attach)
    if args.sandbox:
        return sandbox(args)
    Grader(args).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
