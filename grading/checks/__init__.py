"""The trusted checks of the course's notebooks, one module per notebook (named after the
notebook file): see ``docs/writing-tests.md`` and ``grading.trusted.registry``."""
