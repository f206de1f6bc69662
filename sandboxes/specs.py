"""The specifications the sandbox bank and the tests check messages against.

- Berlin Group NextGenPSD2 1.3.12: the official OpenAPI 3 file (© The Berlin Group, CC BY 4.0), in the
  ``shared/specs`` folder beside the repository (``DUNNING_SPECS`` points elsewhere), read by openapi-core.
- STET v1.6: JSON Schema files written from its documentation, in ``tests/specs/stet-1.6``.

The OpenAPI file is used as published; only its ``servers`` are replaced by the sandbox banks' addresses
(``<scheme>://<host>/berlin-group``), since openapi-core matches request URLs against them.
"""

import functools
import json
import os
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from referencing import Registry, Resource

REPOSITORY = Path(__file__).resolve().parent.parent
SHARED_SPECS = Path(os.environ.get("DUNNING_SPECS") or REPOSITORY.parent / "shared" / "specs")
BERLIN_GROUP_FILE = SHARED_SPECS / "berlin-group-psd2-api-1.3.12.yaml"
STET_FOLDER = REPOSITORY / "tests" / "specs" / "stet-1.6"


class SpecError(ValueError):
    """A message the specification refuses; ``errors`` says why, one line per reason."""

    def __init__(self, errors):
        super().__init__("; ".join(errors))
        self.errors = errors


@functools.cache
def berlin_group_document():
    if not BERLIN_GROUP_FILE.exists():
        raise FileNotFoundError(f"the Berlin Group OpenAPI file is not at {BERLIN_GROUP_FILE} (set DUNNING_SPECS)")
    with BERLIN_GROUP_FILE.open(encoding="utf-8") as stream:
        return yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (a safe loader)


@functools.cache
def berlin_group_api():
    """openapi-core's view of the official file, for banks whose API starts at <scheme>://<host>/berlin-group."""
    server = {"url": "{scheme}://{host}/berlin-group",
              "variables": {"scheme": {"default": "https"}, "host": {"default": "127.0.0.1"}}}
    return OpenAPI.from_dict({**berlin_group_document(), "servers": [server]})


def check_berlin_group_request(prepared_request):
    """Raise SpecError if the official file refuses this request (a ``requests.PreparedRequest``)."""
    try:
        berlin_group_api().validate_request(RequestsOpenAPIRequest(prepared_request))
    except Exception as error:  # openapi-core raises a family of its own exceptions
        raise SpecError(_openapi_reasons(error)) from error


def check_berlin_group_response(prepared_request, response):
    try:
        berlin_group_api().validate_response(RequestsOpenAPIRequest(prepared_request),
                                                      RequestsOpenAPIResponse(response))
    except Exception as error:
        raise SpecError(_openapi_reasons(error)) from error


@functools.cache
def _stet_registry():
    registry = Registry()
    for path in sorted(STET_FOLDER.glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        registry = registry.with_resource(contents["$id"], Resource.from_contents(contents))
    return registry


def stet_errors(name, instance):
    """Why ``instance`` does not match the STET schema ``name`` (e.g. "payment-request"); empty if it does."""
    registry = _stet_registry()
    schema = registry.contents(f"urn:stet-psd2-1.6:{name}")
    validator = Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [_describe(error) for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.path))]


def check_stet(name, instance):
    errors = stet_errors(name, instance)
    if errors:
        raise SpecError(errors)


def _describe(error):
    """"'debtorAccount' is a required property (at $)"; for a oneOf/anyOf, the reasons of each branch."""
    if error.context:
        reasons = []
        for sub in sorted(error.context, key=lambda sub: (sub.relative_schema_path[0], list(sub.absolute_path))):
            reason = _describe(sub)
            if reason not in reasons:
                reasons.append(reason)
        return " or ".join(reasons)
    location = "$" + "".join(f"[{part!r}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    return f"{error.message[:200]} (at {location})"


def _openapi_reasons(error):
    """What openapi-core found, down to the schema's own reasons where it has them."""
    reasons = []
    pending = [error]
    while pending:
        failure = pending.pop(0)
        schema_errors = getattr(failure, "schema_errors", None)
        if schema_errors:
            reasons.extend(_describe(schema_error) for schema_error in schema_errors)
            continue
        nested = [*(getattr(failure, "errors", None) or []), *([failure.__cause__] if failure.__cause__ else [])]
        if nested:
            pending.extend(nested)
        elif str(failure) not in reasons:
            reasons.append(str(failure)[:300])
    return reasons or [repr(error)]
