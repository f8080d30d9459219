#!/usr/bin/env bash
# The linters and type checks CI runs before the tests (after scripts/setup.sh): each
# must report nothing. ruff and mypy read their settings from pyproject.toml (mypy:
# strict over src); TypeScript checks the JSDoc types of widget/src (widget/tsconfig.json:
# checkJs, strict, noEmit: it checks, the esbuild bundles stay as they are).
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
step() {
  echo "check: $*" >&2
  "$@" || status=1
}
step .venv/bin/ruff check src tests bench examples
step .venv/bin/ruff format --check src tests bench examples
step .venv/bin/mypy --strict
step npm --prefix widget run --silent typecheck
[ "$status" -eq 0 ] || echo "check: FAILED (see above)" >&2
exit "$status"
