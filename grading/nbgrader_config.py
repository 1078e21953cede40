"""nbgrader configuration of this course, for the ``nbgrader`` command line.

Run nbgrader from the repository root (``nbgrader autograde 01_linear_regression``): the
root ``nbgrader_config.py`` loads this file. The settings themselves live in
``grading.course.apply_course_config`` so the CLI and ``python -m grading`` agree.
Kernels run in the sandbox when bubblewrap works here; otherwise nbgrader's CLI grades
unsandboxed, with a warning (``python -m grading autograde`` refuses instead).
"""

import sys

from grading.course import CourseLayout, REPO_ROOT, apply_course_config, set_kernel_environment
from grading.sandbox import sandbox_problem

problem = sandbox_problem()
if problem:
    print(f"WARNING: grading without a sandbox: {problem}", file=sys.stderr)
c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)
apply_course_config(c, CourseLayout(root=REPO_ROOT), sandbox=problem is None)
set_kernel_environment()
