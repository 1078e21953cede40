"""Runtime integrity checks inside a grading kernel (loaded before any student code).

The grader starts every kernel with ``--IPKernelApp.exec_lines`` that run this file and
call ``install()``. It then talks to the guard between cells through silent
``user_expressions`` (see ``grading.preprocessors.execute``):

- ``enter(kind, label)`` before each cell says whether the next cell is the student's
  ("student") or a test ("test"); before a test it also restores every function of the
  watched modules (NumPy, ``builtins``, ``math``, ``helpers.testing``, ...) that student
  code replaced, and reports each one. A monkeypatched assertion helper therefore never
  decides a grade.
- An audit hook (PEP 578; it cannot be removed once added) records what student code
  does that grading code never needs: reading files outside its folder, frame and garbage-
  collector introspection, ``ctypes``, subprocesses and sockets. Events go to the
  append-only file descriptor the sandbox launcher opened (``COURSE_GUARD_FD``), so what
  happened before any tampering stays on record even if the kernel dies, and are also
  returned by ``enter``.

This is detection, not a wall: the guard shares a process with the student's code. The
sandbox is the wall; the static scan (``grading.integrity``) flags the tools that could
defeat the guard (``gc``, ``ctypes``, ``sys.modules``) for a person to look at.
"""

import builtins
import json
import os
import sys

WATCHED_MODULES = ("builtins", "math", "numpy", "numpy.testing", "numpy.linalg", "numpy.random",
                   "helpers", "helpers.testing", "helpers.gradcheck", "helpers.data",
                   "scipy.special", "scipy.stats", "sklearn.metrics", "sklearn.linear_model",
                   "sklearn.neighbors")
#: Imported by the guard itself; the others are watched from when the instructor's cells
#: import them (snapshots are taken after instructor cells, never after student cells).
EAGER_MODULES = ("builtins", "math", "numpy", "numpy.testing", "numpy.linalg", "numpy.random",
                 "helpers", "helpers.testing", "helpers.gradcheck")
#: Packages whose functions, bound to a name by an instructor's cell, are restored by name.
WATCHED_ROOTS = ("numpy", "helpers", "scipy", "sklearn", "tensorflow", "keras", "math", "builtins")
#: IPython's lists of input and AST transformers (a student could turn every test into ``pass``).
SHELL_LISTS = ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")
_MISSING = object()
#: Packages whose IPython event callbacks are theirs to register (a student's lambda is not).
TRUSTED_CALLBACK_PACKAGES = {"matplotlib", "matplotlib_inline", "IPython", "ipykernel", "ipywidgets",
                             "tensorflow", "keras", "tqdm"}
#: Standard-library modules whose frame functions are thin wrappers around sys._getframe.
WRAPPERS = ("/inspect.py", "/traceback.py")
_PLAIN_CALLABLES = (type, type(len), type(lambda: 0))

#: Builtins that IPython itself swaps in and out around every cell.
IPYTHON_BUILTINS = {"get_ipython", "exit", "quit", "display"}
#: Events recorded when any frame on the stack is a student cell.
ANY_STUDENT_FRAME = {"open", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn",
                     "os.spawn", "os.kill", "os.fork", "socket.connect", "socket.bind",
                     "sys.addaudithook"}
#: Events recorded when the student's own code called the function directly (libraries
#: such as TensorBoard use ctypes and frames themselves, on the student's behalf).
CALLER_IS_STUDENT = {"sys._getframe", "sys._current_frames", "gc.get_objects", "gc.get_referrers",
                     "gc.get_referents", "sys.settrace", "sys.setprofile", "ctypes.dlopen",
                     "ctypes.dlsym", "ctypes.string_at", "ctypes.wstring_at", "ctypes.cdata",
                     "ctypes.addressof", "ctypes.call_function"}


