#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, if they are missing:
# PostgreSQL server (15 preferred), Redis server, Chromium + chromedriver and
# the DejaVu fonts used for headless browser rendering and the PDFs, and Pango, with which
# WeasyPrint lays out the PDFs.
# With --pdf, only what the PDFs need (for `make run`).
# Idempotent: when everything is present it changes nothing and does not touch apt.
set -euo pipefail

missing=()
pdf_only=false
if [ "${1:-}" = --pdf ]; then
    pdf_only=true
fi

if ! $pdf_only; then
    # PostgreSQL server binaries (any version under /usr/lib/postgresql/*/bin; 15 preferred).
    if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
        missing+=(postgres)
    fi
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        missing+=(redis-server)
    fi
    if [ ! -x /usr/bin/chromium ]; then
        missing+=(chromium)
    fi
    if [ ! -x /usr/bin/chromedriver ]; then
        missing+=(chromium-driver)
    fi
fi
for package in fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-system-deps: all system packages present"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "install-system-deps: missing ${missing[*]}, and not root and no sudo available" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-system-deps: installing missing: ${missing[*]}"
"${sudo[@]}" apt-get update -qq

packages=()
for item in "${missing[@]}"; do
    if [ "$item" = postgres ]; then
        # Prefer the versioned package; fall back to the distribution default.
        if apt-cache show postgresql-15 >/dev/null 2>&1; then
            packages+=(postgresql-15)
        else
            packages+=(postgresql)
        fi
    else
        packages+=("$item")
    fi
done

"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"
echo "install-system-deps: done"
