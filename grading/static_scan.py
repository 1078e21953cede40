"""Static scan of a submitted notebook: suspicious code for the instructor's integrity report.

This is detection for a human to review, not prevention. The sandbox and the runtime guard
are what stop a submission from reading the solutions or faking a test; this scan only
lists code that looks like an attempt, with the cell and line, so the instructor can read
it. Hence the rules are narrow: an honest course notebook (the source with its solutions,
or the untouched student release) must give no finding at all, and the tests check that
for every notebook of the course.

Two sorts of findings:

- structure (``line`` is None): a grade_id used by several cells, a graded or locked cell
  deleted, a locked cell edited (nbgrader checksum), nbgrader metadata changed;
- code: every code cell except the instructor's test cells (nbgrader restores those) is
  parsed with :mod:`ast` and checked for monkeypatching, objects that lie about equality
  or type, introspection of frames and the notebook history, paths of grader files,
  native code, processes, network, and ways to stop the kernel.
"""

from __future__ import annotations

import ast
import copy
import fnmatch
import functools
import re
from dataclasses import asdict, dataclass

import nbformat
from nbgrader import utils

from grading.preprocessors.speaker_notes import is_speaker_notes

KINDS = ("structure", "monkeypatch", "lying-object", "introspection", "file-access",
         "native-code", "process", "network", "kernel-exit", "syntax", "scan-failed")


@dataclass(frozen=True)
class Finding:
    """One suspicious thing, in words for the instructor."""

    kind: str          # one of KINDS
    cell: str          # the cell's grade_id, else "cell <1-based index in the submission>"
    line: int | None   # 1-based line in the cell; None for structure findings
    detail: str        # one plain-English sentence
    source: str = "static"

    def to_json(self) -> dict:
        return asdict(self)


#: Names taken for modules even where no import binds them (imports in any cell override).
DEFAULT_MODULES = {
    "np": "numpy", "numpy": "numpy", "tf": "tensorflow", "tensorflow": "tensorflow",
    "builtins": "builtins", "__builtins__": "builtins", "helpers": "helpers",
    "testing": "testing", "math": "math", "sys": "sys", "os": "os", "scipy": "scipy",
    "sklearn": "sklearn", "plt": "matplotlib.pyplot", "matplotlib": "matplotlib",
}

#: Qualified names (a module covers everything in it; ``*`` is a wildcard) -> (kind, why).
RULES = {
    "builtins": ("monkeypatch", "can replace built-in functions"),
    "sys.modules": ("monkeypatch", "can swap a module for a fake one"),
    "sys._getframe": ("introspection", "reads the caller's frames"),
    "sys._current_frames": ("introspection", "reads the grader's frames"),
    "sys.settrace": ("introspection", "traces the grader's code"),
    "sys.setprofile": ("introspection", "traces the grader's code"),
    "inspect": ("introspection", "can read frames and source code"),
    "gc": ("introspection", "can reach every object in the kernel"),
    "traceback.extract_stack": ("introspection", "reads the caller's frames"),
    "traceback.walk_stack": ("introspection", "reads the caller's frames"),
    "ctypes": ("native-code", "runs native code"),
    "_ctypes": ("native-code", "runs native code"),
    "cffi": ("native-code", "runs native code"),
    "subprocess": ("process", "starts processes"),
    "pty": ("process", "starts processes"),
    "multiprocessing": ("process", "starts processes"),
    "os.system": ("process", "runs a shell command"),
    "os.popen": ("process", "runs a shell command"),
    "os.fork": ("process", "starts a process"),
    "os.forkpty": ("process", "starts a process"),
    "os.exec*": ("process", "replaces the kernel with another program"),
    "os.spawn*": ("process", "starts a process"),
    "os.posix_spawn*": ("process", "starts a process"),
    "socket": ("network", "opens network connections"),
    "urllib": ("network", "opens network connections"),
    "http": ("network", "opens network connections"),
    "requests": ("network", "opens network connections"),
    "ftplib": ("network", "opens network connections"),
    "smtplib": ("network", "opens network connections"),
    "os._exit": ("kernel-exit", "can stop the kernel during grading"),
    "os.kill": ("kernel-exit", "can stop the kernel during grading"),
    "os.abort": ("kernel-exit", "can stop the kernel during grading"),
    "sys.exit": ("kernel-exit", "can stop the kernel during grading"),
    "signal": ("kernel-exit", "can stop or interrupt the kernel during grading"),
    "faulthandler": ("kernel-exit", "can stop the kernel during grading"),
    "IPython.get_ipython": ("introspection", "controls the kernel that runs the tests"),
    "IPython.core": ("introspection", "controls the kernel that runs the tests"),
    "IPython.display.clear_output": ("introspection", "can clear a test's error"),
    "ipykernel": ("introspection", "controls the kernel that runs the tests"),
    "_course_guard": ("monkeypatch", "reaches the grader's integrity guard"),
    "sys.displayhook": ("monkeypatch", "can fake a test's result"),
    "sys.excepthook": ("monkeypatch", "can hide a test's error"),
}

