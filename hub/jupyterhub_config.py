# JupyterHub for the course on one machine: instructors grade in their own server (nbgrader's
# formgrader), students fetch and submit through nbgrader's exchange, a folder every user's
# server can read and write. Start it with
#
#     COURSE_ROOT=/home/teacher/dl-course COURSE_HUB_AUTHENTICATOR=... \
#         jupyterhub -f hub/jupyterhub_config.py
#
# Students' servers run from a students-only Python environment (COURSE_HUB_STUDENT_SINGLEUSER):
# never the course clone's .venv, whose editable install points into the clone (trusted checks,
# solutions, gradebook). Everything that differs between machines comes from environment
# variables (below, all named COURSE_*), the course itself from COURSE_ROOT/course.toml
# ([course] id and exchange_root). docs/instructor-guide.md explains the set-up; tests/test_jupyterhub.py runs
# this file for real on localhost. Kubernetes: hub/z2jh-values.yaml instead of this file.
from __future__ import annotations

import os
import sys
from pathlib import Path

from grading.settings import GRADEBOOK_URL_ENV, load_settings

c = get_config()  # noqa: F821  (provided by traitlets)

HUB_DIR = Path(__file__).resolve().parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _names(name: str) -> list[str]:
    """A comma-separated list of hub user names from the environment variable ``name``."""
    return [n.strip() for n in _env(name).split(",") if n.strip()]


class CourseHubConfigError(RuntimeError):
    """The hub cannot serve the course as configured; the message says what to set."""


# --- The course --------------------------------------------------------------------------
COURSE_ROOT = Path(_env("COURSE_ROOT", str(HUB_DIR.parent))).resolve()
SETTINGS = load_settings(COURSE_ROOT)
if SETTINGS.exchange_root is None:
    raise CourseHubConfigError(
        f"{COURSE_ROOT / 'course.toml'}: [course] exchange_root is empty; a hub needs nbgrader's "
        "exchange: a folder every user's server can write, e.g. /srv/nbgrader/exchange "
        "(mode 1777, see docs/instructor-guide.md)")
EXCHANGE_ROOT = SETTINGS.exchange_root

# --- Where the hub listens and keeps its state ---------------------------------------------
STATE_DIR = Path(_env("COURSE_HUB_STATE_DIR", "/srv/jupyterhub"))
c.JupyterHub.bind_url = _env("COURSE_HUB_URL", "http://:8000")
c.JupyterHub.hub_bind_url = _env("COURSE_HUB_INTERNAL_URL", "http://127.0.0.1:8081")
c.JupyterHub.db_url = f"sqlite:///{STATE_DIR / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE_DIR / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE_DIR / "jupyterhub.pid")
# Behind TLS: terminate HTTPS in front of the hub (nginx, Caddy) or set ssl_cert/ssl_key here.

# Browser isolation. With one domain for every server, an instructor (a hub admin) who opens a
# student's server runs the student's JavaScript with the instructor's cookies. A real course
# sets COURSE_HUB_SUBDOMAIN_HOST (https://hub.example.edu; wildcard DNS and certificate for
# *.hub.example.edu): every user's server gets a domain of its own (docs/instructor-guide.md).
SUBDOMAIN_HOST = _env("COURSE_HUB_SUBDOMAIN_HOST")
if SUBDOMAIN_HOST:
    c.JupyterHub.subdomain_host = SUBDOMAIN_HOST
# `__Host-` cookies (no subdomain can set or shadow the hub's cookie): HTTPS only, so on when
# the public URL is https:// or COURSE_HUB_HTTPS=1 (TLS terminated by a proxy in front).
PUBLIC_HTTPS = (_env("COURSE_HUB_HTTPS") == "1" or c.JupyterHub.bind_url.startswith("https://")
                or SUBDOMAIN_HOST.startswith("https://"))
c.JupyterHub.cookie_host_prefix_enabled = PUBLIC_HTTPS
# Servers ignore Jupyter config files in the user's home (~/.jupyter, ~/.local/share/jupyter):
# a student cannot change what their server (or an instructor visiting it) loads.
c.Spawner.disable_user_config = True

