#!/usr/bin/env python3
"""Runs every command in README.md and docs/*.md as a new user would, and says which fail.

    deploy/dev/docs-commands.py [FILE.md ...]      (default: README.md and docs/*.md)

Each file gets a fresh start: a copy of the project (git's files, so nothing is written into
the repository), a temporary $HOME (the per-user data home is $HOME/.local/share/spasmwatch),
config.json with free HTTP ports in that home and in the demo home, and the stack running on
the home the file assumes (`deploy/stack up`, or `up --demo` when the file exports the demo
home; not when the file starts it itself). The executables are the debug build
($SPASMWATCH_BIN, default `swift build --show-bin-path`), first on PATH, so nothing is built.
Then the commands of fenced sh/bash/console blocks, and python blocks that have their
imports, run one after another in document order, each in its own bash that keeps the
variables and folder the previous one left (as one terminal would). A command passes when it
exits 0 and, where the doc shows its output (comment lines right under it, or a print's
trailing comment; text after two spaces is a note; an indented
comment line goes on with the comment of the command above), every word of one of those lines appears.

A command the runner cannot run here carries a note in its trailing comment (or a comment
line heading its block, for the whole block); the reader benefits from it too:

    # needs systemd          # needs root            # needs a radio (Bluetooth LE)
    # needs another machine  # needs a terminal      # takes minutes
    # placeholder: replace X with ...
    # ... until Ctrl-C       (or "Ctrl-C stops it"): run for a few seconds, then Ctrl-C;
                             passes if it was still running and printed no traceback

Commands that read ../shared/eval (the evaluation recordings beside the repository, or
$SPASMWATCH_SHARED) are skipped when it is not there. So that a command means the same here:
`$(swift build [-c release] --show-bin-path)` becomes $SPASMWATCH_BIN, `swift run NAME`
becomes $SPASMWATCH_BIN/NAME, and the default ports 127.0.0.1:8470/8471/8472 the free ones.

Also failed: output naming the default port 8470/8471/8472 (the runner configured others), and a
data home made inside the project that .gitignore lacks.

Prints one line per command (ok, FAILED with its output, skipped with the reason), then the
counts; exits 1 when any failed. Everything it started is stopped at the end (deploy/stack
down on each home, then any process still using the temporary folder), also on Ctrl-C.
"""
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKIP_MARKERS = ["needs systemd", "needs root", "needs a radio", "needs another machine", "needs a terminal", "takes minutes",
                "placeholder"]
CTRL_C = "ctrl-c"
COMMAND_TIMEOUT = 120  # seconds for a command that should end by itself
CTRL_C_AFTER = 4  # seconds a "until Ctrl-C" command runs
SAVED = "__docs_state"


def comment_of(line):
    """The trailing comment of a shell line (from a # outside quotes after a space), or ""."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[i + 1:].strip()
    return ""


class Command:
    def __init__(self, path, line, text, comment, kind="sh"):
        self.path, self.line, self.text, self.comment, self.kind = path, line, text, comment, kind
        self.expected = []  # alternatives: lines of shown output
        self.block_note = ""

    def note(self):
        return (self.comment + " " + self.block_note).lower()

    def skip_reason(self, shared):
        note = self.note()
        for marker in SKIP_MARKERS:
            if marker in note:
                return marker
        if self.kind == "fragment":
            return "a fragment (no imports): not a program"
        if "../shared/" in self.text and not shared:
            return "no ../shared/eval here (set SPASMWATCH_SHARED)"
        return None

    def shown(self):
        first = self.text.strip().splitlines()[0] if self.kind == "sh" else "python3 <<snippet " + self.text.strip().splitlines()[0]
        return f"{os.path.relpath(self.path, ROOT)}:{self.line}  {first[:110]}"


def blocks(path):
    """(language, first line number, body lines) of each fenced block."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^\s*```(\S*)\s*$", lines[i])
        if m:
            lang, start, body = m.group(1), i + 2, []
            i += 1
            while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
                body.append(lines[i])
                i += 1
            yield lang, start, body
        i += 1