LYING_METHODS = frozenset(
    "__eq__ __ne__ __lt__ __le__ __gt__ __ge__ __array__ __array_ufunc__ __array_function__ "
    "__array_interface__ __array_priority__ __bool__ __float__ __int__ __index__ "
    "__getattribute__ __instancecheck__ __subclasscheck__ __hash__".split())
FRAME_ATTRIBUTES = frozenset(
    "f_back f_locals f_globals f_code __globals__ __closure__ __code__ __subclasses__ "
    "__mro__ __bases__ __self__ tb_frame gi_frame cr_frame".split())
HISTORY_NAMES = re.compile(r"In|Out|_ih|_oh|_i|_ii|_iii|_i\d+")
#: Substrings of string literals that point at grader files.
FILE_MARKERS = ("solutions", "source/", "gradebook", "autograded", "submitted", "feedback",
                "../", "/root", "/home", "~/", "nbgrader", ".ipynb", "/etc/")
#: A marker ending in a letter must end a word there ("/home" is not "/homework").
FILE_MARKER = re.compile("|".join(re.escape(m) + ("(?![a-z0-9])" if m[-1].isalnum() else "")
                                  for m in FILE_MARKERS))
SHELL_CELL_MAGICS = frozenset({"bash", "sh", "script", "system", "!", "sx", "perl", "ruby"})
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
#: ``!cmd``, ``%magic`` and ``x = !cmd`` lines (IPython syntax, not Python).
MAGIC_LINE = re.compile(r"^(\s*)(?:[\w.]+\s*=\s*)?([!%])")


def rule_for(qualname: str) -> tuple[str, str] | None:
    """(kind, why) of the most specific rule covering ``qualname``, else None."""
    hits = [p for p in RULES
            if qualname == p or qualname.startswith(p + ".") or fnmatch.fnmatchcase(qualname, p)]
    return RULES[max(hits, key=len)] if hits else None


def file_marker(text: str) -> str | None:
    """The grader-file marker in a path-like string (no spaces or a slash), else None."""
    if "/" not in text and "\\" not in text and any(ch.isspace() for ch in text):
        return None  # an English sentence ("see the feedback"), not a path
    match = FILE_MARKER.search(text.lower())
    return match.group() if match else None


def dynamic_import(node: ast.AST, modules: dict[str, str]) -> str | None:
    """The module of ``__import__("m")`` or ``importlib.import_module("m")``, else None."""
    if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and qualified(node.func, {**modules, "__import__": "__import__"})
            in ("__import__", "importlib.import_module")):
        return node.args[0].value
    return None


def qualified(node: ast.AST, modules: dict[str, str]) -> str | None:
    """``np.testing.x`` -> "numpy.testing.x" when the leftmost name is in ``modules`` (or is
    ``__import__("numpy")``), else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    base = (modules.get(node.id) if isinstance(node, ast.Name)
            else dynamic_import(node, modules) if isinstance(node, ast.Call) else None)
    return ".".join([base, *reversed(parts)]) if base else None


def module_alias(node: ast.AST, modules: dict[str, str]) -> tuple[str, str] | None:
    """``m = __import__("inspect")`` or ``t = np``: (name, module) of a module renamed."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        target = dynamic_import(node.value, modules) or (
            modules.get(node.value.id) if isinstance(node.value, ast.Name) else None)
        if target:
            return node.targets[0].id, target
    return None


