"""Instructor tooling on top of nbgrader: release, check, autograde, grade, demo, slides."""