def commands(path):
    out = []
    for lang, start, body in blocks(path):
        if lang in ("sh", "bash", "console"):
            block_note, current, pending, pending_line = "", None, "", 0
            for n, raw in enumerate(body):
                line = raw.rstrip()
                if lang == "console":
                    if line.startswith("$ "):
                        line = line[2:]
                    elif current is not None and not pending:
                        if line.strip():
                            current.expected.append(line.strip())
                        continue
                    else:
                        continue
                if not line.strip() and not pending:
                    continue
                if line.lstrip().startswith("#") and not pending:
                    text = line.lstrip()[1:].strip()
                    if current is None:
                        block_note += " " + text
                    elif line != raw.lstrip().rstrip():  # indented: the comment of the command above goes on
                        current.comment += " " + text
                    elif text:
                        current.expected.append(text)
                    continue
                if not pending:
                    pending_line = start + n
                pending += line + "\n"
                if line.endswith("\\"):
                    continue
                comment = " ".join(comment_of(part) for part in pending.splitlines())
                current = Command(path, pending_line, pending, comment)
                current.block_note = block_note
                out.append(current)
                pending = ""
        elif lang == "python":
            text = "\n".join(body) + "\n"
            code = [l for l in body if l.strip() and not l.lstrip().startswith("#")]
            runnable = bool(code) and re.match(r"(import|from) ", code[0])
            cmd = Command(path, start, text, "", "python" if runnable else "fragment")
            for l in body:
                if l.lstrip().startswith("print(") and "#" in l:
                    cmd.expected.append(l.split("#", 1)[1].strip())
            if code and "while True" in text:
                cmd.comment = "until Ctrl-C"
            out.append(cmd)
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def words(text):
    return [w for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", text.split("  ")[0]) if w]


def shows(output, expected):
    if not expected:
        return True
    low = output.lower()
    return any(all(w.lower() in low for w in words(line)) for line in expected)


class Run:
    def __init__(self, doc, bin_dir, shared):
        self.doc, self.bin, self.shared = doc, bin_dir, shared
        self.tmp = tempfile.mkdtemp(prefix="sw-docs-")
        os.chmod(self.tmp, 0o700)
        self.project = os.path.join(self.tmp, "project")
        self.home = os.path.join(self.tmp, "home")
        self.state = os.path.join(self.tmp, SAVED)
        self.ports = (free_port(), free_port(), free_port())
        self.copy_project()
        if shared:
            os.symlink(shared, os.path.join(self.tmp, "shared"))
        self.usual_home = os.path.join(self.home, ".local/share/spasmwatch")
        self.demo_home = os.path.join(self.project, ".spasmwatch-demo")
        for h in (self.usual_home, self.demo_home):
            os.makedirs(h, mode=0o700, exist_ok=True)
            with open(os.path.join(h, "config.json"), "w") as f:
                f.write('{"sensor": {"httpPort": %d}, "manual": {"httpPort": %d}, "metrics": {"httpPort": %d}}\n' % self.ports)
            os.chmod(os.path.join(h, "config.json"), 0o600)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SPASMWATCH_") and k != "XDG_DATA_HOME"}
        self.env.update(HOME=self.home, SPASMWATCH_BIN=bin_dir, SPASMWATCH_STOP_TIMEOUT="5",
                        PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
        with open(self.state, "w") as f:
            f.write("cd %s\n" % sh_quote(self.project))

    def copy_project(self):
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True)
        if listed.returncode != 0:  # not a git checkout: everything but the build and the homes
            shutil.copytree(ROOT, self.project, symlinks=True, ignore=shutil.ignore_patterns(".build", ".spasmwatch*", ".git"))
            return
        files = listed.stdout.decode().split("\0")
        for rel in filter(None, files):
            src = os.path.join(ROOT, rel)
            if not os.path.isfile(src):
                continue
            dst = os.path.join(self.project, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)

    def rewrite(self, text):
        text = re.sub(r"\$\(swift build (-c release )?--show-bin-path\)", "$SPASMWATCH_BIN", text)
        text = re.sub(r"\bswift run ([\w-]+)", r"$SPASMWATCH_BIN/\1", text)
        text = re.sub(r"(127\.0\.0\.1|localhost):8470\b", r"\g<1>:%d" % self.ports[0], text)
        text = re.sub(r"(127\.0\.0\.1|localhost):8471\b", r"\g<1>:%d" % self.ports[1], text)
        return re.sub(r"(127\.0\.0\.1|localhost):8472\b", r"\g<1>:%d" % self.ports[2], text)

    def script(self, cmd):
        """Bash that restores the previous state, runs the command, and saves the state."""
        if cmd.kind == "python":
            body = "python3 - <<'__SNIPPET__'\n" + cmd.text + "__SNIPPET__\n"
        else:
            body = self.rewrite(cmd.text)
        save = ("__rc=$?; { for __v in $(compgen -v); do case $__v in BASH*|PPID|UID|EUID|SHELLOPTS|PIPESTATUS|FUNCNAME|"
                "GROUPS|RANDOM|SRANDOM|LINENO|SECONDS|EPOCH*|HISTCMD|_|__*|COMP*|DIRSTACK|OPTIND|OPTARG|OPTERR|IFS|PS*|PWD|"
                "SHLVL|HOSTNAME|HOSTTYPE|MACHTYPE|OSTYPE) continue;; esac; "
                "__d=$(declare -p \"$__v\" 2>/dev/null) || continue; __f=${__d#declare -}; [[ ${__f%% *} == *r* ]] && continue; printf '%s\\n' \"$__d\"; done; "
                "printf 'cd %q\\n' \"$PWD\"; } > " + sh_quote(self.state) + "; exit $__rc\n")
        return "source " + sh_quote(self.state) + "\n" + body + "\n" + save

    def run(self, cmd, timeout=None, ctrl_c=False):
        proc = subprocess.Popen(["bash", "-c", self.script(cmd)], env=self.env, cwd=self.project,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=default_ctrl_c)
        try:
            out, _ = proc.communicate(timeout=CTRL_C_AFTER if ctrl_c else (timeout or COMMAND_TIMEOUT))
            return proc.returncode, out.decode(errors="replace"), False
        except subprocess.TimeoutExpired:
            signal_group(proc.pid, signal.SIGINT)
            try:
                out, _ = proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                signal_group(proc.pid, signal.SIGKILL)
                out, _ = proc.communicate()
            return proc.returncode, out.decode(errors="replace"), True

    def start_stack(self, cmds):
        """The stack the file assumes, unless it starts one itself first."""
        first = next((c for c in cmds if c.kind == "sh"), None)
        if first and first.text.startswith("deploy/stack up"):
            return None
        demo = any(".spasmwatch-demo" in c.text for c in cmds)
        home = self.demo_home if demo else self.usual_home
        setup = Command(self.doc, 0, "deploy/stack up%s >/dev/null && export SPASMWATCH_HOME=%s" % (" --demo" if demo else "", sh_quote(home)), "")
        status, out, _ = self.run(setup)
        return None if status == 0 else out

    def unignored_homes(self):
        """Data homes the commands made inside the project that git would not ignore."""
        for home in homes_in(self.project):
            rel = os.path.relpath(home, self.project)
            ignored = subprocess.run(["git", "check-ignore", "-q", rel + "/"], cwd=ROOT, capture_output=True).returncode
            if ignored == 1:
                yield f"the data home {rel}/ would be committed: .gitignore lacks it"

    def stop_everything(self):
        for home in homes_in(self.tmp):
            env = dict(self.env, SPASMWATCH_HOME=home)
            subprocess.run(["bash", os.path.join(self.project, "deploy/stack"), "down"], env=env, cwd=self.project,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        kill_users_of(self.tmp)
        shutil.rmtree(self.tmp, ignore_errors=True)


def homes_in(folder):
    """The data homes under folder that deploy/stack started (they have pids/), hidden ones too."""
    return [d for d, subdirs, _ in os.walk(folder) if "pids" in subdirs]


def default_ctrl_c():
    """In the command's process: Ctrl-C stops it, even when whoever started the runner ignored it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def signal_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def kill_users_of(folder):
    """SIGKILL every process whose folder, executable arguments or environment name `folder`."""
    me = os.getpid()
    needle = folder.encode()
    for _ in range(3):
        found = False
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            try:
                cwd = os.readlink(f"/proc/{entry}/cwd").encode()
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmdline = f.read()
                with open(f"/proc/{entry}/environ", "rb") as f:
                    environ = f.read()
            except OSError:
                continue
            if cwd.startswith(needle) or needle in cmdline or needle in environ:
                try:
                    os.kill(int(entry), signal.SIGKILL)
                    found = True
                except OSError:
                    pass
        if not found:
            return
        time.sleep(0.3)


def find_shared():
    for d in (os.environ.get("SPASMWATCH_SHARED"), os.path.join(os.path.dirname(ROOT), "shared")):
        if d and os.path.isfile(os.path.join(d, "eval/dev/manifest.json")):
            return os.path.abspath(d)
    return None


def indent(text):
    return "\n".join("      | " + l for l in text.rstrip().splitlines()[-40:])


def main():
    docs = sys.argv[1:] or [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    bin_dir = os.environ.get("SPASMWATCH_BIN") or subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT,
                                                                   capture_output=True, text=True, check=True).stdout.strip()
    if not os.access(os.path.join(bin_dir, "spasmwatch"), os.X_OK):
        sys.exit(f"docs-commands: no spasmwatch in {bin_dir}: run  swift build  first (or set SPASMWATCH_BIN)")
    shared = find_shared()
    counts = {"ok": 0, "FAILED": 0, "skipped": 0}
    skipped = []
    started = time.time()
    for doc in docs:
        doc = os.path.abspath(doc)
        cmds = commands(doc)
        if not cmds:
            continue
        run = Run(doc, bin_dir, shared)
        try:
            problem = run.start_stack(cmds)
            if problem is not None:
                print(f"FAILED   {os.path.relpath(doc, ROOT)}: the stack did not start\n{indent(problem)}", flush=True)
                counts["FAILED"] += 1
                continue
            for cmd in cmds:
                reason = cmd.skip_reason(shared)
                if reason:
                    counts["skipped"] += 1
                    skipped.append(f"{cmd.shown()}  ({reason})")
                    print(f"skipped  {cmd.shown()}  ({reason})", flush=True)
                    continue
                ctrl_c = CTRL_C in cmd.note()
                t0 = time.time()
                status, out, timed_out = run.run(cmd, ctrl_c=ctrl_c)
                if ctrl_c:
                    good = (timed_out or status == 0) and "Traceback" not in out
                    why = "" if good else f"ended with status {status} before Ctrl-C"
                else:
                    good = not timed_out and status == 0 and shows(out, cmd.expected)
                    why = ("did not end in %ds" % COMMAND_TIMEOUT if timed_out else f"exit status {status}" if status
                           else "its output lacks: " + " | ".join(cmd.expected))
                default = re.search(r"(127\.0\.0\.1|localhost):(8470|8471|8472)\b", out)
                if good and default:
                    good, why = False, f"it names the default port {default.group(0)}, not the one config.json sets"
                label = "ok" if good else "FAILED"
                counts[label] += 1
                extra = " (ran until Ctrl-C)" if ctrl_c and timed_out else ""
                print(f"{label:8} {cmd.shown()}  [{time.time() - t0:.1f}s]{extra}", flush=True)
                if not good:
                    print(f"      {why}\n{indent(out)}", flush=True)
            for problem in run.unignored_homes():
                counts["FAILED"] += 1
                print(f"FAILED   {os.path.relpath(doc, ROOT)}: {problem}", flush=True)
        finally:
            run.stop_everything()
    print(f"\n{counts['ok']} ran ok, {counts['FAILED']} failed, {counts['skipped']} skipped, in {time.time() - started:.0f}s")
    if skipped:
        print("skipped:\n" + "\n".join("  " + s for s in skipped))
    return 1 if counts["FAILED"] else 0


if __name__ == "__main__":
    def interrupted(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("docs-commands: interrupted; everything it started was stopped", file=sys.stderr)
        sys.exit(130)
