#!/bin/bash
# Stand-in entrypoint, written from the facts about zookeeper:3.8.4 (IMAGE-FACTS.md), not from
# its source. What it reproduces, in this order:
# 1. `set -e`: any failing step ends the container (exit 1, then the restart policy loops).
# 2. As root with the command `zkServer.sh`: `chown -R zookeeper` on /data, /datalog and /logs
#    (not /conf), so a read-only file mounted under /data fails it; then the server runs as
#    uid 1000.
# 3. zoo.cfg is generated from ZOO_* variables only when /conf/zoo.cfg is absent.
# 4. /data/myid is written (from ZOO_MY_ID, default 1) only when absent.
set -e

if [[ "$1" = 'zkServer.sh' && "$(id -u)" = '0' ]]; then
    chown -R zookeeper /data /datalog /logs
    exec setpriv --reuid=zookeeper --regid=zookeeper --init-groups "$0" "$@"
fi

if [[ ! -f /conf/zoo.cfg ]]; then
    {
        echo "dataDir=/data"
        echo "dataLogDir=/datalog"
        echo "tickTime=${ZOO_TICK_TIME:-2000}"
        echo "initLimit=${ZOO_INIT_LIMIT:-5}"
        echo "syncLimit=${ZOO_SYNC_LIMIT:-2}"
        echo "standaloneEnabled=${ZOO_STANDALONE_ENABLED:-true}"
        echo "admin.enableServer=${ZOO_ADMINSERVER_ENABLED:-true}"
        echo "4lw.commands.whitelist=${ZOO_4LW_COMMANDS_WHITELIST:-srvr}"
        if [[ -z "$ZOO_SERVERS" ]]; then
            echo "server.1=localhost:2888:3888;2181"
        else
            for server in $ZOO_SERVERS; do echo "$server"; done
        fi
        for cfg in $ZOO_CFG_EXTRA; do echo "$cfg"; done
    } > /conf/zoo.cfg
fi

if [[ ! -f /data/myid ]]; then
    echo "${ZOO_MY_ID:-1}" > /data/myid
fi

exec "$@"
