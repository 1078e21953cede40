"""A semester in miniature on a real JupyterHub (hub/jupyterhub_config.py) on localhost.

One instructor and two students, each with a home folder of their own
(SimpleLocalProcessSpawner: one unix user, so no isolation between them; the hub's roles
still keep each user's token to their own server). Every step goes over HTTP through the
proxy to the users' own servers: the instructor generates, releases, collects, autogrades,
generates and releases feedback with formgrader's API; the students fetch, save their answers
(Jupyter's contents API), submit and fetch feedback with nbgrader's assignment-list API.

The single-user image (hub/Dockerfile) and the Kubernetes values (hub/z2jh-values.yaml) are
checked statically: no docker engine and no Kubernetes cluster can run here.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import nbformat
import psutil
import pytest
import requests
import yaml
from packaging.specifiers import SpecifierSet

from grading.course import REPO_ROOT
from grading.submissions import fill_answers
from tests.conftest import FIXTURE_CHECKS, FIXTURE_SOURCE, TINY

HUB_CONFIG = REPO_ROOT / "hub" / "jupyterhub_config.py"
PROXY = REPO_ROOT / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
COURSE_ID = "hub-course"
INSTRUCTOR, STUDENTS = "teacher", ("alice", "bob")
#: Deadlines, not sleeps: generous for a busy 2-core machine; a fast one returns at once.
START_S, GRADE_S = 300, 900


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check, timeout: float, every: float = 0.5):
    """Poll ``check()`` until it returns something truthy; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except requests.RequestException as e:
            last = e
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


class Hub:
    """A running hub: its URL, the course-admin token and one token per user."""

    def __init__(self, url: str, admin_token: str, log: Path):
        self.url, self.admin_token, self.log = url.rstrip("/"), admin_token, log
        self.tokens: dict[str, str] = {}

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def api(self, method: str, path: str, **kw) -> requests.Response:
        r = requests.request(method, f"{self.url}/hub/api{path}", timeout=60,
                             headers={"Authorization": f"token {self.admin_token}"}, **kw)
        assert r.status_code < 400, f"{method} {path}: {r.status_code} {r.text}"
        return r

    def start_server(self, user: str) -> None:
        self.api("POST", f"/users/{user}/server")

        def ready() -> bool:
            servers = self.api("GET", f"/users/{user}").json()["servers"]
            assert "" in servers, f"{user}'s server failed to start:\n{self.log_tail()}"
            return servers[""]["ready"]

        wait_for(f"{user}'s server", ready, START_S)
        # A token of the user's own, with the user's permissions only (not the admin's).
        self.tokens[user] = self.api("POST", f"/users/{user}/tokens",
                                     json={"note": "test"}).json()["token"]

    def server(self, user: str, method: str, path: str, as_user: str | None = None,
               timeout: float = 120, **kw) -> requests.Response:
        """A request to ``user``'s single-user server through the proxy, with ``as_user``'s token."""
        token = self.tokens[as_user or user]
        return requests.request(method, f"{self.url}/user/{user}{path}", timeout=timeout,
                                headers={"Authorization": f"token {token}"}, **kw)

    def ok_json(self, user: str, method: str, path: str, **kw):
        r = self.server(user, method, path, **kw)
        assert r.status_code == 200, f"{user} {method} {path}: {r.status_code} {r.text[:2000]}"
        return r.json()


def write_course(home: Path, exchange: Path) -> Path:
    """The instructor's course directory: course.toml, the course's nbgrader_config.py (the
    form the repository root's file has) and the tiny fixture assignment's source."""
    course = home / "dl-course"
    shutil.copytree(FIXTURE_SOURCE, course / "solutions")
    (course / "grading").mkdir()  # the gradebook's folder, as in the repository
    (course / "course.toml").write_text(
        f'[course]\nid = "{COURSE_ID}"\nexchange_root = "{exchange}"\n')
    (course / "nbgrader_config.py").write_text(
        "from pathlib import Path\n"
        "from grading.course import configure_nbgrader\n"
        "configure_nbgrader(get_config(), Path(__file__).resolve().parent)\n")
    # formgrader reads nbgrader_config.py from the server's working folder (the home):
    # the one-line set-up step of docs/instructor-guide.md.
    (home / "nbgrader_config.py").write_text('load_subconfig("dl-course/nbgrader_config.py")\n')
    return course


