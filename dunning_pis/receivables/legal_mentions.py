"""The payment mentions of an invoice (France: L441-9, L441-10, D441-5) as wordings with placeholders.

A company may reword each mention; its wording may only use the placeholders of that mention, written
``{name}`` with nothing else inside the braces, so that a wording can neither fail at printing time nor
reach anything but the values given to it.
"""

import string

PLACEHOLDERS = {
    "due_date": frozenset({"date"}),
    "discount": frozenset({"percent", "date", "amount", "tax"}),
    "no_discount": frozenset(),
    "late_interest": frozenset({"rate"}),
    "indemnity": frozenset({"amount"}),
}


class WordingError(ValueError):
    """A wording that cannot be filled in: ``problem`` is 'syntax' or 'unknown', ``names`` what was wrong."""

    def __init__(self, problem, names=()):
        super().__init__(problem, names)
        self.problem = problem
        self.names = tuple(names)


def check(mention, wording):
    """Raise WordingError unless ``wording`` only uses the placeholders of ``mention``."""
    try:
        parts = list(string.Formatter().parse(wording or ""))
    except ValueError as error:
        raise WordingError("syntax") from error
    unknown = []
    for _text, name, spec, conversion in parts:
        if name is None:
            continue
        if spec or conversion or name not in PLACEHOLDERS[mention]:
            unknown.append(name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else ""))
    if unknown:
        raise WordingError("unknown", unknown)


def fill(mention, wording, **values):
    """``wording`` with its placeholders replaced by ``values`` (already formatted for the reader)."""
    check(mention, wording)
    return wording.format_map({name: values[name] for name in PLACEHOLDERS[mention]})
