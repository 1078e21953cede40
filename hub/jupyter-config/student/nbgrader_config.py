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
c.Exchange.root = _required("COURSE_EXCHANGE_ROOT")
# The student id in the exchange is the hub user name. nbgrader would take the unix user
# name, which is "jovyan" in Docker/Kubernetes images (nbgrader then falls back to
# JUPYTERHUB_USER itself) and the same for every user with SimpleLocalProcessSpawner.
c.CourseDirectory.student_id = _required("JUPYTERHUB_USER")
