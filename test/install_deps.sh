#!/usr/bin/env bash
# Install from Debian's packages whatever ptopt needs to build, test and demo, when it is missing.
set -euo pipefail

packages=(
	postgresql-15 postgresql-server-dev-15 postgresql-common  # server, headers, pg_virtualenv
	libcurl4-openssl-dev libjson-c-dev pkg-config gcc make    # build
	libipc-run-perl                                           # TAP tests (PostgreSQL::Test::Cluster)
	chromium nodejs                                           # browser test of the HTML reports
	postgresql-15-plproxy                                     # options.cluster and t/011_plproxy.pl (optional at run time)
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "ptopt needs these Debian packages: ${missing[*]}" >&2
	echo "install them as root: apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "installing: ${missing[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
