"""nbgrader configuration of this course, for the ``nbgrader`` command line.

Run nbgrader from the repository root (``nbgrader autograde 01_linear_regression``): the
root ``nbgrader_config.py`` loads this file. The settings themselves live in
``grading.course.apply_course_config`` so the CLI and ``python -m grading`` agree.
"""

from grading.course import CourseLayout, REPO_ROOT, apply_course_config, set_kernel_environment

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)
apply_course_config(c, CourseLayout(root=REPO_ROOT))
set_kernel_environment()
