"""Review a learner's own implementation of the study post, step by step.

The post is a code-review assignment: a learner writes ``init_parameters``, ``affine``,
``sigmoid``, ``binary_cross_entropy``, ``forward_loss``, ``get_gradients`` and ``optimize`` in
NumPy. This package runs those functions on the post's data and on other sizes, compares every
returned array with xornet's (:mod:`xornet.tutorial`, :mod:`xornet.explain`), and says which
step is wrong and why: each wrong result is tested against a catalogue of known mistakes
(:mod:`xornet.review.catalogue`), so a finding can say "your dLdW1 is np.dot(dLdZ1, X.T), the
transpose" rather than "wrong".

* :func:`review_file` reviews a ``.py`` file or a ``.ipynb`` notebook;
* :func:`review_folder` reviews every submission in a folder, several at once, and
  :func:`write_csv` / :func:`write_html` write the grades and the pages;
* :func:`check` reviews the functions defined in a running notebook (``check(globals())``).

Isolation: :func:`review_file` and :func:`review_folder` run the learner's code in a separate
Python process with a wall-clock limit, a memory (address-space) limit, a CPU-time limit and a
file-size limit, its output captured and cut short, so that code which hangs, eats memory,
crashes or calls ``sys.exit`` is recorded as such and the other submissions are reviewed. This
is **not a sandbox**: the code runs with the reviewer's permissions and can read and write
their files and use the network. Review only code you would run yourself. :func:`check` runs
the functions in the calling process, with no limits at all.
"""

from __future__ import annotations

from xornet.review._model import CHECKS, Shown
from xornet.review._record import Finding, Review
from xornet.review.batch import find_submissions, review_folder, write_csv, write_html
from xornet.review.checks import check
from xornet.review.isolate import review_file
from xornet.review.post_layout import post_arrays, render_post

__all__ = [
    "CHECKS",
    "Finding",
    "Review",
    "Shown",
    "check",
    "find_submissions",
    "post_arrays",
    "render_post",
    "review_file",
    "review_folder",
    "write_csv",
    "write_html",
]
