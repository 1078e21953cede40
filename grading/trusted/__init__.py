"""Trusted verdicts: graded checks that run where student code does not.

- ``grading.trusted.student``: ``Student``, the checker's handle on a submission: it asks
  the student's kernel (``KernelStudent``) or, in unit tests, a plain namespace
  (``LocalStudent``) to call a function, and gets plain data back (``helpers.wire``).
- ``grading.trusted.registry``: the ``@check(grade_id)`` decorator and the loader of a
  notebook's check module (``grading/checks/<notebook>.py``).
- ``grading.trusted.runner``: runs a notebook's checks and returns one ``Verdict`` per
  graded cell.
- ``grading.trusted.reference``: the instructor's solution functions, loaded from
  ``solutions/`` into the checker (never into a kernel).

``grading.preprocessors.execute.RobustExecute`` runs the checks after the notebook has run
and sets each graded cell's outcome from its verdict (``grading.trusted.apply``).
"""