def collect_aliases(trees: list[ast.Module]) -> dict[str, str]:
    """Names bound to modules (or to things imported from them) anywhere in the notebook,
    the default module names included."""
    modules = dict(DEFAULT_MODULES)
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        modules[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        modules[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name != "*":
                        modules[a.asname or a.name] = f"{node.module}.{a.name}"
            elif alias := module_alias(node, modules):
                modules[alias[0]] = alias[1]
    return modules


def strip_magics(code: str) -> tuple[str | None, list[tuple[int, str, str]]]:
    """Python text of a cell (magic lines blanked, line numbers kept) and magic findings.

    Returns ``(None, findings)`` for a cell magic whose body is not Python (``%%bash``).
    """
    lines = code.split("\n")
    found: list[tuple[int, str, str]] = []
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        magic = first[2:].split(maxsplit=1)[0] if first[2:].strip() else ""
        if magic not in PYTHON_CELL_MAGICS:  # the body is not Python: read it as text
            marker = file_marker(code)
            if marker:
                found.append((1, "file-access", f"cell magic {first[:80]!r} mentions {marker!r}"))
            if magic in SHELL_CELL_MAGICS or magic.startswith("!"):
                found.append((1, "process", f"runs the cell as a shell script ({first[:80]!r})"))
            return None, found
        lines[0] = ""
    for number, line in enumerate(lines, 1):
        match = MAGIC_LINE.match(line)
        if not match:
            continue
        text = line.strip()
        if match.group(2) == "!" or re.match(r"[\w.]+\s*=\s*%\s*(sx|system)\b|%(sx|system|sc)\b", text):
            found.append((number, "process", f"runs a shell command: {text[:80]!r}"))
        marker = file_marker(text)
        if marker:
            found.append((number, "file-access", f"IPython line {text[:80]!r} mentions {marker!r}"))
        lines[number - 1] = match.group(1) + "pass"
    return "\n".join(lines), found


class CodeScanner(ast.NodeVisitor):
    """Code findings of one parsed cell, as (line, position in the line, kind, detail)."""

    def __init__(self, modules: dict[str, str], tree: ast.Module) -> None:
        # Names the cell binds itself (an argument, ``data = ...``, ``for _i in ...``) are
        # its own variables there, not the module or IPython name of the same spelling.
        renames = {id(n.targets[0]) for n in ast.walk(tree) if module_alias(n, modules)}
        self.bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                      and isinstance(n.ctx, ast.Store) and id(n) not in renames}
        self.bound |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments)
                       for a in [*n.posonlyargs, *n.args, *n.kwonlyargs, n.vararg, n.kwarg] if a}
        self.bound |= {n.name for n in ast.walk(tree)
                       if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        self.modules = {k: v for k, v in modules.items() if k not in self.bound}
        self.docstrings = {id(n.value) for n in ast.walk(tree)
                           if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        self.found: list[tuple[int, tuple, str, str]] = []  # (line, position, kind, detail)

    def add(self, node: ast.AST, kind: str, detail: str) -> None:
        where = tuple(getattr(node, key, 0) for key in ("col_offset", "end_lineno", "end_col_offset"))
        self.found.append((getattr(node, "lineno", 1), where, kind, detail))

    def check_name(self, node: ast.AST, qualname: str, verb: str) -> bool:
        rule = rule_for(qualname)
        if rule:
            self.add(node, rule[0], f"{verb} {qualname} ({rule[1]})")
        return rule is not None

    # imports ---------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self.check_name(node, a.name, "imports")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            for a in node.names:
                name = node.module if a.name == "*" else f"{node.module}.{a.name}"
                self.check_name(node, name, "imports")

    # names and attributes --------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if node.id == "__builtins__":
            self.add(node, "monkeypatch", "uses __builtins__ (can replace built-in functions)")
        elif (HISTORY_NAMES.fullmatch(node.id) and isinstance(node.ctx, ast.Load)
              and node.id not in self.bound):
            self.add(node, "introspection",
                     f"reads IPython's history variable {node.id} (can read other cells' code and outputs)")
        elif node.id == "get_ipython" and node.id not in self.bound:
            self.add(node, "introspection", "uses get_ipython() (reaches into the kernel)")
        elif isinstance(node.ctx, ast.Load):
            qualname = qualified(node, self.modules)
            if qualname:
                self.check_name(node, qualname, "uses")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        qualname = qualified(node, self.modules)
        if node.attr == "__class__" and not isinstance(node.ctx, ast.Load):
            self.add(node, "monkeypatch", "assigns __class__ (changes an object's type after the fact)")
        elif qualname and not isinstance(node.ctx, ast.Load):
            verb = "deletes" if isinstance(node.ctx, ast.Del) else "assigns"
            self.add(node, "monkeypatch", f"{verb} {qualname} (monkeypatching a module)")
            return
        if node.attr in FRAME_ATTRIBUTES:
            self.add(node, "introspection", f"accesses .{node.attr} (reaches into frames or function internals)")
        elif node.attr == "__builtins__":
            self.add(node, "monkeypatch", "uses __builtins__ (can replace built-in functions)")
        elif node.attr == "__dict__" and qualified(node.value, self.modules):
            self.add(node, "monkeypatch",
                     f"uses {qualified(node.value, self.modules)}.__dict__ (can monkeypatch a module)")
        if qualname and self.check_name(node, qualname, "uses"):
            return  # the whole chain is reported; its prefixes would only repeat it
        self.generic_visit(node)

    # calls -----------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func.id if isinstance(node.func, ast.Name) else None
        module = dynamic_import(node, self.modules)
        if module:
            self.check_name(node, module, "dynamically imports")
        if func in ("exit", "quit") and func not in self.bound:
            self.add(node, "kernel-exit", f"calls {func}() (can stop the kernel during grading)")
        if func in ("exec", "eval", "compile") and node.args and isinstance(node.args[0], ast.Constant):
            self.scan_string(node, func, node.args[0].value)
        if func in ("setattr", "delattr", "getattr", "hasattr") and node.args:
            self.attribute_call(node, func)
        if (func == "type" and len(node.args) == 3 and isinstance(node.args[2], ast.Dict)):
            keys = {k.value for k in node.args[2].keys if isinstance(k, ast.Constant)}
            self.lying(node, "a class made with type()", keys)
        self.generic_visit(node)

    def scan_string(self, node: ast.Call, func: str, code: object) -> None:
        """The findings of code hidden in a string run by exec/eval/compile, at the call's line."""
        try:
            tree = ast.parse(code) if isinstance(code, str) else None
        except SyntaxError:
            return
        if tree is not None:
            inner = CodeScanner(self.modules, tree)
            inner.visit(tree)
            for _, _, kind, detail in inner.found:
                self.add(node, kind, f"{detail}, in a string run by {func}()")

    def attribute_call(self, node: ast.Call, func: str) -> None:
        """setattr/delattr on a module; getattr(x, "f_back") and friends spelled as strings."""
        target = qualified(node.args[0], self.modules)
        name = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else None
        if func in ("setattr", "delattr") and target:
            self.add(node, "monkeypatch", f"calls {func} on {target} (monkeypatching a module)")
        if not isinstance(name, str):
            return
        if name in FRAME_ATTRIBUTES:
            self.add(node, "introspection", f"accesses .{name} via {func} (reaches into frames or function internals)")
        elif name in ("__builtins__", "__dict__") and target:
            self.add(node, "monkeypatch", f"uses {name} via {func} (can monkeypatch a module)")
        elif func == "setattr" and name == "__class__":
            self.add(node, "monkeypatch", "assigns __class__ via setattr (changes an object's type after the fact)")
        elif func == "setattr" and name in LYING_METHODS:
            self.add(node, "lying-object", f"sets {name} via setattr (an object that can fake comparisons or type checks)")
        if target:
            self.check_name(node, f"{target}.{name}", "uses")

    def visit_Raise(self, node: ast.Raise) -> None:
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if isinstance(exc, ast.Name) and exc.id == "SystemExit":
            self.add(node, "kernel-exit", "raises SystemExit (can stop the kernel during grading)")
        self.generic_visit(node)

    # classes and strings ---------------------------------------------------------------
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        names = set()
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(stmt.name)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
        self.lying(node, f"class {node.name}", names)
        self.generic_visit(node)

    def lying(self, node: ast.AST, what: str, names: set) -> None:
        lies = sorted(LYING_METHODS.intersection(names))
        if lies:
            self.add(node, "lying-object",
                     f"{what} defines {', '.join(lies)} (an object that can fake comparisons or type checks)")

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and id(node) not in self.docstrings:
            marker = file_marker(node.value)
            if marker:
                literal = node.value if len(node.value) <= 80 else node.value[:77] + "..."
                self.add(node, "file-access", f"string {literal!r} refers to grader files ({marker!r})")


@functools.lru_cache(maxsize=512)
def parse_cell(code: str) -> tuple[ast.Module | None, tuple[tuple[int | None, str, str], ...]]:
    """The cell's syntax tree (None if there is no Python to scan) and its magic/syntax findings.

    A cell that parses as it is has no magics (a line starting with ``%`` there is the
    continuation of an expression); otherwise the IPython lines are blanked first.
    Cached: the source and the submission share most cells, and trees are only read.
    """
    try:
        return ast.parse(code), ()
    except SyntaxError:
        python, found = strip_magics(code)
    if python is None:
        return None, tuple(found)
    try:
        return ast.parse(python), tuple(found)
    except SyntaxError as error:
        syntax = (error.lineno, "syntax", f"the cell does not parse as Python ({error.msg}), so it was not scanned")
        return None, (*found, syntax)


def _tree(code: str) -> ast.Module | None:
    """The cell's syntax tree, or None (also where parsing itself fails, e.g. on a
    RecursionError from a deeply nested expression; ``scan_code`` reports that cell)."""
    try:
        return parse_cell(code)[0]
    except Exception:  # noqa: BLE001
        return None


def scan_code(code: str, modules: dict[str, str]) -> list[tuple[int | None, str, str]]:
    """Code findings of one cell's source as (line, kind, detail), sorted by line."""
    tree, found = parse_cell(code)
    findings = list(found)
    if tree is not None:
        scanner = CodeScanner(modules, tree)
        scanner.visit(tree)
        findings += [(line, kind, detail) for line, _, kind, detail in sorted(scanner.found)]
    return sorted(findings, key=lambda f: f[0] or 0)  # stable: columns keep their order


def grade_id(cell: nbformat.NotebookNode) -> str | None:
    """The cell's nbgrader grade_id (a submission's metadata may hold anything: not a str
    becomes its repr, so ids stay hashable and printable)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    gid = meta.get("grade_id") if isinstance(meta, dict) else None
    return gid if gid is None or isinstance(gid, str) else repr(gid)[:100]


def malformed(cell: nbformat.NotebookNode) -> bool:
    """nbgrader metadata that is not a dict with a grade_id string (dropped before grading)."""
    metadata = cell.get("metadata", {})
    if "nbgrader" not in metadata:
        return False
    meta = metadata["nbgrader"]
    return not (isinstance(meta, dict) and isinstance(meta.get("grade_id"), str) and meta["grade_id"])


def is_known(cell: nbformat.NotebookNode) -> bool:
    """Whether nbgrader records the source cell in the gradebook (graded, solution, locked or task)."""
    return bool(utils.is_grade(cell) or utils.is_solution(cell) or utils.is_locked(cell) or utils.is_task(cell))


def is_test(cell: nbformat.NotebookNode) -> bool:
    """An instructor's test cell: graded, not a solution (nbgrader restores its source)."""
    return bool(utils.is_grade(cell) and not utils.is_solution(cell))


def describe(cell: nbformat.NotebookNode) -> str:
    return "test cell" if is_test(cell) else "graded cell" if utils.is_grade(cell) else "locked cell"


def metadata_changes(cell: nbformat.NotebookNode, original: nbformat.NotebookNode) -> list[str]:
    """``["points 1 -> 100", ...]``: nbgrader flags that differ from the source cell."""
    new, old = cell.metadata.get("nbgrader", {}), original.metadata.nbgrader
    changes = []
    for key in ("points", "grade", "solution", "locked"):
        normal = (lambda v: None if v is None else float(v)) if key == "points" else bool
        try:
            differs = normal(new.get(key)) != normal(old.get(key))
        except (TypeError, ValueError):
            differs = True
        if differs:
            changes.append(f"{key} {old.get(key)} -> {new.get(key)}")
    return changes


def source_edited(cell: nbformat.NotebookNode, original: nbformat.NotebookNode | None) -> bool:
    """Whether a locked cell's text or type differs from the release (nbgrader's checksum).

    The checksum is taken with the source cell's flags, so that changed metadata is
    reported as such and not also as an edit.
    """
    meta = cell.metadata.get("nbgrader", {})
    locked = utils.is_locked(cell) or (original is not None and utils.is_locked(original))
    if not locked or "checksum" not in meta:
        return False
    probe = copy.deepcopy(cell)
    if original is not None:
        for key in ("grade", "solution", "locked", "points"):
            if key in original.metadata.nbgrader:
                probe.metadata.nbgrader[key] = original.metadata.nbgrader[key]
    try:
        return utils.compute_checksum(probe) != meta["checksum"]
    except (KeyError, TypeError, ValueError):
        return True


def structure_findings(cell: nbformat.NotebookNode, label: str, copies: int,
                       original: nbformat.NotebookNode | None) -> list[str]:
    found = []
    if copies > 1:
        found.append(f"duplicated cell {label} ({copies} copies)")
    what = describe(original) if original is not None else "locked cell"
    if source_edited(cell, original):
        found.append(f"edited {what} {label}; nbgrader restores the original before grading")
    if original is not None:
        changes = metadata_changes(cell, original)
        if changes:
            found.append(f"changed nbgrader metadata of {label}: {', '.join(changes)}")
    return found


def scan_submission(submitted: nbformat.NotebookNode, source: nbformat.NotebookNode) -> list[Finding]:
    """Findings in notebook order, each (kind, cell, detail) at most once.

    ``source`` is the instructor's nbgrader source notebook, ``submitted`` the student's.
    Code cells are scanned except the source's test cells; of a test cell's duplicates
    only the last copy is skipped, because nbgrader's ``DeduplicateIds`` keeps the last
    one and turns the earlier copies into plain cells, which then run.
    """
    originals = {grade_id(c): c for c in source.cells if grade_id(c) and is_known(c)}
    ids = [None if malformed(c) else grade_id(c) for c in submitted.cells]
    code_cells = [c for c in [*source.cells, *submitted.cells] if c.cell_type == "code"]
    aliases = collect_aliases([t for t in map(_tree, (c.source for c in code_cells)) if t])

    findings: list[Finding] = []
    for index, cell in enumerate(submitted.cells):
        cid = ids[index]
        label = cid or f"cell {index + 1}"
        original = originals.get(cid)
        if malformed(cell):
            # grading.preprocessors.DropMalformedMetadata drops it before nbgrader reads it.
            cid, label = None, f"cell {index + 1}"
            findings.append(Finding("structure", label, None,
                                    "cell with malformed nbgrader metadata (no grade id): it was dropped"))
        elif cid and original is None:
            # grading.preprocessors.RestoreCellMetadata drops it: a plain cell from then on.
            label = f"cell {index + 1}"
            findings.append(Finding("structure", label, None, f"cell with unknown grade id {cid!r}: "
                                    "its nbgrader metadata was dropped"))
        else:
            for detail in structure_findings(cell, label, ids.count(cid) if cid else 1, original):
                findings.append(Finding("structure", label, None, detail))
        last_copy = cid not in ids[index + 1:]
        if cell.cell_type != "code" or (original is not None and is_test(original) and last_copy):
            continue
        try:
            found = scan_code(cell.source, aliases)
        except Exception as exc:  # noqa: BLE001 (RecursionError: a 20 000-term expression)
            found = [(None, "scan-failed", f"the cell could not be scanned ({type(exc).__name__}: "
                                           f"{str(exc)[:100]}); read it yourself")]
        for line, kind, detail in found:
            findings.append(Finding(kind, label, line, detail))
    present = set(ids)
    for cid, original in originals.items():
        # Speaker notes are not in the release (grading.preprocessors.speaker_notes): not deleted.
        if cid not in present and (utils.is_grade(original) or utils.is_locked(original)) and not is_speaker_notes(original):
            added_back = "; nbgrader adds it back" if utils.is_grade(original) else ""
            findings.append(Finding("structure", cid, None, f"deleted {describe(original)} {cid}{added_back}"))

    seen: set[tuple[str, str, str]] = set()
    unique = []
    for f in findings:
        if (f.kind, f.cell, f.detail) not in seen:
            seen.add((f.kind, f.cell, f.detail))
            unique.append(f)
    return unique
