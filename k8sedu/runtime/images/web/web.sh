#!/bin/sh
# k8sedu/web: busybox httpd on port 80.
#   GET /         "hostname=<the Pod's hostname> version=<v1|v2>", then "message=$MESSAGE" if set
#   GET /healthz  "ok"   (exec `rm /www/healthz` to make a probe on it fail)
# Every request writes a line to the log (`kubectl logs`). On SIGTERM it stops at once: PID 1 ignores
# SIGTERM unless it traps it, so we trap it and stop httpd ourselves.
#
# 首页：hostname=<Pod 主机名> version=<版本>（设置了 MESSAGE 环境变量时再加一行 message=...）；
# /healthz 返回 ok；每个请求写一行日志；收到 SIGTERM 立即退出。
VERSION=$(cat /etc/k8sedu-web-version)
mkdir -p /www
echo "hostname=$(hostname) version=$VERSION" > /www/index.html
if [ -n "$MESSAGE" ]; then echo "message=$MESSAGE" >> /www/index.html; fi
echo ok > /www/healthz
echo "k8sedu/web $VERSION listening on :80"
httpd -f -vv -p 80 -h /www &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid; exit 0' TERM INT
wait $pid
exit $?
