#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

Production settings unless DJANGO_SETTINGS_MODULE says otherwise, so a
server where it was forgotten fails loudly (no SECRET_KEY) instead of
running with debug on. ``make demo`` and ``make test`` choose their own.
"""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
