#!/usr/bin/env python
"""Django's command-line utility."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sre.settings")
    from django.core.management import execute_from_command_line

    from sre.observability.sentry import sentry_configure

    # A failing command (the migrations Job's migrate, a restore) reaches Sentry when SENTRY_DSN is set.
    sentry_configure(role="manage")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