class _Guard:
    def __init__(self, shell):
        self.shell = shell
        self.kind, self.label = "setup", ""
        self.student_files: dict[str, str] = {}
        self.findings: list[dict] = []
        self.reported = 0
        self.fd = int(os.environ.get("COURSE_GUARD_FD", "-1"))
        self.busy = False
        self.sandboxed = os.environ.get("COURSE_SANDBOX") == "1"
        self.allowed_roots = tuple(os.path.realpath(p) + os.sep for p in self._allowed_folders())
        # Folders bwrap created in the private /tmp on the way to a bound folder (this
        # kernel's own, when the course lives under /tmp): nothing of the student's is there.
        cwd = os.path.realpath(os.getcwd())
        self.mount_parents = {os.path.dirname(cwd)} if cwd.startswith("/tmp/") else set()
        while self.mount_parents and min(self.mount_parents, key=len) not in ("/tmp", "/"):
            self.mount_parents.add(os.path.dirname(min(self.mount_parents, key=len)))
        self.mount_parents.discard("/tmp")
        import sysconfig

        self.library_roots = tuple({sysconfig.get_paths()[k] + os.sep for k in ("purelib", "platlib")})
        self.snapshot: dict[str, dict] = {}
        self.names: dict[str, object] = {}  # user-namespace names the instructor's cells bound
        self._snapshot_new_modules()
        self.shell_state = None  # taken at the first ``enter``, after install() registered its hook

    def _allowed_folders(self):
        """Where student code may read: its own folder, Python, the OS, ``helpers`` and its
        data, course data folders; inside the sandbox also its private home."""
        folders = {sys.prefix, sys.base_prefix, os.getcwd(), "/usr", "/etc", "/proc/self", "/sys",
                   "/dev", os.path.dirname(self.shell.compile.get_code_name("", "", 0))}
        folders |= {os.environ[k] for k in ("COURSE_DATA_DIR", "KERAS_HOME") if os.environ.get(k)}
        helpers = sys.modules.get("helpers")
        if helpers is not None and getattr(helpers, "__file__", None):
            package = os.path.dirname(helpers.__file__)
            folders |= {package, os.path.join(os.path.dirname(package), "data")}
        if self.sandboxed:
            folders.add(os.path.expanduser("~"))  # private to the sandbox
        return folders

    def _path_allowed(self, path):
        real = os.path.realpath(path)
        if real.startswith(self.allowed_roots):
            return True
        # The sandbox's /tmp is private: what exists there (or is being created in an
        # existing folder) is the student's own; a path that leads nowhere is a probe.
        parent = os.path.dirname(real)
        return (self.sandboxed and real.startswith("/tmp/")
                and (os.path.exists(real) or (os.path.isdir(parent) and parent not in self.mount_parents)))

    # -------------------------------------------------------------- snapshots
    @staticmethod
    def _state_of(module):
        """What a test relies on in ``module``: its functions (with their code and
        defaults, which can be swapped without replacing the function), classes and
        submodules; for the course's own modules every attribute."""
        own = module.__name__.startswith("helpers")
        state = {}
        for key, value in vars(module).items():
            if module is builtins and key in IPYTHON_BUILTINS:
                continue
            if callable(value) or type(value) is type(sys) or (own and not key.startswith("__")):
                code = getattr(value, "__code__", None)
                state[key] = (value, code, getattr(value, "__defaults__", None),
                              getattr(value, "__kwdefaults__", None))
        return state

    def _snapshot_new_modules(self):
        for name in WATCHED_MODULES:
            module = sys.modules.get(name)
            if module is None and name in EAGER_MODULES:
                try:
                    __import__(name)
                    module = sys.modules[name]
                except Exception:  # a course without helpers or NumPy still gets the rest
                    continue
            if module is not None and name not in self.snapshot:
                self.snapshot[name] = self._state_of(module)

    def _shell_state(self):
        shell = self.shell
        classes = {cls: {k: v for k, v in vars(cls).items() if callable(v)}
                   for cls in type(shell).__mro__ if cls.__module__.startswith(("IPython", "ipykernel"))}
        return {
            "lists": {name: list(getattr(shell, name)) for name in SHELL_LISTS if hasattr(shell, name)},
            "events": {k: list(v) for k, v in shell.events.callbacks.items()},
            "instance": dict(vars(shell)),
            "classes": classes,
            "custom_exceptions": shell.custom_exceptions,
        }

    # -------------------------------------------------------------- called by the grader
    def enter(self, kind, label):
        """Record the next cell's kind ("student", "test" or "other", the instructor's).

        After an instructor's cell its changes become the baseline (new modules, names it
        bound, IPython hooks such as matplotlib's); before an instructor's cell, and so
        before every test, whatever student code changed since is undone and reported.
        """
        self.busy = False
        if self.kind != "student" or self.shell_state is None:
            self._remember_names()
            self._snapshot_new_modules()
            self.shell_state = self._shell_state()
        self.kind, self.label = kind, label
        if kind != "student":
            self._restore_modules()
            self._restore_names()
            self._restore_shell()
        new = self.findings[self.reported:]
        self.reported = len(self.findings)
        return json.dumps(new)

    def _restore_modules(self):
        for name, saved in self.snapshot.items():
            module = sys.modules.get(name)
            if module is None:
                continue
            current = vars(module)
            for attr, (value, code, defaults, kwdefaults) in saved.items():
                if current.get(attr, _MISSING) is not value:
                    setattr(module, attr, value)
                    self._record("monkeypatch", f"{name}.{attr} was replaced or deleted; restored before the next instructor cell")
                elif code is not None and (value.__code__ is not code or value.__defaults__ is not defaults
                                           or value.__kwdefaults__ is not kwdefaults):
                    value.__code__, value.__defaults__, value.__kwdefaults__ = code, defaults, kwdefaults
                    self._record("monkeypatch", f"the code of {name}.{attr} was replaced; restored before the next instructor cell")

    def _remember_names(self):
        """After an instructor's cell: the modules and watched functions it bound by name."""
        for key, value in self.shell.user_ns.items():
            if key.startswith("_") or key in self.names:
                continue
            if type(value) is type(sys):
                self.names[key] = value
            elif isinstance(value, _PLAIN_CALLABLES):  # functions and classes, not objects
                module = getattr(value, "__module__", None)
                if isinstance(module, str) and module.split(".")[0] in WATCHED_ROOTS:
                    self.names[key] = value

    def _restore_names(self):
        namespace = self.shell.user_ns
        for key, value in self.names.items():
            if namespace.get(key, _MISSING) is not value:
                namespace[key] = value
                self._record("monkeypatch", f"the name {key!r} (set by the instructor's code) was rebound; restored before the next instructor cell")

    def _restore_shell(self):
        shell, saved = self.shell, self.shell_state
        for name, items in saved["lists"].items():
            current = getattr(shell, name)
            if list(current) != items:
                current[:] = items
                self._record("monkeypatch", f"IPython's {name} was changed; restored before the next instructor cell")
        for event, callbacks in saved["events"].items():
            current = shell.events.callbacks.get(event, [])
            # Libraries register their own (matplotlib's inline backend flushes figures after
            # each cell): kept. Callbacks defined in the notebook, and removals, are undone.
            kept = [cb for cb in current if cb in callbacks or _from_library(cb)]
            if kept != current or any(cb not in current for cb in callbacks):
                shell.events.callbacks[event] = [cb for cb in callbacks] + [cb for cb in kept if cb not in callbacks]
                self._record("monkeypatch", f"IPython's {event} callbacks were changed; restored before the next instructor cell")
        for key in [k for k, v in vars(shell).items() if callable(v) and saved["instance"].get(k, _MISSING) is not v]:
            if key in saved["instance"]:
                setattr(shell, key, saved["instance"][key])
            else:
                delattr(shell, key)
            self._record("monkeypatch", f"the kernel's {key} was replaced; restored before the next instructor cell")
        for cls, methods in saved["classes"].items():
            for key, value in methods.items():
                if vars(cls).get(key, _MISSING) is not value:
                    setattr(cls, key, value)
                    self._record("monkeypatch", f"{cls.__name__}.{key} was replaced; restored before the next instructor cell")
        if shell.custom_exceptions != saved["custom_exceptions"]:
            shell.set_custom_exc((), None)
            self._record("monkeypatch", "a custom exception handler was installed; removed before the next instructor cell")

    # -------------------------------------------------------------- audit hook
    def register_cell(self, info):
        if self.kind == "student":
            self.student_files[self.shell.compile.get_code_name(info.raw_cell, "", 0)] = self.label

    def _student_frame(self, depth_limit, through_libraries=True):
        """The student cell on the stack that caused the event, or None.

        Without ``through_libraries`` a third-party library frame met first means the
        library acted on its own (matplotlib running ``fc-list`` when the student imports it).
        """
        frame = sys._getframe(2)
        if depth_limit == 1 and frame is not None and frame.f_code.co_filename.endswith(WRAPPERS):
            depth_limit = 2  # inspect.currentframe() and friends call sys._getframe for the student
        depth = 0
        while frame is not None and depth < depth_limit:
            filename = frame.f_code.co_filename
            label = self.student_files.get(filename)
            if label is not None:
                return label
            if not through_libraries and filename.startswith(self.library_roots):
                return None
            frame = frame.f_back
            depth += 1
        return None

    def audit(self, event, args):
        if self.busy or (event not in ANY_STUDENT_FRAME and event not in CALLER_IS_STUDENT):
            return
        self.busy = True
        try:
            if event == "open":
                path = args[0]
                if not isinstance(path, str) or self._path_allowed(path):
                    return
            cell = self._student_frame(200 if event in ANY_STUDENT_FRAME else 1,
                                       through_libraries=event == "open")
            if cell is not None:
                detail = " ".join(repr(a)[:120] for a in args[:2])
                self._record(event, detail, cell)
        except Exception:
            pass
        finally:
            self.busy = False

    def _record(self, event, detail, cell=None):
        item = {"event": event, "detail": detail, "cell": cell or self.label}
        if item in self.findings[-50:]:
            return
        self.findings.append(item)
        if self.fd >= 0:
            try:
                os.write(self.fd, (json.dumps(item) + "\n").encode())
            except OSError:
                pass


def _from_library(callback) -> bool:
    """Whether an event callback belongs to an installed package (not to the notebook)."""
    module = getattr(getattr(callback, "__func__", callback), "__module__", None) or ""
    return module.split(".")[0] in TRUSTED_CALLBACK_PACKAGES


def install():
    """Start guarding this kernel; reachable as ``sys.modules['_course_guard']``."""
    shell = get_ipython()  # noqa: F821 (defined in the kernel)
    # Files submitted beside the notebook (a folder named helpers/, say) are not importable:
    # the working folder leaves the import path before anything is imported from it.
    cwd = os.path.realpath(os.getcwd())
    sys.path[:] = [p for p in sys.path if p not in ("", ".") and os.path.realpath(p) != cwd]
    try:
        import helpers  # noqa: F401 (its folder is where student code may read)
    except ImportError:
        pass
    guard = _Guard(shell)
    shell.events.register("pre_run_cell", guard.register_cell)  # before the first state snapshot
    sys.addaudithook(guard.audit)
    module = type(sys)("_course_guard")
    module.enter = guard.enter
    sys.modules["_course_guard"] = module
