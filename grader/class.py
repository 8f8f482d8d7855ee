#!/usr/bin/env python3
"""class.py - grade a whole class (make grade-class).

    class.py --submissions DIR|FILE.csv --out DIR [--jobs N] [--stages 01,02] [--student NAME]
             [--deadline 2026-12-01T23:59] [--hidden DIR]

The submissions are every folder of DIR (its name is the student's), or the lines of a CSV
`student,path-or-git-url,commit` (a git URL is cloned and the commit checked out). Each student
is graded as `make grade` grades one tree, with four differences:

- Only the submission's labs/NN-*/*.c files are taken (copied, regular files only, 1 MiB at
  most each); its headers, Makefile and everything else are the kit's.
- They are compiled in a jail (grader/jail.sh): new namespaces, no network, a root that holds
  only the system's compiler and libraries, the kit's lib/ and contracts, and this submission;
  as nobody, with CPU, memory and file-size limits. A lab that does not compile scores 0 with
  the compiler's words, and the kit's handout of that lab stands in for it, so that the other
  stages are graded.
- Its VM is made as make vm makes one (the kit's base archive, and the student's programs in
  an archive of their own, end to end), from the objects compiled in the jail (SUB_PREBUILT=1).
- Students are graded --jobs at a time, each in its own VM (default: what the machine's cores
  and memory allow).

Everything goes to --out: students/NAME/ (results.json, junit.xml, results.tap, grade.log,
build.log, summary.json), class.csv and report.html. A student whose summary.json exists and
whose fingerprint (the sources, the kit's tests and rubric, the stages) is unchanged is not graded
again: an interrupted run picks up where it stopped, and a run after one student's fix grades
only that student (--student NAME grades one again in any case).
"""

import argparse
import concurrent.futures
import csv
import datetime
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
KIT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import grade      # noqa: E402  (the rubric's reader)
import report     # noqa: E402  (class.csv, report.html, similarity)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
C_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}\.c$")
LAB_DIR = re.compile(r"^[0-9][0-9]-[a-z0-9-]+$")
MAX_SOURCE = 1 << 20
VM_MEMORY_GB = 1.5      # a grading VM: 1 GiB for the guest, QEMU's own and the host's share
COMPILE_TIMEOUT = 600
CLONE_TIMEOUT = 300


def log(*words):
    print(*words, flush=True)


RUNNING = set()     # the child processes under way (compiles, links, grades), to stop on a signal
STOPPING = []       # set once the run is told to stop: no student is started after that


def run(cmd, **kw):
    """subprocess.run, with the process known to stop() while it runs."""
    timeout = kw.pop("timeout", None)
    if kw.pop("capture_output", False):
        kw["stdout"] = kw["stderr"] = subprocess.PIPE
    with subprocess.Popen(cmd, **kw) as proc:
        RUNNING.add(proc)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        finally:
            RUNNING.discard(proc)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def stop(signum, _frame):
    """Interrupted (Ctrl-C, kill): stop every grade under way (grade.py stops its VMs); what
    is finished stays, what is not is graded again by the next run."""
    STOPPING.append(signum)
    for proc in list(RUNNING):
        proc.terminate()
    sys.exit(128 + signum)


class Submission:
    def __init__(self, name, source, commit=""):
        self.name, self.source, self.commit = name, source, commit
        self.error = ""       # why it cannot be graded (missing, bad name, clone failed)
        self.when = None      # when it was last changed: the commit's date, or the newest file
        self.tree = None      # the folder its labs/ are read from


def read_roster(path):
    """Every submission named by a folder of submissions or a CSV."""
    subs = []
    if os.path.isdir(path):
        for entry in sorted(os.listdir(path)):
            full = os.path.join(path, entry)
            if os.path.isdir(full) and not entry.startswith("."):
                subs.append(Submission(entry, full))
    else:
        with open(path, newline="") as f:
            for n, row in enumerate(csv.reader(f), 1):
                row = [c.strip() for c in row]
                if not row or not any(row) or row[0].startswith("#"):
                    continue
                if n == 1 and row[0].lower() == "student":
                    continue  # a header line
                if len(row) < 2 or len(row) > 3:
                    sys.exit(f"grade-class: {path}:{n}: want student,path-or-git-url[,commit]: {','.join(row)}")
                source = row[1]
                if not is_git_url(source) and not os.path.isabs(source):
                    source = os.path.join(os.path.dirname(os.path.abspath(path)), source)
                subs.append(Submission(row[0], source, row[2] if len(row) > 2 else ""))
    seen = set()
    for s in subs:
        if not NAME.match(s.name):
            s.error = "not a usable student name (letters, digits, . _ - only; 64 at most)"
        elif s.name in seen:
            s.error = "a second line for this student"
        seen.add(s.name)
        if s.commit and not re.match(r"^[0-9a-fA-F]{7,40}$", s.commit):
            s.error = f"not a commit id: {s.commit!r}"
    return subs


