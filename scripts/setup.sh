#!/usr/bin/env bash
# Set up a working copy: a virtualenv in .venv with pnav installed editable, and the
# widget built into the package. With --test, also Debian's Chromium and openssl for the
# browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# openssl makes the certificate of the TLS trace tests.
if [ "${1:-}" = "--test" ] && { [ ! -x /usr/bin/chromium ] || ! command -v openssl >/dev/null; }; then
  echo "setup: installing Debian's chromium and openssl for the browser tests" >&2
  sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq chromium openssl
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev,postgres,redis,translate,deploy,django]'
# The out-of-tree example backend: tests check that plugins register and pass contracts.
.venv/bin/python -m pip install -q -e ./examples/custom_backend

npm --prefix widget ci --no-audit --no-fund --loglevel=error
npm --prefix widget run build --silent
