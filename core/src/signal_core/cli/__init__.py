"""The ``signal`` command line."""