def is_git_url(source):
    return "://" in source or source.endswith(".git") or re.match(r"^[\w.-]+@[\w.-]+:", source)


def fetch(sub, out):
    """Find (or clone) the submission's tree and when it was last changed."""
    if sub.error:
        return
    if is_git_url(sub.source) or os.path.isdir(os.path.join(sub.source, ".git")) and sub.commit:
        dest = os.path.join(out, "sources", sub.name)
        shutil.rmtree(dest, ignore_errors=True)
        env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true")
        try:
            subprocess.run(["git", "clone", "--quiet", "--no-tags", "--", sub.source, dest],
                           env=env, check=True, capture_output=True, timeout=CLONE_TIMEOUT)
            if sub.commit:
                subprocess.run(["git", "-C", dest, "checkout", "--quiet", "--detach", sub.commit],
                               env=env, check=True, capture_output=True, timeout=CLONE_TIMEOUT)
            stamp = subprocess.run(["git", "-C", dest, "log", "-1", "--format=%ct"], env=env,
                                   check=True, capture_output=True, text=True).stdout.strip()
            sub.when = datetime.datetime.fromtimestamp(int(stamp), datetime.timezone.utc)
        except subprocess.CalledProcessError as e:
            sub.error = "git: " + (e.stderr.decode(errors="replace").strip().splitlines() or ["failed"])[-1]
            return
        except subprocess.TimeoutExpired:
            sub.error = f"git: no answer in {CLONE_TIMEOUT} s"
            return
        sub.tree = dest
    else:
        sub.tree = sub.source
    if not os.path.isdir(os.path.join(sub.tree, "labs")):
        sub.error = "missing: no labs/ folder" if os.path.isdir(sub.tree) else "missing: no such folder"


def stage_sources(sub, lab_dirs, dest):
    """Copy the submission's labs/NN-*/*.c into dest/labs; return (notes, newest mtime)."""
    notes, newest = [], 0
    shutil.rmtree(os.path.join(dest, "labs"), ignore_errors=True)
    for lab in lab_dirs:
        src = os.path.join(sub.tree, "labs", lab)
        os.makedirs(os.path.join(dest, "labs", lab))
        try:
            st = os.lstat(src)
        except FileNotFoundError:
            notes.append(f"labs/{lab}: missing (the handout's stands in)")
            continue
        if not stat.S_ISDIR(st.st_mode):
            notes.append(f"labs/{lab}: not a folder (the handout's stands in)")
            continue
        for entry in sorted(os.listdir(src)):
            if not entry.endswith(".c"):
                continue
            path = os.path.join(src, entry)
            if not C_FILE.match(entry):
                notes.append(f"labs/{lab}/{entry}: not a usable file name, not graded")
                continue
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError as e:
                notes.append(f"labs/{lab}/{entry}: {e.strerror}, not graded")
                continue
            with os.fdopen(fd, "rb") as f:
                st = os.fstat(f.fileno())
                if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_SOURCE:
                    notes.append(f"labs/{lab}/{entry}: not a regular file of 1 MiB at most, not graded")
                    continue
                data = f.read(MAX_SOURCE + 1)
            with open(os.path.join(dest, "labs", lab, entry), "wb") as f:
                f.write(data)
            newest = max(newest, st.st_mtime)
    return notes, newest


