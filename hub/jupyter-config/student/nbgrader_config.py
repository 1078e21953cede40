# nbgrader settings of every STUDENT's single-user server. The hub puts this folder on the
# server's JUPYTER_CONFIG_PATH (hub/jupyterhub_config.py) and passes the values as
# environment variables read from the course's course.toml, so students need nothing in
# their home folders. Instructors do not get this folder: it names one student.
import os

c = get_config()  # noqa: F821  (provided by traitlets)


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise RuntimeError(f"{name} is not set: start this server through the course's JupyterHub "
                           "(hub/jupyterhub_config.py sets it)")
    return value


c.CourseDirectory.course_id = _required("COURSE_ID")
# The exchange. Kubernetes (hub/z2jh-values.yaml): ngshare, an HTTP exchange behind the hub's
# login (COURSE_NGSHARE_URL); each student sees only their own submissions and feedback.
# One machine: nbgrader's shared folder (COURSE_EXCHANGE_ROOT), where the unix accounts keep
# students apart; see docs/instructor-guide.md for what it does not protect.
if os.environ.get("COURSE_NGSHARE_URL"):
    from ngshare_exchange import configureExchange

    configureExchange(c, os.environ["COURSE_NGSHARE_URL"])
else:
    c.Exchange.root = _required("COURSE_EXCHANGE_ROOT")
# The student id in the exchange is the hub user name. nbgrader would take the unix user
# name, which is "jovyan" in Docker/Kubernetes images (nbgrader then falls back to
# JUPYTERHUB_USER itself) and the same for every user with SimpleLocalProcessSpawner.
c.CourseDirectory.student_id = _required("JUPYTERHUB_USER")
