"""``jiuye``: the one command-line entry point, wrapping Django's management commands.

``jiuye demo``, ``jiuye serve``, ``jiuye regions load``… are management commands; anything
``manage.py`` accepts works here too.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuye.settings.dev")
    from django.core.management import execute_from_command_line

    argv[0] = "jiuye"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
