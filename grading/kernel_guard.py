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

WATCHED_MODULES = ("builtins", "math", "numpy", "numpy.testing", "numpy.linalg", "helpers.testing",
                   "helpers.gradcheck")

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
        self.allowed_roots = tuple(os.path.realpath(p) + os.sep for p in self._allowed_folders())
        self.snapshot = {name: self._callables(mod) for name, mod in self._modules().items()}

    def _allowed_folders(self):
        """Where student code may read: its own folder, Python, the OS, ``helpers`` and its
        data; inside the sandbox also its private home. Not /tmp: outside the sandbox the
        grader's scratch courses live there."""
        folders = {sys.prefix, sys.base_prefix, os.getcwd(), "/usr", "/etc", "/proc/self", "/sys",
                   "/dev", os.path.dirname(self.shell.compile.get_code_name("", "", 0))}
        helpers = sys.modules.get("helpers")
        if helpers is not None and getattr(helpers, "__file__", None):
            package = os.path.dirname(helpers.__file__)
            folders |= {package, os.path.join(os.path.dirname(package), "data")}
        if os.environ.get("COURSE_SANDBOX") == "1":
            folders.add(os.path.expanduser("~"))  # private to the sandbox
        return folders

    @staticmethod
    def _modules():
        mods = {}
        for name in WATCHED_MODULES:
            try:
                __import__(name)
                mods[name] = sys.modules[name]
            except Exception:  # a course without helpers or NumPy still gets the rest
                continue
        return mods

    @staticmethod
    def _callables(module):
        return {k: v for k, v in vars(module).items()
                if (callable(v) or type(v) is type(sys)) and not (module is builtins and k in IPYTHON_BUILTINS)}

    # -------------------------------------------------------------- called by the grader
    def enter(self, kind, label):
        """Record the next cell's kind; before a test, undo and report monkeypatches."""
        self.kind, self.label = kind, label
        if kind == "test":
            self._restore()
        new = self.findings[self.reported:]
        self.reported = len(self.findings)
        return json.dumps(new)

    def _restore(self):
        for name, saved in self.snapshot.items():
            module = sys.modules.get(name)
            if module is None:
                continue
            current = vars(module)
            for attr, original in saved.items():
                if current.get(attr, None) is not original:
                    setattr(module, attr, original)
                    self._record("monkeypatch", f"{name}.{attr} was replaced or deleted; restored before the test")

    # -------------------------------------------------------------- audit hook
    def register_cell(self, info):
        if self.kind == "student":
            self.student_files[self.shell.compile.get_code_name(info.raw_cell, "", 0)] = self.label

    def _student_frame(self, depth_limit):
        frame = sys._getframe(2)
        depth = 0
        while frame is not None and depth < depth_limit:
            label = self.student_files.get(frame.f_code.co_filename)
            if label is not None:
                return label
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
                if not isinstance(path, str) or os.path.realpath(path).startswith(self.allowed_roots):
                    return
            cell = self._student_frame(200 if event in ANY_STUDENT_FRAME else 1)
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


def install():
    """Start guarding this kernel; reachable as ``sys.modules['_course_guard']``."""
    shell = get_ipython()  # noqa: F821 (defined in the kernel)
    try:
        import helpers  # noqa: F401 (its folder is where student code may read)
    except ImportError:
        pass
    guard = _Guard(shell)
    shell.events.register("pre_run_cell", guard.register_cell)
    sys.addaudithook(guard.audit)
    module = type(sys)("_course_guard")
    module.enter = guard.enter
    sys.modules["_course_guard"] = module