# configurable-http-proxy from hub/package-lock.json (`make hub-proxy`), not a global npm install.
PROXY = HUB_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
if PROXY.exists():
    c.ConfigurableHTTPProxy.command = [str(PROXY)]
c.ConfigurableHTTPProxy.api_url = _env("COURSE_HUB_PROXY_API_URL", "http://127.0.0.1:8001")
c.ConfigurableHTTPProxy.pid_file = str(STATE_DIR / "jupyterhub-proxy.pid")

# --- Who logs in ---------------------------------------------------------------------------
# PLACEHOLDER: choose the university's login here. Typical: oauthenticator's
# GenericOAuthenticator / GitHubOAuthenticator, ldapauthenticator, or
# "jupyterhub.auth.PAMAuthenticator" for the machine's unix accounts. The tests use
# "dummy" (any password!), which must never face a network.
AUTHENTICATOR = _env("COURSE_HUB_AUTHENTICATOR")
if not AUTHENTICATOR:
    raise CourseHubConfigError("set COURSE_HUB_AUTHENTICATOR (e.g. jupyterhub.auth.PAMAuthenticator "
                               "or an oauthenticator class); see hub/jupyterhub_config.py")
c.JupyterHub.authenticator_class = AUTHENTICATOR

INSTRUCTORS = _names("COURSE_HUB_INSTRUCTORS")
GRADERS = _names("COURSE_HUB_GRADERS")
STUDENTS = _names("COURSE_HUB_STUDENTS")
STAFF = set(INSTRUCTORS) | set(GRADERS)
if STAFF & set(STUDENTS):
    raise CourseHubConfigError(f"users both staff and student: {sorted(STAFF & set(STUDENTS))}")
c.Authenticator.allowed_users = STAFF | set(STUDENTS)
c.Authenticator.admin_users = set(INSTRUCTORS)
# Groups the roster above fills at every start (later changes: the hub's admin page or API).
c.JupyterHub.load_groups = {
    "instructors": {"users": INSTRUCTORS},
    "graders": {"users": GRADERS},
    "students": {"users": STUDENTS},
}

# --- Single-user servers ---------------------------------------------------------------------
# One machine: LocalProcessSpawner (the hub runs as root, every user is a unix account) or
# systemdspawner.SystemdSpawner (limits per user). Docker: dockerspawner.DockerSpawner with the
# image of hub/Dockerfile. The tests use jupyterhub.spawner.SimpleLocalProcessSpawner: one
# unix user, a home folder per hub user (no isolation; never in production).
c.JupyterHub.spawner_class = _env("COURSE_HUB_SPAWNER", "jupyterhub.spawner.LocalProcessSpawner")
HOME_TEMPLATE = _env("COURSE_HUB_HOME_TEMPLATE")
if HOME_TEMPLATE:
    c.SimpleLocalProcessSpawner.home_dir_template = HOME_TEMPLATE
if os.getuid() == 0:
    # The testing spawner runs every server as the hub's own user: root in a CI container.
    c.SimpleLocalProcessSpawner.args = ["--allow-root"]
# Staff servers: the hub's own environment (the course clone's .venv: grading, formgrader).
STAFF_SINGLEUSER = str(Path(sys.executable).with_name("jupyterhub-singleuser"))
c.Spawner.cmd = [STAFF_SINGLEUSER]
# Students' servers: a students-only environment (requirements-student.lock, jupyterhub,
# helpers; no grading package, no path into the course clone). docs/instructor-guide.md builds
# it; the hub refuses to start without it.
STUDENT_SINGLEUSER = _env("COURSE_HUB_STUDENT_SINGLEUSER")
SHARED_ENV_FOR_TESTING = _env("COURSE_HUB_SHARED_ENV_FOR_TESTING") == "1"
if STUDENT_SINGLEUSER:
    if not os.access(STUDENT_SINGLEUSER, os.X_OK):
        raise CourseHubConfigError(f"COURSE_HUB_STUDENT_SINGLEUSER={STUDENT_SINGLEUSER}: not an "
                                   "executable jupyterhub-singleuser")
    if Path(STUDENT_SINGLEUSER).resolve() == Path(STAFF_SINGLEUSER).resolve():
        raise CourseHubConfigError("COURSE_HUB_STUDENT_SINGLEUSER is the hub's (staff) environment: "
                                   "students need one without the course's grading package")
