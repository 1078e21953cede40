# nbgrader (its command line, and formgrader in JupyterLab) reads this file when it runs in
# the course directory. The settings come from course.toml (grading/settings.py); your own
# nbgrader_config.py in ~/.jupyter and nbgrader_config.local.py here are layered on top.
# A course directory outside this repository gets a copy of this file.
from pathlib import Path

from grading.course import configure_nbgrader

configure_nbgrader(get_config(), Path(__file__).resolve().parent)  # noqa: F821  (traitlets provides get_config)
