#!/usr/bin/env python3
"""Writes the schemathesis configuration that follows from the served document: an operation
whose 422 response is its own (it states rules a JSON Schema cannot: a referenced id, a time
not in the future, the next state of a workflow) may refuse a schema-valid request with 422;
every other operation's 422 is the shared one, for what the schema states, and a schema-valid
request must then be accepted."""
import json
import sys
import urllib.request

document = json.load(urllib.request.urlopen(sys.argv[1], timeout=10))
ruled = sorted(
    f"{method.upper()} {path}"
    for path, operations in document["paths"].items()
    for method, operation in operations.items()
    if "$ref" not in operation.get("responses", {}).get("422", {"$ref": ""})
)
print("[[operations]]")
print("include-name = " + json.dumps(ruled))
print('checks.positive_data_acceptance.expected-statuses = '
      '["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]')
