#!/usr/bin/env bash
# Validates docker-compose.yml the way an operator's first `docker compose up` would read it: with a .env made
# from .env.example plus the required values, it must parse and interpolate; without a required value it must stop.
# Needs only the compose client (no container engine). COMPOSE overrides the command (e.g. "docker-compose").
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${COMPOSE:-}" ]; then
  read -r -a compose <<<"$COMPOSE"
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  echo "docker compose not available: skipped compose config"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A copy, so that the throwaway .env is the one both the interpolation and every service's env_file read.
cp docker-compose.yml Dockerfile "$work"/
required='^(SECRET_KEY|ALLOWED_HOSTS|POSTGRES_PASSWORD|CAPTURE_ALLOWED_HOSTS)='
{
  grep -vE "$required" .env.example
  echo "SECRET_KEY=compose-check-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  echo "ALLOWED_HOSTS=pipeline.example.invalid"
  echo "POSTGRES_PASSWORD=compose0check"
  echo "CAPTURE_ALLOWED_HOSTS=hk.example.invalid"
} >"$work/.env"

run() { (cd "$work" && "${compose[@]}" --env-file .env -f docker-compose.yml "$@"); }

run config -q
echo "compose config: valid with a filled-in .env"
grep -v '^POSTGRES_PASSWORD=' "$work/.env" >"$work/.env.partial" && mv "$work/.env.partial" "$work/.env"
if run config -q 2>"$work/err"; then
  echo "compose config accepted a .env without POSTGRES_PASSWORD"
  exit 1
fi
grep -q "POSTGRES_PASSWORD" "$work/err" || { cat "$work/err"; exit 1; }
echo "compose config: refuses a .env without a required value"
