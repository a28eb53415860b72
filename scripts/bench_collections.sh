#!/usr/bin/env bash
# Memory per key of 100,000 small collections (10 small elements each) in
# reddish and in Redis 7.0: hashes, sorted sets, intsets, lists. A shortcut
# for `scripts/bench.sh collections [N] [KINDS]`; see that script's header.
#
#   scripts/bench_collections.sh [N] [KINDS]     e.g. 100000 hash,zset,intset,list,set
exec "$(dirname "$0")/bench.sh" collections "$@"
