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
        # Students' servers from the hub's own environment: building a second, students-only
        # environment (TensorFlow and all) would take minutes and gigabytes here, and this
        # test's users are one unix account anyway. A real hub refuses to start like this
        # (test_the_hub_refuses_students_the_staff_environment).
        "COURSE_HUB_SHARED_ENV_FOR_TESTING": "1",
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
    # nbgrader's totals: 4 autograded points and the written question's 2 (graded by hand: alice's is
    # pending, bob's blank answer is nbgrader's 0)
    assert scores == {alice: (4.0, 6.0), bob: (0.0, 6.0)}

    # Students: fetch their feedback; read it from their own home through their server.
    for student, expected in ((alice, 4.0), (bob, 0.0)):
        result = hub.ok_json(student, "POST", "/assignments/fetch_feedback", json=ids)
        succeeded(result, "fetch_feedback")
        pages = list((hub.homes / student / TINY / "feedback").glob("*/tiny.html"))
        assert len(pages) == 1, pages
        rel = pages[0].relative_to(hub.homes / student).as_posix()
        page = hub.ok_json(student, "GET", f"/api/contents/{rel}?type=file&format=text")
        assert feedback_score(page["content"]) == (expected, 6.0)


# --- The hub's configuration, loaded without starting a hub -----------------------------

LOAD_HUB_CONFIG = """
import json
from traitlets.config.loader import PyFileConfigLoader
c = PyFileConfigLoader("jupyterhub_config.py", path=%r).load_config()
print(json.dumps({"disable_user_config": c.Spawner.disable_user_config,
                  "subdomain_host": c.JupyterHub.get("subdomain_host"),
                  "cookie_host_prefix_enabled": c.JupyterHub.cookie_host_prefix_enabled,
                  "cmd": c.Spawner.cmd}))
"""


