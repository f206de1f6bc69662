"""Entry point: ``python3 -m devkit demo [--no-serve] | test | i18n``."""

import argparse
import sys

from . import console, demo_command, i18n_command, test_command


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m devkit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="serve Odoo with the addon and demo data on 127.0.0.1:8069")
    demo.add_argument("--no-serve", action="store_true", help="prepare, print a summary and exit")
    demo.add_argument("--service", choices=demo_command.SERVICES, default="banks",
                      help="pay by bank through the sandbox banks directly, or through a service's sandbox")
    test = commands.add_parser("test", help="lint, plain-Python tests and the addon's Odoo tests")
    test.add_argument("--tags", help="development only: run just these Odoo tests (Odoo's --test-tags syntax)")
    commands.add_parser("i18n", help="export the addon's terms and merge them into the French catalogue")
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            return demo_command.main(serve=not args.no_serve, service=args.service)
        if args.command == "i18n":
            return i18n_command.main()
        return test_command.main(tags=args.tags)
    except console.Fatal as error:
        print(f"\nERROR: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
