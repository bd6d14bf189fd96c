#!/usr/bin/env bash
# Checks every response of the running mock against the OpenAPI document.
#   tests/openapi/schemathesis.sh SCHEMATHESIS_BIN   (TICKSUPPLY_BASE_URL/_API_KEY set by with-mock)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
spec=${TICKSUPPLY_OPENAPI:-$repo/spec/openapi.yaml}
[ -f "$spec" ] || { echo "schemathesis: no OpenAPI document at $spec (set TICKSUPPLY_OPENAPI)" >&2; exit 2; }
# Bodies, content types and headers must match the document, and no 5xx may appear.
# status_code_conformance is left out on purpose: the document's own rule (a non-UUID
# Idempotency-Key is a 400) is missing from five operations' response lists, and the mock follows
# the rule (see mock/README.md). The coverage phase is skipped: it trips an internal
# hypothesis error in schemathesis 4.32 on this document.
exec "$1" run "$spec" \
  --url "$TICKSUPPLY_BASE_URL" \
  --header "X-Api-Key: $TICKSUPPLY_API_KEY" \
  --checks response_schema_conformance,content_type_conformance,response_headers_conformance,not_a_server_error \
  --phases examples,fuzzing,stateful \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" \
  --seed 20261128 \
  --workers 2 \
  --continue-on-failure