def load_hub_config(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Run hub/jupyterhub_config.py as JupyterHub would (traitlets' loader) in a fresh Python
    with only ``env`` (plus a course folder and a dummy login) set."""
    course = tmp_path / "course"
    course.mkdir(exist_ok=True)
    (course / "course.toml").write_text(
        f'[course]\nid = "{COURSE_ID}"\nexchange_root = "{tmp_path / "exchange"}"\n')
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_", "COURSE_"))}
    clean.update({"COURSE_ROOT": str(course), "COURSE_HUB_AUTHENTICATOR": "dummy",
                  "COURSE_HUB_STUDENTS": "alice", "COURSE_HUB_INSTRUCTORS": "teacher", **env})
    return subprocess.run([sys.executable, "-c", LOAD_HUB_CONFIG % str(HUB_CONFIG.parent)],
                          cwd=REPO_ROOT, env=clean, capture_output=True, text=True, timeout=120)


def test_the_hub_refuses_students_the_staff_environment(tmp_path):
    refused = load_hub_config(tmp_path)
    assert refused.returncode != 0
    assert "CourseHubConfigError: set COURSE_HUB_STUDENT_SINGLEUSER" in refused.stderr
    # The hub's own jupyterhub-singleuser is the staff environment: refused as the students' too.
    staff = str(Path(sys.executable).with_name("jupyterhub-singleuser"))
    same = load_hub_config(tmp_path, COURSE_HUB_STUDENT_SINGLEUSER=staff)
    assert same.returncode != 0 and "is the hub's (staff) environment" in same.stderr
    # A separate students' environment (any executable stands in for it: nothing is started).
    student = tmp_path / "student-venv" / "bin" / "jupyterhub-singleuser"
    student.parent.mkdir(parents=True)
    student.write_text("#!/bin/sh\n")
    student.chmod(0o755)
    ok = load_hub_config(tmp_path, COURSE_HUB_STUDENT_SINGLEUSER=str(student))
    assert ok.returncode == 0, ok.stderr
    testing = load_hub_config(tmp_path, COURSE_HUB_SHARED_ENV_FOR_TESTING="1")
    assert testing.returncode == 0, testing.stderr


def test_the_hub_isolates_servers_from_user_config_and_each_other(tmp_path):
    import json

    plain = load_hub_config(tmp_path, COURSE_HUB_SHARED_ENV_FOR_TESTING="1")
    assert plain.returncode == 0, plain.stderr
    config = json.loads(plain.stdout)
    assert config["disable_user_config"] is True
    assert config["subdomain_host"] is None  # localhost test: no per-user domains
    assert config["cookie_host_prefix_enabled"] is False  # __Host- cookies need HTTPS

    real = load_hub_config(tmp_path, COURSE_HUB_SHARED_ENV_FOR_TESTING="1",
                           COURSE_HUB_SUBDOMAIN_HOST="https://hub.example.edu")
    assert real.returncode == 0, real.stderr
    config = json.loads(real.stdout)
    assert config["subdomain_host"] == "https://hub.example.edu"
    assert config["cookie_host_prefix_enabled"] is True and config["disable_user_config"] is True


def test_the_settings_the_hub_uses_exist_in_this_jupyterhub():
    from jupyterhub.app import JupyterHub
    from jupyterhub.spawner import Spawner

    for cls, names in ((JupyterHub, ("subdomain_host", "cookie_host_prefix_enabled")),
                       (Spawner, ("disable_user_config", "pre_spawn_hook", "cmd"))):
        for name in names:
            assert cls.class_traits(config=True).get(name), f"{cls.__name__}.{name} is no setting"


# --- Static checks of what cannot run here ----------------------------------------------

DOCKERFILE = REPO_ROOT / "hub" / "Dockerfile"
VALUES = REPO_ROOT / "hub" / "z2jh-values.yaml"


def dockerfile_stages() -> dict[str, list[tuple[str, str]]]:
    """hub/Dockerfile's stages by name, each its (INSTRUCTION, arguments) with those of the
    stage it is built FROM first; continuation lines joined. The last stage also as ""."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for ln in lines:
        op, args = ln.split(None, 1)[0].upper(), (ln.split(None, 1)[1] if " " in ln else "")
        if op == "FROM":
            image, _, name = args.partition(" AS ")
            current = list(stages.get(image.strip(), [])) + [(op, image.strip())]
            stages[name.strip()] = current
        current.append((op, args))
    stages[""] = current
    return stages


def pip_installs(steps) -> list[str]:
    return [args for op, args in steps if op == "RUN" and "pip install" in args]


def test_the_images_install_lock_files_on_the_python_they_were_compiled_with():
    stages = dockerfile_stages()
    base = stages["base"][0][1]
    version = re.fullmatch(r"python:(3\.\d+)-slim-\w+", base)
    assert version, f"the image must start from an official python image, not {base!r}"
    requires = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f"{version[1]}.0" in SpecifierSet(requires)
    lock = (REPO_ROOT / "requirements.lock").read_text()
    compiled = re.search(r"pip-compile with Python (3\.\d+)", lock)
    assert compiled and compiled[1] == version[1], "the image's Python differs from the lock file's"

    staff, student = pip_installs(stages["staff"]), pip_installs(stages["student"])
    assert "-r requirements.lock" in staff[0] and "--no-deps" in staff[-1] and "-e ." in staff[-1]
    assert "-r requirements-student.lock" in student[0]
    # Every other install: constrained by requirements.lock, and a package the lock pins or
    # one pinned exactly here.
    for install in staff[1:-1] + student[1:]:
        assert "-c requirements.lock" in install, install
        package = install.split()[-1]
        assert "==" in package or re.search(rf"^{re.escape(package)}==", lock, re.M), install
    assert any(i.split()[-1] == "jupyterhub" for i in student), "students need jupyterhub-singleuser"
    assert ("CMD", '["jupyterhub-singleuser"]') in stages["base"]


def copies(steps) -> dict[str, str]:
    found = {}
    for op, args in steps:
        if op == "COPY":
            *sources, dest = args.split()
            for source in sources:
                assert (REPO_ROOT / source).exists(), f"COPY {source}: no such path in the repository"
                found[source.rstrip("/")] = dest
    return found


def test_the_student_image_has_helpers_and_no_grading_code():
    stages = dockerfile_stages()
    assert stages[""] == stages["student"], "a build without --target must give the student image"
    copied = copies(stages["student"])
    for secret in ("grading", "solutions", "pyproject.toml", "."):
        assert not any(src == secret or src.startswith(secret + "/") for src in copied), secret
    assert not any("check" in src for src in copied)
    assert copied["helpers"] == "/opt/course-helpers/helpers"
    assert copied["hub/jupyter-config/student"] == "/opt/course/hub/jupyter-config/student"
    assert not any("-e ." in i or " . " in f"{i} " for i in pip_installs(stages["student"]))
    runs = " ".join(args for op, args in stages["student"] if op == "RUN")
    assert "echo /opt/course-helpers >" in runs and ".pth" in runs


def test_the_staff_image_copies_what_the_servers_need():
    copied = copies(dockerfile_stages()["staff"])
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
    groups = values["hub"]["config"]["JupyterHub"]["load_groups"]
    assert {"instructors", "graders", "students"} <= set(groups)
    # Every hub.config setting is one this JupyterHub has (a typo would be ignored silently).
    from jupyterhub.app import JupyterHub
    from jupyterhub.auth import Authenticator
    from jupyterhub.spawner import Spawner
    for cls in (JupyterHub, Authenticator, Spawner):
        unknown = set(values["hub"]["config"].get(cls.__name__, {})) - set(cls.class_traits(config=True))
        assert not unknown, f"{cls.__name__}: {unknown}"
    assert values["hub"]["config"]["Spawner"]["disable_user_config"] is True
    assert values["hub"]["config"]["JupyterHub"]["subdomain_host"].startswith("https://")


def test_kubernetes_students_share_no_writable_exchange_and_use_ngshare():
    values = yaml.safe_load(VALUES.read_text())
    user = values["singleuser"]
    # Every pod runs as the same uid: a writable volume mounted in more than one user's pod
    # lets each student read, delete and replace the others' files (nbgrader only checks
    # folder ownership). The home volume (storage.type dynamic) is per user.
    assert isinstance(user["uid"], int)
    mounts = user["storage"].get("extraVolumeMounts", []) + [
        m for c in user.get("initContainers", []) + user.get("extraContainers", [])
        for m in c.get("volumeMounts", [])]
    writable = [m for m in mounts if not m.get("readOnly")]
    assert not writable, f"shared writable volumes in every user's pod: {writable}"
    assert "COURSE_EXCHANGE_ROOT" not in user["extraEnv"]
    assert not any(p.get("kubespawner_override", {}).get("volume_mounts")
                   for p in user.get("profileList", []))
    # ngshare: a hub service with a role, and the servers' exchange URL pointing at it.
    service = values["hub"]["services"]["ngshare"]
    assert service["url"] and service["apiToken"]
    assert user["extraEnv"]["COURSE_NGSHARE_URL"].startswith(service["url"])
    assert values["hub"]["loadRoles"]["ngshare"]["services"] == ["ngshare"]


def test_the_nbgrader_settings_use_ngshare_when_given_its_url(tmp_path):
    # ngshare_exchange is not installed here (it is only in the images): a stand-in module
    # records what the course's settings ask of it.
    (tmp_path / "ngshare_exchange.py").write_text(
        "def configureExchange(c, ngshare_url=None):\n"
        "    c.ExchangeFactory.exchange = 'ngshare_exchange.Exchange'\n"
        "    c.NgshareTest.url = ngshare_url\n")
    script = ("import json, sys\n"
              "from traitlets.config.loader import PyFileConfigLoader\n"
              "c = PyFileConfigLoader('nbgrader_config.py', path=sys.argv[1]).load_config()\n"
              "print(json.dumps({'url': c.NgshareTest.get('url'), 'root': c.Exchange.get('root'),"
              " 'course': c.CourseDirectory.get('course_id')}))\n")
    url = "http://ngshare.dl-course.svc.cluster.local:8080/services/ngshare"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "COURSE_"))}
    env.update(PYTHONPATH=str(tmp_path), COURSE_ID=COURSE_ID, COURSE_NGSHARE_URL=url,
               JUPYTERHUB_USER="alice")
    import json
    for role, expected_course in (("student", COURSE_ID), ("staff", None)):
        folder = REPO_ROOT / "hub" / "jupyter-config" / role
        done = subprocess.run([sys.executable, "-c", script, str(folder)], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"url": url, "root": None, "course": expected_course}
    # Without ngshare the students' settings use the shared folder (one machine).
    del env["COURSE_NGSHARE_URL"]
    env["COURSE_EXCHANGE_ROOT"] = "/srv/nbgrader/exchange"
    done = subprocess.run([sys.executable, "-c", script, str(REPO_ROOT / "hub" / "jupyter-config" / "student")],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["root"] == "/srv/nbgrader/exchange"


def test_the_kubernetes_hook_gives_staff_the_staff_image(monkeypatch):
    import types

    from traitlets.config import Config

    values = yaml.safe_load(VALUES.read_text())
    custom = values["custom"]
    z2jh = types.ModuleType("z2jh")  # the chart's hub image module; stands in here
    z2jh.get_config = lambda key: custom[key.removeprefix("custom.")]
    monkeypatch.setitem(sys.modules, "z2jh", z2jh)
    c = Config()
    code = values["hub"]["extraConfig"]["course-groups"]
    exec(compile(code, "course-groups", "exec"), {"c": c})
    hook = c.KubeSpawner.pre_spawn_hook

    def spawn(*groups):
        user = types.SimpleNamespace(name="u", groups=[types.SimpleNamespace(name=g) for g in groups])
        spawner = types.SimpleNamespace(user=user, environment={}, image=None)
        hook(spawner)
        return spawner

    student_image = f"{values['singleuser']['image']['name']}:{values['singleuser']['image']['tag']}"
    assert custom["staffImage"] != student_image
    student = spawn("students")
    assert student.image is None  # keeps singleuser.image: the student target
    assert student.environment["JUPYTER_CONFIG_PATH"] == "/opt/course/hub/jupyter-config/student"
    for group in ("instructors", "graders"):
        staff = spawn(group)
        assert staff.image == custom["staffImage"]
        assert staff.environment["JUPYTER_CONFIG_PATH"] == "/opt/course/hub/jupyter-config/staff"
    with pytest.raises(RuntimeError, match="none of the course's groups"):
        spawn()