def fingerprint(staged, kit_id, stages):
    h = hashlib.sha256(f"{kit_id}\n{','.join(stages)}\n".encode())
    for top, dirs, files in sorted(os.walk(os.path.join(staged, "labs"))):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(top, name)
            h.update(os.path.relpath(path, staged).encode() + b"\0")
            with open(path, "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def kit_id(hidden):
    """What the grade depends on besides the sources: the tests, rubric, runner, given code and
    the reference (the other labs of each stage)."""
    h = hashlib.sha256()
    roots = ["grader/tests", "grader/rubric", "grader/vm", "grader/tools", "lib", "solutions"]
    if hidden:
        roots.append(hidden)
    for root in roots:
        full = root if os.path.isabs(root) else os.path.join(KIT, root)
        paths = [full] if os.path.isfile(full) else sorted(
            os.path.join(t, n) for t, _, ns in os.walk(full) for n in ns)
        for p in paths:
            with open(p, "rb") as f:
                h.update(p.encode() + hashlib.sha256(f.read()).digest())
    return h.hexdigest()


class Class:
    def __init__(self, args):
        self.args = args
        self.out = os.path.abspath(args.out)
        self.rubric = os.path.join(self.out, "rubric")
        self.lab_dirs = sorted(d for d in os.listdir(os.path.join(KIT, "solutions"))
                               if LAB_DIR.match(d))
        self.stage_of = {d[:2]: d for d in self.lab_dirs}

    def prepare(self):
        """Build, once, what every student shares: the reference, the images, the VM's base."""
        os.makedirs(self.out, exist_ok=True)
        hidden = [f"HIDDEN={self.args.hidden}"] if self.args.hidden else []
        log("grade-class: building the reference and the class's VM image")
        subprocess.run(["make", "-s", "-C", KIT, "all", "images", "vm-base", *hidden], check=True,
                       stdout=subprocess.DEVNULL)
        self.kernel = os.path.join(KIT, "build", "vm", "kernel", "vmlinuz")
        # Made above, once: a student's make must not make them again (two at once would clash).
        self.vm_base = subprocess.run(["make", "-s", "-C", KIT, "print-vm-base", *hidden], check=True,
                                      capture_output=True, text=True).stdout.split()
        cmd = ["python3", os.path.join(HERE, "grade.py"), "--print-rubric"]
        if self.args.hidden:
            cmd += ["--hidden", self.args.hidden]
        with open(self.rubric, "w") as f:
            subprocess.run(cmd, check=True, stdout=f)
        self.stages, self.tests = grade.load_rubric(self.rubric)
        self.wanted = self.args.stages.split(",") if self.args.stages else \
            [s for s in self.stages if s in self.stage_of]
        for s in self.wanted:
            if s not in self.stage_of:
                sys.exit(f"grade-class: no stage {s}")
        flags = subprocess.run(["make", "-s", "-C", KIT, "print-cflags"], check=True,
                               capture_output=True, text=True).stdout.split()
        self.cflags = [f for f in flags if f not in ("-MMD", "-MP")]
        self.init_flags = subprocess.run(["make", "-s", "-C", KIT, "print-init-cflags"], check=True,
                                         capture_output=True, text=True).stdout.split()
        self.kit_id = kit_id(self.args.hidden)

    # --- one student ----------------------------------------------------------------------------

    def student_dir(self, name):
        return os.path.join(self.out, "students", name)

    def grade_one(self, sub):
        """Grade one submission; write its summary.json. Returns the summary (None if stopped)."""
        if STOPPING:
            return None
        sdir = self.student_dir(sub.name)
        summary = {"student": sub.name, "source": sub.source, "commit": sub.commit,
                   "when": sub.when.isoformat() if sub.when else None, "status": "graded",
                   "notes": [], "compile_errors": {}, "stages": {}, "score": 0,
                   "max_score": sum(t.points for t in self.tests if t.stage in self.wanted)}
        if sub.error:
            # Missing: noted in its folder. Any other error: nothing is written, since its name
            # may be no name for a folder, or another's.
            missing = sub.error.startswith("missing")
            summary["status"] = "missing" if missing else "error"
            summary["notes"].append(sub.error)
            if missing:
                os.makedirs(sdir, exist_ok=True)
            return self.finish(sdir if missing else None, summary, None)
        os.makedirs(sdir, exist_ok=True)
        work = os.path.join(self.out, "work", f"class-{sub.name}")
        staged = work  # its name makes the build's: build/sub-class-NAME
        notes, newest = stage_sources(sub, self.lab_dirs, staged)
        summary["notes"] += notes
        if sub.when is None and newest:
            sub.when = datetime.datetime.fromtimestamp(newest, datetime.timezone.utc)
            summary["when"] = sub.when.isoformat()
        summary["fingerprint"] = fingerprint(staged, self.kit_id, self.wanted)
        old = self.load_summary(sub.name)
        if old and old.get("fingerprint") == summary["fingerprint"] and self.args.student != sub.name:
            shutil.rmtree(work, ignore_errors=True)
            old["unchanged"] = True
            return old
        began = time.monotonic()
        subbuild = os.path.join(KIT, "build", f"sub-class-{sub.name}")
        for name in os.listdir(sdir):  # an earlier grade's reports must not pass for this one's
            if name.endswith((".json", ".xml", ".tap")) or name.startswith("console-"):
                os.unlink(os.path.join(sdir, name))
        try:
            failed = self.build(sub, staged, subbuild, sdir, summary)
            status = self.run_vm(sub, subbuild, work, sdir, failed)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            # This student only: the others are graded (noted, and tried again by the next run).
            status = str(e)
        finally:
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(subbuild, ignore_errors=True)
        if STOPPING:
            return None  # half graded: no summary, the next run grades it again
        if status != 0:
            # Not a grade: noted, and without its fingerprint, so that the next run tries again.
            del summary["fingerprint"]
            summary["status"] = "error"
            summary["notes"].append(f"not graded: {status}" if isinstance(status, str) else
                                    f"the grader stopped with status {status} (see grade.log)")
        summary["seconds"] = round(time.monotonic() - began)
        return self.finish(sdir, summary, os.path.join(sdir, "results.json"))

    def jail_compile(self, staged, subbuild, labs, logdir):
        """Compile these labs of the staged tree in the jail; return {lab: compiler's words}."""
        script = ["set -u", "mkdir -p /work/log"]
        for lab in labs:
            cmds = []
            for name in sorted(os.listdir(os.path.join(staged, "labs", lab))):
                src, stem = f"/work/src/{lab}/{name}", name[:-2]
                if lab == self.stage_of.get("04") and name == "init.c":
                    cmds.append(" ".join(["gcc", *self.init_flags, "-o", "/work/prebuilt/minidock-init", src]))
                else:
                    cmds.append(" ".join(["gcc", *self.cflags, "-c", "-o", f"/work/obj/{lab}/{stem}.o", src]))
            body = " && ".join(cmds) or "true"
            script.append(f"mkdir -p /work/obj/{lab} /work/prebuilt; "
                          f"{{ {body}; }} >/work/log/{lab}.err 2>&1 || echo {lab} >>/work/log/failed")
        for lab in labs:
            dst = os.path.join(subbuild, "src", lab)
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(os.path.join(staged, "labs", lab), dst)
        jail = tempfile.mkdtemp(prefix=".jail-", dir=os.path.join(KIT, "build"))
        with open(os.path.join(jail, "..", os.path.basename(jail) + ".sh"), "w") as f:
            f.write("\n".join(script) + "\n")
        try:
            res = run(["unshare", "--mount", "--net", "--ipc", "--uts", "--pid", "--fork",
                       "--kill-child", "--propagation", "private",
                       os.path.join(HERE, "jail.sh"), KIT, subbuild, f.name, jail],
                      capture_output=True, text=True, timeout=COMPILE_TIMEOUT)
        except subprocess.TimeoutExpired:
            return {lab: f"the compiler ran past {COMPILE_TIMEOUT} s" for lab in labs}
        finally:
            os.unlink(f.name)
            os.rmdir(jail)  # its tmpfs went with the namespaces
        if res.returncode != 0 and not os.path.exists(os.path.join(subbuild, "log")):
            sys.exit(f"grade-class: the compile jail failed: {res.stderr.strip()}")
        failed = {}
        try:
            with open(os.path.join(subbuild, "log", "failed")) as fl:
                for lab in fl.read().split():
                    with open(os.path.join(subbuild, "log", f"{lab}.err"), errors="replace") as e:
                        words = e.read().replace("/work/src/", "labs/")
                    failed[lab] = "\n".join(words.splitlines()[:40]) or "the compiler failed"
        except FileNotFoundError:
            pass
        with open(os.path.join(logdir, "build.log") if logdir else os.devnull, "a") as bl:
            for lab in labs:
                p = os.path.join(subbuild, "log", f"{lab}.err")
                if os.path.exists(p):
                    with open(p, errors="replace") as e:
                        text = e.read().replace("/work/src/", "labs/")
                    if text:
                        bl.write(f"== {lab}\n{text}\n")
        shutil.rmtree(os.path.join(subbuild, "log"), ignore_errors=True)
        return failed

    def build(self, sub, staged, subbuild, sdir, summary):
        """Compile (jailed) and link; the handout stands in for each lab that fails either, so
        that the stages of the others are graded. Returns the stages that failed."""
        shutil.rmtree(subbuild, ignore_errors=True)
        os.makedirs(subbuild)
        open(os.path.join(sdir, "build.log"), "w").close()
        failed = self.jail_compile(staged, subbuild, self.lab_dirs, sdir)
        for lab in self.lab_dirs:
            if not os.listdir(os.path.join(staged, "labs", lab)):
                failed.setdefault(lab, f"no .c file in the submission's labs/{lab}")
        hidden = [f"HIDDEN={self.args.hidden}"] if self.args.hidden else []
        replaced = set()
        for _ in range(3):
            for lab, why in failed.items():
                summary["compile_errors"].setdefault(lab[:2], why)
            self.stand_in(staged, subbuild, sorted(set(failed) - replaced))
            replaced |= set(failed)
            with open(os.path.join(sdir, "build.log"), "a") as bl:
                start = bl.tell()
                res = run(["make", "-s", "-k", "-C", KIT, *(f"--old-file={f}" for f in self.vm_base), "vm",
                           "SUB_PREBUILT=1", f"SUBMISSION={staged}", *hidden],
                          stdout=bl, stderr=subprocess.STDOUT)
            if res.returncode == 0:
                return {lab[:2] for lab in replaced}
            with open(os.path.join(sdir, "build.log"), errors="replace") as bl:
                bl.seek(start)
                words = bl.read()
            # A stage's minidock that does not link is its lab's doing (a name defined twice, a
            # function that does not exist): that lab is out, as one that does not compile.
            bad = {self.stage_of[x] for x in re.findall(r"stages/(\d\d)/minidock\] Error", words)} - replaced
            if not bad:
                break
            failed = {lab: "does not link:\n" + "\n".join(
                line for line in words.splitlines() if "undefined reference" in line or
                "multiple definition" in line)[:3000] for lab in bad}
        raise RuntimeError(f"the build failed, and not in one lab (see {sdir}/build.log)")

    def stand_in(self, staged, subbuild, labs):
        """The handout's .c files in place of these labs' (compiled in the jail too)."""
        if not labs:
            return
        for lab in labs:
            dst = os.path.join(staged, "labs", lab)
            shutil.rmtree(dst)
            shutil.copytree(os.path.join(KIT, "labs", lab), dst,
                            ignore=lambda d, names: [n for n in names if not n.endswith(".c")])
            shutil.rmtree(os.path.join(subbuild, "obj", lab), ignore_errors=True)
        again = self.jail_compile(staged, subbuild, sorted(labs), None)
        if again:
            raise RuntimeError(f"the handout of {', '.join(again)} does not compile")

    def run_vm(self, sub, subbuild, work, sdir, failed):
        initramfs = next(os.path.join(subbuild, n) for n in os.listdir(subbuild)
                         if n.startswith("initramfs") and n.endswith(".cpio"))
        results = os.path.join(work, "results")
        cmd = ["python3", os.path.join(HERE, "grade.py"), "--kernel", self.kernel, "--initramfs", initramfs,
               "--rubric", self.rubric, "--out", results, "--stages", ",".join(self.wanted)]
        for stage in sorted(failed & set(self.wanted)):
            cmd += ["--not-run", f"{stage}=lab {int(stage)} does not build (the compiler's or the "
                                  f"linker's words are in build.log): no test of stage {stage} ran"]
        if self.args.show_hidden:
            cmd.append("--show-hidden")  # (the rubric given has the hidden tests already)
        with open(os.path.join(sdir, "grade.log"), "w") as gl:
            status = run(cmd, stdout=gl, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
        for name in ("results.json", "junit.xml", "results.tap", "hidden-reasons.json"):
            if os.path.exists(os.path.join(results, name)):
                shutil.move(os.path.join(results, name), os.path.join(sdir, name))
        for name in os.listdir(results) if os.path.isdir(results) else []:
            if name.startswith("console-"):
                shutil.move(os.path.join(results, name), os.path.join(sdir, name))
        return status

    def finish(self, sdir, summary, results_path):
        deadline = self.args.deadline
        if deadline and summary.get("when"):
            summary["late"] = datetime.datetime.fromisoformat(summary["when"]) > deadline
        else:
            summary["late"] = False
        per_test = []
        if results_path and os.path.exists(results_path):
            with open(results_path) as f:
                results = json.load(f)
            try:
                with open(os.path.join(sdir, "hidden-reasons.json")) as f:
                    hidden_reasons = json.load(f)
            except (OSError, ValueError):
                hidden_reasons = {}
            for t in results["tests"]:
                stage = t["tags"][0].split("-")[1]
                got, out_of = summary["stages"].get(stage, (0, 0))
                summary["stages"][stage] = (got + t["score"], out_of + t["max_score"])
                hidden = "hidden" in t["tags"]
                output = str(hidden_reasons.get(t["name"], "")) if hidden else t["output"]
                per_test.append({"name": t["name"], "status": t["status"], "score": t["score"],
                                 "max_score": t["max_score"], "output": output[:4000], "hidden": hidden})
            summary["score"] = results["score"]
            summary["forged"] = (results.get("extra_data") or {}).get("forged", "")
        elif summary["status"] == "graded":
            summary["status"] = "error"
            summary["notes"].append("the grader wrote no results (see grade.log)")
        for s in self.wanted:
            summary["stages"].setdefault(s, (0, sum(t.points for t in self.tests if t.stage == s)))
        summary["tests"] = per_test
        if sdir is None:
            return summary
        tmp = os.path.join(sdir, ".summary.json.tmp")
        with open(tmp, "w") as f:
            json.dump(summary, f, indent=1)
        os.replace(tmp, os.path.join(sdir, "summary.json"))
        return summary

    def load_summary(self, name):
        try:
            with open(os.path.join(self.student_dir(name), "summary.json")) as f:
                s = json.load(f)
            return s if isinstance(s, dict) and isinstance(s.get("student"), str) and \
                isinstance(s.get("stages"), dict) and isinstance(s.get("tests"), list) else None
        except (OSError, ValueError):
            return None

    # --- the class --------------------------------------------------------------------------------

    def run(self):
        subs = read_roster(self.args.submissions)
        if self.args.student:
            if not any(s.name == self.args.student for s in subs):
                sys.exit(f"grade-class: no student {self.args.student} in {self.args.submissions}")
        if not subs:
            sys.exit(f"grade-class: no submission in {self.args.submissions}")
        # One class at a time per kit: two would build the same build/sub-class-NAME.
        os.makedirs(os.path.join(KIT, "build"), exist_ok=True)
        self.lock = open(os.path.join(KIT, "build", "class.lock"), "w")
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            sys.exit("grade-class: another make grade-class is running in this kit; wait for it")
        self.prepare()
        jobs = self.args.jobs or default_jobs()
        log(f"grade-class: {len(subs)} submission(s), stage(s) {','.join(self.wanted)}, "
            f"{jobs} at a time; reports in {self.out}")
        began = time.monotonic()
        todo = [s for s in subs if not self.args.student or s.name == self.args.student]
        for s in todo:
            fetch(s, self.out)
        done, unchanged, missing = {}, 0, 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(self.grade_one, s): s for s in todo}
            for fut in concurrent.futures.as_completed(futures):
                s = futures[fut]
                summary = fut.result()
                if summary is None:
                    continue
                done[id(s)] = summary
                what = summary["status"] if summary["status"] != "graded" else \
                    f"{summary['score']}/{summary['max_score']}"
                if summary.pop("unchanged", False):
                    what += " (graded before, unchanged)"
                    unchanged += 1
                elif summary["status"] in ("missing", "error"):
                    missing += 1
                log(f"  {s.name:<24} {what}{'  (late)' if summary.get('late') else ''}"
                    f"{'  (forged results flagged)' if summary.get('forged') else ''}")
        summaries = []
        for s in subs:
            if s.error and not s.error.startswith("missing"):
                summary = self.grade_one(s)  # a row that says why, written nowhere
            else:
                summary = done.get(id(s)) or self.load_summary(s.name)
            if summary is None:
                summary = {"student": s.name, "status": "not graded yet", "stages": {}, "score": 0,
                           "max_score": 0, "tests": [], "notes": [], "late": False}
            summaries.append(summary)
        report.write_all(self.out, self.stages, self.wanted, self.tests, summaries,
                         self.similarity_sources(subs),
                         [os.path.join(KIT, "labs"), os.path.join(KIT, "solutions")])
        log(f"grade-class: {len(todo) - unchanged - missing} graded, {unchanged} unchanged, "
            f"{missing} missing or not gradable, in {time.monotonic() - began:.0f} s; "
            f"{self.out}/class.csv, {self.out}/report.html")

    def similarity_sources(self, subs):
        """{student: {lab: text}} of every submission that has a tree, for the similarity check."""
        texts = {}
        for s in subs:
            if s.tree is None and not s.error:
                fetch(s, self.out)
            if s.tree is None or s.error:
                continue
            labs = {}
            for lab in (self.stage_of[x] for x in self.wanted):
                d = os.path.join(s.tree, "labs", lab)
                if not os.path.isdir(d) or os.path.islink(d):
                    continue
                parts = []
                for name in sorted(os.listdir(d)):
                    p = os.path.join(d, name)
                    if C_FILE.match(name) and os.path.isfile(p) and not os.path.islink(p) \
                            and os.path.getsize(p) <= MAX_SOURCE:
                        with open(p, errors="replace") as f:
                            parts.append(f.read())
                labs[lab] = "\n".join(parts)
            texts[s.name] = labs
        return texts


def default_jobs():
    """VMs side by side: each takes 2 CPUs and about 1.5 GiB."""
    cores = os.cpu_count() or 1
    try:
        with open("/proc/meminfo") as f:
            mem_kb = int(next(l for l in f if l.startswith("MemAvailable")).split()[1])
    except (OSError, StopIteration, ValueError):
        mem_kb = 2 << 20
    return max(1, min(cores // 2, int(mem_kb / (VM_MEMORY_GB * (1 << 20)))))


def parse_stages(text):
    """1-7, 01,03 or 1,2,5-7 -> ["01", ...]."""
    stages = []
    for part in text.split(","):
        m = re.match(r"^(\d{1,2})(?:-(\d{1,2}))?$", part.strip())
        if not m:
            sys.exit(f"grade-class: LABS={text}: want numbers and ranges, as 1-7 or 1,3,5")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        stages += [f"{n:02d}" for n in range(lo, hi + 1)]
    return ",".join(stages)


def main():
    p = argparse.ArgumentParser(description="Grade every submission of a class (make grade-class).")
    p.add_argument("--submissions", required=True, help="a folder of student trees, or a CSV student,path-or-url,commit")
    p.add_argument("--out", default=os.path.join(KIT, "build", "class", "out"))
    p.add_argument("--jobs", type=int, default=0, help="VMs side by side (default: from cores and memory)")
    p.add_argument("--labs", default="", help="the labs to grade: 1-7, 1,3,5 (default: all)")
    p.add_argument("--student", default="", help="grade this student again, and only them")
    p.add_argument("--deadline", default="", help="ISO date and time: a later submission is marked late")
    p.add_argument("--hidden", default="", help="the instructor's hidden tests (NN-*.bats and a rubric)")
    p.add_argument("--show-hidden", action="store_true",
                   help="students' results.json show the hidden tests' names and pass/fail (after the deadline)")
    args = p.parse_args()
    if not os.path.exists(args.submissions):
        sys.exit(f"grade-class: SUBMISSIONS={args.submissions}: no such folder or file")
    if os.geteuid() != 0:
        sys.exit("grade-class: needs root (each submission is compiled in a jail of namespaces)")
    args.stages = parse_stages(args.labs) if args.labs else ""
    if args.deadline:
        try:
            args.deadline = datetime.datetime.fromisoformat(args.deadline)
        except ValueError:
            sys.exit(f"grade-class: DEADLINE={args.deadline}: not an ISO date (2026-12-01T23:59)")
        if args.deadline.tzinfo is None:
            args.deadline = args.deadline.astimezone()
    if args.hidden and not os.path.isfile(os.path.join(args.hidden, "rubric")):
        sys.exit(f"grade-class: HIDDEN={args.hidden}: no rubric file in it")
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    Class(args).run()


if __name__ == "__main__":
    main()
