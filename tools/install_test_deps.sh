#!/usr/bin/env bash
# Installs what `deno task test` needs besides Deno, and only what is missing: the real MariaDB
# server and mysql CLI, PHP with mysqli, Perl's DBD::MariaDB, Chromium, Redis, and Python's
# PyMySQL and mysql-connector-python (the tests start their own private instances; no system
# service is set up). `deno task test` runs it first; .ci/run runs `deno task test`.
#
#   bash tools/install_test_deps.sh [--dry-run]
#
# Debian packages come from apt-get, as root or through sudo (it says which, and what it installs,
# before it starts). The Python drivers come from pip for the `python3` on PATH, the one the tests
# run. With nothing missing it installs nothing and prints one line. `--dry-run` only lists what
# is missing. On a machine without apt-get it lists what to install and exits 1.
set -euo pipefail

dry_run=""
[ "${1:-}" = "--dry-run" ] && dry_run=1

have() { command -v "$1" >/dev/null 2>&1; }

# Debian package → why the tests need it. A package is listed when its check fails.
need=()
have mariadbd || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
have mysql || need+=(mariadb-client)
have php || need+=(php-cli)
php -r 'exit(extension_loaded("mysqli") ? 0 : 1);' >/dev/null 2>&1 || need+=(php-mysql)
perl -MDBD::MariaDB -e1 >/dev/null 2>&1 || need+=(libdbd-mariadb-perl)
[ -x /usr/bin/chromium ] || need+=(chromium)
have redis-server || [ -x /usr/bin/redis-server ] || need+=(redis-server)
have python3 || need+=(python3)
if ! python3 -m pip --version >/dev/null 2>&1; then need+=(python3-pip); fi

python_drivers=""
python3 -c "import pymysql, mysql.connector" >/dev/null 2>&1 || python_drivers=1

if [ ${#need[@]} -eq 0 ] && [ -z "$python_drivers" ]; then
  echo "==> test dependencies: all present (MariaDB, mysql CLI, PHP mysqli, Perl DBD::MariaDB, Chromium, Redis, Python drivers)"
  exit 0
fi

[ ${#need[@]} -gt 0 ] && echo "==> test dependencies missing, Debian packages: ${need[*]}"
[ -n "$python_drivers" ] && echo "==> test dependencies missing, Python packages: pymysql mysql-connector-python"
[ -n "$dry_run" ] && exit 0

if [ ${#need[@]} -gt 0 ]; then
  if ! have apt-get; then
    echo "error: no apt-get here; install the packages above (or their equivalents) and run again" >&2
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif have sudo; then
    as_root=(sudo)
    echo "==> not root: using sudo for apt-get (it may ask for your password)"
  else
    echo "error: not root and no sudo; as root run: apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "==> apt-get install ${need[*]}"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ -n "$python_drivers" ]; then
  # pip reads the configured index (in CI, a local wheel mirror); as a user the packages go to
  # ~/.local, as root to /usr/local. mysql-connector-python is not packaged by Debian 12, so it
  # takes pip. Debian's Python marks itself externally managed (PEP 668) and pip then refuses
  # any install, --user too, with a page-long error, unless told: tell it up front when the
  # marker is there (pip still leaves Debian's own python3-* packages alone).
  opts=(--quiet)
  [ "$(id -u)" -eq 0 ] || opts+=(--user)
  if python3 -c 'import os, sys, sysconfig
sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) else 1)'; then
    opts+=(--break-system-packages)
  fi
  echo "==> pip install ${opts[*]:1} pymysql mysql-connector-python (for $(command -v python3))"
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install "${opts[@]}" pymysql mysql-connector-python
fi
echo "==> test dependencies installed"
