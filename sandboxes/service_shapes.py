"""The shape of GoCardless's bodies, as its official client ``gocardless-pro`` reads them.

The client's resource classes are generated from GoCardless's API description, the same one its
repository's ``tests/fixtures/*.json`` are generated from: each documented attribute is a property, each
nested object a class of its own with its properties (``BillingRequest.Links.payment_request_payment``).
``unknown_keys`` lists what a body of ours holds that GoCardless does not document there; the sandbox
records any in its ``errors`` and the tests check that it stays empty.
"""

import functools
import inspect
import re

from gocardless_pro import resources

# Envelope name → resource class of the official client.
RESOURCES = {
    "billing_requests": resources.BillingRequest,
    "billing_request_flows": resources.BillingRequestFlow,
    "payments": resources.Payment,
    "mandates": resources.Mandate,
    "creditors": resources.Creditor,
    "events": resources.Event,
}
# Nested objects whose keys are free (metadata) or whose values are lists of objects the client does not
# type (actions).
FREE = frozenset({"metadata", "resource_metadata", "actions", "customer_notifications"})


def _camel(name):
    return "".join(part.title() for part in name.split("_"))


@functools.cache
def properties(cls):
    return frozenset(name for name, value in inspect.getmembers(cls) if isinstance(value, property))


def _nested(cls, name):
    for candidate in (_camel(name), _camel(re.sub(r"s$", "", name))):
        nested = getattr(cls, candidate, None)
        if inspect.isclass(nested):
            return nested
    return None


def unknown_keys(envelope, body):
    """["billing_requests.links.foo", ...]: the keys of ``body[envelope]`` the official client does not know."""
    cls = RESOURCES[envelope]
    value = body.get(envelope)
    items = value if isinstance(value, list) else [value]
    unknown = []
    for item in items:
        unknown.extend(_walk(cls, item, envelope))
    return sorted(set(unknown))


def _walk(cls, item, path):
    if not isinstance(item, dict):
        return [f"{path} (not an object)"]
    unknown = []
    known = properties(cls)
    for key, value in item.items():
        if key not in known:
            unknown.append(f"{path}.{key}")
            continue
        nested = _nested(cls, key)
        if key not in FREE and nested is not None and isinstance(value, dict):
            unknown.extend(_walk(nested, value, f"{path}.{key}"))
    return unknown
