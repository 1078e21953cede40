# nbgrader reads this file when it runs from the repository root; the course config is in grading/.
load_subconfig("grading/nbgrader_config.py")  # noqa: F821  (provided by traitlets)
