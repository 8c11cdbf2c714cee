#!/bin/bash
# Stand-in for the two zkServer.sh verbs the platform uses: `start-foreground` (the image's
# command) and `status` (the role's health check). `status` asks the server with the `srvr`
# four-letter word on the client address and port it finds as ZooKeeper 3.8's zkServer.sh finds
# them (bin/zkServer.sh `status`, read in apache/zookeeper at release-3.8.4): `clientPort` (and
# `clientPortAddress`) in zoo.cfg; else the client part of this server's `server.<myid>` line in
# zoo.cfg; else in the file zoo.cfg's `dynamicConfigFile` names. So it fails unless zoo.cfg
# whitelists `srvr`.
set -eu
cfg="${ZOOCFGDIR:-/conf}/zoo.cfg"
case "${1:-}" in
  start-foreground)
    exec java -Dzookeeper.log.dir="${ZOO_LOG_DIR:-/logs}" \
      -cp /etc/zookeeper/conf:/usr/share/java/zookeeper.jar \
      org.apache.zookeeper.server.quorum.QuorumPeerMain "$cfg" ;;
  status)
    port=$(sed -n 's/^clientPort=//p' "$cfg")
    addr=$(sed -n 's/^clientPortAddress=//p' "$cfg")
    if [ -z "$port" ]; then  # ZooKeeper 3.5+ form: server.N=...;[addr:]port
      myid=$(cat /data/myid)
      client=$(sed -n "s/^server\.$myid=.*;//p" "$cfg")
      if [ -z "$client" ]; then
        dynamic=$(sed -n 's/^dynamicConfigFile=//p' "$cfg")
        client=$(sed -n "s/^server\.$myid=.*;//p" "$dynamic")
      fi
      port=${client##*:}
      [ "$client" != "$port" ] && addr=${client%:*}
    fi
    exec 3<>"/dev/tcp/${addr:-127.0.0.1}/$port"
    printf srvr >&3
    reply=$(cat <&3)
    echo "$reply" | grep '^Mode:' || { echo "no answer to srvr: $reply" >&2; exit 1; } ;;
  *) echo "usage: zkServer.sh start-foreground|status" >&2; exit 2 ;;
esac
