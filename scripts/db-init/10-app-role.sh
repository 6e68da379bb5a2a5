#!/usr/bin/env bash
# Creates the role the application logs in as (APP_DB_USER, default trialsite_app), with the
# password APP_DB_PASSWORD. The postgres image runs this once, when it initialises an empty data
# directory; on an existing one, run it by hand (it is idempotent and resets the password):
#   docker compose exec db bash /docker-entrypoint-initdb.d/10-app-role.sh
# The role owns nothing and may not create roles or databases; `manage.py grant_app_role`, run by
# the owner after migrate, grants it the tables.
set -eo pipefail

: "${APP_DB_PASSWORD:?set APP_DB_PASSWORD}"
export APP_DB_USER="${APP_DB_USER:-trialsite_app}"

# The password is read from the environment inside psql (never on a command line), and this
# session's statements are kept out of the server log.
psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet \
    --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" <<'SQL'
SET log_statement = 'none';
SET log_min_error_statement = 'panic';
\getenv app_user APP_DB_USER
\getenv app_password APP_DB_PASSWORD
SELECT format('CREATE ROLE %I', :'app_user')
    WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_user') \gexec
SELECT format(
    'ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS '
    'PASSWORD %L', :'app_user', :'app_password') \gexec
SQL
echo "10-app-role.sh: role ${APP_DB_USER} is ready; run manage.py grant_app_role ${APP_DB_USER}."
