#!/bin/bash
# The registry's own share of a push: one blob already compressed, sent by curl as a streamed upload (POST, one
# chunked PATCH, PUT with the digest), as Push-StreamLayer sends it. No push can be faster than this on the machine.
# Usage: registry-ingest.sh <host:port> <repository> <blob file> <sha256 hex of the blob>
set -euo pipefail
registry=$1 repository=$2 blob=$3 hex=$4
location() { tr -d '\r' | sed -n 's/^[Ll]ocation: //p'; }
session=$(curl -sf -i -X POST "http://$registry/v2/$repository/blobs/uploads/" | location)
session=$(curl -sf -i -X PATCH -H 'Content-Type: application/octet-stream' -H 'Transfer-Encoding: chunked' -T "$blob" "$session" | location)
case $session in *\?*) sep='&' ;; *) sep='?' ;; esac
status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$session${sep}digest=sha256:$hex")
[ "$status" = 201 ] || { echo "PUT answered $status" >&2; exit 1; }
