# Sourced by the scripts that build Go programs: GOPATH mode against Debian's etcd 3.4.23 source.
export GOPATH=/usr/share/gocode
export GO111MODULE=off
export GOFLAGS=
export GOCACHE="${GOCACHE:-${HOME:-/root}/.cache/go-build}"
