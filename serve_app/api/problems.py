"""Framework errors (request validation, HTTP errors) as the API's own errors: a
stable type, the field at fault, and a sentence that says what to change, never
a parser's internals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from serve_app.errors import ErrorType, ServiceError

# The message for each pydantic error type: {field} is the dotted field name,
# {ctx...} the error's context (limits, expected values).
_MESSAGES: dict[str, str] = {
    "missing": "{field} is required.",
    "extra_forbidden": "{field} is not a field of this request; remove it (the fields are in the API reference).",
    "string_type": "{field} must be a string.",
    "string_too_short": "{field} must not be empty.",
    "string_too_long": "{field} is too long: at most {max_length} characters.",
    "string_pattern_mismatch": "{field} has the wrong form: it must match the pattern {pattern}.",
    "bool_type": "{field} must be true or false (a JSON boolean, not a string or a number).",
    "bool_parsing": "{field} must be true or false (a JSON boolean, not a string or a number).",
    "float_type": "{field} must be a number (a JSON number, not a string).",
    "float_parsing": "{field} must be a number (a JSON number, not a string).",
    "int_type": "{field} must be a whole number.",
    "int_parsing": "{field} must be a whole number.",
    "finite_number": "{field} must be a finite number, not NaN or infinity.",
    "greater_than": "{field} must be greater than {gt:g}.",
    "greater_than_equal": "{field} must be {ge:g} or more.",
    "less_than": "{field} must be less than {lt:g}.",
    "less_than_equal": "{field} must be {le:g} or less.",
    "list_type": "{field} must be a list.",
    "too_long": "{field} has too many items: at most {max_length}.",
    "dict_type": "{field} must be a JSON object.",
    "model_type": "{field} must be a JSON object.",
    "model_attributes_type": "{field} must be a JSON object.",
    "literal_error": "{field} must be one of {expected}.",
    "enum": "{field} must be one of {expected}.",
}


def field_name(loc: Sequence[Any]) -> str | None:
    """``("body", "input", "spans", 0, "start")`` -> ``input.spans[0].start``."""
    out = ""
    for part in loc:
        if part in ("body", "query", "path", "header", "cookie") and not out:
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or None


def validation_problem(errors: Sequence[dict[str, Any]], body: Any, content_type: str) -> ServiceError:
    """The error a client sees for a request FastAPI could not validate."""
    first = errors[0] if errors else {"type": "", "loc": (), "msg": "invalid request"}
    kind = first.get("type", "")
    if kind == "json_invalid":
        return _json_problem(first, body)
    if field_name(first.get("loc", ())) is None and kind in ("model_attributes_type", "dict_type", "model_type"):
        # The body is not a JSON object: most often a form or text sent by mistake.
        if not content_type.startswith("application/json"):
            return ServiceError(
                f"The body must be JSON: send it with Content-Type: application/json (got {content_type or 'none'}).",
                type=ErrorType.UNSUPPORTED_MEDIA_TYPE,
                field="Content-Type",
                status_code=415,
            )
        return ServiceError("The body must be a JSON object.", type=ErrorType.INVALID_REQUEST, status_code=422)
    details = [{"field": field_name(e.get("loc", ())), "message": describe(e)} for e in errors]
    # Our validators name their own type (PydanticCustomError) for what a schema cannot express.
    own = {t.value: t for t in ErrorType}
    error = ServiceError(
        describe(first),
        type=own.get(str(kind), ErrorType.INVALID_REQUEST),
        field=field_name(first.get("loc", ())),
        status_code=422,
    )
    error.details = details if len(details) > 1 else None
    return error


def describe(error: dict[str, Any]) -> str:
    """One sentence for one validation error."""
    field = field_name(error.get("loc", ())) or "The request"
    template = _MESSAGES.get(error.get("type", ""))
    if template is None:  # our own validators' messages are already sentences
        message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
        return message[0].upper() + message[1:] if message else f"{field} is invalid."
    return template.format(field=field, **{k: v for k, v in (error.get("ctx") or {}).items()})


def _json_problem(error: dict[str, Any], body: Any) -> ServiceError:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    loc = error.get("loc", ())
    position = loc[-1] if loc and isinstance(loc[-1], int) else 0
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    reason = (error.get("ctx") or {}).get("error", "invalid JSON")
    return ServiceError(
        f"The body is not valid JSON ({reason} at line {line}, column {column}). "
        "Send a JSON object with Content-Type: application/json.",
        type=ErrorType.MALFORMED_REQUEST,
        status_code=400,
    )
