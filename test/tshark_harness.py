# SPDX-License-Identifier: GPL-2.0-or-later
"""The one way the tests run tshark.

Why this exists: tshark run as root loads no personal plugins and ignores
WIRESHARK_PLUGIN_DIR, and anybody's tshark would load whatever newmail.so sits
in the global plugin folder (scripts/quickstart.sh installs one there when run
as root). The tests must exercise the freshly built plugin and nothing else.
So every tshark run goes through a sandbox made once per test process:

    <tmp>/tshark-sandbox-XXXX/
      home-plugin/.local/lib/wireshark/plugins/<major.minor>/epan/newmail.so
                        HOME with a copy of $NEWMAIL_PLUGIN ("with the plugin")
      home-stock/       HOME without it ("stock tshark")
      plugin-dir/       WIRESHARK_PLUGIN_DIR: links to Wireshark's own global
                        plugins (ethercat.so, mate.so, codecs, ...) except any
                        file whose name contains "newmail", so the global
                        folder itself is never read
      captures/         copies of the capture files, readable by everybody
      work/             tshark's working directory

tshark then runs with a clean environment (PATH=/usr/bin:/bin, HOME=<one of
the homes>, LANG=C.UTF-8, TZ=UTC, WIRESHARK_ABORT_ON_DISSECTOR_BUG=1,
WIRESHARK_PLUGIN_DIR=<plugin-dir>) and, when this process is root, as the
unprivileged uid/gid 65534 through `setpriv`. Nothing is written outside the
sandbox, which is removed when the process exits.

Environment (CTest sets it, see test/CMakeLists.txt):
    NEWMAIL_PLUGIN      the built newmail.so (needed for plugin=True runs,
                        unless use_plugin() named one)
    NEWMAIL_CAPTURES    folder written by newmail_gen/captures.py (pcaps + manifest.json)
    NEWMAIL_WS_VERSION  Wireshark major.minor the plugin was built for
    NEWMAIL_TSHARK      tshark to run (default: /usr/bin/tshark)
    NEWMAIL_WS_GLOBAL_PLUGIN_DIR  Wireshark's global plugin folder, whose
                        other plugins are linked into the sandbox (default:
                        pkg-config's plugindir; none if that fails)
    NEWMAIL_SOURCE_DIR  the source tree (for tests that read examples/)

API:
    run(args, plugin=True, check=True)          -> (stdout, stderr, returncode)
    run_program(argv, plugin=True, check=True)  same, any program in the sandbox
    fields(capture, fields, display_filter=None, extra_args=(), plugin=True,
           two_pass=False)                      -> [[frame.number, field1, ...], ...]
    fields_where(capture, fields, present, extra_args=(), two_pass=False)
                                                -> the same rows, of the frames in which
                                                   a field of `present` occurs
    stats_tree(capture, extra_args=(), two_pass=False) -> text of -z newmail,tree
    pdml(capture, ...)                          -> [<packet> Element, ...]
    json(capture, ...)                          -> parsed `tshark -T json` list
    expert_infos(packet)                        -> [{abbrev, message, severity, group, item}]
                                                   of one pdml() packet
    capture(name)                               -> path of a generated capture
    readable(path, in_place=False)              -> a copy of any file tshark can read
                                                   (in_place: path itself when it can)
    manifest()                                  -> parsed manifest.json
    installed_plugin_path()                     -> where the sandbox HOME holds newmail.so
    runs_unprivileged()                         -> True when tshark runs as uid 65534
    traversable_by_others(path)                 -> True when uid 65534 can reach path
  For programs that run and measure tshark themselves (bench/bench.py):
    use_plugin(path)                            the newmail.so to test, instead of
                                                   $NEWMAIL_PLUGIN
    command(argv, plugin=True)                  -> (argv, env) that run argv in the sandbox
    work_dir()                                  -> the working directory to run it in

With check=True (the default) a run whose return code is not 0 or whose stderr
is not empty fails the calling test (AssertionError, so unittest reports a
failure, with the command line and stderr).
"""

import atexit
import fcntl
import hashlib
import json as _json
import os
import re
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET

UNPRIVILEGED_ID = 65534
TIMEOUT_SECONDS = 300

_FIELDS_OPTIONS = ["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
                   "-E", "aggregator=,", "-E", "header=n", "-E", "quote=n"]


class TsharkError(AssertionError):
    """A tshark run broke the harness's rules; raised so the test fails."""


