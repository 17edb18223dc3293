# Starts the local PostgreSQL, Redis and MariaDB the test suite uses, installing them from
# Debian's packages when missing. Sourced by .ci/test; idempotent.
#
# Exports PORTIER_TEST_POSTGRES (a server URL; tests create one database per test),
# PORTIER_TEST_REDIS and PORTIER_TEST_MYSQL (a server URL; the WHMCS import's tests create
# one database per test).

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

wait_for() {
  local what=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "error: $what did not come up" >&2
  return 1
}

ensure_redis() {
  if command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then
    return 0
  fi
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/portier-redis.log
  wait_for redis redis-cli -h 127.0.0.1 -p 6379 ping
}

ensure_postgres() {
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql
  fi
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_for postgresql pg_isready -h 127.0.0.1 -p 5432 -q
  fi
  ensure_test_role
}

# The tests connect as a role of their own, `portier_test` (it may create databases), which
# this script creates when missing; it never changes a role it did not create.
ensure_test_role() {
  if psql "postgres://portier_test:portier_test@127.0.0.1:5432/postgres" -qAtc 'select 1' >/dev/null 2>&1; then
    return 0
  fi
  as_root su postgres -c "psql -q -v ON_ERROR_STOP=1" >/dev/null <<'SQL'
do $$ begin
  if not exists (select from pg_roles where rolname = 'portier_test') then
    create role portier_test login createdb password 'portier_test';
  end if;
end $$;
SQL
}

# MariaDB, for `portier import whmcs` (tests/it/operators/whmcs.rs): the tests connect as a
# user of their own, `portier_test`, allowed only on databases named `whmcs_test_…`; created
# here when missing, through the server's socket as its administrator.
ensure_mariadb() {
  if ! command -v mariadb >/dev/null || ! { command -v mariadbd || command -v mysqld; } >/dev/null; then
    apt_install mariadb-server
  fi
  if ! mariadb-admin -h 127.0.0.1 -P 3306 --connect-timeout=2 status >/dev/null 2>&1 \
      && ! mariadb-admin -h 127.0.0.1 -P 3306 --connect-timeout=2 status 2>&1 | grep -q "Access denied"; then
    as_root service mariadb start >/dev/null 2>&1 || as_root /etc/init.d/mariadb start >/dev/null
    wait_for mariadb bash -c 'mariadb-admin -h 127.0.0.1 -P 3306 --connect-timeout=2 status 2>&1 | grep -qE "Uptime|Access denied"'
  fi
  if mariadb -h 127.0.0.1 -P 3306 -u portier_test -pportier_test -e 'select 1' >/dev/null 2>&1; then
    return 0
  fi
  as_root mariadb -e "
    create user if not exists 'portier_test'@'localhost' identified by 'portier_test';
    create user if not exists 'portier_test'@'127.0.0.1' identified by 'portier_test';
    grant all privileges on \`whmcs\\_test\\_%\`.* to 'portier_test'@'localhost';
    grant all privileges on \`whmcs\\_test\\_%\`.* to 'portier_test'@'127.0.0.1';"
}

# Headless Chromium and its WebDriver, for the console's browser test (tests/it/console/).
ensure_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    return 0
  fi
  apt_install chromium chromium-driver
}

ensure_redis
ensure_postgres
ensure_mariadb
ensure_chromium
export PORTIER_TEST_POSTGRES="${PORTIER_TEST_POSTGRES:-postgres://portier_test:portier_test@127.0.0.1:5432}"
export PORTIER_TEST_REDIS="${PORTIER_TEST_REDIS:-redis://127.0.0.1:6379}"
export PORTIER_TEST_MYSQL="${PORTIER_TEST_MYSQL:-mysql://portier_test:portier_test@127.0.0.1:3306}"