elif SHARED_ENV_FOR_TESTING:
    STUDENT_SINGLEUSER = STAFF_SINGLEUSER
else:
    raise CourseHubConfigError(
        "set COURSE_HUB_STUDENT_SINGLEUSER to the jupyterhub-singleuser of a students-only "
        "environment (docs/instructor-guide.md, 'On JupyterHub'): the hub's own environment "
        "imports the course clone (trusted checks, solutions, gradebook), which students must "
        "not read. COURSE_HUB_SHARED_ENV_FOR_TESTING=1 skips this for tests only")
c.Spawner.default_url = "/lab"
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 180
c.Spawner.mem_limit = _env("COURSE_HUB_MEM_LIMIT") or None  # enforced by Systemd/Docker/KubeSpawner

#: Given to every server: which course, and where its exchange is (read from course.toml).
COMMON_ENV = {"COURSE_ID": SETTINGS.course_id, "COURSE_EXCHANGE_ROOT": str(EXCHANGE_ROOT)}
#: Given only to staff servers: the gradebook password and the trusted checks' folders must
#: never reach a student's server (a student could read them from the environment).
STAFF_ENV_KEYS = (GRADEBOOK_URL_ENV, "COURSE_CHECK_DIRS")
#: Students' nbgrader settings; with the course clone at mode 0700 (as it must be), a copy
#: students can read: COURSE_HUB_STUDENT_CONFIG_DIR (docs/instructor-guide.md).
STUDENT_CONFIG = Path(_env("COURSE_HUB_STUDENT_CONFIG_DIR") or HUB_DIR / "jupyter-config" / "student")


def course_pre_spawn_hook(spawner) -> None:
    """Give each server its course environment by group: students get nbgrader's exchange
    settings (hub/jupyter-config/student: course id, exchange, student id = hub user name,
    formgrader off); instructors and graders the staff-only variables and no student settings
    (their course directory's own nbgrader_config.py configures formgrader)."""
    groups = {g.name for g in spawner.user.groups}
    env = dict(COMMON_ENV)
    if groups & {"instructors", "graders"}:
        env.update({k: os.environ[k] for k in STAFF_ENV_KEYS if os.environ.get(k)})
    elif "students" in groups:
        env["JUPYTER_CONFIG_PATH"] = str(STUDENT_CONFIG)
        spawner.cmd = [STUDENT_SINGLEUSER]
        # The students' environment first on PATH (terminals, `python`, `pip`), not the hub's.
        env["PATH"] = os.pathsep.join([str(Path(STUDENT_SINGLEUSER).parent),
                                       "/usr/local/bin", "/usr/bin", "/bin"])
    else:
        raise CourseHubConfigError(f"{spawner.user.name} is in none of the course's groups")
    spawner.environment.update(env)


c.Spawner.pre_spawn_hook = course_pre_spawn_hook

# --- Roles -------------------------------------------------------------------------------------
# Instructors are hub admins (above). Graders may open the instructors' servers, where
# formgrader runs, but not the students'. Students get the default "user" role: their own
# server only. Caution: access to an instructor's server is everything that instructor can do
# there (a terminal: the gradebook, the trusted checks, solutions); docs/instructor-guide.md
# ("Graders") gives the alternative of a separate grading account.
c.JupyterHub.load_roles = [
    {"name": "course-grader", "groups": ["graders"],
     "scopes": [f"access:servers!user={name}" for name in INSTRUCTORS] + ["read:users:name"]},
]
# Scripts of the course (rosters, bulk server starts, the tests): a service token with
# COURSE_HUB_API_TOKEN. Unset: no such service.
API_TOKEN = _env("COURSE_HUB_API_TOKEN")
if API_TOKEN:
    c.JupyterHub.services = [{"name": "course-admin", "api_token": API_TOKEN}]
    c.JupyterHub.load_roles.append({
        "name": "course-admin", "services": ["course-admin"],
        "scopes": ["admin:users", "admin:servers", "tokens", "list:users", "read:users",
                   "admin:groups"],
    })