def _env_path(name, required=True):
    value = os.environ.get(name, "")
    if not value and required:
        raise TsharkError(
            f"{name} is not set. Run the tests through CTest "
            f"(scripts/test.sh, or ctest --test-dir BUILD), which sets "
            f"NEWMAIL_PLUGIN, NEWMAIL_CAPTURES, NEWMAIL_WS_VERSION and NEWMAIL_SOURCE_DIR.")
    return value


def tshark_path():
    return os.environ.get("NEWMAIL_TSHARK") or "/usr/bin/tshark"


def runs_unprivileged():
    """True when tshark is run as uid/gid 65534 (this process is root)."""
    return os.geteuid() == 0


def ws_version():
    """Wireshark's major.minor, as the plugin folder names it (e.g. "4.0")."""
    version = os.environ.get("NEWMAIL_WS_VERSION", "")
    if version:
        return version
    # Run by hand without CTest: ask pkg-config (libwireshark-dev), never a
    # tshark that might load a broken installed plugin.
    out = subprocess.run(["pkg-config", "--modversion", "wireshark"], capture_output=True,
                         text=True, check=False, env={"PATH": "/usr/bin:/bin"}).stdout
    match = re.match(r"\s*(\d+)\.(\d+)", out)
    if not match:
        raise TsharkError("NEWMAIL_WS_VERSION is not set and pkg-config knows no wireshark")
    return f"{match.group(1)}.{match.group(2)}"


def _base_env(home):
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "WIRESHARK_ABORT_ON_DISSECTOR_BUG": "1",
    }


def traversable_by_others(path):
    """Every folder from / down to path lets uid 65534 pass through."""
    path = os.path.realpath(path)
    while True:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return False
        if not mode & stat.S_IXOTH:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


class _Sandbox:
    def __init__(self):
        base = tempfile.gettempdir()
        if runs_unprivileged() and not traversable_by_others(base):
            base = "/tmp"
        self.root = tempfile.mkdtemp(prefix="tshark-sandbox-", dir=base)
        atexit.register(shutil.rmtree, self.root, True)
        os.chmod(self.root, 0o755)
        self.version = ws_version()
        self.homes = {}
        self.plugin_dir = self._mkdir("plugin-dir")
        self.captures_dir = self._mkdir("captures")
        self.work_dir = self._mkdir("work", owned_by_runner=True)
        self.plugin_source = None  # use_plugin(); $NEWMAIL_PLUGIN when None
        self._copies = {}
        self._mirror_global_plugins()

    def _mkdir(self, relative, owned_by_runner=False):
        path = os.path.join(self.root, relative)
        os.makedirs(path, exist_ok=True)
        # Every folder on the way, not just the last, must be readable.
        walk = path
        while walk != self.root:
            os.chmod(walk, 0o755)
            walk = os.path.dirname(walk)
        if owned_by_runner and runs_unprivileged():
            os.chown(path, UNPRIVILEGED_ID, UNPRIVILEGED_ID)
        return path

    @staticmethod
    def _global_plugin_dir():
        """Wireshark's global binary plugin folder, e.g. /usr/lib/<triplet>/wireshark/plugins/4.0.

        Not asked of tshark itself: a broken newmail.so in that folder makes
        every tshark that reads it abort at start-up, even `tshark -G folders`.
        """
        folder = os.environ.get("NEWMAIL_WS_GLOBAL_PLUGIN_DIR", "")
        if not folder:
            try:
                folder = subprocess.run(["pkg-config", "--variable=plugindir", "wireshark"],
                                        capture_output=True, text=True, check=False,
                                        env={"PATH": "/usr/bin:/bin"}).stdout.strip()
            except OSError:
                folder = ""
        return folder

    def _mirror_global_plugins(self):
        """Link Wireshark's own plugins into plugin-dir/<ver>/..., never a newmail one.

        Under WIRESHARK_PLUGIN_DIR=D tshark 4.0 reads its "global" binary
        plugins from D/<major.minor>/{epan,wiretap,codecs} and no longer looks
        at /usr/lib/<triplet>/wireshark/plugins/<major.minor>.
        """
        source = self._global_plugin_dir()
        target = os.path.join(self.plugin_dir, self.version)
        if not source or not os.path.isdir(source):
            self._mkdir(os.path.relpath(target, self.root))
            return
        for dirpath, _dirnames, filenames in os.walk(source):
            relative = os.path.relpath(dirpath, source)
            here = self._mkdir(os.path.normpath(os.path.join(
                os.path.relpath(target, self.root), relative)))
            for filename in filenames:
                if "newmail" in filename.lower():
                    continue
                os.symlink(os.path.join(dirpath, filename), os.path.join(here, filename))

    def home(self, plugin):
        key = "plugin" if plugin else "stock"
        if key in self.homes:
            return self.homes[key]
        home = self._mkdir(f"home-{key}", owned_by_runner=True)
        if plugin:
            built = self.plugin_source or _env_path("NEWMAIL_PLUGIN")
            if not os.path.isfile(built):
                raise TsharkError(f"NEWMAIL_PLUGIN={built} does not exist: build the plugin first")
            epan = self._mkdir(os.path.join(
                f"home-{key}", ".local", "lib", "wireshark", "plugins", self.version, "epan"))
            installed = os.path.join(epan, "newmail.so")
            shutil.copyfile(built, installed)
            os.chmod(installed, 0o755)
        self.homes[key] = home
        return home

    def readable(self, path, in_place=False):
        """A copy of path inside the sandbox, readable by uid 65534.

        in_place: path itself when the user tshark runs as can read it there
        (for captures too big to copy); a copy otherwise.
        """
        path = os.path.realpath(path)
        info = os.stat(path)
        if in_place and (not runs_unprivileged() or (
                info.st_mode & stat.S_IROTH and traversable_by_others(os.path.dirname(path)))):
            return path
        key = (path, info.st_mtime_ns, info.st_size)
        if key not in self._copies:
            name = f"{len(self._copies):03d}-{os.path.basename(path)}"
            copy = os.path.join(self.captures_dir, name)
            shutil.copyfile(path, copy)
            os.chmod(copy, 0o644)
            self._copies[key] = copy
        return self._copies[key]

    def command(self, argv, plugin):
        env = _base_env(self.home(plugin))
        env["WIRESHARK_PLUGIN_DIR"] = self.plugin_dir
        if runs_unprivileged():
            argv = ["setpriv", f"--reuid={UNPRIVILEGED_ID}", f"--regid={UNPRIVILEGED_ID}",
                    "--clear-groups", "--"] + list(argv)
        return argv, env


