"""Set each graded cell's outcome from its trusted verdict (what nbgrader then scores).

nbgrader scores a test cell by its outputs: an error or any stderr output earns 0, anything
else full points. After the trusted checks have run, a graded cell's outputs are rebuilt:
the kernel's ordinary output stays (stdout, plots), its errors and stderr become a note,
and the verdict decides: a failed check adds one ``error`` output with the trusted message.
Cells the kernel never finished ("not run", "KernelDied") keep their error.
"""

from __future__ import annotations

from nbformat import NotebookNode

from grading.trusted.runner import Verdict

#: Kernel errors that mean the cell did not run to its end: they keep the cell at 0.
NOT_RUN = ("KernelDied",)
#: Kernel errors of a cell that ran out of time (nbgrader's timeout error, the interrupt it sends).
TIMED_OUT = ("CellTimeoutError", "KeyboardInterrupt")
PASSED_NOTE = "[graded by the course's checker: passed]\n"


def kernel_outcome(cell: NotebookNode) -> str | None:
    """The first error or stderr text of a cell as the kernel left it (``None``: it passed)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename', '')}: {str(out.get('evalue', ''))[:300]}"
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return "output on stderr: " + "".join(out.get("text", ""))[:300]
    return None


def not_run(cell: NotebookNode) -> bool:
    return any(out.get("output_type") == "error" and out.get("ename") in NOT_RUN for out in cell.get("outputs", []))


def apply_verdict(cell: NotebookNode, verdict: Verdict) -> dict | None:
    """Rewrite ``cell``'s outputs from ``verdict``; return an integrity finding when the
    kernel's run of the visible checks disagrees with the trusted one."""
    grade_id = verdict.grade_id
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    in_kernel = f"{errors[0].get('ename', '')}: {str(errors[0].get('evalue', ''))[:300]}" if errors else None
    kept = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            kept.append(NotebookNode(output_type="stream", name="stdout",
                                     text=f"[in your notebook this cell raised {out.get('ename', '')}: "
                                          f"{str(out.get('evalue', ''))[:500]}]\n"))
        elif out.get("output_type") == "stream" and out.get("name") == "stderr":
            kept.append(NotebookNode(output_type="stream", name="stdout", text="".join(out.get("text", ""))))
        else:
            kept.append(out)
    if verdict.passed:
        kept.append(NotebookNode(output_type="stream", name="stdout", text=PASSED_NOTE))
    else:
        kept.append(NotebookNode(output_type="error", ename="AssertionError", evalue=verdict.message,
                                 traceback=["Graded by the course's checker:", f"AssertionError: {verdict.message}"]))
    cell.outputs = kept
    if in_kernel is None and not verdict.visible_passed:
        return {"event": "verdict-mismatch", "cell": grade_id,
                "detail": "the visible checks passed in the kernel but failed in the trusted checker "
                          f"({verdict.message[:200]}): tampering, or the function was redefined after its test"}
    if in_kernel is not None and verdict.visible_passed and errors[0].get("ename") in TIMED_OUT:
        return {"event": "verdict-mismatch", "cell": grade_id,
                "detail": f"the test ran out of time in the kernel ({in_kernel[:200]}) but passed when the trusted "
                          "checker checked it again: a busy moment or a lost reply, or a function that stalls on "
                          "purpose in its test"}
    if in_kernel is not None and verdict.visible_passed:
        return {"event": "verdict-mismatch", "cell": grade_id,
                "detail": f"the visible checks failed in the kernel ({in_kernel[:200]}) but passed in the trusted "
                          "checker: the function may have been redefined after its test"}
    return None
