# nbgrader settings of every STAFF (instructors', graders') single-user server on Kubernetes
# (hub/z2jh-values.yaml puts this folder on their JUPYTER_CONFIG_PATH): the exchange is ngshare
# when COURSE_NGSHARE_URL is set. The course directory's own nbgrader_config.py (loaded from
# the server's working folder, after this file) configures everything else.
import os

c = get_config()  # noqa: F821  (provided by traitlets)

if os.environ.get("COURSE_NGSHARE_URL"):
    from ngshare_exchange import configureExchange

    configureExchange(c, os.environ["COURSE_NGSHARE_URL"])