_sandbox = None
# Results kept for the process: cached() and fields().
_results = {}


def _box():
    global _sandbox
    if _sandbox is None:
        _sandbox = _Sandbox()
    return _sandbox


def use_plugin(path):
    """Test path's newmail.so instead of $NEWMAIL_PLUGIN's.

    The sandbox copies the file at the first run with the plugin (or the
    first installed_plugin_path()), so a rebuild afterwards changes nothing;
    naming another one after that is an error.
    """
    box = _box()
    path = os.path.abspath(path)
    if "plugin" in box.homes and box.plugin_source != path:
        raise TsharkError(f"use_plugin({path!r}): the sandbox already holds "
                          f"{box.plugin_source or os.environ.get('NEWMAIL_PLUGIN')}")
    box.plugin_source = path


def command(argv, plugin=True):
    """(argv, env) that run argv in the sandbox, for callers that start it themselves.

    The same rules as run_program(): a clean environment, the HOME with or
    without the plugin, uid/gid 65534 through setpriv when this is root. Run
    it with cwd=work_dir() and standard input from /dev/null.
    """
    return _box().command(argv, plugin)


def work_dir():
    """The sandbox's working directory, writable by the user tshark runs as."""
    return _box().work_dir


def installed_plugin_path():
    """Where the sandbox's plugin HOME holds its copy of newmail.so."""
    home = _box().home(True)
    return os.path.join(home, ".local", "lib", "wireshark", "plugins", _box().version,
                        "epan", "newmail.so")


