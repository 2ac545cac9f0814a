"""What FastAPI's OpenAPI document lacks, added after it is generated:

- links: how the value one response gives feeds the next request (upload -> ``file_id`` ->
  submit -> ``request_id`` -> status, result, cancel, ...), so generated clients and tools
  (schemathesis' stateful phase) can follow a job;
- parameters that are absent or a value, never null: a query string or a header has no null,
  while FastAPI writes an optional parameter as "anyOf: [its type, null]"."""

from __future__ import annotations

from typing import Any

_REQUEST = {"request_id": "$response.body#/request_id"}
_FILE = {"file_id": "$response.body#/file_id"}

# (operationId, status) -> {link name: link}; operationIds are the route functions' names.
LINKS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("upload", "201"): {
        "Separate": {
            "operationId": "submit",
            "requestBody": {"input": {"file_id": "$response.body#/file_id", "prompt": "isolate the speaker"}},
            "description": "Separate a sound out of the uploaded file.",
            # This body as it is: schemathesis would otherwise merge it into a generated one.
            "x-schemathesis": {"merge_body": False},
        },
        "GetFile": {"operationId": "get_file", "parameters": _FILE},
        "Download": {"operationId": "get_content", "parameters": _FILE},
        "DeleteFile": {"operationId": "delete_file", "parameters": _FILE},
    },
    ("submit", "202"): {
        "Status": {"operationId": "status", "parameters": _REQUEST},
        "StatusStream": {"operationId": "status_stream", "parameters": _REQUEST},
        "Result": {"operationId": "result", "parameters": _REQUEST},
        "Cancel": {"operationId": "cancel", "parameters": _REQUEST},
        "WebhookDeliveries": {"operationId": "deliveries", "parameters": _REQUEST},
        "Delete": {"operationId": "delete_request", "parameters": _REQUEST},
    },
    ("result", "200"): {
        "DownloadTarget": {"operationId": "get_content", "parameters": {"file_id": "$response.body#/target/file_id"}},
        "DownloadResidual": {
            "operationId": "get_content",
            "parameters": {"file_id": "$response.body#/residual/file_id"},
        },
    },
}


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with links and without null parameters (changed in place)."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            for (operation_id, status), links in LINKS.items():
                if operation.get("operationId") == operation_id:
                    operation["responses"][status].setdefault("links", {}).update(links)
            for parameter in operation.get("parameters", []):
                _drop_null(parameter["schema"])
    return schema


def _drop_null(schema: dict[str, Any]) -> None:
    options = schema.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [option for option in options if option != {"type": "null"}]
        del schema["anyOf"]
        if len(rest) == 1:
            schema.update(rest[0])
        else:
            schema["anyOf"] = rest
