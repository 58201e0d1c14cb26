"""Entry point of the frozen bundle: the ``opsplan`` console script (``opsplan.app.cli:main``).

``opsplan gui ...`` starts the plan board through the same entry. ``freeze_support`` comes first:
the race's members and the batch's process pool start child processes, which in a frozen
executable re-run this executable and must be told apart from a user's command.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from opsplan.app.cli import main

    sys.exit(main())
