"""Sub-commands of the ``ganforge`` CLI, one module each with a ``register(sub)`` function.

``cli.py`` lists them in ``COMMANDS``. A module imports only argparse at the top and its heavy
dependencies inside the function that runs the command, so ``ganforge --help`` stays instant.
"""
