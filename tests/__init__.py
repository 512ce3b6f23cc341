"""The test suite, a package so that tests import their helpers as ``tests.builders``,
``tests.metrics_case`` and ``tests.voila_server`` wherever pytest is run from."""