def run_program(argv, plugin=True, check=True):
    """Run argv in the sandbox (clean env, uid 65534 when root) -> (stdout, stderr, rc)."""
    box = _box()
    full_argv, env = box.command(argv, plugin)
    started = time.monotonic()
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        done = subprocess.run(full_argv, env=env, cwd=box.work_dir, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        raise TsharkError(f"timed out after {TIMEOUT_SECONDS} s: {_show(argv, plugin)}") from exc
    _log_run(argv, plugin, time.monotonic() - started, cpu)
    stdout = done.stdout.decode("utf-8", errors="replace")
    stderr = done.stderr.decode("utf-8", errors="replace")
    if check and (done.returncode != 0 or stderr):
        raise TsharkError(
            f"{_show(argv, plugin)}\n  exit status {done.returncode}"
            f"\n  stderr (must be empty):\n{stderr or '  (empty)'}")
    return stdout, stderr, done.returncode


def _log_run(argv, plugin, seconds, cpu_before):
    """With NEWMAIL_TSHARK_LOG=FILE, append one JSON line per run: what ran, how
    long it took, and which test asked (docs/testing.md, "Where the time goes")."""
    log = os.environ.get("NEWMAIL_TSHARK_LOG")
    if not log:
        return
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    test = ""
    for frame in traceback.extract_stack():
        if os.path.basename(frame.filename).startswith("test_"):
            test = f"{os.path.basename(frame.filename)}:{frame.name}"
            break
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(_json.dumps({"argv": list(argv), "plugin": plugin,
                                  "seconds": round(seconds, 3), "cpu": round(cpu, 3),
                                  "test": test, "pid": os.getpid()}) + "\n")


def run(args, plugin=True, check=True):
    """Run tshark with args -> (stdout, stderr, returncode).

    plugin=False runs stock tshark (a HOME without newmail.so). With check=True
    the test fails unless the return code is 0 and stderr is empty.

    A clean run (exit status 0, empty stderr) that writes no file is kept in
    $NEWMAIL_TSHARK_CACHE, when set, under the hash of everything its output
    depends on (see _cache_key), and handed to any later run, in any test
    process, with the same key: the tests read each capture with each option
    set once per build, not once per module.
    """
    argv = [tshark_path()] + list(args)
    key = _cache_key(argv, plugin)
    if key is None:
        return run_program(argv, plugin=plugin, check=check)
    lock_path = os.path.join(_cache_dir(), key + ".lock")
    with open(lock_path, "a+", encoding="utf-8") as lock:
        # One process runs it; one running the same key meanwhile waits, then reads.
        fcntl.flock(lock, fcntl.LOCK_EX)
        stored = _cache_read(key, argv)
        if stored is not None:
            return stored, "", 0
        stdout, stderr, returncode = run_program(argv, plugin=plugin, check=check)
        if returncode == 0 and not stderr:
            _cache_write(key, argv, stdout)
        return stdout, stderr, returncode


# --- The cache of tshark runs shared by the test processes ---------------------

# Options that make tshark write files: such runs are never taken from the cache.
_WRITES_FILES = ("-w", "--export-objects", "--export-tls-session-keys", "-W")
_PATH = re.compile(r"/[^\s:,;=]+")


# Raised when what _cache_write stores changes, so that no process reads an
# entry another format wrote.
_CACHE_FORMAT = 2
_ROOT = "\x00root\x00"


def _cache_dir():
    return os.environ.get("NEWMAIL_TSHARK_CACHE", "")


def _file_digest(path, _digests={}):
    info = os.stat(path)
    key = (path, info.st_mtime_ns, info.st_size)
    if key not in _digests:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _digests[key] = digest.hexdigest()
    return _digests[key]


def _paths(argv):
    """The files argv names (a whole argument, or the value of -o name:PATH)."""
    found = []
    for arg in argv[1:]:
        for match in _PATH.finditer(arg):
            if os.path.isfile(match.group(0)) and match.group(0) not in found:
                found.append(match.group(0))
    return found


def _longest_first(argv):
    """(index, path) of every file argv names, the longest path first, so that
    no path is replaced inside a longer one."""
    return sorted(enumerate(_paths(argv)), key=lambda item: -len(item[1]))


def _cache_key(argv, plugin):
    """The hash of what a tshark run's output depends on: tshark itself, the
    plugin's bytes (or stock), the Wireshark plugins beside it, the user it
    runs as, and argv with every file it names replaced by its content's
    hash. None when the run must not be cached."""
    folder = _cache_dir()
    if not folder or any(arg.split("=")[0] in _WRITES_FILES for arg in argv[1:]):
        return None
    os.makedirs(folder, exist_ok=True)
    tshark = os.path.realpath(argv[0])
    info = os.stat(tshark)
    if plugin:
        box = _box()
        plugin_id = _file_digest(box.plugin_source or _env_path("NEWMAIL_PLUGIN"))
    else:
        plugin_id = "stock"
    canonical = []
    files = _longest_first(argv)  # once: a fields run has hundreds of arguments
    for arg in argv[1:]:
        for index, path in files:
            arg = arg.replace(path, f"@{index}:{_file_digest(path)}@")
        canonical.append(arg)
    material = _json.dumps([_CACHE_FORMAT, tshark, info.st_size, info.st_mtime_ns, plugin_id, ws_version(),
                            _Sandbox._global_plugin_dir(), runs_unprivileged(), canonical])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _cache_read(key, argv):
    path = os.path.join(_cache_dir(), key + ".json")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as handle:
        stdout = _json.load(handle)["stdout"]
    # The files' names as this process's argv gives them (PDML names the
    # capture), and this process's sandbox (-G folders and -G plugins name
    # the HOME tshark ran with).
    for index, name in _longest_first(argv):
        stdout = stdout.replace(f"\x00{index}\x00", name)
    return stdout.replace(_ROOT, _box().root)


def _cache_write(key, argv, stdout):
    for index, name in _longest_first(argv):
        stdout = stdout.replace(name, f"\x00{index}\x00")
    stdout = stdout.replace(_box().root, _ROOT)
    path = os.path.join(_cache_dir(), key + ".json")
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        _json.dump({"argv": argv, "stdout": stdout}, handle)
    os.replace(path + ".tmp", path)


def _show(argv, plugin):
    mode = "with the plugin" if plugin else "stock, without the plugin"
    return f"`{' '.join(argv)}` ({mode})"


def capture(name):
    """The path of the generated capture `name` (e.g. "payloads"), readable by tshark."""
    folder = _env_path("NEWMAIL_CAPTURES")
    for candidate in (name, name + ".pcap", name + ".pcapng"):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return readable(path)
    available = sorted(os.path.splitext(f)[0] for f in os.listdir(folder)
                       if f.endswith((".pcap", ".pcapng"))) if os.path.isdir(folder) else []
    raise TsharkError(f"no capture named {name!r} in {folder}; there are: {available}")


def readable(path, in_place=False):
    """A copy of any file that tshark (maybe as uid 65534) can read.

    in_place=True gives path itself when that user can read it where it is.
    """
    return _box().readable(path, in_place)


_manifest = None


def manifest():
    """newmail_gen/captures.py's manifest.json, parsed."""
    global _manifest
    if _manifest is None:
        path = os.path.join(_env_path("NEWMAIL_CAPTURES"), "manifest.json")
        with open(path, encoding="utf-8") as handle:
            _manifest = _json.load(handle)
    return _manifest


def _capture_path(capture_or_path):
    if os.sep in capture_or_path or capture_or_path.endswith((".pcap", ".pcapng")):
        return readable(capture_or_path)
    return capture(capture_or_path)


def _read_args(capture_or_path, display_filter, extra_args, two_pass):
    args = ["-r", _capture_path(capture_or_path)]
    if two_pass:
        args.append("-2")
    if display_filter:
        args += ["-Y", display_filter]
    return args + list(extra_args)


def fields(capture, fields, display_filter=None, extra_args=(), plugin=True, two_pass=False):
    """`tshark -T fields` rows: [[frame.number, field1, ...], ...], all strings.

    Every occurrence of a field is printed, joined by ","; a missing field is "".
    Bytes fields come out as plain lowercase hex (no colons), FT_NONE fields
    (such as an expert info's own field) as "1" when present.

    With the plugin, when every field asked for is among common_fields(),
    tshark prints all of those and the columns asked for are picked out: the
    tests' many views of one capture, option set and filter are one tshark
    run (a field's value does not depend on which other fields are printed).
    Stock runs do the same with _STOCK_COMMON.
    """
    fields = list(fields)
    common = common_fields() if plugin else _STOCK_COMMON
    printed = common if fields and set(fields) <= set(common) else fields
    key = _fields_run(capture, printed, display_filter, extra_args, plugin, two_pass)
    columns = [0] + [1 + printed.index(name) for name in fields]
    return [[row[i] for i in columns] for row in _results[key]["rows"]]


def fields_where(capture, names, present, extra_args=(), two_pass=False):
    """fields() of `names` with the plugin, of the frames in which at least one field
    named in `present` (a name or a sequence of names) occurs: what
    `-Y "a || b"` shows, taken from the run of every common field instead of
    a run of its own.

    A field occurs where -T fields prints something for it. That holds for
    the fields tests select by (FT_NONE prints "1", a number its value), not
    for a string field, which may be present and empty: do not select by one.
    Each module that selects rows this way keeps one run with the filter
    typed as a user types it, which checks that the display filter shows the
    same frames."""
    present = [present] if isinstance(present, str) else list(present)
    common = common_fields()
    names = list(names)
    missing = [name for name in names + present if name not in common]
    if missing:
        raise TsharkError(f"fields_where() reads the common run; not in it: {missing}")
    rows = fields(capture, names + present, extra_args=extra_args, two_pass=two_pass)
    width = 1 + len(names)
    return [row[:width] for row in rows if any(row[width:])]


# The statistics tree the plugin registers: printed by the run of every
# common field of a capture without a display filter (stats_tree()).
_STATS_TREE = ["-z", "newmail,tree"]
# What a stats tree's text begins with: tshark ends the packets' lines, then
# prints an empty line and a rule of "=".
_STATS_START = "\n\n====="


def _fields_run(capture, printed, display_filter, extra_args, plugin, two_pass):
    """Runs (or finds) `tshark -T fields` with `printed`; the key of its result
    in _results: {"rows": [[frame.number, ...], ...], "stats": text or None}.

    The run of every common field of a capture with the plugin and no display
    filter also prints the plugin's statistics tree: a tap's counts do not
    change a field's value, and one run instead of two per capture, option
    set and pass halves what the statistics tests cost."""
    args = _read_args(capture, display_filter, extra_args, two_pass) + _FIELDS_OPTIONS
    for name in ["frame.number"] + printed:
        args += ["-e", name]
    with_stats = plugin and not display_filter and printed is common_fields()
    if with_stats:
        args += _STATS_TREE
    key = ("fields", tuple(args), plugin)
    if key not in _results:
        stdout, _, _ = run(args, plugin=plugin)
        stats = None
        if with_stats:
            start = stdout.find(_STATS_START)
            if start < 0:
                raise TsharkError(f"no statistics tree after the fields of {capture}")
            stdout, stats = stdout[:start + 1], stdout[start + 2:]
        width = 1 + len(printed)
        rows = []
        for line in stdout.split("\n"):
            if not line:
                continue
            row = line.split("\t")
            if len(row) != width:
                raise TsharkError(f"expected {width} tab-separated columns, got {len(row)}: "
                                  f"{line!r}")
            rows.append(row)
        _results[key] = {"rows": rows, "stats": stats}
    return key


def stats_tree(capture, extra_args=(), two_pass=False):
    """The text `tshark -z newmail,tree` prints for a capture (name or path)
    with the plugin: from the run that prints every common field of it."""
    key = _fields_run(capture, common_fields(), None, extra_args, True, two_pass)
    return _results[key]["stats"]


# Besides every field of the plugin's protocols: the frame and column fields
# the tests print with them.
_COMMON_EXTRA = ["frame.protocols", "frame.time_epoch", "_ws.expert.message", "_ws.col.No.",
                 "_ws.col.Time", "_ws.col.Source", "_ws.col.Destination", "_ws.col.Protocol",
                 "_ws.col.Length", "_ws.col.Info"]
_PLUGIN_PROTOCOLS = ("newmail", "asyncemsmdb", "mapihttp")
# What fields() prints at once for stock tshark: the same frame and column
# fields, and the stock fields the tests compare with.
_STOCK_COMMON = _COMMON_EXTRA + [
    "dcerpc.auth_level", "dcerpc.auth_type", "dcerpc.cn_bind_if_ver",
    "dcerpc.cn_bind_if_ver_minor", "dcerpc.cn_bind_to_uuid", "dcerpc.opnum", "http.cookie",
    "http.set_cookie"]


def common_fields():
    """The fields fields() prints at once with the plugin: _COMMON_EXTRA, then
    every field and protocol of newmail, asyncemsmdb and mapihttp that
    `tshark -G fields` lists, sorted."""
    def make():
        stdout, _, _ = run(["-G", "fields"])
        names = set()
        for line in stdout.splitlines():
            row = line.split("\t")
            if len(row) >= 5 and row[0] == "F" and row[4] in _PLUGIN_PROTOCOLS:
                names.add(row[2])
            elif len(row) >= 3 and row[0] == "P" and row[2] in _PLUGIN_PROTOCOLS:
                names.add(row[2])
        return _COMMON_EXTRA + sorted(names)
    return cached("common fields", make)


def pdml(capture, display_filter=None, extra_args=(), plugin=True, two_pass=False):
    """`tshark -T pdml` as a list of <packet> Elements (use .iter("field") etc.)."""
    args = _read_args(capture, display_filter, extra_args, two_pass) + ["-T", "pdml"]
    stdout, _, _ = run(args, plugin=plugin)
    return ET.fromstring(stdout).findall("packet")


def json(capture, display_filter=None, extra_args=(), plugin=True, two_pass=False):
    """`tshark -T json`, parsed: a list with one dict per frame."""
    args = _read_args(capture, display_filter, extra_args, two_pass) + ["-T", "json"]
    stdout, _, _ = run(args, plugin=plugin)
    return _json.loads(stdout) if stdout.strip() else []


def cached(key, make):
    """make() the first time key is asked for, its result again every later time: a
    module's tests share one tshark run of each capture and option set."""
    if key not in _results:
        _results[key] = make()
    return _results[key]


# AsyncEMSMDB's interface UUID. Stock DCE/RPC names it "async MAPI" in binds;
# once the plugin registers the interface, DCE/RPC names it by the plugin's
# protocol, AsyncEMSMDB.
ASYNC_EMSMDB_UUID = "5261574a-4572-206e-b268-6b199213b4e4"


def plugin_named(stock_packet, plugin_packet):
    """A frame whose DCE/RPC naming is the plugin's: an EMSMDB operation stock calls
    'unknown operation' (10, 11, 14 on 4.0, encrypted or not), a bind to AsyncEMSMDB,
    or an AsyncEMSMDB call (its protocol item appears even over an encrypted stub)."""
    if any(p.get("name") == "mapi" and "unknown operation" in p.get("showname", "")
           for p in stock_packet.iter("proto")):
        return True
    if any(f.get("name") == "dcerpc.cn_bind_to_uuid" and f.get("show") == ASYNC_EMSMDB_UUID
           for f in stock_packet.iter("field")):
        return True
    return any(p.get("name") == "asyncemsmdb" for p in plugin_packet.iter("proto"))


# Wireshark's expert severities and groups (epan/proto.h), as PDML shows them.
EXPERT_SEVERITIES = {0x00100000: "comment", 0x00200000: "chat", 0x00400000: "note",
                     0x00600000: "warning", 0x00800000: "error"}
EXPERT_GROUPS = {0x01000000: "checksum", 0x02000000: "sequence", 0x03000000: "response_code",
                 0x04000000: "request_code", 0x05000000: "undecoded", 0x06000000: "reassemble",
                 0x07000000: "malformed", 0x08000000: "debug", 0x09000000: "protocol",
                 0x0a000000: "security", 0x0b000000: "comments_group", 0x0c000000: "decryption",
                 0x0d000000: "assumption", 0x0e000000: "deprecated"}


def expert_infos(packet):
    """The expert infos of one PDML <packet> (from pdml()), in tree order.

    Each is a dict: abbrev (the expert's own field, e.g. "newmail.context_mismatch"
    or "_ws.malformed.expert"), message, severity ("note", "warning", "error", ...),
    group ("malformed", "protocol", "sequence", ...) and item (the name of the
    field or protocol it is attached to, "" for a text item).

    Why PDML: tshark 4.0 has no field that names an expert info (only
    _ws.expert.message/.severity/.group, which -T fields cannot tie to one
    another); PDML nests each as a _ws.expert field whose first child is the
    expert's own field, then its message, severity and group.
    """
    found = []

    def walk(element):
        for child in element:
            if child.tag not in ("field", "proto"):
                continue
            if child.get("name") == "_ws.expert":
                info = {"abbrev": None, "message": None, "severity": None, "group": None,
                        "item": element.get("name", "")}
                for part in child:
                    name = part.get("name", "")
                    if name == "_ws.expert.message":
                        info["message"] = part.get("show")
                    elif name == "_ws.expert.severity":
                        value = int(part.get("show"), 0)
                        info["severity"] = EXPERT_SEVERITIES.get(value, hex(value))
                    elif name == "_ws.expert.group":
                        value = int(part.get("show"), 0)
                        info["group"] = EXPERT_GROUPS.get(value, hex(value))
                    elif info["abbrev"] is None:
                        info["abbrev"] = name
                found.append(info)
            walk(child)

    walk(packet)
    return found


if __name__ == "__main__":
    # Handy by hand: python3 tshark_harness.py -G plugins
    out, err, rc = run(sys.argv[1:], check=False)
    sys.stdout.write(out)
    sys.stderr.write(err)
    sys.exit(rc)
