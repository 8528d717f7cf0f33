#!/bin/sh
# Sleep forever; exit 0 at once on SIGTERM/SIGINT.
# PID 1 ignores signals it has no handler for, so without this trap `docker stop` would wait for
# the whole grace period and then SIGKILL us.
# 永远睡眠；收到 SIGTERM/SIGINT 立即以 0 退出（PID 1 会忽略没有处理函数的信号，所以需要 trap）。
trap 'exit 0' TERM INT
while :; do
  sleep 3600 &
  wait $!
done
