"""`mutmut run NAME...` without mutmut's clean pass, for scripts/mutation.py.

mutmut first runs, unmutated, every test that reaches the named mutants, to be sure they pass.
scripts/mutation.py has just had mutmut map the tests (its stats pass runs every test
unmutated and stops mutmut if one fails), so that pass would repeat it: six minutes here. The
rest is mutmut's own run (pinned at 3.8.1 in requirements-dev.txt), forced-failure check included.
"""
import sys

from mutmut.__main__ import _run
from mutmut.workers.isolation import ForkServerRunner

ForkServerRunner.run_clean_tests = lambda self, tests: 0
_run(sys.argv[1:], None)
