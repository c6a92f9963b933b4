# Shared settings and helpers for the OdooOps scripts (sourced, never run).
# Every path can be moved with an environment variable; the defaults are what
# README.md documents.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
  ODOOOPS_HOME=${ODOOOPS_HOME:-/var/lib/odooops}
else
  ODOOOPS_HOME=${ODOOOPS_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/odooops}
fi
ODOO_PATH=${ODOO_PATH:-$ODOOOPS_HOME/odoo-19.0}
ODOO_GIT_URL=${ODOO_GIT_URL:-https://github.com/odoo/odoo.git}
VENV=${ODOOOPS_VENV:-$ODOOOPS_HOME/venv}
PY=$VENV/bin/python
TOOLS_VENV=${ODOOOPS_TOOLS_VENV:-$ODOOOPS_HOME/tools-venv}   # test tools that clash with Odoo's pins
PGDATA=${ODOOOPS_PGDATA:-$ODOOOPS_HOME/pg/data}
PGRUN=$ODOOOPS_HOME/pg/run
PGPORT=${ODOOOPS_PG_PORT:-5433}
PGHOST=127.0.0.1
PGUSER=odooops
SECRETS=$ODOOOPS_HOME/secrets
HTTP_PORT=${ODOOOPS_HTTP_PORT:-8069}
GEVENT_PORT=${ODOOOPS_GEVENT_PORT:-8072}
CP_DB=${ODOOOPS_DB:-odooops}
# queue_job's channels, for every Odoo that serves a control plane (scripts/up and the tests).
ODOO_QUEUE_JOB_CHANNELS=${ODOO_QUEUE_JOB_CHANNELS:-root:4,root.deploy:2}
export ODOOOPS_HOME ODOO_PATH PGHOST PGPORT PGUSER ODOO_QUEUE_JOB_CHANNELS

say()  { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
warn() { printf '\033[33m!!! %s\033[0m\n' "$*" >&2; }
die()  { printf '\033[31mxxx %s\033[0m\n' "$*" >&2; exit 1; }

as_pg_owner() {
  # PostgreSQL refuses to run as root: run its tools as the postgres account then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
  local d
  for d in "${ODOOOPS_PG_BINDIR:-}" /usr/lib/postgresql/{17,16,15}/bin; do
    [ -n "$d" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
  command -v pg_ctl >/dev/null && { dirname "$(command -v pg_ctl)"; return; }
  return 1
}

pg_password() { cat "$SECRETS/pg_password"; }
export_pgpassword() { PGPASSWORD=$(pg_password); export PGPASSWORD; }

odoo_found() { [ -f "$ODOO_PATH/odoo-bin" ] && [ -d "$ODOO_PATH/odoo/addons/base" ]; }

queue_job_dir() {
  # The PyPI wheel installs queue_job inside the venv's odoo/addons namespace.
  "$PY" - <<'PY'
import sysconfig, os
p = os.path.join(sysconfig.get_paths()["purelib"], "odoo", "addons")
print(p)
PY
}

addons_path() {
  echo "$ODOO_PATH/addons,$ODOO_PATH/odoo/addons,$(queue_job_dir),$REPO/addons"
}

http_ok() { "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1" 2>/dev/null; }

# What tests/controlplane.py needs to start real control planes (scripts/test, scripts/bench).
export_harness_env() {
  export_pgpassword
  export ODOOOPS_TEST_PYTHON=$PY
  export ODOOOPS_TEST_SCHEMATHESIS=${ODOOOPS_TEST_SCHEMATHESIS:-$TOOLS_VENV/bin/st}
  if odoo_found; then
    export ODOOOPS_TEST_ODOO_PATH=$ODOO_PATH ODOOOPS_TEST_ADDONS_PATH=$(addons_path)
  fi
}
