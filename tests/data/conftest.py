# Fixture notebooks here are inputs to tests (tests/test_release.py, test_cli.py, test_nbgrader.py),
# not lessons: keep nbval from collecting them.
collect_ignore_glob = ["*.ipynb"]
