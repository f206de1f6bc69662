"""What the commands print: short steps, loud notices, and fatal errors that stop them."""

import sys


class Fatal(Exception):
    """An error that stops the command with its message and a non-zero exit code."""


def step(message):
    print(f"==> {message}", flush=True)


def loud(message):
    bar = "!" * max(len(line) for line in message.splitlines())
    print(f"\n{bar}\n{message}\n{bar}\n", file=sys.stderr, flush=True)