@pytest.fixture()
def hub(tmp_path):
    if not PROXY.exists():
        pytest.fail(f"{PROXY} is missing: run `make hub-proxy` (npm ci --prefix hub)")
    homes, state = tmp_path / "home", tmp_path / "state"
    state.mkdir()
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    # nbgrader's documented exchange mode: everyone writes, nobody deletes others' files.
    exchange.chmod(0o777 | stat.S_ISVTX)
    course = write_course(homes / INSTRUCTOR, exchange)

    url, token = f"http://127.0.0.1:{free_port()}", os.urandom(16).hex()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_", "COURSE_"))}
    env.update({
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "COURSE_ROOT": str(course),
        "COURSE_HUB_STATE_DIR": str(state),
        "COURSE_HUB_URL": url,
        "COURSE_HUB_INTERNAL_URL": f"http://127.0.0.1:{free_port()}",
        "COURSE_HUB_PROXY_API_URL": f"http://127.0.0.1:{free_port()}",
        "COURSE_HUB_AUTHENTICATOR": "dummy",
        "COURSE_HUB_SPAWNER": "jupyterhub.spawner.SimpleLocalProcessSpawner",
        "COURSE_HUB_HOME_TEMPLATE": f"{homes}/{{username}}",
        "COURSE_HUB_INSTRUCTORS": INSTRUCTOR,
        "COURSE_HUB_STUDENTS": ",".join(STUDENTS),
        "COURSE_HUB_API_TOKEN": token,
        # The tiny fixture's trusted checks (staff servers only; see the pre-spawn hook).
        "COURSE_CHECK_DIRS": str(FIXTURE_CHECKS),
    })
    log = tmp_path / "jupyterhub.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(HUB_CONFIG)],
                                cwd=state, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    running = Hub(url, token, log)
    try:
        wait_for("the hub", lambda: proc.poll() is not None or
                 requests.get(f"{url}/hub/api/", timeout=10).ok, START_S)
        assert proc.poll() is None, f"the hub exited:\n{running.log_tail()}"
        running.homes, running.course, running.exchange = homes, course, exchange
        yield running
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """Stop the hub, the proxy and every user's server, whatever state they are in."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # the hub stops the servers and the proxy itself
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass


def succeeded(result: dict, step: str) -> None:
    """nbgrader's API answers 200 with ``success`` false on failure: show its log's end."""
    assert result["success"], f"{step} failed: {str(result.get('error') or result)[-3000:]}"


def feedback_score(html: str) -> tuple[float, float]:
    """The notebook's score and maximum as nbgrader's feedback page states them."""
    found = re.search(r"\(Score: ([\d.]+) / ([\d.]+)\)", html)
    assert found, "no score in the feedback page"
    return float(found[1]), float(found[2])


@pytest.mark.slow
def test_a_course_round_trip_through_jupyterhub(hub):
    for user in (INSTRUCTOR, *STUDENTS):
        hub.start_server(user)
    alice, bob = STUDENTS
    ids = {"course_id": COURSE_ID, "assignment_id": TINY}

    # Roles: a student's token opens neither another student's server nor the instructor's;
    # students' servers have no formgrader.
    assert hub.server(bob, "GET", "/api/contents", as_user=alice).status_code == 403
    assert hub.server(INSTRUCTOR, "GET", "/api/contents", as_user=alice).status_code == 403
    assert hub.server(alice, "GET", "/formgrader/api/status").status_code == 404

    # Instructor: generate the student version and release it to the exchange (formgrader API).
    fg = "/formgrader/api/assignment/" + TINY
    for step in ("assign", "release"):
        result = hub.ok_json(INSTRUCTOR, "POST", f"{fg}/{step}", timeout=GRADE_S)
        succeeded(result, step)
    assert (hub.exchange / COURSE_ID / "outbound" / TINY / "tiny.ipynb").is_file()

    # Students: fetch into their own home, save answers, submit.
    for student in STUDENTS:
        listing = hub.ok_json(student, "POST", "/assignments/fetch", json=ids)
        succeeded(listing, "fetch")
        assert (hub.homes / student / TINY / "tiny.ipynb").is_file()
    path = f"/api/contents/{TINY}/tiny.ipynb"
    model = hub.ok_json(alice, "GET", path)
    release_nb = nbformat.from_dict(model["content"])
    source_nb = nbformat.read(FIXTURE_SOURCE / TINY / "tiny.ipynb", as_version=4)
    answered = fill_answers(release_nb, source_nb)
    hub.ok_json(alice, "PUT", path, json={"type": "notebook", "format": "json", "content": answered})
    for student in STUDENTS:  # bob submits the blank release
        result = hub.ok_json(student, "POST", "/assignments/submit", json=ids)
        succeeded(result, "submit")
    inbound = sorted(p.name.split("+")[0] for p in (hub.exchange / COURSE_ID / "inbound").iterdir())
    assert inbound == sorted(STUDENTS)

    # Instructor: collect, autograde each submission, feedback for everyone (formgrader API).
    result = hub.ok_json(INSTRUCTOR, "POST", f"{fg}/collect", timeout=GRADE_S)
    succeeded(result, "collect")
    for student in STUDENTS:
        result = hub.ok_json(INSTRUCTOR, "POST",
                             f"/formgrader/api/submission/{TINY}/{student}/autograde", timeout=GRADE_S)
        succeeded(result, f"autograde {student}")
    for step in ("generate_feedback", "release_feedback"):
        result = hub.ok_json(INSTRUCTOR, "POST", f"{fg}/{step}", timeout=GRADE_S)
        succeeded(result, step)
    scores = {s["student"]: (s["score"], s["max_score"])
              for s in hub.ok_json(INSTRUCTOR, "GET", f"/formgrader/api/submissions/{TINY}")}
    assert scores == {alice: (4.0, 4.0), bob: (0.0, 4.0)}

    # Students: fetch their feedback; read it from their own home through their server.
    for student, expected in ((alice, 4.0), (bob, 0.0)):
        result = hub.ok_json(student, "POST", "/assignments/fetch_feedback", json=ids)
        succeeded(result, "fetch_feedback")
        pages = list((hub.homes / student / TINY / "feedback").glob("*/tiny.html"))
        assert len(pages) == 1, pages
        rel = pages[0].relative_to(hub.homes / student).as_posix()
        page = hub.ok_json(student, "GET", f"/api/contents/{rel}?type=file&format=text")
        assert feedback_score(page["content"]) == (expected, 4.0)


# --- Static checks of what cannot run here ----------------------------------------------

DOCKERFILE = REPO_ROOT / "hub" / "Dockerfile"
VALUES = REPO_ROOT / "hub" / "z2jh-values.yaml"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of hub/Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1] if " " in ln else "") for ln in lines]


def test_the_image_installs_the_lock_file_on_the_python_it_was_compiled_with():
    steps = dockerfile_instructions()
    base = next(args for op, args in steps if op == "FROM")
    version = re.fullmatch(r"python:(3\.\d+)-slim-\w+", base)
    assert version, f"the image must start from an official python image, not {base!r}"
    requires = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f"{version[1]}.0" in SpecifierSet(requires)
    compiled = re.search(r"pip-compile with Python (3\.\d+)", (REPO_ROOT / "requirements.lock").read_text())
    assert compiled and compiled[1] == version[1], "the image's Python differs from the lock file's"

    runs = [args for op, args in steps if op == "RUN"]
    locked = [r for r in runs if "pip install" in r and "-r requirements.lock" in r]
    course = [r for r in runs if "pip install" in r and "--no-deps" in r and "-e ." in r]
    assert locked and course, "pip install -r requirements.lock, then the course with --no-deps"
    assert runs.index(locked[0]) < runs.index(course[0])
    # No other pip install: every Python package the image has is pinned by the lock file.
    assert [r for r in runs if "pip install" in r] == [locked[0], course[0]]
    assert next(args for op, args in steps if op == "CMD") == '["jupyterhub-singleuser"]'


def test_the_image_copies_what_the_servers_need():
    copied = {}
    for op, args in dockerfile_instructions():
        if op == "COPY":
            *sources, dest = args.split()
            for source in sources:
                assert (REPO_ROOT / source).exists(), f"COPY {source}: no such path in the repository"
                copied[source] = dest
    packages = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    needed = {"requirements.lock", "pyproject.toml", "README.md", "hub/jupyter-config",
              *(p for p in packages["include"] if "*" not in p)}
    assert needed <= set(copied), f"not copied: {needed - set(copied)}"


#: Top-level and ``singleuser`` keys the jupyterhub chart (4.x) accepts: its values schema
#: has additionalProperties false, so helm refuses any other.
CHART_TOP = {"enabled", "fullnameOverride", "nameOverride", "imagePullSecret", "imagePullSecrets",
             "hub", "proxy", "singleuser", "scheduling", "ingress", "prePuller", "custom", "cull",
             "debug", "rbac", "global"}
CHART_SINGLEUSER = {"image", "defaultUrl", "cmd", "uid", "fsGid", "extraEnv", "cpu", "memory",
                    "storage", "initContainers", "extraFiles", "extraContainers", "profileList",
                    "nodeSelector", "extraLabels", "extraAnnotations", "networkPolicy",
                    "lifecycleHooks", "serviceAccountName", "startTimeout", "allowPrivilegeEscalation",
                    "extraResource", "extraTolerations", "extraNodeAffinity", "extraPodAffinity",
                    "extraPodAntiAffinity", "podNameTemplate", "events", "extraPodConfig",
                    "networkTools", "cloudMetadata", "auth_state", "containerSecurityContext"}


def test_the_kubernetes_values_match_the_chart_and_the_course():
    values = yaml.safe_load(VALUES.read_text())
    assert {"hub", "proxy", "singleuser"} <= set(values) <= CHART_TOP
    user = values["singleuser"]
    assert set(user) <= CHART_SINGLEUSER, set(user) - CHART_SINGLEUSER
    assert isinstance(user["image"]["name"], str) and user["image"]["name"]
    assert isinstance(user["image"]["tag"], str) and user["image"]["tag"] not in ("", "latest")
    assert user["memory"]["limit"] and user["cpu"]["limit"]

    # The exchange: a shared volume mounted where the students' nbgrader settings look.
    exchange = user["extraEnv"]["COURSE_EXCHANGE_ROOT"]
    claims = {v["name"] for v in user["storage"]["extraVolumes"] if "persistentVolumeClaim" in v}
    mounts = {m["mountPath"]: m["name"] for m in user["storage"]["extraVolumeMounts"]}
    assert mounts.get(exchange) in claims
    student_config = REPO_ROOT / "hub" / "jupyter-config" / "student" / "nbgrader_config.py"
    assert all(name in student_config.read_text() for name in ("COURSE_ID", "COURSE_EXCHANGE_ROOT"))
    assert "/opt/course/hub/jupyter-config/student" in values["hub"]["extraConfig"]["course-groups"]

    groups = values["hub"]["config"]["JupyterHub"]["load_groups"]
    assert {"instructors", "graders", "students"} <= set(groups)
    compile(values["hub"]["extraConfig"]["course-groups"], "course-groups", "exec")
